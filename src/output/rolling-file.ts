/**
 * A size-rotated file written synchronously: when `write()` returns, the bytes are in the
 * operating system (a SIGKILL right after loses nothing). Rotation renames `file` to `file.1`,
 * `file.1` to `file.2` … and deletes what would pass `file.N`; it happens before a record that
 * would push the active file past the size limit, so a record is never split and every file
 * stays at or under the limit unless one record alone is larger.
 *
 * The file is one cohesive thing and stays one file: the writer's state (descriptor, size,
 * inode, the records since the last path check, the shared-writer protocol, the rotation lock
 * and its back-off) is read and changed by every method, and each guarantee above is the
 * interplay of several of them. What can stand alone is apart: the file-system seam
 * (`file-system.ts`), the lock (`file-lock.ts`), how archives are shifted (`rotation.ts`),
 * archive names (`logfile/names.ts`) and archive keeping (`archives.ts`).
 */
import * as nodeFs from "node:fs";
import { basename, dirname } from "node:path";
import { describeType, tryLock, type LockRefusal } from "./file-lock.js";
import { NODE_FILE_SYSTEM, type FileSystemError, type RotationPolicy, type WriterFailure, type WriterFileSystem } from "./file-system.js";
import { ArchiveKeeper } from "./archives.js";
import { lowestFreeNumber, shiftArchives } from "./rotation.js";
import { parseArchiveNames, type ArchiveEntry, type ArchiveListing, type ArchiveMap } from "../logfile/names.js";

export { NODE_FILE_SYSTEM, type FileSystemError, type RotationPolicy, type WriterFailure, type WriterFileSystem } from "./file-system.js";

/** Counters of a writer. */
export interface WriterStats {
  /** Records fully written. */
  written: number;
  /** Bytes written. */
  bytes: number;
  /** Rotations done. */
  rotations: number;
  /** Archives this writer compressed (`file.compress`). */
  compressed: number;
  /** Records that could not be written. */
  failed: number;
  /** Times the rotation lock could not be had within {@link LOCK_WAIT_MS} (each followed by {@link LOCK_BACKOFF_MS} without a wait). */
  lockTimeouts: number;
  /**
   * Records near the size limit of a shared file written without the lock because the other
   * writers took it one after another for the whole {@link LOCK_WAIT_MS} (no back-off follows).
   */
  lockContended: number;
  /** Interrupted rotations finished at start (a `.rotating` adopted as `.1`, the numbering closed). */
  recovered: number;
}

/** Mode of new files: read and write for the owner, read for the group, nothing for others. */
export const FILE_MODE = 0o640;
/** Mode of folders the writer creates. */
export const DIRECTORY_MODE = 0o750;

/** After a rotation failed, how long the file grows before the next attempt. */
export const ROTATION_RETRY_MS = 60_000;

/** How often the writer checks that its path still names the file it writes. */
export const PATH_CHECK_INTERVAL_MS = 1000;
/**
 * …and after this share of `maxSize` written by this process (1/64: 32 KiB of a 2 MiB file,
 * every record of a 4 KiB one): the check also shows bytes another process wrote, so a writer
 * that was not told about other writers finds out before a file passes its size by more.
 */
export const PATH_CHECK_SHARE = 64;
/**
 * A record that comes more than this many milliseconds after the previous one (this process was
 * idle, or descheduled, perhaps in the middle of that write) checks the path first: the other
 * writers may have filled or rotated the file meanwhile. A process writing steadily never pays
 * it; one writing less than a few hundred records a second pays one `fstat` and one `stat` per
 * record, which at that rate costs nothing measurable.
 */
export const PAUSE_CHECK_MS = 2;
/** How long the writer waits for the rotation lock inside `log()` before it gives up. */
export const LOCK_WAIT_MS = 2000;
/** After the lock could not be had, how long no rotation is tried (the file grows meanwhile). */
export const LOCK_BACKOFF_MS = 30_000;
/**
 * In the shared protocol, a record that would bring the file within this many bytes of
 * `maxSize` is written under the lock file (see {@link RollingFileWriter}'s `writeLocked`):
 * the last 64 KiB of the file (3 % of the default 2 MiB), every record of a file of 64 KiB or
 * less. Writes before that take no lock; one lands past `maxSize` only if its process stalls
 * between its `stat` and its `write` while the others write this many bytes. (A quarter of a
 * 4 KiB file was measured too small: on two busy cores a process is often descheduled for a
 * few milliseconds right there, and the others write a kilobyte meanwhile.)
 *
 * @example
 * ```ts
 * lockedMargin(2 * 1024 * 1024); // 65536
 * lockedMargin(4096); // 4096: every record under the lock
 * ```
 */
