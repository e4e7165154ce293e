/**
 * `slf4ts-audit query`: the records of dedicated-mode audit files that match a time range,
 * event ids and attributes, as a table, JSON lines or CSV. Lines that cannot be read are
 * reported (file:line and why) and make the exit code 1.
 *
 * @module
 */
import { resolve } from "node:path";
import { findAuditLogs, type AuditLogFiles } from "../logfile/files.js";
import { createLineDecoder, DEFAULT_READ_SETTINGS, readAuditRecords, type LocatedRecord, type ReadSettings } from "../logfile/records.js";
import { loadReadSettings } from "./settings.js";
import { FILTER_OPTIONS, globToRegExp, matches, parseAttributeTest, parseTimeBound, UsageError, type RecordFilter } from "./filters.js";
import { EXIT, type CliCommand, type CliIo } from "./io.js";
import { oneOf, parseCommandArgs, readZoneOption } from "./options.js";
import { csv, displayPath, jsonLine, table, terminalText, type OutputFormat } from "./output.js";
import { DEFAULT_READ_LIMITS, MAX_LINE_BYTES_LIMIT, NotRegularFileError, parseLimitOption, ReadLimitError, type ReadLimits } from "../logfile/read.js";

const HELP = `Usage: slf4ts-audit query [<files or folders>...] [options]

Prints the audit records that match every filter given, reading each audit log's archives
(audit.log.N, audit.log.N.gz; oldest first) and then its active file. A file argument also
selects its archives; a folder selects every audit log in it. Without a path, the
file.location of --properties is read.

Options:
  --properties FILE   the slf4j-auditlog.properties the files were written with: its delimiter,
                      includeAttributeNames, date.pattern/locale/timezone, file.pattern and
                      file.location. Default: the original's defaults (delimiter ", ", names
                      included, ISO 8601 dates in UTC, one record per line).
  --since TIME        records at or after TIME
  --until TIME        records at or before TIME (a date covers its whole day, a minute its
                      whole minute). TIME: ISO 8601 (2026-11-17, 2026-11-17T10:30,
                      2026-11-17T10:30:00Z), a time as date.pattern writes it, or an age
                      (90m, 2h, 7d, 1w ago). Without an offset a time is in --tz.
  --tz ZONE           zone of times typed without an offset (default: date.timezone, GMT)
  --event GLOB        event ids matching GLOB (* any text, ? one character); repeatable, any
                      may match
  --attr NAME=VALUE   an attribute NAME with exactly VALUE; repeatable, all must match
  --attr NAME~REGEX   an attribute NAME whose value matches the JavaScript REGEX (searched:
                      anchor with ^...$). NAME may be #N, the N-th attribute (files without names).
  --time-attr NAME    take the record's time from attribute NAME (or #N) instead of the rule:
                      the %d of file.pattern if it has one, else the first attribute named
                      timestamp, date or time (without names: the first value that is a date)
  --limit N           stop after N records
  --format FORMAT     table (default on a terminal), jsonl (default otherwise) or csv
  --max-line-bytes SIZE
                      longer lines are reported as unreadable, not read (default 16MB; at
                      most 256MB; bytes, or with KB, MB, GB)
  --max-gunzip-bytes SIZE
                      an archive that decompresses to more is reported and read no further
                      (default 1GB)
  -h, --help          this help

Output: jsonl writes one object per record: {"file","line","time","event","attributes"} with
attributes an ordered array of {"name","value"} (name null without names, value null for a null
value), exact, with C1, DEL and bidi characters written as \\uXXXX; csv (RFC 4180) has the
columns file,line,time,event and one per attribute name, a cell starting with = + - @ TAB or CR
prefixed with ' (no formula runs in a spreadsheet) and control, C1 and bidi characters written as
\\n, \\t, \\u001B, \\u202E; table writes them the same way.

Files found beside or in the paths given are read only when they are regular files: a symbolic
link (not followed), a FIFO or a folder named like an audit file is reported and skipped.
Lines that cannot be read are reported on stderr as FILE:LINE: why, and counted in a summary.
Exit codes: 0 done (also when nothing matched), 1 some lines could not be read (or an archive
decompresses past --max-gunzip-bytes), 2 bad command line, 3 a file or the properties file could
not be read (or an unexpected error).

Examples:
  slf4ts-audit query /var/log/app --event ox.login --attr ip=192.0.2.7 --since 2026-11-17 --until 2026-11-17
  slf4ts-audit query --properties /etc/app/slf4j-auditlog.properties --event 'smtp.*.sent' --format csv
`;

