import test from "ava";
import fc from "fast-check";
import { compileDateReader, parseIsoSpan } from "../src/java/date-reader.js";
import { parseTimeBound, UsageError } from "../src/cli/filters.js";
import { DEFAULT_READ_SETTINGS } from "../src/logfile/records.js";
import { compileJavaDatePattern } from "../src/java/date.js";
import { parseJavaTimeZone } from "../src/java/zone.js";

const utc = parseJavaTimeZone("UTC");
const berlin = parseJavaTimeZone("Europe/Berlin");

test("ISO 8601 spans cover the precision given, in the zone given when there is no offset", (t) => {
  t.deepEqual(parseIsoSpan("2026-11-17", utc), { start: Date.UTC(2026, 10, 17), end: Date.UTC(2026, 10, 18) - 1 });
  t.deepEqual(parseIsoSpan("2026-11-17", berlin), { start: Date.UTC(2026, 10, 16, 23), end: Date.UTC(2026, 10, 17, 23) - 1 });
  // The day DST ends in Berlin has 25 hours.
  t.deepEqual(parseIsoSpan("2026-10-25", berlin), { start: Date.UTC(2026, 9, 24, 22), end: Date.UTC(2026, 9, 25, 23) - 1 });
  t.deepEqual(parseIsoSpan("2026-11-17T10:30", utc), { start: Date.UTC(2026, 10, 17, 10, 30), end: Date.UTC(2026, 10, 17, 10, 31) - 1 });
  t.deepEqual(parseIsoSpan("2026-11-17 10:30:05", berlin), { start: Date.UTC(2026, 10, 17, 9, 30, 5), end: Date.UTC(2026, 10, 17, 9, 30, 6) - 1 });
  t.deepEqual(parseIsoSpan("2026-11-17T10:30:05.25+02:00", utc), { start: Date.UTC(2026, 10, 17, 8, 30, 5, 250), end: Date.UTC(2026, 10, 17, 8, 30, 5, 250) });
  t.deepEqual(parseIsoSpan("2026-11-17T10:30:05Z", berlin), { start: Date.UTC(2026, 10, 17, 10, 30, 5), end: Date.UTC(2026, 10, 17, 10, 30, 6) - 1 });
  // The repeated hour of a DST end reads as the earlier instant.
  t.is(parseIsoSpan("2026-10-25T02:30", berlin)?.start, Date.UTC(2026, 9, 25, 0, 30));
  for (const bad of ["2026-13-01", "2026-02-30", "17.11.2026", "2026-11-17T25:00", "yesterday", ""]) t.is(parseIsoSpan(bad, utc), undefined, bad);
});

test("--since/--until also take ages and date.pattern times, and say what they expected", (t) => {
  const now = Date.UTC(2026, 10, 21, 12);
  t.deepEqual(parseTimeBound("--since", "2h", DEFAULT_READ_SETTINGS, utc, now), { start: now - 7_200_000, end: now - 7_200_000 });
  t.is(parseTimeBound("--since", "7d", DEFAULT_READ_SETTINGS, utc, now).start, Date.UTC(2026, 10, 14, 12));
  const settings = { ...DEFAULT_READ_SETTINGS, datePattern: "dd.MM.yyyy HH:mm", dateLocale: "de-DE", dateTimeZone: berlin };
  t.is(parseTimeBound("--until", "17.11.2026 08:00", settings, berlin, now).end, Date.UTC(2026, 10, 17, 7));
  const error = t.throws(() => parseTimeBound("--until", "gestern", settings, berlin, now), { instanceOf: UsageError });
  t.is(error?.message, '--until "gestern": expected an ISO 8601 date or time (2026-11-17, 2026-11-17T10:30, 2026-11-17T10:30:00Z), a time as date.pattern writes it ("dd.MM.yyyy HH:mm") or an age such as 2h or 7d');
});

test("a date reader reads back what its pattern wrote (examples)", (t) => {
  const reader = compileDateReader("EEEE, d. MMMM yyyy HH:mm z", "de-DE", berlin);
  t.is(reader.parse("Freitag, 10. Juni 2016 12:31 MESZ"), Date.UTC(2016, 5, 10, 10, 31));
  t.is(reader.parse("Dienstag, 17. November 2026 08:55 MEZ"), Date.UTC(2026, 10, 17, 7, 55));
  // A weekday that does not fit the date does not read back.
  t.is(reader.parse("Montag, 17. November 2026 08:55 MEZ"), undefined);
  t.is(reader.parse("17.11.2026"), undefined);
  const apache = compileDateReader("dd/MMM/yyyy:HH:mm:ss Z", "en-US", parseJavaTimeZone("America/New_York"));
  t.is(apache.parse("17/Nov/2026:03:04:05 -0500"), Date.UTC(2026, 10, 17, 8, 4, 5));
  const twelve = compileDateReader("h:mm:ss a, d MMM yy", "en-US", utc);
  t.is(twelve.parse("12:05:00 AM, 1 Mar 26"), Date.UTC(2026, 2, 1, 0, 5));
  t.is(twelve.parse("12:05:00 PM, 1 Mar 26"), Date.UTC(2026, 2, 1, 12, 5));
  const compact = compileDateReader("yyyyMMddHHmmssSSS", "en-US", utc);
  t.is(compact.parse("20261117080910123"), Date.UTC(2026, 10, 17, 8, 9, 10, 123));
  t.regex("2026-11-17 08:09:10,123", new RegExp(`^${compileDateReader("yyyy-MM-dd HH:mm:ss,SSS", "en-US", utc).source}$`));
});

