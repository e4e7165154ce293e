/**
 * The questions the console asks of the audit files: a search (the filters of `query`, free
 * text, a page in either order), one line by file and number, an export and the counts behind
 * the pictures. Everything streams from the files as `query` does; nothing loads a log whole.
 *
 * The files are the ones the log set names, found again at every request (so rotations are
 * seen); a file is asked for by its name as the console shows it and is read only when it is
 * one of those, so no other file can be named into a read.
 *
 * @module
 */
import { closeSync } from "node:fs";
import type { JavaTimeZone } from "../../java/zone.js";
import { RegexSyntaxError } from "../../java/regex.js";
import { findAuditLogs, readAuditLines, type AuditFile, type AuditLogFiles } from "../../logfile/files.js";
import { createLineDecoder, type LineDecoder, type LocatedRecord, type ReadSettings } from "../../logfile/records.js";
import { DEFAULT_READ_LIMITS, NotRegularFileError, openRegularFile, ReadLimitError, type ReadLimits } from "../../logfile/read.js";
import { countNewlines, readAuditLinesNewestFirst } from "../../logfile/reverse.js";
import { globToRegExp, matches, parseTimeBound, UsageError, type AttributeTest, type RecordFilter } from "../filters.js";

/** An attribute test, with the exact value of a `name=value` test (for the raw-line prefilter). */
type SearchTest = AttributeTest & { readonly literal?: string };
import { displayPath, isoTime } from "../output.js";
import { linearRegexTest } from "./regex.js";

/**
 * The audit logs a console serves and how their lines are read.
 *
 * @example
 * ```ts
 * const set: LogSet = { paths: ["/var/log/app"], settings: DEFAULT_READ_SETTINGS, limits: DEFAULT_READ_LIMITS, zone: UTC, cwd: process.cwd(), timeAttribute: undefined };
 * ```
 */
export interface LogSet {
  /**
   * The files or folders given, as `query` takes them, resolved once at the start
   * (`resolveArgument`): each request takes them as they are and follows no symbolic
   * link made since (`findAuditLogs`' `pinned`).
   */
  readonly paths: readonly string[];
  /** How the lines were written (`--properties`). */
  readonly settings: ReadSettings;
  /** Bounds of reading. */
  readonly limits: ReadLimits;
  /** Zone of times typed without an offset. */
  readonly zone: JavaTimeZone;
  /** Paths are shown relative to this folder when inside it. */
  readonly cwd: string;
  /** `--time-attr`. */
  readonly timeAttribute: string | undefined;
}

/**
 * A request the console cannot answer as asked: the parameter, its value and what was
 * expected (HTTP 400).
 *
 * @example
 * ```ts
 * throw new QueryError('limit "0": expected a whole number from 1 to 1000');
 * ```
 */
export class QueryError extends Error {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = "QueryError";
  }
}

/**
 * A search: the filters of `query`, free text, the order and the page.
 *
 * @example
 * ```ts
 * const query = parseSearch(new URLSearchParams("event=ox.log*&since=24h"), set, Date.now());
 * ```
 */
export interface SearchQuery {
  /** Time range, event globs and attribute tests, as `query --since/--until/--event/--attr`. */
  readonly filter: RecordFilter;
  /** Free text, lower-cased: the raw line must contain it (case-insensitive); undefined for none. */
  readonly text: string | undefined;
  /**
   * The values of the `name=value` tests, which a matching line holds as they are when it has
   * no backslash: without one, every field of a line is a verbatim part of it (only escapes
   * change text), so such a line lacking one of these cannot match and is not decoded (decoding
   * is most of a scan's cost). A line with a backslash is always decoded.
   */
  readonly literals: readonly string[];
  /** `asc`: oldest first; `desc`: newest first (write order of the files, as `query`). */
  readonly order: "asc" | "desc";
  /** Matches skipped before the page. */
  readonly offset: number;
  /** Records on the page. */
  readonly limit: number;
}

/** The most records on one page. */
export const MAX_PAGE = 1000;
/** The furthest a page may start (`offset`); past it, narrow the search. */
export const MAX_OFFSET = 100_000;
/** The most repetitions of one parameter (`event`, `attr`). */
const MAX_REPEAT = 32;
/** The longest value of one parameter. */
const MAX_VALUE = 1024;

function wholeNumber(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = params.get(name);
  if (text === null || text === "") return fallback;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < min || Number(text) > max) throw new QueryError(`${name} "${text}": expected a whole number from ${min} to ${max}`);
  return Number(text);
}

