/**
 * Reading audit files that may be hostile: every file is opened without following a symbolic
 * link and without blocking on a FIFO, and must be a regular file; lines and decompressed
 * archives have a size bound, so a giant line or a gzip bomb is reported, never a crash or
 * unbounded memory. Shared by `verify`, `query` and `tail`. {@link openRegularFile} is the one
 * way the project opens a file it reads that someone else could have put there: audit files,
 * archives (the archive keeper), lock files, key files, the chain's look at the last records.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { parseFileSize } from "../java/file-size.js";

/**
 * The bounds a reader keeps to.
 *
 * @example
 * ```ts
 * const limits: ReadLimits = { ...DEFAULT_READ_LIMITS, maxLineBytes: 64 * 1024 * 1024 };
 * ```
 */
export interface ReadLimits {
  /** The longest line read, in bytes (without its line break); a longer one is skipped and reported. */
  readonly maxLineBytes: number;
  /** The most bytes a `.gz` archive may decompress to; past it the archive is reported and not read further. */
  readonly maxGunzipBytes: number;
}

/**
 * The default bounds: lines up to 16 MiB, archives that decompress to at most 1 GiB (the
 * writer's defaults are 64 Ki characters a record and 2 MiB a file).
 *
 * @example
 * ```ts
 * DEFAULT_READ_LIMITS.maxLineBytes; // 16777216
 * ```
 */
export const DEFAULT_READ_LIMITS: ReadLimits = { maxLineBytes: 16 * 1024 * 1024, maxGunzipBytes: 1024 * 1024 * 1024 };

/**
 * The largest `--max-line-bytes` accepted: 256 MiB, well below the longest string V8 can hold
 * (a line is one string).
 *
 * @example
 * ```ts
 * MAX_LINE_BYTES_LIMIT; // 268435456
 * ```
 */
export const MAX_LINE_BYTES_LIMIT = 256 * 1024 * 1024;

/**
 * Reads a size option (`--max-line-bytes`, `--max-gunzip-bytes`): bytes, or a number with KB,
 * MB or GB. Returns a message (naming the option and the value) when it is not valid.
 *
 * @example
 * ```ts
 * parseLimitOption("--max-line-bytes", "64MB", MAX_LINE_BYTES_LIMIT); // 67108864
 * ```
 */
export function parseLimitOption(option: string, text: string, max: number): number | string {
  const value = parseFileSize(text);
  if (value === undefined || value > max) return `${option} "${text}": expected a size in bytes from 1 to ${max}, optionally with KB, MB or GB (e.g. 16MB)`;
  return value;
}

/**
 * What stands at a path, read from the type bits of its mode.
 *
 * @example
 * ```ts
 * const kind: FileKind = fileKindOf(fstatSync(fd).mode); // "FIFO" for a named pipe
 * ```
 */
export type FileKind = "file" | "folder" | "FIFO" | "socket" | "character device" | "block device" | "symbolic link" | "unknown";

/**
 * The kind of file a mode (of `stat`, `fstat` or `lstat`) describes.
 *
 * @example
 * ```ts
 * fileKindOf(0o100644); // "file"
 * ```
 */
export function fileKindOf(mode: number): FileKind {
  switch (mode & 0o170000) {
    case 0o100000:
      return "file";
    case 0o040000:
      return "folder";
    case 0o010000:
      return "FIFO";
    case 0o140000:
      return "socket";
    case 0o020000:
      return "character device";
    case 0o060000:
      return "block device";
    case 0o120000:
      return "symbolic link";
    default:
      return "unknown";
  }
}

/**
 * A file the reader refuses: a symbolic link, a FIFO, a folder. `code` is `ELOOP` for a
 * link, `ENOTREG` otherwise.
 *
 * @example
 * ```ts
 * try { openAuditFile(path); } catch (e) { if (e instanceof NotRegularFileError) console.error(e.message); }
 * ```
 */
export class NotRegularFileError extends Error {
  /** `ELOOP` (a symbolic link) or `ENOTREG` (a FIFO, a folder, a device, a socket). */
  readonly code: "ELOOP" | "ENOTREG";
  /** What it is instead: "a symbolic link", "a FIFO", "a folder", "a socket" or "a device". */
  readonly what: string;

  /** @internal */
  constructor(
    readonly path: string,
    /** What it is instead, exactly. */
    readonly kind: Exclude<FileKind, "file">,
  ) {
    const what = kind === "symbolic link" ? "a symbolic link" : kind === "FIFO" ? "a FIFO" : kind === "folder" ? "a folder" : kind === "socket" ? "a socket" : "a device";
    super(`${path} is ${what}, not a regular file: not read`);
    this.name = "NotRegularFileError";
    this.what = what;
    this.code = kind === "symbolic link" ? "ELOOP" : "ENOTREG";
  }
}

/**
 * A bound of {@link ReadLimits} was crossed: a line too long (`line` set) or an archive that
 * decompresses to more than allowed.
 *
 * @example
 * ```ts
 * new ReadLimitError("/var/log/app/audit.log.3.gz", undefined, "decompresses to more than 1073741824 bytes (--max-gunzip-bytes)");
 * ```
 */
