/**
 * Renders the records of captureAuditRecords (see capture.ts): the one record renderer, with the
 * attribute pairs' dates in the file's date format.
 */
import { resolveConfig, type AuditConfig } from "../config/schema.js";
import { formatProblem } from "../config/errors.js";
import { compileRecordRenderer, type RecordRenderer } from "../record/render.js";
import type { RecordInput } from "../record/builder.js";
import type { CapturedAuditRecord } from "./capture.js";

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
