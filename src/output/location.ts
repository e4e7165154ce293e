/**
 * Whether a path can be the audit file at all, checked when a configuration names it (before
 * anything is opened or created): the console's own paths, kernel file systems (`/proc`, `/sys`),
 * a folder on the way that is a file, a folder this process may not write, something that is
 * not a regular file. Every check is one system call per folder of the path, so it ends
 * promptly whatever the path (Node's recursive `mkdir` loops for ever under `/proc`).
 *
 * What can only fail later, or may clear by itself (a disk that fills, a read-only file system
 * that is remounted, a folder removed after the start), is not decided here: the writer keeps
 * those records in memory and retries.
 */
import * as nodeFs from "node:fs";
import { basename, dirname, resolve } from "node:path";

/** The calls the check makes; tests may replace them. The shapes are those of `node:fs`. */
export interface LocationFileSystem {
  lstatSync(path: string): nodeFs.Stats;
  statSync(path: string): nodeFs.Stats;
  accessSync(path: string, mode: number): void;
  statfsSync(path: string): { readonly type: number };
  readlinkSync(path: string): string;
}

/** The real file system. */
export const NODE_LOCATION_FILE_SYSTEM: LocationFileSystem = {
  lstatSync: (path) => nodeFs.lstatSync(path),
  statSync: (path) => nodeFs.statSync(path),
  accessSync: (path, mode) => nodeFs.accessSync(path, mode),
  statfsSync: (path) => nodeFs.statfsSync(path),
  readlinkSync: (path) => nodeFs.readlinkSync(path),
};

/** Why a location cannot be the audit file. */
export type LocationProblem =
  /** It is the process's standard output or error: the console target is the way there. */
  | { readonly kind: "console"; readonly stream: "stdout" | "stderr" }
  /** Anything else, said in a sentence (`reason`). */
  | { readonly kind: "unusable"; readonly reason: string };

/** Paths that are the process's standard streams, by stream. */
const CONSOLE_PATHS: ReadonlyMap<string, "stdout" | "stderr"> = new Map([
  ["/dev/stdout", "stdout"],
  ["/dev/fd/1", "stdout"],
  ["/proc/self/fd/1", "stdout"],
  ["/dev/stderr", "stderr"],
  ["/dev/fd/2", "stderr"],
  ["/proc/self/fd/2", "stderr"],
]);

/** Kernel file systems by their `statfs` magic number: their files are interfaces, not storage. */
const KERNEL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, "proc"],
  [0x62656572, "sysfs"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x62656570, "configfs"],
  [0x1cd1, "devpts"],
  [0x19800202, "mqueue"],
  [0xcafe4a11, "bpf"],
  [0x6165676c, "pstore"],
  [0xde5e81e4, "efivarfs"],
]);

/** Folders whose content is the kernel's, by path (also where `statfs` is not available). */
const KERNEL_FOLDERS = ["/proc", "/sys"];

/** Deepest path the check walks up (a path has fewer folders than this in practice). */
const MAX_DEPTH = 4096;

type Errno = Error & { readonly code?: string };

