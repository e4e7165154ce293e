/**
 * A lock file shared by the processes that write one audit file, so that each rotation is done
 * once. The lock is made whole before it gets its name: the owner's pid, its start time and a
 * random token are written to a temporary file of its own (`<lock>.<token>.tmp`), which is then
 * hard-linked to the lock's name (`link` fails with EEXIST when the lock is taken: atomic on
 * local file systems) and unlinked. So a lock always names its owner, even when that owner was
 * killed while taking it, and a dead owner's lock is broken at once: its pid does not exist, or
 * it exists with another start time (the pid was reused). A lock older than
 * {@link STALE_LOCK_MS} is broken whatever its owner; an empty or unreadable one (left by an
 * older version, or a file system without hard links) after {@link EMPTY_LOCK_MS}. Every wait
 * is bounded, and whatever sits at the lock's name is looked at without following a link or
 * blocking: a FIFO, socket, device or symbolic link there is refused, never read.
 *
 * Limits: the owner's liveness is judged by its pid, so processes in different pid namespaces
 * (containers) sharing the folder see each other's locks as abandoned only after
 * {@link STALE_LOCK_MS} when the pid is free in theirs, and break a live one at once when it is
 * not: run the writers of one file in one pid namespace.
 */
import { randomBytes } from "node:crypto";
import * as nodeFs from "node:fs";
import { basename } from "node:path";
import { NotRegularFileError, openRegularFile, type FileKind } from "../logfile/read.js";

/** A lock older than this is considered abandoned (rotation takes milliseconds). */
export const STALE_LOCK_MS = 10_000;

/**
 * A lock file without an owner's pid (an older version wrote the pid after creating the file,
 * and a process killed in between left it empty) is abandoned once it is this old.
 */
export const EMPTY_LOCK_MS = 1000;

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
  /** Gives the finished lock its name; fails with EEXIST when the name is taken. */
  linkSync(existing: string, path: string): void;
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
  linkSync: (existing, path) => nodeFs.linkSync(existing, path),
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
 * lock's name would otherwise block the reader forever): opened by `openRegularFile`
 * (`O_NOFOLLOW | O_NONBLOCK`, its type checked with `fstat`), at most 64 bytes read.
 */
function readLockText(path: string): string {
  let fd: number;
  try {
    fd = openRegularFile(path).fd;
  } catch (error) {
    if (error instanceof NotRegularFileError) {
      throw Object.assign(new Error(`${path} is ${describeKind(error.kind)}, not a lock file`), { code: NOT_A_LOCK });
    }
    throw error;
  }
  try {
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
  if (stat.isFile()) return describeKind("file");
  if (stat.isDirectory()) return describeKind("folder");
  if (stat.isFIFO()) return describeKind("FIFO");
  if (stat.isSocket()) return describeKind("socket");
  if (stat.isCharacterDevice()) return describeKind("character device");
  if (stat.isBlockDevice()) return describeKind("block device");
  if (stat.isSymbolicLink()) return describeKind("symbolic link");
  return describeKind("unknown");
}

/**
 * The project's words for a kind of file, in messages (those of {@link describeType}).
 *
 * @example
 * ```ts
 * describeKind("FIFO"); // "a FIFO (named pipe)"
 * ```
 */
export function describeKind(kind: FileKind): string {
  switch (kind) {
    case "file":
      return "a regular file";
    case "folder":
      return "a folder";
    case "FIFO":
      return "a FIFO (named pipe)";
    case "socket":
      return "a socket";
    case "character device":
      return "a character device";
    case "block device":
      return "a block device";
    case "symbolic link":
      return "a symbolic link";
    default:
      return "not a regular file";
  }
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

/** What a lock file says of its owner: `<pid> <start time> <token>` (older versions: `<pid>`). */
interface LockOwner {
  readonly pid: number;
  /** The owner's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22), when known. */
  readonly start: string | undefined;
}

function parseOwner(text: string): LockOwner | undefined {
  const match = /^([0-9]+)(?: ([0-9]+|-))?/.exec(text.trim());
  const pid = Number(match?.[1]);
  if (match === null || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, start: match[2] === undefined || match[2] === "-" ? undefined : match[2] };
}

/**
 * The start time of a process in clock ticks since boot (field 22 of `/proc/<pid>/stat`), which
 * tells a process apart from a later one given the same pid; `undefined` without `/proc` (not
 * Linux) or when there is no such process.
 */
function startTime(pid: number | "self"): string | undefined {
  try {
    const stat = nodeFs.readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

let ownStart: string | null | undefined;

/** This process's start time, read once. */
function ownStartTime(): string | undefined {
  if (ownStart === undefined) ownStart = startTime("self") ?? null;
  return ownStart ?? undefined;
}

function ownerAlive(seen: LockSeen): boolean {
  const age = Date.now() - seen.mtimeMs;
  const owner = parseOwner(seen.text);
  // No pid: an older version's lock whose owner died before writing it (this version's locks
  // get their name only once complete), or a file system without hard links, where the owner
  // is between creating and writing it (microseconds).
  if (owner === undefined) return age < EMPTY_LOCK_MS;
  if (age >= STALE_LOCK_MS) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // ESRCH: no such process. EPERM: it exists but belongs to someone else.
    if ((error as { code?: string }).code !== "EPERM") return false;
  }
  // The pid exists; is it still the owner, or a later process given the same pid?
  if (owner.start !== undefined) {
    const now = startTime(owner.pid);
    if (now !== undefined && now !== owner.start) return false;
  }
  return true;
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
  const token = randomBytes(8).toString("hex");
  const content = `${process.pid} ${ownStartTime() ?? "-"} ${token}\n`;
  const temporary = `${path}.${token}.tmp`;
  let prepared = false;
  let holder = "";
  // The first lock file seen busy, and whether another has been seen since (the lock changes hands).
  let first: LockSeen | undefined;
  let changedHands = false;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!prepared) {
          writeLockFile(fs, temporary, content);
          prepared = true;
        }
        fs.linkSync(temporary, path);
        return releaser(fs, path, content);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ENOENT" && prepared) {
          // Our temporary file was deleted as a left-over (this process stood still between
          // writing and linking it for longer than a left-over lives): write it again.
          prepared = false;
          continue;
        }
        if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
          // No hard links here (some network and FUSE file systems): create the lock directly.
          const direct = createDirectly(fs, path, content);
          if (direct !== "EEXIST") return direct;
        } else if (code !== "EEXIST") {
          return refusal(error, path);
        }
      }
      let seen: LockSeen | undefined;
      try {
        seen = look(fs, path);
      } catch (error) {
        return refusal(error, path);
      }
      // Released meanwhile: try to take it at once.
      if (seen === undefined) continue;
      holder = String(parseOwner(seen.text)?.pid ?? "");
      if (first === undefined) first = seen;
      // Another file or another owner: released and taken again. (The same file rewritten, a newer
      // time, is one holder keeping its lock fresh.)
      else if (seen.ino !== first.ino || (seen.text !== "" && first.text !== "" && seen.text !== first.text)) changedHands = true;
      if (!ownerAlive(seen)) {
        // Abandoned. Make sure the name still holds that file (same inode, time and content)
        // right before deleting it: another process may have broken it already and taken the lock.
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
  } finally {
    if (prepared) {
      try {
        fs.unlinkSync(temporary);
      } catch {
        // A left-over is deleted later (removeLockLeftovers).
      }
    }
  }
}

