/**
 * The named targets of an audit service: for each record, which targets want it (event filters,
 * rate limits), its format per target, and delivery (remote transports or a rotated file).
 *
 * @module
 */
import { gzipSync, deflateSync } from "node:zlib";
import { Level } from "../facade/level.js";
import { currentMdc } from "../facade/mdc.js";
import { compileRecordBuilder, type RecordBuilder, type RecordInput } from "../record/builder.js";
import { parseAuditLine } from "../record/parse.js";
import { renderOther } from "../record/values.js";
import { formatEcs } from "../format/ecs.js";
import type { AuditEvent } from "../format/event.js";
import { formatGelf, gelfNulFrame } from "../format/gelf.js";
import { formatJson } from "../format/json.js";
import { compileRfc3164 } from "../format/rfc3164.js";
import { compileRfc5424, frameOctetCounting } from "../format/rfc5424.js";
import { RollingFileWriter } from "../output/rolling-file.js";
import { RetryBuffer } from "../output/retry-buffer.js";
import { StatusChannel } from "../status/status.js";
import type { TargetSpec } from "./spec.js";
import { MemoryQueue, SpoolQueue, type DeliveryQueue, type QueueDrops } from "./queue.js";
import { DatagramTransport, STALLED, StreamTransport, gelfChunks, type Endpoint, type TransportEvents } from "./transport.js";

/** The event id of the record that states how many records a target skipped under its rate limit. */
export const RATE_LIMITED_EVENT_ID = "slf4ts.audit.ratelimited";
/** How long a removed or changed target may go on sending what waits to its old receiver. */
const DRAIN_MS = 5000;

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

/** What the targets need from the service's configuration. */
export interface TargetContext {
  /** The level of audit records (the `level` key). */
  readonly level: Level;
  /** Masking and maximum length, as for the file. */
  readonly maskNames: readonly string[];
  readonly maskKeep: number;
  readonly maxLength: number;
  /** The most attributes per record (`record.maxAttributes`; absent: its default). */
  readonly maxAttributes?: number | undefined;
  /** The logger name written by plain layouts. */
  readonly loggerName: string;
}

interface RateWindow {
  start: number;
  count: number;
  skipped: number;
  firstSkipped: number;
  lastSkipped: number;
}

/** One target: formats, filters and delivers. */
class Target {
  readonly counters = { accepted: 0, filtered: 0, rateLimited: 0, fileErrors: 0, rejected: 0 };
  private readonly format: (event: AuditEvent, message: () => string) => Buffer;
  private readonly transport: StreamTransport | DatagramTransport | undefined;
  private readonly fileBuffer: RetryBuffer | undefined;
  private readonly writer: RollingFileWriter | undefined;
  private readonly windows = new Map<string, RateWindow>();
  private rateTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private spooled = false;
  readonly destination: string;

