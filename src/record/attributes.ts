/**
 * Collecting the attributes of an audit event: a plain object or an iterable of `[name, value]`
 * pairs, read once, lazily and at most `maxAttributes` of them, never throwing (a getter or an
 * iterator that throws becomes part of the record).
 *
 * @module
 */
import { types } from "node:util";
import { renderOther } from "./values.js";

const isProxy = types.isProxy;

/** Attributes of an audit event: a plain object (in insertion order) or `[name, value]` pairs. */
export type AuditAttributes = Readonly<Record<string, unknown>> | Iterable<readonly [unknown, unknown]>;

/** The default of {@link RecordOptions.maxAttributes} (and of `record.maxAttributes`). */
export const DEFAULT_MAX_ATTRIBUTES = 256;

/**
 * The name of the attribute that ends a record whose attributes were cut (`slf4ts.cut=44`); it is
 * written `slf4ts.cut=N` whether names are included or not.
 */
export const CUT_NAME = "slf4ts.cut";

/**
 * Attributes read once, at most `maxAttributes` of them, so that several consumers (filters,
 * targets, the file) see the same ones without reading a one-shot iterable twice.
 * @internal
 */
export class CollectedAttributes {
  /** The brand {@link isCollected} looks for: `#brand in value` runs no Proxy trap, and costs no WeakSet entry per record. */
  readonly #brand = true;

  /** Whether a value is one made here (see {@link isCollected}). */
  static has(value: object): value is CollectedAttributes {
    return #brand in value;
  }

  constructor(
    /** The pairs read, in order. */
    readonly pairs: ReadonlyArray<readonly [unknown, unknown]>,
    /** How many were left out (`"44"`, or `"256+"` for more than 256), or undefined. */
    readonly cut: string | undefined,
    /** Why reading stopped early (`attributes iterator threw: …`), or undefined. */
    readonly error: string | undefined,
  ) {}
}

/**
 * Whether a value is a {@link CollectedAttributes} made here (no Proxy trap runs).
 * @internal
 */
export function isCollected(value: unknown): value is CollectedAttributes {
  return typeof value === "object" && value !== null && CollectedAttributes.has(value);
}

const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, "size")?.get as (this: Map<unknown, unknown>) => number;
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, "size")?.get as (this: Set<unknown>) => number;