/**
 * An attribute test as `query --attr` reads it, but the regular expression of `name~regex` is
 * read in Java's syntax (as `%replace` reads one) and matched in linear time (see
 * `./regex.ts`): whatever the regex and the value, no request can keep the server busy for
 * long. A regex that needs backtracking (a back-reference, a look-around) is refused.
 */
function attributeTest(text: string): SearchTest {
  const at = text.search(/[=~]/);
  if (at <= 0) throw new QueryError(`attr "${text}": expected name=value or name~regex`);
  const name = text.slice(0, at);
  const rest = text.slice(at + 1);
  if (text.charAt(at) === "=") return { name, test: (value) => value === rest, literal: rest };
  try {
    return { name, test: linearRegexTest(rest) };
  } catch (error) {
    const where = error instanceof RegexSyntaxError && error.index >= 0 ? ` at index ${error.index}` : "";
    throw new QueryError(`attr "${text}": the regular expression is refused${where}: ${(error as Error).message}`);
  }
}

/**
 * Reads a search from the parameters of a request: `since`, `until` (ISO 8601, a time as
 * `date.pattern` writes it, or an age such as `15m`, `24h`, `7d`), `event` (globs, repeatable),
 * `attr` (`name=value` or `name~regex`, repeatable), `q` (free text), `order` (`asc`, `desc`:
 * the default), `offset` and `limit` (default 100, at most {@link MAX_PAGE}).
 *
 * @throws QueryError naming the parameter, its value and what was expected.
 * @example
 * ```ts
 * parseSearch(new URLSearchParams("attr=ip~^192%5C.0%5C.2%5C.&since=7d"), set, Date.now()).filter.attributes.length; // 1
 * ```
 */
export function parseSearch(params: URLSearchParams, set: LogSet, now: number): SearchQuery {
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    if (values.length > MAX_REPEAT) throw new QueryError(`${name}: given ${values.length} times, at most ${MAX_REPEAT}`);
    for (const value of values) if (value.length > MAX_VALUE) throw new QueryError(`${name}: a value of ${value.length} characters, at most ${MAX_VALUE}`);
  }
  const bound = (name: "since" | "until"): number | undefined => {
    const text = params.get(name);
    if (text === null || text.trim() === "") return undefined;
    try {
      const span = parseTimeBound(name, text, set.settings, set.zone, now);
      return name === "since" ? span.start : span.end;
    } catch (error) {
      throw new QueryError(error instanceof UsageError ? error.message : String(error));
    }
  };
  const order = params.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw new QueryError(`order "${order}": expected asc or desc`);
  const text = params.get("q")?.trim().toLowerCase();
  const tests = params.getAll("attr").filter((a) => a.trim() !== "").map(attributeTest);
  return {
    literals: tests.flatMap((test) => (test.literal === undefined || test.literal === "" ? [] : [test.literal])),
    filter: {
      events: params.getAll("event").filter((e) => e.trim() !== "").map((e) => globToRegExp(e.trim())),
      attributes: tests,
      since: bound("since"),
      until: bound("until"),
    },
    text: text === undefined || text === "" ? undefined : text,
    order,
    offset: wholeNumber(params, "offset", 0, 0, MAX_OFFSET),
    limit: wholeNumber(params, "limit", 100, 1, MAX_PAGE),
  };
}

/**
 * The files of the log set, oldest first within each log, the logs in the order given (each
 * log once). Found again at each call: a rotation since the last one is seen.
 *
 * @throws Error naming a path that cannot be read.
 * @example
 * ```ts
 * for (const file of logFiles(set)) console.log(file.path);
 * ```
 */
export function logFiles(set: LogSet): AuditFile[] {
  return logsOf(set).flatMap((log) => log.files);
}

/**
 * The audit logs of the set, each once, in the order given.
 *
 * @throws Error naming a path that cannot be read.
 * @example
 * ```ts
 * logsOf(set).map((log) => log.active);
 * ```
 */
export function logsOf(set: LogSet): AuditLogFiles[] {
  const logs: AuditLogFiles[] = [];
  for (const path of set.paths) {
    for (const log of findAuditLogs(path, set.limits, { pinned: true })) if (!logs.some((l) => l.active === log.active)) logs.push(log);
  }
  return logs;
}

/**
 * One record as the console's API gives it: where it is (`file` as shown, `line`), its time
 * (ISO 8601 in UTC, or null), event and attributes (`{name, value}`, name null without names,
 * value null for `\N`).
 *
 * @example
 * ```ts
 * const row: RecordJson = { file: "logs/audit.log", line: 1, time: "2026-11-16T08:05:00Z", event: "ox.login", attributes: [{ name: "login", value: "anna" }] };
 * ```
 */
