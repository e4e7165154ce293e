/**
 * `slf4ts-audit tail`: the last records of an audit log, and with `-f` every new record as it
 * is written, following the active file across rotations.
 *
 * Following polls (fs.watch is not reliable across platforms and renames): the open file is
 * read to its end, then its path is looked at. When the path names another file (the writer
 * renamed the file to `.1` and created a new one), the old file is read to its end through the
 * descriptor still open, the files rotated since are found by their inode among `.1`, `.2`, …
 * (or, once compressed to `.N.gz`, by their size and first bytes) and read in order (so several
 * rotations between two looks lose nothing), and the new active
 * file is followed from its start. A file that shrinks in place was truncated and is read again
 * from its start. A last line without a line break is held until it is complete.
 *
 * Every file is opened without following a symbolic link or blocking on a FIFO (the path given
 * is resolved once, at the start); lines are split in time linear in their length, and a line
 * longer than `--max-line-bytes` is counted, not held, and reported.
 *
 * @module
 */
import { closeSync, fstatSync, readSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { findAuditLogs, readAuditLines, resolveArgument, type AuditFile, type AuditLogFiles } from "../logfile/files.js";
import { createLineDecoder, type LineDecoder, type LocatedRecord } from "../logfile/records.js";
import { FILTER_OPTIONS, matches, UsageError, type RecordFilter } from "./filters.js";
import { EXIT, type CliCommand, type CliIo } from "./io.js";
import { displayPath, jsonLine, rawLineText, terminalText } from "./output.js";
import { checkOptions, oneOf } from "./options.js";
import { LIMIT_OPTIONS, readFilterOptions, readLimitOptions } from "./query.js";
import { LineSplitter, NotRegularFileError, openAuditFile, readAuditFileBounded, ReadLimitError, type LongLine, type ReadLimits } from "../logfile/read.js";

const HELP = `Usage: slf4ts-audit tail [-f] [-n N] [<file or folder>] [options]

Prints the last N records of an audit log (from its active file, and from its newest archives
when the active file has fewer), and with -f every record written after them, following the
active file across rotations (renamed to .1, a new file created) until Ctrl-C. A folder stands
for the one audit log in it (its active file and archives, found as query finds them).

Options:
  -n, --lines N       how many records to print first (default 10; 0 for none)
  -f, --follow        keep printing new records; a last line is printed once it is complete
  --properties FILE   the slf4j-auditlog.properties the file was written with (its format, and
                      its file.location when no file is given)
  --event GLOB        only records whose event id matches GLOB (* and ?); repeatable
  --attr NAME=VALUE   only records with that attribute value; NAME~REGEX for a regular
                      expression; repeatable, all must match
  --since TIME, --until TIME, --tz ZONE, --time-attr NAME
                      as for query
  --format FORMAT     raw (default: the lines as written) or jsonl (as query)
  --poll MS           how often a followed file is looked at, in milliseconds (default 250)
  --max-line-bytes SIZE, --max-gunzip-bytes SIZE
                      as for query (default 16MB and 1GB)
  -h, --help          this help

Raw lines are printed with control, C1 and bidi characters (but TAB) written as \\n, \\r,
\\u001B, \\u202E, ... (a line the logger wrote has none and is printed unchanged). Symbolic
links and FIFOs among the archives and the followed file are not read (the path given may be a
link: it is resolved once, at the start).
Lines that cannot be read (with a filter or jsonl) and lines longer than --max-line-bytes are
reported on stderr as FILE:LINE: why.
Exit codes: 0 done (Ctrl-C ends -f), 1 some lines could not be read, 2 bad command line,
3 the file could not be read (or an unexpected error).

Examples:
  slf4ts-audit tail -n 20 /var/log/app/audit.log
  slf4ts-audit tail -f --properties /etc/app/slf4j-auditlog.properties --event 'ox.log*' --format jsonl
`;

interface TailOptions {
  readonly path: string;
  readonly lines: number;
  readonly follow: boolean;
  readonly format: "raw" | "jsonl";
  readonly pollMs: number;
  readonly decode: LineDecoder | undefined;
  readonly filter: RecordFilter;
  readonly limits: ReadLimits;
}

function parseTailArgs(args: readonly string[], io: CliIo): TailOptions {
  const options = { ...FILTER_OPTIONS, ...LIMIT_OPTIONS, lines: { type: "string", short: "n" }, follow: { type: "boolean", short: "f" }, poll: { type: "string" } } as const;
  checkOptions(args, options);
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], allowPositionals: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values;
  const lines = values.lines ?? "10";
  if (!/^[0-9]{1,9}$/.test(lines)) throw new UsageError(`-n "${lines}": expected a whole number from 0`);
  const poll = values.poll ?? "250";
  if (!/^[1-9][0-9]{0,5}$/.test(poll)) throw new UsageError(`--poll "${poll}": expected milliseconds from 1`);
  const format = oneOf("--format", values.format ?? "raw", ["raw", "jsonl"]);
  if (parsed.positionals.length > 1) throw new UsageError("tail follows one log: give one file or folder");
  const limits = readLimitOptions(values);
  const { settings, filter } = readFilterOptions(values, io.cwd, Date.now());
  const given = parsed.positionals[0];
  const named = given !== undefined ? resolve(io.cwd, given) : settings.location;
  // The path named is resolved once (the user named it); what is found there later is not followed.
  const path = named === undefined ? undefined : activeFileOf(resolveArgument(named), limits);
  if (path === undefined) throw new UsageError("no file given: name the active file or its folder, or give --properties with a file.location");
  const filtering = filter.events.length > 0 || filter.attributes.length > 0 || filter.since !== undefined || filter.until !== undefined;
  // Raw lines without a filter need no reading at all (any line is printed as written).
  const decode = filtering || format === "jsonl" || values["time-attr"] !== undefined ? createLineDecoder(settings, values["time-attr"]) : undefined;
  return { path, lines: Number(lines), follow: values.follow === true, format, pollMs: Number(poll), decode, filter, limits };
}

