/**
 * Named targets against receivers started by the tests (a Node TCP receiver here; the real
 * rsyslog in test/rsyslog-targets.test.ts): framing, filters, rate limits, a receiver that goes
 * away and comes back, drops, the resend window, reloads, file targets.
 */
import test from "ava";
import { writeFileSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../src/index.js";
import { captureStatus, P, readLines, tempDir, waitFor } from "./lib/helpers.js";
import { testService } from "./lib/service.js";
import { TcpReceiver } from "./lib/tcp-receiver.js";

async function receiver(t: import("ava").ExecutionContext): Promise<TcpReceiver> {
  const r = await new TcpReceiver().start();
  t.teardown(() => r.stop());
  return r;
}

const syslog = (port: number, extra: Record<string, string> = {}, name = "siem"): Record<string, string> => {
  const properties: Record<string, string> = {
    [P + "enabled"]: "true",
    [P + "file.location"]: "",
    [`${P}target.${name}.type`]: "syslog",
    [`${P}target.${name}.host`]: "127.0.0.1",
    [`${P}target.${name}.port`]: String(port),
    [`${P}target.${name}.hostname`]: "mail1",
  };
  for (const [k, v] of Object.entries(extra)) properties[`${P}target.${name}.${k}`] = v;
  return properties;
};

/** The `seq` attribute of each syslog message, in arrival order. */
function seqs(messages: readonly string[]): number[] {
  return messages.map((m) => Number(/ seq="([0-9]+)"/.exec(m)?.[1] ?? NaN));
}

test("a syslog target sends octet-counted RFC 5424 messages with the attributes as structured data", async (t) => {
  captureStatus(t);
  const r = await receiver(t);
  const audit = testService(t);
  await audit.configure({ properties: syslog(r.port), watch: false });
  audit.log("ox.login", { login: "ann", ip: "192.0.2.1", note: 'quote" back\\ bracket]', password: "hunter2" });
  audit.log("ox.logout", { login: "ann\nforged" });
  await audit.flush();
  t.true(await waitFor(() => r.messages().length === 2));
  const [login, logout] = r.messages();
  t.regex(login as string, /^<110>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z mail1 slf4ts \d+ ox\.login \[audit@32473 login="ann" ip="192\.0\.2\.1" note="quote\\" back\\\\ bracket\\]" password="\*\*\*\*"\] ox\.login /);
  // The newline stays inside the one octet-counted message (it cannot start a forged record).
  t.true((logout as string).includes('[audit@32473 login="ann\nforged"]'));
  // Counted as sent once the connection has stayed up 2 s (verified).
  t.true(await waitFor(() => audit.stats().targets[0]?.sent === 2, 10_000));
});

test("a record longer than maxBytes is cut on a UTF-8 boundary, with a marker, and the frame counts bytes", async (t) => {
  captureStatus(t);
  const r = await receiver(t);
  const audit = testService(t);
  await audit.configure({ properties: syslog(r.port, { maxBytes: "2048" }), watch: false });
  audit.log("ox.mail", { body: "é".repeat(10_000) });
  await audit.flush();
  t.true(await waitFor(() => r.messages().length === 1));
  const message = r.messages()[0] as string;
  t.true(Buffer.byteLength(message) <= 2048);
  t.true(Buffer.byteLength(message) >= 2048 - 2);
  t.true(message.endsWith("...[truncated]"));
  t.false(message.includes("\uFFFD"));
});

test("records wait while the receiver is down and arrive in order when it is back; the outage is reported", async (t) => {
  const status = captureStatus(t);
  const r = await receiver(t);
  await r.stop();
  const audit = testService(t);
  await audit.configure({ properties: syslog(r.port, {}, "outage"), watch: false });
  for (let seq = 0; seq < 50; seq++) audit.log("ox.login", { seq });
  t.true(await waitFor(() => status.some((e) => e.code === "TARGET_FAILED" && e.message.includes('"outage"'))));
  t.is(audit.stats().targets[0]?.buffered, 50);
  await r.start();
  await audit.flush();
  t.true(await waitFor(() => r.messages().length === 50, 15_000));
  t.deepEqual(seqs(r.messages()), [...Array(50).keys()]);
  // Recovery is reported once the connection has stayed up (2 s), not at every attempt.
  t.true(await waitFor(() => status.some((e) => e.code === "TARGET_RECOVERED" && e.message.includes('"outage"')), 5000));
});

test("past buffer.size records are dropped and counted, and one drop record takes their place", async (t) => {
  captureStatus(t);
  const r = await receiver(t);
  await r.stop();
  const audit = testService(t);
  await audit.configure({ properties: syslog(r.port, { "buffer.size": "10" }), watch: false });
  for (let seq = 0; seq < 30; seq++) audit.log("ox.login", { seq });
  t.is(audit.stats().targets[0]?.dropped, 20);
  await r.start();
  t.true(await waitFor(() => audit.stats().targets[0]?.connected === true && r.messages().length === 11, 15_000));
  audit.log("ox.login", { seq: 30 });
  await audit.flush();
  t.true(await waitFor(() => r.messages().length === 12, 15_000));
  const messages = r.messages();
  t.deepEqual(seqs(messages.slice(0, 10)), [...Array(10).keys()]);
  t.regex(messages[10] as string, / slf4ts\.audit\.dropped \[audit@32473 dropped="20" from="[^"]+" to="[^"]+" target="siem"\]/);
  t.deepEqual(seqs(messages.slice(11)), [30]);
});

test("records sent shortly before a connection broke are sent again: none is lost, order is kept", async (t) => {
  captureStatus(t);
  const r = await receiver(t);
  const audit = testService(t);
  await audit.configure({ properties: syslog(r.port, { resendMs: "5000" }), watch: false });
  for (let seq = 0; seq < 100; seq++) audit.log("ox.login", { seq });
  t.true(await waitFor(() => r.messages().length === 100));
  // Sent (the connection verified: up 2 s); a break within resendMs sends them again.
  t.true(await waitFor(() => audit.stats().targets[0]?.sent === 100, 10_000));
  await r.stop();
  // Throw away what the "crashed" receiver got after the first 60: as if it died before writing them.
  const kept = r.messages().slice(0, 60);
  for (let seq = 100; seq < 150; seq++) audit.log("ox.login", { seq });
  await r.start();
  await audit.flush();
  t.true(await waitFor(() => new Set(seqs(r.messages())).size === 150, 15_000));
  const after = seqs(r.messages()).slice(100);
  // Everything since the break (0..149 minus what was sent long before) arrives again, in order.
  t.deepEqual(after, [...after].sort((a, b) => a - b));
  const all = new Set([...seqs(kept), ...after]);
  t.is(all.size, 150);
  t.true((audit.stats().targets[0]?.resent ?? 0) >= 100);
});

test("include and exclude globs choose the events of each target, and filtered records are counted", async (t) => {
  captureStatus(t);
  const r = await receiver(t);
  const audit = testService(t);
  await audit.configure({
    properties: { ...syslog(r.port, { include: "ox.*, audit-?pi", exclude: "ox.logout" }) },
    watch: false,
  });
  for (const id of ["ox.login", "ox.logout", "audit-api", "audit-apis", "other", "ox.mail.send"]) audit.log(id, { seq: 1 });
  await audit.flush();
  t.true(await waitFor(() => r.messages().length === 3));
  t.deepEqual(
    r.messages().map((m) => m.split(" ")[5]),
    ["ox.login", "audit-api", "ox.mail.send"],
  );
  t.is(audit.stats().targets[0]?.filtered, 3);
});

test("a rate limit skips records past N per interval and states how many in one record", async (t) => {
  captureStatus(t);
  const r = await receiver(t);
  const audit = testService(t);
  await audit.configure({ properties: syslog(r.port, { rateLimit: "3/s", "rateLimit.events": "ox.ping" }), watch: false });
  for (let seq = 0; seq < 10; seq++) audit.log("ox.ping", { seq });
  for (let seq = 0; seq < 5; seq++) audit.log("ox.login", { seq });
  t.is(audit.stats().targets[0]?.rateLimited, 7);
  // The interval ends: the count is sent without another record being needed.
  t.true(await waitFor(() => r.messages().some((m) => m.includes("slf4ts.audit.ratelimited")), 5000));
  const limited = r.messages().find((m) => m.includes("slf4ts.audit.ratelimited")) as string;
  t.regex(limited, /\[audit@32473 event="ox\.ping" skipped="7" from="[^"]+" to="[^"]+" target="siem"\]/);
  t.is(r.messages().filter((m) => / ox\.ping /.test(m)).length, 3);
  t.is(r.messages().filter((m) => / ox\.login /.test(m)).length, 5);
});

test("target keys are validated like the others: key, value, line and what was expected", async (t) => {
  const status = captureStatus(t);
  const dir = tempDir(t);
  const file = join(dir, "audit.properties");
  writeFileSync(
    file,
    [
      `${P}enabled=true`,
      `${P}target.siem.type=syslog`,
      `${P}target.siem.host=127.0.0.1`,
      `${P}target.siem.port=99999`,
      `${P}target.siem.format=json`,
      `${P}target.siem.protocol=tls`,
      `${P}target.siem.tls.ca=missing-ca.pem`,
      `${P}target.siem.hots=x`,
      `${P}target.gl.type=gelf`,
      `${P}target.gl.host=127.0.0.1`,
      `${P}target.gl.protocol=tcp`,
      `${P}target.gl.compress=gzip`,
      `${P}target.r.type=tcp`,
      `${P}target.r.host=127.0.0.1`,
      `${P}target.r.rateLimit=lots`,
      `${P}target.bad!name.type=syslog`,
      "",
    ].join("\n"),
  );
  const audit = testService(t);
  const error = (await t.throwsAsync(audit.configure({ propertiesFile: file, watch: false }), { instanceOf: ConfigError })) as ConfigError;
  const text = error.message;
  t.true(text.includes(`line 4: ${P}target.siem.port = "99999": expected a port number from 1 to 65535`));
  t.true(text.includes(`line 5: ${P}target.siem.format = "json": expected rfc5424, rfc3164 for a syslog target`));
  t.true(text.includes(`line 7: ${P}target.siem.tls.ca = "missing-ca.pem": cannot read ${join(dir, "missing-ca.pem")} (ENOENT)`));
  t.true(text.includes(`line 8: ${P}target.siem.hots = "x": unknown target option "hots"`));
  t.true(text.includes(`line 12: ${P}target.gl.compress = "gzip": compression is for gelf targets over udp (GELF over TCP is never compressed) and the archives of file targets`));
  t.true(text.includes(`${P}target.r.port: a tcp target needs a port`));
  t.true(text.includes(`line 15: ${P}target.r.rateLimit = "lots": expected records per interval`));
  t.true(text.includes(`line 16: ${P}target.bad!name.type = "syslog": expected target.<name>.<option>`));
  t.true(status.some((e) => e.code === "CONFIG_INVALID"));
});

test("tls.insecure=true is reported as a warning at every configuration", async (t) => {
  const status = captureStatus(t);
  const r = await receiver(t);
  const audit = testService(t);
  await audit.configure({ properties: syslog(r.port, { protocol: "tls", "tls.insecure": "true" }), watch: false });
  t.true(status.some((e) => e.code === "CONFIG_WARNING" && e.message.includes(`${P}target.siem.tls.insecure`) && e.message.includes("NOT verified")));
});

test("editing the properties file adds, moves and removes targets while the program runs", async (t) => {
  captureStatus(t);
  const first = await receiver(t);
  const second = await receiver(t);
  const dir = tempDir(t);
  const file = join(dir, "audit.properties");
  const write = (lines: string[]): void => {
    writeFileSync(file + ".tmp", lines.join("\n") + "\n");
    renameSync(file + ".tmp", file);
  };
  const base = [`${P}enabled=true`, `${P}file.location=audit.log`];
  const target = (port: number): string[] => [`${P}target.siem.type=tcp`, `${P}target.siem.host=127.0.0.1`, `${P}target.siem.port=${port}`, `${P}target.siem.format=json`];
  write([...base, ...target(first.port)]);
  const audit = testService(t);
  await audit.configure({ propertiesFile: file, pollIntervalMs: 50 });
  audit.log("ox.login", { seq: 1 });
  t.true(await waitFor(() => first.lines().length === 1));

  write([...base, ...target(second.port)]);
  t.true(await waitFor(() => audit.stats().targets[0]?.destination === `tcp://127.0.0.1:${second.port}`, 5000));
  audit.log("ox.login", { seq: 2 });
  t.true(await waitFor(() => second.lines().length === 1));
  t.is(first.lines().length, 1);

  write(base);
  t.true(await waitFor(() => audit.stats().targets.length === 0, 5000));
  audit.log("ox.login", { seq: 3 });
  await audit.flush();
  // The file got all three; the targets one each.
  t.is(readLines(join(dir, "audit.log")).length, 3);
  t.deepEqual(
    [...first.lines(), ...second.lines()].map((l) => (JSON.parse(l) as { attributes: { seq: string } }).attributes.seq),
    ["1", "2"],
  );
});

test("a file target writes JSON or ECS lines beside the dedicated file", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "file.location"]: join(dir, "audit.log"),
      [P + "target.json.type"]: "file",
      [P + "target.json.path"]: join(dir, "audit.json"),
      [P + "target.ecs.type"]: "file",
      [P + "target.ecs.format"]: "ecs",
      [P + "target.ecs.path"]: join(dir, "audit-ecs.json"),
      [P + "target.ecs.hostname"]: "mail1",
    },
    watch: false,
  });
  audit.log("ox.login", { login: "ann", ip: "192.0.2.1", outcome: "success", when: new Date(Date.UTC(2026, 0, 2)) });
  await audit.flush();
  t.deepEqual(readLines(join(dir, "audit.log")), ["ox.login, login=ann, ip=192.0.2.1, outcome=success, when=2026-01-02T00:00:00Z"]);
  const json = JSON.parse(readLines(join(dir, "audit.json"))[0] as string) as Record<string, unknown>;
  t.like(json, { level: "INFO", event: "ox.login", attributes: { login: "ann", ip: "192.0.2.1", outcome: "success", when: "2026-01-02T00:00:00.000Z" } });
  const ecs = JSON.parse(readLines(join(dir, "audit-ecs.json"))[0] as string) as Record<string, unknown>;
  t.like(ecs, {
    ecs: { version: "8.11.0" },
    event: { kind: "event", action: "ox.login", outcome: "success" },
    user: { name: "ann" },
    source: { ip: "192.0.2.1" },
    log: { logger: "com.openexchange.log.audit.AuditLogService", level: "INFO" },
    host: { hostname: "mail1" },
  });
  t.is(readFileSync(join(dir, "audit.json"), "utf8").split("\n").length, 2);
});

