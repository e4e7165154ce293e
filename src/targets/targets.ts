/**
 * The named targets of an audit service: for each record, which targets want it (event filters,
 * rate limits), its format per target, and its delivery through one {@link Delivery} (a rotated
 * file or a remote receiver). Records arrive rendered once ({@link RenderedRecord}); nothing is
 * parsed back here.
 *
 * @module
 */
import { Level } from "../facade/level.js";
import type { AuditEvent } from "../format/event.js";
import { sequenceCounter } from "../format/rfc5424.js";
import type { RenderedRecord } from "../record/render.js";
import { renderOther } from "../record/values.js";
import { StatusChannel } from "../status/status.js";
import type { Delivery, DeliveryEvents, HandOver } from "./delivery.js";
import { ConsoleDelivery } from "./console-delivery.js";
import { FileDelivery } from "./file-delivery.js";
import { compileEncoder, compileLineEncoder, type Encoder, type LineEncoder } from "./framing.js";
import type { QueueDrops } from "./queue.js";
import { RateLimiter, type SkippedRecords } from "./rate-limit.js";
import { RemoteDelivery } from "./remote-delivery.js";
import type { TargetSpec } from "./spec.js";
import { RATE_LIMITED_EVENT_ID, TARGET_DROPPED_EVENT_ID, type TargetStats } from "./stats.js";
import { STALLED } from "./transport.js";

export { RATE_LIMITED_EVENT_ID, TARGET_DROPPED_EVENT_ID, type TargetStats };

/** The PROCID of every record (a process keeps its id). */
const PROC_ID = String(process.pid);

/** How long a removed or changed target may go on sending what waits to its old receiver. */
const DRAIN_MS = 5000;

/**
 * Most records that wait for the targets' own work (filters, formats, deliveries) after
 * `log()` returned; the record that would pass it has all of them delivered inside its `log()`
 * (a long synchronous burst pays there, with bounded memory).
 */
export const MAX_DEFERRED = 4096;

/**
 * A record whose targets' work was put off: rendered when the targets run, from what `log()`
 * read (see `audit/target-handoff.ts`: nothing the caller changes afterwards reaches the targets).
 * @internal
 */
export interface DeferredRecord {
  readonly eventId: string;
  /** When it was logged (the targets' timestamp and rate limits). */
  readonly at: number;
  /** The record put off after it (the waiting records are a list: no array to grow inside log()); set by {@link TargetSet.defer}. */
  next: DeferredRecord | undefined;
  render(): RenderedRecord;
}

/** What the targets need from the service's configuration. */
export interface TargetContext {
  /** The level of audit records (the `level` key). */
  readonly level: Level;
  /** The logger name written by plain layouts. */
  readonly loggerName: string;
}

/** Makes a target's delivery: a file or a remote receiver (tests pass their own). */
export type DeliveryFactory = (spec: TargetSpec, events: DeliveryEvents, inherited: HandOver | undefined) => Delivery;

/** The real deliveries: a file target writes its file, a console target its stream, any other sends to its receiver. */
export const DELIVERIES: DeliveryFactory = (spec, events, inherited) =>
  spec.file !== undefined
    ? new FileDelivery(spec.file, spec.bufferSize, events)
    : spec.console !== undefined
      ? new ConsoleDelivery(spec.console, spec.bufferSize, events)
      : new RemoteDelivery(spec, events, inherited);

/**
 * One target: filters, rate-limits, encodes and hands each record to its delivery; reports
 * what happens to the status channel.
 * @internal
 */
export class Target {
  readonly counters = { accepted: 0, filtered: 0 };
  private readonly encode: Encoder;
  /** integrity=on: the encoder of the chain's lines. */
  private readonly encodeLine: LineEncoder | undefined;
  private readonly delivery: Delivery;
  private readonly limiter: RateLimiter | undefined;
  private failing = false;
  /** The `[meta sequenceId=…]` counter; a changed target (a reload) goes on with its predecessor's. */
  readonly sequence: () => number;

  constructor(
    readonly spec: TargetSpec,
    private context: TargetContext,
    inherited: HandOver | undefined,
    deliveries: DeliveryFactory = DELIVERIES,
    sequence: () => number = sequenceCounter(),
  ) {
    this.sequence = sequence;
    this.encode = compileEncoder(spec, () => this.context.loggerName, sequence);
    this.encodeLine = spec.integrity ? compileLineEncoder(spec, sequence) : undefined;
    this.limiter = spec.rateLimit === undefined ? undefined : new RateLimiter(spec.rateLimit, (skipped) => this.reportSkipped(skipped));
    this.delivery = deliveries(spec, this.deliveryEvents(), inherited);
  }

  get destination(): string {
    return this.delivery.destination;
  }