export function lockedMargin(maxSize: number): number {
  return Math.min(maxSize, 64 * 1024);
}
/**
 * A process that has not seen another writer checks the path before every record in the last
 * this many bytes of the file (1/16 of it, at most 64 KiB): its own count lags behind the real
 * size by what the others wrote since its last check (every 1/64 of the file), and this zone
 * lets it notice them before that lag takes the file past its size.
 */
function checkMargin(maxSize: number): number {
  return Math.min(Math.floor(maxSize / 16), 64 * 1024);
}
/** A batch (batched durability) that starts this close to the margin checks the path first (a batch is usually far smaller). */
const BATCH_LOOK_AHEAD = 64 * 1024;
/** Longest pause between two attempts at the lock for a write near the limit (it is held for a few system calls). */
export const LOCK_POLL_WRITE_MS = 1;
/** Deepest folder chain the writer creates for `file.location`. */
const MAX_FOLDER_DEPTH = 64;
/** …and after at most this many records, which are kept until the check to be written again if the file was deleted. */
export const PATH_CHECK_RECORDS = 1000;

// O_NOFOLLOW: never through a symbolic link; O_NONBLOCK: a FIFO or device put at the path
// cannot block the open (the type is checked right after, and a regular file ignores the flag).
const OPEN_FLAGS = nodeFs.constants.O_WRONLY | nodeFs.constants.O_APPEND | nodeFs.constants.O_CREAT | (nodeFs.constants.O_NOFOLLOW ?? 0) | (nodeFs.constants.O_NONBLOCK ?? 0);
const S_IFMT = nodeFs.constants.S_IFMT;
const S_IFREG = nodeFs.constants.S_IFREG;

/**
 * The error code of a path that holds something other than a regular file (a FIFO, a socket,
 * a device): the writer refuses it, with a message that says what is there.
 */
export const NOT_A_REGULAR_FILE = "EFTYPE";

/** What a file's mode says it is, for messages. */
function typeOfMode(mode: number): string {
  const type = mode & S_IFMT;
  return describeType({
    isFile: () => type === S_IFREG,
    isDirectory: () => type === nodeFs.constants.S_IFDIR,
    isFIFO: () => type === nodeFs.constants.S_IFIFO,
    isSocket: () => type === nodeFs.constants.S_IFSOCK,
    isCharacterDevice: () => type === nodeFs.constants.S_IFCHR,
    isBlockDevice: () => type === nodeFs.constants.S_IFBLK,
    isSymbolicLink: () => type === nodeFs.constants.S_IFLNK,
  });
}

function notRegular(path: string, what: string): FileSystemError {
  return Object.assign(new Error(`${path} is ${what}, not a regular file; the audit file is never a FIFO, socket or device`), { code: NOT_A_REGULAR_FILE });
}

/**
 * Creates the folders of `dir` that are missing, one `mkdir` each, at most
 * {@link MAX_FOLDER_DEPTH} of them. (Node's recursive mkdir loops for ever on a path under
 * `/proc`: procfs answers ENOENT to `mkdir /proc/nope`, which Node reads as "the parent is
 * missing", creates the parent (EEXIST) and tries the child again, for ever.)
 *
 * @example
 * ```ts
 * makeFolders(NODE_FILE_SYSTEM, "/var/spool/app/siem");
 * ```
 */
export function makeFolders(fs: WriterFileSystem, dir: string): void {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    try {
      fs.statSync(current);
      break;
    } catch (error) {
      if ((error as FileSystemError).code !== "ENOENT") throw error;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current || missing.length > MAX_FOLDER_DEPTH) break;
    current = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    const folder = missing[i] as string;
    try {
      fs.mkdirSync(folder, { recursive: false, mode: DIRECTORY_MODE });
    } catch (error) {
      const e = error as FileSystemError;
      if (e.code === "EEXIST") continue;
      throw Object.assign(new Error(`cannot create the folder ${folder}: ${e.message}`), { code: e.code });
    }
  }
}

/**
 * The writer of one active file and its archives.
 *
 * @example
 * ```ts
 * const writer = new RollingFileWriter("/var/log/audit.log", { maxSize: 2097152, maxArchives: 99 });
 * writer.write("ox.login, login=thorben\n");
 * writer.close();
 * ```
 */
