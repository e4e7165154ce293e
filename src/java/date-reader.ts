/**
 * Reading dates back: the ISO 8601 texts people type (`--since 2026-11-17`) and the texts a
 * Java `SimpleDateFormat` pattern wrote (`date.pattern`, the `%d` of `file.pattern`).
 *
 * A pattern is read by a regular expression built from its tokens (the formatter's own, from
 * `date-pattern.ts`; month names by the writer's rule, `monthNames`), then the instant found is
 * formatted again with the very formatter that wrote it and must give back the same text: a
 * parse is only accepted when it round-trips, so an ambiguous or unsupported text is reported
 * as not understood instead of being read wrong.
 *
 * @module
 */
import { compileJavaDatePattern, monthNames } from "./date.js";
import { tokenizeDatePattern, type DatePatternToken } from "./date-pattern.js";
import { localeData, parseJavaLocale } from "./locale.js";
import { parseJavaTimeZone, type JavaTimeZone } from "./zone.js";

/**
 * A span of time given with some precision: `2026-11-17` covers the whole day.
 *
 * @example
 * ```ts
 * const day: TimeSpan = { start: Date.UTC(2026, 10, 17), end: Date.UTC(2026, 10, 18) - 1 };
 * ```
 */
export interface TimeSpan {
  /** The first millisecond (epoch milliseconds). */
  readonly start: number;
  /** The last millisecond of the span (inclusive). */
  readonly end: number;
}

const ISO = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * The epoch milliseconds of a local time in a zone (the earlier instant when a DST change makes
 * it ambiguous; month 1-12).
 *
 * @example
 * ```ts
 * localToEpoch(parseJavaTimeZone("Europe/Berlin"), 2016, 6, 10, 12, 31, 10, 0); // Date.UTC(2016, 5, 10, 10, 31, 10)
 * ```
 */
export function localToEpoch(zone: JavaTimeZone, year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const local = date.getTime();
  // Offsets in whole milliseconds, as the writer rounds them: local mean times such as Madras
  // time (+05:21:10, in minutes 321.1666...) must not leave a fraction of a millisecond.
  const offsetMs = (at: number): number => Math.round(zone.offsetMinutesAt(at) * 60_000);
  // Two steps: the offset at the guess, then at the corrected guess (right across DST changes).
  const guess = local - offsetMs(local);
  const instant = local - offsetMs(guess);
  // In the repeated hour of a DST end both readings are right: take the earlier one.
  const earlier = local - offsetMs(instant - 3 * 3_600_000);
  if (earlier < instant && earlier + offsetMs(earlier) === local) return earlier;
  return instant;
}

/**
 * The instants whose local time in `zone` is `local` (a local time as epoch milliseconds in
 * UTC), in order: none in a DST gap, two in a repeated hour, else one.
 */
function readingsOfLocalTime(zone: JavaTimeZone, local: number): number[] {
  const offsetMs = (at: number): number => Math.round(zone.offsetMinutesAt(at) * 60_000);
  const found = new Set<number>();
  for (const probe of [local - 86_400_000, local, local + 86_400_000]) {
    const instant = local - offsetMs(probe);
    if (instant + offsetMs(instant) === local) found.add(instant);
  }
  return [...found].sort((a, b) => a - b);
}

function offsetMinutes(text: string): number {
  if (text.toUpperCase() === "Z") return 0;
  const sign = text.charAt(0) === "-" ? -1 : 1;
  const digits = text.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0));
}

/**
 * Reads an ISO 8601 date or date-time (`2026-11-17`, `2026-11-17T10:30`, `2026-11-17 10:30:05.250`,
 * with an optional `Z` or `±hh:mm`). Without an offset the time is read in `zone`. The span
 * covers the precision given: a day, a minute, a second or a millisecond. Undefined when the
 * text is not such a date.
 *
 * @example
 * ```ts
 * parseIsoSpan("2026-11-17", parseJavaTimeZone("UTC"));
 * // { start: Date.UTC(2026, 10, 17), end: Date.UTC(2026, 10, 18) - 1 }
 * ```
 */
export function parseIsoSpan(text: string, zone: JavaTimeZone): TimeSpan | undefined {
  const match = ISO.exec(text.trim());
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, off] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const check = new Date(Date.UTC(2000, month - 1, day));
  if (check.getUTCDate() !== day && !(month === 2 && day === 29)) return undefined;
  let start: number;
  if (off !== undefined) {
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, ms);
    start = date.getTime() - offsetMinutes(off) * 60_000;
  } else {
    start = localToEpoch(zone, year, month, day, hour, minute, second, ms);
  }
  if (Number.isNaN(start)) return undefined;
  const unit = h === undefined ? 86_400_000 : s === undefined ? 60_000 : frac === undefined ? 1000 : 1;
  // A day is not always 24 hours in a zone with DST: end where the next day starts.
  const end =
    h === undefined && off === undefined
      ? (() => {
          const next = new Date(Date.UTC(year, month - 1, day + 1));
          return localToEpoch(zone, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, 0, 0, 0) - 1;
        })()
      : start + unit - 1;
  return { start, end };
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

