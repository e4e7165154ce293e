/**
 * Reading an audit file backwards, newest line first, in constant memory: the console's
 * newest-first search and export read a log of a million records this way, so their first page
 * costs the page's lines, not the file's.
 *
 * A plain file is read in fixed-size chunks from its end ({@link ReverseLineSplitter} joins a
 * line cut by a chunk boundary, so a multi-byte character split across two chunks is decoded
 * whole). Line numbers are counted from the start, as the forward reader numbers them: one
 * pass that counts line feeds (`Buffer.indexOf`, no decoding), remembered per file identity
 * (device, inode) so that an active file that only grew is counted on from where it was
 * ({@link countNewlines}). A gzip archive cannot be read from its end: it is inflated once,
 * forward, into memory up to {@link GZ_IN_MEMORY_BYTES} and past that into a temporary file
 * (created private, unlinked at once, so nothing is left behind), which is then read backwards;
 * its size is bounded by `maxGunzipBytes` as for every read of an archive.
 *
 * @module
 */
import { closeSync, createReadStream, fstatSync, mkdtempSync, openSync, read, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import type { AuditFile, FileLine, ReadLinesOptions } from "./files.js";
import { DEFAULT_READ_LIMITS, openRegularFile, ReadLimitError, type LongLine } from "./read.js";

/**
 * A line found by a {@link ReverseLineSplitter}: its text (or {@link LongLine} when longer than
 * the bound) and whether a line feed ends it (false only for a last line without one).
 *
 * @example
 * ```ts
 * const line: ReverseLine = { item: "ox.login, login=anna", complete: true };
 * ```
 */
export interface ReverseLine {
  readonly item: string | LongLine;
  readonly complete: boolean;
}

/**
 * Splits bytes fed from the end of a file towards its start into lines, newest first: the same
 * lines as {@link LineSplitter} finds reading forward (at LF, a CR before it dropped, a last
 * line without LF reported as not complete, a line longer than `maxLineBytes` only counted),
 * in the reverse order. Holds at most one line (up to `maxLineBytes` + 1 bytes).
 *
 * @example
 * ```ts
 * const splitter = new ReverseLineSplitter(16 * 1024 * 1024);
 * splitter.push(Buffer.from("b\nc\n")); // [{ item: "c", complete: true }]
 * splitter.push(Buffer.from("a\n")); // [{ item: "b", complete: true }]
 * splitter.finish(); // [{ item: "a", complete: true }]
 * ```
 */
export class ReverseLineSplitter {
  /** The pieces of the line being gathered, the last bytes first. */
  private pieces: Buffer[] = [];
  /** Its length so far in bytes (also while it is only counted). */
  private length = 0;
  /** Its bytes are no longer kept (it is longer than the bound). */
  private skipping = false;
  /** Its last byte is a CR (dropped when a LF ends the line). */
  private endsInCr = false;
  /** A line feed was met: what follows it at the end of the file has been handled. */
  private seenLineFeed = false;

  constructor(private readonly maxLineBytes: number) {}

  /**
   * The lines completed by `chunk`, the bytes right before everything pushed so far, newest
   * first. `chunk` may be reused by the caller afterwards.
   */
  push(chunk: Buffer): ReverseLine[] {
    const lines: ReverseLine[] = [];
    let end = chunk.length;
    // lastIndexOf with a negative offset counts from the end: stop at 0 instead.
    for (let i = end > 0 ? chunk.lastIndexOf(0x0a, end - 1) : -1; i >= 0; i = end > 0 ? chunk.lastIndexOf(0x0a, end - 1) : -1) {
      if (this.length === 0 && this.seenLineFeed) {
        // A whole line inside the chunk (most lines): decoded from it, not copied first.
        lines.push({ item: this.whole(chunk, i + 1, end), complete: true });
        end = i;
        continue;
      }
      this.add(chunk.subarray(i + 1, end));
      if (this.seenLineFeed) lines.push(this.take(true));
      else {
        // What follows the file's last line feed: a last line cut short, or nothing.
        this.seenLineFeed = true;
        if (this.length > 0) lines.push(this.take(false));
      }
      end = i;
    }
    this.add(chunk.subarray(0, end));
    return lines;
  }

  /** The first line of the file (once every byte was pushed), if there is one. */
  finish(): ReverseLine[] {
    if (this.seenLineFeed) return [this.take(true)];
    return this.length > 0 ? [this.take(false)] : [];
  }

  /** The line of bytes [start, end) of `chunk`, ended by a line feed. */
  private whole(chunk: Buffer, start: number, end: number): string | LongLine {
    const length = end - start - (end > start && chunk[end - 1] === 0x0d ? 1 : 0);
    return length > this.maxLineBytes ? { tooLong: length } : chunk.toString("utf8", start, start + length);
  }

  private add(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.length === 0) this.endsInCr = piece[piece.length - 1] === 0x0d;
    this.length += piece.length;
    if (this.skipping) return;
    // +1: a CR that may yet turn out to be part of the line break.
    if (this.length > this.maxLineBytes + 1) {
      this.skipping = true;
      this.pieces = [];
      return;
    }
    this.pieces.push(Buffer.from(piece));
  }

  private take(lineFeed: boolean): ReverseLine {
    const length = this.length - (lineFeed && this.endsInCr ? 1 : 0);
    let item: string | LongLine;
    if (this.skipping || length > this.maxLineBytes) item = { tooLong: length };
    else {
      const data = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces.reverse());
      item = data.toString("utf8", 0, length);
    }
    this.pieces = [];
    this.length = 0;
    this.skipping = false;
    this.endsInCr = false;
    return { item, complete: lineFeed };
  }
}

