/**
 * The escaping of audit records: how the event id, names and values of a one-line record
 * (`eventId (delimiter [name=]value)*`) are written so that every record is one line and
 * {@link parseAuditLine} reads back exactly what was logged.
 *
 * - `\` is written `\\`;
 * - the first character of the delimiter is written `\` + that character when it is
 *   punctuation or a symbol, and `\uXXXX` when it is a letter or digit, so no value can end a
 *   field early or forge another attribute;
 * - in names (when names are included), `=` is written `\=`;
 * - unsafe characters (controls, line separators, bidi controls, lone surrogates; see
 *   `escapeUnsafe`) are written `\n`, `\r`, `\t` or `\uXXXX`;
 * - a `null` or `undefined` value is written `\N` (as PostgreSQL's COPY and MySQL do), which no
 *   string value can produce.
 *
 * @module
 */
import { UNSAFE_CHARACTER, escapeCodeUnit } from "../sanitize/escape.js";

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

function firstCodePoint(text: string): string {
  const code = text.codePointAt(0);
  return code === undefined ? "" : String.fromCodePoint(code);
}

/** `text` as a literal outside a character class (with the `u` flag, `\-` is an error there). */
function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/** `text` (one code unit) as a literal inside a character class. */
function escapeClassUnit(text: string): string {
  return text.replace(/[\\^\]-]/g, "\\$&");
}

const UNSAFE_CLASS = UNSAFE_CHARACTER.source.slice(1, -1);

/**
 * The escaping of one delimiter, with what the builder needs to escape long strings.
 * @internal
 */
export interface Escaping {
  escapeValue(text: string): string;
  escapeName(text: string): string;
  /** Whether a value needs any escaping at all. */
  readonly valueNeeds: RegExp;
  /** The escaped length of `text` from `from` on, without building it (`name`: with the rules of names). */
  escapedLengthFrom(text: string, from: number, name?: boolean): number;
  /**
   * The index in `text` up to which its escaped value is `escaped` characters long (the first
   * one at or past it, when `escaped` falls inside an escape): maps a cut in a line back to the text.
   */
  rawIndexOf(text: string, escaped: number): number;
}

/** 1 for code units that {@link UNSAFE_CHARACTER} matches on their own (built on first use). */
let unsafeTable: Uint8Array | undefined;

function unsafeUnits(): Uint8Array {
  if (unsafeTable === undefined) {
    const table = new Uint8Array(0x10000);
    for (let c = 0; c < 0x10000; c++) {
      if (UNSAFE_CHARACTER.test(String.fromCharCode(c))) table[c] = 1;
    }
    unsafeTable = table;
  }
  return unsafeTable;
}

/**
 * Compiles the escaping of one delimiter (see the module comment).
 * @internal
 */
export function compileEscaping(delimiter: string): Escaping {
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
  const d0First = d0.length > 0 ? d0.charCodeAt(0) : -1;
  const d0Second = d0.length > 1 ? d0.charCodeAt(1) : -1;
  // Counts what escapeValue would write, code unit by code unit (the same rules as valueNeeds),
  // from `from` until the end or until `stop` escaped characters; returns where it stopped.
  let counted = 0;
  const scan = (text: string, from: number, name: boolean, stop: number): number => {
    const unsafe = unsafeUnits();
    const n = text.length;
    let length = 0;
    let i = from;
    while (i < n && length < stop) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          length += c === d0First && next === d0Second ? d0Escaped.length : 2;
          i += 2;
          continue;
        }
      }
      if (c === d0First && d0Second < 0) length += d0Escaped.length;
      else if (c === 0x5c || (name && c === 0x3d)) length += 2;
      else if (unsafe[c] === 1) length += c === 0x0a || c === 0x0d || c === 0x09 ? 2 : 6;
      else length += 1;
      i++;
    }
    counted = length;
    return i;
  };
  const escapedLengthFrom = (text: string, from: number, name = false): number => {
    scan(text, from, name, Infinity);
    return counted;
  };
  const rawIndexOf = (text: string, escaped: number): number => scan(text, 0, false, escaped);
  // Quick tests without the `u` flag (several times faster): they also match a well-formed
  // surrogate pair, which only sends such text to the exact replacement, where the pair stays.
  // One character class rather than a class and an alternative (a delimiter of one code unit
  // joins the class): the engine then scans for one set, about twice as fast on a plain value.
  const d0Unit = d0.length === 1 ? escapeClassUnit(d0) : undefined;
  const valueQuick = d0Unit === undefined ? new RegExp(valueNeeds.source) : new RegExp(`[\\\\${UNSAFE_CLASS}${d0Unit}]`);
  const nameQuick = d0Unit === undefined ? new RegExp(nameNeeds.source) : new RegExp(`[\\\\${UNSAFE_CLASS}${d0Unit}=]`);
  return {
    escapeValue: (text) => (valueQuick.test(text) ? text.replace(valueAll, replace) : text),
    escapeName: (text) => (nameQuick.test(text) ? text.replace(nameAll, replace) : text),
    valueNeeds: valueQuick,
    escapedLengthFrom,
    rawIndexOf,
  };
}

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
  const { escapeValue, escapeName } = compileEscaping(delimiter);
  return { escapeValue, escapeName };
}

/**
 * 2 at the start of a surrogate pair, else 1.
 * @internal
 */
export function codePointWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}
