/**
 * How `query` and `tail` print records: JSON lines and CSV for tools, an aligned table for
 * people. Every format says which file and line a record came from.
 *
 * The files read may be hostile, so nothing read from them reaches a terminal or a
 * spreadsheet as it is: text for people (table, `tail`'s raw lines, file names and messages on
 * stderr) has control, C1, line-separator and bidi characters escaped in the notation of the
 * audit records themselves (`\n`, `\r`, `\t`, `\u001B`, `\u202E`: {@link terminalText});
 * JSON lines escape C1, DEL, line-separator and bidi characters too ({@link jsonSafe}); CSV
 * neutralises formula cells and escapes controls ({@link csv}).
 *
 * @module
 */
import { isAbsolute, relative } from "node:path";
import { escapeCodeUnit, escapeUnsafe } from "../sanitize/escape.js";
import type { LocatedRecord } from "../logfile/records.js";

/**
 * The output formats (`raw`: the lines as written, for `tail`).
 *
 * @example
 * ```ts
 * const format: OutputFormat = process.stdout.isTTY ? "table" : "jsonl";
 * ```
 */
export type OutputFormat = "table" | "jsonl" | "csv" | "raw";

/**
 * A path as shown to the user: relative to the working folder when it is inside it, else absolute.
 *
 * @example
 * ```ts
 * displayPath("/var/log/app/audit.log", "/var/log"); // "app/audit.log"
 * ```
 */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/**
 * Text made safe for a terminal: every C0 control (TAB, LF and CR included), DEL, C1 control,
 * U+2028/U+2029, bidi formatting character and lone surrogate written as `\n`, `\r`, `\t` or
 * `\uXXXX` (upper-case hex), the notation of the audit records; everything else as it is.
 *
 * @example
 * ```ts
 * terminalText("a\u001b]8;;x\u0007b\u202e"); // "a\\u001B]8;;x\\u0007b\\u202E"
 * ```
 */
export function terminalText(text: string): string {
  return escapeUnsafe(text);
}

// terminalText without TAB: a raw line keeps the TAB of its chain field (a TAB only moves the
// cursor to the next tab stop; it cannot hide or rewrite text).
const UNSAFE_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;

/**
 * A line of a file as `tail --format raw` prints it: as {@link terminalText}, except that a
 * TAB stays a TAB (the separator of the integrity field `\tchain=…`). A line the logger wrote
 * is printed unchanged (the logger escapes all of these itself).
 *
 * @example
 * ```ts
 * rawLineText("ox.login, x=\u009b31m\tchain=…"); // "ox.login, x=\\u009B31m\tchain=…"
 * ```
 */
export function rawLineText(text: string): string {
  return text.replace(UNSAFE_BUT_TAB, (c) => escapeCodeUnit(c.charCodeAt(0)));
}

// What JSON.stringify leaves raw in a string but a terminal or a viewer acts on: DEL, C1,
// U+2028/U+2029 and the bidi formatting characters. They occur only inside strings, where
// `\uXXXX` means the same character, so the JSON stays equal.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text with DEL, C1 controls, U+2028/U+2029 and bidi formatting characters written as
 * `\uXXXX` (JSON.stringify escapes C0 controls and lone surrogates itself, but leaves these
 * raw). The JSON value is unchanged: only its spelling differs.
 *
 * @example
 * ```ts
 * jsonSafe(JSON.stringify("a\u202eb")); // '"a\\u202eb"'
 * ```
 */
