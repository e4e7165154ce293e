/**
 * The write side of tamper evidence: binds every line written to a dedicated-mode file into a
 * hash chain and writes signed checkpoints (see `token.ts` for the line format).
 *
 * It sits between the retry buffer and the file writer, so a line is sealed at the moment it
 * is written: the order of the chain is the order on disk, a record waiting in memory while
 * the disk is full is sealed when it is finally written, and a failed write leaves the chain
 * as it was.
 *
 * @module
 */
import { createHmac, createPublicKey, randomBytes, sign, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import { closeSync, constants, openSync, readSync, renameSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { Level } from "../facade/level.js";
import type { IntegritySettings } from "./settings.js";
import { acquireLock } from "../output/file-lock.js";
import { openRegularFile, type OpenedFile } from "../logfile/read.js";
import type { RollingFileWriter } from "../output/rolling-file.js";
import { StatusChannel } from "../status/status.js";
import { ed25519KeyFromSecretFile, epochAt, evolveSecret, formatMode, hmacKeyFromSecretFile, MAX_EPOCH, readSecretFile, writeHmacKeyFile, type SecretFile } from "./keys.js";
import {
  CHAIN_FIELD,
  chainHash,
  checkpointToken,
  parseChainToken,
  recordToken,
  signedMessage,
  splitChainField,
  ZERO_HASH,
  type CheckpointAlgorithm,
  type CheckpointReason,
  checkpointRecordsMax,
} from "./token.js";

/** Renders the line (with its line feed) of a checkpoint record through the current builder and layout. */
export type CheckpointRenderer = (attributes: ReadonlyArray<readonly [string, unknown]>, now: number) => string;

/** Signs checkpoints, and evolves its key when it has epochs. */
interface Signer {
  readonly alg: CheckpointAlgorithm;
  /** The epoch label of a checkpoint now, or `undefined` when the key does not evolve. */
  readonly epoch: number | undefined;
  /** When the current epoch ends (`Infinity` without evolution). */
  readonly epochEndsAt: number;
  /** Evolves the key to the epoch of `now` (erasing the old key). */
  evolveTo(now: number): void;
  sign(message: Buffer): string;
  /** Checks a signature made with this key: `undefined` when it cannot (another algorithm, or an older epoch whose key is gone). */
  check(message: Buffer, signature: string, alg: CheckpointAlgorithm, epoch: number | undefined): boolean | undefined;
  /** Erases the key from memory. */
  close(): void;
}

class HmacSigner implements Signer {
  readonly alg = "hs256";
  private secret: Buffer;
  private current: number;
  private readonly start: number | undefined;
  private readonly recordedSeconds: number | undefined;

  constructor(
    private readonly path: string,
    private readonly seconds: number,
    now: number,
  ) {
    const key = hmacKeyFromSecretFile(path, readKeyFile(path));
    this.secret = key.secret;
    this.current = key.epoch;
    this.start = key.start;
    this.recordedSeconds = key.seconds;
    if (seconds > 0 && this.start === undefined) {
      this.secret.fill(0);
      throw new Error(`the key file ${path} has no start= line, which key evolution needs`);
    }
    if (seconds > 0) {
      this.evolveTo(now);
      // The first use records the epoch length, so that the verifier's copy can say it too.
      if (this.recordedSeconds === undefined) this.save();
    }
  }

  get epoch(): number | undefined {
    return this.seconds > 0 ? this.current : undefined;
  }

  get epochEndsAt(): number {
    return this.seconds > 0 ? (this.start as number) + (this.current + 1) * this.seconds * 1000 : Infinity;
  }

  evolveTo(now: number): void {
    if (this.seconds === 0) return;
    const target = Math.min(epochAt(this.start as number, this.seconds, now), MAX_EPOCH);
    if (target <= this.current) return;
    let secret = this.secret;
    for (let i = this.current; i < target; i++) {
      const next = evolveSecret(secret);
      secret.fill(0);
      secret = next;
    }
    this.secret = secret;
    this.current = target;
    this.save();
  }

  private save(): void {
    try {
      writeHmacKeyFile(this.path, { secret: this.secret, start: this.start, seconds: this.seconds, epoch: this.current });
    } catch (error) {
      // The key still evolves in memory; a restart would derive forward from the older file.
      StatusChannel.report(
        "INTEGRITY_FAILED",
        Level.ERROR,
        `could not save the evolved key (epoch ${this.current}) to ${this.path} (${error instanceof Error ? error.message : String(error)}): the older key stays on the disk`,
      );
    }
  }

  sign(message: Buffer): string {
    return createHmac("sha256", this.secret).update(message).digest("base64url");
  }

  check(message: Buffer, signature: string, alg: CheckpointAlgorithm, epoch: number | undefined): boolean | undefined {
    // A checkpoint of the other algorithm is not one this key could have signed: it is no link
    // (treating it as "cannot check" made the logger a signing oracle for forged records).
    if (alg !== "hs256") return false;
    if (epoch !== this.epoch) return undefined;
    const expected = createHmac("sha256", this.secret).update(message).digest();
    const given = Buffer.from(signature, "base64url");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  close(): void {
    this.secret.fill(0);
  }
}

/** Reads a key file as a secret (see `readSecretFile`), warning when others can read it. */
function readKeyFile(path: string): SecretFile {
  const file = readSecretFile(path);
  if (file.readableByOthers) {
    StatusChannel.report(
      "INTEGRITY_KEY_READABLE",
      Level.WARN,
      `the key file ${path} has mode ${formatMode(file.mode)}: users other than its owner can read the key (and ${file.mode & 0o004 ? "everyone" : "its group"} could forge checkpoints with it); chmod 600 ${path}`,
    );
  }
  return file;
}

class Ed25519Signer implements Signer {
  readonly alg = "ed25519";
  readonly epoch = undefined;
  readonly epochEndsAt = Infinity;
  private readonly publicKey: KeyObject;
  constructor(private readonly key: KeyObject) {
    this.publicKey = createPublicKey(key);
  }
  evolveTo(): void {
    // Ed25519 keys do not evolve (documented): the verifier holds only the public key.
  }
  sign(message: Buffer): string {
    return sign(null, message, this.key).toString("base64url");
  }
  check(message: Buffer, signature: string, alg: CheckpointAlgorithm): boolean | undefined {
    if (alg !== "ed25519") return false;
    try {
      return verify(null, message, this.publicKey, Buffer.from(signature, "base64url"));
    } catch {
      return false;
    }
  }
  close(): void {
    // A KeyObject cannot be wiped; it is dropped with the chain.
  }
}

/** Used when the key cannot be read: the chain goes on, checkpoints say they are not signed. */
const UNSIGNED: Signer = {
  alg: "none",
  epoch: undefined,
  epochEndsAt: Infinity,
  evolveTo: () => undefined,
  sign: () => "-",
  check: () => undefined,
  close: () => undefined,
};

/** The checkpoint a new session links to: the last one on disk that this logger can vouch for. */
interface Link {
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
const CLOSING: ReadonlySet<CheckpointReason> = new Set<CheckpointReason>(["stop", "shutdown", "reload", "integrity-off", "recovered"]);

/** What the start of a session found at the end of the log. */
interface Found {
  readonly link: Link | undefined;
  /** Complete lines after the link (or in the tail read, without one) that the new session does not vouch for. */
  readonly skipped: number;
  /** Bytes of a last line without a line feed in the active file (a record cut short), or 0. */
  readonly partialBytes: number;
  /** The complete lines after the link, oldest first (those of the newest archive, then those of the active file), without line feeds. */
  readonly after: readonly string[];
}

/** At most this much of the end of the active file (and of a plain newest archive) is read at a session's start. */
const TAIL_BYTES = 8 * 1024 * 1024;
/** A gzip newest archive is read only if it inflates to at most this much (its size field says, and inflating stops there). */
const GZIP_TAIL_LIMIT = 32 * 1024 * 1024;
/** The last `TAIL_BYTES` of a plain file (`whole`: the file is that short), or `undefined` when it is missing or not a regular file. */
function readPlainTail(path: string): { bytes: Buffer; whole: boolean } | undefined {
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
function readGzipBounded(path: string): Buffer | undefined {
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
type CheckpointCheck = (message: Buffer, signature: string, alg: CheckpointAlgorithm, epoch: number | undefined) => boolean | undefined;

/**
 * Looks for the last version-2 checkpoint in `bytes` (whole lines; the first is skipped unless
 * `whole`) whose signature is good, or cannot be checked by this logger (an older epoch: the
 * verifier checks it). Lines after it are counted as `skipped`.
 */
function lastCheckpoint(bytes: Buffer, whole: boolean, file: string, check: CheckpointCheck): { link: Link | undefined; lines: number; rest: Buffer } {
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
function linesOf(bytes: Buffer): string[] {
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
function findLink(path: string, check: CheckpointCheck): Found {
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
const LINK_ARCHIVES = 3;

/** What a session's start adopts of the session before it (which ended without its closing checkpoint). */
interface Recovery {
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
function recoverable(link: Link, after: readonly string[], recordsMax: number): Recovery | undefined {
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
function keepLink(path: string, line: string): void {
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
const lastWritten = new Map<string, Link>();

/** What a {@link ChainSealer} needs. */
export interface ChainSealerOptions {
  /** The writer of the file (the chain writes its records and checkpoints through it). */
  readonly writer: RollingFileWriter;
  readonly settings: IntegritySettings;
  /** Several processes append to the file: one chain per process, no resume, no rotation checkpoints. */
  readonly shared: boolean;
  /** Renders checkpoint records. */
  readonly render: CheckpointRenderer;
  /** The wall clock (tests inject a stepping one); `Date.now` by default. */
  readonly now?: (() => number) | undefined;
}

/**
 * One chain over one file (and its archives). Its session starts on the first write: it reads
 * the last line on disk and resumes from it (single process), writing a signed checkpoint
 * that says so.
 *
 * @example
 * ```ts
 * const chain = new ChainSealer({ writer, settings: config.integrity, shared: false, render });
 * chain.write("ox.login, login=ann\n");
 * chain.close("shutdown");
 * ```
 */
export class ChainSealer {
  private session = "";
  /** The log's identity: from the checkpoint the session links to, or new at the log's genesis. */
  private log = "";
  /** The time of the last checkpoint written: checkpoint times never go back, even when the wall clock does. */
  private lastTime = 0;
  private readonly now: () => number;
  private seq = 0;
  private prev = ZERO_HASH;
  private started = false;
  private unsealed = 0;
  private firstUnsealedAt = 0;
  private checkpointBytes = 1024;
  private signer: Signer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private render: CheckpointRenderer;
  private readonly writer: RollingFileWriter;
  private readonly settings: IntegritySettings;
  private readonly shared: boolean;

  constructor(options: ChainSealerOptions) {
    this.writer = options.writer;
    this.settings = options.settings;
    this.shared = options.shared;
    this.render = options.render;
    this.now = options.now ?? (() => Date.now());
  }

  /** The renderer of later checkpoints (a reload changed the delimiter or the pattern). */
  setRenderer(render: CheckpointRenderer): void {
    this.render = render;
  }

  /** Seals and writes one record line; false (and the chain unchanged) when it could not be written. */
  write(line: string): boolean {
    if (!this.started && !this.start()) return false;
    const now = this.now();
    if (now >= (this.signer as Signer).epochEndsAt) this.tick();
    const body = line.charCodeAt(line.length - 1) === 0x0a ? line.slice(0, -1) : line;
    let text = body + CHAIN_FIELD + recordToken(this.session, this.seq, this.prev) + "\n";
    if (!this.shared) {
      const room = this.writer.roomBeforeRotation();
      if (room !== Infinity && text.length * 3 + this.checkpointBytes > room && Buffer.byteLength(text) + this.checkpointBytes > room) {
        if (!this.closeFile(now)) return false;
        text = body + CHAIN_FIELD + recordToken(this.session, this.seq, this.prev) + "\n";
      }
    }
    const hash = chainHash(this.prev, this.session, this.seq, body);
    if (!this.writer.write(text)) return false;
    this.prev = hash;
    this.seq++;
    this.noteRecords(1, now);
    return true;
  }

  /** Seals and writes `lines[start..end)` (batched durability); returns how many were written. */
  writeMany(lines: readonly string[], start: number, end: number): number {
    if (!this.started && !this.start()) return 0;
    const now = this.now();
    if (now >= (this.signer as Signer).epochEndsAt) this.tick();
    let done = start;
    while (done < end) {
      const room = this.shared ? Infinity : this.writer.roomBeforeRotation();
      // Never past the next checkpoint by count.
      const limit = Math.min(end, done + Math.max(1, this.settings.checkpointRecords - this.unsealed));
      const sealed: string[] = [];
      const hashes: string[] = [];
      let prev = this.prev;
      let seq = this.seq;
      // Bytes are counted exactly only near the end of the file (as the writer does).
      let bytes = 0;
      let exact = false;
      for (let i = done; i < limit; i++) {
        const line = lines[i] as string;
        const body = line.charCodeAt(line.length - 1) === 0x0a ? line.slice(0, -1) : line;
        const text = body + CHAIN_FIELD + recordToken(this.session, seq, prev) + "\n";
        if (room !== Infinity) {
          let size = text.length * 3;
          if (!exact && bytes + size + this.checkpointBytes > room) {
            bytes = Buffer.byteLength(sealed.join(""));
            exact = true;
          }
          if (exact) size = Buffer.byteLength(text);
          if (bytes + size + this.checkpointBytes > room) break;
          bytes += size;
        }
        prev = chainHash(prev, this.session, seq, body);
        seq++;
        sealed.push(text);
        hashes.push(prev);
      }
      if (sealed.length === 0) {
        // Not even the next record fits: close this file with a checkpoint and rotate.
        if (!this.closeFile(now)) return done - start;
        continue;
      }
      const written = this.writer.writeMany(sealed, 0, sealed.length);
      if (written > 0) {
        this.prev = hashes[written - 1] as string;
        this.seq += written;
        done += written;
        this.noteRecords(written, now);
      }
      if (written < sealed.length) break;
    }
    return done - start;
  }

  /**
   * Writes a checkpoint now if records wait to be sealed (process exit), or always when the
   * chain ends (`shutdown`, `reload`, `stop`); the chain stops unless the reason is `exit`
   * (a host may still log from its own exit handlers).
   */
  close(reason: "shutdown" | "reload" | "stop" | "exit" | "integrity-off"): void {
    if (this.started && (reason !== "exit" || this.unsealed > 0)) this.checkpoint(reason, this.now(), false);
    if (reason === "exit") return;
    this.cancelTimer();
    this.signer?.close();
    this.signer = undefined;
    this.started = false;
  }

  /** Closes the active file with a checkpoint, then rotates (single process). */
  private closeFile(now: number): boolean {
    if (!this.checkpoint("rotation", now, false)) return false;
    // As before any rotation: make sure the file is still there, so its records are not lost.
    this.writer.checkPath();
    this.writer.rotate();
    return true;
  }

  private noteRecords(count: number, now: number): void {
    if (this.unsealed === 0) this.firstUnsealedAt = now;
    this.unsealed += count;
    if (this.unsealed >= this.settings.checkpointRecords) this.periodic("records", now);
    else this.arm(now);
  }

  /**
   * A checkpoint by count or time. In a file of its own (single process) it counts toward
   * `file.size` like a record: when it would leave no room for the checkpoint that closes the
   * file, the file is closed now (the rotation checkpoint seals the same records) and rotated.
   */
  private periodic(reason: "records" | "timer" | "epoch", now: number): boolean {
    if (this.shared) return this.checkpoint(reason, now, true);
    const room = this.writer.roomBeforeRotation();
    if (room !== Infinity && room < 2 * this.checkpointBytes) return this.closeFile(now);
    return this.checkpoint(reason, now, false);
  }

  private loadSigner(now: number): Signer {
    try {
      if (this.settings.mode === "ed25519") return new Ed25519Signer(ed25519KeyFromSecretFile(this.settings.keyPath, readKeyFile(this.settings.keyPath)));
      return new HmacSigner(this.settings.keyPath, this.settings.epochSeconds, now);
    } catch (error) {
      StatusChannel.report("INTEGRITY_FAILED", Level.ERROR, `checkpoints of ${this.writer.path} cannot be signed: ${(error as Error).message}; records are still chained, checkpoints are written unsigned`);
      return UNSIGNED;
    }
  }

  /**
   * Starts a session: links to the last checkpoint on disk that this logger can vouch for (its
   * signature checks out with the key, or is of an older epoch whose key is gone: the verifier
   * checks it) and writes the session's first checkpoint, whose `prev` is that checkpoint's
   * hash. When that checkpoint did not close its session (the process was killed, one writer
   * at a time), the lines after it that continue its session's chain exactly are adopted: a
   * `recovered` checkpoint, signed now, written in that session's chain, seals them, and the new
   * session links to it. Other lines after the link are not sealed (`unvouched=N`): the verifier
   * reports them. With no checkpoint to link to, the log's genesis: a new log identity.
   */
  private start(): boolean {
    if (!this.shared) return this.begin();
    // Several processes: one at a time reads the end of the log and writes its first checkpoint,
    // so that two starting together do not both begin a new log (or link to the same checkpoint
    // unseen by each other). The wait is bounded; without the lock the session starts anyway.
    const release = acquireLock(`${this.writer.path}.chain.lock`, 2000);
    try {
      return this.begin();
    } finally {
      release?.();
    }
  }

  private begin(): boolean {
    const now = this.now();
    const signer = (this.signer ??= this.loadSigner(now));
    this.session = randomBytes(9).toString("base64url");
    this.seq = 0;
    this.prev = ZERO_HASH;
    this.unsealed = 0;
    // The end of the log is read before any rotation here: the link may be in the newest archive
    // (a rotation checkpoint), and after another rotation it would be out of reach.
    const found = findLink(this.writer.path, (message, signature, alg, epoch) => signer.check(message, signature, alg, epoch));
    let prefix = "";
    if (!this.shared && found.partialBytes > 0) {
      // A record cut short (a crash mid-write, a full disk): end its line, so that ours is not
      // glued to it, and say so (below). Its text is never adopted.
      prefix = "\n";
    }
    if (!this.shared) {
      // A recovered checkpoint, the first checkpoint and the one that closes the file must all fit in it.
      const room = this.writer.roomBeforeRotation();
      if (room !== Infinity && room < 3 * this.checkpointBytes) {
        // The cut line, if any, is ended in its own file.
        if (prefix !== "" && this.writer.write(prefix, false)) prefix = "";
        this.writer.checkPath();
        this.writer.rotate();
      }
    }
    let link = found.link ?? lastWritten.get(this.writer.path);
    if (link === undefined) {
      // Integrity was turned off (maybe by another process) and many lines written since.
      const kept = readPlainTail(`${this.writer.path}.chain`);
      if (kept !== undefined && kept.whole) link = lastCheckpoint(kept.bytes, true, basename(`${this.writer.path}.chain`), (m, sig, alg, epoch) => signer.check(m, sig, alg, epoch)).link;
    }
    const session = this.session;
    let recovered: Recovery | undefined;
    if (!this.shared && found.link !== undefined && found.link.checked) {
      // Only after a checkpoint this logger checked with its own key: linking to one it cannot
      // check (an older epoch) is fine, verify checks it, but signing records after it would
      // make the logger seal whatever anyone chained after a forged checkpoint.
      // Several processes: another one may still be writing the session after the link, so a
      // crashed process's tail is never adopted there (verify warns: `unsealed`).
      recovered = recoverable(found.link, found.after, this.settings.checkpointRecords);
    }
    if (recovered !== undefined && found.link !== undefined) {
      // Seal the killed session's intact tail in its own chain, then link to that checkpoint.
      const dead = found.link;
      this.session = dead.session;
      this.seq = recovered.seq + 1;
      this.prev = recovered.head;
      this.log = dead.log;
      this.unsealed = recovered.count;
      this.lastTime = Math.max(this.lastTime, dead.time ?? 0);
      const sealed = this.checkpoint("recovered", now, true, [["recovered.by", session], ["recovered.from.seq", dead.seq + 1]], prefix);
      this.session = session;
      if (!sealed) {
        this.seq = 0;
        this.prev = ZERO_HASH;
        this.unsealed = 0;
        return false;
      }
      prefix = "";
      link = { hash: this.prev, log: dead.log, session: dead.session, seq: recovered.seq + 1, file: basename(this.writer.path), checked: true, reason: "recovered", time: this.lastTime };
      this.seq = 0;
      this.unsealed = 0;
      StatusChannel.report(
        "INTEGRITY_RECOVERED",
        Level.WARN,
        `${recovered.count} record(s) of session ${dead.session} in ${this.writer.path} after its last checkpoint (seq ${dead.seq}), written by a process that ended without its closing checkpoint, were found intact and sealed now`,
      );
    }
    const unvouched = found.skipped - (recovered?.count ?? 0);
    let reason: CheckpointReason;
    const extra: Array<readonly [string, unknown]> = [];
    if (link === undefined) {
      reason = "genesis";
      this.log = randomBytes(12).toString("base64url");
      // Lines already there (written without integrity, or by an older version) are not covered.
      if (found.skipped > 0) extra.push(["previous.lines", found.skipped]);
    } else {
      reason = "resume";
      this.log = link.log;
      this.prev = link.hash;
      extra.push(["resumed.session", link.session], ["resumed.seq", link.seq], ["resumed.file", link.file]);
      if (found.link !== undefined && unvouched > 0) extra.push(["unvouched", unvouched]);
    }
    if (!this.shared && found.partialBytes > 0) {
      if (reason === "resume") reason = "repaired";
      extra.push(["repaired.bytes", found.partialBytes]);
    }
    if (!this.checkpoint(reason, now, true, extra, prefix)) return false;
    this.started = true;
    const from = link === undefined ? `the genesis of log ${this.log}` : `linked to session ${link.session} at seq ${link.seq} (${link.file})${unvouched > 0 && found.link !== undefined ? `; ${unvouched} line(s) after it are not vouched for` : ""}`;
    StatusChannel.report("INTEGRITY_STARTED", Level.INFO, `tamper evidence (${this.settings.mode}) on for ${this.writer.path}: session ${this.session}, ${from}`);
    return true;
  }

  /** Writes a checkpoint line; false when it could not be written (the chain is unchanged). */
  private checkpoint(reason: CheckpointReason, now: number, mayRotate: boolean, extra: ReadonlyArray<readonly [string, unknown]> = [], prefix = ""): boolean {
    const signer = this.signer as Signer;
    // Checkpoint times never go back within a chain: a wall clock stepped back (an NTP
    // correction) is recorded as clock.step (milliseconds, negative), not written as an earlier time.
    const wall = this.now();
    const time = Math.max(wall, now, this.lastTime);
    if (time >= signer.epochEndsAt) signer.evolveTo(time);
    const epoch = signer.epoch;
    const attributes: Array<readonly [string, unknown]> = [
      ["reason", reason],
      ["session", this.session],
      ["seq", this.seq],
      ["records", this.unsealed],
      // The bound verify checks a later `recovered` checkpoint of this session against.
      ["records.max", this.settings.checkpointRecords],
      ["alg", signer.alg],
    ];
    if (epoch !== undefined) attributes.push(["epoch", epoch]);
    attributes.push(...extra);
    if (wall < this.lastTime) attributes.push(["clock.step", wall - this.lastTime]);
    attributes.push(["time", new Date(time)]);
    const line = this.render(attributes, time);
    const body = line.charCodeAt(line.length - 1) === 0x0a ? line.slice(0, -1) : line;
    const hash = chainHash(this.prev, this.session, this.seq, body);
    let signature: string;
    try {
      signature = signer.sign(signedMessage(this.session, this.seq, hash, signer.alg, epoch, time, reason, this.log, this.shared ? "m" : "s"));
    } catch (error) {
      StatusChannel.report("INTEGRITY_FAILED", Level.ERROR, `signing a checkpoint failed: ${(error as Error).message}`);
      return false;
    }
    const text = prefix + body + CHAIN_FIELD + checkpointToken(this.session, this.seq, this.prev, { alg: signer.alg, epoch, time, reason, signature, log: this.log, mode: this.shared ? "m" : "s" }) + "\n";
    if (!this.writer.write(text, mayRotate)) return false;
    this.lastTime = time;
    if (signer.alg !== "none") lastWritten.set(this.writer.path, { hash, log: this.log, session: this.session, seq: this.seq, file: basename(this.writer.path), checked: true });
    if (reason === "integrity-off") keepLink(this.writer.path, text.slice(prefix.length));
    this.prev = hash;
    this.seq++;
    this.unsealed = 0;
    this.checkpointBytes = Math.max(256, Buffer.byteLength(text) + 64);
    this.cancelTimer();
    this.arm(now);
    return true;
  }

  /**
   * Schedules the next timed event: a checkpoint `checkpoint.seconds` after the first unsealed
   * record, one shortly before the key's epoch ends (so records are sealed with their own
   * epoch's key), and the evolution of the key when it ends (even while nothing is logged).
   */
  private arm(now: number): void {
    const signer = this.signer;
    if (signer === undefined) return;
    let due = signer.epochEndsAt;
    if (this.unsealed > 0) {
      if (this.settings.checkpointSeconds > 0) due = Math.min(due, this.firstUnsealedAt + this.settings.checkpointSeconds * 1000);
      if (signer.epochEndsAt !== Infinity) due = Math.min(due, signer.epochEndsAt - this.epochMargin());
    }
    if (due === Infinity || (this.timer !== undefined && this.timerAt <= due)) return;
    this.cancelTimer();
    this.timerAt = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.tick();
    }, Math.max(0, Math.min(due - now, 2_147_000_000)));
    // Neither a checkpoint nor the key's evolution may keep the host alive.
    this.timer.unref();
  }

  private epochMargin(): number {
    return Math.min(1000, (this.settings.epochSeconds * 1000) / 4);
  }

  private tick(): void {
    const signer = this.signer;
    if (signer === undefined || !this.started) return;
    const now = this.now();
    if (this.unsealed > 0) {
      const timed = this.settings.checkpointSeconds > 0 && now >= this.firstUnsealedAt + this.settings.checkpointSeconds * 1000;
      const epochEnding = now >= signer.epochEndsAt - this.epochMargin();
      if (timed || epochEnding) {
        if (this.periodic(timed ? "timer" : "epoch", now)) return;
      }
    }
    if (now >= signer.epochEndsAt) signer.evolveTo(now);
    this.arm(now);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
    }
  }
}