test("with a spool, records logged while the receiver is down survive a crash of the host and are sent by the next process", async (t) => {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const run = promisify(execFile);
  const r = await receiver(t);
  await r.stop();
  const dir = tempDir(t);
  const file = join(dir, "audit.properties");
  writeFileSync(
    file,
    [
      `${P}enabled=true`,
      `${P}file.location=audit.log`,
      `${P}target.siem.type=syslog`,
      `${P}target.siem.host=127.0.0.1`,
      `${P}target.siem.port=${r.port}`,
      `${P}target.siem.spool=spool`,
      "",
    ].join("\n"),
  );
  const child = join(process.cwd(), "dist/test/programs/target-child.js");
  // The first host logs 40 records and is killed at once: nothing was sent.
  await t.throwsAsync(run(process.execPath, [child, file, "40", "0", "kill"]));
  t.is(readLines(join(dir, "audit.log")).length, 40);
  await r.start();
  // The next host starts with the same spool: the 40 go first, then its own 10.
  const { stdout } = await run(process.execPath, [child, file, "10", "40"], { encoding: "utf8" });
  const stats = JSON.parse(stdout) as Array<{ sent: number; spooled: boolean; buffered: number }>;
  t.like(stats[0], { spooled: true, buffered: 0 });
  t.true(await waitFor(() => r.messages().length >= 50, 10_000));
  t.deepEqual(seqs(r.messages()), [...Array(50).keys()]);
  // Everything delivered: the spool is empty again.
  t.is(readFileSync(join(dir, "spool", "queue.dat")).length, 0);
});

