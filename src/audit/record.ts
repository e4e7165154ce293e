/**
 * Building an audit record (`eventId (delimiter [name=]value)*`) with an escaping that makes
 * every record one line and lets {@link parseAuditLine} read back exactly what was logged.
 *
 * Escaping, applied to the event id, names and values:
 * - `\` is written `\\`;
 * - the first character of the delimiter is written `\` + that character when it is
 *   punctuation or a symbol, and `\uXXXX` when it is a letter or digit, so no value can end a
 *   field early or forge another attribute;
 * - in names (when names are included), `=` is written `\=`;
 * - unsafe characters (controls, line separators, bidi controls, lone surrogates; see
 *   `escapeUnsafe`) are written `\n`, `\r`, `\t` or `\uXXXX`;
 * - a `null` or `undefined` value is written `\N` (as PostgreSQL's COPY and MySQL do), which no
 *   string value can produce.
 */
import { UNSAFE_CHARACTER, escapeCodeUnit } from "../sanitize/escape.js";
import { renderOther } from "./values.js";

/** The marker written for a `null` or `undefined` attribute value. */
export const NULL_MARKER = "\\N";

/** Attributes of an audit event: a plain object (in insertion order) or `[name, value]` pairs. */
export type AuditAttributes = Readonly<Record<string, unknown>> | Iterable<readonly [unknown, unknown]>;

/** How records are written and read: the two settings that shape a line. */
export interface RecordFormat {
  /** The text between the event id and each attribute (non-empty). */
  readonly delimiter: string;
  /** Whether each attribute is written `name=value` (true) or as the value alone. */
  readonly includeAttributeNames: boolean;
}

/** Builds the message of one record; compiled once per configuration. */
export type RecordBuilder = (eventId: string, attributes?: AuditAttributes) => string;

