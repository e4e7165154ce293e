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
 *
 * Before escaping, the value of a secret (an attribute whose name contains a configured word)
 * is masked; after building, a message longer than the maximum is cut at a place where the
 * line still parses and ends with an escaped `...[truncated N characters]`.
 */
import { types } from "node:util";
import { UNSAFE_CHARACTER, escapeCodeUnit } from "../sanitize/escape.js";
import { DEFAULT_RENDER_BUDGET, renderOther, type RenderOptions } from "./values.js";

const isProxy = types.isProxy;

const dateGetTime = Date.prototype.getTime;

/** Whether a value is a real Date (`instanceof` first: it is fast, but a Proxy's trap may throw and a fake may pass it). */
function isDate(value: unknown): boolean {
  try {
    return value instanceof Date && types.isDate(value);
  } catch {
    return false;
  }
}

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

/**
 * What {@link compileRecordBuilder} needs: the format, and optionally the masking of secrets and
 * the maximum length. An `AuditConfig` satisfies it as it is.
 */
export interface RecordOptions extends RecordFormat {
  /**
   * Words (matched case-insensitively): an attribute whose name contains one of them has its
   * value masked (also nested keys of objects rendered as JSON). Absent or empty: nothing is masked.
   */
  readonly maskNames?: readonly string[] | undefined;
  /**
   * Leading characters of a masked value that stay visible (default 0), but never more than
   * half of the value's characters; the rest becomes `****` whatever its length.
   */
  readonly maskKeep?: number | undefined;
  /**
   * The longest message in characters (UTF-16 code units, as `String#length` counts them; at
   * least {@link MIN_MAX_LENGTH}). A longer message is cut on a character and escape boundary and
   * ends with `...[truncated N characters]`. Absent: no maximum.
   */
  readonly maxLength?: number | undefined;
  /**
   * The most attributes written per record (default {@link DEFAULT_MAX_ATTRIBUTES}). The rest
   * are not read (an iterable is consumed lazily, so an endless one ends here) and a final
   * attribute {@link CUT_NAME}`=N` says how many were left out (`N+`: more than N, for an
   * iterator that was still not finished after N more).
   */
  readonly maxAttributes?: number | undefined;
}

/** The default of {@link RecordOptions.maxAttributes} (and of `record.maxAttributes`). */
export const DEFAULT_MAX_ATTRIBUTES = 256;

/**
 * The name of the attribute that ends a record whose attributes were cut (`slf4ts.cut=44`); it is
 * written `slf4ts.cut=N` whether names are included or not.
 */
export const CUT_NAME = "slf4ts.cut";

/**
 * Attributes read once, at most `maxAttributes` of them, so that several consumers (filters,
 * targets, the file) see the same ones without reading a one-shot iterable twice.
 * @internal
 */
export class CollectedAttributes {
  constructor(
    /** The pairs read, in order. */
    readonly pairs: ReadonlyArray<readonly [unknown, unknown]>,
    /** How many were left out (`"44"`, or `"256+"` for more than 256), or undefined. */
    readonly cut: string | undefined,
    /** Why reading stopped early (`attributes iterator threw: …`), or undefined. */
    readonly error: string | undefined,
  ) {
    collected.add(this);
  }
}

/** The CollectedAttributes made here: a lookup runs no Proxy trap (`instanceof` would). */
const collected = new WeakSet<object>();

function isCollected(value: unknown): value is CollectedAttributes {
  return typeof value === "object" && value !== null && collected.has(value);
}

const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, "size")?.get as (this: Map<unknown, unknown>) => number;
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, "size")?.get as (this: Set<unknown>) => number;

