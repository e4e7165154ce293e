/**
 * Following an audit log's active file as `tail -f` does, across rotations: the machinery of
 * `slf4ts-audit tail -f`, shared with the follow mode of `slf4ts-audit serve`.
 *
 * Following polls (fs.watch is not reliable across platforms and renames): the open file is
 * read to its end, then its path is looked at. When the path names another file (the writer
 * renamed the file to `.1` and created a new one), the old file is read to its end through the
 * descriptor still open, the files rotated since are found by their inode among `.1`, `.2`, …
 * (or, once compressed to `.N.gz`, by their size and first bytes) and read in order (so several
 * rotations between two looks lose nothing), and the new active file is followed from its
 * start. A file that shrinks in place was truncated and is read again from its start. A last
 * line without a line break is held until it is complete.
 *
 * Every file is opened without following a symbolic link or blocking on a FIFO; lines are split
 * in time linear in their length, and a line longer than the limit is counted, not held.
 *
 * @module
 */
import { closeSync, fstatSync, readSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { LineSplitter, openAuditFile, readAuditFileBounded, ReadLimitError, type LongLine, type ReadLimits } from "../logfile/read.js";
import { countNewlines, lastNewline, offsetAfterLine } from "../logfile/reverse.js";
/** A line read, or one too long to read (only its length known). */
export interface Line {
  readonly text: string;
  readonly lineNumber: number;
  readonly tooLong?: number;
}

/** A line, or a {@link LongLine}, as a {@link Line} with its number. */
export function numbered(item: string | LongLine, lineNumber: number): Line {
  return typeof item === "string" ? { text: item, lineNumber } : { text: "", lineNumber, tooLong: item.tooLong };
}

/** One file being read through its descriptor. */
export interface OpenFile {
  readonly fd: number;
  readonly ino: number;
  /** The path it was found under (shown with its records). */
  readonly path: string;
  position: number;
  lineNumber: number;
  readonly splitter: LineSplitter;
  /** Its first bytes (up to {@link HEAD}), to know it again once it is compressed. */
  head: Buffer;
}

/** How many leading bytes identify a file that was compressed after rotation. */
const HEAD = 4096;

/** Opens a file to follow (no symbolic link, no FIFO: {@link openAuditFile}); undefined when it is not there. */
export function openFile(path: string, limits: ReadLimits): OpenFile | undefined {
  let fd: number;
  try {
    fd = openAuditFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return { fd, ino: fstatSync(fd).ino, path, position: 0, lineNumber: 0, splitter: new LineSplitter(limits.maxLineBytes), head: Buffer.alloc(0) };
}

/** The first bytes of an open file (up to {@link HEAD}), to know it again once compressed. */
function readHead(fd: number, size: number): Buffer {
  const head = Buffer.alloc(Math.min(HEAD, size));
  const n = readSync(fd, head, 0, head.length, 0);
  return head.subarray(0, n);
}

/**
 * Opens a file to follow from where line `line` ends (its `line`-th line feed; `"end"`: from
 * the start of its last line still without a line feed, or its end), without reading what comes
 * before into memory: the line feeds before are counted in chunks (and remembered per file, see
 * `countNewlines`), so the lines read next carry their right numbers. Undefined when the file is
 * not there, or (for a line number) it has fewer lines.
 *
 * @example
 * ```ts
 * const start = await openFileAt(path, limits, "end"); // follow what is written from now on
 * ```
 */
export async function openFileAt(path: string, limits: ReadLimits, line: number | "end"): Promise<OpenFile | undefined> {
  const file = openFile(path, limits);
  if (file === undefined) return undefined;
  try {
    const size = fstatSync(file.fd).size;
    if (line === "end") {
      file.position = (await lastNewline(file.fd, size)) + 1;
      file.lineNumber = file.position === 0 ? 0 : await countNewlines(file.fd, file.position);
    } else {
      const position = await offsetAfterLine(file.fd, size, line);
      if (position === undefined) {
        closeSync(file.fd);
        return undefined;
      }
      file.position = position;
      file.lineNumber = line;
    }
    file.head = readHead(file.fd, size);
    return file;
  } catch (error) {
    closeQuietly(file.fd);
    throw error;
  }
}

const CHUNK = 64 * 1024;

/** Reads an open file from its position to its end; returns its complete lines with their numbers. */
export function drain(file: OpenFile): Line[] {
  const out: Line[] = [];
  const buffer = Buffer.alloc(CHUNK);
  for (;;) {
    const n = readSync(file.fd, buffer, 0, CHUNK, file.position);
    if (n === 0) break;
    if (file.position < HEAD) file.head = Buffer.concat([file.head, buffer.subarray(0, Math.min(n, HEAD - file.position))]);
    file.position += n;
    for (const item of file.splitter.push(buffer.subarray(0, n))) out.push(numbered(item, ++file.lineNumber));
  }
  return out;
}

export function statOrUndefined(path: string): { ino: number; size: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      done();
    }
    signal.addEventListener("abort", finish, { once: true });
  });
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