  constructor(
    readonly spec: TargetSpec,
    private context: TargetContext,
    inherited: { readonly queue: DeliveryQueue; readonly ready: Promise<void> } | undefined,
  ) {
    this.format = compileFormat(spec, () => this.context);
    this.destination = spec.file !== undefined ? spec.file.path : `${spec.protocol}://${spec.host}:${spec.port}`;
    if (spec.type === "file") {
      const file = spec.file as NonNullable<TargetSpec["file"]>;
      const policy = { maxSize: file.maxSize, maxArchives: file.maxArchives, compress: file.compress, maxAgeDays: file.maxAgeDays };
      const writer = new RollingFileWriter(file.path, policy, (failure) => {
        this.counters.fileErrors++;
        if (failure.operation === "open" || failure.operation === "write") {
          this.down(failure.error);
          return;
        }
        const code = failure.operation === "compress" ? "COMPRESS_FAILED" : failure.operation === "expire" ? "EXPIRE_FAILED" : "ROTATE_FAILED";
        StatusChannel.report(code, Level.ERROR, `audit target "${spec.name}": could not ${failure.operation} an archive of ${failure.path} (${failure.error.code ?? failure.error.name}: ${failure.error.message})`);
      });
      this.writer = writer;
      this.fileBuffer = new RetryBuffer({
        capacity: spec.bufferSize,
        write: (line) => {
          if (!writer.write(line)) return false;
          this.up(0);
          return true;
        },
        dropRecord: (report) => this.dropBytes(report).toString("utf8"),
      });
      writer.tryOpen();
      return;
    }
    let queue: DeliveryQueue;
    if (inherited !== undefined) {
      // A reload with the same framing and spool: the predecessor's queue, records and drop count.
      queue = inherited.queue;
      queue.setCapacity(spec.spool !== undefined ? spec.spoolMaxBytes : spec.bufferSize);
      this.spooled = spec.spool !== undefined && queue instanceof SpoolQueue;
    } else if (spec.spool !== undefined) {
      try {
        const spool = SpoolQueue.open(spec.spool, spec.spoolMaxBytes, JSON.stringify([spec.type, spec.protocol, spec.format, spec.compress, spec.pattern]));
        queue = spool;
        this.spooled = true;
        if (spool.stale !== undefined) {
          StatusChannel.report(
            "RECORDS_DROPPED",
            Level.ERROR,
            `audit target "${spec.name}": ${spool.stale.records} record(s) in the spool were written for another type, protocol or format of this target and are not sent; they are kept in ${spool.stale.path}`,
          );
        }
      } catch (error) {
        StatusChannel.report(
          "TARGET_FAILED",
          Level.ERROR,
          `audit target "${spec.name}": cannot use the spool ${spec.spool} (${renderOther(error)}); its records are kept in memory only (buffer.size)`,
        );
        queue = new MemoryQueue(spec.bufferSize);
      }
    } else {
      queue = new MemoryQueue(spec.bufferSize);
    }
    const endpoint: Endpoint = { host: spec.host, port: spec.port, protocol: spec.protocol, tls: spec.tls };
    const events: TransportEvents = {
      onDown: (error) => this.down(error),
      onUp: (resent) => this.up(resent),
      dropRecord: (drops) => this.dropBytes(drops),
      onRejected: (bytes, error) => {
        this.counters.rejected++;
        StatusChannel.report(
          "RECORDS_DROPPED",
          Level.ERROR,
          `audit target "${spec.name}": a record of ${bytes} bytes was dropped: ${this.destination} cannot take it (${error.code ?? error.name}: ${error.message}); lower maxBytes or chunkSize`,
        );
      },
    };
    if (spec.protocol === "udp") {
      const datagrams =
        spec.type === "gelf"
          ? (record: Buffer): Buffer[] => gelfChunks(record, spec.chunkSize) ?? [record]
          : (record: Buffer): Buffer[] => [record];
      this.transport = new DatagramTransport(queue, endpoint, events, datagrams, inherited?.ready);
    } else {
      this.transport = new StreamTransport(queue, endpoint, events, spec.resendMs, inherited?.ready, spec.stallMs);
    }
  }

  setContext(context: TargetContext): void {
    this.context = context;
  }

