/**
 * Decoding the lines of an audit log back into records: the settings that shaped the lines
 * (from the properties file), a decoder built from them (the `file.pattern` taken apart, the
 * record's time found), and reading the records of several files in order. The files
 * themselves are found and read by `files.ts`.
 *
 * @module
 */
import { AuditLineSyntaxError, parseAuditLine } from "../record/parse.js";
import { parseJavaLocale } from "../java/locale.js";
import { parseJavaTimeZone, type JavaTimeZone } from "../java/zone.js";
import { describePatternLayout, type PatternPiece } from "../layout/pattern.js";
import { compileDateReader, parseIsoSpan, type DateReader } from "../java/date-reader.js";
import { readAuditLines, type AuditFile } from "./files.js";
import { DEFAULT_READ_LIMITS } from "./read.js";
/**
 * What a reader needs to know of how the lines were written (from the properties file).
 *
 * @example
 * ```ts
 * const settings: ReadSettings = { ...DEFAULT_READ_SETTINGS, delimiter: "|" };
 * ```
 */
export interface ReadSettings {
  /** The text between the event id and each attribute. */
  readonly delimiter: string;
  /** Attributes are written `name=value` (true) or as the value alone. */
  readonly includeAttributeNames: boolean;
  /** `date.pattern` ("" for ISO 8601 in UTC). */
  readonly datePattern: string;
  /** The BCP-47 locale of `date.pattern`. */
  readonly dateLocale: string;
  /** The zone of `date.pattern`, also the zone of times typed without an offset. */
  readonly dateTimeZone: JavaTimeZone;
  /** `file.pattern`, the layout of each line. */
  readonly filePattern: string;
  /** `file.location` resolved, when the properties file sets one. */
  readonly location: string | undefined;
}

/**
 * The settings of the original's defaults: delimiter `", "`, names included, ISO dates in UTC,
 * one record per line (`%sanitisedMessage%n`).
 *
 * @example
 * ```ts
 * DEFAULT_READ_SETTINGS.delimiter; // ", "
 * ```
 */
export const DEFAULT_READ_SETTINGS: ReadSettings = {
  delimiter: ", ",
  includeAttributeNames: true,
  datePattern: "",
  dateLocale: "en-US",
  dateTimeZone: parseJavaTimeZone("GMT"),
  filePattern: "%sanitisedMessage%n",
  location: undefined,
};

/**
 * One record read back from a file.
 *
 * @example
 * ```ts
 * const record: AuditRecord = { event: "ox.login", attributes: [["login", "thorben"]], time: undefined };
 * ```
 */
export interface AuditRecord {
  /** The event id. */
  readonly event: string;
  /** The attributes in order: name (`undefined` when names are not written) and value (`null` for `\N`). */
  readonly attributes: ReadonlyArray<readonly [string | undefined, string | null]>;
  /** The record's time in epoch milliseconds (see {@link LineDecoder}), or undefined. */
  readonly time: number | undefined;
}

/**
 * The outcome of decoding one line.
 *
 * @example
 * ```ts
 * const decoded: DecodedLine = { ok: false, why: "empty line" };
 * ```
 */
export type DecodedLine = { readonly ok: true; readonly record: AuditRecord } | { readonly ok: false; readonly why: string };

/**
 * Turns the text of one line into a record (see {@link createLineDecoder}).
 *
 * @example
 * ```ts
 * const decode: LineDecoder = createLineDecoder(DEFAULT_READ_SETTINGS);
 * ```
 */
export type LineDecoder = (text: string) => DecodedLine;

/** The trailing integrity field a tamper-evident writer may append (`\tchain=…`). */
const CHAIN_FIELD = /\tchain=\S*$/;

/**
 * Attribute names taken as the record's time, in this order, when the line has no `%d`.
 *
 * @example
 * ```ts
 * TIME_ATTRIBUTE_NAMES[0]; // "timestamp"
 * ```
 */
export const TIME_ATTRIBUTE_NAMES: readonly string[] = ["timestamp", "date", "time"];

