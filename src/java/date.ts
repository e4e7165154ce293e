/**
 * Java `SimpleDateFormat` patterns, compiled once into fast formatting functions.
 *
 * The OX audit logger formats its timestamp with `new SimpleDateFormat(pattern, locale)` and a
 * `TimeZone`, or (without a pattern) with `ISO8601Utils.format(date, false)`. This module
 * reproduces both for Node:
 *
 * - {@link compileJavaDatePattern} takes the tokens of a pattern (`date-pattern.ts`, split
 *   exactly as `SimpleDateFormat.compile` does) and returns a formatter. Numbers are computed
 *   here; localised names (months, weekdays, eras, AM/PM) come from `locale.ts` and zone names
 *   from `zone.ts`, both from `Intl` in the requested locale.
 * - `parseJavaTimeZone` (`zone.ts`) and `parseJavaLocale` (`locale.ts`) turn the configured zone
 *   and locale into validated values. Unlike the original (which silently fell back to GMT and
 *   `Locale.US`) they reject what they do not understand, with a message that says what was
 *   expected.
 * - {@link createIsoSecondsFormatter} is the default `2016-06-10T10:31:10Z` format.
 *
 * Performance: a formatter runs once per log record. All parsing and every `Intl`/luxon object
 * are created at compile time. At call time the text for the current second is cached; within
 * that second a call is one subtraction, one comparison and at most a few string
 * concatenations (the padded millisecond comes from a precomputed table). The zone offset is
 * asked of luxon/Intl on every new second, so DST changes take effect on the exact second; zone
 * names (several Intl calls) are reused while the offset and the UTC hour stay the same.
 *
 * Deliberate differences from Java 17 (`java.text.SimpleDateFormat`, default CLDR,COMPAT data):
 *
 * 1. **Calendar.** We use the proleptic Gregorian calendar for every instant. Java's
 *    `GregorianCalendar` switches to the Julian calendar before 1582-10-15, so older dates differ
 *    (Java prints 1582-10-04 for the instant before 1582-10-15). Locales whose Java default
 *    calendar is not Gregorian (`th_TH` Buddhist, `ja_JP_JP` Japanese imperial) are formatted
 *    in the Gregorian calendar too. Log timestamps are never that old or that exotic; the
 *    proleptic calendar is what `Date`, luxon and ISO 8601 use.
 * 2. **Digits** are always ASCII `0-9`. Java uses the locale's `NumberFormat` digits (Arabic-Indic
 *    for `ar_EG`, Persian for `fa_IR`). Audit lines are parsed by machines; ASCII is safer.
 * 3. **Localised names come from ICU/CLDR as shipped with Node**, not from Java 17's CLDR 39.
 *    Most are identical; some long zone names differ by CLDR version (Java's `CET` id gives
 *    "Central European Time", ICU "Central European Standard Time"; fr "Temps universel
 *    coordonné" vs ICU "temps universel coordonné").
 * 4. **Short zone names (`z`..`zzz`) for IANA zones.** Java 17 uses the locale's CLDR
 *    abbreviation and otherwise a legacy English abbreviation from its COMPAT tables, in every
 *    locale (de_DE prints `EDT`, fr_FR `CEST`). ICU has no such table. We take the locale's
 *    abbreviation; where ICU only has an offset form ("GMT+2") we borrow the abbreviation of
 *    en-GB, en-US, en-AU or en-IN (CEST, EDT, AEST, IST; see `abbreviationLocales`); failing
 *    that we print the localised GMT format, as Java's CLDR fallback does (`GMT+05:45`). Java
 *    knows more legacy abbreviations (NPT, NST, CHAST, JST, MSK, ART, ...) where we print
 *    `GMT+05:45` etc. An English locale other than en-US/en-CA gets `GMT-04:00` for New York,
 *    as in Java.
 * 5. **Zone names** are, as in Java, the zone's current standard or daylight name (daylight when
 *    the offset at the instant is above the current standard offset), taken from ICU at an
 *    instant of recent years that has it. Java decides "daylight" by the tz database's flag;
 *    the two differ only for offsets above standard time that were not DST (none seen).
 * 6. **Errors.** Pattern errors are `JavaDatePatternError` of `date-pattern.ts` (Java:
 *    `IllegalArgumentException`) and their messages add ` at position N` to Java's text. Unknown zones and locales throw
 *    `RangeError` instead of silently becoming GMT and `Locale.US`; `UTC+02:00`-style ids are
 *    accepted as fixed offsets (Java would silently use GMT).
 * 7. **Locales.** Languages without `Intl` data (`xx`) are rejected (Java formats them with root
 *    data: era `CE`); Java's legacy variants `ja_JP_JP`, `th_TH_TH`, `no_NO_NY` are rejected
 *    because they select calendars and digits we do not reproduce.
 * 8. **ISO seconds format** ({@link formatIsoSeconds}): proleptic Gregorian as above; years
 *    outside 0000-9999 use the expanded form of `Date#toISOString` (`+010000`, `-000001`) where
 *    Jackson's `ISO8601Utils` prints the year of era without a sign.
 *
 * Not a difference, but easy to get wrong: Java takes week rules (`Y`, `w`, `W`) from the
 * locale's *country*; a locale without one (`de`, `en`) gets the US rules (weeks start on
 * Sunday, one day makes a first week). We do the same, although `Intl` would infer DE for `de`.
 *
 * @module
 */


