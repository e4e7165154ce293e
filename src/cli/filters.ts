/**
 * The record filters of `query` and `tail`: time range, event id globs and attribute tests.
 *
 * @module
 */
import type { JavaTimeZone } from "../java/zone.js";
import { compileDateReader, parseIsoSpan, type TimeSpan } from "../java/date-reader.js";
import type { AuditRecord, ReadSettings } from "../logfile/records.js";

/**
 * The `parseArgs` options `query` and `tail` share: the properties file, the filters and the
 * output format.
 *
 * @example
 * ```ts
 * parseArgs({ args, allowPositionals: true, options: { ...FILTER_OPTIONS, limit: { type: "string" } } });
 * ```
 */
export const FILTER_OPTIONS = {
  properties: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  tz: { type: "string" },
  event: { type: "string", multiple: true },
  attr: { type: "string", multiple: true },
  "time-attr": { type: "string" },
  format: { type: "string" },
} as const;

/**
 * A command-line mistake: reported with the usage exit code.
 *
 * @example
 * ```ts
 * throw new UsageError('--limit "x": expected a whole number from 1');
 * ```
 */
export class UsageError extends Error {
  /** @internal */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A compiled event-id glob: `test` says whether it matches a whole id. */
export interface Glob {
  /** Whether `id` matches the glob as a whole. */
  test(id: string): boolean;
}

/**
 * A glob over event ids (`*` any run of characters, `?` one character (code point), everything
 * else literal), matched without a regular expression: in time linear in the id times the glob
 * at worst, so a glob of many stars (`*****…c`) cannot backtrack for minutes as a regex would.
 *
 * @example
 * ```ts
 * globToRegExp("ox.log*").test("ox.login"); // true
 * ```
 */
export function globToRegExp(glob: string): Glob {
  const pattern = Array.from(glob.replace(/\*{2,}/g, "*"));
  return {
    test(id: string): boolean {
      const text = Array.from(id);
      let p = 0;
      let t = 0;
      let star = -1;
      let resume = 0;
      while (t < text.length) {
        const c = pattern[p];
        if (c === "*") {
          star = p++;
          resume = t;
        } else if (c !== undefined && (c === "?" || c === text[t])) {
          p++;
          t++;
        } else if (star >= 0) {
          // Let the last star take one more character and try again from there.
          p = star + 1;
          t = ++resume;
        } else {
          return false;
        }
      }
      while (pattern[p] === "*") p++;
      return p === pattern.length;
    },
  };
}

/**
 * One `--attr` test (see {@link parseAttributeTest}).
 *
 * @example
 * ```ts
 * const test: AttributeTest = { name: "ip", test: (value) => value === "192.0.2.7" };
 * ```
 */
export interface AttributeTest {
  /** The attribute name, or its 1-based position (`#2`). */
  readonly name: string;
  /** Exact value (`=`) or regular expression searched in the value (`~`). */
  readonly test: (value: string) => boolean;
}

/**
 * Reads `name=value` (the value exactly) or `name~regex` (a JavaScript regular expression
 * searched in the value; anchor it with `^…$` for a whole match). The name ends at the first
 * `=` or `~`; `#N` names the N-th attribute (for files written without names).
 *
 * @throws UsageError for a test without `=`/`~` or with an invalid regular expression.
 * @example
 * ```ts
 * parseAttributeTest("ip~^192\\.0\\.2\\.").test("192.0.2.7"); // true
 * ```
 */
export function parseAttributeTest(text: string): AttributeTest {
  const at = text.search(/[=~]/);
  if (at <= 0) throw new UsageError(`--attr "${text}": expected name=value or name~regex`);
  const name = text.slice(0, at);
  const rest = text.slice(at + 1);
  if (text.charAt(at) === "=") return { name, test: (value) => value === rest };
  let regex: RegExp;
  try {
    regex = new RegExp(rest, "u");
  } catch (error) {
    throw new UsageError(`--attr "${text}": invalid regular expression (${(error as Error).message})`);
  }
  return { name, test: (value) => regex.test(value) };
}

const AGE = /^(\d{1,9})(s|m|h|d|w)$/;
/** The first and last millisecond a time bound may name: the years ISO 8601 writes with four digits. */
const MIN_TIME = Date.parse("0000-01-01T00:00:00Z");
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const AGE_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Reads a `--since`/`--until` value: ISO 8601 (`2026-11-17`, `2026-11-17T10:30`,
 * `2026-11-17T10:30:00Z`; without an offset in `zone`), a time written in `date.pattern`, or an
 * age (`90m`, `2h`, `7d`, `1w`: that long before `now`). The span covers the precision given.
 *
 * @throws UsageError when the text is none of these, or names a time outside the years 0000 to
 * 9999 (an age reaching back before 0000-01-01), naming the option and the range.
 * @example
 * ```ts
 * parseTimeBound("--since", "2026-11-17", settings, zone, Date.now()).start;
 * ```
 */
export function parseTimeBound(option: string, text: string, settings: ReadSettings, zone: JavaTimeZone, now: number): TimeSpan {
  const inRange = (span: TimeSpan): TimeSpan => {
    if (span.start >= MIN_TIME && span.end <= MAX_TIME) return span;
    throw new UsageError(
      `${option} "${text}": out of range; expected a time from 0000-01-01 to 9999-12-31 (an age of at most ${Math.floor((now - MIN_TIME) / 86_400_000)}d, reaching back to 0000-01-01)`,
    );
  };
  const age = AGE.exec(text.trim());
  if (age !== null) {
    const at = now - Number(age[1]) * (AGE_MS[age[2] as string] as number);
    return inRange({ start: at, end: at });
  }
  const iso = parseIsoSpan(text, zone);
  if (iso !== undefined) return inRange(iso);
  if (settings.datePattern !== "") {
    const at = compileDateReader(settings.datePattern, settings.dateLocale, zone).parse(text);
    if (at !== undefined) return inRange({ start: at, end: at });
  }
  const configured = settings.datePattern === "" ? "" : `, a time as date.pattern writes it ("${settings.datePattern}")`;
  throw new UsageError(`${option} "${text}": expected an ISO 8601 date or time (2026-11-17, 2026-11-17T10:30, 2026-11-17T10:30:00Z)${configured} or an age such as 2h or 7d`);
}

/**
 * What a record is tested against.
 *
 * @example
 * ```ts
 * const filter: RecordFilter = { events: [globToRegExp("ox.login")], attributes: [], since: undefined, until: undefined };
 * ```
 */
export interface RecordFilter {
  /** Event id globs (any may match); empty: every event. */
  readonly events: readonly Glob[];
  /** Attribute tests (all must match). */
  readonly attributes: readonly AttributeTest[];
  /** The first millisecond included, if any. */
  readonly since: number | undefined;
  /** The last millisecond included, if any. */
  readonly until: number | undefined;
}

/**
 * Whether a record passes a filter. A record without a time never passes a time bound. An
 * attribute test passes when any attribute of that name (or at that position) passes it; a
 * null value passes no test.
 *
 * @example
 * ```ts
 * matches(record, { events: [globToRegExp("ox.*")], attributes: [], since: undefined, until: undefined });
 * ```
 */
export function matches(record: AuditRecord, filter: RecordFilter): boolean {
  if (filter.events.length > 0 && !filter.events.some((glob) => glob.test(record.event))) return false;
  if (filter.since !== undefined || filter.until !== undefined) {
    const time = record.time;
    if (time === undefined) return false;
    if (filter.since !== undefined && time < filter.since) return false;
    if (filter.until !== undefined && time > filter.until) return false;
  }
  for (const test of filter.attributes) {
    const position = /^#[1-9][0-9]*$/.test(test.name) ? Number(test.name.slice(1)) : undefined;
    const ok =
      position !== undefined
        ? (() => {
            const value = record.attributes[position - 1]?.[1];
            return value !== undefined && value !== null && test.test(value);
          })()
        : record.attributes.some(([name, value]) => name === test.name && value !== null && test.test(value));
    if (!ok) return false;
  }
  return true;
}
