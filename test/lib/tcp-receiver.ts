/**
 * A TCP receiver for target tests: collects the bytes of every connection, can be stopped
 * (connections destroyed, as a crashed receiver would) and started again on the same port.
 */
import * as net from "node:net";

/** Splits RFC 6587 octet-counted frames (`LEN SP MSG`); returns the messages and what is left. */
export function octetFrames(data: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let offset = 0;
  for (;;) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(data.subarray(offset, space).toString("latin1"));
    if (!Number.isInteger(length)) throw new Error(`not an octet-counted frame at ${offset}: ${data.subarray(offset, offset + 20).toString()}`);
    if (space + 1 + length > data.length) break;
    messages.push(data.subarray(space + 1, space + 1 + length).toString("utf8"));
    offset = space + 1 + length;
  }
  return { messages, rest: data.subarray(offset) };
}

/** A receiver: `bytes()` is everything received, over all connections, in arrival order. */
export class TcpReceiver {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  /** The bytes of each connection, in the order connections were accepted. */
  private streams: Buffer[][] = [];
  connections = 0;
  port = 0;

  /** Starts listening (on the same port as before after a stop). */
  async start(): Promise<this> {
    const server = net.createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      const chunks: Buffer[] = [];
      this.streams.push(chunks);
      socket.on("data", (d) => chunks.push(d));
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops like a crash: the listener closes and every connection is reset. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Everything received so far, one buffer per connection. */
  bytes(): Buffer[] {
    return this.streams.map((chunks) => Buffer.concat(chunks));
  }

  /** The octet-counted messages received (each connection framed on its own, so a frame torn by a reset is left out). */
  messages(): string[] {
    return this.bytes().flatMap((b) => octetFrames(b).messages);
  }

  /** The complete newline-terminated lines received. */
  lines(): string[] {
    return this.bytes().flatMap((b) => {
      const text = b.toString("utf8");
      const end = text.lastIndexOf("\n");
      return end < 0 ? [] : text.slice(0, end).split("\n");
    });
  }

  /** The complete NUL-terminated frames received. */
  nulFrames(): string[] {
    return this.bytes().flatMap((b) => {
      const text = b.toString("utf8");
      const end = text.lastIndexOf("\0");
      return end < 0 ? [] : text.slice(0, end).split("\0");
    });
  }
}
