/**
 * A target's rate limit: at most N records of an event id per interval; the records past it are
 * skipped and counted, and when the interval ends one report says how many were skipped, from
 * when to when. The clock and the timer are injectable, so tests need no waiting.
 *
 * @module
 */

/** The rate limit of one target (`target.<name>.rateLimit`). */
export interface RateLimit {
  /** Records per interval and event id. */
  readonly count: number;
  readonly intervalMs: number;
  /** Whether the limit applies to an event id (`rateLimit.events`). */
  readonly applies: (eventId: string) => boolean;
}

/** What was skipped of one event id in one interval. */
export interface SkippedRecords {
  readonly eventId: string;
  readonly skipped: number;
  /** When the first and the last skipped record were logged (epoch ms). */
  readonly from: number;
  readonly to: number;
}

/** The timers of a {@link RateLimiter}: Node's by default, a test's own in tests. */
export interface LimiterClock {
  now(): number;
  /** Calls `fn` after `ms` (without keeping the process alive); returns what cancels it. */
  later(fn: () => void, ms: number): () => void;
}

/** Node's clock and unref'd timers. */
export const SYSTEM_CLOCK: LimiterClock = {
  now: () => Date.now(),
  later: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

interface RateWindow {
  start: number;
  count: number;
  skipped: number;
  firstSkipped: number;
  lastSkipped: number;
}

/** The most event ids with an open window; past it, every window is reported and forgotten. */
const MAX_WINDOWS = 10_000;

/**
 * Counts records per event id and interval, and reports what it skipped once per window
 * (when the next record of that id comes after the window, or on a timer).
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({ count: 10, intervalMs: 1000, applies: () => true }, (s) => send(skippedRecord(s)));
 * if (limiter.admits("ox.login", Date.now())) send(record);
 * ```
 */
export class RateLimiter {
  /** Records skipped so far. */
  skipped = 0;
  private readonly windows = new Map<string, RateWindow>();
  private cancelFlush: (() => void) | undefined;

  constructor(
    private readonly limit: RateLimit,
    private readonly report: (skipped: SkippedRecords) => void,
    private readonly clock: LimiterClock = SYSTEM_CLOCK,
  ) {}

  /** Whether a record of `eventId` logged at `now` may go; counts it when it may not. */
  admits(eventId: string, now: number): boolean {
    const limit = this.limit;
    if (!limit.applies(eventId)) return true;
    let window = this.windows.get(eventId);
    if (window === undefined) {
      if (this.windows.size >= MAX_WINDOWS) this.flush(now, true);
      window = { start: now, count: 0, skipped: 0, firstSkipped: 0, lastSkipped: 0 };
      this.windows.set(eventId, window);
    } else if (now - window.start >= limit.intervalMs) {
      this.reportSkipped(eventId, window);
      window.start = now;
      window.count = 0;
    }
    if (window.count < limit.count) {
      window.count++;
      return true;
    }
    if (window.skipped === 0) window.firstSkipped = now;
    window.skipped++;
    window.lastSkipped = now;
    this.skipped++;
    this.scheduleFlush();
    return false;
  }

  /** Stops the timer and reports every window's skipped records now. */
  stop(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    this.flush(this.clock.now(), true);
  }

  private scheduleFlush(): void {
    if (this.cancelFlush !== undefined) return;
    this.cancelFlush = this.clock.later(() => {
      this.cancelFlush = undefined;
      this.flush(this.clock.now(), false);
    }, this.limit.intervalMs);
  }

  /** Reports the skipped counts of windows that ended (all, with `all`), and forgets idle ones. */
  private flush(now: number, all: boolean): void {
    let pending = false;
    for (const [eventId, window] of this.windows) {
      if (all || now - window.start >= this.limit.intervalMs) {
        this.reportSkipped(eventId, window);
        this.windows.delete(eventId);
      } else if (window.skipped > 0) {
        pending = true;
      }
    }
    if (pending) this.scheduleFlush();
  }

  private reportSkipped(eventId: string, window: RateWindow): void {
    if (window.skipped === 0) return;
    const skipped = window.skipped;
    window.skipped = 0;
    this.report({ eventId, skipped, from: window.firstSkipped, to: window.lastSkipped });
  }
}