const PATTERNS: ReadonlyArray<readonly [string, string, string]> = [
  ["yyyy-MM-dd HH:mm:ss,SSS", "en-US", "UTC"],
  ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "en-US", "America/New_York"],
  ["EEEE, d. MMMM yyyy HH:mm:ss.SSS z", "de-DE", "Europe/Berlin"],
  ["dd/MMM/yyyy:HH:mm:ss.SSS Z", "en-US", "Asia/Kolkata"],
  ["EEE MMM d HH:mm:ss.SSS zzzz yyyy", "en-US", "GMT+05:45"],
  ["yyyyMMddHHmmssSSS", "en-US", "UTC"],
  ["G yyyy-MM-dd hh:mm:ss.SSS a", "fr-FR", "UTC"],
];

test("a date reader reads back what its pattern wrote (property: any instant from 1970 to 2100)", (t) => {
  for (const [pattern, locale, zoneId] of PATTERNS) {
    const zone = parseJavaTimeZone(zoneId);
    const format = compileJavaDatePattern(pattern, { locale, zone });
    const reader = compileDateReader(pattern, locale, zone);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }), (ms) => {
        const text = format(ms);
        const back = reader.parse(text);
        // Every pattern here has milliseconds and a zone or offset (or is UTC): the instant is exact.
        return back === ms;
      }),
      { numRuns: 300 },
    );
    t.pass(pattern);
  }
});

test("a date reader without a zone in its pattern reads every text back to a text-equal instant (DST gaps and repeats included)", (t) => {
  const pattern = "yyyy-MM-dd HH:mm";
  const format = compileJavaDatePattern(pattern, { locale: "en-US", zone: berlin });
  const reader = compileDateReader(pattern, "en-US", berlin);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }), (ms) => {
      const text = format(ms);
      const back = reader.parse(text);
      return back !== undefined && format(back) === text && back <= ms;
    }),
    { numRuns: 500 },
  );
  t.is(reader.parse("2026-10-25 02:30"), Date.UTC(2026, 9, 25, 0, 30));
  t.is(reader.parse("2026-03-29 02:30"), undefined, "a local time that does not exist");
});

test("a date reader stays the writer's inverse before 1900 and across 1900, and for a lone month (standalone names)", (t) => {
  // Before 1900 zones have their standard offset (Kolkata +05:30), from 1900 the tz database's
  // (+05:21:10): local times of the 8 min 50 s after the switch exist twice and read as the earlier.
  for (const zoneId of ["Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham", "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin"]) {
    const zone = parseJavaTimeZone(zoneId);
    for (const pattern of ["yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss.SSS Z", "d MMMM yyyy HH:mm:ss.SSS zzzz"]) {
      const format = compileJavaDatePattern(pattern, { locale: "en-US", zone });
      const reader = compileDateReader(pattern, "en-US", zone);
      fc.assert(
        fc.property(fc.integer({ min: Date.UTC(1800, 0, 1), max: Date.UTC(1899, 11, 31, 23, 59, 59, 999) }), (ms) => reader.parse(format(ms)) === ms),
        { numRuns: 100 },
      );
      fc.assert(
        fc.property(fc.integer({ min: Date.UTC(1899, 11, 31), max: Date.UTC(1900, 0, 2) }), (ms) => {
          const text = format(ms);
          const back = reader.parse(text);
          return back !== undefined && format(back) === text && back <= ms;
        }),
        { numRuns: 200 },
      );
    }
  }
  const kolkata = parseJavaTimeZone("Asia/Kolkata");
  t.is(compileDateReader("yyyy-MM-dd HH:mm:ss Z", "en-US", kolkata).parse("1899-12-31 17:30:00 +0530"), Date.UTC(1899, 11, 31, 12));
  // A lone MMMM is written standalone ("июнь"); the reader reads that form, and the format form
  // where the month has company ("10 июня").
  const alone = compileDateReader("MMMM", "ru-RU", utc);
  t.is(alone.parse("июнь"), Date.UTC(1970, 5, 1));
  t.is(alone.parse("июня"), undefined);
  t.is(compileDateReader("d MMMM yyyy", "ru-RU", utc).parse("10 июня 2016"), Date.UTC(2016, 5, 10));
});
