/**
 * RFC 3164 (BSD syslog) messages for old receivers: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`.
 *
 * Choices:
 * - The timestamp is local time, as RFC 3164 §4.1.2 says ("the local time"), without a zone
 *   (the format has none): the process's time zone (`TZ`), or the zone of the `offsetMinutesAt`
 *   option (the target's `timezone`, e.g. the receiver's zone). The day is space-padded
 *   (`Jan  2`); a time that is not finite is written as the epoch.
 * - HOSTNAME: code units outside 33-126 become `_`; empty → `-`.
 * - TAG: the app name with everything but ASCII letters and digits removed, cut to 32;
 *   empty → `audit`. PID: the proc id with everything but 33-126 and `[`/`]` removed; empty →
 *   no `[PID]`.
 * - MSG: the plain audit line ({@link plainLine}, one line, no BOM).
 * - `maxBytes` (default 1024, the RFC 3164 limit; from 128): MSG is cut on a UTF-8 character
 *   boundary and ends with `...[truncated]`.
 */
import { plainLine, syslogSeverity, wellFormed, type AuditEvent } from "./event.js";

/** Options of {@link compileRfc3164}. */
export interface Rfc3164Options {
  /** Syslog facility 0-23; default 13 ("log audit"). */
  readonly facility?: number;
  /** Maximum size of the message in bytes, from 128; default 1024. */
  readonly maxBytes?: number;
  /** The offset east of UTC in minutes of the time zone the timestamp is written in, at an instant; default: the process's local time zone. */
  readonly offsetMinutesAt?: (epochMillis: number) => number;
}

/** The process's local time zone (`TZ`), as `Date` has it. */
const localOffsetMinutes = (epochMillis: number): number => -new Date(epochMillis).getTimezoneOffset();

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const MARKER = "...[truncated]";

/**
 * Compiles an RFC 3164 formatter for one configuration. Throws a RangeError for a facility
 * outside 0-23 or a `maxBytes` below 128.
 *
 * @example
 * ```ts
 * compileRfc3164({ facility: 13, offsetMinutesAt: () => 0 })(event);
 * // "<110>Jan  2 03:04:05 mail1 slf4ts[4242]: ox.login login=alice"
 * ```
 */
export function compileRfc3164(options: Rfc3164Options = {}): (event: AuditEvent) => string {
  const facility = options.facility ?? 13;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) {
    throw new RangeError(`facility must be a whole number from 0 to 23, got ${String(facility)}`);
  }
  const maxBytes = options.maxBytes ?? 1024;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 128) {
    throw new RangeError(`maxBytes must be a whole number from 128, got ${String(maxBytes)}`);
  }
  const offsetAt = options.offsetMinutesAt ?? localOffsetMinutes;
  return (event: AuditEvent): string => {
    const date = new Date(Number.isFinite(event.timestamp) ? event.timestamp : 0);
    const instant = !Number.isNaN(date.getTime()) ? date.getTime() : 0;
    // The wall-clock time of the zone, read through the UTC getters of a shifted date.
    const shifted = new Date(instant + Math.round(offsetAt(instant) * 60_000));
    const valid = !Number.isNaN(shifted.getTime()) ? shifted : new Date(0);
    const two = (n: number): string => String(n).padStart(2, "0");
    const stamp =
      `${MONTHS[valid.getUTCMonth()] ?? "Jan"} ${String(valid.getUTCDate()).padStart(2, " ")} ` +
      `${two(valid.getUTCHours())}:${two(valid.getUTCMinutes())}:${two(valid.getUTCSeconds())}`;
    const host = event.hostname.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\x21-\x7e]/g, "_") || "-";
    const tag = event.appName.replace(/[^A-Za-z0-9]/g, "").slice(0, 32) || "audit";
    const pid = event.procId.replace(/[^\x21-\x7e]|[[\]]/g, "");
    const head = `<${facility * 8 + syslogSeverity(event.level)}>${stamp} ${host} ${tag}${pid === "" ? "" : `[${pid}]`}: `;
    const msg = wellFormed(plainLine(event));
    const whole = head + msg;
    if (Buffer.byteLength(whole, "utf8") <= maxBytes) return whole;
    const room = maxBytes - Buffer.byteLength(head, "utf8") - MARKER.length;
    if (room < 0) return head.slice(0, maxBytes - MARKER.length) + MARKER; // head is ASCII
    let used = 0;
    let i = 0;
    while (i < msg.length) {
      const cp = msg.codePointAt(i) ?? 0;
      const width = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (used + width > room) break;
      used += width;
      i += cp > 0xffff ? 2 : 1;
    }
    return head + msg.slice(0, i) + MARKER;
  };
}

/**
 * Formats one event as an RFC 3164 message (compiles the options on every call).
 *
 * @example
 * ```ts
 * formatRfc3164(event, { facility: 4 });
 * // "<38>Jan  2 03:04:05 mail1 slf4ts[4242]: ox.login login=alice"
 * ```
 */
export function formatRfc3164(event: AuditEvent, options: Rfc3164Options = {}): string {
  return compileRfc3164(options)(event);
}
