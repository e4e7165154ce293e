/**
 * The file-system calls the rolling writer and the archive keeper make (tests inject failures
 * through them), and the shapes they share: the rotation policy and a failure to report.
 *
 * @module
 */
import * as nodeFs from "node:fs";

/** An error from a file-system call, with its errno code (`ENOSPC`, `EACCES`, …). */
export type FileSystemError = Error & { readonly code?: string | undefined };

/**
 * The file-system calls the writer makes; tests inject failures through it. The shapes are
 * those of `node:fs`'s synchronous functions (kept free of Node's types for consumers).
 */
export interface WriterFileSystem {
  openSync(path: string, flags: number, mode: number): number;
  writeSync(fd: number, data: string | Uint8Array, position?: null): number;
  closeSync(fd: number): void;
  fstatSync(fd: number): {
    readonly size: number;
    readonly ino: number;
    readonly nlink: number;
    readonly mode: number;
    readonly atimeMs: number;
    readonly mtimeMs: number;
  };
  /** `mode` (when given) spares the writer an `fstat` of its file before a rotation. */
  statSync(path: string): { readonly ino: number; readonly size: number; readonly mtimeMs: number; readonly mode?: number };
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  mkdirSync(path: string, options: { recursive: boolean; mode: number }): unknown;
  readdirSync(path: string): string[];
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  fchmodSync(fd: number, mode: number): void;
  /** Reads archives to compress them. */
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  /** Gives a compressed archive the times of the original (seconds). */
  futimesSync(fd: number, atime: number, mtime: number): void;
}

/** The real file system. */
export const NODE_FILE_SYSTEM: WriterFileSystem = {
  openSync: (path, flags, mode) => nodeFs.openSync(path, flags, mode),
  writeSync: (fd, data) => (typeof data === "string" ? nodeFs.writeSync(fd, data) : nodeFs.writeSync(fd, data)),
  closeSync: (fd) => nodeFs.closeSync(fd),
  fstatSync: (fd) => nodeFs.fstatSync(fd),
  statSync: (path) => nodeFs.statSync(path),
  renameSync: (from, to) => nodeFs.renameSync(from, to),
  unlinkSync: (path) => nodeFs.unlinkSync(path),
  mkdirSync: (path, options) => nodeFs.mkdirSync(path, options),
  readdirSync: (path) => nodeFs.readdirSync(path),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  ftruncateSync: (fd, length) => nodeFs.ftruncateSync(fd, length),
  fchmodSync: (fd, mode) => nodeFs.fchmodSync(fd, mode),
  readSync: (fd, buffer, offset, length, position) => nodeFs.readSync(fd, buffer, offset, length, position),
  futimesSync: (fd, atime, mtime) => nodeFs.futimesSync(fd, atime, mtime),
};

/** When and how far to rotate, and how the file is shared and synced. */
export interface RotationPolicy {
  /** Rotate before a record would take the active file past this many bytes. */
  readonly maxSize: number;
  /** How many archives to keep (`.1` newest … `.maxArchives` oldest). */
  readonly maxArchives: number;
  /** When to fsync: never (default), before rotating and closing, or after every record. */
  readonly fsync?: "never" | "rotation" | "always";
  /**
   * Several processes write this file: every record looks at the path (one `stat`) to learn
   * the real size and follow rotations done by the others. Without it the writer takes this
   * protocol by itself as soon as it sees another process write the file (see
   * {@link RollingFileWriter.shared}). Rotation is always done under a lock file
   * (`path + ".lock"`), once.
   */
  readonly shared?: boolean;
  /**
   * Compress archives with gzip (`file.N.gz`), after the rotation, off the caller's path; see
   * {@link ArchiveKeeper}. Switching it off leaves compressed archives as they are.
   */
  readonly compress?: boolean;
  /** Delete archives whose modification time is older than this many days (0 or absent: no limit). */
  readonly maxAgeDays?: number;
}

/** What went wrong, for the caller to report. */
export interface WriterFailure {
  /** `compress`: an archive could not be compressed (it stays uncompressed); `expire`: one past its age could not be deleted. */
  readonly operation: "open" | "write" | "rotate" | "compress" | "expire";
  readonly path: string;
  /** The rotation lock could not be had (`path` is the lock file, `error` says by whom): the operation was not tried. */
  readonly lock?: boolean;
  readonly error: FileSystemError;
}
