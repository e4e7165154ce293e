/**
 * Turning any attribute value into text without ever throwing or looping.
 *
 * A value handed to `log()` may fight back: getters, `toString`, `toJSON` or Proxy traps that
 * throw, revoked proxies, cycles (also through Maps and Sets), shared sub-objects that would
 * blow up exponentially, nesting deeper than the stack. Every user-supplied function is called
 * inside `try`, intrinsics (`Map.prototype.entries`, `Date.prototype.getTime`, …) are used
 * instead of methods the value could override, type tests use `util.types` (which runs no Proxy
 * trap), and JSON is written by a serializer of our own with a depth limit, cycle detection and
 * a character budget.
 */
import { types } from "node:util";

const objectToString = Object.prototype.toString;
const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const stringValueOf = String.prototype.valueOf;
const numberValueOf = Number.prototype.valueOf;
const booleanValueOf = Boolean.prototype.valueOf;
const bigintValueOf = BigInt.prototype.valueOf;
const symbolValueOf = Symbol.prototype.valueOf;

/** Characters of JSON rendered for one value by default before it stops with `…`. */
export const DEFAULT_RENDER_BUDGET = 1 << 20;

/** How deep JSON nesting is followed; deeper values are written `"[nested too deep]"`. */
export const MAX_JSON_DEPTH = 64;

/** Characters of JSON used to describe something that was thrown. */
const SUMMARY_BUDGET = 1000;
/** Longest description of something that was thrown. */
const SUMMARY_LENGTH = 300;
/** How many thrown-while-describing-a-throw levels are followed. */
const MAX_NESTING = 3;

/** Options of {@link renderOther}. */
export interface RenderOptions {
  /** Characters of JSON after which rendering stops with `…` (default {@link DEFAULT_RENDER_BUDGET}). */
  readonly budget?: number | undefined;
  /** Whether the value of a nested key (objects and Maps rendered as JSON) must be masked. */
  readonly isMaskedName?: ((name: string) => boolean) | undefined;
  /** Masks the rendered text of such a value. */
  readonly mask?: ((text: string) => string) | undefined;
}

/** A failure of one JSON node, with the text that stands for it. */
class NodeFailure {
  constructor(readonly text: string) {}
}

function isNodeFailure(error: unknown): error is NodeFailure {
  try {
    return error instanceof NodeFailure;
  } catch {
    return false;
  }
}

interface JsonContext {
  budget: number;
  readonly stack: unknown[];
  readonly nesting: number;
  readonly isMaskedName: ((name: string) => boolean) | undefined;
  readonly mask: ((text: string) => string) | undefined;
}

function describe(value: object): string {
  try {
    return objectToString.call(value);
  } catch {
    return "[unrenderable]";
  }
}

function isError(value: object): boolean {
  if (types.isNativeError(value)) return true;
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

function safeGet(value: object, key: PropertyKey): { ok: true; value: unknown } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: (value as Record<PropertyKey, unknown>)[key] };
  } catch (error) {
    return { ok: false, error };
  }
}

function functionText(fn: unknown, nesting: number): string {
  const name = safeGet(fn as object, "name");
  const text = name.ok && typeof name.value === "string" && name.value !== "" ? name.value : "anonymous";
  return `[Function ${nesting > MAX_NESTING ? "anonymous" : text}]`;
}

/** The masking of a rendering (its options or its JSON context), kept when it describes what it meets on the way. */
type Masking = Pick<RenderOptions, "isMaskedName" | "mask">;

/** Options for a short rendering inside another (something thrown, an Error's parts, a Map key): the same masking. */
function within(masking: Masking | undefined): RenderOptions {
  return { budget: SUMMARY_BUDGET, isMaskedName: masking?.isMaskedName, mask: masking?.mask };
}

/** A short description of something that was thrown while rendering (secrets in it masked as in the value). */
function summary(thrown: unknown, nesting: number, masking: Masking | undefined): string {
  if (nesting >= MAX_NESTING) return "[unrenderable]";
  const text = render(thrown, nesting + 1, within(masking));
  if (text.length <= SUMMARY_LENGTH) return text;
  let end = SUMMARY_LENGTH;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + "…";
}

function errorText(error: object, nesting: number, masking: Masking | undefined): string {
  const part = (key: string, fallback: string): string => {
    const got = safeGet(error, key);
    if (!got.ok) return `[getter threw: ${summary(got.error, nesting, masking)}]`;
    if (typeof got.value === "string") return got.value;
    if (got.value === undefined) return fallback;
    return nesting >= MAX_NESTING ? "[unrenderable]" : render(got.value, nesting + 1, within(masking));
  };
  return `${part("name", "Error")}: ${part("message", "")}`;
}

/** JSON text of a leaf that is not an object, or `undefined` to leave it out. */
function leaf(value: unknown, ctx: JsonContext): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return `"${String(value)}"`;
    case "symbol":
      return JSON.stringify(String(value));
    case "function":
      return JSON.stringify(functionText(value, ctx.nesting));
    default:
      return value === null ? "null" : undefined;
  }
}

