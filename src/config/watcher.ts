/**
 * Notices changes to one file, including saves that replace it by rename, without keeping the
 * process alive.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, watch, watchFile, unwatchFile, type FSWatcher, type StatWatcher } from "node:fs";
import { basename, dirname, isAbsolute, sep } from "node:path";

/**
 * The names in the file's folder whose change changes what the path reads: the file's own name
 * and, when the file is a symbolic link to a relative path through another link in the same
 * folder, that link's name. A Kubernetes ConfigMap volume is exactly that:
 * `slf4j-auditlog.properties -> ..data/slf4j-auditlog.properties`, and the kubelet publishes a
 * new version by renaming a new `..data` link over the old one (the file's own name never
 * changes, so a watch on it alone would miss every update).
 */
function namesThatChangeIt(path: string): Set<string> {
  const names = new Set([basename(path)]);
  try {
    const target = readlinkSync(path);
    if (!isAbsolute(target)) {
      const first = target.split(sep)[0] as string;
      if (first !== "" && first !== "." && first !== ".." && first !== target) names.add(first);
    }
  } catch {
    // Not a link (or gone): its own name is all there is.
  }
  return names;
}

/**
 * Calls `onChange` (debounced) after the file changes. Two mechanisms work together: an
 * `fs.watch` on the folder (fast, sees a rename over the file, and over the link the file goes
 * through, as in a Kubernetes ConfigMap volume: see `namesThatChangeIt`) and `fs.watchFile`
 * polling every `intervalMs` (reliable on every file system). Neither keeps the event loop alive.
 *
 * @returns a function that stops watching.
 * @example
 * ```ts
 * const stop = watchPath("/etc/app/slf4j-auditlog.properties", () => reload(), 500);
 * ```
 */
export function watchPath(path: string, onChange: () => void, intervalMs = 500, debounceMs = 50): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const trigger = (): void => {
    if (stopped || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped) onChange();
    }, debounceMs);
    timer.unref();
  };
  let names = namesThatChangeIt(path);
  let dirWatcher: FSWatcher | undefined;
  try {
    dirWatcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      if (filename === null || names.has(filename)) {
        trigger();
        // The file may have become a link, or stopped being one.
        names = namesThatChangeIt(path);
      }
    });
    dirWatcher.on("error", () => {
      dirWatcher?.close();
      dirWatcher = undefined;
    });
  } catch {
    dirWatcher = undefined; // polling alone still works
  }
  const statWatcher: StatWatcher = watchFile(path, { persistent: false, interval: intervalMs }, trigger);
  void statWatcher;
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    dirWatcher?.close();
    unwatchFile(path, trigger);
  };
}

/** What one read of a file saw: its identity, size, times and bytes, or the error code. */
export type FileSnapshot =
  | {
      readonly ok: true;
      readonly dev: number;
      readonly ino: number;
      readonly size: number;
      readonly mtimeMs: number;
      readonly ctimeMs: number;
      readonly bytes: Buffer;
    }
  | { readonly ok: false; readonly code: string };

/** Files larger than this are not read whole for comparison (a properties file is kilobytes). */
const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a file whole, with the `fstat` of the same open file, so the size, times and bytes
 * belong to one file even while it is being replaced by rename. Never throws.
 *
 * @example
 * ```ts
 * const snapshot = readSnapshot("/etc/app/slf4j-auditlog.properties");
 * if (snapshot.ok) console.log(snapshot.size, snapshot.bytes.toString("utf8"));
 * ```
 */
