/**
 * The one rendering of an audit event that every consumer shares: {@link compileRecordRenderer}
 * reads the attributes once, renders and masks each value once, writes the record's message in
 * the configured format (escaped, cut to `maxLength`) and gives the same attributes as text, cut
 * at the same place, to whoever wants them as pairs (the targets' formats). Nothing is written
 * and then parsed back.
 *
 * Dedicated mode without targets keeps the fused builder (`builder.ts`), which writes the same
 * message in one pass; `test/render.test.ts` checks that the two agree byte for byte.
 *
 * @module
 */
import { createIsoMillisFormatter } from "../java/date.js";
import { CUT_NAME, DEFAULT_MAX_ATTRIBUTES, collectAttributes, type CollectedAttributes } from "./attributes.js";
import { MIN_MAX_LENGTH, cutPlace, isDate, truncationMarker, valueRenderOptions, type RecordInput, type RecordOptions } from "./builder.js";
import { NULL_MARKER, compileEscaping } from "./escaping.js";
import { renderOther } from "./values.js";

const dateGetTime = Date.prototype.getTime;

/** The most characters escaping writes for one UTF-16 code unit (`\uXXXX`; see `escaping.ts`). */
const MAX_ESCAPED = 6;

/** How a rendered value is written in a message. */
const enum Kind {
  /** Text, escaped when written. */
  Text,
  /** Written as it is (numbers, booleans, bigints, `Invalid Date`: as the builder writes them). */
  Verbatim,
  /** `null` or `undefined`: `\N`. */
  Null,
  /** A valid Date: each consumer writes it in its own date format (masked, for a secret). */
  Date,
  /** The final `slf4ts.cut=N` of a record whose attributes were cut (N in `text`). */
  Cut,
  /** `slf4ts.error`: why reading the attributes stopped (its name is written as it is). */
  Error,
}

/** One attribute, rendered. */
interface Field {
  readonly name: string;
  readonly kind: Kind;
  /** The text (Text, Verbatim, Cut), or "" (Null, Date). */
  readonly text: string;
  /** Date: the instant. */
  readonly time: number;
  /** Date: whether it is a secret's value (masked after formatting). */
  readonly masked: boolean;
}

/**
 * One audit event, rendered once: the message of its record and its attributes as text.
 *
 * @example
 * ```ts
 * const render = compileRecordRenderer({ delimiter: ", ", includeAttributeNames: true, maskNames: ["password"] }, (ms) => new Date(ms).toISOString());
 * const record = render("ox.login", { login: "ann", password: "hunter2" });
 * record.message; // "ox.login, login=ann, password=****"
 * record.attributes; // [["login", "ann"], ["password", "****"]]
 * ```
 */
export interface RenderedRecord {
  /** The event id, as logged. */
  readonly eventId: string;
  /** The record's message in the configured format (what the dedicated file and standard mode write). */
  readonly message: string;
  /**
   * The attributes as text, secrets masked, `null` for a null value, dates in ISO 8601 with
   * milliseconds, cut where the message is cut (the value there ends with the marker); a record
   * whose attributes were cut ends with `["slf4ts.cut", N]`. Made on first use.
   */
  readonly attributes: ReadonlyArray<readonly [string, string | null]>;
}

/** Renders one event; compiled once per configuration by {@link compileRecordRenderer}. */
export type RecordRenderer = (eventId: string, attributes?: RecordInput) => RenderedRecord;

/**
 * A record that cannot be cut, whose message and attribute pairs are made when first asked
 * for: the targets' formats other than plain never read the message.
 */
class Uncut implements RenderedRecord {
  private text: string | undefined;
  private pairs: ReadonlyArray<readonly [string, string | null]> | undefined;

  constructor(
    readonly eventId: string,
    private readonly fields: readonly Field[],
    private readonly toMessage: (eventId: string, fields: readonly Field[]) => string,
    private readonly toPairs: (fields: readonly Field[]) => ReadonlyArray<readonly [string, string | null]>,
  ) {}

  get message(): string {
    return (this.text ??= this.toMessage(this.eventId, this.fields));
  }

  get attributes(): ReadonlyArray<readonly [string, string | null]> {
    return (this.pairs ??= this.toPairs(this.fields));
  }
}

/** A record whose attribute pairs are made when first asked for. */
class Rendered implements RenderedRecord {
  private pairs: ReadonlyArray<readonly [string, string | null]> | undefined;

  constructor(
    readonly eventId: string,
    readonly message: string,
    private readonly toPairs: () => ReadonlyArray<readonly [string, string | null]>,
  ) {}

  get attributes(): ReadonlyArray<readonly [string, string | null]> {
    return (this.pairs ??= this.toPairs());
  }
}

/** Dates of the attribute pairs: ISO 8601 with milliseconds, as the targets' formats expect (`toISOString`, the text of each second made once). */
const isoDate = createIsoMillisFormatter();

