/**
 * Time zones as Java's `TimeZone` sees them: {@link parseJavaTimeZone} validates a configured id
 * (`Europe/Berlin`, `GMT+2`, `UTC`) into a {@link JavaTimeZone} that gives the offset at any
 * instant the way Java computes it, and {@link zoneNamer} names it (`z`, `zzzz`) in a locale.
 *
 * @module
 */

import type { IANAZone } from "luxon";
import { luxon } from "./luxon.js";
import { dtf, part } from "./locale.js";

/**
 * A validated time zone, as {@link parseJavaTimeZone} returns it.
 *
 * - `gmt`: Java's `GMT` (also `Etc/GMT`, `Greenwich`, ...): offset 0, named `GMT` /
 *   "Greenwich Mean Time".
 * - `utc`: `UTC` (also `Etc/UTC`, `Zulu`, ...): offset 0, named `UTC` /
 *   "Coordinated Universal Time".
 * - `offset`: a custom fixed offset; `id` is Java's normalised form (`GMT+02:00`) or, for a
 *   `UTC+2`-style input, `UTC+02:00`. Its zone name is its id.
 * - `iana`: a region id such as `Europe/Berlin`; offsets and names come from the tz database.
 *
 * @example
 * ```ts
 * const zone: JavaTimeZone = parseJavaTimeZone("GMT+2");
 * zone.id;                    // "GMT+02:00"
 * zone.kind;                  // "offset"
 * zone.fixedOffsetMinutes;    // 120
 * zone.offsetMinutesAt(0);    // 120
 * ```
 */
export interface JavaTimeZone {
  /** Normalised id: `GMT`, `UTC`, `GMT+02:00`, `UTC+02:00` or an IANA id. */
  readonly id: string;
  /** What kind of zone this is; decides how its name is printed. */
  readonly kind: "gmt" | "utc" | "offset" | "iana";
  /** The offset east of UTC in minutes for fixed zones; `undefined` for `iana` zones. */
  readonly fixedOffsetMinutes: number | undefined;
  /**
   * The offset east of UTC in minutes at an instant (DST included), as Java's `TimeZone` has it:
   * from 1900 on the tz database's (fractional for the local mean times some zones kept after
   * 1900), before 1900 the zone's current standard offset.
   */
  offsetMinutesAt(epochMillis: number): number;
}

const ZONE_EXPECTED = "expected an IANA time-zone id (Europe/Berlin), UTC, GMT or GMT±hh:mm";

/** tz-database aliases of Java's "GMT" and "UTC" zones, lower-cased. */
const GMT_ALIASES = new Set([
  "etc/gmt",
  "etc/gmt0",
  "etc/gmt+0",
  "etc/gmt-0",
  "gmt0",
  "greenwich",
  "etc/greenwich",
]);
const UTC_ALIASES = new Set(["etc/utc", "etc/uct", "uct", "universal", "etc/universal", "zulu", "etc/zulu"]);

/** Characters an IANA id may contain; rejects offset strings such as `+02:00`. */
const IANA_SYNTAX = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;
/** `GMT`/`UTC`, a sign and digits with an optional colon; the digits are checked below. */
const CUSTOM_SYNTAX = /^(GMT|UTC)([+-])(\d+)(?::(\d+))?$/i;

function zoneError(text: string, reason?: string): RangeError {
  const why = reason === undefined ? "" : `${reason}; `;
  return new RangeError(`Invalid time zone ${JSON.stringify(text)}: ${why}${ZONE_EXPECTED}`);
}

function fixedZone(id: string, kind: "gmt" | "utc" | "offset", minutes: number): JavaTimeZone {
  return Object.freeze({
    id,
    kind,
    fixedOffsetMinutes: minutes,
    offsetMinutesAt: (_epochMillis: number): number => minutes,
  });
}