/**
 * Builds the decoder of one format. The time of a record is:
 * 1. with `timeAttribute` (a name, or a 1-based position `#3`): that attribute, read as a date;
 * 2. else the first `%d` of `file.pattern` when the pattern has one (when the line was written);
 * 3. else, with names, the first attribute named `timestamp`, `date` or `time` (in that order of
 *    preference), read as a date; without names, the first value that reads as a date.
 * A date attribute is read with `date.pattern` (or as ISO 8601); a `%d` with its own pattern,
 * zone and locale (no zone: this process's zone, as logback uses the JVM's). A line whose `%d`
 * does not read back is not understood; an attribute that does not is simply no time.
 *
 * Throws an `Error` when `file.pattern` has no message outside `%replace` (then lines cannot be
 * taken apart).
 *
 * @example
 * ```ts
 * const decode = createLineDecoder(DEFAULT_READ_SETTINGS);
 * decode("ox.login, login=thorben, timestamp=2016-06-10T10:31:10Z");
 * // { ok: true, record: { event: "ox.login", attributes: [["login", "thorben"], ["timestamp", "2016-06-10T10:31:10Z"]], time: 1465554670000 } }
 * ```
 */
export function createLineDecoder(settings: ReadSettings, timeAttribute?: string): LineDecoder {
  const format = { delimiter: settings.delimiter, includeAttributeNames: settings.includeAttributeNames };
  const readDate: (text: string) => number | undefined =
    settings.datePattern === ""
      ? (text) => parseIsoSpan(text, settings.dateTimeZone)?.start
      : compileDateReader(settings.datePattern, settings.dateLocale, settings.dateTimeZone).parse;
  const layout = compileLayoutReader(settings.filePattern);
  const position = timeAttribute !== undefined && /^#[1-9][0-9]*$/.test(timeAttribute) ? Number(timeAttribute.slice(1)) : undefined;
  const attributeTime = (attributes: ReadonlyArray<readonly [string | undefined, string | null]>): number | undefined => {
    if (position !== undefined) {
      const value = attributes[position - 1]?.[1];
      return value === undefined || value === null ? undefined : readDate(value);
    }
    if (timeAttribute !== undefined) {
      const found = attributes.find(([name]) => name === timeAttribute);
      return found?.[1] === undefined || found[1] === null ? undefined : readDate(found[1]);
    }
    if (settings.includeAttributeNames) {
      for (const wanted of TIME_ATTRIBUTE_NAMES) {
        const found = attributes.find(([name]) => name === wanted);
        if (found !== undefined) return found[1] === null ? undefined : readDate(found[1]);
      }
      return undefined;
    }
    for (const [, value] of attributes) {
      const time = value === null ? undefined : readDate(value);
      if (time !== undefined) return time;
    }
    return undefined;
  };
  return (raw) => {
    const text = raw.replace(CHAIN_FIELD, "");
    if (text === "") return { ok: false, why: "empty line" };
    let message = text;
    let lineTime: number | undefined;
    if (layout !== undefined) {
      const parts = layout.match(text);
      if (parts === undefined) return { ok: false, why: `does not match file.pattern "${settings.filePattern}"` };
      message = parts.message;
      if (parts.date !== undefined) {
        lineTime = layout.readDate(parts.date);
        if (lineTime === undefined) return { ok: false, why: `the date "${parts.date}" does not read back with the %d of file.pattern` };
      }
    }
    let parsed;
    try {
      parsed = parseAuditLine(message, format);
    } catch (error) {
      return { ok: false, why: error instanceof AuditLineSyntaxError ? error.message : String(error) };
    }
    const time = timeAttribute === undefined && layout?.hasDate === true ? lineTime : attributeTime(parsed.attributes);
    return { ok: true, record: { event: parsed.eventId, attributes: parsed.attributes, time } };
  };
}