/** The JSON text of a boxed primitive (read with the intrinsic `valueOf`), or `undefined`. */
function unboxed(value: object, ctx: JsonContext): string | undefined {
  if (!types.isBoxedPrimitive(value)) return undefined;
  if (types.isStringObject(value)) return leaf(stringValueOf.call(value), ctx);
  if (types.isNumberObject(value)) return leaf(numberValueOf.call(value), ctx);
  if (types.isBooleanObject(value)) return leaf(booleanValueOf.call(value), ctx);
  if (types.isBigIntObject(value)) return leaf(bigintValueOf.call(value), ctx);
  if (types.isSymbolObject(value)) return leaf(symbolValueOf.call(value), ctx);
  return undefined;
}

/** The text of a Map key: a string as it is, another primitive with String(), an object rendered. */
function keyText(key: unknown, ctx: JsonContext): string {
  if (typeof key === "string") return key;
  if (typeof key !== "object" && typeof key !== "function") return String(key);
  if (ctx.stack.includes(key)) return "[Circular]";
  return ctx.nesting >= MAX_NESTING ? "[unrenderable]" : render(key, ctx.nesting + 1, within(ctx));
}

/** A nested value: never throws; a failure becomes a JSON string that says what happened. */
function child(value: unknown, key: string, ctx: JsonContext, depth: number): string | undefined {
  try {
    return node(value, key, ctx, depth);
  } catch (error) {
    return JSON.stringify(isNodeFailure(error) ? error.text : `[unrenderable: ${summary(error, ctx.nesting, ctx)}]`);
  }
}

/** A nested value under a key that is masked: its rendered text, masked, as a JSON string. */
function maskedChild(value: unknown, key: string, ctx: JsonContext, depth: number): string | undefined {
  if (value === null || value === undefined) return child(value, key, ctx, depth);
  const text = typeof value === "string" ? value : child(value, key, ctx, depth);
  return text === undefined ? undefined : JSON.stringify((ctx.mask as (text: string) => string)(text));
}

/** One property of an object or Map: `"key":value`, or `undefined` to leave it out. */
function member(key: string, value: unknown, ctx: JsonContext, depth: number): string | undefined {
  const masked = ctx.isMaskedName !== undefined && ctx.mask !== undefined && ctx.isMaskedName(key);
  const text = masked ? maskedChild(value, key, ctx, depth) : child(value, key, ctx, depth);
  if (text === undefined) return undefined;
  const keyText = JSON.stringify(key);
  ctx.budget -= keyText.length + 1;
  return `${keyText}:${text}`;
}

function thrownBy(what: string, error: unknown, ctx: JsonContext): NodeFailure {
  return new NodeFailure(`[${what}: ${summary(error, ctx.nesting, ctx)}]`);
}

/**
 * The JSON text of a value, or `undefined` where JSON leaves a value out. Throws a
 * {@link NodeFailure} (or whatever a trap threw) when the node itself cannot be read.
 */
function node(value: unknown, key: string, ctx: JsonContext, depth: number): string | undefined {
  if (typeof value !== "object" || value === null) {
    const text = leaf(value, ctx);
    if (text !== undefined) ctx.budget -= text.length;
    return text;
  }
  let target: unknown = value;
  // Typed arrays are written as arrays of numbers (Buffer#toJSON would copy the whole buffer).
  if (!types.isTypedArray(value)) {
    const toJSON = safeGet(value, "toJSON");
    if (!toJSON.ok) throw thrownBy("unrenderable", toJSON.error, ctx);
    if (typeof toJSON.value === "function") {
      try {
        target = Reflect.apply(toJSON.value, value, [key]);
      } catch (error) {
        throw thrownBy("toJSON threw", error, ctx);
      }
      if (typeof target !== "object" || target === null) {
        const text = leaf(target, ctx);
        if (text !== undefined) ctx.budget -= text.length;
        return text;
      }
    }
  }
  const object = target as object;
  if (depth >= MAX_JSON_DEPTH) return '"[nested too deep]"';
  if (ctx.stack.includes(object)) return '"[Circular]"';
  const boxed = unboxed(object, ctx);
  if (boxed !== undefined) {
    ctx.budget -= boxed.length;
    return boxed;
  }
  if (isError(object)) {
    const text = JSON.stringify(errorText(object, ctx.nesting, ctx));
    ctx.budget -= text.length;
    return text;
  }
  const parts: string[] = [];
  ctx.stack.push(object);
  try {
    ctx.budget -= 2;
    if (types.isMap(object)) {
      // As an object (as Object.fromEntries builds it: later keys win, integer-like keys first).
      const holder: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      let count = 0;
      for (const [k, v] of mapEntries.call(object) as IterableIterator<[unknown, unknown]>) {
        // Each entry takes at least a few characters, so more entries than the budget never show.
        if (++count > ctx.budget) break;
        const name = keyText(k, ctx);
        Object.defineProperty(holder, name, { value: v, enumerable: true, configurable: true, writable: true });
      }
      for (const name of Object.keys(holder)) {
        if (ctx.budget <= 0) {
          parts.push("…");
          break;
        }
        const text = member(name, holder[name], ctx, depth + 1);
        if (text !== undefined) parts.push(text);
      }
      return `{${parts.join(",")}}`;
    }
    if (types.isSet(object)) {
      for (const v of setValues.call(object) as IterableIterator<unknown>) {
        if (ctx.budget <= 0) {
          parts.push("…");
          break;
        }
        parts.push(child(v, String(parts.length), ctx, depth + 1) ?? "null");
      }
      return `[${parts.join(",")}]`;
    }
    if (Array.isArray(object) || types.isTypedArray(object)) {
      const length = safeGet(object, "length");
      if (!length.ok) throw thrownBy("unrenderable", length.error, ctx);
      const n = typeof length.value === "number" ? length.value : 0;
      for (let i = 0; i < n; i++) {
        if (ctx.budget <= 0) {
          parts.push("…");
          break;
        }
        const element = safeGet(object, i);
        const text = element.ok ? child(element.value, String(i), ctx, depth + 1) : JSON.stringify(`[getter threw: ${summary(element.error, ctx.nesting, ctx)}]`);
        parts.push(text ?? "null");
        ctx.budget -= text === undefined ? 5 : 1;
      }
      return `[${parts.join(",")}]`;
    }
    let keys: string[];
    try {
      keys = Object.keys(object);
    } catch (error) {
      throw thrownBy("unrenderable", error, ctx);
    }
    for (const name of keys) {
      if (ctx.budget <= 0) {
        parts.push("…");
        break;
      }
      const got = safeGet(object, name);
      const text = got.ok ? member(name, got.value, ctx, depth + 1) : `${JSON.stringify(name)}:${JSON.stringify(`[getter threw: ${summary(got.error, ctx.nesting, ctx)}]`)}`;
      if (text !== undefined) parts.push(text);
    }
    return `{${parts.join(",")}}`;
  } finally {
    ctx.stack.pop();
  }
}