const describers = new WeakMap<RecordOptions, (thrown: unknown) => string>();

/**
 * How what was thrown while attributes were read (a getter, an iterator) is described under
 * `options`' masking, as the record builder and the renderer describe it: for the places that
 * collect attributes before either sees them (filters, captures, standard mode), so that a
 * masked name inside what was thrown is masked there too. One function per options object.
 * @internal
 */
export function describerFor(options: RecordOptions): (thrown: unknown) => string {
  let describe = describers.get(options);
  if (describe === undefined) {
    const renderOptions = valueRenderOptions(options);
    describe = (thrown: unknown): string => renderOther(thrown, renderOptions);
    describers.set(options, describe);
  }
  return describe;
}

/**
 * Compiles the renderer of a configuration: the same options and date formatter as
 * `compileRecordBuilder`, and its message is the builder's, byte for byte. The attribute pairs
 * write dates with `pairDate` (default: ISO 8601 with milliseconds, as the targets expect). Never throws for
 * any value and always ends; a non-string or empty event id, or attributes that are neither an
 * object nor an iterable, are programmer errors and throw a `TypeError`.
 *
 * @example
 * ```ts
 * const render = compileRecordRenderer({ delimiter: "|", includeAttributeNames: true }, (ms) => new Date(ms).toISOString());
 * render("ox.login", { login: "thorben" }).message; // "ox.login|login=thorben"
 * ```
 */