import { tokenizeDatePattern } from "./date-pattern.js";
import { localeData, parseJavaLocale, type LocaleData } from "./locale.js";
import { zoneNamer, type JavaTimeZone } from "./zone.js";

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, epoch days; after H. Hinnant's civil algorithms)
// ---------------------------------------------------------------------------------------------

const MS_PER_DAY = 86_400_000;
/** `Date`'s range: ±100,000,000 days around the epoch. */
const MAX_EPOCH_MILLIS = 8.64e15;

/** Days since 1970-01-01 of a proleptic Gregorian date. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Writes year, month (1-12) and day of an epoch day into `out`. */
function civilFromDays(epochDay: number, out: { year: number; month: number; day: number }): void {
  const z = epochDay + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  out.year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  out.month = month;
  out.day = doy - Math.floor((153 * mp + 2) / 5) + 1;
}

/** Java's day-of-week numbering: 1 = Sunday ... 7 = Saturday. 1970-01-01 was a Thursday. */
function javaDayOfWeek(epochDay: number): number {
  return ((((epochDay + 4) % 7) + 7) % 7) + 1;
}

/** The latest day on or before `epochDay` whose Java day of week is `dow`. */
function dayOfWeekOnOrBefore(epochDay: number, dow: number): number {
  return epochDay - ((((javaDayOfWeek(epochDay) - dow) % 7) + 7) % 7);
}

/** `GregorianCalendar.getWeekNumber`: week of `epochDay` in the period starting `periodStart`. */
function weekNumber(periodStart: number, epochDay: number, firstDay: number, minDays: number): number {
  let firstWeekStart = dayOfWeekOnOrBefore(periodStart + 6, firstDay);
  if (firstWeekStart - periodStart >= minDays) firstWeekStart -= 7;
  return Math.floor((epochDay - firstWeekStart) / 7) + 1;
}

// ---------------------------------------------------------------------------------------------
// Field renderers
// ---------------------------------------------------------------------------------------------

/** Everything a pattern may need about one second, recomputed on each new second. */
interface SecondFields {
  offsetMs: number;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  dayOfYear: number;
  dayOfWeek: number;
  weekOfYear: number;
  weekOfMonth: number;
  weekYear: number;
  zoneShort: string;
  zoneLong: string;
}

type Render = (f: SecondFields) => string;

/** `SimpleDateFormat.zeroPaddingNumber` with an unlimited maximum: pad, never truncate. */
function pad(value: number, count: number): string {
  const digits = String(Math.abs(value));
  const padded = digits.length >= count ? digits : "0".repeat(count - digits.length) + digits;
  return value < 0 ? `-${padded}` : padded;
}

function sprintf0d(value: number, width: number): string {
  return value < 0 ? `-${pad(-value, width - 1)}` : pad(value, width);
}

/** `Z`: RFC 822 `+hhmm`, truncated to whole minutes. */
function rfc822(offsetMs: number): string {
  const value = Math.trunc(offsetMs / 60_000);
  const num = Math.trunc(value / 60) * 100 + (value % 60);
  return value >= 0 ? `+${sprintf0d(num, 4)}` : sprintf0d(num, 5);
}

