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
import { randomBytes } from "node:crypto";
import { basename } from "node:path";
import { Level } from "../facade/level.js";
import type { IntegritySettings } from "./settings.js";
import { acquireLock } from "../output/file-lock.js";
import type { RollingFileWriter } from "../output/rolling-file.js";
import { StatusChannel } from "../status/status.js";
import { ed25519KeyFromSecretFile } from "./keys.js";
import { CHAIN_FIELD, chainHash, checkpointToken, recordToken, signedMessage, ZERO_HASH, type CheckpointReason } from "./token.js";
import { Ed25519Signer, HmacSigner, readKeyFile, UNSIGNED, type Signer } from "./signers.js";
import { findLink, keepLink, lastCheckpoint, lastWritten, readPlainTail, recoverable, type Recovery } from "./link.js";

/** Renders the line (with its line feed) of a checkpoint record through the current builder and layout. */
export type CheckpointRenderer = (attributes: ReadonlyArray<readonly [string, unknown]>, now: number) => string;

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
  private witness: ((line: string) => void) | undefined;
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

  /**
   * The witness of the chain: called with every line written (a record with its chain field, or
   * a checkpoint), exactly as the file holds it without its line feed, after it was written
   * (`target.<name>.integrity=on`); undefined for none. It must not throw (what it throws is dropped).
   */
  setWitness(witness: ((line: string) => void) | undefined): void {
    this.witness = witness;
  }

  private witnessed(text: string): void {
    const witness = this.witness;
    if (witness === undefined) return;
    try {
      witness(text.charCodeAt(text.length - 1) === 0x0a ? text.slice(0, -1) : text);
    } catch {
      // The file has the line; a failing witness never fails the write.
    }
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
    this.witnessed(text);
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
        if (this.witness !== undefined) for (let i = 0; i < written; i++) this.witnessed(sealed[i] as string);
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
    this.witnessed(text.slice(prefix.length));
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