test("a file target rotates by size and, with compress=gzip, compresses its archives", async (t) => {
  const { gunzipSync } = await import("node:zlib");
  const { readdirSync } = await import("node:fs");
  captureStatus(t);
  const dir = tempDir(t);
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "file.location"]: join(dir, "audit.log"),
      [P + "target.json.type"]: "file",
      [P + "target.json.path"]: join(dir, "audit.json"),
      [P + "target.json.size"]: "1KB",
      [P + "target.json.count"]: "50",
      [P + "target.json.compress"]: "gzip",
    },
    watch: false,
  });
  for (let seq = 0; seq < 100; seq++) audit.log("ox.login", { seq });
  await audit.flush();
  const names = readdirSync(dir).filter((n) => n.startsWith("audit.json"));
  const archives = names.filter((n) => /^audit\.json\.\d+\.gz$/.test(n)).sort((a, b) => Number(b.split(".")[2]) - Number(a.split(".")[2]));
  t.true(archives.length >= 5, names.join(" "));
  t.deepEqual(names.filter((n) => /^audit\.json\.\d+$/.test(n) || n.endsWith(".tmp")), []);
  // Oldest archive first, then the active file: every record once, in order.
  const lines = [...archives.map((n) => gunzipSync(readFileSync(join(dir, n))).toString("utf8")), readFileSync(join(dir, "audit.json"), "utf8")]
    .join("")
    .split("\n")
    .filter((l) => l !== "");
  t.deepEqual(
    lines.map((l) => Number((JSON.parse(l) as { attributes: { seq: string } }).attributes.seq)),
    [...Array(100).keys()],
  );
});

