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
 * @module
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { createLineDecoder, findAuditLogs, readAuditLines, type AuditFile, type LineDecoder, type LocatedRecord } from "./files.js";
import { FILTER_OPTIONS, matches, UsageError, type RecordFilter } from "./filters.js";
import { EXIT, type CliCommand, type CliIo } from "./io.js";
import { displayPath, jsonLine } from "./output.js";
import { readFilterOptions } from "./query.js";

const HELP = `Usage: slf4ts-audit tail [-f] [-n N] [<file>] [options]

Prints the last N records of an audit log (from its active file, and from its newest archives
when the active file has fewer), and with -f every record written after them, following the
active file across rotations (renamed to .1, a new file created) until Ctrl-C.

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
  -h, --help          this help

Lines that cannot be read (with a filter or jsonl) are reported on stderr as FILE:LINE: why.
Exit codes: 0 done (Ctrl-C ends -f), 1 some lines could not be read, 2 bad command line,
3 the file could not be read.

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
}

function parseTailArgs(args: readonly string[], io: CliIo): TailOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { ...FILTER_OPTIONS, lines: { type: "string", short: "n" }, follow: { type: "boolean", short: "f" }, poll: { type: "string" } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values;
  const lines = values.lines ?? "10";
  if (!/^[0-9]{1,9}$/.test(lines)) throw new UsageError(`-n "${lines}": expected a whole number from 0`);
  const poll = values.poll ?? "250";
  if (!/^[1-9][0-9]{0,5}$/.test(poll)) throw new UsageError(`--poll "${poll}": expected milliseconds from 1`);
  const format = values.format ?? "raw";
  if (format !== "raw" && format !== "jsonl") throw new UsageError(`--format "${format}": expected raw or jsonl`);
  if (parsed.positionals.length > 1) throw new UsageError("tail follows one file");
  const { settings, filter } = readFilterOptions(values, io.cwd, Date.now());
  const given = parsed.positionals[0];
  const path = given !== undefined ? resolve(io.cwd, given) : settings.location;
  if (path === undefined) throw new UsageError("no file given: name the active file, or give --properties with a file.location");
  const filtering = filter.events.length > 0 || filter.attributes.length > 0 || filter.since !== undefined || filter.until !== undefined;
  // Raw lines without a filter need no reading at all (any line is printed as written).
  const decode = filtering || format === "jsonl" || values["time-attr"] !== undefined ? createLineDecoder(settings, values["time-attr"]) : undefined;
  return { path, lines: Number(lines), follow: values.follow === true, format, pollMs: Number(poll), decode, filter };
}

/** Splits bytes into lines; bytes after the last line feed wait for the rest of their line. */
class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** The complete lines in `chunk` (with what was pending before it). */
  push(chunk: Buffer): string[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let start = 0;
    for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, start)) {
      let end = i;
      if (end > start && data[end - 1] === 0x0d) end--;
      lines.push(data.toString("utf8", start, end));
      start = i + 1;
    }
    this.pending = Buffer.from(data.subarray(start));
    return lines;
  }

  /** What is left after the last line feed (and forgets it). */
  takeRest(): string {
    const rest = this.pending.toString("utf8");
    this.pending = Buffer.alloc(0);
    return rest;
  }
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

function openFile(path: string): OpenFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return { fd, ino: fstatSync(fd).ino, path, position: 0, lineNumber: 0, splitter: new LineSplitter(), head: Buffer.alloc(0) };
}

const CHUNK = 64 * 1024;

/** Reads an open file from its position to its end; returns its complete lines with their numbers. */
function drain(file: OpenFile): Array<{ text: string; lineNumber: number }> {
  const out: Array<{ text: string; lineNumber: number }> = [];
  const buffer = Buffer.alloc(CHUNK);
  for (;;) {
    const n = readSync(file.fd, buffer, 0, CHUNK, file.position);
    if (n === 0) break;
    if (file.position < HEAD) file.head = Buffer.concat([file.head, buffer.subarray(0, Math.min(n, HEAD - file.position))]);
    file.position += n;
    for (const text of file.splitter.push(buffer.subarray(0, n))) out.push({ text, lineNumber: ++file.lineNumber });
  }
  return out;
}

function statOrUndefined(path: string): { ino: number; size: number } | undefined {
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

  constructor(
    private readonly io: CliIo,
    private readonly options: TailOptions,
  ) {}

  /** The record a line holds if it passes the filter; reports a line that cannot be read. */
  select(text: string, lineNumber: number, path: string): LocatedRecord | "raw" | undefined {
    const decode = this.options.decode;
    if (decode === undefined) return "raw";
    const decoded = decode(text);
    if (!decoded.ok) {
      this.unreadable++;
      this.io.err(`${displayPath(path, this.io.cwd)}:${lineNumber}: ${decoded.why}\n`);
      return undefined;
    }
    const file: AuditFile = { path, index: 0, compressed: false };
    const record: LocatedRecord = { ...decoded.record, file, lineNumber, text };
    return matches(record, this.options.filter) ? record : undefined;
  }

  print(text: string, record: LocatedRecord | "raw"): void {
    if (record === "raw" || this.options.format === "raw") this.io.out(text + "\n");
    else this.io.out(jsonLine(record, displayPath(record.file.path, this.io.cwd)));
  }

  /** Prints the selected lines of a batch. */
  emit(lines: ReadonlyArray<{ text: string; lineNumber: number }>, path: string): void {
    for (const { text, lineNumber } of lines) {
      const record = this.select(text, lineNumber, path);
      if (record !== undefined) this.print(text, record);
    }
  }
}

/** The last `count` selected lines of the log: the active file's, then its newest archives'. */
async function lastRecords(
  active: OpenFile | undefined,
  activeLines: ReadonlyArray<{ text: string; lineNumber: number }>,
  options: TailOptions,
  printer: Printer,
): Promise<Array<{ text: string; record: LocatedRecord | "raw" }>> {
  const count = options.lines;
  if (count === 0) return [];
  const pick = (lines: ReadonlyArray<{ text: string; lineNumber: number }>, path: string): Array<{ text: string; record: LocatedRecord | "raw" }> => {
    const selected: Array<{ text: string; record: LocatedRecord | "raw" }> = [];
    for (const { text, lineNumber } of lines) {
      const record = printer.select(text, lineNumber, path);
      if (record !== undefined) selected.push({ text, record });
    }
    return selected;
  };
  let result = active === undefined ? [] : pick(activeLines, active.path).slice(-count);
  if (result.length >= count) return result;
  let archives: AuditFile[] = [];
  try {
    archives = findAuditLogs(options.path)[0]?.files.filter((f) => f.index > 0) ?? [];
  } catch {
    archives = [];
  }
  // Newest archive first, until there are enough.
  for (const file of [...archives].reverse()) {
    const lines: Array<{ text: string; lineNumber: number }> = [];
    for await (const line of readAuditLines(file)) if (line.complete) lines.push({ text: line.text, lineNumber: line.lineNumber });
    result = [...pick(lines, file.path).slice(-(count - result.length)), ...result];
    if (result.length >= count) break;
  }
  return result;
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

function gunzipOrUndefined(path: string): Buffer | undefined {
  try {
    return gunzipSync(readFileSync(path));
  } catch {
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
function successors(path: string, old: OldFile): Array<OpenFile | ReadArchive> | "wait" | "lost" {
  const found: Array<OpenFile | ReadArchive> = [];
  const seen = new Set<number>();
  const close = (): void => found.forEach((f) => "fd" in f && closeSync(f.fd));
  // Upward from the active file: files move upward as they are rotated, so none is missed.
  // More than MAX_CATCH_UP rotations between two looks is not looked for (each .gz is read).
  for (let i = 0; i <= MAX_CATCH_UP; i++) {
    const name = i === 0 ? path : `${path}.${i}`;
    const file = openFile(name);
    if (file === undefined) {
      if (i === 0) {
        close();
        return "wait";
      }
      const data = gunzipOrUndefined(`${name}.gz`);
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
      io.err(`slf4ts-audit tail: ${(error as Error).message}\n`);
      return EXIT.IO;
    }
    const printer = new Printer(io, options);
    let current: OpenFile | undefined;
    try {
      current = openFile(options.path);
      if (current === undefined && !options.follow) {
        io.err(`slf4ts-audit tail: cannot read ${options.path} (ENOENT)\n`);
        return EXIT.IO;
      }
      const initial = current === undefined ? [] : drain(current);
      for (const { text, record } of await lastRecords(current, initial, options, printer)) printer.print(text, record);
      if (!options.follow) {
        if (current !== undefined) closeSync(current.fd);
        return printer.unreadable > 0 ? EXIT.FINDINGS : EXIT.OK;
      }
      let misses = 0;
      while (!io.signal.aborted) {
        if (current === undefined) {
          current = openFile(options.path);
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
          let next = successors(options.path, { ino: current.ino, size: current.position, head: current.head });
          // A rotation or compression under way can hide the old file for a moment.
          if (next === "lost" && ++misses < LOST_AFTER) next = "wait";
          if (next === "wait") {
            await sleep(options.pollMs, io.signal);
            continue;
          }
          misses = 0;
          const rest = current.splitter.takeRest();
          if (rest !== "") {
            io.err(`${displayPath(current.path, io.cwd)}:${current.lineNumber + 1}: the file was rotated with a last line without a line break\n`);
            printer.emit([{ text: rest, lineNumber: current.lineNumber + 1 }], current.path);
          }
          closeSync(current.fd);
          if (next === "lost") {
            io.err(`slf4ts-audit tail: the rotated ${displayPath(options.path, io.cwd)} is gone from the archives; records of archives rotated in between may be missing\n`);
            current = openFile(options.path);
            continue;
          }
          // The archives written since, in order, then the new active file.
          const last = next.pop() as OpenFile;
          for (const file of next) {
            if ("fd" in file) {
              printer.emit(drain(file), file.path);
              closeSync(file.fd);
            } else {
              const splitter = new LineSplitter();
              printer.emit(splitter.push(file.data).map((text, i) => ({ text, lineNumber: i + 1 })), file.path);
            }
          }
          current = last;
          continue;
        }
        if (now !== undefined && now.size < current.position) {
          io.err(`slf4ts-audit tail: ${displayPath(options.path, io.cwd)} was truncated; reading it from its start\n`);
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
      io.err(`slf4ts-audit tail: cannot read ${displayPath(options.path, io.cwd)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`);
      return EXIT.IO;
    }
    return printer.unreadable > 0 ? EXIT.FINDINGS : EXIT.OK;
  },
};