  private deliveryEvents(): DeliveryEvents {
    const spec = this.spec;
    return {
      down: (error) => this.down(error),
      up: (resent) => this.up(resent),
      dropRecord: (drops) => this.dropRecord(drops),
      rejected: (bytes, error) =>
        StatusChannel.report(
          "RECORDS_DROPPED",
          Level.ERROR,
          error.code === "ERELPREFUSED"
            ? `audit target "${spec.name}": a record of ${bytes} bytes was dropped: ${this.destination} refused it (${error.message}); see the receiver's log`
            : `audit target "${spec.name}": a record of ${bytes} bytes was dropped: ${this.destination} cannot take it (${error.code ?? error.name}: ${error.message}); lower maxBytes or chunkSize`,
        ),
      fault: (code, message) => StatusChannel.report(code, Level.ERROR, `audit target "${spec.name}": ${message}`),
    };
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
    return this.limiter === undefined || this.limiter.admits(eventId, now);
  }

  /** The next records are queued and sent together at {@link releaseHold} (a remote target's one write for many). */
  hold(): void {
    this.delivery.hold?.();
  }

  releaseHold(): void {
    this.delivery.releaseHold?.();
  }

  /** Delivers one record. */
  deliver(event: AuditEvent, message: () => string): void {
    this.counters.accepted++;
    let bytes: Buffer;
    try {
      bytes = this.encode(event, message);
    } catch (error) {
      StatusChannel.report("RECORD_UNRENDERABLE", Level.ERROR, `audit target "${this.spec.name}" could not format a record (${renderOther(error)}); it is sent as its plain line`);
      bytes = Buffer.from(message() + "\n", "utf8");
    }
    this.delivery.offer(bytes);
  }

  /** integrity=on: carries one line of the hash chain (a record with its chain field, or a checkpoint) as the file holds it. */
  carry(line: string): void {
    if (this.encodeLine === undefined) return;
    this.counters.accepted++;
    this.delivery.offer(this.encodeLine(line, this.spec.level ?? this.context.level));
  }

  private reportSkipped(skipped: SkippedRecords): void {
    const event = this.event(RATE_LIMITED_EVENT_ID, [
      ["event", skipped.eventId],
      ["skipped", String(skipped.skipped)],
      ["from", new Date(skipped.from).toISOString()],
      ["to", new Date(skipped.to).toISOString()],
      ["target", this.spec.name],
    ]);
    this.delivery.offer(this.encode(event, () => plainMessage(event)));
  }

  private dropRecord(drops: QueueDrops): Buffer {
    StatusChannel.report("RECORDS_DROPPED", Level.ERROR, `audit target "${this.spec.name}": ${drops.count} record(s) were dropped while ${this.destination} could not be reached (buffer.size or spool.maxSize was reached)`);
    const event = this.event(TARGET_DROPPED_EVENT_ID, [
      ["dropped", String(drops.count)],
      ["from", new Date(drops.from).toISOString()],
      ["to", new Date(drops.to).toISOString()],
      ["target", this.spec.name],
    ]);
    return this.encode(event, () => plainMessage(event));
  }

  /** An event of the library's own (rate limit, drops). */
  private event(eventId: string, attributes: ReadonlyArray<readonly [string, string | null]>): AuditEvent {
    return { timestamp: Date.now(), level: this.spec.level ?? this.context.level, eventId, attributes, hostname: this.spec.hostname, appName: this.spec.appName, procId: String(process.pid) };
  }

