/**
 * A lock file shared by the processes that write one audit file, so that each rotation is done
 * once. Taken with `O_CREAT | O_EXCL` (atomic on local file systems), it holds the owner's pid;
 * a lock whose owner is gone, or older than {@link STALE_LOCK_MS}, is broken. Every wait is
 * bounded, and whatever sits at the lock's name is looked at without following a link or
 * blocking: a FIFO, socket, device or symbolic link there is refused, never read.
 */
import * as nodeFs from "node:fs";

/** A lock older than this is considered abandoned (rotation takes milliseconds). */
export const STALE_LOCK_MS = 10_000;

/**
 * The file-system calls of the lock (the shapes of `node:fs`'s synchronous functions); tests
 * inject another process's moves through it, at the moments a race needs.
 *
 * @example
 * ```ts
 * const fs: LockFileSystem = { ...NODE_LOCK_FILE_SYSTEM, unlinkSync: (p) => { console.log("unlink", p); NODE_LOCK_FILE_SYSTEM.unlinkSync(p); } };
 * const release = acquireLock("/var/log/audit.log.lock", 2000, fs);
 * ```
 */
export interface LockFileSystem {
  openSync(path: string, flags: number, mode: number): number;
  writeSync(fd: number, data: string): number;
  closeSync(fd: number): void;
  unlinkSync(path: string): void;
  readFileSync(path: string, encoding: "utf8"): string;
  statSync(path: string): { readonly ino: number; readonly mtimeMs: number };
}

/**
 * The real file system.
 *
 * @example
 * ```ts
 * const release = acquireLock("/var/log/audit.log.lock", 2000, NODE_LOCK_FILE_SYSTEM);
 * ```
 */
export const NODE_LOCK_FILE_SYSTEM: LockFileSystem = {
  openSync: (path, flags, mode) => nodeFs.openSync(path, flags, mode),
  writeSync: (fd, data) => nodeFs.writeSync(fd, data),
  closeSync: (fd) => nodeFs.closeSync(fd),
  unlinkSync: (path) => nodeFs.unlinkSync(path),
  readFileSync: (path) => readLockText(path),
  // lstat: a symbolic link put at the lock's name is looked at, never followed.
  statSync: (path) => nodeFs.lstatSync(path),
};

/** The error of a lock path that holds something other than a regular file (a FIFO, a socket, a device, a link). */
export const NOT_A_LOCK = "ENOTLOCK";

/**
 * Reads a lock file without following a symbolic link and without blocking (a FIFO put at the
 * lock's name would otherwise block the reader forever): opened `O_NOFOLLOW | O_NONBLOCK`, its
 * type checked with `fstat`, at most 64 bytes read.
 */
function readLockText(path: string): string {
  let fd: number;
  try {
    fd = nodeFs.openSync(path, nodeFs.constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (error) {
    if ((error as { code?: string }).code === "ELOOP") throw Object.assign(new Error(`${path} is a symbolic link, not a lock file`), { code: NOT_A_LOCK });
    throw error;
  }
  try {
    const stat = nodeFs.fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error(`${path} is ${describeType(stat)}, not a lock file`), { code: NOT_A_LOCK });
    const buffer = Buffer.alloc(64);
    const n = nodeFs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, n).toString("utf8");
  } finally {
    nodeFs.closeSync(fd);
  }
}

const NOFOLLOW = nodeFs.constants.O_NOFOLLOW ?? 0;
const NONBLOCK = nodeFs.constants.O_NONBLOCK ?? 0;

/**
 * What kind of file a stat shows, for messages ("a FIFO", "a socket", …).
 *
 * @example
 * ```ts
 * describeType(fstatSync(fd)); // "a FIFO"
 * ```
 */
