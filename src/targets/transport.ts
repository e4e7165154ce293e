/**
 * Delivery of queued records to a receiver: a TCP or TLS stream ({@link StreamTransport}) or
 * UDP datagrams ({@link DatagramTransport}). Both reconnect or retry with exponential backoff
 * and jitter, deliver in order, and never throw into the caller: `offer()` only queues.
 *
 * The two transports share one file (a little over 600 lines): their backoff, stall and resend
 * rules are one life cycle of a connection, kept side by side so they cannot drift apart.
 *
 * @module
 */
import * as dgram from "node:dgram";
import { lookup } from "node:dns";
import { isIP } from "node:net";
import * as net from "node:net";
import * as tls from "node:tls";
import type { DeliveryQueue, QueueDrops, QueuedRecord } from "./queue.js";

/** The first reconnect delay; it doubles per failed attempt up to {@link MAX_BACKOFF_MS}. */
export const MIN_BACKOFF_MS = 100;
/** The longest reconnect delay. */
export const MAX_BACKOFF_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * A connection counts as working (backoff reset, recovery reported) once it has stayed up this
 * long: a receiver that accepts and then closes at once (a load balancer without a backend, a
 * TLS 1.3 server refusing the client certificate after the handshake) must not cause a reconnect
 * storm or a flood of "recovered" reports.
 */
const STABLE_MS = 2000;
/**
 * The default bound on how long a write may wait for the operating system to take it (target
 * option `stallMs`): a receiver that accepts and then does not read fills the socket's buffers,
 * after which nothing more is taken; past this the connection counts as broken.
 */
export const DEFAULT_STALL_MS = 10_000;
/** The error code of a connection closed because the receiver stopped reading. */
export const STALLED = "ESTALLED";

/** Where a transport sends, and how. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly protocol: "tcp" | "tls" | "udp";
  readonly tls?: { readonly secureContext: object | undefined; readonly servername: string; readonly insecure: boolean };
}

/** What a transport tells its owner. */
export interface TransportEvents {
  /** The receiver became unreachable (first failure after success, or the first attempt failed). */
  onDown(error: Error & { code?: string | undefined }): void;
  /** Records flow again after a failure. */
  onUp(resent: number): void;
  /** Records were dropped while the queue was full; returns the record that says so (sent in their place). */
  dropRecord(drops: QueueDrops): Buffer;
  /** A record the receiver can never take (too large for a datagram) was dropped. */
  onRejected(bytes: number, error: Error & { code?: string | undefined }): void;
}

/** Counters of a transport. */
export interface TransportStats {
  /** Records handed to the operating system (resent ones count again). */
  sent: number;
  /** Records sent again after a connection broke (within the resend window). */
  resent: number;
  /** Failed connection attempts and broken connections. */
  errors: number;
  /** Whether records can be sent now. */
  connected: boolean;
}

/**
 * Opens the stream of a TCP or TLS endpoint (`tls` when `endpoint.tls` applies: server name,
 * CA, client certificate, `insecure`); `onConnected` runs once the connection (for TLS, its
 * handshake) is up. The StreamTransport and the RELP session connect through it.
 *
 * @throws for TLS options Node refuses (the caller reports it; never into `log()`).
 * @example
 * ```ts
 * const socket = connectStream(endpoint, () => socket.write(frame));
 * ```
 */
export function connectStream(endpoint: Endpoint, onConnected: () => void): net.Socket {
  const { host, port, protocol } = endpoint;
  if (protocol !== "tls") return net.connect({ host, port }).once("connect", onConnected);
  const options = endpoint.tls;
  // The name check uses tls.servername (which may differ from the host connected to).
  const servername = options?.servername ?? host;
  return tls
    .connect({
      host,
      port,
      servername: isIP(servername) === 0 ? servername : "",
      ...(options?.secureContext !== undefined ? { secureContext: options.secureContext as tls.SecureContext } : {}),
      rejectUnauthorized: options?.insecure !== true,
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(servername, cert),
    })
    .once("secureConnect", onConnected);
}

