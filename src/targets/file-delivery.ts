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
    this.buffer.offer(bytes.toString("utf8"));
  }

  buffered(): number {
    return this.buffer.stats().buffered;
  }

  stats(): DeliveryStats {
    const buffer = this.buffer.stats();
    return { sent: this.writer.stats.written, resent: 0, buffered: buffer.buffered, dropped: buffer.dropped, errors: this.errors, connected: !this.failing, spooled: false };
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
    this.buffer.drain();
    const rest = this.buffer.close();
    this.writer.close();
    return { lost: rest.length, done: Promise.resolve() };
  }
}