export function compileRecordRenderer(
  options: RecordOptions,
  formatDate: (epochMillis: number) => string,
  pairDate: (epochMillis: number) => string = isoDate,
): RecordRenderer {
  const escaping = compileEscaping(options.delimiter);
  const { escapeValue, escapeName } = escaping;
  const delimiter = options.delimiter;
  const names = options.includeAttributeNames;
  const maxLength = options.maxLength ?? Infinity;
  if (maxLength !== Infinity && !(Number.isInteger(maxLength) && maxLength >= MIN_MAX_LENGTH)) {
    throw new RangeError(`maxLength must be a whole number of characters from ${MIN_MAX_LENGTH}, got ${String(maxLength)}`);
  }
  const maxAttributes = options.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES;
  if (!(Number.isInteger(maxAttributes) && maxAttributes >= 1)) {
    throw new RangeError(`maxAttributes must be a whole number of attributes from 1, got ${String(maxAttributes)}`);
  }
  const renderOptions = valueRenderOptions(options);
  const isMaskedName = renderOptions.isMaskedName;
  const mask = renderOptions.mask ?? ((text: string): string => text);
  const render = (value: unknown): string => renderOther(value, renderOptions);
  const unrenderable = (error: unknown): string => `[unrenderable: ${render(error)}]`;

  /** A date's text in a format; for a secret, masked. */
  const dateText = (field: Field, format: (time: number) => string): string => {
    let text: string;
    try {
      text = format(field.time);
    } catch (error) {
      text = unrenderable(error);
    }
    return field.masked ? mask(text) : text;
  };

  const text = (kind: Kind, value: string): Field => ({ name: "", kind, text: value, time: NaN, masked: false });

  /** Renders one value (the builder's rules: renderValue and renderMasked). */
  const field = (name: string, value: unknown): Field => {
    const masked = isMaskedName !== undefined && isMaskedName(name);
    if (value === null || value === undefined) return { name, kind: Kind.Null, text: "", time: NaN, masked };
    let rendered: string;
    switch (typeof value) {
      case "string":
        return { name, kind: Kind.Text, text: masked ? mask(value) : value, time: NaN, masked };
      case "number":
      case "boolean":
      case "bigint":
        return masked ? { name, kind: Kind.Text, text: mask(String(value)), time: NaN, masked } : { name, kind: Kind.Verbatim, text: String(value), time: NaN, masked };
      default:
        try {
          if (isDate(value)) {
            const time = dateGetTime.call(value);
            if (Number.isNaN(time)) return masked ? { name, kind: Kind.Text, text: mask("Invalid Date"), time, masked } : { name, kind: Kind.Verbatim, text: "Invalid Date", time, masked };
            return { name, kind: Kind.Date, text: "", time, masked };
          }
          rendered = render(value);
        } catch (error) {
          rendered = unrenderable(error);
        }
        return { name, kind: Kind.Text, text: masked ? mask(rendered) : rendered, time: NaN, masked };
    }
  };

  const fieldsOf = (attributes: CollectedAttributes): Field[] => {
    const fields: Field[] = [];
    for (const [name, value] of attributes.pairs) fields.push(field(typeof name === "string" ? name : render(name), value));
    if (attributes.error !== undefined) fields.push({ ...text(Kind.Error, attributes.error), name: "slf4ts.error" });
    if (attributes.cut !== undefined) fields.push({ ...text(Kind.Cut, attributes.cut), name: CUT_NAME });
    return fields;
  };

  /** What a field's value is in the message, before escaping (Cut without names: `slf4ts.cut=N`). */
  const messageText = (f: Field): string => {
    switch (f.kind) {
      case Kind.Date:
        return dateText(f, formatDate);
      case Kind.Cut:
        return names ? f.text : `${CUT_NAME}=${f.text}`;
      default:
        return f.text;
    }
  };

  /** The pairs of the fields before `count`, and of field `count` cut after `prefix` message characters. */
  const pairsOf = (fields: readonly Field[], count: number, prefix: number, marker: string): ReadonlyArray<readonly [string, string | null]> => {
    const pairs: Array<readonly [string, string | null]> = [];
    for (let i = 0; i < count && i < fields.length; i++) {
      const f = fields[i] as Field;
      pairs.push([f.name, f.kind === Kind.Null ? null : f.kind === Kind.Date ? dateText(f, pairDate) : f.text]);
    }
    const f = fields[count];
    if (f === undefined || prefix < 0) return pairs;
    // The value where the message was cut: its text up to the same place, then the marker.
    let kept: string;
    if (f.kind === Kind.Null) {
      kept = "";
    } else {
      const written = messageText(f);
      const end = f.kind === Kind.Verbatim ? prefix : escaping.rawIndexOf(written, prefix);
      // A date is cut in the pairs where its text in the message was cut (the formats differ).
      const own = f.kind === Kind.Date ? dateText(f, pairDate) : f.text;
      kept = own.slice(0, f.kind === Kind.Cut && !names ? Math.max(0, end - CUT_NAME.length - 1) : end);
    }
    pairs.push([f.name, kept + marker]);
    return pairs;
  };

  /** The message of a record that is not cut (the loop below without the bookkeeping of where values are). */
  const messageOf = (eventId: string, fields: readonly Field[]): string => {
    let message = escapeValue(eventId);
    for (const f of fields) {
      message += delimiter;
      if (names) message += (f.kind === Kind.Error ? f.name : escapeName(f.name)) + "=";
      message += f.kind === Kind.Null ? NULL_MARKER : f.kind === Kind.Verbatim ? f.text : escapeValue(messageText(f));
    }
    return message;
  };
  const allPairs = (fields: readonly Field[]): ReadonlyArray<readonly [string, string | null]> => pairsOf(fields, fields.length, -1, "");

  /**
   * An upper bound of the message's length without writing it: escaping writes at most
   * {@link MAX_ESCAPED} characters for one (`\uXXXX`).
   */
  const longest = (eventId: string, fields: readonly Field[]): number => {
    let length = eventId.length * MAX_ESCAPED;
    for (const f of fields) {
      length += delimiter.length;
      if (names) length += f.name.length * MAX_ESCAPED + 1;
      length += f.kind === Kind.Null ? NULL_MARKER.length : messageText(f).length * MAX_ESCAPED;
    }
    return length;
  };

  return (eventId, attributes) => {
    if (typeof eventId !== "string" || eventId === "") {
      throw new TypeError(eventId === "" ? "audit event id must not be empty" : `audit event id must be a string, got ${typeof eventId}`);
    }
    if (attributes !== undefined && attributes !== null && typeof attributes !== "object") {
      throw new TypeError(`audit attributes must be an object or an iterable of [name, value] pairs, got ${typeof attributes}`);
    }
    const fields = fieldsOf(collectAttributes(attributes, maxAttributes, render));
    // A message that cannot reach maxLength is written only when asked for.
    if (longest(eventId, fields) <= maxLength) return new Uncut(eventId, fields, messageOf, allPairs);
    let message = escapeValue(eventId);
    // Where each field's value starts and ends in the message.
    const starts: number[] = [];
    const ends: number[] = [];
    for (const f of fields) {
      message += delimiter;
      // As the builder writes them: the name of slf4ts.error unescaped, that of slf4ts.cut escaped.
      if (names) message += (f.kind === Kind.Error ? f.name : escapeName(f.name)) + "=";
      starts.push(message.length);
      message += f.kind === Kind.Null ? NULL_MARKER : f.kind === Kind.Verbatim ? f.text : escapeValue(messageText(f));
      ends.push(message.length);
    }
    if (message.length <= maxLength) return new Rendered(eventId, message, () => pairsOf(fields, fields.length, -1, ""));
    const { cut, marker, removed } = cutPlace(message, message.length, maxLength, delimiter, names, escapeValue);
    // The field whose value the cut falls in (never in a name or a delimiter), or -1: the event id.
    let at = -1;
    for (let i = fields.length - 1; i >= 0; i--) {
      if ((starts[i] as number) <= cut) {
        at = i;
        break;
      }
    }
    const plainMarker = truncationMarker(removed);
    const pairs = at < 0 ? (): ReadonlyArray<readonly [string, string | null]> => [] : () => pairsOf(fields, at, cut - (starts[at] as number), plainMarker);
    return new Rendered(eventId, message.slice(0, cut) + marker, pairs);
  };
}