export class RollingFileWriter {
  /** Counters since the writer was created. */
  readonly stats: WriterStats = { written: 0, bytes: 0, rotations: 0, compressed: 0, failed: 0, lockTimeouts: 0, lockContended: 0, recovered: 0 };
  private fd = -1;
  private size = 0;
  private ino = 0;
  private nextPathCheck = 0;
  // The size at which the next check is due (PATH_CHECK_SHARE).
  private checkAtSize = 0;
  // When the last record was begun (Date.now()): a longer pause before the next makes it check the path.
  private lastWriteAt = 0;
  // Another process was seen writing this file: the shared protocol from then on.
  private sharedSeen = false;
  private keeperPolicy: RotationPolicy;
  // The archives present after our last rotation (undefined: list the folder).
  private archives: ArchiveMap | undefined;
  // After a failed rotation, the next attempt waits until then.
  private rotationBlockedUntil = 0;
  /** When a locked write last found the lock changing hands all through its wait (EBUSY). */
  private lastContended = -Infinity;
  // Records written since the last check, to write again if the file turns out to be deleted.
  private readonly sinceCheck: string[] = [];
  // Records of a deleted file still to be written again (they go before any new record).
  private readonly rewrite: string[] = [];
  private policy: RotationPolicy;
  private readonly keeper: ArchiveKeeper;
  // The keeper runs once when the file is first opened (and after a close), then after rotations.
  private keeperStartPending = true;
  // The permission bits of the active file as last seen (opened, or looked at under the lock): the next file gets them.
  private modeSeen: number | undefined;

  /**
   * @param path - the active file.
   * @param onFailure - called for every failed operation (the caller rate-limits reports).
   */
  constructor(
    readonly path: string,
    policy: RotationPolicy,
    private readonly onFailure: (failure: WriterFailure) => void = () => undefined,
    private readonly fs: WriterFileSystem = NODE_FILE_SYSTEM,
    private readonly onNotice: (code: "FILE_SHARED" | "ROTATION_RECOVERED", message: string) => void = () => undefined,
  ) {
    this.policy = policy;
    this.keeperPolicy = policy;
    this.keeper = new ArchiveKeeper(path, () => this.keeperPolicy, fs, (failure) => onFailure(failure), (index, entry) => this.archiveChanged(index, entry), () => this.stats.compressed++);
  }

  /**
   * Whether this writer follows the several-processes protocol: because the policy says so
   * (`file.multiprocess`), or because it saw another process write the file (the file grew by
   * bytes this process did not write), which it checks every {@link PATH_CHECK_INTERVAL_MS},
   * every `maxSize / PATH_CHECK_SHARE` bytes and before every rotation.
   */
  get shared(): boolean {
    return this.policy.shared === true || this.sharedSeen;
  }

  /** Whether the active file is open. */
  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /**
   * Changes size, count, compression and age without reopening; takes effect from the next
   * record (compression and the age limit at once, after the caller's work).
   */
  setPolicy(policy: RotationPolicy): void {
    this.policy = policy;
    this.keeperPolicy = this.sharedSeen && policy.shared !== true ? { ...policy, shared: true } : policy;
    this.checkAtSize = Math.min(this.checkAtSize, this.size + this.checkEvery());
    if (this.fd >= 0) this.keeper.schedule();
  }

  /**
   * Resolves once no archive is being compressed and none waits for it (a failed compression
   * is not retried before its delay). The records are unaffected: they are in the operating
   * system when `write()` returns.
   */
  compressionIdle(): Promise<void> {
    return this.keeper.idle();
  }

  /** Resolves once the compression in progress (if any) is done, starting no other until the writer is closed and opened again. */
  finishCompression(): Promise<void> {
    return this.keeper.finishCurrent();
  }

  /** Abandons a compression in progress now and deletes its temporary file (process exit). */
  abortCompression(): void {
    this.keeper.cancel();
  }

  private archiveChanged(index: number, entry: ArchiveEntry | undefined): void {
    if (this.archives === undefined) return;
    if (entry === undefined) this.archives.delete(index);
    else this.archives.set(index, { ...entry });
  }

  /** Opens the active file now (creating folders); returns false and reports on failure. */
  open(): boolean {
    const error = this.tryOpen();
    if (error !== undefined) {
      this.onFailure({ operation: "open", path: this.path, error });
      return false;
    }
    return true;
  }

  /** Opens the active file now without reporting; returns the error, if any. */
  tryOpen(): FileSystemError | undefined {
    if (this.fd >= 0) return undefined;
    try {
      try {
        this.fd = this.fs.openSync(this.path, OPEN_FLAGS, FILE_MODE);
      } catch (error) {
        const code = (error as FileSystemError).code;
        // ENXIO: a FIFO without a reader, or a socket (O_NONBLOCK makes the open fail, not wait).
        if (code === "ENXIO") throw notRegular(this.path, this.describePath());
        if (code !== "ENOENT") throw error;
        // A folder is missing (the first open, or the folder was removed): create it, open again.
        // (Looked for only then: a reopen after a rotation finds its folder.)
        makeFolders(this.fs, dirname(this.path));
        this.fd = this.fs.openSync(this.path, OPEN_FLAGS, FILE_MODE);
      }
      const stat = this.fs.fstatSync(this.fd);
      if ((stat.mode & S_IFMT) !== S_IFREG) throw notRegular(this.path, typeOfMode(stat.mode));
      this.size = stat.size;
      this.ino = stat.ino;
      this.modeSeen = stat.mode & 0o7777;
      this.nextPathCheck = Date.now() + PATH_CHECK_INTERVAL_MS;
      // The first record checks (the first may come long after the open: another process may
      // have written, or rotated this file away, meanwhile).
      this.checkAtSize = this.size;
      // Left-overs of a crash, archives past their age, archives to compress: after this call.
      if (this.keeperStartPending) {
        // An interrupted rotation is finished now, before anything is written or read back
        // (the integrity chain resumes from the newest file).
        this.recoverRotation(true);
        this.keeperStartPending = false;
        this.keeper.start();
        this.keeper.schedule();
      }
      return undefined;
    } catch (error) {
      this.closeQuietly();
      return error as FileSystemError;
    }
  }