/** The number of entries of an Array, Map or Set read without user code, or undefined. */
function knownSize(value: object): number | undefined {
  if (isProxy(value)) return undefined;
  try {
    if (Array.isArray(value)) return value.length;
    if (types.isMap(value)) return mapSize.call(value as Map<unknown, unknown>);
    if (types.isSet(value)) return setSize.call(value as Set<unknown>);
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * Reads at most `max` entries of an iterable lazily, calling `take` for each, then finds out
 * how many were left out: from the size of an Array, Map or Set, or by reading on at most `max`
 * more entries (without rendering them). Never throws: an iterator that throws ends the reading
 * and is described in `error`; the iterator is closed (`return()`) when it was left unfinished.
 */
function readIterable(
  iterable: Iterable<unknown>,
  max: number,
  take: (pair: unknown) => void,
  describe: (thrown: unknown) => string,
): { cut: string | undefined; error: string | undefined } {
  let iterator: Iterator<unknown>;
  let next: Iterator<unknown>["next"];
  try {
    iterator = iterable[Symbol.iterator]();
    next = iterator.next;
    if (typeof next !== "function") throw new TypeError("the iterator has no next method");
  } catch (thrown) {
    return { cut: undefined, error: `attributes iterator threw: ${describe(thrown)}` };
  }
  let taken = 0;
  let finished = false;
  try {
    while (taken < max) {
      const step = next.call(iterator);
      if (step.done === true) {
        finished = true;
        break;
      }
      taken++;
      take(step.value);
    }
    if (finished) return { cut: undefined, error: undefined };
    const size = knownSize(iterable as object);
    if (size !== undefined) {
      return { cut: size > taken ? String(size - taken) : undefined, error: undefined };
    }
    let more = 0;
    while (more < max) {
      const step = next.call(iterator);
      if (step.done === true) {
        finished = true;
        break;
      }
      more++;
    }
    return { cut: finished ? (more > 0 ? String(more) : undefined) : `${more}+`, error: undefined };
  } catch (thrown) {
    finished = true;
    return { cut: undefined, error: `attributes iterator threw: ${describe(thrown)}` };
  } finally {
    if (!finished) {
      try {
        const close = iterator.return;
        if (typeof close === "function") Reflect.apply(close, iterator, []);
      } catch {
        // A generator whose finally throws: nothing more to read anyway.
      }
    }
  }
}

/** One entry of an iterable as a `[name, value]` pair (a non-array entry is a value without a name). */
function pairOf(entry: unknown, describe: (thrown: unknown) => string): readonly [unknown, unknown] {
  try {
    return Array.isArray(entry) ? [entry[0], entry[1]] : ["", entry];
  } catch (thrown) {
    return ["slf4ts.error", `attribute could not be read: ${describe(thrown)}`];
  }
}

/**
 * Reads attributes once, at most `maxAttributes` of them (see {@link CollectedAttributes}).
 * Never throws; a getter that throws gives `[getter threw: …]` as the value.
 * @internal
 */
export function collectAttributes(attributes: AuditAttributes | null | undefined, maxAttributes: number): CollectedAttributes {
  if (isCollected(attributes)) return attributes;
  const pairs: Array<readonly [unknown, unknown]> = [];
  if (attributes === undefined || attributes === null) return new CollectedAttributes(pairs, undefined, undefined);
  const describe = (thrown: unknown): string => renderOther(thrown);
  let iterable: boolean;
  try {
    iterable = typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
  } catch (thrown) {
    return new CollectedAttributes(pairs, undefined, `attributes could not be read: ${describe(thrown)}`);
  }
  if (iterable) {
    const { cut, error } = readIterable(attributes as Iterable<unknown>, maxAttributes, (entry) => pairs.push(pairOf(entry, describe)), describe);
    return new CollectedAttributes(pairs, cut, error);
  }
  let keys: string[];
  try {
    keys = Object.keys(attributes);
  } catch (thrown) {
    return new CollectedAttributes(pairs, undefined, `attributes could not be read: ${describe(thrown)}`);
  }
  const n = Math.min(keys.length, maxAttributes);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    let value: unknown;
    try {
      value = (attributes as Record<string, unknown>)[key];
    } catch (thrown) {
      value = `[getter threw: ${describe(thrown)}]`;
    }
    pairs.push([key, value]);
  }
  return new CollectedAttributes(pairs, keys.length > n ? String(keys.length - n) : undefined, undefined);
}

/** The smallest `maxLength` {@link compileRecordBuilder} accepts (room for the marker). */
export const MIN_MAX_LENGTH = 64;

/** What a masked value becomes after its visible prefix. */
export const MASK = "****";

/** Builds the message of one record; compiled once per configuration. */
export type RecordBuilder = (eventId: string, attributes?: RecordInput) => string;

/** What a {@link RecordBuilder} takes: attributes as given, or as {@link collectAttributes} read them. */
export type RecordInput = AuditAttributes | CollectedAttributes;

function firstCodePoint(text: string): string {
  const code = text.codePointAt(0);
  return code === undefined ? "" : String.fromCodePoint(code);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

const UNSAFE_CLASS = UNSAFE_CHARACTER.source.slice(1, -1);

/** The escaping of one delimiter, with what the builder needs to escape long strings. */
interface Escaping {
  escapeValue(text: string): string;
  escapeName(text: string): string;
  /** Whether a value needs any escaping at all. */
  readonly valueNeeds: RegExp;
  /** The escaped length of `text` from `from` on, without building it (`name`: with the rules of names). */
  escapedLengthFrom(text: string, from: number, name?: boolean): number;
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

function compileEscaping(delimiter: string): Escaping {
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
  // Counts what escapeValue would write, code unit by code unit (the same rules as valueNeeds).
  const escapedLengthFrom = (text: string, from: number, name = false): number => {
    const unsafe = unsafeUnits();
    const n = text.length;
    let length = 0;
    for (let i = from; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          length += c === d0First && next === d0Second ? d0Escaped.length : 2;
          i++;
          continue;
        }
      }
      if (c === d0First && d0Second < 0) length += d0Escaped.length;
      else if (c === 0x5c || (name && c === 0x3d)) length += 2;
      else if (unsafe[c] === 1) length += c === 0x0a || c === 0x0d || c === 0x09 ? 2 : 6;
      else length += 1;
    }
    return length;
  };
  // Quick tests without the `u` flag (several times faster): they also match a well-formed
  // surrogate pair, which only sends such text to the exact replacement, where the pair stays.
  const valueQuick = new RegExp(valueNeeds.source);
  const nameQuick = new RegExp(nameNeeds.source);
  return {
    escapeValue: (text) => (valueQuick.test(text) ? text.replace(valueAll, replace) : text),
    escapeName: (text) => (nameQuick.test(text) ? text.replace(nameAll, replace) : text),
    valueNeeds: valueQuick,
    escapedLengthFrom,
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
 * The masking of one configuration: whether a name is a secret (cached per name, since the same
 * names come back on every record) and what a secret value becomes.
 */
function compileMasking(options: RecordOptions): { isMaskedName: (name: string) => boolean; mask: (text: string) => string } | undefined {
  const words = (options.maskNames ?? []).map((w) => String(w).toLowerCase()).filter((w) => w !== "");
  if (words.length === 0) return undefined;
  const keep = options.maskKeep ?? 0;
  if (!Number.isInteger(keep) || keep < 0) {
    throw new RangeError(`maskKeep must be a whole number of characters from 0, got ${String(keep)}`);
  }
  const cache = new Map<string, boolean>();
  const isMaskedName = (name: string): boolean => {
    let masked = cache.get(name);
    if (masked === undefined) {
      const lower = name.toLowerCase();
      masked = words.some((w) => lower.includes(w));
      // Names may come from callers' data: keep the cache small, and long names out of it.
      if (name.length > 256) return masked;
      if (cache.size >= 1024) cache.clear();
      cache.set(name, masked);
    }
    return masked;
  };
  const mask = (text: string): string => {
    if (keep === 0) return MASK;
    // Count characters (code points) up to 2 × keep: at most half of them stay visible, so a
    // short secret is never shown whole.
    let count = 0;
    for (let i = 0; i < text.length && count < 2 * keep; count++) i += codePointWidth(text, i);
    const visible = Math.min(keep, Math.floor(count / 2));
    let end = 0;
    for (let c = 0; c < visible; c++) end += codePointWidth(text, end);
    return text.slice(0, end) + MASK;
  };
  return { isMaskedName, mask };
}

/** 2 at the start of a surrogate pair, else 1. */
function codePointWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * The longest prefix of a built `line`, at most `limit` characters, after which a value may
 * go on: never inside an escape, a surrogate pair or a delimiter, never inside a name (its
 * attribute is dropped whole), and never right after a `\N` (the null marker must stand alone).
 * Reads the line the way {@link parseAuditLine} does.
 */
function safeCut(line: string, limit: number, delimiter: string, names: boolean): number {
  let safe = 0;
  let inName = false; // the event id has no name
  let afterNull = false;
  let i = 0;
  while (i < limit) {
    if (!inName && !afterNull) safe = i;
    const c = line.charCodeAt(i);
    if (c === 0x5c) {
      const next = line.codePointAt(i + 1);
      const width = next === 0x75 /* u */ ? 6 : next !== undefined && next > 0xffff ? 3 : 2;
      if (i + width > limit) return safe;
      afterNull = next === 0x4e; /* N */
      i += width;
      continue;
    }
    if (line.startsWith(delimiter, i)) {
      if (i + delimiter.length > limit) return safe;
      i += delimiter.length;
      inName = names;
      afterNull = false;
      continue;
    }
    if (c === 0x3d /* = */ && inName) {
      inName = false;
      i++;
      continue;
    }
    const width = codePointWidth(line, i);
    if (i + width > limit) return safe;
    i += width;
  }
  if (!inName && !afterNull) safe = i;
  return safe;
}

/**
 * Compiles the record builder for a format and a date formatter (used for `Date` values);
 * `dateResolutionMs` is 1000 when the formatter's output depends only on the second.
 * The builder never throws for any value and always ends; a non-string event id is a
 * programmer error and throws a `TypeError`.
 *
 * With `maskNames`, the value of an attribute whose name contains one of the words (in any
 * case) is rendered, then masked (`maskKeep` leading characters, at most half of the value,
 * then `****`), then escaped; `null`/`undefined` stay `\N`. With `maxLength`, a longer message
 * is cut (see {@link RecordOptions.maxLength}) and ends with `...[truncated N characters]`,
 * N being the number of characters of the built message that were removed.
 *
 * @example
 * ```ts
 * const build = compileRecordBuilder({ delimiter: "|", includeAttributeNames: true }, (ms) => new Date(ms).toISOString());
 * build("ox.login", { login: "thorben", ip: "::1" }); // "ox.login|login=thorben|ip=::1"
 * const masked = compileRecordBuilder({ delimiter: "|", includeAttributeNames: true, maskNames: ["password"], maskKeep: 2 }, (ms) => new Date(ms).toISOString());
 * masked("ox.login", { login: "thorben", password: "hunter2" }); // "ox.login|login=thorben|password=hu****"
 * ```
 */
export function compileRecordBuilder(
  format: RecordOptions,
  formatDate: (epochMillis: number) => string,
  dateResolutionMs: 1 | 1000 = 1,
): RecordBuilder {
  const escaping = compileEscaping(format.delimiter);
  const { escapeName, valueNeeds, escapedLengthFrom } = escaping;
  const delimiter = format.delimiter;
  const names = format.includeAttributeNames;
  const maxLength = format.maxLength ?? Infinity;
  if (maxLength !== Infinity && !(Number.isInteger(maxLength) && maxLength >= MIN_MAX_LENGTH)) {
    throw new RangeError(`maxLength must be a whole number of characters from ${MIN_MAX_LENGTH}, got ${String(maxLength)}`);
  }
  const maxAttributes = format.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES;
  if (!(Number.isInteger(maxAttributes) && maxAttributes >= 1)) {
    throw new RangeError(`maxAttributes must be a whole number of attributes from 1, got ${String(maxAttributes)}`);
  }
  // A string longer than the maximum that needs escaping is escaped only up to the maximum (the
  // message is cut there anyway) and the escaped length of the rest is counted for the marker:
  // a 10 MB value full of escapes then costs a count, not 10 MB of replacements. Plain strings
  // and strings up to the maximum take the ordinary path.
  let omitted = 0;
  const escapeValue =
    maxLength === Infinity
      ? escaping.escapeValue
      : (text: string): string => {
          if (!valueNeeds.test(text)) return text;
          // The kept part has more than maxLength characters, so the line is always cut.
          if (text.length <= maxLength + 2) return escaping.escapeValue(text);
          let end = maxLength + 2;
          if (codePointWidth(text, end - 1) === 2) end--;
          omitted += escapedLengthFrom(text, end);
          return escaping.escapeValue(text.slice(0, end));
        };
  const masking = compileMasking(format);
  const isMaskedName = masking?.isMaskedName;
  const mask = masking?.mask;
  // The JSON of an object is not rendered far past the maximum: it would be cut anyway.
  const renderOptions: RenderOptions = {
    budget: maxLength === Infinity ? DEFAULT_RENDER_BUDGET : Math.max(maxLength + 1, DEFAULT_RENDER_BUDGET),
    isMaskedName,
    mask,
  };
  const render = (value: unknown): string => renderOther(value, renderOptions);

  // A four-slot cache of rendered dates, keyed by the instant at the formatter's resolution, so
  // a record with several timestamps (login time, last login, …) does not thrash the
  // formatter's one-second cache.
  const dateKeys = [NaN, NaN, NaN, NaN];
  const dateTexts = ["", "", "", ""];
  const renderDate = (time: number): string => {
    const key = Math.floor(time / dateResolutionMs);
    const slot = key & 3;
    if (dateKeys[slot] === key) return dateTexts[slot] as string;
    // Escaped whole (a cached text must not have been counted as cut).
    const text = escaping.escapeValue(formatDate(time));
    dateKeys[slot] = key;
    dateTexts[slot] = text;
    return text;
  };

  /** The text of a value other than a string, number, boolean, bigint, null or undefined (unescaped). */
  const renderObject = (value: unknown): string => {
    try {
      if (isDate(value)) {
        const time = dateGetTime.call(value);
        return Number.isNaN(time) ? "Invalid Date" : formatDate(time);
      }
    } catch (error) {
      return `[unrenderable: ${render(error)}]`;
    }
    return render(value);
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
        if (isDate(value)) {
          const time = dateGetTime.call(value);
          if (Number.isNaN(time)) return "Invalid Date";
          try {
            return renderDate(time);
          } catch (error) {
            return escapeValue(`[unrenderable: ${render(error)}]`);
          }
        }
        return escapeValue(render(value));
    }
  };
  /** A secret's value: rendered, masked, then escaped; null and undefined stay `\N`. */
  const renderMasked = (value: unknown): string => {
    if (value === null || value === undefined) return NULL_MARKER;
    const text = typeof value === "string" ? value : typeof value === "object" || typeof value === "function" || typeof value === "symbol" ? renderObject(value) : String(value);
    return escapeValue((mask as (text: string) => string)(text));
  };
  const nameText = (name: unknown): string => (typeof name === "string" ? name : render(name));
  // What stands before each attribute's value (`delimiter name=`), and whether it is a secret,
  // per name: the same names come back on every record. Names may come from callers' data, so
  // the cache is kept small.
  interface NameInfo {
    readonly prefix: string;
    readonly masked: boolean;
    /** Escaped characters of a name longer than the maximum that were left out of `prefix`. */
    readonly omitted: number;
  }
  const nameInfo = new Map<string, NameInfo>();
  const infoOf = (name: string): NameInfo => {
    let info = nameInfo.get(name);
    if (info === undefined) {
      const masked = isMaskedName !== undefined && isMaskedName(name);
      if (names && name.length > maxLength + 2) {
        // A name longer than the maximum cannot be kept (the cut never falls inside a name, so
        // its attribute is left out whole): like a long value, it is escaped only up to the
        // maximum and the rest is counted for the marker. Not cached: it would keep the name alive.
        let end = maxLength + 2;
        if (codePointWidth(name, end - 1) === 2) end--;
        return { prefix: delimiter + escapeName(name.slice(0, end)) + "=", masked, omitted: escapedLengthFrom(name, end, true) };
      }
      info = { prefix: names ? delimiter + escapeName(name) + "=" : delimiter, masked, omitted: 0 };
      if (nameInfo.size >= 1024) nameInfo.clear();
      nameInfo.set(name, info);
    }
    return info;
  };
  // The names of the last plain-object record and their infos: a record from the same call
  // site has the same names (the same interned strings), so a comparison replaces the lookups.
  const lastRaw: string[] = [];
  const lastEscaped: string[] = [];
  let lastKeys: readonly string[] = [];
  let lastInfos: NameInfo[] = [];
  const infosOf = (keys: readonly string[]): readonly NameInfo[] => {
    if (keys.length === lastKeys.length) {
      let same = true;
      for (let i = 0; i < keys.length; i++) {
        if (keys[i] !== lastKeys[i]) {
          same = false;
          break;
        }
      }
      if (same) return lastInfos;
    }
    const infos = keys.map(infoOf);
    lastKeys = keys;
    lastInfos = infos;
    return infos;
  };
  const attribute = (name: string, value: unknown): string => {
    const info = infoOf(name);
    omitted += info.omitted;
    return info.prefix + (info.masked ? renderMasked(value) : renderValue(value));
  };
  const error = (why: string): string => (names ? `${delimiter}slf4ts.error=${escapeValue(why)}` : `${delimiter}${escapeValue(why)}`);
  // Written alike with names on or off, so a reader recognises it either way.
  const cutMarker = (count: string): string => (names ? `${delimiter}${escapeName(CUT_NAME)}=${escapeValue(count)}` : `${delimiter}${escapeValue(`${CUT_NAME}=${count}`)}`);
  const pairAttribute = (pair: readonly [unknown, unknown]): string => attribute(nameText(pair[0]), pair[1]);

  const build = (eventId: string, attributes?: RecordInput): string => {
    if (typeof eventId !== "string" || eventId === "") {
      throw new TypeError(eventId === "" ? "audit event id must not be empty" : `audit event id must be a string, got ${typeof eventId}`);
    }
    let line = escapeValue(eventId);
    if (attributes === undefined || attributes === null) {
      return line;
    }
    if (typeof attributes !== "object") {
      throw new TypeError(`audit attributes must be an object or an iterable of [name, value] pairs, got ${typeof attributes}`);
    }
    if (isCollected(attributes)) {
      for (const pair of attributes.pairs) line += pairAttribute(pair);
      if (attributes.error !== undefined) line += error(attributes.error);
      if (attributes.cut !== undefined) line += cutMarker(attributes.cut);
      return line;
    }
    let iterable: boolean;
    try {
      iterable = typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
    } catch (thrown) {
      return line + error(`attributes could not be read: ${render(thrown)}`);
    }
    if (iterable) {
      // Lazily, at most maxAttributes: an endless generator ends here.
      const take = (entry: unknown): void => {
        let name: unknown;
        let value: unknown;
        try {
          if (Array.isArray(entry)) {
            name = entry[0];
            value = entry[1];
          } else {
            name = "";
            value = entry;
          }
        } catch (thrown) {
          name = "slf4ts.error";
          value = `attribute could not be read: ${render(thrown)}`;
        }
        line += attribute(nameText(name), value);
      };
      const { cut, error: why } = readIterable(attributes as Iterable<unknown>, maxAttributes, take, render);
      if (why !== undefined) line += error(why);
      if (cut !== undefined) line += cutMarker(cut);
      return line;
    }
    const record = attributes as Record<string, unknown>;
    let keys: string[];
    try {
      keys = Object.keys(record);
    } catch (thrown) {
      return line + error(`attributes could not be read: ${render(thrown)}`);
    }
    let cut: string | undefined;
    const total = keys.length;
    if (total > maxAttributes) {
      cut = String(total - maxAttributes);
      keys = keys.slice(0, maxAttributes);
    }
    // Fast path: the values in one call (no keyed load per name); a getter that throws sends
    // the record to the careful path below, which isolates it.
    // Not for a Proxy, whose ownKeys may answer differently the second time, nor past the
    // bound (it would read, and run the getters of, the values that are cut).
    let values: unknown[] | undefined;
    if (cut === undefined && !isProxy(record)) {
      try {
        values = Object.values(record);
        if (values.length !== total) values = undefined;
      } catch {
        values = undefined;
      }
    }
    // The same call site logs the same names in the same order: reuse their prefixes.
    const infos = infosOf(keys);
    for (let i = 0; i < keys.length; i++) {
      let value: unknown;
      if (values !== undefined) {
        value = values[i];
      } else {
        try {
          value = record[keys[i] as string];
        } catch (thrown) {
          value = `[getter threw: ${render(thrown)}]`;
        }
      }
      const info = infos[i] as NameInfo;
      let text: string;
      if (typeof value === "string" && !info.masked && value.length <= maxLength) {
        // Values that repeat at the same place (an IP, a client name) are escaped once.
        if (value === lastRaw[i]) {
          text = lastEscaped[i] as string;
        } else {
          text = escapeValue(value);
          lastRaw[i] = value;
          lastEscaped[i] = text;
        }
      } else {
        text = info.masked ? renderMasked(value) : renderValue(value);
      }
      line += info.prefix + text;
      omitted += info.omitted;
    }
    return cut === undefined ? line : line + cutMarker(cut);
  };

  if (maxLength === Infinity) return build;

  const markerFor = (n: number): string => escaping.escapeValue(`...[truncated ${n} characters]`);
  /** Cuts a built line; `total` is its length counting what escapeValue left out. */
  const truncate = (line: string, total: number): string => {
    // The marker's length depends on N, and N on where the cut falls: cut, then check that the
    // marker fits, and cut earlier if it does not (N only grows, so this ends).
    let limit = maxLength - markerFor(total - maxLength).length;
    for (;;) {
      const cut = safeCut(line, limit, delimiter, names);
      const marker = markerFor(total - cut);
      if (cut + marker.length <= maxLength || cut === 0) return line.slice(0, cut) + marker;
      limit = Math.min(cut - 1, maxLength - marker.length);
    }
  };
  return (eventId, attributes) => {
    // Saved and restored: a getter or toJSON may log while its record is being built.
    const outer = omitted;
    omitted = 0;
    let line: string;
    let extra: number;
    try {
      line = build(eventId, attributes);
    } finally {
      extra = omitted;
      omitted = outer;
    }
    return line.length > maxLength ? truncate(line, line.length + extra) : line;
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
