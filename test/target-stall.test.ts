/**
 * A receiver that accepts a TCP connection and then does not read (a hung process, a full
 * queue behind it): the socket's buffers fill and nothing more is taken. It must be reported as
 * an outage, its drops counted and reported as for one, and its recovery reported, all while
 * the program runs (not at shutdown). A real Node server, whose sockets are paused.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tls from "node:tls";
import { ConfigError, createAuditLogService } from "../src/index.js";
import { MemoryQueue } from "../src/targets/queue.js";
import { captureStatus, P, tempDir, waitFor } from "./lib/helpers.js";
import { generateTestCerts } from "./lib/certs.js";

/** A receiver that reads or not (paused sockets: the kernel's receive buffer fills, then the sender's). */
class StallingReceiver {
  private readonly server: net.Server;
  constructor(options?: tls.TlsOptions) {
    const accept = (socket: net.Socket): void => {
      this.sockets.add(socket);
      const chunks: Buffer[] = [];
      this.streams.push(chunks);
      socket.on("data", (d) => chunks.push(d));
      socket.on("error", () => undefined);
      socket.on("close", () => this.sockets.delete(socket));
      if (!this.reading) socket.pause();
    };
    this.server = options === undefined ? net.createServer(accept) : tls.createServer(options, accept);
  }
  private readonly sockets = new Set<net.Socket>();
  private readonly streams: Buffer[][] = [];
  private reading = false;
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Starts reading: paused connections resume, new ones are read at once. */
  read(): void {
    this.reading = true;
    for (const socket of this.sockets) socket.resume();
  }