  /** Whether this target wants the event; counts what its filters and rate limit keep out. */
  wants(eventId: string, now: number): boolean {
    if (!this.spec.accepts(eventId)) {
      this.counters.filtered++;
      return false;
    }
    const limit = this.spec.rateLimit;
    if (limit === undefined || !limit.applies(eventId)) return true;
    let window = this.windows.get(eventId);
    if (window === undefined) {
      if (this.windows.size >= 10_000) this.flushRateWindows(now, true);
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
    this.counters.rateLimited++;
    this.scheduleRateFlush(limit.intervalMs);
    return false;
  }

  /** Delivers one record. */
  deliver(event: AuditEvent, message: () => string): void {
    this.counters.accepted++;
    let bytes: Buffer;
    try {
      bytes = this.format(event, message);
    } catch (error) {
      StatusChannel.report("RECORD_UNRENDERABLE", Level.ERROR, `audit target "${this.spec.name}" could not format a record (${renderOther(error)}); it is sent as its plain line`);
      bytes = Buffer.from(message() + "\n", "utf8");
    }
    this.send(bytes);
  }

  private send(bytes: Buffer): void {
    if (this.fileBuffer !== undefined) this.fileBuffer.offer(bytes.toString("utf8"));
    else this.transport?.offer(bytes);
  }

  private scheduleRateFlush(intervalMs: number): void {
    if (this.rateTimer !== undefined) return;
    this.rateTimer = setTimeout(() => {
      this.rateTimer = undefined;
      this.flushRateWindows(Date.now(), false);
    }, intervalMs);
    this.rateTimer.unref();
  }

  /** Reports the skipped counts of windows that ended (all, with `all`), and forgets idle ones. */
  private flushRateWindows(now: number, all: boolean): void {
    const limit = this.spec.rateLimit;
    if (limit === undefined) return;
    let pending = false;
    for (const [eventId, window] of this.windows) {
      if (all || now - window.start >= limit.intervalMs) {
        this.reportSkipped(eventId, window);
        this.windows.delete(eventId);
      } else if (window.skipped > 0) {
        pending = true;
      }
    }
    if (pending) this.scheduleRateFlush(limit.intervalMs);
  }

  private reportSkipped(eventId: string, window: RateWindow): void {
    if (window.skipped === 0) return;
    const attributes: Array<readonly [string, string | null]> = [
      ["event", eventId],
      ["skipped", String(window.skipped)],
      ["from", new Date(window.firstSkipped).toISOString()],
      ["to", new Date(window.lastSkipped).toISOString()],
      ["target", this.spec.name],
    ];
    const event = this.event(RATE_LIMITED_EVENT_ID, attributes, Date.now());
    window.skipped = 0;
    this.send(this.format(event, () => plainMessage(event)));
  }

  private dropBytes(drops: QueueDrops): Buffer {
    StatusChannel.report("RECORDS_DROPPED", Level.ERROR, `audit target "${this.spec.name}": ${drops.count} record(s) were dropped while ${this.destination} could not be reached (buffer.size or spool.maxSize was reached)`);
    const attributes: Array<readonly [string, string | null]> = [
      ["dropped", String(drops.count)],
      ["from", new Date(drops.from).toISOString()],
      ["to", new Date(drops.to).toISOString()],
      ["target", this.spec.name],
    ];
    const event = this.event(TARGET_DROPPED_EVENT_ID, attributes, Date.now());
    return this.format(event, () => plainMessage(event));
  }

  /** An event of the library's own (rate limit, drops). */
  private event(eventId: string, attributes: ReadonlyArray<readonly [string, string | null]>, now: number): AuditEvent {
    return { timestamp: now, level: this.spec.level ?? this.context.level, eventId, attributes, hostname: this.spec.hostname, appName: this.spec.appName, procId: String(process.pid) };
  }

  private down(error: Error & { code?: string | undefined }): void {
    if (this.failing) return;
    this.failing = true;
    StatusChannel.report(
      "TARGET_FAILED",
      Level.ERROR,
      `audit target "${this.spec.name}" (${this.spec.type} ${this.destination}) ${error.code === STALLED ? "stopped taking records" : "is unreachable"} (${error.code ?? error.name}: ${error.message}); records are kept (${this.spec.spool !== undefined ? `spool ${this.spec.spool}` : `buffer.size ${this.spec.bufferSize}`}) and sent in order when it is back`,
    );
  }

  private up(resent: number): void {
    if (!this.failing) return;
    this.failing = false;
    StatusChannel.report(
      "TARGET_RECOVERED",
      Level.WARN,
      `audit target "${this.spec.name}" (${this.destination}) is reachable again; sending ${this.buffered()} waiting record(s)${resent > 0 ? `, ${resent} of them sent again because the connection broke after they were sent` : ""}`,
    );
  }

  private buffered(): number {
    if (this.fileBuffer !== undefined) return this.fileBuffer.stats().buffered;
    const queue = this.transport?.queue;
    return queue === undefined ? 0 : queue.unsent;
  }

  stats(): TargetStats {
    const transport = this.transport?.stats;
    const queue = this.transport?.queue;
    const file = this.fileBuffer?.stats();
    return {
      name: this.spec.name,
      type: this.spec.type,
      destination: this.destination,
      accepted: this.counters.accepted,
      filtered: this.counters.filtered,
      rateLimited: this.counters.rateLimited,
      sent: transport?.sent ?? this.writer?.stats.written ?? 0,
      resent: transport?.resent ?? 0,
      buffered: this.buffered(),
      dropped: (queue?.droppedTotal ?? file?.dropped ?? 0) + this.counters.rejected,
      errors: transport?.errors ?? this.counters.fileErrors,
      connected: transport?.connected ?? !this.failing,
      spooled: this.spooled,
    };
  }

  /** Waits until what waits is sent (at most `timeoutMs`). */
  async flush(timeoutMs: number): Promise<void> {
    if (this.fileBuffer !== undefined) {
      this.fileBuffer.drain();
      await this.writer?.compressionIdle();
      return;
    }
    await this.transport?.idle(timeoutMs);
  }

  /** Whether a successor with `spec` can take over this target's queue (the bytes are framed alike). */
  canHandOver(spec: TargetSpec): boolean {
    const own = this.spec;
    return (
      this.transport !== undefined &&
      own.type === spec.type &&
      own.protocol === spec.protocol &&
      own.format === spec.format &&
      own.compress === spec.compress &&
      own.spool === spec.spool &&
      (own.format !== "plain" || own.pattern === spec.pattern)
    );
  }

  /** Stops now and returns the queue, with what was not delivered put back in front. */
  detach(): DeliveryQueue | undefined {
    clearTimeout(this.rateTimer);
    this.flushRateWindows(Date.now(), true);
    return this.transport?.detach();
  }

  /** Stops and hands the queue to a successor, which starts sending once `ready` resolves (see StreamTransport.handOff). */
  handOff(): { queue: DeliveryQueue; ready: Promise<void> } | undefined {
    clearTimeout(this.rateTimer);
    this.flushRateWindows(Date.now(), true);
    const transport = this.transport;
    if (transport === undefined) return undefined;
    return { queue: transport.queue, ready: transport.handOff() };
  }

  /** Stops; returns how many records were not sent (and not kept in a spool) and when the connection is closed. */
  close(): { lost: number; done: Promise<void> } {
    clearTimeout(this.rateTimer);
    this.flushRateWindows(Date.now(), true);
    if (this.fileBuffer !== undefined) {
      this.fileBuffer.drain();
      const rest = this.fileBuffer.close();
      this.writer?.close();
      return { lost: rest.length, done: Promise.resolve() };
    }
    const transport = this.transport;
    if (transport === undefined) return { lost: 0, done: Promise.resolve() };
    const drops = transport.queue.takeDrops()?.count ?? 0;
    const lost = (this.spooled ? 0 : transport.queue.unsent) + drops;
    return { lost, done: transport.close() };
  }
}

/** The plain audit line of one of the library's own events (names included, ", "). */
function plainMessage(event: AuditEvent): string {
  return [event.eventId, ...event.attributes.map(([n, v]) => `${n}=${v ?? "\\N"}`)].join(", ");
}

/** Cuts the string values of a GELF object until its JSON fits in `limit` bytes. */
function fitGelf(event: AuditEvent, limit: number, encode: (json: string) => Buffer): Buffer {
  let budget = 4096;
  for (;;) {
    const cut = (text: string): string => (text.length > budget ? text.slice(0, budget) + "...[truncated]" : text);
    const smaller: AuditEvent = { ...event, attributes: event.attributes.map(([n, v]) => [n, v === null ? null : cut(v)] as const) };
    const bytes = encode(formatGelf(smaller));
    if (bytes.length <= limit || budget <= 16) return bytes;
    budget = Math.floor(budget / 2);
  }
}

/** The function that turns an event into the bytes this target sends (framed). */
function compileFormat(spec: TargetSpec, context: () => TargetContext): (event: AuditEvent, message: () => string) => Buffer {
  const stream = spec.protocol !== "udp" && spec.type !== "file";
  switch (spec.format) {
    case "rfc5424": {
      const format = compileRfc5424({ facility: spec.facility, maxBytes: spec.maxBytes });
      return stream ? (e) => Buffer.from(frameOctetCounting(format(e)), "utf8") : (e) => Buffer.from(format(e), "utf8");
    }
    case "rfc3164": {
      const format = compileRfc3164({ facility: spec.facility, maxBytes: spec.maxBytes });
      return stream ? (e) => Buffer.from(frameOctetCounting(format(e)), "utf8") : (e) => Buffer.from(format(e), "utf8");
    }
    case "gelf": {
      if (spec.type === "gelf" && spec.protocol === "udp") {
        const encode =
          spec.compress === "gzip"
            ? (json: string): Buffer => gzipSync(json)
            : spec.compress === "zlib"
              ? (json: string): Buffer => deflateSync(json)
              : (json: string): Buffer => Buffer.from(json, "utf8");
        const limit = 128 * (spec.chunkSize - 12);
        return (e) => {
          const bytes = encode(formatGelf(e));
          return bytes.length <= limit ? bytes : fitGelf(e, limit, encode);
        };
      }
      if (spec.type === "gelf") {
        return (e) => {
          const frame = gelfNulFrame(formatGelf(e));
          return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
        };
      }
      return (e) => Buffer.from(formatGelf(e) + "\n", "utf8");
    }
    case "json":
      return (e) => Buffer.from(formatJson(e) + "\n", "utf8");
    case "ecs":
      return (e) => Buffer.from(formatEcs(e) + "\n", "utf8");
    case "plain": {
      const layout = spec.layout as NonNullable<TargetSpec["layout"]>;
      return (e, message) => Buffer.from(layout({ timestamp: e.timestamp, level: e.level, loggerName: context().loggerName, message: message(), mdc: currentMdc() }), "utf8");
    }
  }
}

/**
 * The targets of one service. `offer()` is called for every logged event; the event (text
 * attributes, secrets masked, values cut like the file's) is built only when a target wants it.
 *
 * @example
 * ```ts
 * const targets = new TargetSet(config.targets, context);
 * targets.offer("ox.login", { login: "ann" }, () => message);
 * ```
 */
export class TargetSet {
  private targets = new Map<string, Target>();
  private build: RecordBuilder;
  private context: TargetContext;