/** Java's custom-id form of an offset: `GMT+05:30`, `GMT-08:00`. */
function customId(prefix: string, negative: boolean, minutes: number): string {
  const h = Math.trunc(minutes / 60);
  const m = minutes % 60;
  return `${prefix}${negative ? "-" : "+"}${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}`;
}

/**
 * 1900-01-01T00:00Z. Java's time-zone data starts here: before it, a `TimeZone` has its current
 * standard offset (`getRawOffset()`), without local mean time or daylight saving time.
 */
const JAVA_ZONE_HISTORY_START = Date.UTC(1900, 0, 1);

/**
 * A zone's current standard offset, Java's `TimeZone.getRawOffset()`: the smallest offset on the
 * days of this year (the standard time, or the one offset of a zone without DST). Asked once per
 * zone, and only for instants before 1900.
 */
function standardOffsetMinutes(zone: IANAZone): number {
  const year = new Date().getUTCFullYear();
  let min = Number.POSITIVE_INFINITY;
  for (let day = 0; day < 366; day++) min = Math.min(min, zone.offset(Date.UTC(year, 0, 1 + day, 12)));
  return min;
}

/**
 * Parses a time-zone setting the way `java.util.TimeZone.getTimeZone` understands it, but
 * rejects what Java would silently replace with GMT.
 *
 * Accepted (after trimming): `GMT`, `UTC`; Java custom ids `GMT+2`, `GMT+02:00`, `GMT+2:30`,
 * `GMT-0800` (hours 0-23, minutes 00-59; normalised to `GMT+02:00`); the same with a `UTC`
 * prefix (normalised to `UTC+02:00`); and any IANA id the runtime's `Intl` knows
 * (`Europe/Berlin`, `Etc/GMT-2`, `CET`, `EST`, `PST`). IANA ids are matched case-insensitively.
 *
 * @throws RangeError for anything else; the message ends with
 *   `expected an IANA time-zone id (Europe/Berlin), UTC, GMT or GMT±hh:mm`.
 *
 * @example
 * ```ts
 * parseJavaTimeZone("GMT-0800").id;        // "GMT-08:00"
 * parseJavaTimeZone(" Europe/Berlin ").id; // "Europe/Berlin"
 * parseJavaTimeZone("Mars/Base");
 * // RangeError: Invalid time zone "Mars/Base": expected an IANA time-zone id (Europe/Berlin), UTC, GMT or GMT±hh:mm
 * ```
 */
export function parseJavaTimeZone(text: string): JavaTimeZone {
  if (typeof text !== "string") {
    throw new TypeError(`time zone must be a string, got ${typeof text}`);
  }
  const s = text.trim();
  if (s === "") throw zoneError(text, "empty");
  const upper = s.toUpperCase();
  if (upper === "GMT") return fixedZone("GMT", "gmt", 0);
  if (upper === "UTC") return fixedZone("UTC", "utc", 0);

  const custom = CUSTOM_SYNTAX.exec(s);
  if (custom !== null) {
    const prefix = (custom[1] ?? "GMT").toUpperCase();
    const negative = custom[2] === "-";
    const first = custom[3] ?? "";
    const second = custom[4];
    let hours: number;
    let minutes: number;
    // java.util.TimeZone.parseCustomTimeZone: H, HH, H:MM, HH:MM, HMM or HHMM.
    if (second !== undefined) {
      if (first.length > 2 || second.length !== 2) throw zoneError(text, "malformed offset");
      hours = Number(first);
      minutes = Number(second);
    } else if (first.length <= 2) {
      hours = Number(first);
      minutes = 0;
    } else if (first.length <= 4) {
      hours = Math.trunc(Number(first) / 100);
      minutes = Number(first) % 100;
    } else {
      throw zoneError(text, "malformed offset");
    }
    if (hours > 23 || minutes > 59) {
      throw zoneError(text, "offset hours must be 0-23 and minutes 00-59");
    }
    const total = hours * 60 + minutes;
    // GMT-0 keeps Java's id "GMT-00:00" but its offset is a plain 0, not -0.
    return fixedZone(customId(prefix, negative, total), "offset", negative && total !== 0 ? -total : total);
  }

  if (!IANA_SYNTAX.test(s) || !luxon().IANAZone.isValidZone(s)) throw zoneError(text);
  const lower = s.toLowerCase();
  if (GMT_ALIASES.has(lower)) return fixedZone(s, "gmt", 0);
  if (UTC_ALIASES.has(lower)) return fixedZone(s, "utc", 0);
  // Fix the case ("europe/berlin") but keep the user's link name ("US/Eastern"), as Java does.
  const resolved = new Intl.DateTimeFormat("en-US", { timeZone: s }).resolvedOptions().timeZone;
  const id = resolved.toLowerCase() === lower ? resolved : s;
  const zone = luxon().IANAZone.create(id);
  let standard: number | undefined;
  return Object.freeze({
    id,
    kind: "iana" as const,
    fixedOffsetMinutes: undefined,
    offsetMinutesAt: (epochMillis: number): number =>
      epochMillis < JAVA_ZONE_HISTORY_START ? (standard ??= standardOffsetMinutes(zone)) : zone.offset(epochMillis),
  });
}