export class ReadLimitError extends Error {
  /** @internal */
  constructor(
    readonly path: string,
    readonly line: number | undefined,
    readonly why: string,
  ) {
    super(`${path}${line === undefined ? "" : `:${line}`}: ${why}`);
    this.name = "ReadLimitError";
  }
}

// O_NOFOLLOW: a link is refused by the kernel (ELOOP), with no race between a check and the
// open. O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; it has no
// effect on reading a regular file.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * The file-system calls {@link openRegularFile} makes: those of `node:fs` by default; the
 * archive keeper passes its injectable file system.
 */
export interface RegularFileSystem {
  openSync(path: string, flags: number, mode: number): number;
  fstatSync(fd: number): { readonly size: number; readonly mode: number };
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  closeSync(fd: number): void;
}

const NODE_FS: RegularFileSystem = {
  openSync: (path, flags, mode) => openSync(path, flags, mode),
  fstatSync: (fd) => fstatSync(fd),
  readSync: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  closeSync: (fd) => closeSync(fd),
};

/** A regular file opened by {@link openRegularFile}: its descriptor, and its size and mode when opened. */
export interface OpenedFile {
  readonly fd: number;
  readonly size: number;
  readonly mode: number;
}

/**
 * Opens a file to read that may be hostile, the one way every reader of the project does: a
 * symbolic link is not followed (`O_NOFOLLOW`: refused by the kernel, no race between a check
 * and the open), a FIFO does not block (`O_NONBLOCK`), and anything but a regular file is
 * refused (checked with `fstat` on the opened file, which is then closed). Throws a
 * {@link NotRegularFileError} (`kind` says what stands there), or the system's error (`ENOENT`,
 * `EACCES`, `ENXIO` for a socket, …). Callers word the refusal as their users expect.
 *
 * @param extraFlags added to the open flags (`O_NOCTTY` for a key file).
 * @example
 * ```ts
 * const { fd, size } = openRegularFile("/var/log/app/audit.log.1");
 * ```
 */
