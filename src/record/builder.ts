/**
 * The record builder: one audit event (event id and attributes) to the message of one record,
 * `eventId (delimiter [name=]value)*`, escaped (see `escaping.ts`) so that the line is one line
 * and {@link parseAuditLine} reads it back. The fused fast path of dedicated mode: collecting,
 * rendering, masking, escaping and cutting in one pass, with caches for what repeats per call
 * site (names, values, dates).
 *
 * Before escaping, the value of a secret (an attribute whose name contains a configured word)
 * is masked; after building, a message longer than the maximum is cut at a place where the
 * line still parses and ends with an escaped `...[truncated N characters]`.
 *
 * @module
 */
import { types } from "node:util";
import { CUT_NAME, CollectedAttributes, DEFAULT_MAX_ATTRIBUTES, collectAttributes, collectIterable, isCollected, readIterable, type AuditAttributes } from "./attributes.js";
import { NULL_MARKER, codePointWidth, compileEscaping, type RecordFormat } from "./escaping.js";
import { compileMasking, type MaskOptions } from "./masking.js";
import { DEFAULT_RENDER_BUDGET, renderOther, type RenderOptions } from "./values.js";

const isProxy = types.isProxy;

const dateGetTime = Date.prototype.getTime;

/**
 * The time of a real Date (NaN for an invalid one), or undefined for anything else. `instanceof`
 * first (it is fast), then `Date.prototype.getTime`, which reads the Date's own internal slot and
 * throws for anything that is not a real Date (a fake with Date's prototype, a Proxy of a Date):
 * the same answer as `util.types.isDate` without a call into the runtime. A Proxy whose trap
 * throws is not a Date either.
 * @internal
 */