  private down(error: Error & { code?: string | undefined }): void {
    if (this.failing) return;
    this.failing = true;
    if (this.spec.type === "console" && error.code !== STALLED) {
      StatusChannel.report(
        "TARGET_FAILED",
        Level.ERROR,
        `audit target "${this.spec.name}" (console ${this.destination}) cannot be written (${error.code ?? error.name}: ${error.message})${
          error.code === "EPIPE" ? ": the reader of the pipe is gone; records for it are dropped and counted (stats: dropped)" : `; records are kept (buffer.size ${this.spec.bufferSize}) and written in order when it can be written again`
        }`,
      );
      return;
    }
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
      `audit target "${this.spec.name}" (${this.destination}) is reachable again; sending ${this.delivery.buffered()} waiting record(s)${resent > 0 ? `, ${resent} of them sent again because the connection broke after they were sent` : ""}`,
    );
  }

  stats(): TargetStats {
    const delivery = this.delivery.stats();
    return {
      name: this.spec.name,
      type: this.spec.type,
      destination: this.destination,
      accepted: this.counters.accepted,
      filtered: this.counters.filtered,
      rateLimited: this.limiter?.skipped ?? 0,
      ...delivery,
    };
  }

  /** Waits until what waits is sent (at most `timeoutMs`). */
  async flush(timeoutMs: number): Promise<void> {
    await this.delivery.flush(timeoutMs);
  }

  /** Whether a successor with `spec` can take over this target's queue (the bytes are framed alike). */
  canHandOver(spec: TargetSpec): boolean {
    const own = this.spec;
    return (
      this.delivery.handsOver &&
      own.type === spec.type &&
      own.protocol === spec.protocol &&
      own.format === spec.format &&
      own.compress === spec.compress &&
      own.spool === spec.spool &&
      own.framing === spec.framing &&
      own.integrity === spec.integrity &&
      (own.format !== "plain" || own.pattern === spec.pattern)
    );
  }

  /** The last synchronous attempt to deliver what waits in memory, at process exit. */
  drainForExit(): void {
    this.delivery.drainForExit?.();
  }

  /** Stops now and lets go of the queue and spool (a successor opens the same spool). */
  release(): void {
    this.limiter?.stop();
    this.delivery.release();
  }

  /** Stops and hands the queue to a successor, which starts sending once `ready` resolves. */
  handOff(): HandOver | undefined {
    this.limiter?.stop();
    return this.delivery.handOff();
  }

  /** Stops; returns how many records were not sent (and not kept in a spool) and when the connection is closed. */
  close(): { lost: number; done: Promise<void> } {
    this.limiter?.stop();
    return this.delivery.close();
  }
}

/**
 * Whether a target may get its records after `log()` returned. Not a console target (its
 * records are in the pipe when `log()` returns) nor a target with a spool (its records are in
 * the spool when `log()` returns, so a crash right after loses none): those work inside `log()`.
 */
function mayWait(spec: TargetSpec): boolean {
  return spec.type !== "console" && spec.spool === undefined;
}

/** The plain audit line of one of the library's own events (names included, ", "). */
function plainMessage(event: AuditEvent): string {
  return [event.eventId, ...event.attributes.map(([n, v]) => `${n}=${v ?? "\\N"}`)].join(", ");
}

/**
 * The targets of one service. `offer()` is called for every logged event with its one
 * rendering; the event the formats take is made only when a target wants it.
 *
 * @example
 * ```ts
 * const targets = new TargetSet(config.targets, context);
 * targets.offer(render("ox.login", { login: "ann" }));
 * ```
 */
export class TargetSet {
  private targets = new Map<string, Target>();
  private context: TargetContext;
  /** Records whose targets' work waits for the end of the caller's synchronous code (a microtask). */
  /** The first and last of them, in order, and how many. */
  private deferredHead: DeferredRecord | undefined = undefined;
  private deferredTail: DeferredRecord | undefined = undefined;
  private deferredCount = 0;
  private deferredScheduled = false;
  /** Whether every target may get its records after `log()` returned (see {@link mayWait}). */
  private mayDefer = false;

  constructor(
    specs: readonly TargetSpec[],
    context: TargetContext,
    private readonly deliveries: DeliveryFactory = DELIVERIES,
  ) {
    this.context = context;
    this.reconfigure(specs, context);
  }