/** The delay before reconnect attempt `attempt` (0-based): exponential, with jitter between half and all of it. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.min(attempt, 20));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Shared state of the transports (the stream and datagram ones here, RELP in relp-transport.ts). */
export abstract class Transport {
  readonly stats: TransportStats = { sent: 0, resent: 0, errors: 0, connected: false };
  protected attempt = 0;
  protected down = false;
  protected closed = false;
  protected retryTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly queue: DeliveryQueue,
    protected readonly endpoint: Endpoint,
    protected readonly events: TransportEvents,
    protected readonly resendMs: number,
  ) {}

  /** While above 0, offer() only queues: the records offered meanwhile are sent together by {@link releaseHold}. */
  private holding = 0;

  /** Queues a record and sends what can be sent (unless {@link hold} is in force). */
  offer(bytes: Buffer): void {
    if (this.closed) return;
    const now = Date.now();
    this.queueDropRecord();
    this.queue.push(bytes, now);
    if (this.holding === 0) this.pump();
  }

  /** Queues the next offers without sending, until the matching {@link releaseHold} (which is synchronous: nothing waits past it). */
  hold(): void {
    this.holding++;
  }

  /** Ends a {@link hold}: sends what was queued meanwhile, together. */
  releaseHold(): void {
    if (this.holding === 0) return;
    this.holding--;
    if (this.holding === 0 && !this.closed) this.pump();
  }

  /** Queues the drop record as soon as there is room after drops (in the place of the dropped records). */
  protected queueDropRecord(): void {
    if (!this.queue.hasRoom()) return;
    const drops = this.queue.takeDrops();
    if (drops !== undefined) this.queue.pushAlways(this.events.dropRecord(drops));
  }

  /** Resolves once nothing waits, after `timeoutMs`, or as soon as the receiver is found down. */
  async idle(timeoutMs: number): Promise<void> {
    // While the receiver is down there is nothing to wait for (as with a failing file).
    if ((this.queue.unsent === 0 && !this.writing()) || (this.down && !this.stats.connected) || this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      const waiters = this.idleWaiters;
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  protected notifyIdle(): void {
    const idle = this.queue.unsent === 0 && !this.writing();
    // While records wait, the connection keeps the process alive (they are sent before a
    // natural exit); an idle one does not hold the process open.
    this.holdProcess(!idle);
    if (idle) {
      for (const waiter of this.idleWaiters.splice(0)) waiter();
    }
  }

  /** Refs or unrefs the socket. */
  protected abstract holdProcess(hold: boolean): void;

  /** Whether writes are still in progress. */
  protected abstract writing(): boolean;
  /** Sends what waits. */
  abstract pump(): void;
  /** Stops: no more sends or reconnects; resolves once the connection is closed and the queue released. */
  abstract close(): Promise<void>;

  protected flushed(record: QueuedRecord): void {
    record.flushedAt = Date.now();
    this.stats.sent++;
    this.scheduleSettle();
  }

  /** Forgets records that left the resend window (a timer, so that an idle target frees them too). */
  protected scheduleSettle(): void {
    if (this.settleTimer !== undefined) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.queue.settle(Date.now(), this.resendMs);
      // Room freed: a drop record may be waiting for it.
      if (!this.closed) this.pump();
      if (this.queue.inflight > 0 && !this.closed) this.scheduleSettle();
    }, Math.max(50, Math.min(this.resendMs, 1000)));
    this.settleTimer.unref();
  }

  protected failed(error: Error & { code?: string | undefined }): void {
    this.stats.errors++;
    this.stats.connected = false;
    if (!this.down) {
      this.down = true;
      this.events.onDown(error);
    }
    this.notifyIdle();
    for (const waiter of this.idleWaiters.splice(0)) waiter();
    if (this.closed) return;
    const delay = backoffDelay(this.attempt++);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retry();
    }, delay);
    this.retryTimer.unref();
  }

  protected abstract retry(): void;

  protected stopTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.settleTimer);
    this.retryTimer = this.settleTimer = undefined;
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }
}

/**
 * A TCP or TLS connection that records are written to in order. A broken connection is
 * reconnected with backoff; the records sent within `resendMs` before it broke are sent again.
 *
 * @example
 * ```ts
 * const transport = new StreamTransport(new MemoryQueue(10000), { host: "127.0.0.1", port: 6514, protocol: "tls", tls }, events, 3000);
 * transport.offer(Buffer.from(frameOctetCounting(message)));
 * ```
 */
export class StreamTransport extends Transport {
  private socket: net.Socket | undefined;
  private pendingWrites = 0;
  private blocked = false;
  private stableTimer: NodeJS.Timeout | undefined;
  /** The connection has stayed up {@link STABLE_MS}; it counts as working once it is not blocked either. */
  private stable = false;
  /** When the operating system last took a write (or writes began after an idle time). */
  private lastProgress = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  /**
   * Records the operating system took on the current connection before it was verified (stayed
   * up {@link STABLE_MS}): not counted as sent and not yet flushed (so a break sends them again
   * whatever `resendMs` says) until the connection proves itself. A receiver that refuses the
   * client certificate (TLS 1.3: after the client's handshake ended) closes it long before.
   */
  private unverified: QueuedRecord[] = [];
  /** The connection whose writes count (kept while a stop waits for the receiver to close). */
  private countingSocket: net.Socket | undefined;
  /** Records written on the current connection, and how many of them counted as sent. */
  private writtenOnConnection = 0;
  private countedOnConnection = 0;