  /**
   * Bytes that may still be written to the active file before a record would make it rotate;
   * `Infinity` when this writer will not rotate before the next record anyway (several
   * processes share the file, the file is empty or not open, or rotation failed recently). The
   * integrity chain uses it to close a file with a checkpoint before the rotation.
   */
  roomBeforeRotation(): number {
    if (this.shared || this.fd < 0 || this.size === 0 || Date.now() < this.rotationBlockedUntil) return Infinity;
    return this.policy.maxSize - this.size;
  }

  /**
   * Writes one record (a whole line) with one system call, rotating first when it would not
   * fit (unless `mayRotate` is false: a file's closing checkpoint goes into that file). Returns
   * true when every byte reached the operating system. Never throws.
   */
  write(line: string, mayRotate = true): boolean {
    if (this.fd < 0 && !this.open()) {
      this.stats.failed++;
      return false;
    }
    if (this.policy.shared === true || this.sharedSeen) {
      return this.writeShared(line);
    }
    const now = Date.now();
    const previous = this.lastWriteAt;
    this.lastWriteAt = now;
    // Look at the path before writing: periodically; after a pause since the previous record (this
    // process descheduled, even inside that write, or simply idle: the others may have written or
    // rotated meanwhile); and near the limit (an upper bound of the record's bytes: no count here),
    // a check per record.
    if (
      this.size >= this.checkAtSize ||
      this.sinceCheck.length >= PATH_CHECK_RECORDS ||
      now >= this.nextPathCheck ||
      now - previous > PAUSE_CHECK_MS ||
      this.size + line.length * 3 > this.policy.maxSize - checkMargin(this.policy.maxSize)
    ) {
      this.checkPath();
      if (this.fd < 0 && !this.open()) {
        this.stats.failed++;
        return false;
      }
    }
    if (this.rewrite.length > 0 && !this.writeRewrites()) {
      this.stats.failed++;
      return false;
    }
    // The check just showed another process writing this file: its protocol from this record on.
    if (this.sharedSeen) return this.writeShared(line);
    return this.append(line, false, mayRotate);
  }

  /**
   * The several-processes path: one `stat` of the path per record gives the real size (the
   * other processes append too) and shows a rotation done by another process, which is then
   * followed by reopening the path. Rotation itself happens under the lock file, after checking
   * again that it is still needed, so it is done once whichever process gets there first.
   */
  private writeShared(line: string): boolean {
    let stat: { readonly ino: number; readonly size: number } | undefined;
    try {
      stat = this.fs.statSync(this.path);
    } catch {
      stat = undefined;
    }
    if (stat === undefined || stat.ino !== this.ino) {
      this.closeQuietly();
      if (!this.open()) {
        this.stats.failed++;
        return false;
      }
    } else {
      this.size = stat.size;
    }
    const bytes = Buffer.byteLength(line);
    // Near the limit, under the lock: the others may be writing their last records too.
    if (this.size + bytes > this.policy.maxSize - lockedMargin(this.policy.maxSize) && Date.now() >= this.rotationBlockedUntil) {
      return this.writeLocked(line, bytes);
    }
    return this.append(line, false, false);
  }

  /**
   * Writes one record of a shared file near its size limit, under the lock file: a fresh look
   * at the path (following a rotation done by another process), a rotation when the record no
   * longer fits, the write, the release. The processes that write near the limit take turns,
   * so each decides from the real size, and the file passes `maxSize` by at most one record.
   * The lock is held for a few system calls; when it cannot be had (a foreign or stuck lock,
   * see {@link lockRotation}), the record is written all the same.
   */
  private writeLocked(line: string, bytes: number): boolean {
    const lock = tryLock(`${this.path}.lock`, LOCK_WAIT_MS, undefined, LOCK_POLL_WRITE_MS);
    if (typeof lock !== "function") {
      // The other writers kept taking it: no stuck lock, so no back-off; this one record goes
      // without it, after a fresh look at the path. But only once per back-off period: whoever
      // can write the folder can also make a lock seem to change hands (rewrite it with other
      // live pids), and must not cost every record a wait.
      if (lock.code === "EBUSY" && Date.now() - this.lastContended >= LOCK_BACKOFF_MS) {
        this.lastContended = Date.now();
        this.stats.lockContended++;
        this.onFailure({
          operation: "rotate",
          path: this.path,
          lock: true,
          error: Object.assign(new Error(`${lock.message}; the record was written without it and may take the file past its size`), { code: lock.code }),
        });
        if (!this.followPath()) {
          this.stats.failed++;
          return false;
        }
      } else {
        this.lockRefused(lock);
      }
      return this.append(line, false, false);
    }
    const release = lock;
    try {
      if (!this.followPath()) {
        this.stats.failed++;
        return false;
      }
      if (this.size > 0 && this.size + bytes > this.policy.maxSize) {
        this.rotateNow();
        if (this.fd < 0 && !this.open()) {
          this.stats.failed++;
          return false;
        }
      }
      return this.append(line, false, false);
    } finally {
      release();
    }
  }

