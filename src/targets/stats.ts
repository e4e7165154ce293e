/**
 * What a target reports: its counters ({@link TargetStats}) and the event ids of the records it
 * writes of its own (rate limits, drops). Kept apart from the delivery code so that the public
 * declarations need no Node types.
 *
 * @module
 */

/** The event id of the record that states how many records a target skipped under its rate limit. */
export const RATE_LIMITED_EVENT_ID = "slf4ts.audit.ratelimited";

/** The event id of the record that states how many records a target dropped (as in dedicated mode). */
export const TARGET_DROPPED_EVENT_ID = "slf4ts.audit.dropped";

/** Counters of one target: its delivery's, and what the target itself filtered and limited. */
export interface TargetStats extends DeliveryStats {
  /** The target's name. */
  readonly name: string;
  /** `syslog`, `tcp`, `gelf`, `file` or `console`. */
  readonly type: string;
  /** Where it sends: `tls://host:port`, the file, or `stdout` / `stderr`. */
  readonly destination: string;
  /** Records accepted for this target (after filters and the rate limit). */
  readonly accepted: number;
  /** Records not sent to it because of its include/exclude lists. */
  readonly filtered: number;
  /** Records skipped by its rate limit. */
  readonly rateLimited: number;
}

/** Counters of a delivery. */
export interface DeliveryStats {
  /** Records handed to the operating system (resent ones again); over RELP, records the receiver acknowledged (each once). */
  readonly sent: number;
  /** Records sent again after a connection broke. */
  readonly resent: number;
  /** Records waiting. */
  readonly buffered: number;
  /** Records dropped (buffer or spool full, or never deliverable). */
  readonly dropped: number;
  /** Failed connections, sends or writes. */
  readonly errors: number;
  /** Whether it can deliver now. */
  readonly connected: boolean;
  /** Whether waiting records are kept in an on-disk spool (they survive the process). */
  readonly spooled: boolean;
}
