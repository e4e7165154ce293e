/**
 * Turning any attribute value into text without ever throwing.
 */

const objectToString = Object.prototype.toString;

function describe(value: object): string {
  try {
    return objectToString.call(value);
  } catch {
    return "[unrenderable]";
  }
}

function jsonReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === "bigint") {
      return value.toString();
    }
    if (value instanceof Map) {
      return Object.fromEntries(Array.from(value, ([k, v]) => [typeof k === "string" ? k : renderOther(k), v]));
    }
    if (value instanceof Set) {
      return Array.from(value);
    }
    if (typeof value === "symbol" || typeof value === "function") {
      return String(value);
    }
    if (value === null || typeof value !== "object") {
      return value;
    }
    // `this` is the object holding `value`; drop ancestors that are no longer on the path.
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) {
      ancestors.pop();
    }
    if (ancestors.includes(value)) {
      return "[Circular]";
    }
    ancestors.push(value);
    return value;
  };
}

/**
 * Renders a value that is not a string, number, boolean, bigint, Date, null or undefined:
 * an Error as `Name: message`, an object with its own `toString` through it, arrays, Maps,
 * Sets and other objects as JSON (a Map as an object, a Set as an array, cycles shown as
 * `"[Circular]"`, bigints as strings), and anything that throws
 * while being rendered as `[object Type]` or `[unrenderable]`.
 *
 * @example
 * ```ts
 * renderOther({ a: 1 }); // '{"a":1}'
 * renderOther(new TypeError("bad")); // "TypeError: bad"
 * ```
 */
export function renderOther(value: unknown): string {
  try {
    if (typeof value === "symbol") {
      return value.toString();
    }
    if (typeof value === "function") {
      return `[Function ${value.name || "anonymous"}]`;
    }
    if (value instanceof Error) {
      return `${value.name}: ${value.message}`;
    }
    const obj = value as { toString?: unknown };
    // Arrays, Maps and Sets are shown as JSON like plain objects (Array.prototype.toString
    // would flatten [{a: 1}] to "[object Object]"); other objects with their own toString use it.
    if (
      typeof obj.toString === "function" &&
      obj.toString !== objectToString &&
      !Array.isArray(value) &&
      !(value instanceof Map) &&
      !(value instanceof Set)
    ) {
      const text: unknown = obj.toString();
      if (typeof text === "string") {
        return text;
      }
    }
    const json = JSON.stringify(value, jsonReplacer());
    if (typeof json === "string") {
      return json;
    }
  } catch {
    // fall through
  }
  return typeof value === "object" && value !== null ? describe(value) : "[unrenderable]";
}