/** Writes the complete lock file under its temporary name (exclusive: the token is ours). */
function writeLockFile(fs: LockFileSystem, path: string, content: string): void {
  const fd = fs.openSync(path, nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL | NOFOLLOW | NONBLOCK, 0o640);
  try {
    fs.writeSync(fd, content);
  } catch (error) {
    // No room for the pid (a full disk): leave nothing behind.
    fs.closeSync(fd);
    try {
      fs.unlinkSync(path);
    } catch {
      // Deleted later as a left-over.
    }
    throw error;
  }
  fs.closeSync(fd);
}

/** Without hard links: create the lock with O_EXCL and write it (empty for a moment). */
function createDirectly(fs: LockFileSystem, path: string, content: string): (() => void) | LockRefusal | "EEXIST" {
  let fd: number;
  try {
    fd = fs.openSync(path, nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL | NOFOLLOW | NONBLOCK, 0o640);
  } catch (error) {
    return (error as { code?: string }).code === "EEXIST" ? "EEXIST" : refusal(error, path);
  }
  try {
    fs.writeSync(fd, content);
  } catch (error) {
    // No room for the pid (a full disk): leave no empty lock behind, and never throw.
    try {
      fs.closeSync(fd);
      fs.unlinkSync(path);
    } catch {
      // An empty lock left behind is broken after EMPTY_LOCK_MS.
    }
    return refusal(error, path);
  }
  fs.closeSync(fd);
  return releaser(fs, path, content);
}

/** Releases the lock: deletes it unless it is no longer ours (broken as stale, and taken by another). */
function releaser(fs: LockFileSystem, path: string, content: string): () => void {
  return () => {
    try {
      if (fs.readFileSync(path, "utf8") !== content) return;
      fs.unlinkSync(path);
    } catch {
      // Already broken by someone who thought it stale; nothing to release.
    }
  };
}

const LEFTOVER = /^\.[0-9a-f]{16}\.tmp$/;

/**
 * Deletes the temporary files of processes killed while taking the lock `path`
 * (`<lock>.<token>.tmp`, which name their owner like a lock does): those whose owner is gone,
 * or older than {@link STALE_LOCK_MS} (taking a lock takes microseconds; an owner that stood
 * still longer writes its file again), and empty ones (killed between creating and writing). `names` are the names in the lock's folder. Returns how
 * many were deleted.
 *
 * @example
 * ```ts
 * removeLockLeftovers("/var/log/audit.log.lock", readdirSync("/var/log"));
 * ```
 */
export function removeLockLeftovers(path: string, names: readonly string[], fs: LockFileSystem = NODE_LOCK_FILE_SYSTEM): number {
  const base = basename(path);
  const folder = path.slice(0, path.length - base.length);
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(base) || !LEFTOVER.test(name.slice(base.length))) continue;
    try {
      const seen = look(fs, folder + name);
      // An empty one goes at once, whoever made it: a temporary file is only ever linked by the
      // process that wrote it, and one that finds it gone writes it again (ENOENT), so deleting a
      // live owner's costs it a retry, never its lock.
      if (seen === undefined || (seen.text !== "" && ownerAlive(seen))) continue;
      fs.unlinkSync(folder + name);
      removed++;
    } catch {
      // Gone meanwhile, not a regular file, or not ours to delete.
    }
  }
  return removed;
}

function refusal(error: unknown, path: string): LockRefusal {
  const code = (error as { code?: string }).code ?? "EIO";
  if (code === "ELOOP") return { code: NOT_A_LOCK, message: `${path} is a symbolic link, not a lock file; remove it` };
  const message = (error as Error).message;
  return { code, message: code === NOT_A_LOCK ? `${message}; remove it` : `the lock ${path} could not be taken: ${message}` };
}
