/**
 * The one interface a target delivers through ({@link Delivery}), whatever is behind it: a
 * rotated file (`file-delivery.ts`), the process's stdout or stderr (`console-delivery.ts`) or a
 * remote receiver over TCP, TLS or UDP (`remote-delivery.ts`). A delivery takes records already encoded and framed, keeps them in
 * order while it cannot deliver, and tells its target what happens ({@link DeliveryEvents}).
 *
 * @module
 */
import type { DeliveryStats } from "./stats.js";
import type { DeliveryQueue, QueueDrops } from "./queue.js";

/** What a delivery tells its target. */
export interface DeliveryEvents {
  /** The destination cannot be reached or written (first failure after success). */
  down(error: Error & { code?: string | undefined }): void;
  /** Records flow again after a failure; `resent` were sent again because a connection broke. */
  up(resent: number): void;
  /** Records were dropped while the buffer was full: the record that says so (sent in their place). */
  dropRecord(drops: QueueDrops): Buffer;
  /** A record the destination can never take was dropped (`bytes` long). */
  rejected(bytes: number, error: Error & { code?: string | undefined }): void;
  /** A fault that does not stop delivery (an archive that could not be rotated, compressed or expired). */
  fault(code: "ROTATE_FAILED" | "COMPRESS_FAILED" | "EXPIRE_FAILED", message: string): void;
}

export type { DeliveryStats };

/** What a delivery passes to its successor on a reload: its queue, and when the successor may start. */
export interface HandOver {
  readonly queue: DeliveryQueue;
  readonly ready: Promise<void>;
}

/**
 * Delivery of one target's encoded records, in order.
 *
 * @example
 * ```ts
 * const delivery: Delivery = new RemoteDelivery(spec, events, undefined);
 * delivery.offer(Buffer.from("<14>1 … ox.login\n"));
 * await delivery.flush(1000);
 * delivery.close();
 * ```
 */
export interface Delivery {
  /** Where it delivers: `tls://host:port`, or the file's path. */
  readonly destination: string;
  /** Whether a successor framed alike can take over its queue ({@link handOff}). */
  readonly handsOver: boolean;
  /** Takes one record; never throws, never blocks on the network. */
  offer(bytes: Buffer): void;
  /** Optional: the next offers are queued and sent together at {@link releaseHold} (synchronously there). */
  hold?(): void;
  releaseHold?(): void;
  /** Records waiting to be delivered. */
  buffered(): number;
  stats(): DeliveryStats;
  /** Waits until what waits is delivered (at most `timeoutMs`). */
  flush(timeoutMs: number): Promise<void>;
  /** Stops and hands the queue to a successor (undefined when it has none to hand over). */
  handOff(): HandOver | undefined;
  /** Stops now and lets go of its queue and spool (a successor opens the same spool). */
  release(): void;
  /** The last synchronous, bounded attempt to deliver what waits in memory, at process exit (deliveries that can write synchronously). */
  drainForExit?(): void;
  /** Stops; how many records were not delivered (and not kept in a spool), and when it is closed. */
  close(): { lost: number; done: Promise<void> };
}