/** The most rotations between two looks that tail catches up on. */
const MAX_CATCH_UP = 64;

/** An archive rotated since the followed file, already read into memory (it was compressed). */
interface ReadArchive {
  readonly path: string;
  readonly data: Buffer;
}

/** The file the writer let go of: its inode, and its size and first bytes to know it once compressed. */
interface OldFile {
  readonly ino: number;
  readonly size: number;
  readonly head: Buffer;
}

/**
 * The decompressed content of a `.gz` archive; undefined when it is not there or not (yet) a
 * whole gzip file. Throws {@link ReadLimitError} when it decompresses to more than
 * `maxGunzipBytes`, {@link NotRegularFileError} for a link or a FIFO.
 */
function gunzipOrUndefined(path: string, limits: ReadLimits): Buffer | undefined {
  let compressed: Buffer;
  try {
    compressed = readAuditFileBounded(path, limits.maxGunzipBytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return gunzipSync(compressed, { maxOutputLength: limits.maxGunzipBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new ReadLimitError(path, undefined, `decompresses to more than ${limits.maxGunzipBytes} bytes (a gzip bomb? --max-gunzip-bytes): not read`);
    }
    return undefined;
  }
}

/**
 * After the followed file's path came to name another file: the files to read next, oldest
 * first (the archives written since, then the new active file, which is followed), or
 * "wait" while a rotation (or a compression) seems to be under way, or "lost" when the old file
 * cannot be found among the archives (then archives in between may have been missed). An
 * archive compressed since (`.N.gz`) is known again by its size and first bytes.
 */
function successors(path: string, old: OldFile, limits: ReadLimits): Array<OpenFile | ReadArchive> | "wait" | "lost" {
  const found: Array<OpenFile | ReadArchive> = [];
  const seen = new Set<number>();
  const close = (): void => found.forEach((f) => "fd" in f && closeSync(f.fd));
  // Upward from the active file: files move upward as they are rotated, so none is missed.
  // More than MAX_CATCH_UP rotations between two looks is not looked for (each .gz is read).
  for (let i = 0; i <= MAX_CATCH_UP; i++) {
    const name = i === 0 ? path : `${path}.${i}`;
    const file = openFile(name, limits);
    if (file === undefined) {
      if (i === 0) {
        close();
        return "wait";
      }
      const data = gunzipOrUndefined(`${name}.gz`, limits);
      if (data === undefined) break;
      if (data.length === old.size && data.subarray(0, old.head.length).equals(old.head)) return found.reverse();
      found.push({ path: `${name}.gz`, data });
      continue;
    }
    if (file.ino === old.ino) {
      closeSync(file.fd);
      // The active file itself is the old one again: nothing to switch to yet.
      if (i === 0) return "wait";
      return found.reverse();
    }
    if (seen.has(file.ino)) {
      closeSync(file.fd);
      continue;
    }
    seen.add(file.ino);
    found.push(file);
  }
  close();
  return statOrUndefined(`${path}.rotating`)?.ino === old.ino ? "wait" : "lost";
}

/** How many looks in a row may fail to find the old file before tail says records may be missing. */
const LOST_AFTER = 8;

/**
 * What a follower reports besides lines.
 *
 * @example
 * ```ts
 * const events: FollowEvents = { lines: (lines, path) => {}, rotatedMidLine: () => {}, lost: () => {}, truncated: () => {} };
 * ```
 */
export interface FollowEvents {
  /**
   * Complete lines (or lines too long to read) of the file found under `path`, in order; `ino`
   * is its inode (undefined for an archive read compressed).
   */
  lines(lines: readonly Line[], path: string, ino?: number): void;
  /** The file under `path` was rotated with a last line without a line break (it follows, as line `lineNumber`). */
  rotatedMidLine(path: string, lineNumber: number): void;
  /** The rotated file is gone from the archives: records of archives rotated in between may be missing. */
  lost(): void;
  /** The file shrank in place: it is read again from its start. */
  truncated(): void;
}

/**
 * How a follower polls.
 *
 * @example
 * ```ts
 * const options: FollowOptions = { limits: DEFAULT_READ_LIMITS, pollMs: 250, signal: controller.signal };
 * ```
 */
export interface FollowOptions {
  readonly limits: ReadLimits;
  /** How often the followed file is looked at. */
  readonly pollMs: number;
  /** Stops following (what is complete is reported first). */
  readonly signal: AbortSignal;
}

/**
 * Follows the active file at `path` until `signal` is aborted, from where `current` stands
 * (undefined: from the start of the file once it is there). Takes `current` over: every file it
 * opens is closed when it returns or throws. Throws {@link ReadLimitError} for an archive past
 * `maxGunzipBytes`, `NotRegularFileError` for a link or a FIFO, the system's error otherwise.
 *
 * @example
 * ```ts
 * const start = openFile(path, limits);
 * if (start !== undefined) drain(start); // skip what is there
 * await followFile(path, start, { limits, pollMs: 250, signal }, events);
 * ```
 */
export async function followFile(path: string, start: OpenFile | undefined, options: FollowOptions, events: FollowEvents): Promise<void> {
  const { limits, pollMs, signal } = options;
  let current = start;
  try {
    let misses = 0;
    while (!signal.aborted) {
      if (current === undefined) {
        current = openFile(path, limits);
        if (current === undefined) {
          await sleep(pollMs, signal);
          continue;
        }
      }
      events.lines(drain(current), current.path, current.ino);
      const now = statOrUndefined(path);
      if (now !== undefined && now.ino !== current.ino) {
        // Rotated: what the writer put in the old file before it let go of it comes first.
        events.lines(drain(current), current.path, current.ino);
        let next = successors(path, { ino: current.ino, size: current.position, head: current.head }, limits);
        // A rotation or compression under way can hide the old file for a moment.
        if (next === "lost" && ++misses < LOST_AFTER) next = "wait";
        if (next === "wait") {
          await sleep(pollMs, signal);
          continue;
        }
        misses = 0;
        const rest = current.splitter.takeRest();
        if (rest !== "") {
          events.rotatedMidLine(current.path, current.lineNumber + 1);
          events.lines([numbered(rest, current.lineNumber + 1)], current.path, current.ino);
        }
        closeSync(current.fd);
        current = undefined;
        if (next === "lost") {
          events.lost();
          current = openFile(path, limits);
          continue;
        }
        // The archives written since, in order, then the new active file.
        const last = next.pop() as OpenFile;
        for (const file of next) {
          if ("fd" in file) {
            events.lines(drain(file), file.path, file.ino);
            closeSync(file.fd);
          } else {
            const splitter = new LineSplitter(limits.maxLineBytes);
            events.lines(splitter.push(file.data).map((item, i) => numbered(item, i + 1)), file.path);
          }
        }
        current = last;
        continue;
      }
      if (now !== undefined && now.size < current.position) {
        events.truncated();
        current.position = 0;
        current.lineNumber = 0;
        current.splitter.takeRest();
        continue;
      }
      await sleep(pollMs, signal);
    }
    // Stopped: what is complete has been reported.
    if (current !== undefined) events.lines(drain(current), current.path, current.ino);
  } finally {
    if (current !== undefined) closeQuietly(current.fd);
  }
}
