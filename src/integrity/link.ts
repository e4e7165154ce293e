/**
 * Where a new session of the chain links to: the last checkpoint on disk that this logger can
 * vouch for (read from the end of the active file and the newest archives, bounded), and the
 * intact tail of a killed session that the next start may seal (`recovered`).
 *
 * @module
 */
import { closeSync, constants, openSync, readSync, renameSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { Level } from "../facade/level.js";
import { openRegularFile, type OpenedFile } from "../logfile/read.js";
import { StatusChannel } from "../status/status.js";
import { chainHash, parseChainToken, signedMessage, splitChainField, type CheckpointAlgorithm, type CheckpointReason, checkpointRecordsMax } from "./token.js";

/** The checkpoint a new session links to: the last one on disk that this logger can vouch for. */
export interface Link {
  /** The chain hash of the checkpoint line (the new session's `prev`). */
  readonly hash: string;
  /** The log's identity, from the checkpoint. */
  readonly log: string;
  readonly session: string;
  readonly seq: number;
  /** The file it is in (name only). */
  readonly file: string;
  /** Whether its signature was checked with this logger's key (an older epoch's HMAC cannot be). */
  readonly checked: boolean;
  /** Why it was written (a closing reason means its session ended cleanly); `undefined` when not read from the disk. */
  readonly reason?: CheckpointReason | undefined;
  /** When it was written (epoch milliseconds), or 0 when not read from the disk. */
  readonly time?: number | undefined;
  /** The `integrity.checkpoint.records` its session wrote under (its signed `records.max`), when it says. */
  readonly recordsMax?: number | undefined;
}

/**
 * Reasons that end a session on the disk: nothing of it may follow, so lines after such a
 * checkpoint are never adopted by the next session (`verify` keeps the same set). `exit` is not
 * one: a host may still log from its own exit handlers after it.
 */
export const CLOSING: ReadonlySet<CheckpointReason> = new Set<CheckpointReason>(["stop", "shutdown", "reload", "integrity-off", "recovered"]);

/** What the start of a session found at the end of the log. */
export interface Found {
  readonly link: Link | undefined;
  /** Complete lines after the link (or in the tail read, without one) that the new session does not vouch for. */
  readonly skipped: number;
  /** Bytes of a last line without a line feed in the active file (a record cut short), or 0. */
  readonly partialBytes: number;
  /** The complete lines after the link, oldest first (those of the newest archive, then those of the active file), without line feeds. */
  readonly after: readonly string[];
}

/** At most this much of the end of the active file (and of a plain newest archive) is read at a session's start. */
export const TAIL_BYTES = 8 * 1024 * 1024;
/** A gzip newest archive is read only if it inflates to at most this much (its size field says, and inflating stops there). */
export const GZIP_TAIL_LIMIT = 32 * 1024 * 1024;
/** The last `TAIL_BYTES` of a plain file (`whole`: the file is that short), or `undefined` when it is missing or not a regular file. */
export function readPlainTail(path: string): { bytes: Buffer; whole: boolean } | undefined {
  let opened: OpenedFile;
  try {
    opened = openRegularFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      StatusChannel.report("INTEGRITY_FAILED", Level.WARN, `cannot read the end of ${path} to link the chain (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    return undefined;
  }
  try {
    const length = Math.min(opened.size, TAIL_BYTES);
    const bytes = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(opened.fd, bytes, done, length - done, opened.size - length + done);
      if (n <= 0) break;
      done += n;
    }
    return { bytes: bytes.subarray(0, done), whole: length === opened.size };
  } catch {
    return undefined;
  } finally {
    closeSync(opened.fd);
  }
}

/** A gzip archive inflated, if its size field and its inflation stay within `GZIP_TAIL_LIMIT` (a gzip bomb is not inflated). */
export function readGzipBounded(path: string): Buffer | undefined {
  let opened: OpenedFile;
  try {
    opened = openRegularFile(path);
  } catch {
    return undefined;
  }
  try {
    if (opened.size < 18 || opened.size > GZIP_TAIL_LIMIT) return undefined;
    const compressed = Buffer.alloc(opened.size);
    let done = 0;
    while (done < opened.size) {
      const n = readSync(opened.fd, compressed, done, opened.size - done, done);
      if (n <= 0) break;
      done += n;
    }
    // ISIZE, the last four bytes: the inflated size modulo 2^32 (a hint; inflation is bounded anyway).
    if (compressed.readUInt32LE(done - 4) > GZIP_TAIL_LIMIT) {
      StatusChannel.report("INTEGRITY_FAILED", Level.WARN, `${path} says it inflates to more than ${GZIP_TAIL_LIMIT} bytes: not read to link the chain`);
      return undefined;
    }
    return gunzipSync(compressed.subarray(0, done), { maxOutputLength: GZIP_TAIL_LIMIT });
  } catch {
    return undefined;
  } finally {
    closeSync(opened.fd);
  }
}

/** Checks a checkpoint's signature with this logger's key: true, false, or `undefined` when it cannot (an older epoch's HMAC key is gone). */
export type CheckpointCheck = (message: Buffer, signature: string, alg: CheckpointAlgorithm, epoch: number | undefined) => boolean | undefined;

/**
 * Looks for the last version-2 checkpoint in `bytes` (whole lines; the first is skipped unless
 * `whole`) whose signature is good, or cannot be checked by this logger (an older epoch: the
 * verifier checks it). Lines after it are counted as `skipped`.
 */
export function lastCheckpoint(bytes: Buffer, whole: boolean, file: string, check: CheckpointCheck): { link: Link | undefined; lines: number; rest: Buffer } {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] !== 0x0a) end = bytes.lastIndexOf(0x0a) + 1;
  const complete = end;
  let lines = 0;
  while (end > 0) {
    const before = end >= 2 ? bytes.lastIndexOf(0x0a, end - 2) : -1;
    if (before < 0 && !whole) break;
    const line = bytes.subarray(before + 1, end - 1).toString("utf8");
    const lineEnd = end;
    end = before + 1;
    const split = splitChainField(line);
    const token = split.token === undefined ? undefined : parseChainToken(split.token);
    const cp = token?.checkpoint;
    if (token !== undefined && token.version === 2 && cp !== undefined && cp.log !== undefined && cp.alg !== "none") {
      const hash = chainHash(token.prev, token.session, token.seq, split.body);
      const good = check(signedMessage(token.session, token.seq, hash, cp.alg, cp.epoch, cp.time, cp.reason, cp.log, cp.mode), cp.signature, cp.alg, cp.epoch);
      if (good !== false) return { link: { hash, log: cp.log, session: token.session, seq: token.seq, file, checked: good === true, reason: cp.reason, time: cp.time, recordsMax: checkpointRecordsMax(split.body) }, lines, rest: bytes.subarray(lineEnd, complete) };
    }
    lines++;
  }
  return { link: undefined, lines, rest: bytes.subarray(0, 0) };
}

/** The complete lines of `bytes` (each ended by a line feed), without their line feeds. */
export function linesOf(bytes: Buffer): string[] {
  const text = bytes.toString("utf8");
  const end = text.lastIndexOf("\n");
  return end < 0 ? [] : text.slice(0, end).split("\n");
}

/**
 * Finds the checkpoint a new session links to: the last good one at the end of the active file
 * or, when the active file holds none (right after a rotation), of the file a rotation
 * interrupted by a crash left aside (`.rotating`, newer than every archive), then of the newest
 * archives (up to {@link LINK_ARCHIVES}, while they hold no checkpoint). Reads at most `TAIL_BYTES` of a plain file and inflates at most `GZIP_TAIL_LIMIT` of a
 * gzip one; never follows a symbolic link and never blocks on a FIFO.
 */
export function findLink(path: string, check: CheckpointCheck): Found {
  const active = readPlainTail(path);
  let partialBytes = 0;
  let skipped = 0;
  /** The complete lines of the files read without a link, oldest first. */
  let newer: string[] = [];
  if (active !== undefined && active.bytes.length > 0) {
    const { bytes, whole } = active;
    if (bytes[bytes.length - 1] !== 0x0a) partialBytes = bytes.length - (bytes.lastIndexOf(0x0a) + 1);
    const found = lastCheckpoint(bytes, whole, basename(path), check);
    if (found.link !== undefined || !whole) return { link: found.link, skipped: found.lines, partialBytes, after: linesOf(found.rest) };
    skipped = found.lines;
    newer = linesOf(bytes);
  }
  const aside = readPlainTail(`${path}.rotating`);
  if (aside !== undefined && aside.bytes.length > 0) {
    const found = lastCheckpoint(aside.bytes, aside.whole, basename(`${path}.rotating`), check);
    if (found.link !== undefined || !aside.whole) return { link: found.link, skipped: skipped + found.lines, partialBytes, after: found.link === undefined ? [] : [...linesOf(found.rest), ...newer] };
    skipped += found.lines;
    newer = [...linesOf(aside.bytes), ...newer];
  }
  // The newest archives, newest first: a file without a checkpoint (the tail of a killed
  // session, rotated at the next start by a process killed in turn) sends the search one further.
  for (let index = 1; index <= LINK_ARCHIVES; index++) {
    const plain = readPlainTail(`${path}.${index}`);
    const archive = plain ?? (() => {
      const bytes = readGzipBounded(`${path}.${index}.gz`);
      return bytes === undefined ? undefined : { bytes, whole: true };
    })();
    const file = basename(plain === undefined ? `${path}.${index}.gz` : `${path}.${index}`);
    if (archive === undefined) break;
    const found = lastCheckpoint(archive.bytes, archive.whole, file, check);
    // The link is in an older file: the lines after it there, then those of the newer files.
    if (found.link !== undefined || !archive.whole) return { link: found.link, skipped: skipped + found.lines, partialBytes, after: found.link === undefined ? [] : [...linesOf(found.rest), ...newer] };
    skipped += found.lines;
    newer = [...linesOf(archive.bytes), ...newer];
  }
  return { link: undefined, skipped, partialBytes, after: [] };
}

/** How many of the newest archives the search for a session's link reads at most. */
export const LINK_ARCHIVES = 3;

/** What a session's start adopts of the session before it (which ended without its closing checkpoint). */
export interface Recovery {
  /** How many lines it adopts (from the line right after the link on). */
  readonly count: number;
  /** The chain hash of the last line adopted. */
  readonly head: string;
  /** The seq of the last line adopted. */
  readonly seq: number;
}

/**
 * The lines after `link` that continue its session's chain exactly: the same session, seq one
 * more each, each `prev` the hash of the line before, records only (no checkpoint). Stops at the
 * first line that does not (changed, inserted, out of order, unchained): from it on nothing is
 * adopted. `undefined` when the link's checkpoint closed its session, or nothing continues it.
 */
export function recoverable(link: Link, after: readonly string[], recordsMax: number): Recovery | undefined {
  if (link.reason === undefined || CLOSING.has(link.reason)) return undefined;
  // A killed session cannot have left more records after its last checkpoint than its
  // `checkpoint.records` (a checkpoint is due at that count): a longer tail is a cleanly closed
  // session whose closing checkpoint was removed and records added, and none of it is adopted.
  const cap = link.recordsMax ?? recordsMax;
  let prev = link.hash;
  let seq = link.seq;
  let count = 0;
  for (const line of after) {
    const split = splitChainField(line);
    const token = split.token === undefined ? undefined : parseChainToken(split.token);
    if (token === undefined || token.version !== 2 || token.checkpoint !== undefined || token.session !== link.session || token.seq !== seq + 1 || token.prev !== prev) break;
    if (count === cap) return undefined;
    prev = chainHash(prev, token.session, token.seq, split.body);
    seq = token.seq;
    count++;
  }
  return count === 0 ? undefined : { count, head: prev, seq };
}

/**
 * Keeps a copy of the checkpoint that turned integrity off in `<path>.chain` (a new file renamed
 * over the old one), so that a session started when integrity is turned on again, maybe in
 * another process after the log rotated many times without integrity, still finds what to link
 * to. It is only a hint: the new session checks its signature, and `verify` checks the link
 * against the files (an older copy put there makes the link a finding).
 */
export function keepLink(path: string, line: string): void {
  const tmp = `${path}.chain.tmp`;
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0), 0o640);
    try {
      writeSync(fd, line);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, `${path}.chain`);
  } catch (error) {
    StatusChannel.report("INTEGRITY_FAILED", Level.WARN, `could not keep the integrity-off checkpoint in ${path}.chain (${(error as NodeJS.ErrnoException).code ?? String(error)}): turning integrity on again may start a new log`);
  }
}

/**
 * The last checkpoint this process wrote to each file: a session started later in the same
 * process (integrity turned off and on again by reloads) links to it when the end of the file
 * holds none (many lines were written without integrity since).
 */
export const lastWritten = new Map<string, Link>();