  /**
   * Applies new target settings: unchanged targets keep their connection. A changed target whose
   * records are framed alike (same type, protocol, format and spool) passes its queue on: what
   * waits, what the old connection may not have delivered, and the count of dropped records, in
   * order. Any other changed or removed target has up to {@link DRAIN_MS} to send what waits to
   * its old receiver; what is left is reported as lost.
   */
  reconfigure(specs: readonly TargetSpec[], context: TargetContext): void {
    // Records logged under the old settings reach the old targets first.
    this.deliverDeferred();
    this.context = context;
    const next = new Map<string, Target>();
    const leaving: Target[] = [];
    for (const spec of specs) {
      const old = this.targets.get(spec.name);
      if (old !== undefined && old.spec.fingerprint === spec.fingerprint) {
        old.setContext(context);
        next.set(spec.name, old);
        continue;
      }
      let queue: HandOver | undefined;
      if (old !== undefined && old.canHandOver(spec)) queue = old.handOff();
      else if (old !== undefined) leaving.push(old);
      if (old !== undefined && queue === undefined && old.spec.spool !== undefined && old.spec.spool === spec.spool) {
        // The successor opens the same spool folder (records framed differently are moved aside
        // there): the old one lets go of it first.
        old.release();
        leaving.pop();
      }
      next.set(spec.name, new Target(spec, context, queue, this.deliveries, old?.sequence));
    }
    for (const [name, old] of this.targets) if (!next.has(name)) leaving.push(old);
    this.targets = next;
    this.mayDefer = next.size > 0 && [...next.values()].every((t) => mayWait(t.spec));
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

  /**
   * Whether records may be handed over with {@link defer}: every target may get its records
   * after `log()` returned (no console target, no spool).
   */
  get defers(): boolean {
    return this.mayDefer;
  }

  /**
   * Puts a record's targets' work off until the caller's synchronous code has ended (a
   * microtask), so that `log()` pays only for reading the attributes; at {@link MAX_DEFERRED}
   * waiting records they are delivered at once. `stats()`, `flush()`, a reconfiguration,
   * `close()` and the exit hook deliver what waits first.
   */
  defer(record: DeferredRecord): void {
    record.next = undefined;
    if (this.deferredTail === undefined) this.deferredHead = record;
    else this.deferredTail.next = record;
    this.deferredTail = record;
    if (++this.deferredCount >= MAX_DEFERRED) {
      this.deliverDeferred();
    } else if (!this.deferredScheduled) {
      this.deferredScheduled = true;
      queueMicrotask(() => {
        this.deferredScheduled = false;
        this.deliverDeferred();
      });
    }
  }

  /** Renders the records put off and offers them to the targets, in order; never throws. */
  deliverDeferred(): void {
    while (this.deferredHead !== undefined) {
      // A target that logs (a status report that reaches an audit record) adds to a new list.
      let record: DeferredRecord | undefined = this.deferredHead;
      this.deferredHead = this.deferredTail = undefined;
      this.deferredCount = 0;
      const held = [...this.targets.values()];
      for (const target of held) target.hold();
      try {
        while (record !== undefined) {
          const next: DeferredRecord | undefined = record.next;
          // Let go as it goes: a record done is garbage before the run ends.
          record.next = undefined;
          try {
            this.offer(record.render(), record.at);
          } catch (error) {
            StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit targets failed on event ${JSON.stringify(record.eventId)}: ${renderOther(error)}`);
          }
          record = next;
        }
      } finally {
        // Synchronously: what was queued leaves now (in one write per remote target).
        for (const target of held) {
          try {
            target.releaseHold();
          } catch (error) {
            StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit target "${target.spec.name}" failed sending: ${renderOther(error)}`);
          }
        }
      }
    }
  }

  /** Sends one record to every target that wants it; `now` is when it was logged. */
  offer(record: RenderedRecord, now = Date.now()): void {
    const eventId = record.eventId;
    const message = (): string => record.message;
    let attributes: RenderedRecord["attributes"] | undefined;
    for (const target of this.targets.values()) {
      try {
        // integrity=on: the record reaches it as the chain seals it (carry()).
        if (target.spec.integrity) continue;
        if (!target.wants(eventId, now)) continue;
        attributes ??= record.attributes;
        const spec = target.spec;
        target.deliver({ timestamp: now, level: spec.level ?? this.context.level, eventId, attributes, hostname: spec.hostname, appName: spec.appName, procId: PROC_ID }, message);
      } catch (error) {
        // One target's failure must not keep the event from the others.
        StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit target "${target.spec.name}" failed on event ${JSON.stringify(eventId)}: ${renderOther(error)}`);
      }
    }
  }

  /** Whether a target carries the hash chain's lines (`integrity=on`). */
  get carriesChain(): boolean {
    for (const target of this.targets.values()) if (target.spec.integrity) return true;
    return false;
  }

  /** Hands one line of the hash chain, as the file holds it (without its line feed), to every target with `integrity=on`; never throws. */
  carry(line: string): void {
    for (const target of this.targets.values()) {
      if (!target.spec.integrity) continue;
      try {
        target.carry(line);
      } catch (error) {
        StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit target "${target.spec.name}" failed on a line of the hash chain: ${renderOther(error)}`);
      }
    }
  }

  /** The last synchronous attempt of every target to deliver what waits in memory (console targets), at process exit; never throws. */
  drainForExit(): void {
    this.deliverDeferred();
    for (const target of this.targets.values()) {
      try {
        target.drainForExit();
      } catch {
        // The process is ending: what is left is reported as lost.
      }
    }
  }

  /** Counters per target. */
  stats(): TargetStats[] {
    this.deliverDeferred();
    return [...this.targets.values()].map((t) => t.stats());
  }

  /** Waits until every target has sent what waits (each at most `timeoutMs`). */
  async flush(timeoutMs: number): Promise<void> {
    this.deliverDeferred();
    await Promise.all([...this.targets.values()].map((t) => t.flush(timeoutMs)));
  }

  /** Closes every target; records not delivered are reported as lost (spools keep theirs on disk). */
  async close(): Promise<void> {
    this.deliverDeferred();
    const closing = [...this.targets.values()].map((target) => this.retire(target, 0));
    this.targets.clear();
    await Promise.all(closing);
  }
}