export function jsonSafe(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/**
 * An instant as ISO 8601 in UTC, with milliseconds only when there are some.
 *
 * @example
 * ```ts
 * isoTime(Date.UTC(2016, 5, 10, 10, 31, 10)); // "2016-06-10T10:31:10Z"
 * ```
 */
export function isoTime(epochMillis: number): string {
  return new Date(epochMillis).toISOString().replace(".000Z", "Z");
}

/**
 * One record as a line of JSON (made safe with {@link jsonSafe}; the values are exact):
 * `{"file", "line", "time", "event", "attributes"}`, the
 * attributes an ordered array of `{"name", "value"}` (jq's `from_entries` turns it into an
 * object), `name` null when names are not written, `value` null for a null value, `time` null
 * when the record has none.
 *
 * @example
 * ```ts
 * jsonLine(record, "audit.log");
 * // '{"file":"audit.log","line":1,"time":"2016-06-10T10:31:10Z","event":"ox.login","attributes":[{"name":"login","value":"thorben"}]}\n'
 * ```
 */
export function jsonLine(record: LocatedRecord, file: string): string {
  return (
    jsonSafe(JSON.stringify({
      file,
      line: record.lineNumber,
      time: record.time === undefined ? null : isoTime(record.time),
      event: record.event,
      attributes: record.attributes.map(([name, value]) => ({ name: name ?? null, value })),
    })) + "\n"
  );
}

/**
 * The names of the columns every record has (CSV's `file,line,time,event`, the tables' time,
 * event and source): an attribute of one of these names is keyed as a repeat of it (`time#2`),
 * so its column never shares a name with the built-in one.
 */
const BUILT_IN_COLUMNS: ReadonlySet<string> = new Set(["file", "line", "time", "event", "source"]);

/**
 * The column key of each attribute of a record: its name (or `#position`), `name#2` for a
 * repeated name and for a name of a built-in column (`file`, `line`, `time`, `event`,
 * `source`: the columns of {@link csv}, {@link table} and the console's table).
 *
 * @example
 * ```ts
 * columnKeys(record); // ["login", "ip", "ip#2", "time#2"]
 * ```
 */
export function columnKeys(record: Pick<LocatedRecord, "attributes">): string[] {
  const seen = new Map<string, number>();
  return record.attributes.map(([name], index) => {
    const base = name ?? `#${index + 1}`;
    const n = (seen.get(base) ?? (BUILT_IN_COLUMNS.has(base) ? 1 : 0)) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

/** The attribute columns of a set of records, in the order they first appear. */
function attributeColumns(records: readonly LocatedRecord[]): string[] {
  const columns = new Set<string>();
  for (const record of records) for (const key of columnKeys(record)) columns.add(key);
  return [...columns];
}

/** The first characters that make a spreadsheet read a cell as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: a cell that starts with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` (so
 * a spreadsheet shows it as text instead of running it as a formula), then control, C1,
 * line-separator and bidi characters are escaped as in {@link terminalText}, then the field
 * is quoted when it holds `"` or `,` or is empty.
 *
 * @example
 * ```ts
 * csvField("=1+1"); // "'=1+1"
 * ```
 */
export function csvField(value: string | null | undefined): string {
  // PostgreSQL's convention: null (and a missing attribute) is an empty unquoted field, an
  // empty string is "".
  if (value === null || value === undefined) return "";
  const text = escapeUnsafe(FORMULA_START.test(value) ? "'" + value : value);
  // `;` quoted too: a spreadsheet in a locale whose list separator is `;` (de, fr) splits there,
  // and the text after it could start a formula cell.
  return text === "" || /[",;\t]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Records as CSV (RFC 4180: CRLF line ends, fields with `"`, `,`, `;` or TAB quoted, `"` doubled):
 * a header `file,line,time,event` and one column per attribute name (in the order names first
 * appear; a repeated name gets `name#2`; without names `#1`, `#2`, …). A null value and a
 * missing attribute are empty fields, an empty string is `""`. For spreadsheets the cells are
 * defused: a cell starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` (OWASP's rule
 * against CSV injection; `-5` becomes `'-5`), and control, C1, line-separator and bidi
 * characters are escaped as `\n`, `\t`, `\u001B`, … (so no field holds a line break). JSON
 * lines have the exact values.
 *
 * @example
 * ```ts
 * csv([record], () => "audit.log"); // "file,line,time,event,login\r\naudit.log,1,2016-06-10T10:31:10Z,ox.login,thorben\r\n"
 * ```
 */
export function csv(records: readonly LocatedRecord[], fileOf: (record: LocatedRecord) => string): string {
  const columns = attributeColumns(records);
  let out = ["file", "line", "time", "event", ...columns].map(csvField).join(",") + "\r\n";
  for (const record of records) {
    const keys = columnKeys(record);
    const values = new Map<string, string | null>();
    keys.forEach((key, i) => values.set(key, (record.attributes[i] as readonly [string | undefined, string | null])[1]));
    const row = [fileOf(record), String(record.lineNumber), record.time === undefined ? null : isoTime(record.time), record.event, ...columns.map((c) => values.get(c))];
    out += row.map(csvField).join(",") + "\r\n";
  }
  return out;
}

/** The widest a table cell gets before it is cut with `…`. */
export const TABLE_CELL_MAX = 60;

/** A value made safe for a terminal: control, line-separator and bidi characters escaped; null shown as `(null)`. */
function cell(value: string | null | undefined): string {
  if (value === undefined) return "";
  if (value === null) return "(null)";
  const safe = escapeUnsafe(value);
  const chars = [...safe];
  return chars.length > TABLE_CELL_MAX ? chars.slice(0, TABLE_CELL_MAX - 1).join("") + "…" : safe;
}

function width(text: string): number {
  return [...text].length;
}

/**
 * Records as an aligned table for people: `TIME`, `EVENT`, one column per attribute (as in
 * {@link csv}) and `SOURCE` (file:line). Values, names and file names are made safe for a
 * terminal ({@link terminalText}: `\n`, `\u001B`, `\u202E`, …), null is `(null)`, long values are cut at
 * {@link TABLE_CELL_MAX} characters with `…`; JSON lines or CSV have the exact values.
 *
 * @example
 * ```ts
 * table([record], () => "audit.log");
 * // "TIME                  EVENT     login    SOURCE\n2016-06-10T10:31:10Z  ox.login  thorben  audit.log:1\n"
 * ```
 */
export function table(records: readonly LocatedRecord[], fileOf: (record: LocatedRecord) => string): string {
  const columns = attributeColumns(records);
  const header = ["TIME", "EVENT", ...columns.map((c) => cell(c)), "SOURCE"];
  const rows = records.map((record) => {
    const keys = columnKeys(record);
    const values = new Map<string, string | null>();
    keys.forEach((key, i) => values.set(key, (record.attributes[i] as readonly [string | undefined, string | null])[1]));
    return [record.time === undefined ? "" : isoTime(record.time), cell(record.event), ...columns.map((c) => cell(values.get(c))), `${terminalText(fileOf(record))}:${record.lineNumber}`];
  });
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] as string))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] as number) - width(c))))
      .join("  ")
      .trimEnd() + "\n";
  return line(header) + rows.map(line).join("");
}