/** The parsed command line of `query`. */
interface QueryOptions {
  readonly paths: readonly string[];
  readonly settings: ReadSettings;
  readonly filter: RecordFilter;
  readonly timeAttribute: string | undefined;
  readonly limit: number;
  readonly format: OutputFormat;
  readonly limits: ReadLimits;
}

/**
 * The `parseArgs` options of the read bounds, shared by `query` and `tail`.
 *
 * @example
 * ```ts
 * parseArgs({ args, options: { ...FILTER_OPTIONS, ...LIMIT_OPTIONS } });
 * ```
 */
export const LIMIT_OPTIONS = {
  "max-line-bytes": { type: "string" },
  "max-gunzip-bytes": { type: "string" },
} as const;

/**
 * Reads `--max-line-bytes` and `--max-gunzip-bytes` (defaults {@link DEFAULT_READ_LIMITS}).
 *
 * @throws UsageError for a value that is not a size in range.
 * @example
 * ```ts
 * readLimitOptions({ "max-line-bytes": "64MB" }).maxLineBytes; // 67108864
 * ```
 */
export function readLimitOptions(values: { readonly "max-line-bytes"?: string | undefined; readonly "max-gunzip-bytes"?: string | undefined }): ReadLimits {
  const read = (option: "max-line-bytes" | "max-gunzip-bytes", fallback: number, max: number): number => {
    const text = values[option];
    if (text === undefined) return fallback;
    const value = parseLimitOption(`--${option}`, text, max);
    if (typeof value === "string") throw new UsageError(terminalText(value));
    return value;
  };
  return {
    maxLineBytes: read("max-line-bytes", DEFAULT_READ_LIMITS.maxLineBytes, MAX_LINE_BYTES_LIMIT),
    maxGunzipBytes: read("max-gunzip-bytes", DEFAULT_READ_LIMITS.maxGunzipBytes, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * Reads the options shared by `query` and `tail`: the properties file and the filters.
 *
 * @throws UsageError for a bad command line; Error for an unreadable or invalid properties file.
 * @example
 * ```ts
 * const { settings, filter } = readFilterOptions({ event: ["ox.login"], since: "2026-11-17" }, process.cwd(), Date.now());
 * ```
 */
export function readFilterOptions(values: {
  readonly properties?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly tz?: string | undefined;
  readonly event?: readonly string[] | undefined;
  readonly attr?: readonly string[] | undefined;
}, cwd: string, now: number): { settings: ReadSettings; filter: RecordFilter } {
  let settings = DEFAULT_READ_SETTINGS;
  if (values.properties !== undefined) {
    settings = loadReadSettings(resolveFrom(cwd, values.properties));
  }
  const zone = readZoneOption(values.tz, settings.dateTimeZone);
  const since = values.since === undefined ? undefined : parseTimeBound("--since", values.since, settings, zone, now).start;
  const until = values.until === undefined ? undefined : parseTimeBound("--until", values.until, settings, zone, now).end;
  const filter: RecordFilter = {
    events: (values.event ?? []).map(globToRegExp),
    attributes: (values.attr ?? []).map(parseAttributeTest),
    since,
    until,
  };
  return { settings, filter };
}

function resolveFrom(cwd: string, path: string): string {
  return resolve(cwd, path);
}

function parseQueryArgs(args: readonly string[], io: CliIo): QueryOptions {
  const options = { ...FILTER_OPTIONS, ...LIMIT_OPTIONS, limit: { type: "string" } } as const;
  const parsed = parseCommandArgs(args, options);
  const values = parsed.values;
  const format = oneOf("--format", values.format ?? (io.outIsTTY ? "table" : "jsonl"), ["table", "jsonl", "csv"]);
  let limit = Infinity;
  if (values.limit !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(values.limit)) throw new UsageError(`--limit "${values.limit}": expected a whole number from 1`);
    limit = Number(values.limit);
  }
  const limits = readLimitOptions(values);
  const { settings, filter } = readFilterOptions(values, io.cwd, Date.now());
  let paths = parsed.positionals.map((p) => resolveFrom(io.cwd, p));
  if (paths.length === 0) {
    if (settings.location === undefined) {
      throw new UsageError("no files given: name files or folders, or give --properties with a file.location");
    }
    paths = [settings.location];
  }
  return { paths, settings, filter, timeAttribute: values["time-attr"], limit, format, limits };
}

/** Shows "scanned N lines, M files" on an interactive stderr, at most five times a second. */
class Progress {
  private shown = false;
  private last = 0;

  constructor(private readonly io: CliIo) {}

  update(lines: number, files: number): void {
    if (!this.io.errIsTTY) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    this.shown = true;
    this.io.err(`\rscanned ${lines} lines, ${files} files`);
  }

  /** Removes the progress line (before another message, and at the end). */
  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.io.err("\r\u001b[K");
  }
}

/** The `query` command. */
export const queryCommand: CliCommand = {
  summary: "print the records that match a time range, event ids and attributes",
  help: HELP,
  async run(args, io) {
    let options: QueryOptions;
    try {
      options = parseQueryArgs(args, io);
    } catch (error) {
      if (error instanceof UsageError) {
        io.err(`slf4ts-audit query: ${error.message}\nRun slf4ts-audit query --help for the options.\n`);
        return EXIT.USAGE;
      }
      io.err(`slf4ts-audit query: ${terminalText((error as Error).message)}\n`);
      return EXIT.IO;
    }
    let decode;
    try {
      decode = createLineDecoder(options.settings, options.timeAttribute);
    } catch (error) {
      io.err(`slf4ts-audit query: ${terminalText((error as Error).message)}\n`);
      return EXIT.IO;
    }
    const logs: AuditLogFiles[] = [];
    for (const path of options.paths) {
      try {
        logs.push(...findAuditLogs(path, options.limits));
      } catch (error) {
        io.err(`slf4ts-audit query: ${terminalText((error as Error).message)}\n`);
        return EXIT.IO;
      }
    }
    const show = (record: LocatedRecord): string => displayPath(record.file.path, io.cwd);
    const progress = new Progress(io);
    const kept: LocatedRecord[] = [];
    let lines = 0;
    let files = 0;
    let unreadable = 0;
    let matched = 0;
    let untimed = 0;
    let failed = false;
    const timeBound = options.filter.since !== undefined || options.filter.until !== undefined;
    scan: for (const log of logs) {
      for (const file of log.files) {
        files++;
        try {
          for await (const item of readAuditRecords([file], decode)) {
            lines++;
            if ("why" in item) {
              unreadable++;
              progress.clear();
              io.err(`${terminalText(displayPath(item.file.path, io.cwd))}:${item.lineNumber}: ${terminalText(item.why)}\n`);
              continue;
            }
            if (timeBound && item.time === undefined) untimed++;
            if (!matches(item, options.filter)) {
              if (lines % 1000 === 0) progress.update(lines, files);
              continue;
            }
            matched++;
            if (options.format === "jsonl") io.out(jsonLine(item, show(item)));
            else kept.push(item);
            if (matched >= options.limit) break scan;
            if (lines % 1000 === 0) progress.update(lines, files);
          }
        } catch (error) {
          progress.clear();
          const shown = terminalText(displayPath(file.path, io.cwd));
          if (error instanceof ReadLimitError) {
            // The content is past a bound (a gzip bomb): a finding about the file, not an I/O failure.
            unreadable++;
            io.err(`${shown}${error.line === undefined ? "" : `:${error.line}`}: ${terminalText(error.why)}\n`);
          } else {
            const why = error instanceof NotRegularFileError ? `${error.what}, not a regular file: not followed or opened` : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
            io.err(`slf4ts-audit query: cannot read ${shown} (${terminalText(why)})\n`);
            failed = true;
          }
        }
      }
    }
    progress.clear();
    if (options.format === "table") io.out(kept.length === 0 ? "" : table(kept, show));
    else if (options.format === "csv") io.out(csv(kept, show));
    const notes: string[] = [];
    if (unreadable > 0) notes.push(`${unreadable} line${unreadable === 1 ? "" : "s"} could not be read`);
    if (untimed > 0) notes.push(`${untimed} record${untimed === 1 ? " has" : "s have"} no time and ${untimed === 1 ? "was" : "were"} left out by --since/--until`);
    if (notes.length > 0 || io.errIsTTY) {
      io.err(`slf4ts-audit query: ${matched} record${matched === 1 ? "" : "s"} matched of ${lines} line${lines === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}${notes.length > 0 ? "; " + notes.join("; ") : ""}\n`);
    }
    return failed ? EXIT.IO : unreadable > 0 ? EXIT.FINDINGS : EXIT.OK;
  },
};
