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

/** Counters of one target. */
export interface TargetStats {
  /** The target's name. */
  readonly name: string;
  /** `syslog`, `tcp`, `gelf` or `file`. */
  readonly type: string;
  /** Where it sends: `tls://host:port`, or the file. */
  readonly destination: string;
  /** Records accepted for this target (after filters and the rate limit). */
  readonly accepted: number;
  /** Records not sent to it because of its include/exclude lists. */
  readonly filtered: number;
  /** Records skipped by its rate limit. */
  readonly rateLimited: number;
  /** Records handed to the operating system (resent ones again). */
  readonly sent: number;
  /** Records sent again after a connection broke. */
  readonly resent: number;
  /** Records waiting to be sent. */
  readonly buffered: number;
  /** Records dropped because the buffer or spool was full. */
  readonly dropped: number;
  /** Failed connections, sends or writes. */
  readonly errors: number;
  /** Whether it can send now. */
  readonly connected: boolean;
  /** Whether waiting records are kept in an on-disk spool (they survive the process). */
  readonly spooled: boolean;
}