export function readSnapshot(path: string): FileSnapshot {
  let fd: number;
  try {
    // Without blocking: a FIFO at the path must not stop the process (links are followed: a
    // ConfigMap or a deployment tool may link the file).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, code: (error as NodeJS.ErrnoException).code ?? "EIO" };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, code: "EFTYPE" };
    if (stat.size > MAX_SNAPSHOT_BYTES) return { ok: false, code: "EFBIG" };
    // Read until the end, not just stat.size bytes: a writer may be appending right now.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.max(4096, stat.size - total + 1));
      const n = readSync(fd, chunk, 0, chunk.length, total);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_SNAPSHOT_BYTES) return { ok: false, code: "EFBIG" };
    }
    return { ok: true, dev: stat.dev, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, bytes: Buffer.concat(chunks, total) };
  } catch (error) {
    return { ok: false, code: (error as NodeJS.ErrnoException).code ?? "EIO" };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether two reads saw the same file: the same identity, size, modification and change time
 * and bytes (the bytes too, because a time may be coarse: a second on some file systems), or
 * the same error.
 *
 * @example
 * ```ts
 * sameSnapshot(readSnapshot(path), readSnapshot(path)); // true unless it changed in between
 * ```
 */
export function sameSnapshot(a: FileSnapshot, b: FileSnapshot): boolean {
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.code === b.code;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.bytes.length === a.size && b.bytes.length === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.bytes.equals(b.bytes);
}

/** How {@link FileSettler} decides that a file is no longer being written. */
export interface SettleOptions {
  /** The file must read the same for at least this long (milliseconds). */
  readonly settleMs: number;
  /** It is read again every this many milliseconds while it settles. */
  readonly stepMs: number;
  /** A file that keeps changing is reported after this long, and again after each such period (milliseconds). */
  readonly maxWaitMs: number;
}

/**
 * Waits, after a change was seen, until a file has read the same (see {@link sameSnapshot})
 * for `settleMs`, then hands over that last read. A change while it waits starts the period
 * again; a file that has not settled after `maxWaitMs` is reported (`onStillChanging`), and the
 * wait goes on: the file is handed over once it settles, however long that takes, and never
 * before. Each read is bounded; its timers do not keep the process alive.
 *
 * @example
 * ```ts
 * const settler = new FileSettler(path, { settleMs: 500, stepMs: 100, maxWaitMs: 60_000 },
 *   (snapshot) => apply(snapshot), () => warn("still changing"));
 * const stop = watchPath(path, () => settler.changed());
 * ```
 */
export class FileSettler {
  private timer: NodeJS.Timeout | undefined;
  private last: FileSnapshot | undefined;
  private stableSince = 0;
  private startedAt = 0;

  /** Creates a settler; nothing happens until {@link FileSettler.changed} is called. */
  constructor(
    private readonly path: string,
    private readonly options: SettleOptions,
    private readonly onSettled: (snapshot: FileSnapshot) => void,
    private readonly onStillChanging: (waitedMs: number) => void,
  ) {}

  /** A change was seen (or is suspected): the file must now stay the same for the settle period. */
  changed(): void {
    const now = Date.now();
    const current = readSnapshot(this.path);
    if (this.timer !== undefined) {
      // A wait under way goes on. An event for a file that reads the same (a reader changed
      // its access time, say) does not start the period again, or reads could wait forever.
      if (this.last === undefined || !sameSnapshot(this.last, current)) {
        this.last = current;
        this.stableSince = now;
      }
      return;
    }
    this.last = current;
    this.stableSince = now;
    this.startedAt = now;
    this.schedule();
  }

  /** Whether a wait is under way. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /** Stops waiting; nothing is handed over until the next {@link FileSettler.changed}. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.step(), this.options.stepMs);
    this.timer.unref();
  }

  private step(): void {
    this.timer = undefined;
    const now = Date.now();
    const current = readSnapshot(this.path);
    if (this.last === undefined || !sameSnapshot(this.last, current)) {
      this.last = current;
      this.stableSince = now;
    }
    if (now - this.stableSince >= this.options.settleMs) {
      this.last = undefined;
      this.onSettled(current);
      return;
    }
    if (now - this.startedAt >= this.options.maxWaitMs) {
      this.onStillChanging(now - this.startedAt);
      this.startedAt = now;
    }
    this.schedule();
  }
}
