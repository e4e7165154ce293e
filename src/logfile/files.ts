/**
 * Finding and reading the files of a dedicated-mode audit log: the active file `audit.log` and
 * its archives `audit.log.1` (newest) … `audit.log.N` (oldest), each possibly gzip-compressed
 * (`audit.log.3.gz`). Shared by the `verify`, `query` and `tail` commands.
 *
 * @module
 */
import { createReadStream, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip, gunzipSync } from "node:zlib";
import { AuditLineSyntaxError, parseAuditLine } from "../record/parse.js";
import { parseJavaLocale, parseJavaTimeZone, type JavaTimeZone } from "../java/date.js";
import { describePatternLayout, type PatternPiece } from "../layout/pattern.js";
import { compileDateReader, parseIsoSpan, type DateReader } from "../java/date-reader.js";
import { DEFAULT_READ_LIMITS, LineSplitter, openAuditFile, ReadLimitError, type LongLine, type ReadLimits } from "./read.js";

/** One file of an audit log. */
export interface AuditFile {
  /** Absolute path. */
  readonly path: string;
  /** 0 for the active file, N for `base.N` / `base.N.gz`. */
  readonly index: number;
  /** The file is gzip-compressed (its name ends in `.gz`). */
  readonly compressed: boolean;
  /** The bounds it is read within; {@link DEFAULT_READ_LIMITS} when not set. */
  readonly limits?: ReadLimits;
}