export function dateTimeOf(value: unknown): number | undefined {
  try {
    return value instanceof Date ? (dateGetTime.call(value) as number) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a value is a real Date (see {@link dateTimeOf}).
 * @internal
 */
export function isDate(value: unknown): boolean {
  return dateTimeOf(value) !== undefined;
}

/**
 * What {@link compileRecordBuilder} needs: the format, and optionally the masking of secrets and
 * the maximum length. An `AuditConfig` satisfies it as it is.
 */
export interface RecordOptions extends RecordFormat, MaskOptions {
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

/** The smallest `maxLength` {@link compileRecordBuilder} accepts (room for the marker). */
export const MIN_MAX_LENGTH = 64;

/**
 * How the values of records under `options` are rendered (`renderOther`): the configured masking,
 * and JSON not rendered far past `maxLength` (it would be cut anyway). Shared by the builder, the
 * renderer and whatever describes what was thrown while attributes were read.
 * @internal
 */
export function valueRenderOptions(options: RecordOptions): RenderOptions {
  const masking = compileMasking(options);
  const maxLength = options.maxLength ?? Infinity;
  return {
    budget: maxLength === Infinity ? DEFAULT_RENDER_BUDGET : Math.max(maxLength + 1, DEFAULT_RENDER_BUDGET),
    isMaskedName: masking?.isMaskedName,
    mask: masking?.mask,
  };
}

/** Builds the message of one record; compiled once per configuration. */
export type RecordBuilder = (eventId: string, attributes?: RecordInput) => string;

/**
 * What a builder read from attributes given as an object (not an iterable, not collected): the
 * names and values, exactly as it wrote them, so that a caller can hand the same values on (to
 * the targets) without reading the object, and running its getters, a second time. Filled by
 * every call of a builder compiled with it; `keys` is undefined after a call whose attributes
 * were absent, collected or an iterable, or could not be listed.
 * @internal
 */
export interface AttributesRead {
  /** The attributes given to the call this describes. */
  input: object | undefined;
  /**
   * The attributes read: `input` itself (a plain object, or collected attributes), or for an
   * iterable or a Proxy the attributes the builder collected from it first (so that it and the
   * targets read them once); undefined when they could not be listed.
   */
  source: object | undefined;
  keys: readonly string[] | undefined;
  /**
   * The values written, by index of `keys`; a value that is an object or a function is replaced
   * by what stands for it (as in `settled`, which is undefined for a plain object).
   */
  values: readonly unknown[] | undefined;
  /** How many attributes were left out (`record.maxAttributes`), as the record says. */
  cut: string | undefined;
  /**
   * By index of the collected pairs: what stands for a value that is an object or a function,
   * taken when it was written: its text as written (before masking and escaping), or for a Date
   * its time ({@link SettledTime}). So nothing runs twice (getters, `toJSON`) and nothing changed
   * afterwards reaches the targets. Undefined when no value is one, and for a plain object (whose
   * `values` hold them).
   */
  settled: unknown[] | undefined;
  /**
   * By index of the collected pairs: the text written for a name that is not a string (its
   * `toJSON` or getters ran once, for the file), so that the targets get the same name.
   * Undefined when every name is a string, and for a plain object.
   */
  names: string[] | undefined;
}

/**
 * What stands for a Date attribute once written: its time then (a later `setTime()` does not
 * reach the targets). Cheaper to take inside `log()` than a copy of the Date, which
 * {@link unsettled} makes when the targets run.
 * @internal
 */
export class SettledTime {
  constructor(readonly time: number) {}
}

/** A value as the targets take it: a {@link SettledTime} is a Date again. @internal */
export function unsettled(value: unknown): unknown {
  return value instanceof SettledTime ? new Date(value.time) : value;
}

/** What a {@link RecordBuilder} takes: attributes as given, or as {@link collectAttributes} read them. */
export type RecordInput = AuditAttributes | CollectedAttributes;

/**
 * The longest prefix of a built `line`, at most `limit` characters, after which a value may
 * go on: never inside an escape, a surrogate pair or a delimiter, never inside a name (its
 * attribute is dropped whole), and never right after a `\N` (the null marker must stand alone).
 * Reads the line the way {@link parseAuditLine} does.
 * @internal
 */
export function safeCut(line: string, limit: number, delimiter: string, names: boolean): number {
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

/** The marker that ends a cut message (before escaping), N being the characters removed. */
export function truncationMarker(removed: number): string {
  return `...[truncated ${removed} characters]`;
}

/**
 * Where a built `line` longer than `maxLength` is cut ({@link safeCut}), and the escaped marker
 * that then ends it; `total` is the line's length counting what escaping left out.
 * @internal
 */
export function cutPlace(
  line: string,
  total: number,
  maxLength: number,
  delimiter: string,
  names: boolean,
  escapeValue: (text: string) => string,
): { readonly cut: number; readonly marker: string; readonly removed: number } {
  const markerFor = (n: number): string => escapeValue(truncationMarker(n));
  // The marker's length depends on N, and N on where the cut falls: cut, then check that the
  // marker fits, and cut earlier if it does not (N only grows, so this ends).
  let limit = maxLength - markerFor(total - maxLength).length;
  for (;;) {
    const cut = safeCut(line, limit, delimiter, names);
    const marker = markerFor(total - cut);
    if (cut + marker.length <= maxLength || cut === 0) return { cut, marker, removed: total - cut };
    limit = Math.min(cut - 1, maxLength - marker.length);
  }
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
  read?: AttributesRead,
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
  const renderOptions = valueRenderOptions(format);
  const { isMaskedName, mask } = renderOptions;
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
      const time = dateTimeOf(value);
      if (time !== undefined) return Number.isNaN(time) ? "Invalid Date" : formatDate(time);
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
        const time = dateTimeOf(value);
        if (time !== undefined) {
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
  /**
   * The text of a value that is an object or a function, written as renderValue/renderMasked
   * write it; what stands for it afterwards goes into `settled[i]` (see {@link AttributesRead}).
   */
  const settledText = (value: object, masked: boolean, settled: unknown[], i: number): string => {
    const time = dateTimeOf(value);
    if (time !== undefined) {
      settled[i] = new SettledTime(time);
      if (masked) return renderMasked(value);
      // renderValue's Date, the time read once.
      if (Number.isNaN(time)) return "Invalid Date";
      try {
        return renderDate(time);
      } catch (error) {
        return escapeValue(`[unrenderable: ${render(error)}]`);
      }
    }
    const raw = render(value);
    settled[i] = raw;
    return escapeValue(masked ? (mask as (text: string) => string)(raw) : raw);
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

  let lastEventId = "";
  let lastEventText = "";
  const build = (eventId: string, attributes?: RecordInput): string => {
    if (typeof eventId !== "string" || eventId === "") {
      throw new TypeError(eventId === "" ? "audit event id must not be empty" : `audit event id must be a string, got ${typeof eventId}`);
    }
    if (read !== undefined) read.source = undefined;
    // The same call site logs the same event id: escaped once (not past the maximum, where escaping counts what it leaves out).
    let line: string;
    if (eventId === lastEventId) {
      line = lastEventText;
    } else {
      line = escapeValue(eventId);
      if (eventId.length <= maxLength) {
        lastEventId = eventId;
        lastEventText = line;
      }
    }
    if (attributes === undefined || attributes === null) {
      return line;
    }
    if (typeof attributes !== "object") {
      throw new TypeError(`audit attributes must be an object or an iterable of [name, value] pairs, got ${typeof attributes}`);
    }
    const input = attributes;
    // Whether the attributes are an iterable; asked once (the lookup may run a getter).
    let iterable: boolean | undefined;
    let lookupFailed = false;
    let lookupError: unknown;
    let proxy = false;
    let collected = isCollected(attributes);
    if (read !== undefined && !collected) {
      // With targets, an iterable or a Proxy is collected first: it and the targets read it once.
      proxy = isProxy(attributes);
      if (!proxy) {
        try {
          iterable = typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
        } catch (thrown) {
          lookupFailed = true;
          lookupError = thrown;
        }
      }
      // Collected with the record's own masking (what a getter or an iterator threw is described
      // as without targets), and without asking for Symbol.iterator again (a getter behind it
      // runs as often as without targets): a lookup that threw is the collection's error.
      if (proxy || iterable !== false) {
        attributes = lookupFailed
          ? new CollectedAttributes([], undefined, `attributes could not be read: ${render(lookupError)}`)
          : iterable === true
            ? collectIterable(attributes as Iterable<unknown>, maxAttributes, render)
            : collectAttributes(attributes, maxAttributes, render);
        collected = true;
      }
    }
    if (collected) {
      attributes = attributes as CollectedAttributes;
      if (read === undefined) {
        for (const pair of attributes.pairs) line += pairAttribute(pair);
      } else {
        let settled: unknown[] | undefined;
        let names: string[] | undefined;
        const pairs = attributes.pairs;
        for (let i = 0; i < pairs.length; i++) {
          const [rawName, value] = pairs[i] as readonly [unknown, unknown];
          let name: string;
          if (typeof rawName === "string") {
            name = rawName;
          } else {
            // Rendered once: the targets get this text (a toJSON that answers anew each time).
            name = nameText(rawName);
            (names ??= [])[i] = name;
          }
          if (value === null || (typeof value !== "object" && typeof value !== "function")) {
            line += attribute(name, value);
            continue;
          }
          const info = infoOf(name);
          omitted += info.omitted;
          line += info.prefix + settledText(value, info.masked, (settled ??= []), i);
        }
        read.keys = undefined;
        read.values = undefined;
        read.cut = undefined;
        read.settled = settled;
        read.names = names;
        read.input = input;
        read.source = attributes;
      }
      if (attributes.error !== undefined) line += error(attributes.error);
      if (attributes.cut !== undefined) line += cutMarker(attributes.cut);
      return line;
    }
    if (iterable === undefined && !lookupFailed) {
      try {
        iterable = typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
      } catch (thrown) {
        lookupFailed = true;
        lookupError = thrown;
      }
    }
    if (lookupFailed) return line + error(`attributes could not be read: ${render(lookupError)}`);
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
    if (cut === undefined && (read !== undefined ? !proxy : !isProxy(record))) {
      try {
        values = Object.values(record);
        if (values.length !== total) values = undefined;
      } catch {
        values = undefined;
      }
    }
    // The same call site logs the same names in the same order: reuse their prefixes.
    const infos = infosOf(keys);
    // The careful path keeps what it read for `read` (the fast path has it in `values`).
    const careful: unknown[] | undefined = values === undefined && read !== undefined ? [] : undefined;
    // With `read`, what stands for an object value replaces it in the values handed on.
    const held = values ?? careful;
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
        careful?.push(value);
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
      } else if (read !== undefined && value !== null && (typeof value === "object" || typeof value === "function")) {
        text = settledText(value, info.masked, held as unknown[], i);
      } else {
        text = info.masked ? renderMasked(value) : renderValue(value);
      }
      line += info.prefix + text;
      omitted += info.omitted;
    }
    // Set last: a getter or toJSON that logs while this record is built fills `read` too.
    if (read !== undefined) {
      read.keys = keys;
      read.values = held;
      read.cut = cut;
      read.settled = undefined;
      read.names = undefined;
      read.input = input;
      read.source = record;
    }
    return cut === undefined ? line : line + cutMarker(cut);
  };

  if (maxLength === Infinity) return build;

  /** Cuts a built line; `total` is its length counting what escapeValue left out. */
  const truncate = (line: string, total: number): string => {
    const { cut, marker } = cutPlace(line, total, maxLength, delimiter, names, escaping.escapeValue);
    return line.slice(0, cut) + marker;
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
