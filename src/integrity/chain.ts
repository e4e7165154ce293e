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
import { createHmac, randomBytes, sign, type KeyObject } from "node:crypto";
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { basename } from "node:path";
import { gunzipSync } from "node:zlib";
import { Level } from "../facade/level.js";
import type { IntegritySettings } from "../config/schema.js";
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
  constructor(private readonly key: KeyObject) {}
  evolveTo(): void {
    // Ed25519 keys do not evolve (documented): the verifier holds only the public key.
  }
  sign(message: Buffer): string {
    return sign(null, message, this.key).toString("base64url");
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
  close: () => undefined,
};

/** The last lines of the file a chain resumes from. */
interface Tail {
  /** The last complete line, without its line feed. */
  readonly line: string | undefined;
  /** Bytes of a last line without a line feed (a record cut short), or 0. */
  readonly partialBytes: number;
  /** The file's name. */
  readonly file: string;
}

const TAIL_BYTES = 4 * 1024 * 1024;

/** The tail of `bytes`, the last bytes of a file (`whole`: from its beginning). */
function tailOf(bytes: Buffer, file: string, whole: boolean): Tail {
  let end = bytes.length;
  let partialBytes = 0;
  if (bytes[end - 1] !== 0x0a) {
    const nl = bytes.lastIndexOf(0x0a);
    partialBytes = end - (nl + 1);
    end = nl + 1;
  }
  if (end === 0) return { line: undefined, partialBytes, file };
  const before = end >= 2 ? bytes.lastIndexOf(0x0a, end - 2) : -1;
  // A line longer than what was read cannot be resumed from.
  if (before < 0 && !whole) return { line: undefined, partialBytes, file };
  return { line: bytes.subarray(before + 1, end - 1).toString("utf8"), partialBytes, file };
}

/** The last line on disk: of the active file, or (right after a rotation) of the newest archive. */
function readTail(path: string): Tail | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    fd = -1;
  }
  if (fd >= 0) {
    try {
      const size = fstatSync(fd).size;
      if (size > 0) {
        const length = Math.min(size, TAIL_BYTES);
        const buffer = Buffer.alloc(length);
        readSync(fd, buffer, 0, length, size - length);
        return tailOf(buffer, basename(path), length === size);
      }
    } finally {
      closeSync(fd);
    }
  }
  for (const archive of [`${path}.1`, `${path}.1.gz`]) {
    try {
      const bytes = archive.endsWith(".gz") ? gunzipSync(readFileSync(archive)) : readFileSync(archive);
      if (bytes.length > 0) return { ...tailOf(bytes, basename(archive), true), partialBytes: 0 };
    } catch {
      // Not there (or not readable): try the next.
    }
  }
  return undefined;
}

/** What a {@link ChainSealer} needs. */
export interface ChainSealerOptions {
  /** The writer of the file (the chain writes its records and checkpoints through it). */
  readonly writer: RollingFileWriter;
  readonly settings: IntegritySettings;
  /** Several processes append to the file: one chain per process, no resume, no rotation checkpoints. */
  readonly shared: boolean;
  /** Renders checkpoint records. */
  readonly render: CheckpointRenderer;
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
  }

  /** The renderer of later checkpoints (a reload changed the delimiter or the pattern). */
  setRenderer(render: CheckpointRenderer): void {
    this.render = render;
  }

  /** Seals and writes one record line; false (and the chain unchanged) when it could not be written. */
  write(line: string): boolean {
    if (!this.started && !this.start()) return false;
    const now = Date.now();
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
    const now = Date.now();
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
  close(reason: "shutdown" | "reload" | "stop" | "exit"): void {
    if (this.started && (reason !== "exit" || this.unsealed > 0)) this.checkpoint(reason, Date.now(), false);
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
    if (this.unsealed >= this.settings.checkpointRecords) this.checkpoint("records", now, false);
    else this.arm(now);
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

  /** Starts a session: resumes from the last line on disk and writes the first checkpoint. */
  private start(): boolean {
    const now = Date.now();
    this.signer ??= this.loadSigner(now);
    this.session = randomBytes(9).toString("base64url");
    this.seq = 0;
    this.prev = ZERO_HASH;
    this.unsealed = 0;
    let reason: CheckpointReason = "start";
    const extra: Array<readonly [string, unknown]> = [];
    let prefix = "";
    if (!this.shared) {
      const tail = readTail(this.writer.path);
      if (tail !== undefined) {
        const split = tail.line === undefined ? undefined : splitChainField(tail.line);
        const token = split?.token === undefined ? undefined : parseChainToken(split.token);
        if (split !== undefined && token !== undefined) {
          reason = "resume";
          this.prev = chainHash(token.prev, token.session, token.seq, split.body);
          extra.push(["resumed.session", token.session], ["resumed.seq", token.seq], ["resumed.file", tail.file]);
        } else {
          extra.push(["previous", tail.line === undefined ? "none" : "not chained"]);
        }
        if (tail.partialBytes > 0 && tail.file === basename(this.writer.path)) {
          // A record cut short (a full disk, a crash of the machine): end its line, so that ours
          // is not glued to it, and say so.
          reason = "repaired";
          prefix = "\n";
          extra.push(["repaired.bytes", tail.partialBytes]);
        }
      }
    }
    if (!this.checkpoint(reason, now, true, extra, prefix)) return false;
    this.started = true;
    const from = reason === "start" ? "a new chain" : `resuming session ${String(extra[0]?.[1])} at seq ${String(extra[1]?.[1])}`;
    StatusChannel.report("INTEGRITY_STARTED", Level.INFO, `tamper evidence (${this.settings.mode}) on for ${this.writer.path}: session ${this.session}, ${from}`);
    return true;
  }

  /** Writes a checkpoint line; false when it could not be written (the chain is unchanged). */
  private checkpoint(reason: CheckpointReason, now: number, mayRotate: boolean, extra: ReadonlyArray<readonly [string, unknown]> = [], prefix = ""): boolean {
    const signer = this.signer as Signer;
    if (now >= signer.epochEndsAt) signer.evolveTo(now);
    const epoch = signer.epoch;
    const attributes: Array<readonly [string, unknown]> = [
      ["reason", reason],
      ["session", this.session],
      ["seq", this.seq],
      ["records", this.unsealed],
      ["alg", signer.alg],
    ];
    if (epoch !== undefined) attributes.push(["epoch", epoch]);
    attributes.push(...extra, ["time", new Date(now)]);
    const line = this.render(attributes, now);
    const body = line.charCodeAt(line.length - 1) === 0x0a ? line.slice(0, -1) : line;
    const hash = chainHash(this.prev, this.session, this.seq, body);
    let signature: string;
    try {
      signature = signer.sign(signedMessage(this.session, this.seq, hash, signer.alg, epoch, now, reason));
    } catch (error) {
      StatusChannel.report("INTEGRITY_FAILED", Level.ERROR, `signing a checkpoint failed: ${(error as Error).message}`);
      return false;
    }
    const text = prefix + body + CHAIN_FIELD + checkpointToken(this.session, this.seq, this.prev, { alg: signer.alg, epoch, time: now, reason, signature }) + "\n";
    if (!this.writer.write(text, mayRotate)) return false;
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
    const now = Date.now();
    if (this.unsealed > 0) {
      const timed = this.settings.checkpointSeconds > 0 && now >= this.firstUnsealedAt + this.settings.checkpointSeconds * 1000;
      const epochEnding = now >= signer.epochEndsAt - this.epochMargin();
      if (timed || epochEnding) {
        if (this.checkpoint(timed ? "timer" : "epoch", now, false)) return;
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
