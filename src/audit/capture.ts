/**
 * Capture for tests: what an audit service was asked to log, rendered as its file would say it.
 * The service hands each accepted event to its captures (`AuditLogServiceImpl.capture`); this
 * module holds the record type and the rendering, `captureAuditRecords` in service.ts hands out
 * the handle.
 */
import type { Level } from "../facade/level.js";
import { resolveConfig, type AuditConfig } from "../config/schema.js";
import { formatProblem } from "../config/errors.js";
import { compileRecordRenderer, type RecordRenderer } from "../record/render.js";
import type { RecordInput } from "../record/builder.js";

/**
 * One audit event as a capture keeps it: the attributes rendered and masked exactly as the
 * configured file writes them (dates in the configured date format, secrets masked, values cut
 * where the record is cut), unescaped.
 */
export interface CapturedAuditRecord {
  /** The event id, as logged. */
  readonly eventId: string;
  /**
   * The attributes by name, each value as the record writes it (`null` for a null or undefined
   * value). With several attributes of one name (an iterable of pairs), the last one is here;
   * a record whose attributes were cut has `"slf4ts.cut"` last.
   */
  readonly attributes: Readonly<Record<string, string | null>>;
  /** The record's message: the line's text after its prefix, escaped and cut as in the file. */
  readonly message: string;
  /** The configured level of audit records (`level`). */
  readonly level: Level;
  /** When `log()` was called, in epoch milliseconds. */
  readonly timestamp: number;
}

/** What {@link captureAuditRecords} hands back. */
export interface AuditCapture {
  /** The records captured so far, oldest first (a live, read-only view). */
  readonly records: readonly CapturedAuditRecord[];
  /** Forgets the records captured so far; capturing goes on. */
  clear(): void;
  /** Stops capturing; the records stay readable. Calling it again does nothing. */
  stop(): void;
}

/** Renders captured records for one configuration (compiled once, on first capture). */
export class CaptureRenderer {
  private render: RecordRenderer | undefined;
  constructor(readonly config: AuditConfig) {}

  /** The captured form of one event. Never throws (the event id and attributes were checked). */
  record(eventId: string, input: RecordInput | undefined, timestamp: number): CapturedAuditRecord {
    const render = (this.render ??= compileRecordRenderer(this.config, this.config.formatDate, this.config.formatDate));
    const rendered = render(eventId, input);
    return Object.freeze({
      eventId,
      attributes: Object.freeze(Object.fromEntries(rendered.attributes)) as Readonly<Record<string, string | null>>,
      message: rendered.message,
      level: this.config.level,
      timestamp,
    });
  }
}

let defaults: AuditConfig | undefined;

/** The configuration of a service that was never configured: every key at its default. */
export function defaultConfig(): AuditConfig {
  if (defaults === undefined) {
    const result = resolveConfig([], process.cwd());
    if (!result.ok) throw new Error(`the default audit configuration is invalid: ${result.problems.map((p) => formatProblem(p)).join("; ")}`);
    defaults = result.config;
  }
  return defaults;
}