/** Bytes that can be read at any position: a file descriptor, or bytes in memory. */
interface ByteSource {
  readonly size: number;
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  close(): void;
}

function readAt(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, 0, length, position, (error, n) => (error === null ? resolve(n) : reject(error))));
}

function fdSource(fd: number, size: number): ByteSource {
  return { size, read: (buffer, length, position) => readAt(fd, buffer, length, position), close: () => closeSync(fd) };
}

function memorySource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    read: (buffer, length, position) => Promise.resolve(bytes.copy(buffer, 0, position, position + length)),
    close: () => undefined,
  };
}

/** The chunk read at a time (counting and reading backwards). */
const CHUNK = 256 * 1024;

/** The newlines in bytes [from, to) of an open file, counted chunk by chunk (constant memory). */
async function countRange(source: ByteSource, from: number, to: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(CHUNK);
  let count = 0;
  for (let position = from; position < to; ) {
    const n = await source.read(buffer, Math.min(CHUNK, to - position), position);
    if (n <= 0) break;
    for (let i = buffer.indexOf(0x0a, 0); i >= 0 && i < n; i = buffer.indexOf(0x0a, i + 1)) count++;
    position += n;
  }
  return count;
}

/** What was counted of one file: its newlines up to `size`, and the bytes before `size` to know it grew by appending. */
interface Counted {
  readonly size: number;
  readonly mtimeMs: number;
  readonly newlines: number;
  readonly tail: Buffer;
}

/** The most files whose newlines are remembered. */
const MAX_COUNTED = 256;
/** How many bytes before the counted end must be unchanged for an appended file to be counted on. */
const TAIL = 64;
const counted = new Map<string, Counted>();

async function readTail(source: ByteSource, size: number): Promise<Buffer> {
  const length = Math.min(TAIL, size);
  const buffer = Buffer.alloc(length);
  const n = await source.read(buffer, length, size - length);
  return buffer.subarray(0, n);
}

