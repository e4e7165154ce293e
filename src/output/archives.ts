/**
 * The archives of a rolling file after they are made: their names (`audit.log.N` and, once
 * compressed, `audit.log.N.gz`), gzip compression off the caller's path, and deletion by age.
 *
 * Compression never works on a name the rotation shifts. A job opens the archive (the open
 * descriptor follows it through later renames), writes the gzip stream into a temporary file
 * named after the archive's inode (`audit.log.inode-1234.gz.tmp`, which no rotation touches),
 * completes and (unless file.fsync is never) fsyncs it, and only then, in one synchronous step,
 * finds the archive's current number by its inode, renames the temporary file to `.N.gz` and
 * deletes `.N`. So at every moment the records are in the uncompressed archive or in a complete
 * `.gz`; a crash leaves at most a temporary file, which is deleted at the next start. That
 * step, the claim of an archive and the deletions run under the rotation lock, so each archive
 * is compressed once, by one process, and never while another process rotates (whether or not
 * it was configured for several processes). An archive is compressed only once it has not
 * changed for {@link SETTLE_MS}: a process that has not noticed the rotation yet may still
 * append to it, and notices within that time.
 */
import * as nodeFs from "node:fs";
import { basename, dirname, join } from "node:path";
import { createGzip, type Gzip } from "node:zlib";
import { removeLockLeftovers, tryLock } from "./file-lock.js";
import type { FileSystemError, RotationPolicy, WriterFailure, WriterFileSystem } from "./file-system.js";
import { compareTwins, MAX_COMPARED_BYTES } from "../logfile/twins.js";
import { openRegularFile } from "../logfile/read.js";
import { archiveName, parseArchiveNames, TEMPORARY_SUFFIX, type ArchiveEntry, type ArchiveListing, type ArchiveMap } from "../logfile/names.js";

/** A temporary compression file older than this (no write since) belongs to a process that died. */
export const STALE_COMPRESSION_MS = 60_000;
/**
 * An archive is compressed only once it has not changed for this long: another process may
 * still append the records it had on its way when the file was rotated (a writer looks at its
 * path at least once a second, `PATH_CHECK_INTERVAL_MS`; see the README's guarantees).
 */
export const SETTLE_MS = 1100;
/** Longest pause between two attempts at a lock that stays busy (a lock kept by someone else). */
export const LOCK_RETRY_MAX_MS = 30_000;
/** After a failed compression (a full disk), how long before the next attempt. */
export const COMPRESS_RETRY_MS = 60_000;

const DAY_MS = 86_400_000;
const READ_CHUNK = 256 * 1024;
const TMP_FLAGS = nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL | (nodeFs.constants.O_NOFOLLOW ?? 0);

interface Job {
  /** Inode of the archive being compressed. */
  readonly ino: number;
  /** Its number when last known (a hint: the search for it starts there). */
  index: number;
  readonly sourceFd: number;
  readonly tmpPath: string;
  readonly tmpFd: number;
  readonly gzip: Gzip;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  /** Bytes read from the archive. */
  read: number;
  cancelled: boolean;
  ended: boolean;
  readonly done: Promise<void>;
  readonly resolve: () => void;
}

/**
 * Keeps the archives of one rolling file: compression and deletion by age, run after the
 * caller's work (never inside `write()`), one compression at a time.
 *
 * @example
 * ```ts
 * const keeper = new ArchiveKeeper("/var/log/audit.log", () => policy, NODE_FILE_SYSTEM, report, () => undefined);
 * keeper.schedule(); // after a rotation
 * await keeper.idle();
 * ```
 */
export class ArchiveKeeper {
  private job: Job | undefined;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  // The timer is a short wait (an archive settling, the lock busy) that idle() waits for, not the delay after a failure.
  private timerPending = false;
  private stopped = false;
  private startDone = false;
  private blockedUntil = 0;
  // Attempts in a row that found the lock busy: the pause between them doubles.
  private lockBusy = 0;
  private readonly waiters: Array<() => void> = [];
  /** Archives seen with a modification time in the future: what they were, and when (see {@link settledInFuture}). */
  private readonly futureSeen = new Map<number, { readonly size: number; readonly mtimeMs: number; readonly at: number }>();

  /**
   * @param update - told when an archive's files change (number, entry or undefined when gone),
   *   so the writer's cached list stays right.
   */
  constructor(
    private readonly path: string,
    private readonly policy: () => RotationPolicy,
    private readonly fs: WriterFileSystem,
    private readonly onFailure: (failure: WriterFailure) => void,
    private readonly update: (index: number, entry: ArchiveEntry | undefined) => void,
    private readonly onCompressed: () => void = () => undefined,
  ) {}

