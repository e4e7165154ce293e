/**
 * GELF 1.1 messages (Graylog) for audit events, and NUL framing for GELF over TCP.
 *
 * Choices:
 * - `version` "1.1", `host` = the host name (`-` when empty), `short_message` = the plain audit
 *   line ({@link plainLine}: event id and attributes, never empty), `timestamp` = seconds with
 *   the milliseconds as decimals (omitted when not finite), `level` = syslog severity
 *   ({@link syslogSeverity}).
 * - Own additional fields: `_event` (the event id), `_app` (app name), `_procid`.
 * - Each attribute with a non-null value becomes an additional field `_<name>`: characters
 *   outside `[A-Za-z0-9_.-]` are replaced by `_` (one per code point) (an empty name gives `_`); the reserved `_id`
 *   becomes `_id_`; a name that collides with a field already written (an own field, or an
 *   earlier attribute) gets `_2`, `_3`… (the first free one). Null values are left out (GELF
 *   values are strings or numbers); `short_message` keeps them as `\N`. Values stay strings.
 * - The JSON is one line, line-safe ({@link lineSafeJson}); it never contains a NUL byte
 *   (JSON.stringify escapes U+0000), so NUL framing is safe.
 */
import { lineSafeJson, plainLine, syslogSeverity, type AuditEvent } from "./event.js";
import { jsonObject } from "./json.js";

/**
 * The additional-field name for an attribute name, before collision handling.
 *
 * @example
 * ```ts
 * gelfFieldName("user name"); // "_user_name"
 * gelfFieldName("id"); // "_id_"
 * ```
 */
export function gelfFieldName(name: string): string {
  const field = "_" + (name.replace(/[^\w.-]/gu, "_") || "_");
  return field === "_id" ? "_id_" : field;
}

/**
 * The GELF 1.1 entries of an event, in order, as `[key, value]` pairs (keys are unique).
 *
 * @example
 * ```ts
 * Object.fromEntries(gelfEntries(event)).short_message; // "ox.login login=alice"
 * ```
 */
export function gelfEntries(event: AuditEvent): Array<[string, string | number]> {
  const entries: Array<[string, string | number]> = [
    ["version", "1.1"],
    ["host", event.hostname === "" ? "-" : event.hostname],
    ["short_message", plainLine(event)],
  ];
  if (Number.isFinite(event.timestamp)) entries.push(["timestamp", event.timestamp / 1000]);
  entries.push(["level", syslogSeverity(event.level)], ["_event", event.eventId], ["_app", event.appName], ["_procid", event.procId]);
  const used = new Set(entries.map(([k]) => k));
  for (const [name, value] of event.attributes) {
    if (value === null) continue;
    const base = gelfFieldName(name);
    let key = base;
    for (let n = 2; used.has(key); n++) key = `${base}_${n}`;
    used.add(key);
    entries.push([key, value]);
  }
  return entries;
}

/**
 * Formats one event as a GELF 1.1 JSON object on one line. There are no options.
 *
 * @example
 * ```ts
 * formatGelf(event);
 * // '{"version":"1.1","host":"mail1","short_message":"ox.login login=alice","timestamp":1767323045.006,"level":6,"_event":"ox.login","_app":"slf4ts","_procid":"4242","_login":"alice"}'
 * ```
 */
export function formatGelf(event: AuditEvent): string {
  return lineSafeJson(jsonObject(gelfEntries(event)));
}

/**
 * A GELF TCP frame: the JSON in UTF-8 followed by one NUL byte.
 *
 * @example
 * ```ts
 * gelfNulFrame('{"version":"1.1"}'); // Uint8Array [0x7b … 0x7d, 0x00]
 * ```
 */
export function gelfNulFrame(json: string): Uint8Array {
  if (json.includes("\0")) throw new RangeError("a GELF frame must not contain a NUL character");
  return Buffer.concat([Buffer.from(json, "utf8"), Buffer.alloc(1)]);
}