export interface RecordJson {
  readonly file: string;
  readonly line: number;
  readonly time: string | null;
  readonly event: string;
  readonly attributes: ReadonlyArray<{ readonly name: string | null; readonly value: string | null }>;
}

/**
 * A record as {@link RecordJson}.
 *
 * @example
 * ```ts
 * recordJson(record, set).file; // "logs/audit.log"
 * ```
 */
export function recordJson(record: LocatedRecord, set: LogSet): RecordJson {
  return {
    file: displayPath(record.file.path, set.cwd),
    line: record.lineNumber,
    time: record.time === undefined ? null : isoTime(record.time),
    event: record.event,
    attributes: record.attributes.map(([name, value]) => ({ name: name ?? null, value })),
  };
}

/**
 * A line that could not be read, as the API reports it.
 *
 * @example
 * ```ts
 * const problem: Unreadable = { file: "logs/audit.log", line: 7, why: "empty line" };
 * ```
 */
export interface Unreadable {
  readonly file: string;
  readonly line: number;
  readonly why: string;
}

/** The most unreadable lines a response lists (all are counted). */
const MAX_LISTED_PROBLEMS = 20;

/**
 * What a scan met besides the matches: lines read, lines that could not be read (counted, the
 * first listed) and files that could not be read.
 */
export class ScanReport {
  /** Lines read. */
  lines = 0;
  /** Lines that could not be read. */
  unreadableCount = 0;
  /** The first {@link MAX_LISTED_PROBLEMS} of them. */
  readonly unreadable: Unreadable[] = [];
  /** Files that could not be read, with why. */
  readonly failedFiles: Array<{ readonly file: string; readonly why: string }> = [];

  /** @internal */
  constructor(private readonly set: LogSet) {}

  /** @internal */
  problem(file: AuditFile, line: number, why: string): void {
    this.unreadableCount++;
    if (this.unreadable.length < MAX_LISTED_PROBLEMS) this.unreadable.push({ file: displayPath(file.path, this.set.cwd), line, why });
  }

  /** @internal */
  failed(file: AuditFile, error: unknown): void {
    const why =
      error instanceof NotRegularFileError
        ? `${error.what}, not a regular file: not followed or opened`
        : error instanceof ReadLimitError
          ? `${error.line === undefined ? "" : `line ${error.line}: `}${error.why}`
          : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
    this.failedFiles.push({ file: displayPath(file.path, this.set.cwd), why });
  }

  /** The report as JSON fields. */
  toJSON(): { lines: number; unreadableCount: number; unreadable: Unreadable[]; failedFiles: Array<{ file: string; why: string }> } {
    return { lines: this.lines, unreadableCount: this.unreadableCount, unreadable: this.unreadable, failedFiles: this.failedFiles };
  }
}

/** The decoder of the set's format. @throws Error when file.pattern cannot be read back. */
function decoderOf(set: LogSet): LineDecoder {
  return createLineDecoder(set.settings, set.timeAttribute);
}

/**
 * The matching records of the files given, in the order given, each file read forward (`asc`)
 * or from its end (`desc`, newest line first, in constant memory), with what could not be read
 * noted in `report` (as `readAuditRecords` reports it). Stops (between two lines) once `signal` is
 * aborted: a request whose client left. The free text and the exact attribute values are looked
 * for in the raw line first, so lines that cannot match are not decoded.
 */
async function* matching(files: readonly AuditFile[], query: Pick<SearchQuery, "filter" | "text" | "literals">, decode: LineDecoder, report: ScanReport, signal: AbortSignal | undefined, order: "asc" | "desc" = "asc"): AsyncGenerator<LocatedRecord> {
  const needles = query.literals;
  for (const file of files) {
    try {
      const lines = order === "asc" ? readAuditLines(file, { longLines: "yield" }) : readAuditLinesNewestFirst(file, { longLines: "yield" });
      for await (const line of lines) {
        if (signal?.aborted === true) return;
        report.lines++;
        if (line.tooLong !== undefined) {
          report.problem(file, line.lineNumber, `line longer than ${(file.limits ?? DEFAULT_READ_LIMITS).maxLineBytes} bytes (${line.tooLong} bytes; --max-line-bytes): not read`);
          continue;
        }
        if (!line.complete) {
          report.problem(file, line.lineNumber, "the last line has no line break (a record cut short)");
          continue;
        }
        const text = line.text;
        if (query.text !== undefined && !text.toLowerCase().includes(query.text)) continue;
        if (needles.length > 0 && !text.includes("\\") && !needles.every((needle) => text.includes(needle))) continue;
        const decoded = decode(text);
        if (!decoded.ok) {
          report.problem(file, line.lineNumber, decoded.why);
          continue;
        }
        const record: LocatedRecord = { ...decoded.record, file, lineNumber: line.lineNumber, text };
        if (matches(record, query.filter)) yield record;
      }
    } catch (error) {
      report.failed(file, error);
    }
  }
}