/** One audit log: its active file's path and every file present, oldest first. */
export interface AuditLogFiles {
  /** The path of the active file (it may be missing when only archives are left). */
  readonly active: string;
  /** The files present, oldest archive first, the active file last. */
  readonly files: readonly AuditFile[];
  /**
   * A `.rotating` file is there: a rotation was interrupted (the writer finishes it at its next
   * start). Until then one archive number may be missing (the lowest free one).
   */
  readonly rotating?: boolean;
  /**
   * What the writer's interrupted work left that was read around (an archive both plain and
   * compressed with the same records: read once), for people.
   */
  readonly interrupted?: readonly string[];
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/** Archives larger than this are not compared with their compressed copy (both are then read). */
const MAX_COMPARED_BYTES = 256 * 1024 * 1024;

/**
 * Whether `file.N.gz` holds exactly the bytes of `file.N`: a compression was interrupted after
 * the complete `.gz` got its name and before the original was deleted.
 */
function sameRecords(plain: string, gz: string): boolean {
  try {
    const plainStat = lstatSync(plain);
    const gzStat = lstatSync(gz);
    if (!plainStat.isFile() || !gzStat.isFile() || plainStat.size > MAX_COMPARED_BYTES || gzStat.size > MAX_COMPARED_BYTES) return false;
    const bytes = readFileSync(plain);
    return gunzipSync(readFileSync(gz), { maxOutputLength: bytes.length + 1 }).equals(bytes);
  } catch {
    return false;
  }
}

const ARCHIVE = /^(.+)\.([1-9][0-9]{0,4})(\.gz)?$/;
// Work files of the writer and of the CLI, never audit records of their own.
const IGNORED = /\.(?:lock|rotating|tmp|gz\.tmp|chain|key|pub|json)$/;

/**
 * The path a command-line argument names, with symbolic links resolved: the user named it, so
 * a link given (or a linked folder on the way) is followed, once. The files found beside it
 * are then opened without following links (see {@link readAuditLines}). A path that does not
 * exist keeps its last part (only archives may be left of a log).
 *
 * @example
 * ```ts
 * resolveArgument("/var/log/app/current.log"); // "/data/app/audit.log" when current.log links there
 * ```
 */
export function resolveArgument(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/**
 * The audit logs named by a command-line argument: a file (its archives are found beside it)
 * or a folder (every audit log in it). The argument's own symbolic links are followed (see
 * {@link resolveArgument}); the files found are read without following any. Each file carries
 * `limits` (default {@link DEFAULT_READ_LIMITS}). Throws an `Error` whose message names the
 * path when it cannot be read.
 *
 * @example
 * ```ts
 * for (const log of findAuditLogs("/var/log/app")) console.log(log.active, log.files.length);
 * ```
 */
export function findAuditLogs(pathOrFolder: string, limits: ReadLimits = DEFAULT_READ_LIMITS): AuditLogFiles[] {
  const path = resolveArgument(pathOrFolder);
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new Error(`cannot read ${path} (${code ?? String(error)})`);
    stats = undefined;
  }
  if (stats?.isDirectory() === true) {
    const names = readdirSync(path);
    const bases = new Set<string>();
    for (const name of names) {
      if (IGNORED.test(name)) continue;
      const match = ARCHIVE.exec(name);
      bases.add(match === null ? name : (match[1] as string));
    }
    return [...bases].sort().map((base) => collect(path, base, names, limits));
  }
  const folder = dirname(path);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new Error(`cannot read ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  // Given an archive (audit.log.3), the log is that of its active file.
  const match = stats === undefined ? null : ARCHIVE.exec(basename(path));
  const base = match !== null && !names.includes(basename(path) + ".1") ? (match[1] as string) : basename(path);
  const log = collect(folder, base, names, limits);
  if (log.files.length === 0) throw new Error(`cannot read ${path} (ENOENT)`);
  return [log];
}

function collect(folder: string, base: string, names: readonly string[], limits: ReadLimits): AuditLogFiles {
  const files: AuditFile[] = [];
  for (const name of names) {
    if (name === base) {
      files.push({ path: join(folder, name), index: 0, compressed: false, limits });
      continue;
    }
    const match = ARCHIVE.exec(name);
    if (match !== null && match[1] === base) {
      files.push({ path: join(folder, name), index: Number(match[2]), compressed: match[3] !== undefined, limits });
    }
  }
  // Oldest first: the highest archive number first, the active file (0) last.
  files.sort((a, b) => (a.index === 0 ? 1 : b.index === 0 ? -1 : b.index - a.index));
  // An archive both plain and compressed with the same records is read once (the plain one).
  const interrupted: string[] = [];
  for (let i = files.length - 1; i > 0; i--) {
    const a = files[i - 1] as AuditFile;
    const b = files[i] as AuditFile;
    if (a.index !== b.index || a.index === 0 || a.compressed === b.compressed) continue;
    const [plain, gz] = a.compressed ? [b, a] : [a, b];
    if (!sameRecords(plain.path, gz.path)) continue;
    files.splice(files.indexOf(gz), 1);
    interrupted.push(`${basename(plain.path)} and ${basename(gz.path)} hold the same records: a compression was interrupted before the original was deleted (the writer's next start deletes it); read once`);
  }
  const rotating = names.includes(`${base}.rotating`) && isRegularFile(join(folder, `${base}.rotating`));
  return { active: join(folder, base), files, ...(rotating ? { rotating } : {}), ...(interrupted.length > 0 ? { interrupted } : {}) };
}

/** One line of a file, without its line break. */
export interface FileLine {
  /** The text of the line (a final line without a line break is included, see `complete`); "" for a line too long. */
  readonly text: string;
  /** 1-based line number within the file. */
  readonly lineNumber: number;
  /** False for a last line that has no line break (a record cut short, or still being written). */
  readonly complete: boolean;
  /** Set (to its length in bytes) for a line longer than the file's `maxLineBytes`, whose text was not read. */
  readonly tooLong?: number;
}

/**
 * How {@link readAuditLines} treats a line longer than the file's `maxLineBytes`.
 *
 * @example
 * ```ts
 * const options: ReadLinesOptions = { longLines: "yield" };
 * ```
 */
export interface ReadLinesOptions {
  /**
   * `"throw"` (the default): stop with a {@link ReadLimitError} naming the file and line (for a
   * reader that must see every line, as `verify`); `"yield"`: hand it on with `tooLong` set and
   * go on with the next line.
   */
  readonly longLines?: "throw" | "yield";
}

/**
 * Reads the lines of an audit file, decompressing `.gz` files, in UTF-8, within the file's
 * {@link ReadLimits} (default {@link DEFAULT_READ_LIMITS}): the file is opened without
 * following a symbolic link or blocking on a FIFO and must be a regular file
 * ({@link NotRegularFileError}); a line longer than `maxLineBytes` is skipped (see
 * {@link ReadLinesOptions}); an archive that decompresses to more than `maxGunzipBytes` stops
 * with a {@link ReadLimitError}. A final line without a line break is reported with
 * `complete: false`. Lines end at LF (a CR before it is dropped; a lone CR is part of the line).
 *
 * @example
 * ```ts
 * for await (const line of readAuditLines(file)) console.log(line.lineNumber, line.text);
 * ```
 */
export async function* readAuditLines(file: AuditFile, options: ReadLinesOptions = {}): AsyncGenerator<FileLine> {
  const limits = file.limits ?? DEFAULT_READ_LIMITS;
  const raw = createReadStream(file.path, { fd: openAuditFile(file.path), highWaterMark: 64 * 1024 });
  const gunzip = file.compressed ? createGunzip() : undefined;
  const input: Readable = gunzip === undefined ? raw : raw.pipe(gunzip);
  if (gunzip !== undefined) raw.on("error", (error) => gunzip.destroy(error));
  const splitter = new LineSplitter(limits.maxLineBytes);
  let lineNumber = 0;
  let inflated = 0;
  const line = (item: string | LongLine, complete: boolean): FileLine => {
    lineNumber++;
    if (typeof item === "string") return { text: item, lineNumber, complete };
    if (options.longLines !== "yield") {
      throw new ReadLimitError(file.path, lineNumber, `line longer than ${limits.maxLineBytes} bytes (${item.tooLong} bytes; --max-line-bytes)`);
    }
    return { text: "", lineNumber, complete, tooLong: item.tooLong };
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (gunzip !== undefined) {
        inflated += chunk.length;
        if (inflated > limits.maxGunzipBytes) {
          throw new ReadLimitError(file.path, undefined, `decompresses to more than ${limits.maxGunzipBytes} bytes (a gzip bomb? --max-gunzip-bytes): not read further`);
        }
      }
      for (const item of splitter.push(chunk)) yield line(item, true);
    }
    const rest = splitter.takeRest();
    if (typeof rest !== "string" || rest !== "") yield line(rest, false);
  } finally {
    input.destroy();
    raw.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Reading records: the settings that shaped the lines, and a decoder built from them

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

// ---------------------------------------------------------------------------------------------
// Scanning several files

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
 * Reads the records of audit files in the order given (oldest first from {@link findAuditLogs}),
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