/** `X`/`XX`/`XXX`: `Z` for offset 0, else `+05`, `+0530`, `+05:30`. */
function iso8601Zone(offsetMs: number, count: number): string {
  if (offsetMs === 0) return "Z";
  let value = Math.trunc(offsetMs / 60_000);
  let sign = "+";
  if (value < 0) {
    sign = "-";
    value = -value;
  }
  const hours = pad(Math.trunc(value / 60), 2);
  if (count === 1) return sign + hours;
  return sign + hours + (count === 3 ? ":" : "") + pad(value % 60, 2);
}

function yearOfEra(year: number): number {
  return year >= 1 ? year : 1 - year;
}

/**
 * The twelve names a month field of three or more letters prints (index 0 = January): `L` and a
 * pattern's only field `M` take the standalone form, Java's `forceStandaloneForm` (a lone `MMMM`
 * in ru_RU gives "июнь", `d MMMM` "июня"; `'at' MMM` in de_DE "at Jan", `d. MMM` "10. Jan.");
 * any other `M` takes the format form. The date reader reads names with this same rule.
 *
 * @example
 * ```ts
 * monthNames("M", 4, localeData("ru-RU"), true)[5];  // "июнь"
 * monthNames("M", 4, localeData("ru-RU"), false)[5]; // "июня"
 * ```
 */
export function monthNames(letter: "M" | "L", count: number, names: LocaleData, onlyField: boolean): readonly string[] {
  if (letter === "M" && !onlyField) return count === 3 ? names.monthsShort : names.monthsLong;
  return count === 3 ? names.standaloneMonthsShort : names.standaloneMonthsLong;
}

/** The renderer of one field; `onlyField` when the pattern has no other (see {@link monthNames}). */
function renderer(letter: string, count: number, names: LocaleData, onlyField: boolean): Render {
  switch (letter) {
    case "G":
      return (f) => names.eras[f.year >= 1 ? 1 : 0];
    case "y":
      return count === 2 ? (f) => pad(yearOfEra(f.year) % 100, 2) : (f) => pad(yearOfEra(f.year), count);
    case "Y":
      return count === 2 ? (f) => pad(f.weekYear % 100, 2) : (f) => pad(f.weekYear, count);
    case "M":
    case "L": {
      if (count < 3) return (f) => pad(f.month, count);
      const list = monthNames(letter, count, names, onlyField);
      return (f) => list[f.month - 1] ?? "";
    }
    case "w":
      return (f) => pad(f.weekOfYear, count);
    case "W":
      return (f) => pad(f.weekOfMonth, count);
    case "D":
      return (f) => pad(f.dayOfYear, count);
    case "d":
      return (f) => pad(f.day, count);
    case "F":
      return (f) => pad(Math.floor((f.day - 1) / 7) + 1, count);
    case "E": {
      const list = count >= 4 ? names.weekdaysLong : names.weekdaysShort;
      return (f) => list[f.dayOfWeek] ?? "";
    }
    case "u":
      return (f) => pad(f.dayOfWeek === 1 ? 7 : f.dayOfWeek - 1, count);
    case "a":
      return (f) => names.amPm[f.hour >= 12 ? 1 : 0];
    case "H":
      return (f) => pad(f.hour, count);
    case "k":
      return (f) => pad(f.hour === 0 ? 24 : f.hour, count);
    case "K":
      return (f) => pad(f.hour % 12, count);
    case "h":
      return (f) => pad(f.hour % 12 === 0 ? 12 : f.hour % 12, count);
    case "m":
      return (f) => pad(f.minute, count);
    case "s":
      return (f) => pad(f.second, count);
    case "z":
      return count >= 4 ? (f) => f.zoneLong : (f) => f.zoneShort;
    case "Z":
      return (f) => rfc822(f.offsetMs);
    case "X":
      return (f) => iso8601Zone(f.offsetMs, count);
    default:
      // Unreachable: the tokeniser only lets PATTERN_LETTERS through; S is handled separately.
      throw new Error(`no renderer for '${letter}'`);
  }
}

/** The 1000 millisecond values zero-padded to `count` digits (`S` pads, never truncates). */
function millisTable(count: number): readonly string[] {
  const table: string[] = [];
  for (let ms = 0; ms < 1000; ms++) table.push(pad(ms, count));
  return table;
}

