/**
 * GELF 1.1 messages (Graylog) for audit events, the cut of a message too large for its
 * transport, and NUL framing for GELF over TCP.
 *
 * Choices:
 * - `version` "1.1", `host` = the host name (`-` when empty), `short_message` = the event id by
 *   default, or a configured template ({@link compileTemplate}; an empty result falls back to the
 *   event id, GELF requires a non-empty one), `full_message` only when a template is configured
 *   (e.g. `{line}`, the plain audit line) and gives a non-empty text, `timestamp` = seconds with
 *   the milliseconds as decimals (omitted when not finite), `level` = syslog severity
 *   ({@link syslogSeverity}).
 * - Own additional fields: `_event` (the event id), `_app` (app name), `_procid`.
 * - Static fields of the target (`field.<name>=value`) follow as `_<name>`, in name order; their
 *   names were checked when the configuration was read ({@link gelfStaticFieldProblem}).
 * - Each attribute with a non-null value becomes an additional field `_<name>`: characters
 *   outside `[A-Za-z0-9_.-]` are replaced by `_` (one per code point) (an empty name gives `_`); the reserved `_id`
 *   becomes `_id_`; a name that collides with a field already written (an own or static field, or an
 *   earlier attribute) gets `_2`, `_3`… (the first free one). Null values are left out (GELF
 *   values are strings or numbers). Values stay strings. The attributes are not repeated in
 *   `short_message` (unless its template asks for them).
 * - The JSON is one line, line-safe ({@link lineSafeJson}); it never contains a NUL byte
 *   (JSON.stringify escapes U+0000), so NUL framing is safe.
 */
import { lineSafeJson, syslogSeverity, type AuditEvent } from "./event.js";
import { jsonObject } from "./json.js";
import type { MessageTemplate } from "./template.js";

/** What a GELF target adds to the message: its templates and static fields. */
export interface GelfOptions {
  /** The `short_message` template; default: the event id. */
  readonly shortMessage?: MessageTemplate | undefined;
  /** The `full_message` template; default: no `full_message`. */
  readonly fullMessage?: MessageTemplate | undefined;
  /** Static fields, `[name, value]` with the name as configured (without the `_` GELF adds), checked by {@link gelfStaticFieldProblem}. */
  readonly fields?: ReadonlyArray<readonly [string, string]>;
}

/** The additional fields every GELF message of slf4ts carries. */
export const GELF_OWN_FIELDS: readonly string[] = ["_event", "_app", "_procid"];

/**
 * Why a static field name cannot be used in GELF, or undefined when it can. GELF 1.1: an
 * additional field name matches `^[\w.-]*$` after its `_`, and `_id` is reserved.
 *
 * @example
 * ```ts
 * gelfStaticFieldProblem("env"); // undefined: sent as _env
 * gelfStaticFieldProblem("id"); // "GELF reserves _id …"
 * ```
 */
export function gelfStaticFieldProblem(name: string): string | undefined {
  if (!/^[\w.-]+$/.test(name)) return "expected a GELF field name of letters A-Z a-z, digits, _, . and - (GELF adds the leading _)";
  if (name === "id") return "GELF reserves _id (the receiver's own message id); expected another name";
  if (GELF_OWN_FIELDS.includes("_" + name)) return `_${name} is written for every record (${GELF_OWN_FIELDS.join(", ")}); expected another name`;
  return undefined;
}

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

/** The GELF entries of an event with the indexes of the values a cut may shorten. */
interface GelfParts {
  readonly entries: Array<[string, string | number]>;
  /** `short_message`, `full_message` and the attributes: what the event brought (own and static fields are never cut). */
  readonly cuttable: number[];
}

function gelfParts(event: AuditEvent, options: GelfOptions): GelfParts {
  const short = options.shortMessage === undefined ? event.eventId : options.shortMessage.render(event);
  const entries: Array<[string, string | number]> = [
    ["version", "1.1"],
    ["host", event.hostname === "" ? "-" : event.hostname],
    ["short_message", short.trim() !== "" ? short : event.eventId !== "" ? event.eventId : "-"],
  ];
  const cuttable = [2];
  const full = options.fullMessage?.render(event);
  if (full !== undefined && full !== "") {
    cuttable.push(entries.length);
    entries.push(["full_message", full]);
  }
  if (Number.isFinite(event.timestamp)) entries.push(["timestamp", event.timestamp / 1000]);
  entries.push(["level", syslogSeverity(event.level)], ["_event", event.eventId], ["_app", event.appName], ["_procid", event.procId]);
  for (const [name, value] of options.fields ?? []) entries.push(["_" + name, value]);
  const used = new Set(entries.map(([k]) => k));
  for (const [name, value] of event.attributes) {
    if (value === null) continue;
    const base = gelfFieldName(name);
    let key = base;
    for (let n = 2; used.has(key); n++) key = `${base}_${n}`;
    used.add(key);
    cuttable.push(entries.length);
    entries.push([key, value]);
  }
  return { entries, cuttable };
}

/**
 * The GELF 1.1 entries of an event, in order, as `[key, value]` pairs (keys are unique).
 *
 * @example
 * ```ts
 * Object.fromEntries(gelfEntries(event)).short_message; // "ox.login"
 * ```
 */
