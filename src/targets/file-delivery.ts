/**
 * A target's delivery into a rotated file of its own: each record is written with the rolling
 * file writer; while the file cannot be written, records wait in a bounded retry buffer, in
 * order, and those past its size are dropped and counted (one record says so when writing
 * resumes).
 *
 * @module
 */
import { RetryBuffer } from "../output/retry-buffer.js";
import { RollingFileWriter } from "../output/rolling-file.js";
import type { Delivery, DeliveryEvents, DeliveryStats, HandOver } from "./delivery.js";
import type { TargetSpec } from "./spec.js";

/** The file settings of a file target. */
export type FileSettings = NonNullable<TargetSpec["file"]>;

/**
 * Delivers into a rotated file.
 *
 * @example
 * ```ts
 * const delivery = new FileDelivery(spec.file, spec.bufferSize, events);
 * delivery.offer(Buffer.from('{"event":"ox.login"}\n'));
 * ```
 */
export class FileDelivery implements Delivery {
  readonly destination: string;
  readonly handsOver = false;
  private readonly writer: RollingFileWriter;
  private readonly buffer: RetryBuffer;
  private errors = 0;
  private failing = false;
  /** While above 0, records wait in {@link held} (see {@link hold}). */
  private holding = 0;
  private held: string[] = [];
  /** The records of the batch {@link releaseHold} is writing (0: none). */
  private writing = 0;
  /** The writer's `written` count when that batch began. */
  private writtenBefore = 0;

  constructor(file: FileSettings, capacity: number, events: DeliveryEvents) {
    this.destination = file.path;
    const policy = { maxSize: file.maxSize, maxArchives: file.maxArchives, compress: file.compress, maxAgeDays: file.maxAgeDays };
    const writer = new RollingFileWriter(file.path, policy, (failure) => {
      this.errors++;
      if (failure.operation === "open" || failure.operation === "write") {
        this.failing = true;
        events.down(failure.error);
        return;
      }
      const code = failure.operation === "compress" ? "COMPRESS_FAILED" : failure.operation === "expire" ? "EXPIRE_FAILED" : "ROTATE_FAILED";
      events.fault(code, `could not ${failure.operation} an archive of ${failure.path} (${failure.error.code ?? failure.error.name}: ${failure.error.message})`);
    });
    this.writer = writer;
    this.buffer = new RetryBuffer({
      capacity,
      write: (line) => {
        if (!writer.write(line)) return false;
        this.failing = false;
        events.up(0);
        return true;
      },
      dropRecord: (report) => events.dropRecord(report).toString("utf8"),
    });
    writer.tryOpen();
  }

  offer(bytes: Buffer): void {
    const line = bytes.toString("utf8");
    if (this.holding > 0) this.held.push(line);
    else this.buffer.offer(line);
  }

  /** The next records wait until {@link releaseHold}, which writes them together. */
  hold(): void {
    this.holding++;
  }

  /**
   * Ends a {@link hold}: writes the records offered meanwhile in as few system calls as the
   * rotation allows (the writer's `writeMany`: one per file, never a record split across two),
   * instead of one per record. While the file fails or records wait for a retry, they join the
   * retry buffer behind those, in order.
   */
  releaseHold(): void {
    if (this.holding === 0) return;
    this.holding--;
    if (this.holding > 0 || this.held.length === 0) return;
    const lines = this.held;
    this.held = [];
    if (this.buffer.size === 0 && !this.failing) {
      // While the batch is being written it still waits (a status listener called by a failure
      // inside the write may ask), and a record offered meanwhile (that listener logging) is
      // held, to go behind the batch.
      this.writing = lines.length;
      this.writtenBefore = this.writer.stats.written;
      this.holding++;
      let written: number;
      try {
        written = this.writer.writeMany(lines, 0, lines.length);
      } finally {
        this.writing = 0;
        this.holding--;
      }
      // What could not be written (the write failed: reported by the writer) waits for the
      // retry, in order, as after one record's failed write: not tried again at once.
      if (written < lines.length) this.buffer.failed(lines, written);
      if (this.holding === 0 && this.held.length > 0) {
        const later = this.held;
        this.held = [];
        for (const line of later) this.buffer.offer(line);
      }
      return;
    }
    for (const line of lines) this.buffer.offer(line);
  }

  buffered(): number {
    return this.buffer.stats().buffered + this.waiting();
  }

  stats(): DeliveryStats {
    const buffer = this.buffer.stats();
    // Records held for a run of the targets wait too (a status listener may ask during the run).
    return { sent: this.writer.stats.written, resent: 0, buffered: buffer.buffered + this.waiting(), dropped: buffer.dropped, errors: this.errors, connected: !this.failing, spooled: false };
  }

  /** Records held, and those of a batch being written that are not written yet. */
  private waiting(): number {
    return this.held.length + (this.writing === 0 ? 0 : this.writing - (this.writer.stats.written - this.writtenBefore));
  }

  async flush(): Promise<void> {
    this.buffer.drain();
    await this.writer.compressionIdle();
  }

  handOff(): HandOver | undefined {
    return undefined;
  }

  release(): void {
    // A file target has no spool to let go of.
  }

  close(): { lost: number; done: Promise<void> } {
    // Records still held (a close from inside a hold) go the ordinary way first.
    const held = this.held;
    this.held = [];
    this.holding = 0;
    for (const line of held) this.buffer.offer(line);
    this.buffer.drain();
    const rest = this.buffer.close();
    this.writer.close();
    return { lost: rest.length, done: Promise.resolve() };
  }
}
