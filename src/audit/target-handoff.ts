/**
 * Dedicated mode with named targets: the file's line is built inside `log()` as without
 * targets (the fused builder), and the targets' own work (rendering their attribute pairs,
 * filters, rate limits, formats, deliveries) is put off until the caller's synchronous code
 * has ended ({@link TargetSet.defer}). What the targets get is what `log()` read: the builder
 * hands back the names and values it wrote, each attribute is read once, and a value the caller
 * could change afterwards (an object) is rendered inside `log()`, so the targets never see a
 * later state than the file.
 *
 * @module
 */
import { types } from "node:util";
import { CollectedAttributes, collectAttributes, isCollected } from "../record/attributes.js";
import { dateTimeOf, type AttributesRead, type RecordBuilder, type RecordInput } from "../record/builder.js";
import type { RecordRenderer, RenderedRecord } from "../record/render.js";
import type { DeferredRecord, TargetSet } from "../targets/targets.js";

const isProxy = types.isProxy;

const NO_ATTRIBUTES = new CollectedAttributes([], undefined, undefined);

/** A record put off with its attributes as read: rendered when the targets run. */
class Deferred implements DeferredRecord {
  constructor(
    readonly eventId: string,
    readonly at: number,
    private readonly renderRecord: RecordRenderer,
    private readonly keys: readonly unknown[] | undefined,
    private readonly values: readonly unknown[] | undefined,
    private readonly cut: string | undefined,
    private readonly collected: CollectedAttributes | undefined,
  ) {}

  render(): RenderedRecord {
    return this.renderRecord(this.eventId, this.attributes());
  }

  private attributes(): CollectedAttributes {
    if (this.collected !== undefined) return this.collected;
    const keys = this.keys as readonly unknown[];
    const values = this.values as readonly unknown[];
    const pairs: Array<readonly [unknown, unknown]> = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) pairs[i] = [keys[i], values[i]];
    return new CollectedAttributes(pairs, this.cut, undefined);
  }
}

/** A record rendered inside `log()` (it has an object value), put off in order with the others. */
class Rendered implements DeferredRecord {
  constructor(
    readonly eventId: string,
    readonly at: number,
    private readonly record: RenderedRecord,
  ) {}

  render(): RenderedRecord {
    return this.record;
  }
}

/**
 * Whether every value can wait for the targets as it is: strings, numbers, booleans, bigints,
 * symbols, null and undefined cannot change; a Date is replaced by a copy (in `values`, which
 * the builder made for this record); anything else makes it false.
 */
function settle(values: unknown[]): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const type = typeof value;
    if (type === "function") return false;
    if (type !== "object" || value === null) continue;
    const time = dateTimeOf(value);
    if (time === undefined) return false;
    values[i] = new Date(time);
  }
  return true;
}

/**
 * Builds the file's message of one record and hands the record to the targets, their work put
 * off. Attributes other than a plain object (an iterable, a Proxy) are collected first, so
 * that the builder and the targets read them once. `build` must have been compiled with `read`.
 * Returns the message.
 */
export function buildAndHandOff(
  build: RecordBuilder,
  read: AttributesRead,
  renderRecord: RecordRenderer,
  targets: TargetSet,
  maxAttributes: number,
  eventId: string,
  input: RecordInput | undefined,
): string {
  let attributes = input;
  if (attributes !== undefined && attributes !== null && !isCollected(attributes) && (isProxy(attributes) || isIterable(attributes))) {
    attributes = collectAttributes(attributes, maxAttributes);
  }
  const at = Date.now();
  const message = build(eventId, attributes);
  if (attributes === undefined || attributes === null) {
    targets.defer(new Deferred(eventId, at, renderRecord, undefined, undefined, undefined, NO_ATTRIBUTES));
    return message;
  }
  if (isCollected(attributes)) {
    const values = attributes.pairs.map((pair) => pair[1]);
    if (settle(values)) {
      const pairs = attributes.pairs.map((pair, i) => [pair[0], values[i]] as const);
      targets.defer(new Deferred(eventId, at, renderRecord, undefined, undefined, undefined, new CollectedAttributes(pairs, attributes.cut, attributes.error)));
    } else {
      targets.defer(new Rendered(eventId, at, renderRecord(eventId, attributes)));
    }
    return message;
  }
  const { keys, values, cut } = read;
  if (keys === undefined || values === undefined) {
    // The object could not be listed: the builder wrote why, and so does the rendering.
    targets.defer(new Rendered(eventId, at, renderRecord(eventId, attributes)));
    return message;
  }
  if (settle(values as unknown[])) {
    targets.defer(new Deferred(eventId, at, renderRecord, keys, values, cut, undefined));
  } else {
    const pairs = keys.map((key, i) => [key, values[i]] as const);
    targets.defer(new Rendered(eventId, at, renderRecord(eventId, new CollectedAttributes(pairs, cut, undefined))));
  }
  return message;
}

/** Whether attributes are an iterable (read once, so collected first); true when asking throws (the collection says why). */
function isIterable(attributes: object): boolean {
  try {
    return typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
  } catch {
    return true;
  }
}