test("a tcp target with format=plain sends the file's record through its own pattern", async (t) => {
  captureStatus(t);
  const r = await receiver(t);
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "delimiter"]: "|",
      [P + "target.raw.type"]: "tcp",
      [P + "target.raw.host"]: "127.0.0.1",
      [P + "target.raw.port"]: String(r.port),
      [P + "target.raw.format"]: "plain",
      [P + "target.raw.level"]: "warn",
      [P + "target.raw.pattern"]: "%-5level %logger{0} %msg%n",
    },
    watch: false,
  });
  audit.log("ox.login", { login: "ann", note: "a|b\nc" });
  await audit.flush();
  t.true(await waitFor(() => r.lines().length === 1));
  t.deepEqual(r.lines(), ["WARN  AuditLogService ox.login|login=ann|note=a\\|b\\nc"]);
});

test("reconnect delays grow exponentially from 100 ms to 30 s, each with jitter between half and all of its step", async (t) => {
  const { backoffDelay } = await import("../src/targets/transport.js");
  t.deepEqual([0, 1, 2, 3, 8, 9, 20, 60].map((n) => backoffDelay(n, () => 1)), [100, 200, 400, 800, 25_600, 30_000, 30_000, 30_000]);
  t.deepEqual([0, 1, 9].map((n) => backoffDelay(n, () => 0)), [50, 100, 15_000]);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(4);
    t.true(d >= 800 && d <= 1600);
  }
});