  /**
   * Looks at the path again (under the lock): when it names another file (rotated by another
   * process, or moved away), this writer closes its file and opens the path; otherwise it takes
   * the real size. Returns false when the path could not be opened (reported).
   */
  private followPath(): boolean {
    let now: { readonly ino: number; readonly size: number; readonly mode?: number } | undefined;
    try {
      now = this.fs.statSync(this.path);
    } catch {
      now = undefined;
    }
    if (now === undefined || now.ino !== this.ino || this.fd < 0) {
      this.closeQuietly();
      this.archives = undefined;
      this.sinceCheck.length = 0;
      return this.open();
    }
    if (now.size > this.size && !this.shared) this.noteOtherWriter(now.size - this.size);
    this.size = now.size;
    this.modeSeen = now.mode === undefined ? undefined : now.mode & 0o7777;
    return true;
  }

  /** Rotates if needed, then writes one record with one system call (a short write is completed). */
  private append(line: string, again: boolean, mayRotate = true): boolean {
    // The exact byte count, also to recognise a short write (which only a full disk causes).
    const bytes = Buffer.byteLength(line);
    if (mayRotate && this.size > 0 && this.size + bytes > this.policy.maxSize) {
      // Before the records since the last check go into an archive, make sure the file is still there.
      if (!this.shared && !again) {
        this.checkPath();
        if ((this.fd < 0 && !this.open()) || (this.rewrite.length > 0 && !this.writeRewrites())) {
          this.stats.failed++;
          return false;
        }
      }
      // A failed rotation is reported by rotate(); the record is written all the same.
      if (this.size > 0 && this.size + bytes > this.policy.maxSize && Date.now() >= this.rotationBlockedUntil) this.rotateLocked(bytes);
      if (this.fd < 0 && !this.open()) {
        this.stats.failed++;
        return false;
      }
    }
    if (this.writeWhole(line, bytes) < 0) return false;
    {
      this.size += bytes;
      if (!again) {
        this.stats.written++;
        this.stats.bytes += bytes;
      }
      if (this.policy.fsync === "always") this.sync();
      if (!this.shared) this.sinceCheck.push(line);
      return true;
    }
  }