export function openRegularFile(path: string, fs: RegularFileSystem = NODE_FS, extraFlags = 0): OpenedFile {
  let fd: number;
  try {
    fd = fs.openSync(path, OPEN_FLAGS | extraFlags, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw new NotRegularFileError(path, "symbolic link");
    throw error;
  }
  let stats: { readonly size: number; readonly mode: number };
  try {
    stats = fs.fstatSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  const kind = fileKindOf(stats.mode);
  if (kind !== "file") {
    fs.closeSync(fd);
    throw new NotRegularFileError(path, kind);
  }
  return { fd, size: stats.size, mode: stats.mode };
}

/**
 * Reads the bytes of a file opened by {@link openRegularFile}, from the start: its size when
 * opened, fewer if it shrank meanwhile. Does not close it.
 *
 * @example
 * ```ts
 * const opened = openRegularFile(path);
 * try { return readOpened(opened); } finally { closeSync(opened.fd); }
 * ```
 */
export function readOpened(opened: OpenedFile, fs: RegularFileSystem = NODE_FS): Buffer {
  const buffer = Buffer.alloc(opened.size);
  let read = 0;
  while (read < opened.size) {
    const n = fs.readSync(opened.fd, buffer, read, opened.size - read, read);
    if (n <= 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}

/**
 * Reads a whole regular file (opened as {@link openRegularFile} does) of at most `maxBytes`
 * bytes; undefined when it is larger (nothing read).
 *
 * @example
 * ```ts
 * const bytes = readRegularFile("/var/log/app/audit.log.2", 256 * 1024 * 1024);
 * ```
 */
export function readRegularFile(path: string, maxBytes: number, fs: RegularFileSystem = NODE_FS): Buffer | undefined {
  const opened = openRegularFile(path, fs);
  try {
    return opened.size > maxBytes ? undefined : readOpened(opened, fs);
  } finally {
    fs.closeSync(opened.fd);
  }
}

/**
 * Opens an audit file for reading: a symbolic link is not followed, a FIFO does not block,
 * and anything but a regular file is refused ({@link openRegularFile}). Returns the
 * descriptor; throws {@link NotRegularFileError}, or the system's error (`ENOENT`, `EACCES`, …).
 *
 * @example
 * ```ts
 * const fd = openAuditFile("/var/log/app/audit.log.1");
 * ```
 */
export function openAuditFile(path: string): number {
  return openRegularFile(path).fd;
}

/**
 * Reads a whole audit file of at most `maxBytes` bytes (opened as {@link openAuditFile} does);
 * throws {@link ReadLimitError} when it is larger.
 *
 * @example
 * ```ts
 * const bytes = readAuditFileBounded("/var/log/app/audit.log.2.gz", 64 * 1024 * 1024);
 * ```
 */
export function readAuditFileBounded(path: string, maxBytes: number): Buffer {
  const bytes = readRegularFile(path, maxBytes);
  if (bytes === undefined) throw new ReadLimitError(path, undefined, `is larger than ${maxBytes} bytes`);
  return bytes;
}

/**
 * A line longer than the bound: only its length is kept.
 *
 * @example
 * ```ts
 * const skipped: LongLine = { tooLong: 20_000_000 };
 * ```
 */
export interface LongLine {
  /** Its length in bytes (without the line break); with `partial`, the bytes read of it so far. */
  readonly tooLong: number;
  /**
   * The line was not read to its end: a splitter that stops at the bound reports it as soon as
   * its bytes pass `maxLineBytes` (a reader that stops there, as `verify`, need not read the
   * rest of a huge or sparse file).
   */
  readonly partial?: true;
}

/**
 * Splits bytes into lines (at LF; a CR before it is dropped), in time linear in the bytes:
 * the bytes of an unfinished line are kept as a list of pieces and joined once, when its line
 * feed comes. A line longer than `maxLineBytes` is not kept at all: it is counted while it
 * lasts and comes out as a {@link LongLine}.
 *
 * @example
 * ```ts
 * const splitter = new LineSplitter(16 * 1024 * 1024);
 * splitter.push(Buffer.from("a\nb")); // ["a"]
 * splitter.takeRest(); // "b"
 * ```
 */
export class LineSplitter {
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  /** The length of a line being skipped (too long), or -1. */
  private skipped = -1;
  /** The last byte of the line being skipped is a CR (not counted if a LF follows). */
  private skippedEndsInCr = false;

  /**
   * With `checkUtf8`: the lines whose bytes are not valid UTF-8 (their text holds U+FFFD where
   * the bytes were, as a real U+FFFD would decode), by their position in what the last
   * {@link LineSplitter.push} or {@link LineSplitter.takeRest} returned, with their length in
   * bytes (their text no longer tells it).
   */
  readonly invalidUtf8 = new Map<number, number>();

  /**
   * @param stopAtLimit for a reader that stops at a line too long (`verify`): such a line comes
   * out as a `partial` {@link LongLine} as soon as the bytes pending pass the bound, instead of
   * being counted to its line feed (a 16 GB file without one would be read whole first).
   * @param checkUtf8 note the lines that are not valid UTF-8 ({@link LineSplitter.invalidUtf8}).
   */
  constructor(
    private readonly maxLineBytes: number,
    private readonly stopAtLimit = false,
    private readonly checkUtf8 = false,
  ) {}

  /** The complete lines in `chunk` (with what was pending before it). `chunk` may be reused by the caller afterwards. */
  push(chunk: Buffer): Array<string | LongLine> {
    const lines: Array<string | LongLine> = [];
    this.invalidUtf8.clear();
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, start)) {
      const line = this.finish(chunk.subarray(start, i), true, lines.length);
      lines.push(line);
      if (this.stopAtLimit && typeof line !== "string") return lines;
      start = i + 1;
    }
    this.hold(chunk.subarray(start));
    if (this.stopAtLimit && this.skipped >= 0) {
      // Over the bound with no line feed yet: reported now, the rest of it never read.
      lines.push({ tooLong: this.skipped, partial: true });
      this.skipped = -1;
    }
    return lines;
  }

  /** What is left after the last line feed ("" when nothing), and forgets it. */
  takeRest(): string | LongLine {
    this.invalidUtf8.clear();
    return this.finish(Buffer.alloc(0), false, 0);
  }

  private hold(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.skipped >= 0) {
      this.skipped += piece.length;
      this.skippedEndsInCr = piece[piece.length - 1] === 0x0d;
      return;
    }
    if (this.pendingBytes + piece.length > this.maxLineBytes + 1) {
      // +1: a CR that may yet turn out to be part of the line break.
      this.skipped = this.pendingBytes + piece.length;
      this.skippedEndsInCr = piece[piece.length - 1] === 0x0d;
      this.pieces = [];
      this.pendingBytes = 0;
      return;
    }
    this.pieces.push(Buffer.from(piece));
    this.pendingBytes += piece.length;
  }

  private finish(last: Buffer, lineFeed: boolean, position: number): string | LongLine {
    if (this.skipped >= 0) {
      let length = this.skipped + last.length;
      const endsInCr = last.length > 0 ? last[last.length - 1] === 0x0d : this.skippedEndsInCr;
      if (lineFeed && endsInCr) length--;
      this.skipped = -1;
      return { tooLong: length };
    }
    let length = this.pendingBytes + last.length;
    const data = this.pieces.length === 0 ? last : Buffer.concat([...this.pieces, last], length);
    this.pieces = [];
    this.pendingBytes = 0;
    if (lineFeed && length > 0 && data[length - 1] === 0x0d) length--;
    if (length > this.maxLineBytes) return { tooLong: length };
    if (this.checkUtf8 && !isUtf8(data.subarray(0, length))) {
      this.invalidUtf8.set(position, length);
    }
    return data.toString("utf8", 0, length);
  }
}