interface LayoutReader {
  readonly hasDate: boolean;
  match(text: string): { message: string; date: string | undefined } | undefined;
  readDate(text: string): number | undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** The local zone of this process (what a `%d` without a zone was written in). */
function processZone(): JavaTimeZone {
  try {
    return parseJavaTimeZone(Intl.DateTimeFormat().resolvedOptions().timeZone);
  } catch {
    return parseJavaTimeZone("UTC");
  }
}

/**
 * A regular expression that takes a line written by `file.pattern` apart: the message (greedy,
 * so a suffix after it is found at the end) and the first `%d`. Words whose text varies (logger,
 * thread, MDC, `%replace`, anything with a format modifier) match lazily. Undefined for a
 * pattern that is only the message and a line break: then the line is the message.
 */
function compileLayoutReader(pattern: string): LayoutReader | undefined {
  if (/^%(?:sanitisedMessage|m|msg|message)%n$/.test(pattern)) return undefined;
  const pieces = describePatternLayout(pattern);
  let hasMessage = false;
  let dateReader: DateReader | undefined;
  const walk = (list: readonly PatternPiece[]): string => {
    let source = "";
    for (const piece of list) {
      if (piece.kind === "literal") {
        source += escapeRegExp(piece.text);
        continue;
      }
      switch (piece.converts) {
        case "newline":
          source += piece.formatted ? ".*?" : "\\n";
          break;
        case "message":
        case "sanitisedMessage":
          if (!hasMessage && !piece.formatted) {
            hasMessage = true;
            source += "(?<m>.*)";
          } else {
            source += ".*?";
          }
          break;
        case "date": {
          const first = piece.options[0];
          const datePattern = first === undefined || first === "ISO8601" ? "yyyy-MM-dd HH:mm:ss,SSS" : first;
          const zone = piece.options[1] === undefined ? processZone() : parseJavaTimeZone(piece.options[1]);
          const reader = compileDateReader(datePattern, piece.options[2] === undefined ? "en-US" : parseJavaLocale(piece.options[2]), zone);
          if (dateReader === undefined && !piece.formatted) {
            dateReader = reader;
            source += `(?<d>${reader.source})`;
          } else {
            source += piece.formatted ? ".*?" : `(?:${reader.source})`;
          }
          break;
        }
        case "level":
          source += piece.formatted ? ".*?" : "(?:TRACE|DEBUG|INFO|WARN|ERROR)";
          break;
        case "group":
          source += piece.formatted ? ".*?" : walk(piece.children);
          break;
        default:
          source += ".*?";
      }
    }
    return source;
  };
  const source = walk(pieces);
  if (!hasMessage) {
    throw new Error(`file.pattern "${pattern}" has no %msg, %m or %sanitisedMessage (outside %replace and without a width): the records cannot be read back`);
  }
  const endsWithNewline = source.endsWith("\\n");
  const whole = new RegExp(`^${source}$`, "s");
  const reader = dateReader;
  return {
    hasDate: reader !== undefined,
    match(text) {
      const groups = whole.exec(endsWithNewline ? text + "\n" : text)?.groups;
      if (groups === undefined) return undefined;
      return { message: groups["m"] as string, date: groups["d"] };
    },
    readDate: (text) => reader?.parse(text),
  };
}

/**
 * A line that is not a record, with where it is and why.
 *
 * @example
 * ```ts
 * const problem: UnreadableLine = { file, lineNumber: 7, why: "empty line" };
 * ```
 */
export interface UnreadableLine {
  /** The file. */
  readonly file: AuditFile;
  /** 1-based line number. */
  readonly lineNumber: number;
  /** Why it could not be read. */
  readonly why: string;
}

/**
 * A record, with where it is.
 *
 * @example
 * ```ts
 * const located: LocatedRecord = { ...record, file, lineNumber: 1, text: "ox.login, login=thorben" };
 * ```
 */
export interface LocatedRecord extends AuditRecord {
  /** The file. */
  readonly file: AuditFile;
  /** 1-based line number. */
  readonly lineNumber: number;
  /** The line as it is in the file. */
  readonly text: string;
}

/**
 * Reads the records of audit files in the order given (oldest first from `findAuditLogs`),
 * yielding each record or each line that could not be read. A last line without a line break
 * is reported as not read (a record cut short), and so is a line longer than the file's
 * `maxLineBytes`. Throws what {@link readAuditLines} throws for a file it cannot read.
 *
 * @example
 * ```ts
 * const decode = createLineDecoder(DEFAULT_READ_SETTINGS);
 * for await (const item of readAuditRecords(findAuditLogs("/var/log/app")[0].files, decode)) {
 *   if ("why" in item) console.error(item.file.path, item.lineNumber, item.why);
 * }
 * ```
 */
export async function* readAuditRecords(files: readonly AuditFile[], decode: LineDecoder): AsyncGenerator<LocatedRecord | UnreadableLine> {
  for (const file of files) {
    for await (const line of readAuditLines(file, { longLines: "yield" })) {
      if (line.tooLong !== undefined) {
        yield { file, lineNumber: line.lineNumber, why: `line longer than ${(file.limits ?? DEFAULT_READ_LIMITS).maxLineBytes} bytes (${line.tooLong} bytes; --max-line-bytes): not read` };
        continue;
      }
      if (!line.complete) {
        yield { file, lineNumber: line.lineNumber, why: "the last line has no line break (a record cut short)" };
        continue;
      }
      const decoded = decode(line.text);
      yield decoded.ok
        ? { ...decoded.record, file, lineNumber: line.lineNumber, text: line.text }
        : { file, lineNumber: line.lineNumber, why: decoded.why };
    }
  }
}