test("review cases of configuration: type=none keeps any options unchecked; buffer.size 0, a UDP maxBytes past a datagram, a shared spool and a key that does not match its certificate are refused", async (t) => {
  captureStatus(t);
  const { generateTestCerts } = await import("./lib/certs.js");
  const dir = tempDir(t);
  const certs = await generateTestCerts(join(dir, "certs"));
  const off = testService(t);
  await off.configure({ properties: { [P + "enabled"]: "true", ...Object.fromEntries(Object.entries({ type: "none", format: "rfc5424", host: "x", facility: "local0" }).map(([k, v]) => [`${P}target.off.${k}`, v])) }, watch: false });
  t.deepEqual(off.stats().targets, []);

  const audit = testService(t);
  const error = (await t.throwsAsync(
    audit.configure({
      properties: {
        [P + "enabled"]: "true",
        ...syslog(514, { "buffer.size": "0" }, "zero"),
        ...syslog(514, { protocol: "udp", maxBytes: "100000" }, "big"),
        ...syslog(514, { spool: join(dir, "spool") }, "one"),
        ...syslog(514, { spool: join(dir, "spool") }, "two"),
        ...syslog(6514, { protocol: "tls", "tls.ca": certs.caCert, "tls.cert": certs.clientCert, "tls.key": certs.serverKey }, "mismatch"),
      },
      watch: false,
    }),
    { instanceOf: ConfigError },
  )) as ConfigError;
  t.true(error.message.includes(`${P}target.zero.buffer.size = "0": expected a whole number of records from 1 to 100000000`));
  t.true(error.message.includes(`${P}target.big.maxBytes = "100000": expected a whole number of bytes from 515 to 65507 (the largest UDP datagram)`));
  t.true(error.message.includes(`${P}target.two.spool = "${join(dir, "spool")}": the folder is already the spool of target "one"`));
  t.regex(error.message, new RegExp(`${P.replace(/\./g, "\\.")}target\\.mismatch\\.tls\\.key = "[^"]+": the TLS material cannot be used: .*(key values mismatch|KEY_VALUES_MISMATCH)`, "i"));
});

