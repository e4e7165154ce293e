/**
 * Locales as Java's date formatting sees them: {@link parseJavaLocale} turns a configured locale
 * (`de_DE`, `de-DE`) into a canonical BCP-47 tag, and {@link localeData} gathers what a date
 * pattern needs from it (month, weekday, era and AM/PM names; Java's week rules) once per locale.
 * Names come from `Intl` (ICU/CLDR as shipped with Node); `date.ts` lists where they differ from
 * Java's.
 *
 * @module
 */

import { luxon } from "./luxon.js";

const LOCALE_EXPECTED = "expected a locale such as en_US or de-DE";

/** Java's `Locale.toString()` form: language, optional country, optional variant. */
const JAVA_LOCALE = /^([A-Za-z]{2,3})(?:_([A-Za-z]{2}|\d{3})(?:_([A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))?)?$/;

/**
 * Parses a locale setting into a BCP-47 tag for `Intl` and luxon.
 *
 * Accepts Java's `Locale.toString()` form (`en_US`, `de_DE`, `de`, and a third variant part if
 * it is a valid BCP-47 variant, e.g. `ca_ES_VALENCIA`) and BCP-47 tags (`de-DE`, `en-GB`).
 * The result is canonicalised (`EN_us` gives `en-US`).
 *
 * Java's legacy variants that are not BCP-47 variants (`ja_JP_JP`, `th_TH_TH`, `no_NO_NY`)
 * are rejected: they select calendars and digits this module does not reproduce.
 *
 * @throws RangeError if the text is not a locale, or if `Intl` has no data for its language
 *   (`xx`); the message ends with `expected a locale such as en_US or de-DE`.
 *
 * @example
 * ```ts
 * parseJavaLocale("de_DE"); // "de-DE"
 * parseJavaLocale("en-GB"); // "en-GB"
 * parseJavaLocale("xx");
 * // RangeError: Unsupported locale "xx": no locale data for this language; expected a locale such as en_US or de-DE
 * ```
 */
export function parseJavaLocale(text: string): string {
  if (typeof text !== "string") {
    throw new TypeError(`locale must be a string, got ${typeof text}`);
  }
  const s = text.trim();
  let candidate: string;
  const java = JAVA_LOCALE.exec(s);
  if (java !== null) {
    candidate = [java[1], java[2], java[3]].filter((p) => p !== undefined).join("-");
  } else if (s !== "" && !s.includes("_")) {
    candidate = s;
  } else {
    throw new RangeError(`Invalid locale ${JSON.stringify(text)}: ${LOCALE_EXPECTED}`);
  }
  let tag: string;
  try {
    const canonical = Intl.getCanonicalLocales(candidate)[0];
    if (canonical === undefined) throw new RangeError("no tag");
    tag = canonical;
  } catch {
    throw new RangeError(`Invalid locale ${JSON.stringify(text)}: ${LOCALE_EXPECTED}`);
  }
  // en-US has data in every build of Node (small-icu has English only). Asking ICU loads its
  // locale data, about 6 MB of memory, so the default locale is not asked about: a service whose
  // dates are ISO-8601 (the default) never needs that data.
  if (tag !== "en-US" && Intl.DateTimeFormat.supportedLocalesOf([tag]).length === 0) {
    throw new RangeError(
      `Unsupported locale ${JSON.stringify(text)}: no locale data for this language; ${LOCALE_EXPECTED}`,
    );
  }
  return tag;
}

/**
 * What a locale contributes to a formatted date: names and week rules, gathered once per
 * locale from `Intl` (Gregorian calendar, Latin digits).
 *
 * @example
 * ```ts
 * const de: LocaleData = localeData("de-DE");
 * de.monthsLong[5];         // "Juni"
 * de.firstDayOfWeek;        // 2 (Monday)
 * ```
 */
export interface LocaleData {
  /** Month names, format context (`M`), index 0 = January. */
  readonly monthsShort: readonly string[];
  readonly monthsLong: readonly string[];
  /** Month names, standalone (`L`). */
  readonly standaloneMonthsShort: readonly string[];
  readonly standaloneMonthsLong: readonly string[];
  /** Weekday names by Java day of week (index 1 = Sunday ... 7 = Saturday; index 0 unused). */
  readonly weekdaysShort: readonly string[];
  readonly weekdaysLong: readonly string[];
  /** Index 0 = BC, 1 = AD. */
  readonly eras: readonly [string, string];
  /** Index 0 = AM, 1 = PM. */
  readonly amPm: readonly [string, string];
  /** Java's Calendar.firstDayOfWeek (1 = Sunday) and minimalDaysInFirstWeek. */
  readonly firstDayOfWeek: number;
  readonly minimalDaysInFirstWeek: number;
}

const localeDataCache = new Map<string, LocaleData>();

/**
 * An `Intl.DateTimeFormat` in UTC, the Gregorian calendar and Latin digits whatever the locale's
 * defaults are, with `options` on top.
 *
 * @example
 * ```ts
 * dtf("ar-EG", { year: "numeric" }).format(0); // "1970"
 * ```
 */
export function dtf(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale, { calendar: "gregory", numberingSystem: "latn", timeZone: "UTC", ...options });
}

