/**
 * Dedicated mode with named targets: the file's line is built inside `log()` as without
 * targets (the fused builder), and the targets' own work (rendering their attribute pairs,
 * filters, rate limits, formats, deliveries) is put off until the caller's synchronous code
 * has ended ({@link TargetSet.defer}). What the targets get is what `log()` read: the builder
 * hands back the names and values it wrote, each attribute is read once, and a value that is an
 * object or a Date is replaced by what the builder took when it wrote it (its text; a Date's
 * time, a Date again when the targets run), so nothing runs twice (getters, `toJSON`) and the
 * targets never see a later state than the file.
 *
 * @module
 */
import { CollectedAttributes } from "../record/attributes.js";
import { unsettled, type AttributesRead, type RecordInput } from "../record/builder.js";
import type { RecordRenderer, RenderedRecord } from "../record/render.js";
import type { DeferredRecord, TargetSet } from "../targets/targets.js";

const NO_ATTRIBUTES = new CollectedAttributes([], undefined, undefined);

/** A record put off with its attributes as read: rendered when the targets run. */
class Deferred implements DeferredRecord {
  next: DeferredRecord | undefined = undefined;
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
    for (let i = 0; i < keys.length; i++) pairs[i] = [keys[i], unsettled(values[i])];
    return new CollectedAttributes(pairs, this.cut, undefined);
  }
}

/** A record rendered inside `log()` (it has an object value), put off in order with the others. */
class Rendered implements DeferredRecord {
  next: DeferredRecord | undefined = undefined;
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
 * Hands one record to the targets, their work put off, right after the record builder (compiled
 * with `read`) built the file's message from `input`: what the builder read is in `read`. The
 * builder collected attributes other than a plain object (an iterable, a Proxy) first, so that it
 * and the targets read them once. `at` is the record's time (the file's line has the same).
 * `read` lets go of the caller's objects once the record holds what it needs.
 */
export function handOff(read: AttributesRead, renderRecord: RecordRenderer, targets: TargetSet, eventId: string, input: RecordInput | undefined, at: number): void {
  try {
    targets.defer(deferred(read, renderRecord, eventId, input, at));
  } finally {
    // The caller's objects (the rest is the builder's own: names, texts, times; it refills all).
    read.input = undefined;
    read.source = undefined;
  }
}

/** The record to put off: see {@link handOff}. */
function deferred(read: AttributesRead, renderRecord: RecordRenderer, eventId: string, input: RecordInput | undefined, at: number): DeferredRecord {
  if (input === undefined || input === null) return new Deferred(eventId, at, renderRecord, undefined, undefined, undefined, NO_ATTRIBUTES);
  const source = read.source;
  // The object could not be listed (the builder wrote why, and so does the rendering).
  if (source === undefined || read.input !== input) return new Rendered(eventId, at, renderRecord(eventId, input));
  if (read.keys === undefined) {
    // Collected attributes (the builder's, or the caller's: a filter or a capture collected them).
    const attributes = source as CollectedAttributes;
    const { settled, names } = read;
    const pairs =
      settled === undefined && names === undefined
        ? attributes.pairs
        : attributes.pairs.map((pair, i) => {
            const name = names?.[i] ?? pair[0];
            const stands = settled?.[i];
            return name === pair[0] && stands === undefined ? pair : ([name, stands === undefined ? pair[1] : unsettled(stands)] as const);
          });
    return new Deferred(eventId, at, renderRecord, undefined, undefined, undefined, new CollectedAttributes(pairs, attributes.cut, attributes.error));
  }
  // A plain object: the values as written, an object or a Date replaced by what the builder took (see AttributesRead).
  return new Deferred(eventId, at, renderRecord, read.keys, read.values, read.cut, undefined);
}