function describeType(stat: nodeFs.Stats): string {
  if (stat.isDirectory()) return "a folder";
  if (stat.isSymbolicLink()) return "a symbolic link";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

function kernelFileSystem(fs: LocationFileSystem, path: string): string | undefined {
  try {
    return KERNEL_FILE_SYSTEMS.get(fs.statfsSync(path).type);
  } catch {
    return undefined; // no statfs here, or the path went away: the other checks decide
  }
}

/**
 * A failed access check as a problem; `undefined` for a read-only file system (EROFS), which is
 * left to the writer like a full disk: a remount read-write fixes it, and the records wait.
 */
function denied(error: Errno, what: string): LocationProblem | undefined {
  const code = error.code ?? error.name;
  if (code === "EROFS") return undefined;
  if (code === "EACCES" || code === "EPERM") return { kind: "unusable", reason: `permission denied: this process may not ${what} (${code})` };
  return { kind: "unusable", reason: `this process may not ${what} (${code}: ${error.message})` };
}

/** The console or a kernel folder, by the path alone. */
function consoleOrKernel(path: string): LocationProblem | undefined {
  const stream = CONSOLE_PATHS.get(path) ?? (/^\/proc\/\d+\/fd\/[12]$/.test(path) && path.split("/")[2] === String(process.pid) ? (path.endsWith("1") ? "stdout" : "stderr") : undefined);
  if (stream !== undefined) return { kind: "console", stream };
  const kernelFolder = KERNEL_FOLDERS.find((folder) => path === folder || path.startsWith(folder + "/"));
  if (kernelFolder !== undefined) {
    return { kind: "unusable", reason: `it is under ${kernelFolder}, a kernel file system: its files are the kernel's interfaces, not storage` };
  }
  return undefined;
}

/** How many links {@link linkTarget} follows (the kernel's own limit is 40). */
const MAX_LINKS = 40;

/**
 * Where a chain of symbolic links ends, by reading the links (never opening what they name):
 * the first path that is a console path, under a kernel folder, or not a link; `undefined` when
 * the chain is too long or cannot be read.
 */
function linkTarget(fs: LocationFileSystem, path: string): string | undefined {
  let current = path;
  for (let hop = 0; hop < MAX_LINKS; hop++) {
    let target: string;
    try {
      target = fs.readlinkSync(current);
    } catch {
      return hop === 0 ? undefined : current; // not a link (any more): the chain ends here
    }
    current = resolve(dirname(current), target);
    if (consoleOrKernel(current) !== undefined) return current;
  }
  return undefined;
}

/**
 * Checks that `location` can be the audit file; returns why not, or `undefined` when it can.
 * A file that exists must be a regular file this process may write (something else than a folder
 * is left to the writer's open, which refuses it saying what is there); otherwise the nearest
 * folder that exists must be a folder this process may create entries in, and nothing on the
 * way may be a file or belong to a kernel file system.
 *
 * @example
 * ```ts
 * checkLocation("/dev/stdout"); // { kind: "console", stream: "stdout" }
 * checkLocation("/proc/nope/a.log"); // { kind: "unusable", reason: "it is under /proc, …" }
 * checkLocation("/etc/hostname/audit.log"); // { kind: "unusable", reason: "/etc/hostname is a file, not a folder" }
 * checkLocation("/var/log/app/audit.log"); // undefined, when /var/log is writable
 * ```
 */
export function checkLocation(location: string, fs: LocationFileSystem = NODE_LOCATION_FILE_SYSTEM): LocationProblem | undefined {
  const path = resolve(location);
  const byPath = consoleOrKernel(path);
  if (byPath !== undefined) return byPath;
  // The path itself: a regular file this process may write, or nothing yet.
  try {
    const stat = fs.lstatSync(path);
    if (stat.isDirectory()) return { kind: "unusable", reason: "it is a folder, not a regular file" };
    // A link to the console or into the kernel's files (`ln -s /dev/stdout audit.log`, the
    // container idiom) can never work: refused as the path itself would be.
    if (stat.isSymbolicLink()) {
      const end = linkTarget(fs, path);
      if (end !== undefined) {
        const problem = consoleOrKernel(end);
        if (problem !== undefined) return problem.kind === "console" ? problem : { kind: "unusable", reason: `it is a symbolic link to ${end}: ${problem.reason}` };
      }
    }
    // A symbolic link, a FIFO, a socket or a device: the writer's open (never through a link,
    // never blocking) refuses it with what is there, the first configuration included.
    if (!stat.isFile()) return undefined;
    const kernel = kernelFileSystem(fs, path);
    if (kernel !== undefined) return { kind: "unusable", reason: `it is on a ${kernel} file system, whose files are the kernel's interfaces, not storage` };
    try {
      fs.accessSync(path, nodeFs.constants.W_OK);
    } catch (error) {
      // Gone since it was looked at: another process rotated it (renamed it aside) in between.
      // Judged as a file that does not exist yet, by its folder, below.
      const code = (error as Errno).code;
      if (code === "ENOENT" || code === "ENOTDIR") throw error;
      return denied(error as Errno, "write it");
    }
    return undefined;
  } catch (error) {
    const code = (error as Errno).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") return denied(error as Errno, `look at it`);
  }
  // It does not exist yet: the nearest folder that exists must be a folder we may create entries in.
  let child = path;
  let current = dirname(path);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    let stat: nodeFs.Stats | undefined;
    try {
      stat = fs.statSync(current);
    } catch (error) {
      const code = (error as Errno).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") return denied(error as Errno, `look into ${current}`);
    }
    if (stat !== undefined) {
      if (!stat.isDirectory()) return { kind: "unusable", reason: `${current} is ${stat.isFile() ? "a file" : describeType(stat)}, not a folder` };
      const kernel = kernelFileSystem(fs, current);
      if (kernel !== undefined) return { kind: "unusable", reason: `${current} is on a ${kernel} file system, whose files are the kernel's interfaces, not storage` };
      try {
        fs.accessSync(current, nodeFs.constants.W_OK | nodeFs.constants.X_OK);
      } catch (error) {
        return denied(error as Errno, `create ${basename(child)} in ${current}`);
      }
      return undefined;
    }
    const parent = dirname(current);
    if (parent === current) break;
    child = current;
    current = parent;
  }
  return { kind: "unusable", reason: "no folder of its path exists" };
}
