/**
 * One JSON object per line for files and streams:
 * `{"timestamp":"2026-01-02T03:04:05.006Z","level":"INFO","event":"ox.login","attributes":{"login":"alice"}}`
 *
 * Choices:
 * - Field names `timestamp` (ISO 8601 UTC with milliseconds, `null` when the time is not
 *   representable), `level` (upper-case name), `event` (the event id), `attributes`, in this
 *   order. (`@timestamp` is left to the ECS format, so a plain JSON line is never mistaken for ECS.)
 * - `attributes` keeps the attribute order; a null value is JSON `null`. A name that occurs more
 *   than once becomes an array of all its values in order (nothing is lost; no "last wins").
 *   Any name is allowed, `__proto__` included (the line is built as text, not through an object).
 * - The line is safe for line-based shippers: besides what JSON.stringify escapes, C1 controls
 *   (NEL included), U+2028 and U+2029 are written as `\uXXXX` ({@link lineSafeJson}).
 * - Static fields of the target (`field.<name>=value`) follow `attributes` as top-level string
 *   fields, in name order, named as configured (dots stay in the name: no nesting); they may not
 *   be called `timestamp`, `level`, `event` or `attributes` ({@link jsonStaticFieldProblem}).
 * - No trailing newline: the caller adds `\n` between records.
 */
import { isoTimestamp, levelText, lineSafeJson, type AuditEvent } from "./event.js";

/**
 * Groups attributes by name in first-appearance order: one value, or an array for repeated names.
 *
 * @example
 * ```ts
 * groupAttributes([["a", "1"], ["b", null], ["a", "2"]]); // [["a", ["1", "2"]], ["b", null]]
 * ```
 */
export function groupAttributes(
  attributes: ReadonlyArray<readonly [string, string | null]>,
): Array<[string, string | null | Array<string | null>]> {
  const groups = new Map<string, Array<string | null>>();
  for (const [name, value] of attributes) {
    const list = groups.get(name);
    if (list === undefined) groups.set(name, [value]);
    else list.push(value);
  }
  return [...groups].map(([name, values]) => [name, values.length === 1 ? (values[0] ?? null) : values]);
}

/**
 * An object as JSON text from `[key, value]` pairs, so that any key (even `__proto__`) is kept.
 *
 * @example
 * ```ts
 * jsonObject([["__proto__", "x"]]); // '{"__proto__":"x"}'
 * ```
 */
export function jsonObject(entries: ReadonlyArray<readonly [string, unknown]>): string {
  return "{" + entries.map(([k, v]) => JSON.stringify(k) + ":" + JSON.stringify(v)).join(",") + "}";
}

/** The top-level fields every JSON line has. */
const JSON_OWN_FIELDS: readonly string[] = ["timestamp", "level", "event", "attributes"];

/**
 * Why a static field name cannot be used in JSON lines, or undefined when it can: letters,
 * digits, `_`, `.`, `-` and `@`, and not one of the line's own fields.
 *
 * @example
 * ```ts
 * jsonStaticFieldProblem("site"); // undefined
 * jsonStaticFieldProblem("event"); // "event is written for every record …"
 * ```
 */
export function jsonStaticFieldProblem(name: string): string | undefined {
  if (!/^[\w.@-]+$/.test(name)) return "expected a field name of letters A-Z a-z, digits, _, ., - and @";
  if (JSON_OWN_FIELDS.includes(name)) return `${name} is written for every record (${JSON_OWN_FIELDS.join(", ")}); expected another name`;
  return undefined;
}

/**
 * Formats one event as one JSON line (no trailing newline), with the target's static fields
 * (`[name, value]`, checked by {@link jsonStaticFieldProblem}) when given.
 *
 * @example
 * ```ts
 * formatJson(event);
 * // '{"timestamp":"2026-01-02T03:04:05.006Z","level":"INFO","event":"ox.login","attributes":{"login":"alice"}}'
 * ```
 */
export function formatJson(event: AuditEvent, fields: ReadonlyArray<readonly [string, string]> = []): string {
  const timestamp = isoTimestamp(event.timestamp);
  // What JSON.stringify({ timestamp, level, event }) writes: the timestamp and the level name are ASCII without quotes or backslashes.
  // (A level that is not one leaves the field out, as JSON.stringify leaves out an undefined value.)
  const level = levelText(event.level) as string | undefined;
  let line = '{"timestamp":' + (timestamp === undefined ? "null" : '"' + timestamp + '"') + (level === undefined ? "" : ',"level":"' + level + '"') + ',"event":' + jsonString(event.eventId) + ',"attributes":';
  const attributes = event.attributes;
  if (hasRepeatedName(attributes)) {
    line += lineSafeJson(jsonObject(groupAttributes(attributes)));
  } else {
    // No name twice (the usual record): each pair as it is, without grouping.
    line += "{";
    for (let i = 0; i < attributes.length; i++) {
      const [name, value] = attributes[i] as readonly [string, string | null];
      line += (i === 0 ? "" : ",") + jsonName(name) + ":" + (value === null ? "null" : jsonString(value));
    }
    line += "}";
  }
  if (fields.length > 0) line += "," + lineSafeJson(jsonObject(fields).slice(1, -1));
  return line + "}";
}

/** What JSON.stringify or {@link lineSafeJson} would change in a string: `"`, `\`, controls, lone surrogates, U+2028, U+2029. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u0080-\u009f\u2028\u2029\uD800-\uDFFF]/;

/**
 * `lineSafeJson(JSON.stringify(text))`, with one test instead for the usual text that needs no
 * escape. What is not a string (from a JavaScript caller that does not keep to the types: a
 * number, `undefined`, an object with `toJSON`) is written as `JSON.stringify` writes it, as
 * before this fast path, and `null` where it writes nothing, so the line stays JSON.
 */
function jsonString(text: string): string {
  if (typeof text !== "string") return lineSafeJson(JSON.stringify(text as unknown) ?? "null");
  return NEEDS_ESCAPE.test(text) ? lineSafeJson(JSON.stringify(text)) : '"' + text + '"';
}

/** A name of the fast path: always a JSON string (a number as a name would make the line invalid). */
function jsonName(name: string): string {
  return jsonString(typeof name === "string" ? name : String(name));
}

/** Whether a name occurs more than once (compared pairwise for the few attributes of a usual record). */
function hasRepeatedName(attributes: ReadonlyArray<readonly [string, string | null]>): boolean {
  const n = attributes.length;
  if (n > 16) return new Set(attributes.map(([name]) => name)).size < n;
  for (let i = 1; i < n; i++) {
    const name = (attributes[i] as readonly [string, string | null])[0];
    for (let j = 0; j < i; j++) if ((attributes[j] as readonly [string, string | null])[0] === name) return true;
  }
  return false;
}
