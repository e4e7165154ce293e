/**
 * The library's own status channel: where configuration problems, I/O failures and their
 * recovery are reported, instead of throwing into the host's code path.
 */
import { getLibraryLogger } from "../facade/logger.js";
import { Level } from "../facade/level.js";
import { sanitizeText } from "../sanitize/escape.js";

/** Stable codes of status events; scripts and tests may rely on them. */
export type StatusCode =
  | "CONFIG_INVALID"
  | "CONFIG_UNREADABLE"
  | "CONFIG_APPLIED"
  | "CONFIG_WARNING"
  | "CONFIG_PENDING"
  | "WRITE_FAILED"
  | "WRITE_RECOVERED"
  | "ROTATE_FAILED"
  | "ROTATION_RECOVERED"
  | "FILE_SHARED"
  | "COMPRESS_FAILED"
  | "EXPIRE_FAILED"
  | "FILTER_FAILED"
  | "RECORD_UNRENDERABLE"
  | "RECORDS_DROPPED"
  | "LEVEL_DISABLED"
  | "AUDIT_DISABLED"
  | "TARGET_FAILED"
  | "TARGET_RECOVERED"

  | "INTEGRITY_STARTED"
  | "INTEGRITY_RECOVERED"
  | "INTEGRITY_FAILED"
  | "INTEGRITY_KEY_READABLE";

/** One status event. */
export interface StatusEvent {
  /** A stable code. */
  readonly code: StatusCode;
  /** How serious it is. */
  readonly level: Level;
  /** A message for people. */
  readonly message: string;
  /** When it happened (epoch milliseconds). */
  readonly timestamp: number;
  /** How many events with the same code were suppressed by rate limiting before this one. */
  readonly suppressed: number;
}

/** Receives status events. */
export type StatusListener = (event: StatusEvent) => void;

const listeners = new Set<StatusListener>();
let clock: () => number = Date.now;
const WINDOW_MS = 60_000;
const MAX_PER_WINDOW = 10;
const windows = new Map<StatusCode, { start: number; count: number; suppressed: number }>();

/** The facade logger status events go to, and the one the reporter checks. */
export const STATUS_LOGGER_NAME = "slf4ts";

function deliverToFacadeOrStderr(event: StatusEvent): void {
  const logger = getLibraryLogger(STATUS_LOGGER_NAME);
  const text = event.suppressed > 0 ? `${event.message} (${event.suppressed} similar reports suppressed)` : event.message;
  if (logger !== undefined && logger.isEnabled(event.level)) {
    logger.log(event.level, "[{}] {}", event.code, text);
  } else if (event.level >= Level.WARN) {
    // Nothing would show it (log4js's default configuration is OFF, and an unloaded log4js is
    // not loaded for it), so say it on stderr,
    // as SLF4J's own reporter does: an operator must see a bad edit without setting anything up.
    // Each line is sanitised on its own: the message may span lines, a value in it may not.
    const safe = text.split("\n").map(sanitizeText).join("\n");
    process.stderr.write(`SLF4TS ${event.level === Level.ERROR ? "ERROR" : "WARN"} [${event.code}] ${safe}\n`);
  }
}

/**
 * The status channel.
 *
 * @example
 * ```ts
 * import { StatusChannel } from "slf4ts";
 * const stop = StatusChannel.subscribe((e) => metrics.increment(`audit.status.${e.code}`));
 * ```
 */
export const StatusChannel = {
  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: StatusListener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /**
   * Reports an event to the listeners and to the `slf4ts` facade logger (or stderr when that
   * logger would show nothing). At most ten events per code are delivered a minute; the rest
   * are counted and the count goes with the next delivered event.
   */
  report(code: StatusCode, level: Level, message: string): void {
    const now = clock();
    let window = windows.get(code);
    if (window === undefined || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0, suppressed: window?.suppressed ?? 0 };
      windows.set(code, window);
    }
    if (window.count >= MAX_PER_WINDOW) {
      window.suppressed++;
      return;
    }
    window.count++;
    const event: StatusEvent = { code, level, message, timestamp: now, suppressed: window.suppressed };
    window.suppressed = 0;
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not stop the others or reach the caller.
      }
    }
    try {
      deliverToFacadeOrStderr(event);
    } catch {
      // Reporting must never throw.
    }
  },
};

/**
 * Forgets the rate-limit state of the status channel. For tests; not part of the package's
 * public surface (src/index.ts does not export it).
 *
 * @example
 * ```ts
 * resetStatusRateLimits();
 * ```
 */
export function resetStatusRateLimits(): void {
  windows.clear();
}

/**
 * Replaces the clock of the status channel's rate limiter; no argument restores `Date.now`.
 * For tests; not part of the package's public surface.
 *
 * @example
 * ```ts
 * setStatusClock(() => 0);
 * ```
 */
export function setStatusClock(now?: () => number): void {
  clock = now ?? Date.now;
}
