/**
 * Keeps records in order while their destination fails: a bounded queue in front of a
 * synchronous `write(line) => boolean`, retried with exponential backoff, drained in the
 * original order once writing works again. Past the capacity, records are dropped and counted;
 * the first write after recovery is told how many, and between which times.
 */

/** What was dropped while the queue was full. */
export interface DropReport {
  /** How many records were dropped. */
  readonly count: number;
  /** When the first of them was offered (epoch milliseconds). */
  readonly from: number;
  /** When the last of them was offered. */
  readonly to: number;
}

/** Counters of a {@link RetryBuffer}. */
export interface RetryBufferStats {
  /** Records waiting in the queue now. */
  readonly buffered: number;
  /** Records dropped because the queue was full, since creation. */
  readonly dropped: number;
  /** The most records that waited at once. */
  readonly highWater: number;
}

/** Options of a {@link RetryBuffer}. */
export interface RetryBufferOptions {
  /** How many records may wait (0: none; every failed record is dropped and counted). */
  readonly capacity: number;
  /** Writes one record; false when it could not. Must not throw. */
  readonly write: (line: string) => boolean;
  /** Called, once the queue has drained, with what was dropped meanwhile; returns the record to write for it. */
  readonly dropRecord: (report: DropReport) => string;
  /** First retry delay (default 100 ms); doubles up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  /** Longest retry delay (default 5000 ms). */
  readonly maxDelayMs?: number;
  /** The clock (tests inject one). */
  readonly now?: () => number;
  /**
   * Batched durability: records always queue, and are written together (`writeMany`) when
   * `maxBytes` of them wait (synchronously, in `offer()`: back-pressure) or `maxDelayMs` after
   * the first one, whichever comes first.
   */
  readonly batch?: { readonly maxDelayMs: number; readonly maxBytes: number };
  /** Writes `lines[start..end)` in order; returns how many were written. Needed with `batch`. */
  readonly writeMany?: (lines: readonly string[], start: number, end: number) => number;
}

/**
 * The queue. `offer()` writes at once when nothing is waiting; otherwise it queues, so records
 * are always written in the order they were offered.
 *
 * @example
 * ```ts
 * const buffer = new RetryBuffer({ capacity: 100000, write: (l) => writer.write(l), dropRecord: (r) => `dropped ${r.count}\n` });
 * buffer.offer("ox.login, login=thorben\n");
 * ```
 */
export class RetryBuffer {
  private readonly queue: string[] = [];
  private head = 0;
  private dropped = 0;
  private droppedTotal = 0;
  /** `droppedTotal` when {@link handOver} last ran. */
  private droppedHandedOver = 0;
  private dropFrom = 0;
  private dropTo = 0;
  private highWater = 0;
  private delay: number;
  private nextAttempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private queuedChars = 0;
  /** A write of this buffer is under way (see {@link offer}). */
  private busy = false;
  private capacity: number;
  private readonly clock: () => number;

  constructor(private readonly options: RetryBufferOptions) {
    this.capacity = options.capacity;
    this.delay = options.initialDelayMs ?? 100;
    this.clock = options.now ?? Date.now;
  }

  /** Records waiting now. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Records dropped whose drop record is not written yet. */
  get dropsToState(): number {
    return this.dropped;
  }

  /** Counters. */
  stats(): RetryBufferStats {
    return { buffered: this.size, dropped: this.droppedTotal, highWater: this.highWater };
  }