/**
 * The line feeds in the first `size` bytes of the open file `fd` (constant memory: counted in
 * chunks). Remembered per device and inode: asked again for the same size and modification
 * time, the answer is at once; for a file that grew and whose last counted bytes are unchanged
 * (appended to, as an active audit file is), only the new bytes are counted.
 *
 * @example
 * ```ts
 * const { fd, size } = openRegularFile(path);
 * const lines = await countNewlines(fd, size); // the number of the last complete line
 * ```
 */
export async function countNewlines(fd: number, size: number): Promise<number> {
  const stats = fstatSync(fd);
  const key = `${stats.dev}:${stats.ino}`;
  const source = fdSource(fd, size);
  const known = counted.get(key);
  let newlines: number;
  if (known !== undefined && known.size === size && known.mtimeMs === stats.mtimeMs) return known.newlines;
  if (known !== undefined && known.size < size && (await readTail(source, known.size)).equals(known.tail)) {
    newlines = known.newlines + (await countRange(source, known.size, size));
  } else newlines = await countRange(source, 0, size);
  counted.delete(key);
  if (counted.size >= MAX_COUNTED) counted.delete(counted.keys().next().value as string);
  counted.set(key, { size, mtimeMs: stats.mtimeMs, newlines, tail: await readTail(source, size) });
  return newlines;
}

/**
 * A gzip archive inflates into memory up to this many bytes; past it into a temporary file (so
 * reading an archive backwards holds at most this much).
 */
export const GZ_IN_MEMORY_BYTES = 8 * 1024 * 1024;

/** Inflates a `.gz` audit file (within `maxGunzipBytes`) into memory or a temporary file; counts its newlines. */
async function inflated(file: AuditFile, maxGunzipBytes: number): Promise<{ source: ByteSource; newlines: number }> {
  const opened = openRegularFile(file.path);
  const raw = createReadStream(file.path, { fd: opened.fd, highWaterMark: 64 * 1024 });
  const gunzip = createGunzip();
  raw.on("error", (error) => gunzip.destroy(error));
  raw.pipe(gunzip);
  const held: Buffer[] = [];
  let size = 0;
  let newlines = 0;
  let spill: number | undefined;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxGunzipBytes) throw new ReadLimitError(file.path, undefined, `decompresses to more than ${maxGunzipBytes} bytes (a gzip bomb? --max-gunzip-bytes): not read further`);
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) newlines++;
      if (spill === undefined && size > GZ_IN_MEMORY_BYTES) {
        // A private temporary file, unlinked at once: only the descriptor reaches it.
        const dir = mkdtempSync(join(tmpdir(), "slf4ts-inflated-"));
        try {
          const path = join(dir, "archive");
          spill = openSync(path, "wx+", 0o600);
          unlinkSync(path);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        for (const piece of held) writeAll(spill, piece);
        held.length = 0;
      }
      if (spill === undefined) held.push(chunk);
      else writeAll(spill, chunk);
    }
  } catch (error) {
    if (spill !== undefined) closeSync(spill);
    throw error;
  } finally {
    gunzip.destroy();
    raw.destroy();
  }
  return { source: spill === undefined ? memorySource(Buffer.concat(held, size)) : fdSource(spill, size), newlines };
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
}

/**
 * How {@link readAuditLinesNewestFirst} reads: {@link ReadLinesOptions}, and the chunk size
 * (tests try small ones).
 *
 * @example
 * ```ts
 * const options: ReverseReadOptions = { longLines: "yield", chunkBytes: 7 };
 * ```
 */
export interface ReverseReadOptions extends ReadLinesOptions {
  /** Bytes read at a time from the end (default 256 KiB). */
  readonly chunkBytes?: number;
}

/**
 * Reads the lines of an audit file newest first: the lines {@link readAuditLines} reads, with
 * the same numbers, `complete` and `tooLong`, in the reverse order, in constant memory (one
 * chunk and one line; an archive as said in the module's description). The file is opened as
 * every reader opens it (no symbolic link, no FIFO, a regular file) and read up to its size when
 * opened: lines appended meanwhile are not read (they are newer than the first line yielded).
 *
 * @example
 * ```ts
 * for await (const line of readAuditLinesNewestFirst(file)) console.log(line.lineNumber, line.text);
 * ```
 */