/**
 * The text of the first part of type `type` that `format` gives for an instant, or "".
 *
 * @example
 * ```ts
 * part(dtf("de-DE", { month: "long", day: "numeric" }), Date.UTC(2016, 5, 10), "month"); // "Juni"
 * ```
 */
export function part(format: Intl.DateTimeFormat, epochMillis: number, type: Intl.DateTimeFormatPartTypes): string {
  for (const p of format.formatToParts(epochMillis)) if (p.type === type) return p.value;
  return "";
}

/**
 * The {@link LocaleData} of a canonical BCP-47 tag (from {@link parseJavaLocale}), built on first
 * use and cached.
 *
 * @example
 * ```ts
 * localeData("ru-RU").standaloneMonthsLong[5]; // "июнь"
 * localeData("ru-RU").monthsLong[5];           // "июня"
 * ```
 */
export function localeData(locale: string): LocaleData {
  const cached = localeDataCache.get(locale);
  if (cached !== undefined) return cached;

  const months = (width: "short" | "long"): { format: string[]; standalone: string[] } => {
    const withDay = dtf(locale, { month: width, day: "numeric" });
    const alone = dtf(locale, { month: width });
    const format: string[] = [];
    const standalone: string[] = [];
    for (let m = 0; m < 12; m++) {
      const t = Date.UTC(2016, m, 15);
      // The whole standalone text: for ja/zh/ko it is "6月", whose 月 is a literal part.
      const s = alone.format(t);
      const f = part(withDay, t, "month");
      standalone.push(s);
      format.push(f === "" || /^\d+$/.test(f) ? s : f);
    }
    return { format, standalone };
  };
  const weekdays = (width: "short" | "long"): string[] => {
    // Format context, as Java's DateFormatSymbols: de "Fr." (standalone would be "Fr").
    const f = dtf(locale, { weekday: width, year: "numeric", month: "long", day: "numeric" });
    const names = [""];
    for (let d = 0; d < 7; d++) names.push(part(f, Date.UTC(2016, 5, 5 + d), "weekday")); // 2016-06-05 = Sunday
    return names;
  };
  const era = dtf(locale, { era: "short", year: "numeric" });
  const hour = dtf(locale, { hour: "numeric", hourCycle: "h12" });
  const short = months("short");
  const long = months("long");

  // Java (CLDRCalendarDataProviderImpl) uses the locale's country and "US" when there is none.
  let firstDayOfWeek = 1;
  let minimalDaysInFirstWeek = 1;
  if (new Intl.Locale(locale).region !== undefined) {
    firstDayOfWeek = (luxon().Info.getStartOfWeek({ locale }) % 7) + 1; // luxon 1 = Monday ... 7 = Sunday
    minimalDaysInFirstWeek = luxon().Info.getMinimumDaysInFirstWeek({ locale });
  }

  const data: LocaleData = {
    monthsShort: short.format,
    monthsLong: long.format,
    standaloneMonthsShort: short.standalone,
    standaloneMonthsLong: long.standalone,
    weekdaysShort: weekdays("short"),
    weekdaysLong: weekdays("long"),
    eras: [part(era, Date.UTC(-99, 5, 15), "era"), part(era, Date.UTC(2016, 5, 15), "era")],
    amPm: [part(hour, Date.UTC(2016, 5, 10, 3), "dayPeriod"), part(hour, Date.UTC(2016, 5, 10, 15), "dayPeriod")],
    firstDayOfWeek,
    minimalDaysInFirstWeek,
  };
  localeDataCache.set(locale, data);
  return data;
}