/**
 * The names of one zone in one locale at an instant: `short` for `z`..`zzz`, `long` for `zzzz`.
 *
 * @example
 * ```ts
 * const namer: ZoneNamer = zoneNamer(parseJavaTimeZone("Europe/Berlin"), "de-DE");
 * namer.short(Date.UTC(2016, 5, 10)); // "MESZ"
 * ```
 */
export interface ZoneNamer {
  /** The short name (`z`) at an instant. */
  short(epochMillis: number): string;
  /** The long name (`zzzz`) at an instant. */
  long(epochMillis: number): string;
}

/**
 * How `z` and `zzzz` name a zone in a locale (see the module comment of `date.ts`, differences
 * 3-5, for how this follows Java and where it cannot).
 *
 * @example
 * ```ts
 * zoneNamer(parseJavaTimeZone("GMT+2"), "en-US").long(0); // "GMT+02:00"
 * ```
 */
export function zoneNamer(zone: JavaTimeZone, locale: string): ZoneNamer {
  // A namer holds a dozen Intl formatters (each costs about a millisecond to make) and no state:
  // one per zone and locale serves every pattern compiled with them.
  const key = `${zone.kind}\u0000${zone.id}\u0000${locale}`;
  let namer = namers.get(key);
  if (namer === undefined) {
    namer = makeZoneNamer(zone, locale);
    namers.set(key, namer);
  }
  return namer;
}

const namers = new Map<string, ZoneNamer>();

