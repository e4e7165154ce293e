/**
 * `slf4ts-audit tail`: the last records of an audit log, and with `-f` every new record as it
 * is written, following the active file across rotations.
 *
 * Following (rotations, truncation, compressed archives, links and FIFOs never opened) is the
 * machinery of `./follow.ts`; the path given is resolved once, at the start. A line longer than
 * `--max-line-bytes` is counted, not held, and reported.
 *
 * @module
 */
import { closeSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { findAuditLogs, readAuditLines, resolveArgument, type AuditFile, type AuditLogFiles } from "../logfile/files.js";
import { createLineDecoder, type LineDecoder, type LocatedRecord } from "../logfile/records.js";
import { FILTER_OPTIONS, matches, UsageError, type RecordFilter } from "./filters.js";
import { EXIT, type CliCommand, type CliIo } from "./io.js";
import { displayPath, jsonLine, rawLineText, terminalText } from "./output.js";
import { oneOf, parseCommandArgs } from "./options.js";
import { LIMIT_OPTIONS, readFilterOptions, readLimitOptions } from "./query.js";
import { NotRegularFileError, ReadLimitError, type ReadLimits } from "../logfile/read.js";
import { closeQuietly, drain, followFile, openFile, type Line, type OpenFile } from "./follow.js";

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
  const parsed = parseCommandArgs(args, options);
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
  if (!isDirectory(path)) return path;
  const logs = findAuditLogs(path, limits);
  if (logs.length === 1) return (logs[0] as AuditLogFiles).active;
  if (logs.length === 0) throw new Error(`cannot read ${path} (no audit log in the folder)`);
  const names = logs.map((log) => terminalText(basename(log.active)));
  throw new UsageError(`the folder ${terminalText(path)} holds ${logs.length} logs (${names.join(", ")}): name the active file of the one to tail`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
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
      // The follower takes the open file over (and closes every file it opens).
      const start = current;
      current = undefined;
      await followFile(options.path, start, { limits: options.limits, pollMs: options.pollMs, signal: io.signal }, {
        lines: (lines, path) => printer.emit(lines, path),
        rotatedMidLine: (path, lineNumber) => io.err(`${shown(path)}:${lineNumber}: the file was rotated with a last line without a line break\n`),
        lost: () => io.err(`slf4ts-audit tail: the rotated ${shown(options.path)} is gone from the archives; records of archives rotated in between may be missing\n`),
        truncated: () => io.err(`slf4ts-audit tail: ${shown(options.path)} was truncated; reading it from its start\n`),
      });
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