function alternation(names: Iterable<string>): string {
  const unique = [...new Set(names)].filter((n) => n !== "").sort((a, b) => b.length - a.length);
  return unique.map(escapeRegExp).join("|");
}

const NUMERIC = new Set(["y", "Y", "d", "H", "k", "K", "h", "m", "s", "S", "D", "F", "w", "W", "u"]);

function isNumeric(token: DatePatternToken | undefined): boolean {
  return token !== undefined && token.kind === "field" && (NUMERIC.has(token.letter) || ((token.letter === "M" || token.letter === "L") && token.count <= 2));
}

/**
 * A compiled reader of one date pattern (see {@link compileDateReader}).
 *
 * @example
 * ```ts
 * const reader: DateReader = compileDateReader("yyyy-MM-dd", "en-US", parseJavaTimeZone("UTC"));
 * new RegExp(`^${reader.source}$`).test("2026-11-17"); // true
 * ```
 */
export interface DateReader {
  /** A regular expression source (no anchors, no capturing groups) matching what the pattern writes. */
  readonly source: string;
  /** The instant a text written by the pattern stands for, or undefined when it does not read back exactly. */
  parse(text: string): number | undefined;
}

/**
 * Compiles a reader for a Java `SimpleDateFormat` pattern in a locale and zone: the inverse of
 * `compileJavaDatePattern` with the same settings. Texts with a zone (`z`, `Z`, `X`) use it;
 * others are read in `zone`. Week-based fields (`Y`, `w`, `W`, `F`, `u`, `E`) are matched but
 * not used to find the day; a text is only accepted when formatting the instant found gives
 * back the same text.
 *
 * @throws JavaDatePatternError or RangeError when the pattern, locale or zone is invalid.
 * @example
 * ```ts
 * const reader = compileDateReader("dd.MM.yyyy HH:mm", "de-DE", parseJavaTimeZone("Europe/Berlin"));
 * reader.parse("10.06.2016 12:31"); // Date.UTC(2016, 5, 10, 10, 31)
 * ```
 */