function makeZoneNamer(zone: JavaTimeZone, locale: string): ZoneNamer {
  switch (zone.kind) {
    case "gmt": {
      // Java prints "GMT" in every locale; the long name is that of GMT as used in London.
      const name = part(
        dtf(locale, { timeZone: "Europe/London", timeZoneName: "long" }),
        Date.UTC(2016, 0, 15),
        "timeZoneName",
      );
      return { short: () => "GMT", long: () => name };
    }
    case "utc": {
      const s = part(dtf(locale, { timeZone: "UTC", timeZoneName: "short" }), 0, "timeZoneName");
      const l = part(dtf(locale, { timeZone: "UTC", timeZoneName: "long" }), 0, "timeZoneName");
      return { short: () => s, long: () => l };
    }
    case "offset": {
      // Java's TimeZone.getDisplayName falls back to the custom id for every style.
      const id = zone.id;
      return { short: () => id, long: () => id };
    }
    case "iana": {
      const candidates = abbreviationLocales(locale).map((l) => ({
        name: dtf(l, { timeZone: zone.id, timeZoneName: "short" }),
        offset: dtf(l, { timeZone: zone.id, timeZoneName: "shortOffset" }),
      }));
      const gmtFormat = dtf(locale, { timeZone: zone.id, timeZoneName: "longOffset" });
      const long = dtf(locale, { timeZone: zone.id, timeZoneName: "long" });
      const shortAt = (epochMillis: number): string => {
        for (const c of candidates) {
          const name = part(c.name, epochMillis, "timeZoneName");
          // ICU prints the localised offset ("GMT+2") when it has no abbreviation.
          if (name !== "" && name !== part(c.offset, epochMillis, "timeZoneName")) return name;
        }
        // Java's CLDR fallback: the localised GMT format, "GMT+05:30" (fr "UTC+05:30").
        return part(gmtFormat, epochMillis, "timeZoneName");
      };
      // Java names a zone by its current names only: the standard one, or the daylight one when
      // the instant is in daylight saving time (an offset above the current standard offset;
      // never before 1900). Each is ICU's name at an instant of recent years that has it.
      const { standard, daylight } = referenceInstants(zone);
      const standardOffset = zone.offsetMinutesAt(standard);
      const names = (at: number): { short: string; long: string } => ({ short: shortAt(at), long: part(long, at, "timeZoneName") });
      let standardNames: { short: string; long: string } | undefined;
      let daylightNames: { short: string; long: string } | undefined;
      const namesAt = (epochMillis: number): { short: string; long: string } =>
        daylight !== undefined && epochMillis >= JAVA_ZONE_HISTORY_START && zone.offsetMinutesAt(epochMillis) > standardOffset
          ? (daylightNames ??= names(daylight))
          : (standardNames ??= names(standard));
      return {
        short: (epochMillis: number): string => namesAt(epochMillis).short,
        long: (epochMillis: number): string => namesAt(epochMillis).long,
      };
    }
  }
}

/**
 * An instant of this year in standard time, and the latest instant in daylight saving time
 * (offset above the standard one) of the last 60 years, undefined for a zone without any.
 */
function referenceInstants(zone: JavaTimeZone): { standard: number; daylight: number | undefined } {
  const year = new Date().getUTCFullYear();
  const standardOffset = zone.offsetMinutesAt(JAVA_ZONE_HISTORY_START - 1);
  let standard: number | undefined;
  for (let day = 0; day < 366 && standard === undefined; day++) {
    const at = Date.UTC(year, 0, 1 + day, 12);
    if (zone.offsetMinutesAt(at) === standardOffset) standard = at;
  }
  for (let y = year; y > year - 60; y--) {
    for (let day = 0; day < 366; day += 7) {
      const at = Date.UTC(y, 0, 1 + day, 12);
      if (zone.offsetMinutesAt(at) > standardOffset) return { standard: standard ?? at, daylight: at };
    }
  }
  return { standard: standard ?? Date.UTC(year, 0, 1), daylight: undefined };
}

/**
 * Where to look for a short zone name, in order. Java 17 prints the locale's CLDR abbreviation
 * and otherwise a legacy English one from its COMPAT tables, for every locale (de_DE "EDT",
 * fr_FR "CEST", ja_JP "AEST"). ICU knows English abbreviations only in the regions that use
 * them, so we ask en-GB (CET, CEST, BST), en-US (EST, PDT), en-AU (AEST) and en-IN (IST). For
 * every IANA zone at 2016 instants, each name these give equals Java 17's, except where the zone
 * changed metazone since (America/Whitehorse was PST in 2016, Java now says MST) or Java keeps
 * an old name (Europe/Istanbul: ICU EEST, Java TRST).
 * English locales other than en-US/en-CA inherit CLDR's en-001, which suppresses the US
 * abbreviations: Java prints "GMT-04:00" for New York in en_GB, so we skip en-US for them.
 */
function abbreviationLocales(locale: string): string[] {
  const { language, region } = new Intl.Locale(locale);
  const skipUs = language === "en" && region !== undefined && region !== "US" && region !== "CA";
  const list = [locale, "en-GB", ...(skipUs ? [] : ["en-US"]), "en-AU", "en-IN"];
  return [...new Set(list)];
}
