/**
 * A lock file shared by the processes that write one audit file, so that each rotation is done
 * once. Taken with `O_CREAT | O_EXCL` (atomic on local file systems), it holds the owner's pid;
 * a lock whose owner is gone, or older than {@link STALE_LOCK_MS}, is broken.
 */
import * as nodeFs from "node:fs";

/** A lock older than this is considered abandoned (rotation takes milliseconds). */
export const STALE_LOCK_MS = 10_000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function ownerAlive(path: string): boolean {
  try {
    const text = nodeFs.readFileSync(path, "utf8");
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - nodeFs.statSync(path).mtimeMs < STALE_LOCK_MS;
    if (Date.now() - nodeFs.statSync(path).mtimeMs >= STALE_LOCK_MS) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // ESRCH: no such process. EPERM: it exists but belongs to someone else.
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Takes the lock, waiting up to `timeoutMs` (synchronously: rotation happens inside `log()`).
 * Returns a function that releases it, or `undefined` when it could not be had in time.
 *
 * @example
 * ```ts
 * const release = acquireLock("/var/log/audit.log.lock");
 * if (release) try { rotate(); } finally { release(); }
 * ```
 */
export function acquireLock(path: string, timeoutMs = 2000): (() => void) | undefined {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = nodeFs.openSync(path, nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL, 0o640);
      try {
        nodeFs.writeSync(fd, String(process.pid));
      } catch {
        // No room for the pid (a full disk): leave no empty lock behind for others to wait on.
        nodeFs.closeSync(fd);
        nodeFs.unlinkSync(path);
        return undefined;
      }
      nodeFs.closeSync(fd);
      return () => {
        try {
          nodeFs.unlinkSync(path);
        } catch {
          // Already broken by someone who thought it stale; nothing to release.
        }
      };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") return undefined;
    }
    if (!ownerAlive(path)) {
      try {
        nodeFs.unlinkSync(path);
      } catch {
        // Someone else broke it first.
      }
      continue;
    }
    if (Date.now() >= deadline) return undefined;
    pause(Math.min(1 + attempt, 10));
  }
}