export function compileDateReader(pattern: string, locale: string, zone: JavaTimeZone): DateReader {
  const format = compileJavaDatePattern(pattern, { locale, zone });
  const utc = parseJavaTimeZone("UTC");
  const nameFormat = (p: string): ((ms: number) => string) => compileJavaDatePattern(p, { locale, zone: utc });
  const tokens = tokenizeDatePattern(pattern);
  const fieldCount = tokens.filter((t) => t.kind === "field").length;
  const groups: string[] = [];
  const readers: Array<(text: string, fields: Fields) => boolean> = [];
  let source = "";
  tokens.forEach((token, index) => {
    if (token.kind === "literal") {
      source += escapeRegExp(token.text);
      return;
    }
    const { letter, count } = token;
    const abutting = isNumeric(token) && isNumeric(tokens[index + 1]);
    let group: string;
    let read: (text: string, fields: Fields) => boolean;
    const numberOf = (set: (value: number, fields: Fields) => void): ((text: string, fields: Fields) => boolean) => (text, fields) => {
      set(Number(text), fields);
      return true;
    };
    const names = (p: string, instants: readonly number[], set: (index: number, fields: Fields) => void): void => {
      const f = nameFormat(p);
      const list = instants.map((ms) => f(ms));
      group = alternation(list);
      read = (text, fields) => {
        const at = list.indexOf(text);
        if (at < 0) return false;
        set(at, fields);
        return true;
      };
    };
    group = abutting ? `\\d{${count}}` : "\\d+";
    read = (): boolean => true;
    switch (letter) {
      case "y":
      case "Y":
        if (count === 2) group = "\\d{2}";
        else if (!abutting) group = "[+-]?\\d+";
        read =
          letter === "Y"
            ? read
            : (text, fields) => {
                fields.year = count === 2 && text.length === 2 ? twoDigitYear(Number(text)) : Number(text);
                return true;
              };
        break;
      case "M":
      case "L":
        if (count >= 3) {
          // The names the writer prints: standalone for L and for an M that is the only field.
          const list = monthNames(letter, count, localeData(parseJavaLocale(locale)), fieldCount === 1);
          group = alternation(list);
          read = (text, fields) => {
            const at = list.indexOf(text);
            if (at < 0) return false;
            fields.month = at + 1;
            return true;
          };
        } else {
          read = numberOf((v, f) => (f.month = v));
        }
        break;
      case "d":
        read = numberOf((v, f) => (f.day = v));
        break;
      case "D":
        read = numberOf((v, f) => (f.dayOfYear = v));
        break;
      case "H":
        read = numberOf((v, f) => (f.hour = v));
        break;
      case "k":
        read = numberOf((v, f) => (f.hour = v === 24 ? 0 : v));
        break;
      case "K":
        read = numberOf((v, f) => (f.hour12 = v));
        break;
      case "h":
        read = numberOf((v, f) => (f.hour12 = v === 12 ? 0 : v));
        break;
      case "m":
        read = numberOf((v, f) => (f.minute = v));
        break;
      case "s":
        read = numberOf((v, f) => (f.second = v));
        break;
      case "S":
        read = numberOf((v, f) => (f.ms = v));
        break;
      case "E":
        names(count >= 4 ? "EEEE" : "EEE", Array.from({ length: 7 }, (_, d) => Date.UTC(2001, 0, 1 + d)), () => undefined);
        break;
      case "a":
        names("a", [Date.UTC(2001, 0, 1, 1), Date.UTC(2001, 0, 1, 13)], (i, fields) => {
          fields.pm = i === 1;
        });
        break;
      case "G":
        names(count >= 4 ? "GGGG" : "G", [Date.UTC(2001, 0, 1), Date.UTC(-100, 0, 1)], (i, fields) => {
          fields.bc = i === 1;
        });
        break;
      case "Z":
        group = "[+-]\\d{4}";
        read = (text, fields) => {
          fields.offset = offsetMinutes(text);
          return true;
        };
        break;
      case "X":
        group = count === 1 ? "Z|[+-]\\d{2}" : count === 2 ? "Z|[+-]\\d{4}" : "Z|[+-]\\d{2}:\\d{2}";
        read = (text, fields) => {
          fields.offset = offsetMinutes(text);
          return true;
        };
        break;
      case "z": {
        // The zone's names at instants over several years (standard and daylight time), and
        // the GMT±hh:mm form; a name tells its offset when only one offset ever had it.
        const f = compileJavaDatePattern(count >= 4 ? "zzzz" : "z", { locale, zone });
        const offsets = new Map<string, Set<number>>();
        const now = Date.now();
        for (let t = now - 5 * 365 * 86_400_000; t < now + 365 * 86_400_000; t += 14 * 86_400_000) {
          const name = f(t);
          const set = offsets.get(name) ?? new Set<number>();
          set.add(zone.offsetMinutesAt(t));
          offsets.set(name, set);
        }
        group = `${alternation(offsets.keys())}${offsets.size > 0 ? "|" : ""}(?:GMT|UTC)(?:[+-]\\d{1,2}(?::?\\d{2})?)?`;
        read = (text, fields) => {
          const known = offsets.get(text);
          if (known !== undefined) {
            if (known.size === 1) fields.offset = [...known][0] as number;
            return true;
          }
          const custom = /^(?:GMT|UTC)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/.exec(text);
          if (custom === null) return false;
          fields.offset = custom[1] === undefined ? 0 : (custom[1] === "-" ? -1 : 1) * (Number(custom[2]) * 60 + Number(custom[3] ?? 0));
          return true;
        };
        break;
      }
      default:
        // w, W, F, u: numbers that do not decide the instant (the round trip checks them).
        break;
    }
    groups.push(group);
    readers.push(read);
    source += `(${group})`;
  });
  const whole = new RegExp(`^${source}$`);
  return {
    source: source.replace(/\((?!\?)/g, "(?:"),
    parse(text) {
      const match = whole.exec(text);
      if (match === null) return undefined;
      const fields: Fields = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
      for (let i = 0; i < readers.length; i++) {
        if (!(readers[i] as (t: string, f: Fields) => boolean)(match[i + 1] as string, fields)) return undefined;
      }
      let year = fields.bc === true ? 1 - fields.year : fields.year;
      let month = fields.month;
      let day = fields.day;
      if (fields.dayOfYear !== undefined) {
        const date = new Date(Date.UTC(2000, 0, fields.dayOfYear));
        date.setUTCFullYear(year, 0, fields.dayOfYear);
        year = date.getUTCFullYear();
        month = date.getUTCMonth() + 1;
        day = date.getUTCDate();
      }
      const hour = fields.hour12 !== undefined ? fields.hour12 + (fields.pm === true ? 12 : 0) : fields.hour;
      const date = new Date(0);
      date.setUTCFullYear(year, month - 1, day);
      date.setUTCHours(hour, fields.minute, fields.second, fields.ms);
      // Every instant with this local time in the zone, the earlier first (the repeated hour of
      // a DST end has two). The offset the text states comes before them; they are the fallback
      // for what a text cannot state: an offset with seconds (Madras time +05:21:10 is written
      // +0521) or a name another offset had in the past (Lord Howe Standard Time, +10:00 in 1900).
      const candidates = readingsOfLocalTime(zone, date.getTime());
      if (fields.offset !== undefined) candidates.unshift(date.getTime() - fields.offset * 60_000);
      for (const epoch of candidates) {
        if (Number.isNaN(epoch)) continue;
        try {
          if (format(epoch) === text) return epoch;
        } catch {
          // An instant outside Date's range: not this one.
        }
      }
      return undefined;
    },
  };
}

interface Fields {
  year: number;
  month: number;
  day: number;
  dayOfYear?: number;
  hour: number;
  hour12?: number;
  pm?: boolean;
  bc?: boolean;
  minute: number;
  second: number;
  ms: number;
  offset?: number;
}

/** SimpleDateFormat's two-digit years: within 80 years before and 20 after now. */
function twoDigitYear(yy: number): number {
  const start = new Date().getUTCFullYear() - 80;
  let year = Math.floor(start / 100) * 100 + yy;
  if (year < start) year += 100;
  return year;
}
