/**
 * Delivery over RELP (librelp's Reliable Event Logging Protocol, rsyslog's `imrelp`): each record
 * is a `syslog` command the receiver answers with `rsp 200 OK` once it has taken it. A record
 * counts as sent only when that answer came; the records not yet answered (at most the window)
 * stay in the queue and, when the connection breaks, are sent again first, in order, on the next
 * connection. So delivery is at-least-once, and a record arrives twice only when the receiver took
 * it but its answer was lost with the connection (or, with a spool, the process crashed within
 * the 200 ms in which the spool's position is saved).
 *
 * @module
 */
import * as net from "node:net";
import type { DeliveryQueue, QueuedRecord } from "./queue.js";
import { encodeRelpFrame, nextTxnr, openOffers, parseOffers, parseRelpResponse, RelpFrameParser, RelpProtocolError, type RelpFrame } from "./relp.js";
import { connectStream, Transport, type Endpoint, type TransportEvents } from "./transport.js";

/** What the RELP session needs beyond the endpoint. */
export interface RelpOptions {
  /** At most this many records sent and not yet answered. */
  readonly window: number;
  /** The bound on the connection, the `open` handshake, each wait for an answer, and the close at shutdown (milliseconds). */
  readonly timeoutMs: number;
}

/** How the session offers itself in `open` (`relp_software`). */
const SOFTWARE = "slf4ts";
/** How long `close()` or a hand-over waits for the answers still due and the answer to `close`, at most. */
const STOP_MS = 2000;

type ErrorWithCode = Error & { code?: string | undefined };

function failure(message: string, code: string): ErrorWithCode {
  return Object.assign(new Error(message), { code });
}

/**
 * A RELP session to one receiver over TCP or TLS (`endpoint.protocol`), reconnected with backoff.
 *
 * @example
 * ```ts
 * const relp = new RelpTransport(new MemoryQueue(10000), { host: "127.0.0.1", port: 2514, protocol: "tcp" }, events, { window: 128, timeoutMs: 10000 });
 * relp.offer(Buffer.from("<110>1 2026-01-02T03:04:05.006Z mail1 slf4ts - ox.login - login=thorben"));
 * ```
 */
export class RelpTransport extends Transport {
  private socket: net.Socket | undefined;
  private state: "down" | "opening" | "open" = "down";
  /** The last transaction number used in this session (a session starts at 1). */
  private txnr = 0;
  private openTxnr = 0;
  private closeTxnr = 0;
  /** Records sent and not yet answered, by transaction number, oldest first. */
  private readonly unanswered = new Map<number, QueuedRecord>();
  private blocked = false;
  /** When the receiver last answered (or the wait for an answer began). */
  private lastProgress = 0;
  private timeoutTimer: NodeJS.Timeout | undefined;
  /** Records to be sent again since the last connection broke (reported when it is back). */
  private pendingResend = 0;
  /** Called when nothing is unanswered any more, the `close` was answered, or the connection ended (a stop waits for it). */
  private stopWaiter: (() => void) | undefined;

  /** `start`: connect only once it resolves (a predecessor is still handing the queue over). */
  constructor(
    queue: DeliveryQueue,
    endpoint: Endpoint,
    events: TransportEvents,
    private readonly options: RelpOptions,
    start?: Promise<void>,
  ) {
    super(queue, endpoint, events, 0);
    if (start === undefined) this.connect();
    else void start.then(() => this.connect());
  }

  /** Records sent and not yet answered. */
  get unconfirmed(): number {
    return this.unanswered.size;
  }