/** The number of entries of an Array, Map or Set read without user code, or undefined. */
function knownSize(value: object): number | undefined {
  if (isProxy(value)) return undefined;
  try {
    if (Array.isArray(value)) return value.length;
    if (types.isMap(value)) return mapSize.call(value as Map<unknown, unknown>);
    if (types.isSet(value)) return setSize.call(value as Set<unknown>);
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * Reads at most `max` entries of an iterable lazily, calling `take` for each, then finds out
 * how many were left out: from the size of an Array, Map or Set, or by reading on at most `max`
 * more entries (without rendering them). Never throws: an iterator that throws ends the reading
 * and is described in `error`; the iterator is closed (`return()`) when it was left unfinished.
 * @internal
 */
export function readIterable(
  iterable: Iterable<unknown>,
  max: number,
  take: (pair: unknown) => void,
  describe: (thrown: unknown) => string,
): { cut: string | undefined; error: string | undefined } {
  let iterator: Iterator<unknown>;
  let next: Iterator<unknown>["next"];
  try {
    iterator = iterable[Symbol.iterator]();
    next = iterator.next;
    if (typeof next !== "function") throw new TypeError("the iterator has no next method");
  } catch (thrown) {
    return { cut: undefined, error: `attributes iterator threw: ${describe(thrown)}` };
  }
  let taken = 0;
  let finished = false;
  try {
    while (taken < max) {
      const step = next.call(iterator);
      if (step.done === true) {
        finished = true;
        break;
      }
      taken++;
      take(step.value);
    }
    if (finished) return { cut: undefined, error: undefined };
    const size = knownSize(iterable as object);
    if (size !== undefined) {
      return { cut: size > taken ? String(size - taken) : undefined, error: undefined };
    }
    let more = 0;
    while (more < max) {
      const step = next.call(iterator);
      if (step.done === true) {
        finished = true;
        break;
      }
      more++;
    }
    return { cut: finished ? (more > 0 ? String(more) : undefined) : `${more}+`, error: undefined };
  } catch (thrown) {
    finished = true;
    return { cut: undefined, error: `attributes iterator threw: ${describe(thrown)}` };
  } finally {
    if (!finished) {
      try {
        const close = iterator.return;
        if (typeof close === "function") Reflect.apply(close, iterator, []);
      } catch {
        // A generator whose finally throws: nothing more to read anyway.
      }
    }
  }
}

/** One entry of an iterable as a `[name, value]` pair (a non-array entry is a value without a name). */
function pairOf(entry: unknown, describe: (thrown: unknown) => string): readonly [unknown, unknown] {
  try {
    return Array.isArray(entry) ? [entry[0], entry[1]] : ["", entry];
  } catch (thrown) {
    return ["slf4ts.error", `attribute could not be read: ${describe(thrown)}`];
  }
}

/**
 * Reads attributes once, at most `maxAttributes` of them (see {@link CollectedAttributes}).
 * Never throws; a getter that throws gives `[getter threw: …]` as the value (`describe` renders
 * what was thrown).
 * @internal
 */
export function collectAttributes(
  attributes: AuditAttributes | CollectedAttributes | null | undefined,
  maxAttributes: number,
  describe: (thrown: unknown) => string = (thrown) => renderOther(thrown),
): CollectedAttributes {
  if (isCollected(attributes)) return attributes;
  const pairs: Array<readonly [unknown, unknown]> = [];
  if (attributes === undefined || attributes === null) return new CollectedAttributes(pairs, undefined, undefined);
  let iterable: boolean;
  try {
    iterable = typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
  } catch (thrown) {
    return new CollectedAttributes(pairs, undefined, `attributes could not be read: ${describe(thrown)}`);
  }
  if (iterable) return collectIterable(attributes as Iterable<unknown>, maxAttributes, describe);
  let keys: string[];
  try {
    keys = Object.keys(attributes);
  } catch (thrown) {
    return new CollectedAttributes(pairs, undefined, `attributes could not be read: ${describe(thrown)}`);
  }
  const n = Math.min(keys.length, maxAttributes);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    let value: unknown;
    try {
      value = (attributes as Record<string, unknown>)[key];
    } catch (thrown) {
      value = `[getter threw: ${describe(thrown)}]`;
    }
    pairs.push([key, value]);
  }
  return new CollectedAttributes(pairs, keys.length > n ? String(keys.length - n) : undefined, undefined);
}

/**
 * Reads an iterable whose `Symbol.iterator` the caller has already looked up (and found a
 * function) as {@link collectAttributes} does, without looking it up again: a getter behind it
 * runs as often as when the record builder reads the iterable itself. Never throws.
 * @internal
 */
export function collectIterable(iterable: Iterable<unknown>, maxAttributes: number, describe: (thrown: unknown) => string): CollectedAttributes {
  const pairs: Array<readonly [unknown, unknown]> = [];
  const { cut, error } = readIterable(iterable, maxAttributes, (entry) => pairs.push(pairOf(entry, describe)), describe);
  return new CollectedAttributes(pairs, cut, error);
}

/**
 * Whether reading `attributes` a second time gives the same pairs without collecting them first:
 * nothing, collected attributes, a plain object, an array or a Map. Any other iterable (a
 * generator, an iterator) may be read only once. False when asking throws.
 * @internal
 */
export function readsAgain(attributes: AuditAttributes | CollectedAttributes | null | undefined): boolean {
  if (attributes === undefined || attributes === null || isCollected(attributes)) return true;
  try {
    return Array.isArray(attributes) || attributes instanceof Map || typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function";
  } catch {
    return false;
  }
}
