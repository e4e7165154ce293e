/**
 * A target's delivery to a remote receiver: a queue (in memory, or an on-disk spool that
 * survives the process) in front of a stream (TCP, TLS), RELP or datagram (UDP) transport, which
 * reconnects with backoff, sends in order, and sends again what a broken connection may have
 * lost. On a reload, a successor framed alike takes the queue over.
 *
 * @module
 */
import { Level } from "../facade/level.js";
import { renderOther } from "../record/values.js";
import { StatusChannel } from "../status/status.js";
import type { Delivery, DeliveryEvents, DeliveryStats, HandOver } from "./delivery.js";
import { datagramsOf } from "./framing.js";
import { MemoryQueue, SpoolQueue, type DeliveryQueue } from "./queue.js";
import { RelpTransport } from "./relp-transport.js";
import type { TargetSpec } from "./spec.js";
import { DatagramTransport, StreamTransport, type TransportEvents, type TransportStats } from "./transport.js";

/** The settings a remote delivery uses. */
export type RemoteSettings = Pick<
  TargetSpec,
  "name" | "type" | "protocol" | "host" | "port" | "tls" | "format" | "compress" | "pattern" | "chunkSize" | "bufferSize" | "spool" | "spoolMaxBytes" | "resendMs" | "stallMs" | "relp"
> &
  Partial<Pick<TargetSpec, "framing">>;

/** What a remote delivery needs of a transport (both transports are one; tests pass a fake). */
export interface Link {
  readonly queue: DeliveryQueue;
  readonly stats: TransportStats;
  /** Records sent and not yet confirmed by the receiver (RELP: not acknowledged); lost with a queue in memory at close. */
  readonly unconfirmed?: number;
  offer(bytes: Buffer): void;
  /** Optional: queue the next offers without sending until `releaseHold()` (synchronous), so they leave together. */
  hold?(): void;
  releaseHold?(): void;
  idle(timeoutMs: number): Promise<void>;
  detach(): DeliveryQueue;
  handOff(): Promise<void>;
  close(): Promise<void>;
}

/** Makes the transport of a remote delivery. */
export type LinkFactory = (settings: RemoteSettings, queue: DeliveryQueue, events: TransportEvents, ready: Promise<void> | undefined) => Link;

/** The real transports: datagrams for UDP (GELF chunked), a stream for TCP and TLS. */
export const NETWORK: LinkFactory = (spec, queue, events, ready) => {
  if (spec.protocol === "relp") {
    const relp = spec.relp;
    if (relp === undefined) throw new TypeError(`audit target "${spec.name}": protocol=relp needs its relp settings`);
    return new RelpTransport(queue, { host: spec.host, port: spec.port, protocol: relp.tls ? "tls" : "tcp", tls: spec.tls }, events, relp, ready);
  }
  const endpoint = { host: spec.host, port: spec.port, protocol: spec.protocol, tls: spec.tls };
  return spec.protocol === "udp"
    ? new DatagramTransport(queue, endpoint, events, datagramsOf(spec), ready)
    : new StreamTransport(queue, endpoint, events, spec.resendMs, ready, spec.stallMs);
};

/** Opens the target's spool, or (failing that, or without one) a queue in memory. */
function openQueue(spec: RemoteSettings): { queue: DeliveryQueue; spooled: boolean } {
  if (spec.spool === undefined) return { queue: new MemoryQueue(spec.bufferSize), spooled: false };
  try {
    // Newline framing is added to the key only when chosen: spools of octet-counted targets keep theirs.
    const framing = spec.framing === "newline" ? ["newline"] : [];
    const spool = SpoolQueue.open(spec.spool, spec.spoolMaxBytes, JSON.stringify([spec.type, spec.protocol, spec.format, spec.compress, spec.pattern, ...framing]));
    if (spool.stale !== undefined) {
      StatusChannel.report(
        "RECORDS_DROPPED",
        Level.ERROR,
        `audit target "${spec.name}": ${spool.stale.records} record(s) in the spool were written for another type, protocol or format of this target and are not sent; they are kept in ${spool.stale.path}`,
      );
    }
    return { queue: spool, spooled: true };
  } catch (error) {
    StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit target "${spec.name}": cannot use the spool ${spec.spool} (${renderOther(error)}); its records are kept in memory only (buffer.size)`);
    return { queue: new MemoryQueue(spec.bufferSize), spooled: false };
  }
}

/**
 * Delivers to a remote receiver.
 *
 * @example
 * ```ts
 * const delivery = new RemoteDelivery(spec, events, undefined);
 * delivery.offer(Buffer.from("42 <14>1 2026-01-02T03:04:05.006Z mail1 slf4ts - - - ox.login"));
 * ```
 */
export class RemoteDelivery implements Delivery {
  readonly destination: string;
  readonly handsOver = true;
  private readonly link: Link;
  private readonly spooled: boolean;
  private rejected = 0;

  /** `inherited`: the queue of a predecessor framed alike, with its records and drop count. */
  constructor(spec: RemoteSettings, events: DeliveryEvents, inherited: HandOver | undefined, link: LinkFactory = NETWORK) {
    this.destination = `${spec.protocol === "relp" && spec.relp?.tls === true ? "relp+tls" : spec.protocol}://${spec.host}:${spec.port}`;
    let queue: DeliveryQueue;
    if (inherited !== undefined) {
      queue = inherited.queue;
      queue.setCapacity(spec.spool !== undefined ? spec.spoolMaxBytes : spec.bufferSize);
      this.spooled = spec.spool !== undefined && queue instanceof SpoolQueue;
    } else {
      ({ queue, spooled: this.spooled } = openQueue(spec));
    }
    const transportEvents: TransportEvents = {
      onDown: (error) => events.down(error),
      onUp: (resent) => events.up(resent),
      dropRecord: (drops) => events.dropRecord(drops),
      onRejected: (bytes, error) => {
        this.rejected++;
        events.rejected(bytes, error);
      },
    };
    this.link = link(spec, queue, transportEvents, inherited?.ready);
  }

  offer(bytes: Buffer): void {
    this.link.offer(bytes);
  }

  hold(): void {
    this.link.hold?.();
  }

  releaseHold(): void {
    this.link.releaseHold?.();
  }

  buffered(): number {
    return this.link.queue.unsent;
  }

  stats(): DeliveryStats {
    const stats = this.link.stats;
    return {
      sent: stats.sent,
      resent: stats.resent,
      buffered: this.buffered(),
      dropped: this.link.queue.droppedTotal + this.rejected,
      errors: stats.errors,
      connected: stats.connected,
      spooled: this.spooled,
    };
  }

  async flush(timeoutMs: number): Promise<void> {
    await this.link.idle(timeoutMs);
  }

  handOff(): HandOver {
    return { queue: this.link.queue, ready: this.link.handOff() };
  }

  release(): void {
    this.link.detach().close();
  }

  close(): { lost: number; done: Promise<void> } {
    const queue = this.link.queue;
    const drops = queue.takeDrops()?.count ?? 0;
    // RELP: records not yet acknowledged are not delivered either (a spool keeps them).
    const lost = (this.spooled ? 0 : queue.unsent + (this.link.unconfirmed ?? 0)) + drops;
    return { lost, done: this.link.close() };
  }
}