  /** Changes the capacity (a reload); records already waiting stay. */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
  }

  /**
   * Writes `line` now, or queues it behind the records already waiting. Returns true when it
   * was written now.
   */
  offer(line: string): boolean {
    // Offered from inside a write of this buffer (a status listener that logs when a write fails
    // or recovers, or when drops are stated): queued behind what is being written, which the
    // running write or drain goes on to write. Never a second write of the same records.
    if (this.busy) {
      this.enqueue(line);
      this.queuedChars += line.length;
      return false;
    }
    const batch = this.options.batch;
    if (batch !== undefined) {
      this.enqueue(line);
      this.queuedChars += line.length;
      if (this.failing) {
        if (this.clock() >= this.nextAttempt) this.drain();
      } else if (this.queuedChars >= batch.maxBytes) {
        this.drain();
      } else if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.drain();
        }, batch.maxDelayMs);
        this.timer.unref();
      }
      return false;
    }
    if (this.size === 0 && this.dropped === 0) {
      this.busy = true;
      let written: boolean;
      try {
        written = this.options.write(line);
      } finally {
        this.busy = false;
      }
      if (written) {
        // Records offered while it was written go now, behind it.
        if (this.size > 0) this.drain();
        return true;
      }
      // Before those offered while its write failed: it came first.
      const later = this.queue.splice(this.head);
      this.enqueue(line);
      for (const other of later) this.enqueue(other);
      this.schedule();
      return false;
    }
    this.enqueue(line);
    if (this.clock() >= this.nextAttempt) this.drain();
    return false;
  }

  /**
   * Queues `lines[start..]`, whose write the caller has just tried and seen fail (a batch it
   * wrote itself), behind what waits, in order, and schedules the retry: what `offer()` does
   * after its own write fails, without a second try now.
   */
  failed(lines: readonly string[], start: number): void {
    for (let i = start; i < lines.length; i++) this.enqueue(lines[i] as string);
    this.schedule();
  }

  private enqueue(line: string): void {
    if (this.size >= this.capacity) {
      const now = this.clock();
      if (this.dropped === 0) this.dropFrom = now;
      this.dropTo = now;
      this.dropped++;
      this.droppedTotal++;
      return;
    }
    this.queue.push(line);
    if (this.size > this.highWater) this.highWater = this.size;
  }

  /**
   * Writes waiting records in order until one fails (then a retry is scheduled with a longer
   * delay) or the queue is empty (then a drop record is written if records were dropped).
   * Returns true when nothing is left waiting.
   */
  drain(): boolean {
    // Called from inside its own write (a status listener that flushes): the running drain goes on.
    if (this.busy) return false;
    this.busy = true;
    try {
      for (;;) {
        if (!this.drainQueue()) {
          this.backOff();
          return false;
        }
        if (this.dropped > 0) {
          // Taken before the record is made: the report (a status listener) may drop more.
          const report: DropReport = { count: this.dropped, from: this.dropFrom, to: this.dropTo };
          this.dropped = 0;
          if (!this.options.write(this.options.dropRecord(report))) {
            // Stated later, together with what was dropped meanwhile.
            this.dropped += report.count;
            this.dropFrom = report.from;
            if (this.dropped === report.count) this.dropTo = report.to;
            this.backOff();
            return false;
          }
        }
        // Records offered while the last ones were written (a status listener that logs).
        if (this.head >= this.queue.length && this.dropped === 0) break;
      }
    } finally {
      this.busy = false;
    }
    this.delay = this.options.initialDelayMs ?? 100;
    this.failing = false;
    this.cancelTimer();
    return true;
  }

  /** Writes what waits, in order, until the queue is empty (true) or a write fails (false). */
  private drainQueue(): boolean {
    const writeMany = this.options.writeMany;
    if (writeMany !== undefined && this.head < this.queue.length) {
      const end = this.queue.length;
      const written = writeMany(this.queue, this.head, end);
      this.head += written;
      if (this.head < end) {
        this.queue.splice(0, this.head);
        this.head = 0;
        this.queuedChars = this.queue.reduce((sum, line) => sum + line.length, 0);
        return false;
      }
    }
    while (this.head < this.queue.length) {
      if (!this.options.write(this.queue[this.head] as string)) return false;
      this.queue[this.head] = "";
      this.head++;
      // Compact now and then so the array does not grow without bound.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
    }
    this.queue.length = 0;
    this.head = 0;
    this.queuedChars = 0;
    return true;
  }

  private backOff(): void {
    this.failing = true;
    this.cancelTimer();
    this.nextAttempt = this.clock() + this.delay;
    this.delay = Math.min(this.delay * 2, this.options.maxDelayMs ?? 5000);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    if (this.nextAttempt === 0 || this.nextAttempt < this.clock()) this.nextAttempt = this.clock() + this.delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, Math.max(0, this.nextAttempt - this.clock()));
    // A retry must not keep the host alive; exit hooks try a last drain.
    this.timer.unref();
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Stops, and hands what waits to a successor (a reload): the records, in order, the drops not
   * yet stated in a record, and how many were dropped here since the previous hand-over.
   * Counters stay as they are.
   */
  handOver(): { lines: string[]; drops: DropReport | undefined; dropped: number } {
    const drops: DropReport | undefined = this.dropped > 0 ? { count: this.dropped, from: this.dropFrom, to: this.dropTo } : undefined;
    this.dropped = 0;
    // A second hand-over (what arrived after the first) does not count the first one's drops again.
    const dropped = this.droppedTotal - this.droppedHandedOver;
    this.droppedHandedOver = this.droppedTotal;
    return { lines: this.close(), drops, dropped };
  }

  /**
   * Takes over a predecessor's waiting records (a reload), behind what waits here, without
   * writing them: the caller drains once the new configuration is in place, so that a status
   * listener that logs during those writes reaches this buffer, not the old one.
   */
  adopt(lines: readonly string[]): void {
    for (const line of lines) {
      this.enqueue(line);
      this.queuedChars += line.length;
    }
  }

  /** Takes over drops of a predecessor: they are stated (and counted) here. */
  inheritDrops(drops: DropReport): void {
    if (this.dropped === 0) this.dropFrom = drops.from;
    else this.dropFrom = Math.min(this.dropFrom, drops.from);
    this.dropTo = Math.max(this.dropTo, drops.to);
    this.dropped += drops.count;
    this.droppedTotal += drops.count;
    this.schedule();
  }

  /** Stops retrying (shutdown); returns the records still waiting, in order. */
  close(): string[] {
    this.cancelTimer();
    const rest = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    this.queuedChars = 0;
    return rest;
  }
}
