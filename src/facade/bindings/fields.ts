/**
 * The structured fields of a record, as the pino, winston and OpenTelemetry bindings hand them to
 * their backend: the key–values of the call, then the MDC, each its own field, without losing one
 * to a name that is already taken.
 *
 * A name is taken when the backend owns it (pino's `level`, `time`, `msg`, `pid`, `hostname`;
 * winston's `level`, `message`), when the binding uses it (the logger's name, the error, the
 * markers) or when an earlier field has it. A field whose name is taken is written under the
 * name followed by `_` (`level_`, and `level__` when that is taken too), so a record keeps every
 * field and the backend's own fields keep their meaning.
 */
import type { LogRecord } from "../binding.js";
import { renderArgument } from "../format.js";

/** The name under which a field goes when `name` is taken: `name_`, `name__`, …. */
function freeName(fields: object, reserved: ReadonlySet<string>, name: string): string {
  let key = name;
  while (reserved.has(key) || Object.prototype.hasOwnProperty.call(fields, key)) key += "_";
  return key;
}

/** Adds one field; `__proto__` and the like become own properties, never the prototype. */
function put(fields: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The fields of a record: its key–values in order, then its MDC entries, each under its own name
 * unless that is taken (see the module comment). `convert` turns a key–value's value into what
 * the backend accepts (the default keeps it as it is; MDC values are strings already).
 */
export function recordFields(record: LogRecord, reserved: ReadonlySet<string>, convert?: (value: unknown) => unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const pair of record.keyValues) {
    put(fields, freeName(fields, reserved, pair.key), convert === undefined ? pair.value : convert(pair.value));
  }
  for (const [key, value] of record.mdc) put(fields, freeName(fields, reserved, key), value);
  return fields;
}

/** The names of a record's markers (`["AUDIT"]`). */
export function markerNames(record: LogRecord): string[] {
  return record.markers.map((marker) => marker.getName());
}

/**
 * A property of an Error as text, or `undefined` when it is absent or its getter throws (a
 * binding reads a caller's error and must never throw into the caller).
 *
 * @example
 * ```ts
 * errorProperty(new TypeError("bad"), "name"); // "TypeError"
 * ```
 */
export function errorProperty(error: Error, key: "name" | "message" | "stack"): string | undefined {
  try {
    const value = error[key];
    return value === undefined ? undefined : renderArgument(value);
  } catch {
    return undefined;
  }
}