function checkEpochMillis(epochMillis: unknown): asserts epochMillis is number {
  if (typeof epochMillis !== "number") {
    throw new TypeError(`epochMillis must be a number, got ${typeof epochMillis}`);
  }
  if (!(Math.abs(epochMillis) <= MAX_EPOCH_MILLIS)) {
    throw new RangeError(`epochMillis must be a finite number within ±8.64e15, got ${epochMillis}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Compiler
// ---------------------------------------------------------------------------------------------

/** Options of {@link compileJavaDatePattern}. */
export interface JavaDatePatternOptions {
  /** A locale for names and week rules: BCP-47 (`de-DE`) or Java form (`de_DE`). */
  readonly locale: string;
  /** The zone, from `parseJavaTimeZone` (`zone.ts`). */
  readonly zone: JavaTimeZone;
}

/**
 * Compiles a `java.text.SimpleDateFormat` pattern into a formatter of epoch milliseconds.
 *
 * Tokenising follows `SimpleDateFormat` exactly: a run of one ASCII letter is one field;
 * `'...'` is literal text; `''` is one quote inside and outside quotes; an ASCII letter that is
 * not a pattern letter throws; every other character is literal. All letters are implemented
 * with Java's count rules: `G y Y M L w W D d F E u a H k K h m s S z Z X`.
 *
 * The returned function caches the text of the current second; call it as often as you like.
 * It throws `TypeError`/`RangeError` for a non-number or an instant outside `Date`'s range.
 *
 * @throws JavaDatePatternError if Java would reject the pattern.
 * @throws RangeError if the locale is invalid (see `parseJavaLocale` in `locale.ts`).
 *
 * @example
 * ```ts
 * const format = compileJavaDatePattern("EEEE, d. MMMM yyyy HH:mm z", {
 *   locale: "de-DE",
 *   zone: parseJavaTimeZone("Europe/Berlin"),
 * });
 * format(Date.UTC(2016, 5, 10, 10, 31, 10)); // "Freitag, 10. Juni 2016 12:31 MESZ"
 * ```
 */
export function compileJavaDatePattern(
  pattern: string,
  options: JavaDatePatternOptions,
): (epochMillis: number) => string {
  if (typeof pattern !== "string") throw new TypeError(`pattern must be a string, got ${typeof pattern}`);
  const tokens = tokenizeDatePattern(pattern);
  const locale = parseJavaLocale(options.locale);
  const zone = options.zone;
  const names = localeData(locale);
  let fieldCount = 0;
  for (const token of tokens) if (token.kind === "field") fieldCount++;

  // Pieces: literal strings and renderers, with S fields splitting them into segments.
  type Piece = string | Render;
  const segments: Piece[][] = [[]];
  const tables: (readonly string[])[] = [];
  let needWeeks = false;
  let needShortZone = false;
  let needLongZone = false;
  for (const token of tokens) {
    const current = segments[segments.length - 1] as Piece[];
    if (token.kind === "literal") {
      current.push(token.text);
      continue;
    }
    const { letter, count } = token;
    if (letter === "S") {
      tables.push(millisTable(count));
      segments.push([]);
      continue;
    }
    if (letter === "Y" || letter === "w" || letter === "W") needWeeks = true;
    if (letter === "z") {
      if (count >= 4) needLongZone = true;
      else needShortZone = true;
    }
    current.push(renderer(letter, count, names, fieldCount === 1));
  }

  const namer = needShortZone || needLongZone ? zoneNamer(zone, locale) : undefined;
  const { firstDayOfWeek, minimalDaysInFirstWeek } = names;
  const fields: SecondFields = {
    offsetMs: 0,
    year: 1970,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    dayOfYear: 1,
    dayOfWeek: 5,
    weekOfYear: 1,
    weekOfMonth: 1,
    weekYear: 1970,
    zoneShort: "",
    zoneLong: "",
  };

  let namedOffsetMs = Number.NaN;
  let namedHour = Number.NaN;
  const computeFields = (secondStart: number): void => {
    const f = fields;
    // Offsets of historical local mean times have seconds; keep them to the millisecond.
    f.offsetMs = Math.round(zone.offsetMinutesAt(secondStart) * 60_000);
    const local = secondStart + f.offsetMs;
    const epochDay = Math.floor(local / MS_PER_DAY);
    const msOfDay = local - epochDay * MS_PER_DAY;
    civilFromDays(epochDay, f);
    f.hour = Math.floor(msOfDay / 3_600_000);
    f.minute = Math.floor(msOfDay / 60_000) % 60;
    f.second = Math.floor(msOfDay / 1000) % 60;
    const jan1 = daysFromCivil(f.year, 1, 1);
    f.dayOfYear = epochDay - jan1 + 1;
    f.dayOfWeek = javaDayOfWeek(epochDay);
    if (needWeeks) {
      // GregorianCalendar.computeFields (WEEK_OF_YEAR, WEEK_OF_MONTH) and getWeekYear.
      let week = weekNumber(jan1, epochDay, firstDayOfWeek, minimalDaysInFirstWeek);
      if (week === 0) {
        week = weekNumber(daysFromCivil(f.year - 1, 1, 1), jan1 - 1, firstDayOfWeek, minimalDaysInFirstWeek);
      } else if (week >= 52) {
        const nextJan1 = daysFromCivil(f.year + 1, 1, 1);
        const nextFirstWeekStart = dayOfWeekOnOrBefore(nextJan1 + 6, firstDayOfWeek);
        if (nextFirstWeekStart - nextJan1 >= minimalDaysInFirstWeek && epochDay >= nextFirstWeekStart - 7) week = 1;
      }
      f.weekOfYear = week;
      f.weekOfMonth = weekNumber(epochDay - f.day + 1, epochDay, firstDayOfWeek, minimalDaysInFirstWeek);
      f.weekYear = f.month === 1 ? (week >= 52 ? f.year - 1 : f.year) : week === 1 ? f.year + 1 : f.year;
    }
    // Zone names cost several Intl calls. They change with the offset, so they are kept while
    // the offset and the UTC hour are unchanged (a rename at a constant offset, which the tz
    // database has done a handful of times in history, shows up at the next hour).
    const hour = Math.floor(secondStart / 3_600_000);
    if (namer !== undefined && (f.offsetMs !== namedOffsetMs || hour !== namedHour)) {
      if (needShortZone) f.zoneShort = namer.short(secondStart);
      if (needLongZone) f.zoneLong = namer.long(secondStart);
      namedOffsetMs = f.offsetMs;
      namedHour = hour;
    }
  };

  const renderSegment = (pieces: readonly Piece[]): string => {
    let out = "";
    for (const p of pieces) out += typeof p === "string" ? p : p(fields);
    return out;
  };

  // Cache of the current second. NaN start makes the first call a miss.
  let start = Number.NaN;
  let rendered: string[] = [];
  const refresh = (epochMillis: number): void => {
    checkEpochMillis(epochMillis);
    const secondStart = Math.floor(epochMillis / 1000) * 1000;
    computeFields(secondStart);
    rendered = segments.map(renderSegment);
    start = secondStart;
  };

  if (tables.length === 0) {
    let whole = "";
    return (epochMillis: number): string => {
      const d = epochMillis - start;
      if (d >= 0 && d < 1000) return whole;
      refresh(epochMillis);
      whole = rendered[0] as string;
      return whole;
    };
  }

  if (tables.length === 1) {
    const table = tables[0] as readonly string[];
    let head = "";
    let tail = "";
    return (epochMillis: number): string => {
      let d = epochMillis - start;
      if (!(d >= 0 && d < 1000)) {
        refresh(epochMillis);
        head = rendered[0] as string;
        tail = rendered[1] as string;
        d = epochMillis - start;
      }
      return head + (table[d | 0] as string) + tail;
    };
  }

  return (epochMillis: number): string => {
    let d = epochMillis - start;
    if (!(d >= 0 && d < 1000)) {
      refresh(epochMillis);
      d = epochMillis - start;
    }
    const ms = d | 0;
    let out = rendered[0] as string;
    for (let i = 0; i < tables.length; i++) {
      out += ((tables[i] as readonly string[])[ms] as string) + (rendered[i + 1] as string);
    }
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// ISO 8601 seconds (the default audit timestamp)
// ---------------------------------------------------------------------------------------------

/**
 * Formats an instant as ISO 8601 UTC without milliseconds, like OX's default
 * `ISO8601Utils.format(date, false)`: `2016-06-10T10:31:10Z`. The year is zero-padded to four
 * digits; years outside 0000-9999 use the expanded form `+010000` / `-000001`, as
 * `Date#toISOString` does. Uses the proleptic Gregorian calendar.
 *
 * Prefer {@link createIsoSecondsFormatter} on hot paths; it caches the current second.
 *
 * @throws TypeError or RangeError for a non-number or an instant outside `Date`'s range.
 *
 * @example
 * ```ts
 * formatIsoSeconds(Date.UTC(2016, 5, 10, 10, 31, 10, 5)); // "2016-06-10T10:31:10Z"
 * formatIsoSeconds(-1000);                                 // "1969-12-31T23:59:59Z"
 * ```
 */
export function formatIsoSeconds(epochMillis: number): string {
  checkEpochMillis(epochMillis);
  const seconds = Math.floor(epochMillis / 1000);
  const epochDay = Math.floor(seconds / 86_400);
  const secondOfDay = seconds - epochDay * 86_400;
  const date = { year: 0, month: 0, day: 0 };
  civilFromDays(epochDay, date);
  const year =
    date.year >= 0 && date.year <= 9999 ? pad(date.year, 4) : (date.year < 0 ? "-" : "+") + pad(Math.abs(date.year), 6);
  return (
    `${year}-${pad(date.month, 2)}-${pad(date.day, 2)}T${pad(Math.floor(secondOfDay / 3600), 2)}:` +
    `${pad(Math.floor(secondOfDay / 60) % 60, 2)}:${pad(secondOfDay % 60, 2)}Z`
  );
}

/**
 * Returns a {@link formatIsoSeconds} that reuses its result while the second is unchanged.
 * Each returned function has its own one-entry cache.
 *
 * @example
 * ```ts
 * const iso = createIsoSecondsFormatter();
 * iso(Date.UTC(999, 0, 1));     // "0999-01-01T00:00:00Z"
 * iso(1465554670005);           // "2016-06-10T10:31:10Z"
 * iso(1465554670999);           // "2016-06-10T10:31:10Z" (from the cache)
 * ```
 */
export function createIsoSecondsFormatter(): (epochMillis: number) => string {
  let start = Number.NaN;
  let text = "";
  return (epochMillis: number): string => {
    const d = epochMillis - start;
    if (d >= 0 && d < 1000) return text;
    text = formatIsoSeconds(epochMillis);
    start = Math.floor(epochMillis / 1000) * 1000;
    return text;
  };
}

/** The 1000 millisecond values as three digits, for {@link createIsoMillisFormatter}. */
let millis3: readonly string[] | undefined;

/**
 * Returns a formatter that writes exactly what `new Date(epochMillis).toISOString()` writes
 * (`2016-06-10T10:31:10.005Z`; years outside 0000-9999 as `+010000` / `-000001`), formatting
 * the text of each second once: within the second a call is a subtraction, a comparison and
 * one concatenation with the padded millisecond. Each returned function has its own one-entry
 * cache. Like `toISOString`, it throws a RangeError for a value that is not a time (`NaN`,
 * `±Infinity`, beyond ±8.64e15).
 *
 * @example
 * ```ts
 * const iso = createIsoMillisFormatter();
 * iso(1465554670005); // "2016-06-10T10:31:10.005Z"
 * iso(1465554670999); // "2016-06-10T10:31:10.999Z" (the second from the cache)
 * ```
 */
export function createIsoMillisFormatter(): (epochMillis: number) => string {
  const table = (millis3 ??= millisTable(3));
  let start = Number.NaN;
  // The text of the cached second up to its milliseconds: `2016-06-10T10:31:10.`.
  let prefix = "";
  return (epochMillis: number): string => {
    // As Date does (TimeClip): the fraction is dropped towards zero, -0 is 0.
    const time = Math.trunc(epochMillis) + 0;
    let ms = time - start;
    if (!(ms >= 0 && ms < 1000)) {
      const text = new Date(time).toISOString();
      ms = ((time % 1000) + 1000) % 1000;
      // The last time there is (8.64e15) is the only one of its second: that second is not kept,
      // so the instants after it throw as toISOString does instead of being written from the cache.
      start = time === MAX_EPOCH_MILLIS ? Number.NaN : time - ms;
      prefix = text.slice(0, -4);
    }
    return prefix + (table[ms] as string) + "Z";
  };
}
