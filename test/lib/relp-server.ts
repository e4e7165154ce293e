/**
 * A tiny RELP server for tests that need a receiver misbehaving on purpose: refusing the session,
 * answering `500` to chosen records, never answering, answering late (`ackDelayMs`), or ending the
 * session with `serverclose`.
 * It frames by its own reading of librelp's spec (not with the code under test), records every
 * `syslog` command's DATA in arrival order, and answers as {@link RelpServerOptions.answer} says.
 *
 * Usage:
 * ```ts
 * const server = await startRelpServer({ answer: (message) => (message.includes("seq=3") ? "500 refused" : "200 OK") });
 * t.teardown(() => server.close());
 * // target.x.protocol=relp, port=server.port ... then:
 * server.received; // every message, duplicates included
 * ```
 */
import { createServer, type AddressInfo, type Socket } from "node:net";

/** How the server answers a `syslog` command: a response (`200 OK`, `500 …`), or "silent" (never). */
export type RelpAnswer = "200 OK" | `500${string}` | "silent";

/** Options of {@link startRelpServer}. */
export interface RelpServerOptions {
  /** The answer to each `syslog` command (`index`: 0-based over the server's life); default "200 OK". */
  answer?: (message: string, index: number) => RelpAnswer;
  /** The answer to `open`; default `200 OK` with relp_version=0 and commands=syslog. */
  openAnswer?: string;
  /** Answers each `syslog` command this many milliseconds after it arrived (a timer each); default 0 (at once). */
  ackDelayMs?: number;
}

/** A running test RELP server. */
export interface RelpServer {
  readonly port: number;
  /** DATA of every `syslog` command received, in order (duplicates included). */
  readonly received: string[];
  /** Frames received, as `txnr command` (for checking the session: open, syslog…, close). */
  readonly commands: string[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Changes how `syslog` commands are answered from now on. */
  setAnswer(answer: (message: string, index: number) => RelpAnswer): void;
  /** Sends the `serverclose` hint on every open connection and closes them. */
  serverClose(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

function frame(txnr: number, command: string, data: string): Buffer {
  const body = Buffer.from(data, "utf8");
  return Buffer.from(`${txnr} ${command} ${body.length}${body.length > 0 ? " " : ""}${data}\n`, "utf8");
}

/**
 * Starts the server on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * const server = await startRelpServer({ answer: () => "silent" });
 * ```
 */
export async function startRelpServer(options: RelpServerOptions = {}): Promise<RelpServer> {
  let answer = options.answer ?? (() => "200 OK" as const);
  const openAnswer = options.openAnswer ?? "200 OK\nrelp_version=0\nrelp_software=test\ncommands=syslog";
  const received: string[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        // TXNR SP COMMAND SP DATALEN [SP DATA] LF
        const text = buffer.toString("latin1", 0, Math.min(buffer.length, 64));
        const m = /^(\d+) ([a-z]+) (\d+)([ \n])/.exec(text);
        if (m === null) return;
        const head = m[0].length;
        const length = Number(m[3]);
        if (m[4] === "\n") {
          buffer = buffer.subarray(head);
          handle(socket, Number(m[1]), m[2] as string, "");
          continue;
        }
        if (buffer.length < head + length + 1) return;
        const data = buffer.subarray(head, head + length).toString("utf8");
        if (buffer[head + length] !== 0x0a) throw new Error("test RELP server: frame without LF trailer");
        buffer = buffer.subarray(head + length + 1);
        handle(socket, Number(m[1]), m[2] as string, data);
      }
    });
  });
  function handle(socket: Socket, txnr: number, command: string, data: string): void {
    commands.push(`${txnr} ${command}`);
    if (command === "open") socket.write(frame(txnr, "rsp", openAnswer));
    else if (command === "close") {
      socket.write(frame(txnr, "rsp", "200 OK"));
      socket.end();
    } else if (command === "syslog") {
      const index = received.length;
      received.push(data);
      const reply = answer(data, index);
      if (reply === "silent") return;
      if ((options.ackDelayMs ?? 0) > 0) setTimeout(() => socket.destroyed || socket.write(frame(txnr, "rsp", reply)), options.ackDelayMs);
      else socket.write(frame(txnr, "rsp", reply));
    }
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    commands,
    get connections() {
      return connections;
    },
    setAnswer(next) {
      answer = next;
    },
    serverClose() {
      for (const socket of sockets) {
        socket.write("0 serverclose 0\n");
        socket.end();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