/**
 * The active file to follow for a path given: the path itself, or for a folder the active file
 * of the one audit log in it (found as `query` finds logs in a folder: the active file and its
 * archives). Throws a UsageError when the folder holds several logs, an Error when it holds none.
 */
function activeFileOf(path: string, limits: ReadLimits): string {
  if (statOrUndefined(path)?.isDirectory() !== true) return path;
  const logs = findAuditLogs(path, limits);
  if (logs.length === 1) return (logs[0] as AuditLogFiles).active;
  if (logs.length === 0) throw new Error(`cannot read ${path} (no audit log in the folder)`);
  const names = logs.map((log) => terminalText(basename(log.active)));
  throw new UsageError(`the folder ${terminalText(path)} holds ${logs.length} logs (${names.join(", ")}): name the active file of the one to tail`);
}

/** A line read, or one too long to read (only its length known). */
interface Line {
  readonly text: string;
  readonly lineNumber: number;
  readonly tooLong?: number;
}

/** A line, or a {@link LongLine}, as a {@link Line} with its number. */
function numbered(item: string | LongLine, lineNumber: number): Line {
  return typeof item === "string" ? { text: item, lineNumber } : { text: "", lineNumber, tooLong: item.tooLong };
}

/** One file being read through its descriptor. */
interface OpenFile {
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
function openFile(path: string, limits: ReadLimits): OpenFile | undefined {
  let fd: number;
  try {
    fd = openAuditFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return { fd, ino: fstatSync(fd).ino, path, position: 0, lineNumber: 0, splitter: new LineSplitter(limits.maxLineBytes), head: Buffer.alloc(0) };
}

const CHUNK = 64 * 1024;

/** Reads an open file from its position to its end; returns its complete lines with their numbers. */
function drain(file: OpenFile): Line[] {
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

function statOrUndefined(path: string): { ino: number; size: number; isDirectory(): boolean } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
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

/** Prints records (or reports lines that cannot be read) for one run of the command. */
class Printer {
  unreadable = 0;
  /** Files named like audit files that were not read (links, FIFOs). */
  refusedFiles = 0;

  constructor(
    private readonly io: CliIo,
    private readonly options: TailOptions,
  ) {}

  /** The record a line holds if it passes the filter; reports a line that cannot be read. */
  select({ text, lineNumber, tooLong }: Line, path: string): LocatedRecord | "raw" | undefined {
    if (tooLong !== undefined) {
      this.unreadable++;
      this.io.err(`${terminalText(displayPath(path, this.io.cwd))}:${lineNumber}: line longer than ${this.options.limits.maxLineBytes} bytes (${tooLong} bytes; --max-line-bytes): not read\n`);
      return undefined;
    }
    const decode = this.options.decode;
    if (decode === undefined) return "raw";
    const decoded = decode(text);
    if (!decoded.ok) {
      this.unreadable++;
      this.io.err(`${terminalText(displayPath(path, this.io.cwd))}:${lineNumber}: ${terminalText(decoded.why)}\n`);
      return undefined;
    }
    const file: AuditFile = { path, index: 0, compressed: false };
    const record: LocatedRecord = { ...decoded.record, file, lineNumber, text };
    return matches(record, this.options.filter) ? record : undefined;
  }

  /** Reports a file that is not read (a link, a FIFO). */
  refused(error: NotRegularFileError): void {
    this.refusedFiles++;
    this.io.err(`slf4ts-audit tail: cannot read ${terminalText(displayPath(error.path, this.io.cwd))} (${error.what}, not a regular file: not followed or opened)\n`);
  }

  /** The exit code for what was seen. */
  exitCode(): number {
    return this.refusedFiles > 0 ? EXIT.IO : this.unreadable > 0 ? EXIT.FINDINGS : EXIT.OK;
  }

  print(text: string, record: LocatedRecord | "raw"): void {
    if (record === "raw" || this.options.format === "raw") this.io.out(rawLineText(text) + "\n");
    else this.io.out(jsonLine(record, displayPath(record.file.path, this.io.cwd)));
  }

  /** Prints the selected lines of a batch. */
  emit(lines: readonly Line[], path: string): void {
    for (const line of lines) {
      const record = this.select(line, path);
      if (record !== undefined) this.print(line.text, record);
    }
  }
}

/** The last `count` selected lines of the log: the active file's, then its newest archives'. */
async function lastRecords(
  active: OpenFile | undefined,
  activeLines: readonly Line[],
  options: TailOptions,
  printer: Printer,
): Promise<Array<{ text: string; record: LocatedRecord | "raw" }>> {
  const count = options.lines;
  if (count === 0) return [];
  const pick = (lines: readonly Line[], path: string): Array<{ text: string; record: LocatedRecord | "raw" }> => {
    const selected: Array<{ text: string; record: LocatedRecord | "raw" }> = [];
    for (const line of lines) {
      const record = printer.select(line, path);
      if (record !== undefined) selected.push({ text: line.text, record });
    }
    return selected;
  };
  let result = active === undefined ? [] : pick(activeLines, active.path).slice(-count);
  if (result.length >= count) return result;
  let archives: AuditFile[] = [];
  try {
    archives = findAuditLogs(options.path, options.limits)[0]?.files.filter((f) => f.index > 0) ?? [];
  } catch {
    archives = [];
  }
  // Newest archive first, until there are enough.
  for (const file of [...archives].reverse()) {
    const lines: Line[] = [];
    try {
      for await (const line of readAuditLines(file, { longLines: "yield" })) if (line.complete) lines.push(line);
    } catch (error) {
      if (!(error instanceof NotRegularFileError)) throw error;
      // A link or a FIFO named like an archive: not read, said, and the older archives still are.
      printer.refused(error);
      continue;
    }
    result = [...pick(lines, file.path).slice(-(count - result.length)), ...result];
    if (result.length >= count) break;
  }
  return result;
}

function closeQuietly(fd: number): void {
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

/** The `tail` command. */
export const tailCommand: CliCommand = {
  summary: "print the last records of an audit log, and follow it across rotations with -f",
  help: HELP,
  async run(args, io) {
    let options: TailOptions;
    try {
      options = parseTailArgs(args, io);
    } catch (error) {
      if (error instanceof UsageError) {
        io.err(`slf4ts-audit tail: ${error.message}\nRun slf4ts-audit tail --help for the options.\n`);
        return EXIT.USAGE;
      }
      io.err(`slf4ts-audit tail: ${terminalText((error as Error).message)}\n`);
      return EXIT.IO;
    }
    const shown = (path: string): string => terminalText(displayPath(path, io.cwd));
    const printer = new Printer(io, options);
    let current: OpenFile | undefined;
    try {
      current = openFile(options.path, options.limits);
      if (current === undefined && !options.follow) {
        io.err(`slf4ts-audit tail: cannot read ${terminalText(options.path)} (ENOENT)\n`);
        return EXIT.IO;
      }
      const initial = current === undefined ? [] : drain(current);
      for (const { text, record } of await lastRecords(current, initial, options, printer)) printer.print(text, record);
      if (!options.follow) {
        if (current !== undefined) closeSync(current.fd);
        return printer.exitCode();
      }
      let misses = 0;
      while (!io.signal.aborted) {
        if (current === undefined) {
          current = openFile(options.path, options.limits);
          if (current === undefined) {
            await sleep(options.pollMs, io.signal);
            continue;
          }
        }
        printer.emit(drain(current), current.path);
        const now = statOrUndefined(options.path);
        if (now !== undefined && now.ino !== current.ino) {
          // Rotated: what the writer put in the old file before it let go of it comes first.
          printer.emit(drain(current), current.path);
          let next = successors(options.path, { ino: current.ino, size: current.position, head: current.head }, options.limits);
          // A rotation or compression under way can hide the old file for a moment.
          if (next === "lost" && ++misses < LOST_AFTER) next = "wait";
          if (next === "wait") {
            await sleep(options.pollMs, io.signal);
            continue;
          }
          misses = 0;
          const rest = current.splitter.takeRest();
          if (rest !== "") {
            io.err(`${shown(current.path)}:${current.lineNumber + 1}: the file was rotated with a last line without a line break\n`);
            printer.emit([numbered(rest, current.lineNumber + 1)], current.path);
          }
          closeSync(current.fd);
          if (next === "lost") {
            io.err(`slf4ts-audit tail: the rotated ${shown(options.path)} is gone from the archives; records of archives rotated in between may be missing\n`);
            current = openFile(options.path, options.limits);
            continue;
          }
          // The archives written since, in order, then the new active file.
          const last = next.pop() as OpenFile;
          for (const file of next) {
            if ("fd" in file) {
              printer.emit(drain(file), file.path);
              closeSync(file.fd);
            } else {
              const splitter = new LineSplitter(options.limits.maxLineBytes);
              printer.emit(splitter.push(file.data).map((item, i) => numbered(item, i + 1)), file.path);
            }
          }
          current = last;
          continue;
        }
        if (now !== undefined && now.size < current.position) {
          io.err(`slf4ts-audit tail: ${shown(options.path)} was truncated; reading it from its start\n`);
          current.position = 0;
          current.lineNumber = 0;
          current.splitter.takeRest();
          continue;
        }
        await sleep(options.pollMs, io.signal);
      }
      // Ctrl-C: what is complete has been printed.
      if (current !== undefined) printer.emit(drain(current), current.path);
      if (current !== undefined) closeSync(current.fd);
    } catch (error) {
      if (current !== undefined) closeQuietly(current.fd);
      if (error instanceof ReadLimitError) {
        // An archive past --max-gunzip-bytes: a finding about the file, not an I/O failure.
        io.err(`${shown(error.path)}${error.line === undefined ? "" : `:${error.line}`}: ${terminalText(error.why)}\n`);
        return EXIT.FINDINGS;
      }
      const why = error instanceof NotRegularFileError ? `${error.what}, not a regular file: not followed or opened` : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      const path = error instanceof NotRegularFileError ? error.path : options.path;
      io.err(`slf4ts-audit tail: cannot read ${shown(path)} (${terminalText(why)})\n`);
      return EXIT.IO;
    }
    return printer.exitCode();
  },
};