test("a spool emptied after delivery never leaves a saved position pointing into later records", async (t) => {
  const { SpoolQueue } = await import("../src/targets/queue.js");
  const dir = tempDir(t);
  const folder = join(dir, "spool");
  const queue = SpoolQueue.open(folder, 1024 * 1024);
  t.teardown(() => queue.close());
  for (let i = 0; i < 20; i++) queue.push(Buffer.from(`record ${i}`), Date.now());
  for (let record = queue.next(); record !== undefined; record = queue.next()) record.flushedAt = Date.now();
  // Everything delivered and out of the window: the file starts again, and the position says so.
  queue.settle(Number.POSITIVE_INFINITY, 0);
  t.is(readFileSync(join(folder, "queue.dat")).length, 0);
  t.is(readFileSync(join(folder, "queue.pos"), "utf8"), "0");
  for (let i = 20; i < 50; i++) queue.push(Buffer.from(`record ${i}`), Date.now());
  // A crash now: what the next process would read from the saved position is every new record.
  const data = readFileSync(join(folder, "queue.dat"));
  const records: string[] = [];
  for (let offset = Number(readFileSync(join(folder, "queue.pos"), "utf8")); offset < data.length; ) {
    const length = data.readUInt32BE(offset);
    records.push(data.subarray(offset + 4, offset + 4 + length).toString());
    offset += 4 + length;
  }
  t.deepEqual(records, Array.from({ length: 30 }, (_, i) => `record ${20 + i}`));
});

test("a reload that moves a target hands over what waits, the dropped count and the spool, in order", async (t) => {
  captureStatus(t);
  const down = await receiver(t);
  await down.stop();
  const up = await receiver(t);
  const dir = tempDir(t);
  const audit = testService(t);
  const spool = { spool: join(dir, "spool"), "spool.maxSize": "1KB" };
  await audit.configure({ properties: syslog(down.port, spool, "moved"), watch: false });
  for (let seq = 0; seq < 30; seq++) audit.log("ox.login", { seq });
  const dropped = audit.stats().targets[0]?.dropped ?? 0;
  t.true(dropped > 0 && dropped < 30, String(dropped));
  await audit.configure({ properties: syslog(up.port, spool, "moved"), watch: false });
  t.true(await waitFor(() => up.messages().length === 30 - dropped + 1, 10_000));
  audit.log("ox.login", { seq: 100 });
  await audit.flush();
  t.true(await waitFor(() => up.messages().length === 30 - dropped + 2, 10_000));
  const messages = up.messages();
  t.deepEqual(seqs(messages.slice(0, 30 - dropped)), [...Array(30 - dropped).keys()]);
  t.regex(messages[30 - dropped] as string, new RegExp(` slf4ts\\.audit\\.dropped \\[audit@32473 dropped="${dropped}" `));
  t.deepEqual(seqs(messages.slice(-1)), [100]);
});

test("a reload that moves a connected target: every record once, each receiver in order, the old one first", async (t) => {
  captureStatus(t);
  const first = await receiver(t);
  const second = await receiver(t);
  const audit = testService(t);
  await audit.configure({ properties: syslog(first.port, {}, "busy"), watch: false });
  for (let seq = 0; seq < 3000; seq++) audit.log("ox.login", { seq });
  await audit.configure({ properties: syslog(second.port, {}, "busy"), watch: false });
  for (let seq = 3000; seq < 6000; seq++) audit.log("ox.login", { seq });
  await audit.flush();
  t.true(await waitFor(() => first.messages().length + second.messages().length >= 6000, 15_000));
  const a = seqs(first.messages());
  const b = seqs(second.messages());
  t.deepEqual([...a, ...b], [...Array(6000).keys()]);
});

test("a receiver that accepts and closes at once: backoff grows, and no recovery is reported", async (t) => {
  const status = captureStatus(t);
  const net = await import("node:net");
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const audit = testService(t);
  await audit.configure({ properties: syslog((server.address() as import("node:net").AddressInfo).port, {}, "flappy"), watch: false });
  audit.log("ox.login", { seq: 1 });
  // 100, 200, 400, 800, 1600 ms (with jitter, at most half less): at most 7 attempts in 3 s, so no
  // storm (a busy machine only makes it fewer); and it keeps trying: a third attempt comes (within
  // 20 s however slow the machine).
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.true(connections <= 7, `${connections} attempts in 3 s`);
  const deadline = Date.now() + 20_000;
  while (connections < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  t.true(connections >= 3, `${connections} attempts`);
  t.true(status.some((e) => e.code === "TARGET_FAILED" && e.message.includes('"flappy"')));
  t.false(status.some((e) => e.code === "TARGET_RECOVERED" && e.message.includes('"flappy"')));
});