  protected writing(): boolean {
    return this.unanswered.size > 0;
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
      if (this.socket !== socket) return;
      // A new session: transaction numbers start at 1 again, with `open`.
      this.state = "opening";
      this.txnr = 0;
      this.openTxnr = this.nextTxnr();
      this.lastProgress = Date.now();
      socket.write(encodeRelpFrame(this.openTxnr, "open", openOffers(SOFTWARE)));
      this.watchTimeout();
    };
    try {
      socket = connectStream(this.endpoint, onConnected);
    } catch (error) {
      this.failed(error as Error);
      return;
    }
    this.socket = socket;
    const parser = new RelpFrameParser();
    this.holdProcess(this.queue.unsent > 0);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    // Until the handshake: the connection (and TLS) within timeoutMs; then the answers are watched.
    this.lastProgress = Date.now();
    this.state = "down";
    this.watchTimeout();
    socket.on("data", (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        for (const frame of parser.push(chunk)) {
          this.receive(socket, frame);
          if (this.socket !== socket) return;
        }
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.on("drain", () => {
      this.blocked = false;
      this.pump();
    });
    let lastError: ErrorWithCode | undefined;
    socket.on("error", (error: ErrorWithCode) => {
      lastError ??= error;
    });
    socket.on("end", () => socket.destroy());
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.ended();
      if (this.closed) return;
      this.failed(lastError ?? failure("the receiver closed the connection", "ECONNRESET"));
    });
  }

  /** The connection is gone: what was not answered goes back in front of the queue, in order. */
  private ended(): void {
    this.state = "down";
    this.blocked = false;
    this.stats.connected = false;
    clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    this.unanswered.clear();
    const resent = this.queue.rewind(Date.now() + 1, 0);
    this.pendingResend += resent;
    this.stats.resent += resent;
    this.stopWaiter?.();
  }

  private nextTxnr(): number {
    this.txnr = nextTxnr(this.txnr);
    return this.txnr;
  }

  /** One frame from the receiver. Throws {@link RelpProtocolError} for what breaks the protocol (the connection is then dropped). */
  private receive(socket: net.Socket, frame: RelpFrame): void {
    if (frame.txnr === 0 && frame.command === "serverclose") {
      // The receiver is going away (rsyslog says so when it stops): what it did not answer is sent again.
      socket.destroy(failure("the receiver ended the RELP session (serverclose)", "ECONNRESET"));
      return;
    }
    if (frame.command !== "rsp") throw new RelpProtocolError(`unexpected RELP command ${JSON.stringify(frame.command)} (transaction ${frame.txnr}) from the receiver`);
    const response = parseRelpResponse(frame.data);
    const now = Date.now();
    if (this.state === "opening" && frame.txnr === this.openTxnr) {
      if (response.code !== 200) {
        socket.destroy(failure(`the receiver refused the RELP session: ${response.code} ${response.text}`.trim(), "ERELPREFUSED"));
        return;
      }
      const offers = parseOffers(response.rest);
      const commands = (offers.get("commands") ?? "").split(",");
      if (!offers.has("relp_version") || !commands.includes("syslog")) {
        socket.destroy(failure(`the receiver does not offer RELP's syslog command (it answered ${JSON.stringify(response.rest)})`, "ERELPREFUSED"));
        return;
      }
      this.state = "open";
      this.stats.connected = true;
      this.lastProgress = now;
      if (this.down) {
        this.down = false;
        const resent = this.pendingResend;
        this.pendingResend = 0;
        this.events.onUp(resent);
      }
      this.pump();
      return;
    }
    if (frame.txnr === this.closeTxnr && this.closeTxnr !== 0) {
      this.stopWaiter?.();
      return;
    }
    // Answers come in the order of the commands (RELP requires it): only the oldest is due.
    const [oldest, record] = this.unanswered.entries().next().value ?? [];
    if (oldest !== frame.txnr || record === undefined) {
      throw new RelpProtocolError(`an answer to RELP transaction ${frame.txnr}, which ${this.unanswered.has(frame.txnr) ? "is not the oldest unanswered" : "was not sent or was answered already"}`);
    }
    this.unanswered.delete(frame.txnr);
    this.lastProgress = now;
    if (response.code === 200) {
      this.flushed(record);
      // A working session: the next failure backs off from the start.
      this.attempt = 0;
    } else {
      // The receiver refused this record (and only it): dropped and counted, the rest goes on.
      record.flushedAt = now;
      this.events.onRejected(record.bytes.length, failure(`the receiver answered ${response.code} ${response.text}`.trim(), "ERELPREFUSED"));
    }
    this.queue.settle(now + 1, 0);
    if (this.unanswered.size === 0) this.stopWaiter?.();
    this.pump();
  }

  /**
   * One timer per connection: while the connection, the handshake or an answer is awaited, the
   * receiver must make progress within `timeoutMs`, or the connection is dropped (and the
   * unanswered records are sent again on the next one).
   */
  private watchTimeout(): void {
    if (this.timeoutTimer !== undefined) return;
    const socket = this.socket;
    if (socket === undefined || (this.state === "open" && this.unanswered.size === 0)) return;
    const wait = Math.max(1, this.lastProgress + this.options.timeoutMs - Date.now());
    const judge = (): void => {
      if (this.socket !== socket) return;
      if (this.state === "open" && this.unanswered.size === 0) return;
      if (Date.now() - this.lastProgress >= this.options.timeoutMs) {
        const what = this.state === "down" ? "no connection" : this.state === "opening" ? "no answer to RELP open" : `no RELP acknowledgement for ${this.unanswered.size} record(s)`;
        socket.destroy(failure(`${what} within ${this.options.timeoutMs} ms (relp.timeoutMs)`, "ETIMEDOUT"));
        return;
      }
      this.watchTimeout();
    };
    this.timeoutTimer = setTimeout(() => {
      if (this.socket !== socket || Date.now() - this.lastProgress < this.options.timeoutMs) {
        this.timeoutTimer = undefined;
        judge();
        return;
      }
      // Past the deadline: but timers run before the event loop reads the sockets, so after a
      // blocked event loop (a long synchronous task, a loaded machine) the answers may be waiting
      // unread. Judged after the next read of the sockets (setImmediate runs after it), an answer
      // that came in time counts, instead of dropping the connection and sending its records twice.
      setImmediate(() => {
        this.timeoutTimer = undefined;
        judge();
      }).unref();
    }, wait);
    this.timeoutTimer.unref();
  }

  pump(): void {
    const socket = this.socket;
    if (socket === undefined || this.state !== "open" || this.blocked || this.closed) {
      this.notifyIdle();
      return;
    }
    this.queueDropRecord();
    while (this.unanswered.size < this.options.window) {
      let record: QueuedRecord | undefined;
      try {
        record = this.queue.next();
      } catch (error) {
        // The spool cannot be read (EIO): drop the connection and try again with backoff.
        socket.destroy(error as Error);
        return;
      }
      if (record === undefined) break;
      // Waiting for answers starts with the first record sent after none was due.
      if (this.unanswered.size === 0) this.lastProgress = Date.now();
      const txnr = this.nextTxnr();
      this.unanswered.set(txnr, record);
      if (!socket.write(encodeRelpFrame(txnr, "syslog", record.bytes))) {
        this.blocked = true;
        break;
      }
    }
    this.watchTimeout();
    this.notifyIdle();
  }

  /**
   * Stops without closing the queue, for a successor with the same framing (a reload): the
   * connection is dropped and the unanswered records go back in front of the queue.
   */
  detach(): DeliveryQueue {
    this.closed = true;
    this.stopTimers();
    clearTimeout(this.timeoutTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.ended();
    return this.queue;
  }

  /** Stops for a successor: waits (at most 2 s) for the answers due, closes the session; the rest goes to the successor first. */
  handOff(): Promise<void> {
    return this.stop((queue) => {
      queue.rewind(Date.now() + 1, 0);
    });
  }

  /** Stops: waits (at most 2 s) for the answers due and closes the session; a spool keeps what was not answered for the next process. */
  close(): Promise<void> {
    return this.stop((queue) => queue.close());
  }

  private stop(then: (queue: DeliveryQueue) => void): Promise<void> {
    this.closed = true;
    this.stopTimers();
    const socket = this.socket;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.stopWaiter = undefined;
      clearTimeout(this.timeoutTimer);
      this.timeoutTimer = undefined;
      this.socket = undefined;
      socket?.destroy();
      this.state = "down";
      this.stats.connected = false;
      this.unanswered.clear();
      this.queue.settle(Date.now() + 1, 0);
      then(this.queue);
    };
    if (socket === undefined || this.state !== "open") {
      finish();
      return Promise.resolve();
    }
    socket.ref();
    return new Promise<void>((resolve) => {
      // Whatever comes first: the answers due and the answer to `close`, the end of the connection, or the deadline.
      const timer = setTimeout(() => {
        finish();
        resolve();
      }, STOP_MS);
      timer.unref();
      const end = (): void => {
        clearTimeout(timer);
        finish();
        resolve();
      };
      const closeSession = (): void => {
        if (this.socket !== socket) {
          end();
          return;
        }
        // RELP's orderly end: `close`, answered by the receiver, then the connection is closed.
        this.closeTxnr = this.nextTxnr();
        this.stopWaiter = end;
        socket.write(encodeRelpFrame(this.closeTxnr, "close"));
      };
      if (this.unanswered.size === 0) closeSession();
      else this.stopWaiter = closeSession;
    });
  }
}