  /** Runs the maintenance soon (after the current call stack; once however often it is asked). */
  schedule(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.run();
      } catch (error) {
        // A bug must not reach the host; say it like a failed compression.
        this.onFailure({ operation: "compress", path: this.path, error: error as FileSystemError });
      }
      this.notifyIfIdle();
    });
  }

  /**
   * Lets maintenance run again after {@link stop} (the file was opened again): a new start,
   * which looks for left-overs again and retries a failed compression at once.
   */
  start(): void {
    this.stopped = false;
    this.startDone = false;
    this.blockedUntil = 0;
  }

  /** A rotation moved every archive up by one: so did the one being compressed. */
  shifted(): void {
    if (this.job !== undefined) this.job.index++;
  }

  /** Resolves once no compression runs and none is about to start (waits for retries no longer than their delay). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    // Someone waits for it: the short wait must keep the process alive meanwhile.
    this.timer?.ref();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once the compression running now (if any) has finished; starts no other. */
  async finishCurrent(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.job?.done;
  }

  /**
   * Stops: a compression in progress is abandoned and its temporary file deleted (the archive
   * stays uncompressed and is compressed after the next start). Synchronous, for process exit.
   */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.cancel();
  }

  /**
   * Abandons the compression in progress (its temporary file is deleted) and schedules the
   * maintenance again, which redoes it unless the process ends first. For process exit and
   * termination signals, which a host may survive.
   */
  cancel(): void {
    const job = this.job;
    if (job !== undefined) {
      job.cancelled = true;
      job.gzip.destroy();
      this.discard(job);
      this.endJob(job);
      this.schedule();
    }
    this.notifyIfIdle();
  }

  private isIdle(): boolean {
    return this.job === undefined && !this.scheduled && !(this.timer !== undefined && this.timerPending);
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private retryIn(ms: number, pending = true): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timerPending = pending;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
      this.notifyIfIdle();
    }, ms);
    // A process whose work is done need not wait for it (the next start catches up), unless
    // it asked to (idle()).
    if (!pending || this.waiters.length === 0) this.timer.unref();
  }

  /** The rotation lock, waited for at most 100 ms (this runs on the event loop). */
  private lock(): (() => void) | undefined {
    const lock = tryLock(`${this.path}.lock`, 100);
    if (typeof lock === "function") {
      this.lockBusy = 0;
      return lock;
    }
    // Said as the lock that could not be had (the message says nothing was compressed), not as an archive.
    if (this.lockBusy++ === 0 || (lock.code !== "ETIMEDOUT" && lock.code !== "EBUSY")) this.onFailure({ operation: "compress", path: `${this.path}.lock`, lock: true, error: Object.assign(new Error(lock.message), { code: lock.code }) });
    return undefined;
  }

  /** Deletes what processes killed while taking the rotation or chain lock left (`.lock.<token>.tmp`). */
  private removeLockLeftovers(): void {
    try {
      const names = this.fs.readdirSync(dirname(this.path));
      removeLockLeftovers(`${this.path}.lock`, names);
      removeLockLeftovers(`${this.path}.chain.lock`, names);
    } catch {
      // Tried again at the next start.
    }
  }

  private list(): ArchiveListing | undefined {
    try {
      return parseArchiveNames(this.path, this.fs.readdirSync(dirname(this.path)));
    } catch {
      return undefined;
    }
  }

  /** One round: left-overs of a crash, archives past their age, and the next compression. */
  private run(): void {
    if (this.stopped) return;
    const policy = this.policy();
    const maxAgeDays = policy.maxAgeDays ?? 0;
    const compress = policy.compress === true;
    // Left-overs of a crash are looked for once at start; afterwards only the features cost anything.
    if (this.startDone && maxAgeDays === 0 && !compress) return;
    if (!this.startDone) this.removeLockLeftovers();
    const first = this.list();
    if (first === undefined) return;
    const hasArchives = first.archives.size > 0;
    const duplicates = [...first.archives.values()].some((e) => e.plain && e.gz);
    const work =
      first.temporaries.length > 0 ||
      duplicates ||
      (hasArchives && maxAgeDays > 0) ||
      (compress && this.job === undefined && [...first.archives.values()].some((e) => e.plain && !e.gz));
    if (!work) {
      this.startDone = true;
      return;
    }
    // Always under the lock: another process may rotate this file even when none was announced.
    // Short: this runs on the event loop. Busy: try again later, less often each time.
    const release = this.lock();
    if (release === undefined) {
      this.retryIn(Math.min(250 * 2 ** this.lockBusy, LOCK_RETRY_MAX_MS), this.lockBusy <= 3);
      return;
    }
    try {
      const listing = this.list();
      if (listing === undefined) return;
      this.startDone = true;
      const claimed = this.removeTemporaries(listing.temporaries, policy.shared === true);
      this.resolveDuplicates(listing.archives);
      if (maxAgeDays > 0) this.expire(listing.archives, maxAgeDays);
      if (compress && this.job === undefined && !this.stopped) {
        if (Date.now() >= this.blockedUntil) this.startCompression(listing.archives, claimed, policy);
        else this.retryIn(this.blockedUntil - Date.now(), false);
      }
    } finally {
      release?.();
    }
  }

  /**
   * Deletes temporary files nobody works on: with one process every one but ours; with
   * several, those not written to for {@link STALE_COMPRESSION_MS}. Returns the inodes that
   * another process is compressing now.
   */
  private removeTemporaries(names: readonly string[], shared: boolean): Set<number> {
    const claimed = new Set<number>();
    const folder = dirname(this.path);
    for (const name of names) {
      const full = join(folder, name);
      if (this.job !== undefined && full === this.job.tmpPath) continue;
      const ino = Number(TEMPORARY_SUFFIX.exec(name.slice(basename(this.path).length + 1))?.[1]);
      try {
        if (shared && Date.now() - this.fs.statSync(full).mtimeMs < STALE_COMPRESSION_MS) {
          claimed.add(ino);
          continue;
        }
        this.fs.unlinkSync(full);
      } catch (error) {
        if ((error as FileSystemError).code !== "ENOENT") this.onFailure({ operation: "compress", path: full, error: error as FileSystemError });
      }
    }
    return claimed;
  }

  /**
   * Both `.N` and `.N.gz`: a crash came between renaming the finished `.gz` into place and
   * deleting the original. Exactly one complete copy is kept: when the `.gz` decompresses fully
   * to the very bytes of `.N`, the original goes; when it does not decompress (cut short: a
   * crash of the machine before its data reached the disk), the `.gz` goes and `.N` stays (it
   * is compressed again). Two complete files with different records under one number were not
   * made by this writer: both are kept, for verify to report.
   */
  private resolveDuplicates(archives: ArchiveMap): void {
    for (const [index, entry] of archives) {
      if (!entry.plain || !entry.gz) continue;
      const plain = archiveName(this.path, index, false);
      const gz = archiveName(this.path, index, true);
      try {
        const verdict = compareTwins(plain, gz, MAX_COMPARED_BYTES, this.fs);
        if (verdict === "damaged") {
          // Incomplete or damaged: the original is the complete copy.
          this.fs.unlinkSync(gz);
          entry.gz = false;
        } else if (verdict === "same") {
          this.fs.unlinkSync(plain);
          entry.plain = false;
        } else {
          // Larger than compared, or a complete file with other records (keep both).
          continue;
        }
        this.update(index, entry);
      } catch (error) {
        if ((error as FileSystemError).code !== "ENOENT") this.onFailure({ operation: "compress", path: plain, error: error as FileSystemError });
      }
    }
  }

  /** Deletes the archives (either kind) whose modification time is older than `days` days. */
  private expire(archives: ArchiveMap, days: number): void {
    const cutoff = Date.now() - days * DAY_MS;
    for (const [index, entry] of archives) {
      let changed = false;
      for (const gz of [false, true]) {
        if (!(gz ? entry.gz : entry.plain)) continue;
        const name = archiveName(this.path, index, gz);
        try {
          if (this.fs.statSync(name).mtimeMs >= cutoff) continue;
          this.fs.unlinkSync(name);
        } catch (error) {
          if ((error as FileSystemError).code !== "ENOENT") {
            this.onFailure({ operation: "expire", path: name, error: error as FileSystemError });
            continue;
          }
        }
        if (gz) entry.gz = false;
        else entry.plain = false;
        changed = true;
      }
      if (!changed) continue;
      if (!entry.plain && !entry.gz) archives.delete(index);
      this.update(index, archives.get(index));
    }
  }

  /**
   * Whether an archive modified "in the future" (a clock stepped back, a file restored with its
   * times) has stayed the same, size and time, for {@link SETTLE_MS} by this process's clock: its
   * time stamp cannot show the pause, and waiting for it would wait until then (an hour, a year).
   */
  private settledInFuture(stat: { readonly ino: number; readonly size: number; readonly mtimeMs: number }): boolean {
    const now = Date.now();
    if (stat.mtimeMs <= now) return false;
    const seen = this.futureSeen.get(stat.ino);
    if (seen === undefined || seen.size !== stat.size || seen.mtimeMs !== stat.mtimeMs) {
      if (this.futureSeen.size >= 64) this.futureSeen.clear();
      this.futureSeen.set(stat.ino, { size: stat.size, mtimeMs: stat.mtimeMs, at: now });
      return false;
    }
    return now - seen.at >= SETTLE_MS;
  }

  /** Claims and starts compressing the newest uncompressed archive nobody else is compressing. */
  private startCompression(archives: ArchiveMap, claimed: ReadonlySet<number>, policy: RotationPolicy): void {
    const candidates = [...archives].filter(([, e]) => e.plain && !e.gz).map(([i]) => i).sort((a, b) => a - b);
    let unsettled = false;
    for (const index of candidates) {
      const source = archiveName(this.path, index, false);
      let sourceFd = -1;
      let tmpFd = -1;
      let tmpPath = "";
      try {
        // No link, and a FIFO planted at the name neither blocks nor is compressed.
        sourceFd = openRegularFile(source, this.fs).fd;
        const stat = this.fs.fstatSync(sourceFd);
        if (claimed.has(stat.ino)) {
          this.fs.closeSync(sourceFd);
          continue;
        }
        if (Date.now() - stat.mtimeMs < SETTLE_MS && !this.settledInFuture(stat)) {
          unsettled = true;
          this.fs.closeSync(sourceFd);
          continue;
        }
        tmpPath = `${this.path}.inode-${stat.ino}.gz.tmp`;
        // Exclusive: two processes never write one temporary file.
        tmpFd = this.fs.openSync(tmpPath, TMP_FLAGS, stat.mode & 0o7777);
        // The archive's permissions, whatever the umask.
        this.fs.fchmodSync(tmpFd, stat.mode & 0o7777);
        this.run1(index, stat, sourceFd, tmpPath, tmpFd);
        return;
      } catch (error) {
        if (tmpFd >= 0) this.closeAndUnlink(tmpFd, tmpPath);
        if (sourceFd >= 0) this.closeQuietly(sourceFd);
        const code = (error as FileSystemError).code;
        if (code === "ENOENT" || code === "EEXIST") continue;
        this.fail(error as FileSystemError, tmpPath === "" ? source : tmpPath);
        return;
      }
    }
    if (unsettled) this.retryIn(SETTLE_MS);
  }

  private run1(index: number, stat: { readonly ino: number; readonly atimeMs: number; readonly mtimeMs: number }, sourceFd: number, tmpPath: string, tmpFd: number): void {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    // The deflating runs on libuv's thread pool; reads and writes are small and synchronous.
    const gzip = createGzip();
    const job: Job = { ino: stat.ino, index, sourceFd, tmpPath, tmpFd, gzip, atimeMs: stat.atimeMs, mtimeMs: stat.mtimeMs, read: 0, cancelled: false, ended: false, done, resolve };
    this.job = job;
    gzip.on("data", (chunk: Buffer) => {
      if (job.cancelled) return;
      try {
        this.writeAll(tmpFd, chunk);
      } catch (error) {
        this.abandon(job, error as FileSystemError, tmpPath);
      }
    });
    gzip.on("error", (error) => this.abandon(job, error as FileSystemError, tmpPath));
    gzip.on("end", () => this.complete(job, 0));
    const pump = (): void => {
      if (job.cancelled) return;
      try {
        for (;;) {
          const buffer = Buffer.allocUnsafe(READ_CHUNK);
          const n = this.fs.readSync(sourceFd, buffer, 0, READ_CHUNK, job.read);
          if (n === 0) {
            gzip.end();
            return;
          }
          job.read += n;
          if (!gzip.write(buffer.subarray(0, n))) {
            gzip.once("drain", pump);
            return;
          }
        }
      } catch (error) {
        this.abandon(job, error as FileSystemError, archiveName(this.path, job.index, false));
      }
    };
    pump();
  }

  private writeAll(fd: number, chunk: Uint8Array): void {
    let rest = chunk;
    while (rest.length > 0) {
      const n = this.fs.writeSync(fd, rest, null);
      if (n <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
      rest = rest.subarray(n);
    }
  }

  /** The stream is complete: make it durable, then swap it in for the archive in one step. */
  private complete(job: Job, attempt: number): void {
    if (job.cancelled) return;
    const policy = this.policy();
    if (attempt === 0) {
      try {
        if (policy.fsync !== undefined && policy.fsync !== "never") this.fs.fsyncSync(job.tmpFd);
        // The archive's age is that of its records, not of its compression.
        this.fs.futimesSync(job.tmpFd, job.atimeMs / 1000, job.mtimeMs / 1000);
      } catch (error) {
        this.abandon(job, error as FileSystemError, job.tmpPath);
        return;
      }
    }
    const release = this.lock();
    if (release === undefined) {
      if (attempt < 20 && !this.stopped) {
        setTimeout(() => this.complete(job, attempt + 1), Math.min(250 * 2 ** attempt, LOCK_RETRY_MAX_MS));
      } else {
        this.abandon(job, Object.assign(new Error("the rotation lock could not be taken in time"), { code: "ETIMEDOUT" }), job.tmpPath);
      }
      return;
    }
    let redo = false;
    try {
      const index = this.locate(job);
      if (index === undefined || !this.ownsTemporary(job)) {
        // Deleted meanwhile (count, age), or compressed by another process: nothing to do.
        this.discard(job);
      } else if (this.fs.fstatSync(job.sourceFd).size !== job.read) {
        // A record arrived after the read (several processes): compress it again, whole.
        this.discard(job);
        redo = true;
      } else {
        const target = archiveName(this.path, index, true);
        try {
          this.fs.renameSync(job.tmpPath, target);
        } catch (error) {
          this.discard(job);
          throw error;
        }
        this.update(index, { plain: true, gz: true });
        try {
          this.fs.unlinkSync(archiveName(this.path, index, false));
        } catch (error) {
          if ((error as FileSystemError).code !== "ENOENT") throw error;
        }
        this.update(index, { plain: false, gz: true });
        this.onCompressed();
      }
    } catch (error) {
      this.fail(error as FileSystemError, job.tmpPath);
    } finally {
      release?.();
    }
    this.endJob(job);
    if (redo) this.retryIn(SETTLE_MS);
    else this.schedule();
    this.notifyIfIdle();
  }

  /** The archive's number now: found by its inode, from the last known number upwards (rotations only raise it). */
  private locate(job: Job): number | undefined {
    const listing = this.list();
    if (listing === undefined) return undefined;
    const candidates = [...listing.archives].filter(([i, e]) => i >= job.index && e.plain).map(([i]) => i).sort((a, b) => a - b);
    for (const index of candidates) {
      try {
        if (this.fs.statSync(archiveName(this.path, index, false)).ino === job.ino) return index;
      } catch {
        // Gone meanwhile.
      }
    }
    return undefined;
  }

  /** Whether the temporary path is still our file (another process may have taken over a stalled one). */
  private ownsTemporary(job: Job): boolean {
    try {
      return this.fs.statSync(job.tmpPath).ino === this.fs.fstatSync(job.tmpFd).ino;
    } catch {
      return false;
    }
  }

  /** A failure while compressing: the archive stays uncompressed; the next attempt waits. */
  private abandon(job: Job, error: FileSystemError, path: string): void {
    if (job.cancelled) return;
    job.cancelled = true;
    job.gzip.destroy();
    this.discard(job);
    this.endJob(job);
    this.fail(error, path);
    this.notifyIfIdle();
  }

  private fail(error: FileSystemError, path: string): void {
    this.blockedUntil = Date.now() + COMPRESS_RETRY_MS;
    this.onFailure({ operation: "compress", path, error });
  }

  /** Deletes the job's temporary file if it is still ours, and closes its descriptors. */
  private discard(job: Job): void {
    if (this.ownsTemporary(job)) {
      try {
        this.fs.unlinkSync(job.tmpPath);
      } catch {
        // Deleted at the next start.
      }
    }
  }

  private endJob(job: Job): void {
    if (job.ended) return;
    job.ended = true;
    this.closeQuietly(job.tmpFd);
    this.closeQuietly(job.sourceFd);
    if (this.job === job) this.job = undefined;
    job.resolve();
  }

  private closeAndUnlink(fd: number, path: string): void {
    this.closeQuietly(fd);
    try {
      this.fs.unlinkSync(path);
    } catch {
      // Deleted at the next start.
    }
  }

  private closeQuietly(fd: number): void {
    try {
      this.fs.closeSync(fd);
    } catch {
      // Gone either way.
    }
  }
}