  constructor(specs: readonly TargetSpec[], context: TargetContext) {
    this.context = context;
    this.build = this.compile(context);
    this.reconfigure(specs, context);
  }

  private compile(context: TargetContext): RecordBuilder {
    // A canonical record (names included, ", ") parsed back gives the attributes as text, with
    // exactly the rendering, masking and cut of the file's records. Dates: ISO 8601 with ms.
    return compileRecordBuilder(
      { delimiter: ", ", includeAttributeNames: true, maskNames: context.maskNames, maskKeep: context.maskKeep, maxLength: context.maxLength, maxAttributes: context.maxAttributes },
      (ms) => new Date(ms).toISOString(),
    );
  }

  /**
   * Applies new target settings: unchanged targets keep their connection. A changed target whose
   * records are framed alike (same type, protocol, format and spool) passes its queue on: what
   * waits, what the old connection may not have delivered, and the count of dropped records, in
   * order. Any other changed or removed target has up to {@link DRAIN_MS} to send what waits to
   * its old receiver; what is left is reported as lost.
   */
  reconfigure(specs: readonly TargetSpec[], context: TargetContext): void {
    this.context = context;
    this.build = this.compile(context);
    const next = new Map<string, Target>();
    const leaving: Target[] = [];
    for (const spec of specs) {
      const old = this.targets.get(spec.name);
      if (old !== undefined && old.spec.fingerprint === spec.fingerprint) {
        old.setContext(context);
        next.set(spec.name, old);
        continue;
      }
      let queue: { queue: DeliveryQueue; ready: Promise<void> } | undefined;
      if (old !== undefined && old.canHandOver(spec)) queue = old.handOff();
      else if (old !== undefined) leaving.push(old);
      if (old !== undefined && queue === undefined && old.spec.spool !== undefined && old.spec.spool === spec.spool) {
        // The successor opens the same spool folder (records framed differently are moved aside
        // there): the old one lets go of it first.
        old.detach()?.close();
        leaving.pop();
      }
      next.set(spec.name, new Target(spec, context, queue));
    }
    for (const [name, old] of this.targets) if (!next.has(name)) leaving.push(old);
    this.targets = next;
    for (const old of leaving) void this.retire(old, DRAIN_MS);
  }