function render(value: unknown, nesting: number, options: RenderOptions | undefined): string {
  try {
    switch (typeof value) {
      case "string":
        return value;
      case "number":
      case "boolean":
      case "bigint":
      case "undefined":
      case "symbol":
        // String() of a symbol gives its description without calling any user code.
        return String(value);
      case "function":
        return functionText(value, nesting);
    }
    if (value === null) return "null";
    const object = value as object;
    if (isError(object)) return errorText(object, nesting, options);
    // Arrays, Maps and Sets are shown as JSON like plain objects (Array.prototype.toString
    // would flatten [{a: 1}] to "[object Object]"); other objects with their own toString use it.
    if (!Array.isArray(object) && !types.isMap(object) && !types.isSet(object)) {
      const toString = safeGet(object, "toString");
      if (toString.ok && typeof toString.value === "function" && toString.value !== objectToString) {
        let text: unknown;
        try {
          text = Reflect.apply(toString.value, object, []);
        } catch (error) {
          return `[toString threw: ${summary(error, nesting, options)}]`;
        }
        if (typeof text === "string") return text;
      }
    }
    const ctx: JsonContext = {
      budget: options?.budget ?? DEFAULT_RENDER_BUDGET,
      stack: [],
      nesting,
      isMaskedName: options?.isMaskedName,
      mask: options?.mask,
    };
    try {
      const json = node(object, "", ctx, 0);
      return json === undefined ? describe(object) : json;
    } catch (error) {
      return isNodeFailure(error) ? error.text : `[unrenderable: ${summary(error, nesting, options)}]`;
    }
  } catch (error) {
    // Array.isArray of a revoked Proxy, a trap that throws while testing the type, …
    return `[unrenderable: ${summary(error, nesting, options)}]`;
  }
}

/**
 * Renders a value that is not a string, number, boolean, bigint, Date, null or undefined;
 * never throws and always ends. An Error is written `Name: message`; an object with its own
 * `toString` through it (`[toString threw: …]` when that throws); arrays, Maps, Sets and
 * other objects as JSON: a Map as an object, a Set as an array, bigints as strings, functions
 * as `"[Function name]"`, nested Errors as `"Name: message"`, cycles as `"[Circular]"`, a
 * getter or `toJSON` that throws as `"[getter threw: …]"` / `"[toJSON threw: …]"`, more than
 * {@link MAX_JSON_DEPTH} levels as `"[nested too deep]"`, and past the character budget `…`.
 * A value that cannot be looked at at all (a revoked Proxy, a Proxy whose traps throw) is
 * written `[unrenderable: what was thrown]`. With `isMaskedName` and `mask`, the values of
 * nested keys that are secrets are masked too.
 *
 * @example
 * ```ts
 * renderOther({ a: 1 }); // '{"a":1}'
 * renderOther(new TypeError("bad")); // "TypeError: bad"
 * renderOther({ get x() { throw new Error("no"); } }); // '{"x":"[getter threw: Error: no]"}'
 * ```
 */
export function renderOther(value: unknown, options?: RenderOptions): string {
  return render(value, 0, options);
}