function firstCodePoint(text: string): string {
  const code = text.codePointAt(0);
  return code === undefined ? "" : String.fromCodePoint(code);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

const UNSAFE_CLASS = UNSAFE_CHARACTER.source.slice(1, -1);

/**
 * The escaping functions for one delimiter.
 *
 * @example
 * ```ts
 * const { escapeValue } = createEscaper("|");
 * escapeValue("a|b\n"); // "a\\|b\\n"
 * ```
 */
export function createEscaper(delimiter: string): { escapeValue(text: string): string; escapeName(text: string): string } {
  const d0 = firstCodePoint(delimiter);
  const d0Escaped = /^[\p{L}\p{N}]$/u.test(d0)
    ? Array.from({ length: d0.length }, (_, i) => escapeCodeUnit(d0.charCodeAt(i))).join("")
    : "\\" + d0;
  const d0Class = d0 === "" ? "" : escapeRegExp(d0);
  const valueNeeds = new RegExp(`[\\\\${UNSAFE_CLASS}]${d0 ? `|${d0Class}` : ""}`, "u");
  const valueAll = new RegExp(valueNeeds.source, "gu");
  const nameNeeds = new RegExp(`${valueNeeds.source}|=`, "u");
  const nameAll = new RegExp(nameNeeds.source, "gu");
  const replace = (match: string): string => {
    if (match === "\\") return "\\\\";
    if (match === "=") return "\\=";
    if (match === d0) return d0Escaped;
    return escapeCodeUnit(match.charCodeAt(0));
  };
  return {
    escapeValue: (text) => (valueNeeds.test(text) ? text.replace(valueAll, replace) : text),
    escapeName: (text) => (nameNeeds.test(text) ? text.replace(nameAll, replace) : text),
  };
}

/**
 * Compiles the record builder for a format and a date formatter (used for `Date` values);
 * `dateResolutionMs` is 1000 when the formatter's output depends only on the second.
 * The builder never throws for any value; a non-string event id is a programmer error and
 * throws a `TypeError`.
 *
 * @example
 * ```ts
 * const build = compileRecordBuilder({ delimiter: "|", includeAttributeNames: true }, (ms) => new Date(ms).toISOString());
 * build("ox.login", { login: "thorben", ip: "::1" }); // "ox.login|login=thorben|ip=::1"
 * ```
 */
export function compileRecordBuilder(
  format: RecordFormat,
  formatDate: (epochMillis: number) => string,
  dateResolutionMs: 1 | 1000 = 1,
): RecordBuilder {
  const { escapeValue, escapeName } = createEscaper(format.delimiter);
  const delimiter = format.delimiter;
  const names = format.includeAttributeNames;

  // A four-slot cache of rendered dates, keyed by the instant at the formatter's resolution, so
  // a record with several timestamps (login time, last login, …) does not thrash the
  // formatter's one-second cache.
  const dateKeys = [NaN, NaN, NaN, NaN];
  const dateTexts = ["", "", "", ""];
  const renderDate = (time: number): string => {
    const key = Math.floor(time / dateResolutionMs);
    const slot = key & 3;
    if (dateKeys[slot] === key) return dateTexts[slot] as string;
    const text = escapeValue(formatDate(time));
    dateKeys[slot] = key;
    dateTexts[slot] = text;
    return text;
  };

  const renderValue = (value: unknown): string => {
    switch (typeof value) {
      case "string":
        return escapeValue(value);
      case "number":
      case "boolean":
      case "bigint":
        return String(value);
      case "undefined":
        return NULL_MARKER;
      default:
        if (value === null) return NULL_MARKER;
        if (value instanceof Date) {
          const time = value.getTime();
          return Number.isNaN(time) ? "Invalid Date" : renderDate(time);
        }
        return escapeValue(renderOther(value));
    }
  };
  const renderName = (name: unknown): string => escapeName(typeof name === "string" ? name : renderOther(name));

  return (eventId, attributes) => {
    if (typeof eventId !== "string") {
      throw new TypeError(`audit event id must be a string, got ${typeof eventId}`);
    }
    let line = escapeValue(eventId);
    if (attributes === undefined || attributes === null) {
      return line;
    }
    if (typeof attributes !== "object") {
      throw new TypeError(`audit attributes must be an object or an iterable of [name, value] pairs, got ${typeof attributes}`);
    }
    if (typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] === "function") {
      try {
        for (const pair of attributes as Iterable<unknown>) {
          let name: unknown;
          let value: unknown;
          if (Array.isArray(pair)) {
            name = pair[0];
            value = pair[1];
          } else {
            name = "";
            value = pair;
          }
          line += names ? delimiter + renderName(name) + "=" + renderValue(value) : delimiter + renderValue(value);
        }
      } catch (error) {
        // The caller's iterator threw: keep what was collected and say so in the record.
        const why = escapeValue(`attributes iterator threw: ${renderOther(error)}`);
        line += names ? `${delimiter}slf4ts.error=${why}` : `${delimiter}${why}`;
      }
      return line;
    }
    const record = attributes as Record<string, unknown>;
    let keys: string[];
    try {
      keys = Object.keys(record);
    } catch (error) {
      const why = escapeValue(`attributes could not be read: ${renderOther(error)}`);
      return line + (names ? `${delimiter}slf4ts.error=${why}` : `${delimiter}${why}`);
    }
    for (const key of keys) {
      let value: unknown;
      try {
        value = record[key];
      } catch (error) {
        value = `[getter threw: ${renderOther(error)}]`;
      }
      line += names ? delimiter + escapeName(key) + "=" + renderValue(value) : delimiter + renderValue(value);
    }
    return line;
  };
}

/** A record read back by {@link parseAuditLine}. */
export interface ParsedAuditLine {
  /** The event id. */
  readonly eventId: string;
  /** The attributes in order: `[name, value]`, name `undefined` when names are not included, value `null` for `\N`. */
  readonly attributes: ReadonlyArray<readonly [string | undefined, string | null]>;
}

/** A line that is not a well-formed audit record for the given format. */
export class AuditLineSyntaxError extends Error {
  /** The 0-based index in the line where the problem was found. */
  readonly position: number;
  /** @internal */
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = "AuditLineSyntaxError";
    this.position = position;
  }
}

/** The index of the first backslash in [from, end), or -1 (bounded, so parsing stays linear). */
function backslashIn(line: string, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    if (line.charCodeAt(i) === 0x5c) return i;
  }
  return -1;
}

