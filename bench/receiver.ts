/**
 * The remote receiver of scenario 9, in a process of its own: a syslog TCP server (RFC 5424,
 * octet-counted frames, RFC 6587 §3.4.1) that checks every record it gets against the record the
 * harness logged, and counts them. Started by the subject with `fork()`:
 *
 *   node dist/bench/receiver.js <records>
 *
 * Over IPC it sends `{ type: "listening", port }` once it listens on 127.0.0.1, and
 * `{ type: "complete", atNs }` once every record 0 … records-1 has arrived (`atNs`: the
 * monotonic clock, `process.hrtime.bigint()`, which is the same clock in every process of the
 * machine). Asked `{ type: "report" }`, it answers with its {@link ReceiverReport}.
 *
 * Only npm is needed (no rsyslog): the bench must run wherever the project builds.
 */
import { createServer, type Socket } from "node:net";
import { CLIENT, EVENT_ID, IP, sessionOf } from "./lib/records.js";

/** What the receiver saw. */
export interface ReceiverReport {
  readonly type: "report";
  /** Frames received (good or not). */
  readonly frames: number;
  /** Distinct records 0 … records-1 received whole and exact. */
  readonly distinct: number;
  readonly duplicates: number;
  /** Frames that were not the record logged (or not a frame at all), with a few examples. */
  readonly malformed: number;
  readonly examples: readonly string[];
  /** Places where a record did not follow the one before it. */
  readonly outOfOrder: number;
  /** Bytes received. */
  readonly bytes: number;
  /** Connections accepted. */
  readonly connections: number;
  /** CPU (user + system) of this process since it started listening, µs. */
  readonly cpuUs: number;
  /** When the first and the last record arrived (monotonic clock, ns, as text). */
  readonly firstAtNs: string;
  readonly lastAtNs: string;
}

const records = Number(process.argv[2]);
if (!Number.isSafeInteger(records) || records <= 0 || process.send === undefined) {
  process.stderr.write("usage: fork(receiver.js, [records]) with an IPC channel\n");
  process.exit(2);
}
const send = (message: object): void => {
  process.send?.(message);
};

const ISO_MS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The whole message slf4ts sends for a record (RFC 5424, severity info, facility local5). */
const MESSAGE = new RegExp(
  `^<\\d{1,3}>1 ${ISO_MS} \\S+ slf4ts \\d+ ${esc(EVENT_ID)} ` +
    `\\[audit@32473 login="user(\\d+)@example\\.com" ip="${esc(IP)}" client="${esc(CLIENT)}" session="([0-9a-f]{32})" timestamp="(${ISO_MS})"\\] ` +
    `${esc(EVENT_ID)} login=user\\1@example\\.com ip=${esc(IP)} client=${esc(CLIENT)} session=\\2 timestamp=\\3$`,
);

const seen = new Uint8Array(records);
let frames = 0;
let distinct = 0;
let duplicates = 0;
let malformed = 0;
const examples: string[] = [];
let outOfOrder = 0;
let previous = -1;
let bytes = 0;
let connections = 0;
let firstAtNs = 0n;
let lastAtNs = 0n;
let cpu0 = process.cpuUsage();

function bad(what: string): void {
  malformed++;
  if (examples.length < 3) examples.push(what.length > 200 ? what.slice(0, 200) + "…" : what);
}

function onMessage(message: string): void {
  frames++;
  const match = MESSAGE.exec(message);
  if (match === null) {
    bad(JSON.stringify(message));
    return;
  }
  const seq = Number(match[1]);
  if (seq >= records || match[2] !== sessionOf(seq)) {
    bad(`record #${seq} with session ${match[2]}`);
    return;
  }
  const now = process.hrtime.bigint();
  if (firstAtNs === 0n) firstAtNs = now;
  lastAtNs = now;
  if (seq !== previous + 1) outOfOrder++;
  previous = seq;
  if (seen[seq] === 1) {
    duplicates++;
    return;
  }
  seen[seq] = 1;
  if (++distinct === records) send({ type: "complete", atNs: String(now) });
}

/** Splits an octet-counted stream (`LEN SP MSG`) into messages. */
function onConnection(socket: Socket): void {
  connections++;
  let pending: Buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    let data = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    for (;;) {
      const space = data.indexOf(0x20, at);
      if (space < 0 || space - at > 10) break;
      const length = Number(data.toString("latin1", at, space));
      if (!Number.isSafeInteger(length) || length <= 0 || space === at) {
        bad(`not an octet count: ${JSON.stringify(data.toString("latin1", at, Math.min(data.length, at + 40)))}`);
        socket.destroy();
        return;
      }
      if (data.length < space + 1 + length) break;
      onMessage(data.toString("utf8", space + 1, space + 1 + length));
      at = space + 1 + length;
    }
    if (data.length - at > 20 && data.indexOf(0x20, at) < 0) {
      bad(`no octet count in ${data.length - at} bytes`);
      socket.destroy();
      return;
    }
    data = data.subarray(at);
    pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
  });
  socket.on("error", () => undefined);
}

const server = createServer(onConnection);
server.listen(0, "127.0.0.1", () => {
  cpu0 = process.cpuUsage();
  const address = server.address();
  send({ type: "listening", port: typeof address === "object" && address !== null ? address.port : 0 });
});

process.on("message", (message: { type?: string }) => {
  if (message.type !== "report") return;
  const cpu = process.cpuUsage(cpu0);
  const report: ReceiverReport = {
    type: "report",
    frames,
    distinct,
    duplicates,
    malformed,
    examples,
    outOfOrder,
    bytes,
    connections,
    cpuUs: cpu.user + cpu.system,
    firstAtNs: String(firstAtNs),
    lastAtNs: String(lastAtNs),
  };
  send(report);
});
// The parent's end: when it goes (or disconnects), so does the receiver.
process.on("disconnect", () => {
  server.close();
  process.exit(0);
});
