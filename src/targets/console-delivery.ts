/**
 * A console target's delivery ({@link ConsoleDelivery}): records written synchronously to the
 * process's stdout or stderr (file descriptor 1 or 2) with `fs.writeSync`, so a record is in the
 * pipe when `log()` returns, for a container runtime or a collector to read. A full pipe is
 * waited for with a bounded backoff (`blockMs`); past the bound records wait in memory (at most
 * `buffer.size`), in order, and are written by a timer or the next record once the reader reads
 * again. A reader that is gone (EPIPE) is reported once and its records are counted as dropped.
 *
 * @module
 */
import { writeSync } from "node:fs";
import type { Delivery, DeliveryEvents, DeliveryStats, HandOver } from "./delivery.js";
import type { QueueDrops } from "./queue.js";
import type { TargetConsole } from "./spec.js";
import { STALLED } from "./transport.js";

/** Where a console delivery writes: the standard stream, or what a test puts in its place. */
export interface ConsoleOutput {
  /** Writes `bytes[offset, offset + length)`; returns how many bytes were taken; throws the system error (EAGAIN, EPIPE, …). */
  write(bytes: Buffer, offset: number, length: number): number;
  /** Whether Node's own stream of the same descriptor has writes waiting: nothing may go between them. */
  busy(): boolean;
  /** The reader is gone: the Node stream must not crash the process when it meets the same error. */
  gone(error: Error & { code?: string | undefined }): void;
}

/** Errors after which the stream can never be written again. */
const GONE = new Set(["EPIPE", "EBADF", "EINVAL", "ECONNRESET", "ENOTCONN"]);
/** Errors that only say "not now". */
const AGAIN = new Set(["EAGAIN", "EWOULDBLOCK", "EINTR"]);
/** The longest single wait of the backoff (milliseconds). */
const MAX_PAUSE_MS = 50;
/** How often records waiting in memory are tried again at most, and at least (milliseconds). */
const RETRY_MIN_MS = 5;
const RETRY_MAX_MS = 200;

/**
 * The process's stdout or stderr. Node's stream of the descriptor is opened here (as the first
 * `console.log` would): that makes a pipe non-blocking (libuv does), so a write to a full pipe
 * fails with EAGAIN and is waited for here, with a bound, instead of blocking forever.
 *
 * @example
 * ```ts
 * const output = standardOutput("stdout");
 * output.write(Buffer.from("{}\n"), 0, 3);
 * ```
 */
export function standardOutput(stream: "stdout" | "stderr"): ConsoleOutput {
  const fd = stream === "stdout" ? 1 : 2;
  const node = stream === "stdout" ? process.stdout : process.stderr;
  let guarded = false;
  return {
    write: (bytes, offset, length) => writeSync(fd, bytes, offset, length),
    busy: () => node.writableLength > 0,
    gone: () => {
      // The host's next console.log (or our own status line on stderr) would meet the same
      // EPIPE, and an 'error' event without a listener ends the process. Only when the host
      // has no listener of its own: then that error is ignored, any other is thrown as before.
      if (guarded || node.listenerCount("error") > 0) return;
      guarded = true;
      node.on("error", (error: Error & { code?: string }) => {
        if (error.code !== undefined && GONE.has(error.code)) return;
        throw error;
      });
    },
  };
}

const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (the only way to wait inside a synchronous `log()`). */
function sleepSync(ms: number): void {
  Atomics.wait(SLEEP_CELL, 0, 0, ms);
}

/**
 * Delivers to stdout or stderr, synchronously and in order.
 *
 * - A record is written whole before `offer()` returns; a partial write goes on from where it
 *   stopped; EAGAIN (a full pipe) is waited for with a backoff of 1, 2, 4 … 50 ms, for at most
 *   `blockMs` in all.
 * - Past that bound the target counts as stalled (reported once): the rest of the record and
 *   every later one wait in memory, at most `capacity` records, and `offer()` no longer waits.
 *   They are written, in order, by the next record or a timer (5 to 200 ms), and at exit with
 *   one more bounded wait. Records past the capacity are dropped and counted; one
 *   `slf4ts.audit.dropped` record takes their place in the stream.
 * - While Node's own stream of the descriptor has writes waiting (`console.log` into a full
 *   pipe), records wait behind them, so no line is cut by another.
 * - EPIPE (the reader is gone): reported once, never thrown; later records are counted as dropped.
 *
 * @example
 * ```ts
 * const delivery = new ConsoleDelivery({ stream: "stdout", blockMs: 1000 }, 10000, events);
 * delivery.offer(Buffer.from('{"event":"ox.login"}\n'));
 * ```
 */
export class ConsoleDelivery implements Delivery {
  readonly destination: string;
  readonly handsOver = false;
  private readonly queue: Buffer[] = [];
  private head = 0;
  /** Bytes of the first waiting record already written. */
  private headOffset = 0;
  private sent = 0;
  private errors = 0;
  private dropped = 0;
  private drops: { count: number; from: number; to: number } | undefined;
  private stalled = false;
  private failed = false;
  private gone = false;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;

  constructor(
    private readonly settings: TargetConsole,
    private readonly capacity: number,
    private readonly events: DeliveryEvents,
    private readonly output: ConsoleOutput = standardOutput(settings.stream),
    private readonly sleep: (ms: number) => void = sleepSync,
  ) {
    this.destination = settings.stream;
  }

