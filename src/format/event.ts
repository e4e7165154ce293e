/**
 * The audit event the remote formats ({@link formatRfc5424}, RFC 3164, JSON, GELF, ECS) receive,
 * and the helpers they share. The formatters are exported, for hosts that ship records themselves.
 *
 * @module
 */
import { Level, levelName } from "../facade/level.js";
import { createIsoMillisFormatter } from "../java/date.js";
import { NULL_MARKER, createEscaper } from "../record/escaping.js";

/**
 * One audit record, already rendered: attribute names and values are text (secrets masked),
 * `null` stands for a null value.
 *
 * @example
 * ```ts
 * const event: AuditEvent = {
 *   timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
 *   level: Level.INFO,
 *   eventId: "ox.login",
 *   attributes: [["login", "alice"], ["ip", "192.0.2.1"]],
 *   hostname: "mail1",
 *   appName: "slf4ts",
 *   procId: "4242",
 * };
 * ```
 */
export interface AuditEvent {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** TRACE..ERROR = 0..4. */
  readonly level: Level;
  /** The event id, e.g. `ox.login`. */
  readonly eventId: string;
  /** Names and values already rendered to text (masked secrets included); `null` = null value. */
  readonly attributes: ReadonlyArray<readonly [string, string | null]>;
  /** The host name of the machine. */
  readonly hostname: string;
  /** The application name, e.g. `slf4ts`. */
  readonly appName: string;
  /** The process id, e.g. `String(process.pid)`. */
  readonly procId: string;
}

/**
 * The syslog severity (RFC 5424 §6.2.1) of a level: ERROR 3 (Error), WARN 4 (Warning),
 * INFO 6 (Informational), DEBUG and TRACE 7 (Debug). GELF uses the same numbers.
 *
 * @example
 * ```ts
 * syslogSeverity(Level.WARN); // 4
 * ```
 */
export function syslogSeverity(level: Level): number {
  switch (level) {
    case Level.ERROR:
      return 3;
    case Level.WARN:
      return 4;
    case Level.INFO:
      return 6;
    default:
      return 7;
  }
}

/**
 * The timestamp as RFC 3339 / ISO 8601 UTC with milliseconds (`2026-01-02T03:04:05.006Z`), or
 * `undefined` when it is not a finite time in the years 0000-9999 (RFC 3339 has 4-digit years only).
 *
 * @example
 * ```ts
 * isoTimestamp(0); // "1970-01-01T00:00:00.000Z"
 * isoTimestamp(NaN); // undefined
 * ```
 */
export function isoTimestamp(timestamp: number): string | undefined {
  // Outside Date's range (and NaN, ±Infinity) there is no time; the formatter would throw.
  if (typeof timestamp !== "number" || !(Math.abs(timestamp) <= MAX_TIME)) return undefined;
  const text = isoMillis(timestamp);
  // Years outside 0000-9999 are written +YYYYYY / -YYYYYY.
  const first = text.charCodeAt(0);
  return first === 0x2b || first === 0x2d ? undefined : text;
}

/** The largest distance of a Date's time from the epoch, in milliseconds. */
const MAX_TIME = 8.64e15;

/** One formatter for every format: the text of the current second is made once. */
const isoMillis = createIsoMillisFormatter();

/**
 * Replaces lone surrogates by U+FFFD, so that the text has one UTF-8 encoding and byte counts
 * agree with what is sent.
 *
 * @example
 * ```ts
 * wellFormed("a\uD800b"); // "a\uFFFDb"
 * ```
 */
export function wellFormed(text: string): string {
  // ES2024's String.prototype.isWellFormed / toWellFormed (Node 20+): the same replacement, natively, and the text itself when nothing needs it.
  const t = text as unknown as WellFormedString;
  return t.isWellFormed() ? text : t.toWellFormed();
}

/** ES2024 string methods that the ES2023 library typings do not declare. */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const plainEscaper = createEscaper(" ");

/**
 * The plain audit line of an event: `eventId name=value name=value…`, one line, escaped as the
 * dedicated audit file escapes records (see `src/record/escaping.ts`) with a single space as the
 * delimiter: `\` → `\\`, space → `\ `, `=` in names → `\=`, control and line-separator characters
 * → `\n`, `\uXXXX`…, and a null value is written `\N`. `parseAuditLine` with delimiter `" "` and
 * names included reads it back.
 *
 * @example
 * ```ts
 * plainLine({ ...event, eventId: "ox.login", attributes: [["login", "a b"], ["x", null]] });
 * // "ox.login login=a\\ b x=\\N"
 * ```
 */
export function plainLine(event: AuditEvent): string {
  let line = plainEscaper.escapeValue(event.eventId);
  for (const [name, value] of event.attributes) {
    line += " " + plainEscaper.escapeName(name) + "=" + (value === null ? NULL_MARKER : plainEscaper.escapeValue(value));
  }
  return line;
}

/**
 * The upper-case level name (`INFO`), re-exported for the formats.
 *
 * @example
 * ```ts
 * levelText(Level.ERROR); // "ERROR"
 * ```
 */
export function levelText(level: Level): string {
  return levelName(level);
}

/** Characters JSON.stringify leaves raw but line-based shippers may split on: C1 controls (NEL included), U+2028, U+2029. */
const LINE_UNSAFE = /[\u0080-\u009f\u2028\u2029]/g;

/**
 * Makes a `JSON.stringify` result safe for line-based shippers: C1 controls (U+0080-U+009F,
 * NEL U+0085 included), U+2028 and U+2029 are written as `\uXXXX` escapes (inside JSON strings,
 * the only place they can occur), which `JSON.parse` reads back unchanged. C0 controls and lone
 * surrogates are already escaped by `JSON.stringify`.
 *
 * @example
 * ```ts
 * lineSafeJson(JSON.stringify("a\u2028b")); // "\"a\\u2028b\""
 * ```
 */
export function lineSafeJson(json: string): string {
  return json.replace(LINE_UNSAFE, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