/**
 * One page of a search.
 *
 * @example
 * ```ts
 * const page = await searchPage(set, parseSearch(params, set, Date.now()));
 * page.records.length; page.more;
 * ```
 */
export interface SearchPage {
  /** The records of the page, in the order asked. */
  readonly records: readonly LocatedRecord[];
  /** More matches follow the page. */
  readonly more: boolean;
  /** What the scan met. */
  readonly report: ScanReport;
}

/**
 * A page of a search. Oldest first (`asc`) reads from the oldest file forward; newest first
 * (`desc`) reads from the newest file's end backwards (see `readAuditLinesNewestFirst`); either
 * stops at the first match after the page, so the first page of a large log set costs about
 * the lines it shows, whatever the size of the files.
 *
 * @throws Error when a path of the set cannot be read or file.pattern cannot be read back.
 * @example
 * ```ts
 * const { records, more } = await searchPage(set, query);
 * ```
 */
export async function searchPage(set: LogSet, query: SearchQuery, signal?: AbortSignal): Promise<SearchPage> {
  const report = new ScanReport(set);
  const files = query.order === "asc" ? logFiles(set) : logFiles(set).reverse();
  const records: LocatedRecord[] = [];
  let seen = 0;
  for await (const record of matching(files, query, decoderOf(set), report, signal, query.order)) {
    if (seen++ < query.offset) continue;
    records.push(record);
    if (records.length > query.limit) return { records: records.slice(0, query.limit), more: true, report };
  }
  return { records, more: false, report };
}

/**
 * Every record of a search, in the order asked (newest first reads the files newest first,
 * each from its end), for an export: streamed, in constant memory whatever the order.
 *
 * @throws Error when a path of the set cannot be read or file.pattern cannot be read back.
 * @example
 * ```ts
 * for await (const record of searchAll(set, query, report)) write(jsonLine(record, record.file.path));
 * ```
 */
export async function* searchAll(set: LogSet, query: Pick<SearchQuery, "filter" | "text" | "literals" | "order">, report: ScanReport, signal?: AbortSignal): AsyncGenerator<LocatedRecord> {
  const files = query.order === "asc" ? logFiles(set) : logFiles(set).reverse();
  yield* matching(files, query, decoderOf(set), report, signal, query.order);
}