  offer(bytes: Buffer): void {
    if (this.gone) {
      this.dropped++;
      return;
    }
    if (this.waiting() === 0 && this.drops === undefined && !this.output.busy()) {
      const written = this.writeRecord(bytes, 0, this.stalled ? 0 : this.settings.blockMs);
      if (written === bytes.length) {
        this.sent++;
        this.recovered();
        return;
      }
      if (this.gone) {
        this.dropped++;
        return;
      }
      this.queue.push(bytes);
      this.headOffset = written;
      this.stall();
      this.schedule();
      return;
    }
    this.enqueue(bytes);
    this.pump(0, false);
  }

  /** Records waiting in memory. */
  private waiting(): number {
    return this.queue.length - this.head;
  }

  private enqueue(bytes: Buffer): void {
    if (this.waiting() >= this.capacity) {
      const now = Date.now();
      if (this.drops === undefined) this.drops = { count: 0, from: now, to: now };
      this.drops.count++;
      this.drops.to = now;
      this.dropped++;
      return;
    }
    this.placeDropRecord();
    this.queue.push(bytes);
  }

  /** Once there is room again, the record that says how many were dropped takes their place in the stream. */
  private placeDropRecord(): void {
    if (this.drops === undefined) return;
    const drops: QueueDrops = this.drops;
    this.drops = undefined;
    this.queue.push(this.events.dropRecord(drops));
  }

  /**
   * Writes `bytes` from `offset`, waiting for a full pipe up to `budgetMs`; returns how far it
   * got. A permanent failure sets `gone`.
   */
  private writeRecord(bytes: Buffer, offset: number, budgetMs: number): number {
    let waited = 0;
    let pause = 1;
    while (offset < bytes.length) {
      let code: string | undefined;
      try {
        const n = this.output.write(bytes, offset, bytes.length - offset);
        if (n > 0) {
          offset += n;
          pause = 1;
          continue;
        }
        code = "EAGAIN";
      } catch (error) {
        const failure = error as Error & { code?: string };
        code = failure.code ?? "EIO";
        if (!AGAIN.has(code)) {
          this.fail(failure, GONE.has(code));
          return offset;
        }
      }
      if (code === "EINTR") continue;
      if (waited >= budgetMs) return offset;
      const ms = Math.min(pause, budgetMs - waited);
      this.sleep(ms);
      waited += ms;
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
    return offset;
  }

  /** Writes what waits, in order; waits for the pipe up to `budgetMs` in all. */
  private pump(budgetMs: number, ignoreBusy: boolean): void {
    const started = Date.now();
    let progress = false;
    while (this.waiting() > 0 && !this.gone) {
      if (!ignoreBusy && this.output.busy()) break;
      const bytes = this.queue[this.head] as Buffer;
      const budget = Math.max(0, budgetMs - (Date.now() - started));
      const before = this.headOffset;
      const written = this.writeRecord(bytes, this.headOffset, budget);
      if (written > before) progress = true;
      if (written < bytes.length) {
        this.headOffset = written;
        break;
      }
      this.sent++;
      this.queue[this.head++] = EMPTY;
      this.headOffset = 0;
      this.placeDropRecord();
    }
    if (this.gone) {
      this.dropped += this.waiting() + (this.drops?.count ?? 0);
      this.drops = undefined;
      this.queue.length = 0;
      this.head = 0;
      this.headOffset = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.waiting() === 0) {
      if (this.head > 0) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      if (!this.gone) this.recovered();
      return;
    }
    if (progress) this.retryMs = RETRY_MIN_MS;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.gone) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      this.pump(0, false);
    }, this.retryMs);
    // Records waiting do not keep the process alive: the exit hook has the last word.
    this.timer.unref();
  }

  /** The pipe took nothing for `blockMs`: from now on records wait in memory (reported once). */
  private stall(): void {
    if (this.stalled) return;
    this.stalled = true;
    this.errors++;
    this.events.down(
      Object.assign(new Error(`the reader of ${this.destination} took nothing for ${this.settings.blockMs} ms (blockMs); records wait in memory and are written in order when it reads again`), {
        code: STALLED,
      }),
    );
  }

  private fail(error: Error & { code?: string }, permanent: boolean): void {
    this.errors++;
    if (permanent) {
      this.gone = true;
      this.output.gone(error);
    }
    if (this.failed) return;
    this.failed = true;
    this.stalled = true;
    this.events.down(error);
  }

  private recovered(): void {
    if (!this.stalled || this.gone) return;
    this.stalled = false;
    this.failed = false;
    this.events.up(0);
  }

  buffered(): number {
    return this.waiting();
  }

  stats(): DeliveryStats {
    return { sent: this.sent, resent: 0, buffered: this.waiting(), dropped: this.dropped, errors: this.errors, connected: !this.stalled && !this.gone, spooled: false };
  }

  /** Waits (without blocking the thread) until what waits is written, at most `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.pump(0, false);
      if (this.waiting() === 0 || this.gone || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MIN_MS * 2, Math.max(1, deadline - Date.now()))));
    }
  }

  /** The last synchronous chance at process exit: waits for the pipe up to `blockMs`. */
  drainForExit(): void {
    this.pump(this.settings.blockMs, true);
  }

  handOff(): HandOver | undefined {
    return undefined;
  }

  release(): void {
    // A console target has no spool to let go of.
  }

  close(): { lost: number; done: Promise<void> } {
    this.pump(this.settings.blockMs, false);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const lost = this.waiting() + (this.drops?.count ?? 0);
    this.queue.length = 0;
    this.head = 0;
    this.drops = undefined;
    this.gone = true;
    return { lost, done: Promise.resolve() };
  }
}

const EMPTY = Buffer.alloc(0);