  /**
   * Writes `text` with one system call, completing a short write, and returns its length in
   * bytes (`knownBytes` when the caller counted them, -1 when not), or -1 on failure. On failure
   * nothing of it stays in the file: a part already written (a disk that filled up half-way) is
   * cut off again, so a retry never leaves a torn record behind (not in shared mode, where
   * other processes append too).
   */
  private writeWhole(text: string, knownBytes: number): number {
    let written = 0;
    try {
      written = this.fs.writeSync(this.fd, text, null);
      const bytes = knownBytes >= 0 ? knownBytes : Buffer.byteLength(text);
      if (written < bytes) {
        let rest = Buffer.from(text).subarray(written);
        while (rest.length > 0) {
          const n = this.fs.writeSync(this.fd, rest, null);
          if (n <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
          written += n;
          rest = rest.subarray(n);
        }
      }
      return bytes;
    } catch (error) {
      if (written > 0 && !this.shared) {
        try {
          // Only what this write added: the file must have grown by exactly that since.
          if (this.fs.fstatSync(this.fd).size === this.size + written) this.fs.ftruncateSync(this.fd, this.size);
        } catch {
          // The descriptor is unusable; the reopen below starts clean or fails again.
        }
      }
      this.stats.failed++;
      this.onFailure({ operation: "write", path: this.path, error: error as FileSystemError });
      // Reopen on the next record: the file may have been removed or the descriptor broken.
      this.closeQuietly();
      return -1;
    }
  }

  /**
   * Batched durability: writes `lines[start..end)` in as few system calls as the rotation
   * allows (one per file), never splitting a record across files. Returns how many were written.
   */
  writeMany(lines: readonly string[], start: number, end: number): number {
    const now = Date.now();
    const previous = this.lastWriteAt;
    this.lastWriteAt = now;
    // The checks of write(), a batch standing for a record: periodically, and after a pause
    // since the previous write (another process may have written or rotated meanwhile).
    if (
      this.fd >= 0 &&
      !this.shared &&
      (this.size >= this.checkAtSize || this.sinceCheck.length >= PATH_CHECK_RECORDS || now >= this.nextPathCheck || now - previous > PAUSE_CHECK_MS)
    ) {
      this.checkPath();
    } else if (this.fd >= 0 && !this.shared && this.size > this.policy.maxSize - checkMargin(this.policy.maxSize) - BATCH_LOOK_AHEAD) {
      // Near the limit, one check per batch (see write()).
      this.checkPath();
    }
    if (this.shared) {
      let i = start;
      while (i < end && this.write(lines[i] as string)) i++;
      return i - start;
    }
    if (this.fd < 0 && !this.open()) return 0;
    if (this.rewrite.length > 0 && !this.writeRewrites()) return 0;
    let done = start;
    let rotationFailed = false;
    while (done < end) {
      let chunk = "";
      // Bytes of the chunk: counted exactly only near the size limit; until then an upper bound
      // (3 bytes per UTF-16 code unit) shows that everything fits.
      let chunkBytes = 0;
      let exact = false;
      let i = done;
      for (; i < end; i++) {
        const line = lines[i] as string;
        if (!exact && this.size + chunkBytes + line.length * 3 > this.policy.maxSize) {
          chunkBytes = Buffer.byteLength(chunk);
          exact = true;
        }
        const bytes = exact ? Buffer.byteLength(line) : line.length * 3;
        const filled = this.size + chunkBytes;
        if (exact && filled > 0 && filled + bytes > this.policy.maxSize && !rotationFailed) {
          if (chunk === "") {
            if (!this.rotateLocked(bytes)) {
              // The file goes on growing (reported); do not try again for this batch.
              rotationFailed = true;
            } else if (this.fd < 0 && !this.open()) {
              return done - start;
            }
            // Another process was seen writing the file: write the rest its way.
            if (this.shared) {
              let k = done;
              while (k < end && this.write(lines[k] as string)) k++;
              return k - start;
            }
            exact = false;
            chunkBytes = 0;
            i--;
            continue;
          }
          break;
        }
        chunk += line;
        chunkBytes += bytes;
      }
      // One exact count per chunk (64 KiB), not one per record.
      if (!exact) chunkBytes = Buffer.byteLength(chunk);
      if (this.writeWhole(chunk, chunkBytes) < 0) return done - start;
      this.size += chunkBytes;
      this.stats.written += i - done;
      this.stats.bytes += chunkBytes;
      if (this.policy.fsync === "always") this.sync();
      for (let k = done; k < i; k++) this.sinceCheck.push(lines[k] as string);
      done = i;
    }
    return done - start;
  }

  /**
   * Notices an active file that was deleted (folder removed too) or moved away (an external
   * logrotate), and reopens the path, as sonic-boom's `reopen()` does. It runs once a second or
   * every {@link PATH_CHECK_RECORDS} records, so it adds no system call per record. Records
   * written since the last check went to the moved file (kept there) or to the deleted one:
   * those are written again to the new file, so nothing is lost either way.
   */
  checkPath(): void {
    this.nextPathCheck = Date.now() + PATH_CHECK_INTERVAL_MS;
    this.checkAtSize = this.size + this.checkEvery();
    if (this.fd < 0) return;
    let deleted: boolean;
    try {
      const stat = this.fs.fstatSync(this.fd);
      deleted = stat.nlink === 0;
      // Bytes this process did not write: another process appends to the file too.
      if (stat.size > this.size && !this.shared) this.noteOtherWriter(stat.size - this.size);
      // Cut by someone else (copytruncate): count from what is there.
      if (stat.size < this.size) this.size = stat.size;
      this.checkAtSize = this.size + this.checkEvery();
    } catch {
      deleted = true;
    }
    let moved = false;
    let pathExists = true;
    try {
      moved = this.fs.statSync(this.path).ino !== this.ino;
    } catch {
      moved = true;
      pathExists = false;
    }
    if (!deleted && !moved) {
      this.sinceCheck.length = 0;
      return;
    }
    // Records written since the last check are in a file nobody can reach any more only when
    // the file is gone and nothing took its place. A file moved away and then deleted (a
    // logrotate that compresses at once) looks the same when no new file was created: then the
    // records are written again, once more rather than never.
    if (deleted && !pathExists) this.rewrite.push(...this.sinceCheck);
    this.sinceCheck.length = 0;
    // Someone changed the files: list the folder again at the next rotation.
    this.archives = undefined;
    this.closeQuietly();
    this.open();
  }

  /** Writes the records of a deleted file again, first thing in the new file. */
  private writeRewrites(): boolean {
    while (this.rewrite.length > 0) {
      if (!this.append(this.rewrite[0] as string, true)) return false;
      this.rewrite.shift();
    }
    return true;
  }


  /** Bytes written between two checks of the path: a share of the size limit. */
  private checkEvery(): number {
    return Math.max(1, Math.floor(this.policy.maxSize / PATH_CHECK_SHARE));
  }

  /** Another process writes this file: switch to the shared protocol for good, and say so once. */
  private noteOtherWriter(foreignBytes: number): void {
    if (this.sharedSeen) return;
    this.sharedSeen = true;
    this.keeperPolicy = { ...this.policy, shared: true };
    this.archives = undefined;
    this.onNotice(
      "FILE_SHARED",
      `another process writes ${this.path} too (it grew by ${foreignBytes} bytes this process did not write): this process now follows the several-processes protocol (one stat per record, rotation under ${this.path}.lock); set file.multiprocess=true to start with it`,
    );
  }

  /** What is at the path now, for a message (the open failed without saying). */
  private describePath(): string {
    try {
      return typeOfMode(nodeFs.lstatSync(this.path).mode);
    } catch {
      return "not a regular file";
    }
  }

  /**
   * Takes the rotation lock within {@link LOCK_WAIT_MS}. When it cannot be had, no rotation is
   * tried for {@link LOCK_BACKOFF_MS} (the file grows past its size meanwhile, nothing is lost),
   * and that is reported: a lock kept by someone else never costs every record a wait.
   */
  private lockRotation(wait = LOCK_WAIT_MS, pollMs?: number): (() => void) | undefined {
    const lock = tryLock(`${this.path}.lock`, wait, undefined, pollMs);
    if (typeof lock === "function") return lock;
    this.lockRefused(lock);
    return undefined;
  }

  /** A lock that could not be had: no rotation (and no locked write) for {@link LOCK_BACKOFF_MS}, reported. */
  private lockRefused(lock: LockRefusal): void {
    this.stats.lockTimeouts++;
    this.rotationBlockedUntil = Date.now() + LOCK_BACKOFF_MS;
    this.onFailure({
      operation: "rotate",
      path: this.path,
      lock: true,
      error: Object.assign(new Error(`${lock.message}; no rotation for ${LOCK_BACKOFF_MS / 1000} s, the file grows past its size meanwhile`), { code: lock.code }),
    });
  }

  /**
   * Rotates under the lock file, after checking again that it is due: the path still names
   * this writer's file (else another process rotated it: this writer follows), and, when
   * `needed` is given, the next record of that many bytes still does not fit in the real size.
   * Any process may write the file meanwhile: this is what makes rotation safe whether or not
   * the others were configured for it. Returns true when the writer is ready for the record
   * (rotated, or followed a rotation done by another).
   */
  private rotateLocked(needed: number | undefined): boolean {
    if (Date.now() < this.rotationBlockedUntil) return false;
    const release = this.lockRotation();
    if (release === undefined) return false;
    try {
      const ino = this.ino;
      // Rotated by another process (or moved away by an external logrotate): follow it.
      if (!this.followPath()) return false;
      if (this.ino !== ino) return true;
      if (needed !== undefined && !(this.size > 0 && this.size + needed > this.policy.maxSize)) return true;
      return this.rotateNow();
    } finally {
      release();
    }
  }

  /**
   * Rotates now, under the lock file (see {@link rotateLocked}). The active file is first
   * renamed aside (`file.rotating`): when that fails (a file that may only be appended to, a
   * bind mount), nothing else is touched, the failure is reported, the file goes on growing and
   * no rotation is tried again for a minute. Only then are the archives shifted and the oldest
   * deleted, and the file becomes `file.1`. A `file.rotating` left by a crash in between is
   * finished first. Returns whether the writer is ready for the next record in a fresh file.
   */
  rotate(): boolean {
    return this.rotateLocked(undefined);
  }

  private rotateNow(): boolean {
    if (this.policy.fsync !== undefined && this.policy.fsync !== "never") this.sync();
    // The new active file gets the permissions the operator gave the old one (archives keep
    // theirs: they are renamed): as the look under the lock that precedes every rotation saw
    // them (followPath), or the open after it.
    let mode: number | undefined;
    try {
      mode = this.fd < 0 ? undefined : (this.modeSeen ?? this.fs.fstatSync(this.fd).mode & 0o7777);
    } catch {
      mode = undefined;
    }
    const aside = `${this.path}.rotating`;
    if (this.shared) this.archives = undefined;
    let listed = this.archives === undefined ? this.listArchives() : undefined;
    try {
      if (listed?.rotating === true) {
        this.recoverRotation(false, listed);
        listed = this.listArchives();
      }
      this.fs.renameSync(this.path, aside);
    } catch (error) {
      this.rotationBlockedUntil = Date.now() + ROTATION_RETRY_MS;
      this.onFailure({ operation: "rotate", path: this.path, error: error as FileSystemError });
      return false;
    }
    this.closeQuietly();
    // What was written so far is safe in the archive now: never write it again.
    this.sinceCheck.length = 0;
    try {
      this.archives = this.finishRotation(aside, this.archives ?? listed?.archives ?? new Map());
      this.stats.rotations++;
      if (this.shared) this.archives = undefined;
      if (this.policy.compress === true || (this.policy.maxAgeDays ?? 0) > 0) this.keeper.schedule();
    } catch (error) {
      this.archives = undefined;
      this.onFailure({ operation: "rotate", path: this.path, error: error as FileSystemError });
    }
    if (!this.open()) return true;
    // Opened under the lock by this rotation, for the record at hand (no pause since): that
    // record need not look at the path again, as it would after other opens; the usual checks
    // (a share of the size, once a second, after a pause, near the limit) still follow.
    this.checkAtSize = this.size + this.checkEvery();
    if (mode !== undefined && mode !== FILE_MODE && this.size === 0) {
      try {
        this.fs.fchmodSync(this.fd, mode);
        this.modeSeen = mode;
      } catch {
        // The file is usable with the default mode.
      }
    }
    return true;
  }

  /**
   * Finishes a rotation a crash interrupted (a `file.rotating` is there). Such a rotation had
   * renamed the active file aside and shifted the archives from the oldest down, so it left at
   * most one gap: the lowest free number. The archives below it are shifted up, the aside file
   * becomes `.1`, and the numbering is whole again, as if the rotation had not been
   * interrupted. Gaps without a `file.rotating` were not made by a rotation and stay (verify
   * reports them). At start (`locking`) this takes the lock; a rotation already holds it.
   */
  private recoverRotation(locking: boolean, listing?: ArchiveListing): void {
    let release: (() => void) | undefined;
    try {
      let listed = listing ?? this.listArchives();
      if (!listed.rotating) return;
      if (locking) {
        // Short: this is configure(); when the lock is busy, the next rotation finishes it.
        const lock = tryLock(`${this.path}.lock`, 500);
        if (typeof lock !== "function") return;
        release = lock;
        listed = this.listArchives();
        if (!listed.rotating) return;
      }
      const gap = lowestFreeNumber(listed.archives);
      const below: ArchiveMap = new Map([...listed.archives].filter(([index]) => index < gap));
      this.finishRotation(`${this.path}.rotating`, below);
      this.archives = undefined;
      this.stats.recovered++;
      this.onNotice("ROTATION_RECOVERED", `${this.path}: a rotation interrupted by a crash was finished (${basename(this.path)}.rotating is now ${basename(this.path)}.1${gap > 1 ? `, archives 1 to ${gap - 1} moved up by one` : ""})`);
    } catch (error) {
      this.archives = undefined;
      this.onFailure({ operation: "rotate", path: `${this.path}.rotating`, error: error as FileSystemError });
    } finally {
      release?.();
    }
  }

  /**
   * Shifts the archives (deleting what passes the count) and renames `aside` to `.1`; returns
   * the archives now present. Compressed (`.N.gz`) and uncompressed (`.N`) archives share one
   * numbering and one count: each number moves with whatever files it has, highest first, so
   * no name is ever taken twice.
   */
  private finishRotation(aside: string, present: ArchiveMap): ArchiveMap {
    const next = shiftArchives(this.fs, this.path, aside, present, this.policy.maxArchives);
    this.keeper.shifted();
    return next;
  }

  private listArchives(): ArchiveListing {
    try {
      return parseArchiveNames(this.path, this.fs.readdirSync(dirname(this.path)));
    } catch {
      return { archives: new Map(), rotating: false, temporaries: [] };
    }
  }

  private closeQuietly(): void {
    if (this.fd >= 0) {
      try {
        this.fs.closeSync(this.fd);
      } catch {
        // The descriptor is gone either way.
      }
      this.fd = -1;
    }
  }

  /** Forces what was written to the disk (fsync); a failure is reported, not thrown. */
  sync(): void {
    if (this.fd < 0) return;
    try {
      this.fs.fsyncSync(this.fd);
    } catch (error) {
      this.onFailure({ operation: "write", path: this.path, error: error as FileSystemError });
    }
  }

  /** Closes the active file (after an fsync unless fsync is `never`). A later `write()` opens it again. */
  close(): void {
    // Records written into a file deleted since the last check are written again before closing.
    if (this.fd >= 0 && !this.shared && this.sinceCheck.length > 0) {
      this.checkPath();
      if (this.rewrite.length > 0 && (this.fd >= 0 || this.open())) this.writeRewrites();
    }
    if (this.policy.fsync !== undefined && this.policy.fsync !== "never") this.sync();
    this.closeQuietly();
    // A compression in progress is abandoned (its archive stays uncompressed until the next start).
    this.keeper.stop();
    this.keeperStartPending = true;
  }
}