export function describeType(stat: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSymbolicLink(): boolean }): string {
  if (stat.isFile()) return "a regular file";
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** The lock file as one look saw it: which file (inode, time) and the pid it names. */
interface LockSeen {
  readonly ino: number;
  readonly mtimeMs: number;
  readonly text: string;
}

/** One look at the lock file; `undefined` when there is none (its owner released it meanwhile). */
function look(fs: LockFileSystem, path: string): LockSeen | undefined {
  try {
    // The stat first: a lock released and taken again between the two calls then shows the
    // new owner's pid with the old file's inode, which a second look tells apart.
    const stat = fs.statSync(path);
    return { ino: stat.ino, mtimeMs: stat.mtimeMs, text: fs.readFileSync(path, "utf8") };
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
}

function ownerAlive(seen: LockSeen): boolean {
  const pid = Number(seen.text.trim());
  // No pid yet: the owner has just created the file and is about to write it.
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - seen.mtimeMs < STALE_LOCK_MS;
  if (Date.now() - seen.mtimeMs >= STALE_LOCK_MS) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // ESRCH: no such process. EPERM: it exists but belongs to someone else.
    return (error as { code?: string }).code === "EPERM";
  }
}

/** Why a lock could not be had. */
export interface LockRefusal {
  /** `ETIMEDOUT`: held by one live process for the whole wait; `EBUSY`: taken and released by other processes all through the wait (contention, not a stuck lock); `ENOTLOCK`: something other than a regular file is there; else the errno of the failed call. */
  readonly code: string;
  /** A sentence for the status report (names the path, and the holder's pid when known). */
  readonly message: string;
}

/**
 * Takes the lock, waiting up to `timeoutMs` (synchronously: rotation happens inside `log()`).
 * Returns a function that releases it, or `undefined` when it could not be had in time.
 * {@link tryLock} says why.
 *
 * @example
 * ```ts
 * const release = acquireLock("/var/log/audit.log.lock");
 * if (release) try { rotate(); } finally { release(); }
 * ```
 */
export function acquireLock(path: string, timeoutMs = 2000, fs: LockFileSystem = NODE_LOCK_FILE_SYSTEM): (() => void) | undefined {
  const result = tryLock(path, timeoutMs, fs);
  return typeof result === "function" ? result : undefined;
}

/**
 * Takes the lock like {@link acquireLock}, and says why when it cannot: a function that
 * releases it, or a {@link LockRefusal}. Every wait is bounded by `timeoutMs`; a lock path that
 * is not a regular file (a FIFO, a socket, a symbolic link) is refused at once, never read.
 * While the lock is busy it is tried again after 1 ms, 2 ms, … up to `maxPollMs` between two
 * attempts (10 ms; a lock held for single writes is polled every 1 ms).
 *
 * A lock is broken only when it is the very file that was judged abandoned. A lock that
 * vanishes while it is looked at was released by its owner, and the next file under the name
 * may already be another live process's lock: the attempt simply starts again. (Breaking on
 * "not found" used to delete exactly that new lock, so two processes rotated at once and an
 * archive was renamed over another: records lost, under load.)
 *
 * @example
 * ```ts
 * const lock = tryLock("/var/log/audit.log.lock", 500);
 * if (typeof lock === "function") try { rotate(); } finally { lock(); }
 * else console.error(lock.message);
 * ```
 */
export function tryLock(path: string, timeoutMs = 2000, fs: LockFileSystem = NODE_LOCK_FILE_SYSTEM, maxPollMs = 10): (() => void) | LockRefusal {
  const deadline = Date.now() + timeoutMs;
  let holder = "";
  // The first lock file seen busy, and whether another has been seen since (the lock changes hands).
  let first: LockSeen | undefined;
  let changedHands = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(path, nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL | NOFOLLOW | NONBLOCK, 0o640);
      try {
        fs.writeSync(fd, String(process.pid));
      } catch (error) {
        // No room for the pid (a full disk): leave no empty lock behind for others to wait on.
        fs.closeSync(fd);
        fs.unlinkSync(path);
        return refusal(error, path);
      }
      fs.closeSync(fd);
      return () => {
        try {
          fs.unlinkSync(path);
        } catch {
          // Already broken by someone who thought it stale; nothing to release.
        }
      };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") return refusal(error, path);
    }
    let seen: LockSeen | undefined;
    try {
      seen = look(fs, path);
    } catch (error) {
      return refusal(error, path);
    }
    // Released meanwhile: try to take it at once.
    if (seen === undefined) continue;
    holder = seen.text.trim();
    if (first === undefined) first = seen;
    // Another file or another pid: released and taken again. (The same file rewritten, a newer
    // time, is one holder keeping its lock fresh.)
    // (An empty text is a lock between its creation and its pid, or being rewritten.)
    else if (seen.ino !== first.ino || (seen.text !== "" && first.text !== "" && seen.text !== first.text)) changedHands = true;
    if (!ownerAlive(seen)) {
      // Abandoned. Make sure the name still holds that file (same inode, time and pid) right
      // before deleting it: another process may have broken it already and taken the lock.
      try {
        const again = look(fs, path);
        if (again !== undefined && again.ino === seen.ino && again.mtimeMs === seen.mtimeMs && again.text === seen.text) fs.unlinkSync(path);
      } catch (error) {
        // ENOENT: someone else broke it first; try at once. Anything else (another user's lock
        // in a sticky folder): it cannot be broken, so wait as for a live one, not spin forever.
        if ((error as { code?: string }).code !== "ENOENT") {
          if (Date.now() >= deadline) return { code: "ETIMEDOUT", message: `the lock ${path} (pid ${holder || "unknown"}) could not be broken: ${(error as Error).message}` };
          pause(Math.min(1 + attempt, maxPollMs));
        }
      }
      continue;
    }
    if (Date.now() >= deadline) {
      if (changedHands) return { code: "EBUSY", message: `the lock ${path} was taken by other processes one after another for the whole wait of ${timeoutMs} ms (last pid ${holder || "unknown"})` };
      return { code: "ETIMEDOUT", message: `the lock ${path} was held by another process (pid ${holder || "unknown"}) for the whole wait of ${timeoutMs} ms` };
    }
    pause(Math.min(1 + attempt, maxPollMs, Math.max(1, deadline - Date.now())));
  }
}

function refusal(error: unknown, path: string): LockRefusal {
  const code = (error as { code?: string }).code ?? "EIO";
  if (code === "ELOOP") return { code: NOT_A_LOCK, message: `${path} is a symbolic link, not a lock file; remove it` };
  const message = (error as Error).message;
  return { code, message: code === NOT_A_LOCK ? `${message}; remove it` : `the lock ${path} could not be taken: ${message}` };
}