  /**
   * `start`: connect only once it resolves (a predecessor is still handing the queue over).
   * `stallMs`: how long a write may wait for the operating system before the connection is
   * treated as broken (a receiver that accepts and does not read).
   */
  constructor(
    queue: DeliveryQueue,
    endpoint: Endpoint,
    events: TransportEvents,
    resendMs: number,
    start?: Promise<void>,
    private readonly stallMs: number = DEFAULT_STALL_MS,
  ) {
    super(queue, endpoint, events, resendMs);
    if (start === undefined) this.connect();
    else void start.then(() => this.connect());
  }

  protected writing(): boolean {
    return this.pendingWrites > 0;
  }

  protected holdProcess(hold: boolean): void {
    if (hold) this.socket?.ref();
    else this.socket?.unref();
  }

  protected retry(): void {
    this.connect();
  }

  private connect(): void {
    if (this.closed || this.socket !== undefined) return;
    let socket: net.Socket;
    const onConnected = (): void => {
      socket.setTimeout(0);
      this.stats.connected = true;
      this.stable = false;
      clearTimeout(this.stableTimer);
      this.stableTimer = setTimeout(() => {
        this.stableTimer = undefined;
        if (this.socket !== socket) return;
        this.stable = true;
        this.verify();
        this.markWorking();
      }, STABLE_MS);
      this.stableTimer.unref();
      this.pump();
    };
    try {
      socket = connectStream(this.endpoint, onConnected);
    } catch (error) {
      // Options the configuration could not check (it checks the TLS material): never into log().
      this.failed(error as Error);
      return;
    }
    this.socket = socket;
    this.forgetConnection();
    this.countingSocket = socket;
    // An attempt does not hold the process open unless records wait for it.
    this.holdProcess(this.queue.unsent > 0);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(Object.assign(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`), { code: "ETIMEDOUT" })));
    // Receivers send nothing; read and discard so the socket notices a close.
    socket.on("data", () => undefined);
    socket.on("drain", () => {
      this.blocked = false;
      this.markWorking();
      this.pump();
    });
    let lastError: (Error & { code?: string | undefined }) | undefined;
    socket.on("error", (error: Error & { code?: string | undefined }) => {
      lastError = error;
    });
    socket.on("end", () => socket.destroy());
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.blocked = false;
      this.pendingWrites = 0;
      this.stable = false;
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      // What may not have reached the receiver is sent again after reconnecting. Every record of
      // this connection not counted as sent (unverified, or its write not taken) is among those
      // rewound; the others were counted and are sent again.
      const rewound = this.queue.rewind(Date.now(), this.resendMs);
      const resent = Math.max(0, rewound - (this.writtenOnConnection - this.countedOnConnection));
      this.forgetConnection();
      this.pendingResend += resent;
      this.stats.resent += resent;
      if (this.closed) return;
      this.failed(lastError ?? Object.assign(new Error("the receiver closed the connection"), { code: "ECONNRESET" }));
    });
  }

  /** Records to be sent again since the last connection broke (reported when it is back). */
  private pendingResend = 0;

  /** A write the operating system took on `socket`: sent once the connection is verified. */
  private taken(record: QueuedRecord, socket: net.Socket): void {
    // A write that completes after its connection was closed is not counted: the queue was
    // rewound and the record will be written again.
    if (this.countingSocket !== socket) return;
    if (!this.stable) {
      this.unverified.push(record);
      return;
    }
    this.countedOnConnection++;
    this.flushed(record);
  }

  /** The connection proved itself: what it took before counts as sent (flushed now). */
  private verify(): void {
    const now = Date.now();
    for (const record of this.unverified) record.flushedAt = now;
    this.stats.sent += this.unverified.length;
    this.countedOnConnection += this.unverified.length;
    if (this.unverified.length > 0) this.scheduleSettle();
    this.unverified = [];
  }

  private forgetConnection(): void {
    this.countingSocket = undefined;
    this.unverified = [];
    this.writtenOnConnection = 0;
    this.countedOnConnection = 0;
  }

  /**
   * The connection counts as working (backoff reset, recovery reported) once it has stayed up
   * {@link STABLE_MS} and the operating system takes what is written: a receiver that does not
   * read is not "recovered" while the socket stays blocked.
   */
  private markWorking(): void {
    if (!this.stable || this.blocked || this.socket === undefined) return;
    this.attempt = 0;
    const resent = this.pendingResend;
    this.pendingResend = 0;
    if (this.down) {
      this.down = false;
      this.events.onUp(resent);
    }
  }

  /**
   * Watches the writes in progress: when the operating system has taken none of them for
   * `stallMs` (its buffers are full because the receiver does not read), the connection is
   * destroyed as broken, so the outage is reported, records are counted when dropped, and
   * nothing waits forever. One timer per connection while writes wait, none per record.
   */
  private watchStall(socket: net.Socket): void {
    if (this.stallTimer !== undefined || this.pendingWrites === 0) return;
    const wait = Math.max(1, this.lastProgress + this.stallMs - Date.now());
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.socket !== socket || this.pendingWrites === 0 || this.closed) return;
      if (Date.now() - this.lastProgress >= this.stallMs) {
        socket.destroy(
          Object.assign(new Error(`the operating system took nothing written for ${this.stallMs} ms: the receiver accepts the connection but does not read (stallMs)`), { code: STALLED }),
        );
        return;
      }
      this.watchStall(socket);
    }, wait);
    this.stallTimer.unref();
  }

  pump(): void {
    const socket = this.socket;
    if (socket === undefined || !this.stats.connected || this.blocked || this.closed) {
      this.notifyIdle();
      return;
    }
    this.queueDropRecord();
    // What is queued leaves in one system call (writev), not one per record; uncorked before
    // pump() returns, so nothing is left in the socket's memory (process exit runs no later tick).
    socket.cork();
    try {
      this.pumpRecords(socket);
    } finally {
      socket.uncork();
    }
    this.watchStall(socket);
    this.notifyIdle();
  }

  private pumpRecords(socket: net.Socket): void {
    for (;;) {
      let record: QueuedRecord | undefined;
      try {
        record = this.queue.next();
      } catch (error) {
        // The spool cannot be read (EIO): drop the connection and try again with backoff.
        socket.destroy(error as Error);
        return;
      }
      if (record === undefined) break;
      // Time spent idle is no stall: the clock starts with the first write of a burst.
      if (this.pendingWrites === 0) this.lastProgress = Date.now();
      this.pendingWrites++;
      this.writtenOnConnection++;
      const ok = socket.write(record.bytes, (error) => {
        if (error === undefined || error === null) this.taken(record, socket);
        if (this.socket !== socket) return;
        this.lastProgress = Date.now();
        this.pendingWrites--;
        // At the end of a burst: a drop record may be waiting for room.
        if (this.queue.unsent === 0 && this.pendingWrites === 0) this.pump();
        else this.notifyIdle();
      });
      if (!ok) {
        this.blocked = true;
        break;
      }
    }
  }

  /**
   * Stops without closing the queue, for a successor with the same framing (a reload): the
   * connection is dropped, and what it may not have delivered (written but not flushed, or within
   * the resend window) is put back in front of the queue, so nothing is lost.
   */
  detach(): DeliveryQueue {
    this.closed = true;
    this.stopTimers();
    clearTimeout(this.stableTimer);
    clearTimeout(this.stallTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.forgetConnection();
    this.queue.rewind(Date.now(), this.resendMs);
    return this.queue;
  }

  /**
   * Stops sending and closes the connection cleanly, keeping the queue for a successor (a reload
   * with the same framing). Resolves once the receiver has closed its side (the records sent are
   * then delivered) or, failing that within 2 s, once they are put back in front of the queue
   * (sent again by the successor). The successor starts after this resolves, so order is kept.
   */
  handOff(): Promise<void> {
    return this.stop((queue, clean) => {
      // Not confirmed: what the receiver may have lost goes first to the successor.
      if (!clean) queue.rewind(Date.now(), this.resendMs);
    });
  }

  close(): Promise<void> {
    // Not confirmed: a spool keeps the unconfirmed records for the next process.
    return this.stop((queue) => queue.close());
  }

  /**
   * Stops sending and closes the connection: end() sends what was written, and the receiver
   * closes its side once it has read it all; then (`clean`) the records in the resend window count
   * as delivered. Without that clean close within 2 s, `then` decides what becomes of them.
   */
  private stop(then: (queue: DeliveryQueue, clean: boolean) => void): Promise<void> {
    this.closed = true;
    this.stopTimers();
    clearTimeout(this.stableTimer);
    clearTimeout(this.stallTimer);
    const socket = this.socket;
    this.socket = undefined;
    const queue = this.queue;
    if (socket === undefined || !this.stats.connected) {
      socket?.destroy();
      this.forgetConnection();
      then(queue, false);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const finish = (clean: boolean): void => {
        clearTimeout(timer);
        // The receiver read everything and closed its side: what the connection took counts
        // as sent even if it had not yet stayed up long enough to be verified.
        if (clean) this.verify();
        this.forgetConnection();
        if (clean) queue.settle(Number.POSITIVE_INFINITY, 0);
        then(queue, clean);
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(() => finish(false), 2000);
      timer.unref();
      // A clean close (no error) means end() flushed every write and the receiver read them.
      socket.once("close", (hadError: boolean) => finish(!hadError));
      socket.ref();
      socket.end();
    });
  }
}

/**
 * Sends each record as UDP datagrams (a GELF record may be several chunks). UDP has no
 * connection: a record counts as sent when the operating system took it; a send that fails
 * (no route, the name does not resolve) is retried with backoff, in order.
 *
 * @example
 * ```ts
 * const transport = new DatagramTransport(new MemoryQueue(1000), { host: "127.0.0.1", port: 514, protocol: "udp" }, events, (b) => [b]);
 * ```
 */
export class DatagramTransport extends Transport {
  private socket: dgram.Socket | undefined;
  private address: string | undefined;
  private inFlight: QueuedRecord | undefined;

  constructor(
    queue: DeliveryQueue,
    endpoint: Endpoint,
    events: TransportEvents,
    private readonly datagrams: (record: Buffer) => Buffer[],
    start?: Promise<void>,
  ) {
    super(queue, endpoint, events, 0);
    if (start === undefined) this.resolve();
    else void start.then(() => this.resolve());
  }

  protected writing(): boolean {
    return this.inFlight !== undefined;
  }

  protected holdProcess(hold: boolean): void {
    if (hold) this.socket?.ref();
    else this.socket?.unref();
  }

  protected retry(): void {
    if (this.address === undefined) this.resolve();
    else this.pump();
  }

  private resolve(): void {
    const host = this.endpoint.host;
    if (isIP(host) !== 0) {
      this.open(host);
      return;
    }
    lookup(host, (error, address) => {
      if (this.closed) return;
      if (error !== null) this.failed(error);
      else this.open(address);
    });
  }

  private open(address: string): void {
    this.address = address;
    const socket = dgram.createSocket(isIP(address) === 6 ? "udp6" : "udp4");
    socket.on("error", (error) => this.failed(error));
    socket.unref();
    this.socket = socket;
    this.stats.connected = true;
    this.pump();
  }

  pump(): void {
    if (this.inFlight !== undefined || this.socket === undefined || this.closed || this.retryTimer !== undefined) {
      this.notifyIdle();
      return;
    }
    this.queueDropRecord();
    let record: QueuedRecord | undefined;
    try {
      record = this.queue.next();
    } catch (error) {
      this.failed(error as Error);
      return;
    }
    if (record === undefined) {
      this.notifyIdle();
      return;
    }
    this.inFlight = record;
    const parts = this.datagrams(record.bytes);
    const socket = this.socket;
    let index = 0;
    const sendNext = (): void => {
      socket.send(parts[index] as Buffer, this.endpoint.port, this.address, (error) => {
        if (this.closed) return;
        if (error !== null && error !== undefined) {
          this.inFlight = undefined;
          if ((error as NodeJS.ErrnoException).code === "EMSGSIZE") {
            // Too large for any datagram: retrying cannot help, and it must not block the rest.
            this.events.onRejected(record.bytes.length, error);
            record.flushedAt = Date.now();
            this.queue.settle(Date.now(), 0);
            this.pump();
            return;
          }
          this.queue.rewind(Date.now(), 0);
          this.failed(error);
          return;
        }
        if (++index < parts.length) {
          sendNext();
          return;
        }
        this.inFlight = undefined;
        this.flushed(record);
        this.queue.settle(Date.now(), 0);
        this.stats.connected = true;
        if (this.down) {
          this.down = false;
          this.attempt = 0;
          this.events.onUp(0);
        }
        this.pump();
      });
    };
    sendNext();
  }

  /** Stops, keeping the queue for a successor (nothing of UDP waits for an answer). */
  handOff(): Promise<void> {
    this.detach();
    return Promise.resolve();
  }

  /** Stops without closing the queue, for a successor with the same framing (a reload). */
  detach(): DeliveryQueue {
    this.closed = true;
    this.stopTimers();
    try {
      this.socket?.close();
    } catch {
      // Already closed.
    }
    this.socket = undefined;
    this.queue.rewind(Date.now(), 0);
    return this.queue;
  }

  close(): Promise<void> {
    this.detach();
    this.queue.close();
    return Promise.resolve();
  }
}