  /** Lets a target send what waits (at most `drainMs`), then closes it and reports what is lost. */
  private async retire(target: Target, drainMs: number): Promise<void> {
    if (drainMs > 0) await target.flush(drainMs);
    const { lost, done } = target.close();
    if (lost > 0) {
      StatusChannel.report("RECORDS_DROPPED", Level.ERROR, `audit target "${target.spec.name}" was removed, changed or shut down with ${lost} record(s) not delivered to ${target.destination}; they are lost`);
    }
    await done;
  }

  /** The number of targets. */
  get size(): number {
    return this.targets.size;
  }

  /** Sends one event to every target that wants it. */
  offer(eventId: string, attributes: RecordInput | undefined, message: () => string): void {
    const now = Date.now();
    let event: AuditEvent | undefined;
    for (const target of this.targets.values()) {
      try {
        if (!target.wants(eventId, now)) continue;
        if (event === undefined) event = this.event(eventId, attributes, now);
        const spec = target.spec;
        target.deliver({ ...event, level: spec.level ?? event.level, hostname: spec.hostname, appName: spec.appName }, message);
      } catch (error) {
        // One target's failure must not keep the event from the others.
        StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit target "${target.spec.name}" failed on event ${JSON.stringify(eventId)}: ${renderOther(error)}`);
      }
    }
  }

  private event(eventId: string, attributes: RecordInput | undefined, now: number): AuditEvent {
    let pairs: ReadonlyArray<readonly [string, string | null]>;
    try {
      const parsed = parseAuditLine(this.build(eventId, attributes), { delimiter: ", ", includeAttributeNames: true });
      pairs = parsed.attributes.map(([name, value]) => [name ?? "", value] as const);
    } catch (error) {
      pairs = [["slf4ts.error", `attributes could not be rendered: ${renderOther(error)}`]];
    }
    return { timestamp: now, level: this.context.level, eventId, attributes: pairs, hostname: "", appName: "", procId: String(process.pid) };
  }

  /** Counters per target. */
  stats(): TargetStats[] {
    return [...this.targets.values()].map((t) => t.stats());
  }

  /** Waits until every target has sent what waits (each at most `timeoutMs`). */
  async flush(timeoutMs: number): Promise<void> {
    await Promise.all([...this.targets.values()].map((t) => t.flush(timeoutMs)));
  }

  /** Closes every target; records not delivered are reported as lost (spools keep theirs on disk). */
  async close(): Promise<void> {
    const closing = [...this.targets.values()].map((target) => this.retire(target, 0));
    this.targets.clear();
    await Promise.all(closing);
  }
}
