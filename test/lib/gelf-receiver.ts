/**
 * A small GELF-over-UDP receiver for tests (what Graylog does with a datagram, minus storage):
 * reassembles chunked messages, inflates gzip and zlib payloads, parses the JSON, and counts what
 * it could not use. rsyslog cannot stand in here: imudp stores a compressed or chunked datagram
 * as bytes, not as a message.
 *
 * Rules followed (GELF 1.1, Graylog's documentation):
 * - A chunk starts with the magic bytes `0x1e 0x0f`, then an 8-byte message id, a 1-byte sequence
 *   number (0-based) and a 1-byte sequence count; at most 128 chunks. The chunks of one message
 *   may arrive in any order and are joined by sequence number.
 * - A message whose chunks are not all there within the reassembly timeout (5 s in Graylog) is
 *   dropped and counted as incomplete.
 * - The (joined) payload is gzip when it starts with `1f 8b`, zlib when it starts with `78` and a
 *   valid zlib header byte (`78 9c` is zlib's default), otherwise plain JSON.
 */
import { createSocket, type Socket } from "node:dgram";
import { gunzipSync, inflateSync } from "node:zlib";

/** How a received message was encoded. */
export type GelfCompression = "none" | "gzip" | "zlib";

/** One message the receiver could decode. */
export interface GelfReceived {
  /** The parsed GELF JSON object. */
  readonly message: Record<string, unknown>;
  /** The payload's encoding. */
  readonly compression: GelfCompression;
  /** How many chunks carried it (1 for an unchunked datagram). */
  readonly chunks: number;
  /** Size of the (joined) payload in bytes, before decompression. */
  readonly bytes: number;
}

/** Options of {@link startGelfReceiver}. */
export interface GelfReceiverOptions {
  /** Address to bind; default 127.0.0.1. The port is always chosen by the system (port 0). */
  readonly host?: string;
  /** How long the chunks of one message may take to arrive; default 5000 ms, as in Graylog. */
  readonly reassemblyTimeoutMs?: number;
}

/**
 * A listening receiver; see {@link startGelfReceiver}.
 *
 * @example
 * ```ts
 * await gelf.waitForMessages(2);
 * t.deepEqual(gelf.received.map((r) => r.compression), ["gzip", "none"]);
 * t.is(gelf.malformed, 0);
 * ```
 */
export interface GelfReceiver {
  /** The UDP port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** Decoded messages in arrival order (of their last chunk), with how they were encoded. */
  readonly received: readonly GelfReceived[];
  /** Just the parsed GELF objects, in arrival order. */
  readonly messages: readonly Record<string, unknown>[];
  /**
   * Datagrams or reassembled payloads that could not be used: a chunk with a bad header
   * (count 0 or above 128, sequence out of range, a count that differs from earlier chunks of the
   * same id), a payload that does not decompress, JSON that does not parse or is not an object.
   */
  readonly malformed: number;
  /** Chunked messages dropped because not every chunk arrived within the reassembly timeout. */
  readonly incomplete: number;
  /** Chunked messages still waiting for chunks. */
  readonly pending: number;
  /** Waits until at least `count` messages are decoded and returns them; rejects after `timeoutMs` (default 10000). */
  waitForMessages(count: number, timeoutMs?: number): Promise<readonly Record<string, unknown>[]>;
  /** Stops listening; pending chunks are dropped without being counted. */
  close(): Promise<void>;
}

/** GELF chunk magic. */
const MAGIC0 = 0x1e;
const MAGIC1 = 0x0f;
/**
 * GELF's maximum number of chunks per message; a chunk announcing more is malformed.
 *
 * @example
 * ```ts
 * t.true(chunks.length <= GELF_MAX_CHUNKS);
 * ```
 */
export const GELF_MAX_CHUNKS = 128;
const HEADER = 12;