  lines(): string[] {
    return this.streams.flatMap((chunks) => {
      const text = Buffer.concat(chunks).toString("utf8");
      const end = text.lastIndexOf("\n");
      return end < 0 ? [] : text.slice(0, end).split("\n");
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const target = (port: number, extra: Record<string, string> = {}): Record<string, string> => {
  const properties: Record<string, string> = {
    [P + "enabled"]: "true",
    [P + "file.location"]: "",
    [P + "target.stuck.type"]: "tcp",
    [P + "target.stuck.host"]: "127.0.0.1",
    [P + "target.stuck.port"]: String(port),
  };
  for (const [k, v] of Object.entries(extra)) properties[`${P}target.stuck.${k}`] = v;
  return properties;
};

const stalls = test.macro(async (t, protocol: "tcp" | "tls") => {
  const status = captureStatus(t);
  let receiver: StallingReceiver;
  let options: Record<string, string> = {};
  if (protocol === "tls") {
    const certs = await generateTestCerts(join(tempDir(t, "slf4ts-stall-"), "certs"));
    receiver = new StallingReceiver({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) });
    options = { protocol: "tls", "tls.ca": certs.caCert, "tls.servername": "localhost" };
  } else {
    receiver = new StallingReceiver();
  }
  await receiver.start();
  t.teardown(() => receiver.stop());
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ properties: target(receiver.port, { ...options, "buffer.size": "20", stallMs: "1000" }), watch: false });
  const failed = (): boolean => status.some((e) => e.code === "TARGET_FAILED");
  // Log large records until the socket's buffers are full and the stall is noticed (bounded).
  const body = "x".repeat(4000);
  let seq = 0;
  const deadline = Date.now() + 25_000; // ava allows 60 s per test: these bounds add up to 55 s
  while (!failed() && Date.now() < deadline) {
    for (let k = 0; k < 50; k++) audit.log("ox.mail", { seq: seq++, body });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const failures = status.filter((e) => e.code === "TARGET_FAILED");
  t.is(failures.length, 1, "the stall is reported while the program runs, once");
  const expected = `audit target "stuck" (tcp ${protocol}://127.0.0.1:${receiver.port}) stopped taking records (ESTALLED: the operating system took nothing written for 1000 ms: the receiver accepts the connection but does not read (stallMs)); records are kept (buffer.size 20) and sent in order when it is back`;
  t.is(failures[0]?.message, expected);
  const dropped = audit.stats().targets[0]?.dropped ?? 0;
  t.true(dropped > 0, "records past buffer.size were dropped and counted");

  // The receiver reads again: recovery is reported, and a drop record stands for the lost ones.
  receiver.read();
  t.true(await waitFor(() => status.some((e) => e.code === "TARGET_RECOVERED" && e.message.includes('"stuck"')), 20_000), "recovery reported");
  t.is(status.filter((e) => e.code === "TARGET_FAILED").length, 1);
  const last = seq++;
  audit.log("ox.mail", { seq: last, body: "last" });
  // At-least-once: a drop record on a connection that broke while the receiver read it comes
  // again on the next one; each counts once (its timestamp and interval make it unique).
  const dropRecords = (): Array<{ attributes: Record<string, string> }> =>
    [...new Set(receiver.lines())]
      .map((l) => JSON.parse(l) as { event: string; attributes: Record<string, string> })
      .filter((r) => r.event === "slf4ts.audit.dropped");
  t.true(await waitFor(() => dropRecords().length > 0 && receiver.lines().some((l) => l.includes(`"seq":"${last}"`)), 10_000));
  const counted = dropRecords().reduce((sum, r) => sum + Number(r.attributes["dropped"]), 0);
  t.is(counted, audit.stats().targets[0]?.dropped ?? -1, "the drop records account for every dropped record");
  t.is(dropRecords()[0]?.attributes["target"], "stuck");
});

test.serial("a TCP receiver that accepts and never reads is reported as an outage before shutdown, drops are counted, and its recovery is reported once it reads", stalls, "tcp");
test.serial("a TLS receiver that accepts and never reads: the same", stalls, "tls");

test.serial("stallMs is validated like every other option", async (t) => {
  captureStatus(t);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  const error = await t.throwsAsync(audit.configure({ properties: target(6514, { stallMs: "50" }), watch: false }), { instanceOf: ConfigError });
  t.deepEqual(
    error?.problems.map((p) => `${p.key ?? ""} = ${p.value ?? ""}: ${p.expected}`),
    [`${P}target.stuck.stallMs = 50: expected a whole number of milliseconds from 100 to 600000`],
  );
});

test.serial("a record written to the socket but not yet taken by the operating system is never forgotten to make room: it is sent again if the connection breaks", (t) => {
  const queue = new MemoryQueue(2);
  queue.push(Buffer.from("a"), 1);
  queue.push(Buffer.from("b"), 2);
  // Both written; the socket has not taken them (no flushedAt): the receiver does not read.
  queue.next();
  queue.next();
  t.true(queue.push(Buffer.from("c"), 3));
  t.is(queue.rewind(4, 3000), 2, "a and b are sent again after the connection breaks");
  const order: string[] = [];
  for (let r = queue.next(); r !== undefined; r = queue.next()) order.push(r.bytes.toString());
  t.deepEqual(order, ["a", "b", "c"]);
  // Once the OS took them, they are what gives way first (the resend window), before a drop.
  const flushed = new MemoryQueue(2);
  flushed.push(Buffer.from("a"), 1);
  flushed.push(Buffer.from("b"), 2);
  const a = flushed.next();
  if (a !== undefined) a.flushedAt = 5;
  t.true(flushed.push(Buffer.from("c"), 6));
  t.is(flushed.droppedTotal, 0);
  t.false(flushed.push(Buffer.from("d"), 7), "b and c wait: d is dropped and counted");
  t.is(flushed.droppedTotal, 1);
});

test.serial("a host that ends without shutdown while its receiver does not read still exits: the stall ends the wait", async (t) => {
  const receiver = await new StallingReceiver().start();
  t.teardown(() => receiver.stop());
  const dir = tempDir(t, "slf4ts-stall-");
  const props = join(dir, "audit.properties");
  const properties = target(receiver.port, { "buffer.size": "100000", stallMs: "1000" });
  writeFileSync(props, Object.entries(properties).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  // 8 MB: more than the kernel's buffers of a connection take.
  const child = spawn(process.execPath, [fileURLToPath(new URL("./programs/natural-exit-child.js", import.meta.url)), props, "2000"], { stdio: ["ignore", "ignore", "pipe"] });
  t.teardown(() => child.kill("SIGKILL"));
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = await new Promise<number | null | "hung">((resolve) => {
    const timer = setTimeout(() => resolve("hung"), 45_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  t.is(exited, 0, `the host did not exit within 45 s: ${stderr}`);
  t.regex(stderr, /\[TARGET_FAILED\] audit target "stuck" .*stopped taking records \(ESTALLED/);
});