export function gelfEntries(event: AuditEvent, options: GelfOptions = {}): Array<[string, string | number]> {
  return gelfParts(event, options).entries;
}

/**
 * Formats one event as a GELF 1.1 JSON object on one line.
 *
 * @example
 * ```ts
 * formatGelf(event);
 * // '{"version":"1.1","host":"mail1","short_message":"ox.login","timestamp":1767323045.006,"level":6,"_event":"ox.login","_app":"slf4ts","_procid":"4242","_login":"alice"}'
 * ```
 */
export function formatGelf(event: AuditEvent, options: GelfOptions = {}): string {
  return lineSafeJson(jsonObject(gelfEntries(event, options)));
}

/** What a cut value ends with. */
export const GELF_CUT_MARK = "...[truncated]";

/** The bytes a string value takes in the message's JSON (quotes and escapes included). */
function jsonBytes(value: string): number {
  return Buffer.byteLength(lineSafeJson(JSON.stringify(value)), "utf8");
}

/** The longest prefix of `value` (never splitting a surrogate pair) whose JSON takes at most `budget` bytes. */
function prefixWithin(value: string, budget: number): string {
  let low = 0;
  let high = value.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (jsonBytes(value.slice(0, mid)) <= budget) low = mid;
    else high = mid - 1;
  }
  const code = value.charCodeAt(low - 1);
  return low > 0 && code >= 0xd800 && code <= 0xdbff ? value.slice(0, low - 1) : value.slice(0, low);
}

/**
 * The entries with the longest cuttable values cut to one common cap ("water level"), so that the
 * JSON takes at most `target` bytes, each cut value ending with {@link GELF_CUT_MARK}. Values at
 * or under the cap stay whole. Undefined when even cutting every cuttable value to the mark alone
 * would not reach the target.
 */
function cutToTarget(parts: GelfParts, target: number): Array<[string, string | number]> | undefined {
  const total = Buffer.byteLength(lineSafeJson(jsonObject(parts.entries)), "utf8");
  const excess = total - target;
  if (excess <= 0) return parts.entries;
  const mark = GELF_CUT_MARK.length;
  const sizes = parts.cuttable
    .map((index) => ({ index, size: jsonBytes(String((parts.entries[index] as [string, string | number])[1])) }))
    .sort((a, b) => b.size - a.size);
  // Cut the k longest to a cap C (each then takes at most C bytes, the mark included), for the
  // smallest k whose cap still lies at or above the next value: sum(size_i - C) >= excess.
  let sum = 0;
  for (let k = 1; k <= sizes.length; k++) {
    sum += (sizes[k - 1] as { size: number }).size;
    const cap = Math.floor((sum - excess) / k);
    const next = k < sizes.length ? (sizes[k] as { size: number }).size : 0;
    if (cap >= next || k === sizes.length) {
      if (cap < 2 + mark) return undefined;
      const entries = parts.entries.map(([key, value]) => [key, value] as [string, string | number]);
      for (const { index } of sizes.slice(0, k)) {
        const entry = entries[index] as [string, string | number];
        const value = String(entry[1]);
        if (jsonBytes(value) <= cap) continue;
        entry[1] = prefixWithin(value, cap - mark) + GELF_CUT_MARK;
      }
      return entries;
    }
  }
  return undefined;
}

/**
 * Formats one event as GELF and encodes it (`encode`: UTF-8, gzip or zlib); when the result is
 * longer than `limit` bytes, cuts only as much as needed, longest values first: the
 * `short_message`, `full_message` and attribute values longer than a common cap are cut to it
 * (ending with {@link GELF_CUT_MARK}), shorter ones stay whole; own and static fields are never
 * cut. Compressed output is fitted by a few rounds that shrink the uncompressed target by the
 * compression ratio seen. Gives the encoded bytes (still too long only when even the fields
 * that are never cut do not fit).
 *
 * @example
 * ```ts
 * // GELF over UDP with chunkSize 512: 128 chunks of 500 bytes
 * const bytes = encodeGelfWithin(event, {}, 128 * 500, (json) => Buffer.from(json));
 * bytes.length <= 64_000; // true
 * ```
 */
export function encodeGelfWithin<B extends Uint8Array>(event: AuditEvent, options: GelfOptions, limit: number, encode: (json: string) => B): B {
  const parts = gelfParts(event, options);
  const json = lineSafeJson(jsonObject(parts.entries));
  let bytes = encode(json);
  if (bytes.length <= limit) return bytes;
  const raw = Buffer.byteLength(json, "utf8");
  let target = Math.floor((limit * raw) / bytes.length);
  for (let round = 0; round < 12 && target > 0; round++) {
    const entries = cutToTarget(parts, target);
    if (entries === undefined) break;
    bytes = encode(lineSafeJson(jsonObject(entries)));
    if (bytes.length <= limit) return bytes;
    // Compression did not shrink the cut text as much as the whole: aim lower, by what is left over.
    target = Math.min(target - 1, Math.floor((target * limit) / bytes.length) - 64);
  }
  // The last resort: every cuttable value down to the mark alone.
  const entries = parts.entries.map(([key, value], index) => [key, parts.cuttable.includes(index) ? GELF_CUT_MARK : value] as [string, string | number]);
  return encode(lineSafeJson(jsonObject(entries)));
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