interface Assembly {
  readonly count: number;
  readonly parts: (Buffer | undefined)[];
  have: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * Starts a GELF UDP receiver on a free port of 127.0.0.1 (IPv4).
 *
 * @example
 * ```ts
 * const gelf = await startGelfReceiver();
 * t.teardown(() => gelf.close());
 * // point the sender at 127.0.0.1:gelf.port, then:
 * const [message] = await gelf.waitForMessages(1);
 * t.is(message?.["short_message"], "login");
 * t.is(gelf.received[0]?.compression, "gzip");
 * ```
 */
export async function startGelfReceiver(options: GelfReceiverOptions = {}): Promise<GelfReceiver> {
  const host = options.host ?? "127.0.0.1";
  const reassemblyTimeoutMs = options.reassemblyTimeoutMs ?? 5000;
  const received: GelfReceived[] = [];
  const partials = new Map<string, Assembly>();
  let malformed = 0;
  let incomplete = 0;

  const deliver = (payload: Buffer, chunks: number): void => {
    let compression: GelfCompression = "none";
    let text: string;
    try {
      if (payload[0] === 0x1f && payload[1] === 0x8b) {
        compression = "gzip";
        text = gunzipSync(payload).toString("utf8");
      } else if (payload[0] === 0x78 && payload.length > 1 && ((0x78 << 8) | payload[1]!) % 31 === 0) {
        // zlib header: CMF 0x78 (deflate, 32 KiB window) and an FLG byte making the pair a multiple of 31
        compression = "zlib";
        text = inflateSync(payload).toString("utf8");
      } else {
        text = payload.toString("utf8");
      }
      const message: unknown = JSON.parse(text);
      if (typeof message !== "object" || message === null || Array.isArray(message)) throw new Error("not a JSON object");
      received.push({ message: message as Record<string, unknown>, compression, chunks, bytes: payload.length });
    } catch {
      malformed++;
    }
  };

  const onDatagram = (data: Buffer): void => {
    if (data.length < 2 || data[0] !== MAGIC0 || data[1] !== MAGIC1) {
      deliver(data, 1);
      return;
    }
    if (data.length < HEADER) {
      malformed++;
      return;
    }
    const id = data.subarray(2, 10).toString("hex");
    const seq = data[10]!;
    const count = data[11]!;
    if (count === 0 || count > GELF_MAX_CHUNKS || seq >= count) {
      malformed++;
      return;
    }
    let partial = partials.get(id);
    if (partial === undefined) {
      const timer = setTimeout(() => {
        partials.delete(id);
        incomplete++;
      }, reassemblyTimeoutMs);
      timer.unref();
      partial = { count, parts: new Array<Buffer | undefined>(count).fill(undefined), have: 0, timer };
      partials.set(id, partial);
    } else if (partial.count !== count) {
      malformed++;
      return;
    }
    if (partial.parts[seq] === undefined) partial.have++; // a repeated chunk replaces the first copy without counting twice
    partial.parts[seq] = Buffer.from(data.subarray(HEADER));
    if (partial.have === partial.count) {
      clearTimeout(partial.timer);
      partials.delete(id);
      deliver(Buffer.concat(partial.parts as Buffer[]), count);
    }
  };

  const socket: Socket = createSocket("udp4");
  socket.on("message", onDatagram);
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  // A later socket error (none expected on a bound UDP socket) must not crash the test process.
  socket.on("error", () => undefined);
  const { port } = socket.address();
  let closed = false;

  return {
    port,
    host,
    received,
    get messages() {
      return received.map((r) => r.message);
    },
    get malformed() {
      return malformed;
    },
    get incomplete() {
      return incomplete;
    },
    get pending() {
      return partials.size;
    },
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`GELF receiver: ${received.length} of ${count} message(s) within ${timeoutMs} ms (malformed ${malformed}, incomplete ${incomplete}, pending ${partials.size})`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return received.map((r) => r.message);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const p of partials.values()) clearTimeout(p.timer);
      partials.clear();
      await new Promise<void>((resolve) => socket.close(resolve));
    },
  };
}