export async function* readAuditLinesNewestFirst(file: AuditFile, options: ReverseReadOptions = {}): AsyncGenerator<FileLine> {
  const limits = file.limits ?? DEFAULT_READ_LIMITS;
  let source: ByteSource;
  let newlines: number;
  if (file.compressed) ({ source, newlines } = await inflated(file, limits.maxGunzipBytes));
  else {
    const opened = openRegularFile(file.path);
    source = fdSource(opened.fd, opened.size);
    try {
      newlines = await countNewlines(opened.fd, opened.size);
    } catch (error) {
      source.close();
      throw error;
    }
  }
  try {
    const chunkBytes = Math.max(1, options.chunkBytes ?? CHUNK);
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const splitter = new ReverseLineSplitter(limits.maxLineBytes);
    let lineNumber: number | undefined;
    const line = (found: ReverseLine): FileLine => {
      const number = lineNumber as number;
      lineNumber = number - 1;
      if (typeof found.item === "string") return { text: found.item, lineNumber: number, complete: found.complete };
      if (options.longLines !== "yield") {
        throw new ReadLimitError(file.path, number, `line longer than ${limits.maxLineBytes} bytes (${found.item.tooLong} bytes; --max-line-bytes)`);
      }
      return { text: "", lineNumber: number, complete: found.complete, tooLong: found.item.tooLong };
    };
    for (let end = source.size; end > 0; ) {
      const length = Math.min(chunkBytes, end);
      const n = await source.read(buffer, length, end - length);
      // The file shrank meanwhile (truncated): what is left was read.
      if (n < length) return;
      // The last line has no line feed: it counts as one more line.
      if (lineNumber === undefined) lineNumber = newlines + (buffer[length - 1] === 0x0a ? 0 : 1);
      end -= length;
      for (const found of splitter.push(buffer.subarray(0, length))) yield line(found);
    }
    for (const found of splitter.finish()) yield line(found);
  } finally {
    source.close();
  }
}

/**
 * The position of the last line feed in the first `size` bytes of the open file `fd`, read
 * backwards chunk by chunk (constant memory); -1 when there is none.
 *
 * @example
 * ```ts
 * const start = (await lastNewline(fd, size)) + 1; // where a last line still being written begins
 * ```
 */
export async function lastNewline(fd: number, size: number): Promise<number> {
  const source = fdSource(fd, size);
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (let end = size; end > 0; ) {
    const length = Math.min(CHUNK, end);
    const n = await source.read(buffer, length, end - length);
    if (n < length) return -1;
    end -= length;
    const i = buffer.subarray(0, length).lastIndexOf(0x0a);
    if (i >= 0) return end + i;
  }
  return -1;
}

/**
 * Where line `line` + 1 begins in the first `size` bytes of the open file `fd`: the position
 * right after its `line`-th line feed (0 for line 0), counted chunk by chunk (constant memory);
 * undefined when there are fewer line feeds.
 *
 * @example
 * ```ts
 * await offsetAfterLine(fd, size, 2); // 4 for "a\nb\nc\n"
 * ```
 */
export async function offsetAfterLine(fd: number, size: number, line: number): Promise<number | undefined> {
  if (line === 0) return 0;
  const source = fdSource(fd, size);
  const buffer = Buffer.allocUnsafe(CHUNK);
  let left = line;
  for (let position = 0; position < size; ) {
    const n = await source.read(buffer, Math.min(CHUNK, size - position), position);
    if (n <= 0) break;
    const chunk = buffer.subarray(0, n);
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) if (--left === 0) return position + i + 1;
    position += n;
  }
  return undefined;
}