function unescapeField(line: string, start: number, end: number): string {
  const first = backslashIn(line, start, end);
  if (first < 0) {
    return line.slice(start, end);
  }
  let out = line.slice(start, first);
  let i = first;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c !== 0x5c) {
      const next = backslashIn(line, i, end);
      const stop = next < 0 ? end : next;
      out += line.slice(i, stop);
      i = stop;
      continue;
    }
    if (i + 1 >= end) {
      throw new AuditLineSyntaxError("dangling backslash", i);
    }
    const e = line.charAt(i + 1);
    switch (e) {
      case "n":
        out += "\n";
        i += 2;
        break;
      case "r":
        out += "\r";
        i += 2;
        break;
      case "t":
        out += "\t";
        i += 2;
        break;
      case "u": {
        const hex = line.slice(i + 2, i + 6);
        if (i + 6 > end || !/^[0-9A-Fa-f]{4}$/.test(hex)) {
          throw new AuditLineSyntaxError("malformed \\u escape", i);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        break;
      }
      case "N":
        throw new AuditLineSyntaxError("\\N inside a field (it may only stand alone as a null value)", i);
      default: {
        // "\" followed by one code point stands for that code point.
        const cp = line.codePointAt(i + 1) as number;
        const width = cp > 0xffff ? 2 : 1;
        out += line.slice(i + 1, i + 1 + width);
        i += 1 + width;
      }
    }
  }
  return out;
}

/**
 * Reads a record written by an audit logger with the same delimiter and naming setting: the
 * exact inverse of what `log()` wrote (values come back as the text that was written; `\N`
 * comes back as `null`). A trailing line break is ignored. Throws {@link AuditLineSyntaxError}
 * for a line that was not written that way.
 *
 * @example
 * ```ts
 * parseAuditLine("ox.login|login=thorben|ip=::1", { delimiter: "|", includeAttributeNames: true });
 * // { eventId: "ox.login", attributes: [["login", "thorben"], ["ip", "::1"]] }
 * ```
 */
export function parseAuditLine(line: string, format: RecordFormat): ParsedAuditLine {
  const { delimiter, includeAttributeNames } = format;
  if (delimiter.length === 0) {
    throw new RangeError("parseAuditLine needs a non-empty delimiter");
  }
  let length = line.length;
  if (length > 0 && line.charCodeAt(length - 1) === 0x0a) {
    length--;
    if (length > 0 && line.charCodeAt(length - 1) === 0x0d) length--;
  }
  // Split into raw fields at unescaped delimiters; remember each field's first unescaped "=".
  const starts: number[] = [0];
  const ends: number[] = [];
  const equals: number[] = [-1];
  let i = 0;
  while (i < length) {
    const c = line.charCodeAt(i);
    if (c === 0x5c) {
      // Skip the whole escape so that no part of it can be read as a delimiter.
      const cp = line.codePointAt(i + 1);
      i += cp === 0x75 /* u */ ? 6 : cp !== undefined && cp > 0xffff ? 3 : 2;
      continue;
    }
    if (line.startsWith(delimiter, i)) {
      ends.push(i);
      i += delimiter.length;
      starts.push(i);
      equals.push(-1);
      continue;
    }
    if (c === 0x3d && equals[equals.length - 1] === -1) {
      equals[equals.length - 1] = i;
    }
    i++;
  }
  ends.push(length);
  if (i > length) {
    throw new AuditLineSyntaxError("incomplete escape at the end of the line", length - 1);
  }
  const eventId = unescapeField(line, starts[0] as number, ends[0] as number);
  const attributes: Array<readonly [string | undefined, string | null]> = [];
  for (let f = 1; f < starts.length; f++) {
    const start = starts[f] as number;
    const end = ends[f] as number;
    let name: string | undefined;
    let valueStart = start;
    if (includeAttributeNames) {
      const eq = equals[f] as number;
      if (eq < 0) {
        throw new AuditLineSyntaxError(`attribute ${f} has no "="`, start);
      }
      name = unescapeField(line, start, eq);
      valueStart = eq + 1;
    }
    const isNull = end - valueStart === 2 && line.charCodeAt(valueStart) === 0x5c && line.charCodeAt(valueStart + 1) === 0x4e;
    attributes.push([name, isNull ? null : unescapeField(line, valueStart, end)]);
  }
  return { eventId, attributes };
}
