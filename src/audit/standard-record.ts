/**
 * The log record of an audit event in standard mode, as the facade's binding receives it: the
 * rendered record as the message, and as key–values the event id (`eventId`) and each attribute,
 * rendered and masked by the record renderer the targets share; the marker `AUDIT`.
 *
 * The key–values are made when a binding first reads them: log4js and the console write only
 * the message (from the fused builder, as before), so they pay nothing for the fields, and a
 * structured binding (pino, winston, OpenTelemetry) pays one rendering.
 */
import type { Level } from "../facade/level.js";
import type { KeyValuePair, LogRecord } from "../facade/binding.js";
import { MarkerFactory, type Marker } from "../facade/marker.js";
import type { RecordInput } from "../record/builder.js";
import type { RecordRenderer, RenderedRecord } from "../record/render.js";
import { AUDIT_EVENT_ID_KEY, AUDIT_LOGGER_NAME, AUDIT_MARKER_NAME } from "./names.js";

/** The markers of every standard-mode record: `AUDIT`. */
const AUDIT_MARKERS: readonly Marker[] = Object.freeze([MarkerFactory.getMarker(AUDIT_MARKER_NAME)]);

/** The key–values of a rendered record: `eventId`, then the attribute pairs (cut as the message is). */
export function auditKeyValues(record: RenderedRecord): readonly KeyValuePair[] {
  const pairs: KeyValuePair[] = [{ key: AUDIT_EVENT_ID_KEY, value: record.eventId }];
  for (const [key, value] of record.attributes) pairs.push({ key, value });
  return pairs;
}

/**
 * One audit event as a facade record. `input` must read the same a second time (see
 * `readsAgain`): the message was built from it, and the key–values are rendered from it again
 * when asked for, unless `rendered` (the targets' rendering) is there already.
 */
export class StandardRecord implements LogRecord {
  readonly loggerName = AUDIT_LOGGER_NAME;
  readonly error = undefined;
  readonly markers = AUDIT_MARKERS;
  /** The message is the rendered record: text bindings write it alone. */
  readonly messageHasKeyValues = true;
  private pairs: readonly KeyValuePair[] | undefined;

  constructor(
    readonly level: Level,
    readonly message: string,
    readonly mdc: ReadonlyMap<string, string>,
    readonly timestamp: number,
    private readonly eventId: string,
    private readonly input: RecordInput | undefined,
    private readonly render: RecordRenderer,
    private readonly rendered: RenderedRecord | undefined,
  ) {}

  get keyValues(): readonly KeyValuePair[] {
    return (this.pairs ??= auditKeyValues(this.rendered ?? this.render(this.eventId, this.input)));
  }
}
