/**
 * Capture for tests: what an audit service was asked to log, rendered as its file would say it.
 * This module holds the public types (kept apart so that the published declarations reach
 * nothing internal); `capture-renderer.ts` renders, `captureAuditRecords` in service.ts hands out
 * the handle.
 */
import type { Level } from "../facade/level.js";

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