/** The line feeds of a plain file (counted once per size, see `countNewlines`). */
async function newlinesOf(file: AuditFile): Promise<number> {
  const opened = openRegularFile(file.path);
  try {
    return await countNewlines(opened.fd, opened.size);
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * One line of the log set, for the detail view: the file as shown, the line number, the raw
 * line and the record read from it (or why it cannot be read).
 *
 * @example
 * ```ts
 * const detail: LineDetail = { file: "logs/audit.log", line: 3, text: "ox.login, login=anna", record: { … }, why: null };
 * ```
 */
export interface LineDetail {
  readonly file: string;
  readonly line: number;
  /** The line as it is in the file. */
  readonly text: string;
  readonly record: RecordJson | null;
  readonly why: string | null;
}

/**
 * The line `line` of the file shown as `file`, when that file is one of the log set's (compared
 * with the names the set's files are shown with: no path is ever opened from the request);
 * undefined when there is no such file or line.
 *
 * @throws Error when a path of the set cannot be read.
 * @example
 * ```ts
 * await lineDetail(set, "logs/audit.log", 3); // { file, line, text, record, why }
 * ```
 */
export async function lineDetail(set: LogSet, file: string, line: number): Promise<LineDetail | undefined> {
  const found = logFiles(set).find((f) => displayPath(f.path, set.cwd) === file);
  if (found === undefined) return undefined;
  const decode = decoderOf(set);
  try {
    // A line in the second half of a plain file is read from the end (the detail of a record
    // near the end of a large active file costs its distance from the end).
    const backwards = !found.compressed && line > (await newlinesOf(found)) / 2;
    for await (const read of backwards ? readAuditLinesNewestFirst(found, { longLines: "yield" }) : readAuditLines(found, { longLines: "yield" })) {
      if (backwards ? read.lineNumber > line : read.lineNumber < line) continue;
      if (backwards ? read.lineNumber < line : read.lineNumber > line) break;
      if (read.tooLong !== undefined) return { file, line, text: "", record: null, why: `line longer than the read bound (${read.tooLong} bytes): not read` };
      const decoded = decode(read.text);
      if (!decoded.ok) return { file, line, text: read.text, record: null, why: decoded.why };
      return { file, line, text: read.text, record: recordJson({ ...decoded.record, file: found, lineNumber: line, text: read.text }, set), why: null };
    }
  } catch (error) {
    // A link or a FIFO named like an archive is never opened: there is no such line to show.
    if (error instanceof NotRegularFileError) return undefined;
    throw error;
  }
  return undefined;
}

/**
 * The counts behind the pictures of a search: records per time bucket (the histogram), per
 * event id and per value of one attribute.
 *
 * @example
 * ```ts
 * const stats: SearchStats = { total: 24, untimed: 0, start: 0, end: 0, bucketMillis: 0, buckets: [], events: [], by: null, values: [] };
 * ```
 */
export interface SearchStats {
  /** Matching records. */
  readonly total: number;
  /** Matching records without a time (not in the histogram). */
  readonly untimed: number;
  /** The first millisecond of the first bucket (the search's `since`, else the first record's time). */
  readonly start: number;
  /** The last millisecond covered (the search's `until`, else the last record's time). */
  readonly end: number;
  /** The width of one bucket in milliseconds. */
  readonly bucketMillis: number;
  /** Records per bucket, from `start`. */
  readonly buckets: readonly number[];
  /** Records per event id, most first. */
  readonly events: ReadonlyArray<readonly [string, number]>;
  /** The attribute counted in `values`, or null. */
  readonly by: string | null;
  /** Records per value of `by`, most first (`null` value as null; distinct values past {@link MAX_DISTINCT} counted under "(other)"). */
  readonly values: ReadonlyArray<readonly [string | null, number]>;
}

/** The most distinct event ids or values counted one by one. */
export const MAX_DISTINCT = 10_000;
/** The most entries of `events` and `values` returned. */
const MAX_LISTED_COUNTS = 50;

function countInto<K>(map: Map<K, number>, key: K, other: K): void {
  const n = map.get(key);
  if (n !== undefined) map.set(key, n + 1);
  else if (map.size < MAX_DISTINCT) map.set(key, 1);
  else map.set(other, (map.get(other) ?? 0) + 1);
}

function topCounts<K>(map: Map<K, number>): Array<readonly [K, number]> {
  return [...map.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0]))).slice(0, MAX_LISTED_COUNTS);
}

/**
 * Counts the matches of a search in one pass: the histogram over `buckets` equal spans, the
 * counts per event id, and with `by` the counts per value of that attribute. Holds the times of
 * the matches (8 bytes each) to bucket them once the range is known.
 *
 * @throws Error when a path of the set cannot be read or file.pattern cannot be read back.
 * @example
 * ```ts
 * const stats = await searchStats(set, query, 60, "ip", report);
 * ```
 */
export async function searchStats(set: LogSet, query: SearchQuery, buckets: number, by: string | undefined, report: ScanReport, signal?: AbortSignal): Promise<SearchStats> {
  const times: number[] = [];
  const events = new Map<string, number>();
  const values = new Map<string | null, number>();
  let total = 0;
  let untimed = 0;
  for await (const record of matching(logFiles(set), query, decoderOf(set), report, signal)) {
    total++;
    if (record.time === undefined) untimed++;
    else times.push(record.time);
    countInto(events, record.event, "(other)");
    if (by !== undefined) {
      for (const [name, value] of record.attributes) if (name === by) countInto(values, value, "(other)");
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const start = query.filter.since ?? (times.length === 0 ? 0 : min);
  const end = query.filter.until ?? (times.length === 0 ? 0 : max);
  const span = Math.max(1, end - start + 1);
  const bucketMillis = Math.ceil(span / buckets);
  const counts = new Array<number>(buckets).fill(0);
  if (times.length > 0) {
    for (const t of times) {
      const i = Math.min(buckets - 1, Math.floor((t - start) / bucketMillis));
      if (i >= 0) counts[i] = (counts[i] as number) + 1;
    }
  }
  return { total, untimed, start, end, bucketMillis, buckets: counts, events: topCounts(events), by: by ?? null, values: topCounts(values) };
}
