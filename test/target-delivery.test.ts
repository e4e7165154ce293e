/**
 * Targets without a network: a target over a fake {@link Delivery} (order, filters, the records
 * a target writes of its own for drops and rate limits, outage reports), the remote delivery over
 * a fake transport and a real queue (drop counting, hand-over, what is lost at close), the rate
 * limiter on a fake clock, and the framing of each kind of target. The same behaviour against
 * real receivers is in targets.test.ts and rsyslog-targets.test.ts.
 */
import test from "ava";
import { gunzipSync } from "node:zlib";
import { Level } from "../src/facade/level.js";
import { compileRecordRenderer } from "../src/record/render.js";
import { MAX_JSON_DEPTH, renderOther } from "../src/record/values.js";
import type { Delivery, DeliveryEvents, DeliveryStats, HandOver } from "../src/targets/delivery.js";
import { compileEncoder, datagramsOf, gelfChunks, GELF_CHUNK_MAGIC } from "../src/targets/framing.js";
import type { DeliveryQueue } from "../src/targets/queue.js";
import { RateLimiter, type LimiterClock, type SkippedRecords } from "../src/targets/rate-limit.js";
import { RemoteDelivery, type Link, type RemoteSettings } from "../src/targets/remote-delivery.js";
import type { TargetSpec } from "../src/targets/spec.js";
import { TargetSet } from "../src/targets/targets.js";
import type { TransportEvents, TransportStats } from "../src/targets/transport.js";
import { captureStatus } from "./lib/helpers.js";

/** A target's settings: JSON over TCP to nowhere (the delivery is faked), with overrides. */
function spec(overrides: Partial<TargetSpec> = {}): TargetSpec {
  const base: TargetSpec = {
    name: "siem",
    type: "tcp",
    protocol: "tcp",
    host: "192.0.2.1",
    port: 6514,
    format: "json",
    pattern: "",
    layout: undefined,
    level: undefined,
    accepts: () => true,
    rateLimit: undefined,
    facility: 13,
    appName: "slf4ts",
    hostname: "mail1",
    maxBytes: 8192,
    framing: "octet-counting",
    sdId: "audit@32473",
    sequenceId: false,
    origin: undefined,
    timezone: undefined,
    compress: "none",
    chunkSize: 1420,
    fields: [],
    shortMessage: undefined,
    fullMessage: undefined,
    ecsEvents: () => undefined,
    tls: { secureContext: undefined, servername: "", insecure: false },
    bufferSize: 10,
    spool: undefined,
    spoolMaxBytes: 0,
    resendMs: 0,
    stallMs: 10_000,
    relp: undefined,
    integrity: false,
    file: undefined,
    console: undefined,
    fingerprint: "",
  };
  // The overrides keep the remote, non-plain shape of the base (the tests vary its common fields).
  const merged = { ...base, ...overrides } as TargetSpec;
  return { ...merged, fingerprint: overrides.fingerprint ?? JSON.stringify([merged.name, merged.format, merged.port]) };
}

/** A delivery that keeps what it is given, and lets the test play the receiver's part. */
class FakeDelivery implements Delivery {
  readonly destination = "tcp://192.0.2.1:6514";
  readonly handsOver = true;
  readonly offered: Buffer[] = [];
  closed = false;
  constructor(readonly events: DeliveryEvents) {}
  offer(bytes: Buffer): void {
    this.offered.push(bytes);
  }
  buffered(): number {
    return this.offered.length;
  }
  stats(): DeliveryStats {
    return { sent: 0, resent: 0, buffered: this.offered.length, dropped: 0, errors: 0, connected: true, spooled: false };
  }
  async flush(): Promise<void> {}
  handOff(): HandOver | undefined {
    return undefined;
  }
  release(): void {}
  close(): { lost: number; done: Promise<void> } {
    this.closed = true;
    return { lost: 0, done: Promise.resolve() };
  }
  /** The JSON records offered so far. */
  json(): Array<Record<string, unknown>> {
    return this.offered.map((b) => JSON.parse(b.toString("utf8")) as Record<string, unknown>);
  }
}

function targetsOver(t: import("ava").ExecutionContext, specs: TargetSpec[]): { set: TargetSet; fakes: Map<string, FakeDelivery> } {
  const fakes = new Map<string, FakeDelivery>();
  const set = new TargetSet(specs, { level: Level.INFO, loggerName: "audit" }, (s, events) => {
    const fake = new FakeDelivery(events);
    fakes.set(s.name, fake);
    return fake;
  });
  t.teardown(() => set.close());
  return { set, fakes };
}

const render = compileRecordRenderer({ delimiter: ", ", includeAttributeNames: true, maskNames: ["password"] }, (ms) => new Date(ms).toISOString());

test("a target hands each record it wants to its delivery, in order, encoded once in its format, secrets masked", (t) => {
  const { set, fakes } = targetsOver(t, [spec(), spec({ name: "logins", accepts: (id) => id === "ox.login" })]);
  for (let seq = 0; seq < 5; seq++) set.offer(render(seq % 2 === 0 ? "ox.login" : "ox.logout", { seq, password: "hunter2" }));
  const all = fakes.get("siem")?.json() ?? [];
  t.deepEqual(
    all.map((r) => [r["event"], (r["attributes"] as Record<string, unknown> | undefined)?.["seq"] ?? r["seq"]]),
    [0, 1, 2, 3, 4].map((seq) => [seq % 2 === 0 ? "ox.login" : "ox.logout", String(seq)]),
    JSON.stringify(all[0]),
  );
  t.false(all.some((r) => JSON.stringify(r).includes("hunter2")));
  t.is(fakes.get("logins")?.offered.length, 3);
  const stats = set.stats();
  t.like(stats[0], { name: "siem", accepted: 5, filtered: 0 });
  t.like(stats[1], { name: "logins", accepted: 3, filtered: 2 });
});

test("when its delivery drops records, the target writes the record that says so, in its own format, and reports it", (t) => {
  const status = captureStatus(t);
  const { fakes } = targetsOver(t, [spec()]);
  const fake = fakes.get("siem") as FakeDelivery;
  const bytes = fake.events.dropRecord({ count: 20, from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 1, 0, 1) });
  const record = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  t.is(record["event"], "slf4ts.audit.dropped");
  t.is(bytes.toString("utf8").endsWith("}\n"), true);
  t.regex(JSON.stringify(record), /"dropped":"20".*"from":"2026-01-01T00:00:00.000Z".*"to":"2026-01-01T00:01:00.000Z".*"target":"siem"/u);
  t.true(status.some((e) => e.code === "RECORDS_DROPPED" && e.message.includes("20 record(s) were dropped")));
});

test("an outage is reported once when it starts and once when it ends, with the records sent again", (t) => {
  const status = captureStatus(t);
  const { fakes } = targetsOver(t, [spec()]);
  const fake = fakes.get("siem") as FakeDelivery;
  const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  fake.events.down(refused);
  fake.events.down(refused);
  fake.events.up(3);
  fake.events.up(0);
  const failed = status.filter((e) => e.code === "TARGET_FAILED");
  const recovered = status.filter((e) => e.code === "TARGET_RECOVERED");
  t.is(failed.length, 1);
  t.true(failed[0]?.message.includes("is unreachable (ECONNREFUSED"));
  t.is(recovered.length, 1);
  t.true(recovered[0]?.message.includes("3 of them sent again because the connection broke"));
});

test("a rate-limited target lets N records through per interval and writes one record with the count of the others", (t) => {
  const { set, fakes } = targetsOver(t, [spec({ rateLimit: { count: 2, intervalMs: 60_000, applies: (id) => id === "ox.login" } })]);
  for (let seq = 0; seq < 6; seq++) set.offer(render("ox.login", { seq }));
  set.offer(render("ox.logout", { seq: 6 }));
  const fake = fakes.get("siem") as FakeDelivery;
  t.deepEqual(
    fake.json().map((r) => r["event"]),
    ["ox.login", "ox.login", "ox.logout"],
  );
  t.is(set.stats()[0]?.rateLimited, 4);
  // Closing ends the window: its count is written before the delivery closes.
  void set.close();
  const last = fake.json().at(-1) as Record<string, unknown>;
  t.is(last["event"], "slf4ts.audit.ratelimited");
  t.regex(JSON.stringify(last), /"event":"ox\.login".*"skipped":"4"/u);
  t.true(fake.closed);
});

/** A fake clock whose timers run when the test moves time on. */
function fakeClock(): LimiterClock & { advance(ms: number): void } {
  let now = 1_000_000;
  let timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => now,
    later: (fn, ms) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((x) => x !== timer);
      };
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((x) => x.at <= now);
      timers = timers.filter((x) => x.at > now);
      for (const x of due) x.fn();
    },
  };
}

test("the rate limiter counts per event id and window, and reports each window's skipped records once, with first and last time", (t) => {
  const clock = fakeClock();
  const reports: SkippedRecords[] = [];
  const limiter = new RateLimiter({ count: 2, intervalMs: 1000, applies: (id) => id !== "free" }, (s) => reports.push(s), clock);
  const start = clock.now();
  const admitted = [0, 1, 2, 3].map((i) => limiter.admits("a", start + i * 10));
  t.deepEqual(admitted, [true, true, false, false]);
  t.true(limiter.admits("b", start));
  t.true([1, 2, 3, 4, 5].every(() => limiter.admits("free", start)));
  t.is(limiter.skipped, 2);
  t.deepEqual(reports, [], "nothing is reported before the window ends");
  clock.advance(1000);
  t.deepEqual(reports, [{ eventId: "a", skipped: 2, from: start + 20, to: start + 30 }]);
  // A new window: the count starts again; the next record after it reports the one before.
  t.true(limiter.admits("a", clock.now()));
  t.true(limiter.admits("a", clock.now()));
  t.false(limiter.admits("a", clock.now()));
  t.true(limiter.admits("a", clock.now() + 1000));
  t.is(reports.length, 2);
  t.like(reports[1], { eventId: "a", skipped: 1 });
  limiter.stop();
  t.is(reports.length, 2, "stop() reports only windows with skipped records");
});

/** A transport that takes records into the queue and sends nothing until told to. */
class FakeLink implements Link {
  readonly stats: TransportStats = { sent: 0, resent: 0, errors: 0, connected: false };
  closed = false;
  constructor(
    readonly queue: DeliveryQueue,
    readonly events: TransportEvents,
  ) {}
  offer(bytes: Buffer): void {
    if (this.queue.hasRoom()) {
      const drops = this.queue.takeDrops();
      if (drops !== undefined) this.queue.pushAlways(this.events.dropRecord(drops));
    }
    this.queue.push(bytes, Date.now());
  }
  /** Sends what waits, in order. */
  sendAll(): string[] {
    const sent: string[] = [];
    for (let record = this.queue.next(); record !== undefined; record = this.queue.next()) {
      sent.push(record.bytes.toString("utf8"));
      this.stats.sent++;
      this.queue.settle(Date.now() + 1, 0);
    }
    return sent;
  }
  async idle(): Promise<void> {}
  detach(): DeliveryQueue {
    this.closed = true;
    return this.queue;
  }
  async handOff(): Promise<void> {
    this.closed = true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function events(): DeliveryEvents & { drops: number[] } {
  const drops: number[] = [];
  return {
    drops,
    down: () => {},
    up: () => {},
    dropRecord: (d) => {
      drops.push(d.count);
      return Buffer.from(`dropped=${d.count}`);
    },
    rejected: () => {},
    fault: () => {},
  };
}

test("a remote delivery keeps buffer.size records in order, counts the rest as dropped and puts one drop record in their place", (t) => {
  let link: FakeLink | undefined;
  const settings: RemoteSettings = spec({ bufferSize: 3 });
  const seen = events();
  const delivery = new RemoteDelivery(settings, seen, undefined, (_s, queue, e) => (link = new FakeLink(queue, e)));
  for (let i = 0; i < 8; i++) delivery.offer(Buffer.from(`r${i}`));
  t.like(delivery.stats(), { buffered: 3, dropped: 5, spooled: false });
  t.deepEqual(link?.sendAll(), ["r0", "r1", "r2"]);
  delivery.offer(Buffer.from("r8"));
  t.deepEqual(link?.sendAll(), ["dropped=5", "r8"]);
  t.deepEqual(seen.drops, [5]);
  t.like(delivery.stats(), { sent: 5, buffered: 0, dropped: 5 });
  t.is(delivery.destination, "tcp://192.0.2.1:6514");
});

test("a remote delivery hands its queue to a successor: what waits and the count of drops go on, in order", (t) => {
  let first: FakeLink | undefined;
  let second: FakeLink | undefined;
  const old = new RemoteDelivery(spec({ bufferSize: 2 }), events(), undefined, (_s, queue, e) => (first = new FakeLink(queue, e)));
  for (let i = 0; i < 4; i++) old.offer(Buffer.from(`r${i}`));
  const handOver = old.handOff();
  t.true(first?.closed);
  const seen = events();
  const successor = new RemoteDelivery(spec({ bufferSize: 5, port: 6515 }), seen, handOver, (_s, queue, e) => (second = new FakeLink(queue, e)));
  successor.offer(Buffer.from("r4"));
  t.deepEqual(second?.sendAll(), ["r0", "r1", "dropped=2", "r4"]);
  t.deepEqual(seen.drops, [2]);
});

test("closing a remote delivery counts what waits and what was dropped since the last drop record as lost", (t) => {
  const delivery = new RemoteDelivery(spec({ bufferSize: 2 }), events(), undefined, (_s, queue, e) => new FakeLink(queue, e));
  for (let i = 0; i < 5; i++) delivery.offer(Buffer.from(`r${i}`));
  t.is(delivery.close().lost, 2 + 3);
});

test("framing: octet counting on syslog streams, a NUL after GELF on TCP, a newline in files, GELF over UDP compressed and chunked", (t) => {
  const event = { timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6), level: Level.INFO, eventId: "ox.login", attributes: [["login", "é"]] as const, hostname: "mail1", appName: "slf4ts", procId: "1" };
  const message = (): string => "ox.login, login=é";
  const syslog = compileEncoder(spec({ type: "syslog", format: "rfc5424" }), () => "audit")(event, message).toString("utf8");
  const [length, ...rest] = syslog.split(" ");
  t.is(Number(length), Buffer.byteLength(rest.join(" "), "utf8"), syslog);
  const udp = compileEncoder(spec({ type: "syslog", protocol: "udp", format: "rfc5424" }), () => "audit")(event, message).toString("utf8");
  t.true(udp.startsWith("<"), "no octet count on UDP");
  const gelfTcp = compileEncoder(spec({ type: "gelf", format: "gelf" }), () => "audit")(event, message);
  t.is(gelfTcp.at(-1), 0);
  t.is(JSON.parse(gelfTcp.subarray(0, -1).toString("utf8"))["short_message"], "ox.login");
  t.is(JSON.parse(gelfTcp.subarray(0, -1).toString("utf8"))["_login"], "é");
  const file = compileEncoder(spec({ type: "file", format: "ecs" }), () => "audit")(event, message).toString("utf8");
  t.true(file.endsWith("}\n") && !file.slice(0, -1).includes("\n"));
  const gelfUdp = compileEncoder(spec({ type: "gelf", protocol: "udp", format: "gelf", compress: "gzip", chunkSize: 100 }), () => "audit");
  const big = { ...event, attributes: [["data", Array.from({ length: 600 }, (_, i) => (i * 7919).toString(36)).join("")]] as const };
  const compressed = gelfUdp(big, message);
  t.is(JSON.parse(gunzipSync(compressed).toString("utf8"))["_data"].length > 1000, true);
  const chunks = datagramsOf({ type: "gelf", chunkSize: 100 })(compressed);
  t.true(chunks.length > 1);
  t.true(chunks.every((c) => c.length <= 100 && c.subarray(0, 2).equals(GELF_CHUNK_MAGIC) && c[11] === chunks.length));
  t.deepEqual(Buffer.concat(chunks.map((c) => c.subarray(12))), compressed);
  t.is(gelfChunks(Buffer.alloc(129 * 88), 100), undefined, "more than 128 chunks: not sendable");
});

test("format=plain without a compiled layout is refused when the target is made, not on the first record", (t) => {
  t.throws(() => compileEncoder(spec({ format: "plain" }), () => "audit"), { instanceOf: TypeError, message: /format=plain needs a compiled layout/u });
});

test("value rendering: nesting past the depth limit, the character budget, masked nested keys, shared (not cyclic) objects", (t) => {
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 100; i++) {
    const next: Record<string, unknown> = {};
    deep["a"] = next;
    deep = next;
  }
  const text = renderOther(root);
  t.is(text.match(/\{"a":/gu)?.length, MAX_JSON_DEPTH);
  t.true(text.includes('"[nested too deep]"'));
  t.is(renderOther(Array.from({ length: 10_000 }, (_, i) => i), { budget: 50 }), "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,…]");
  t.is(renderOther({ user: { password: "x", name: "n" } }, { isMaskedName: (n) => n.includes("pass"), mask: () => "****" }), '{"user":{"password":"****","name":"n"}}');
  const shared = { x: 1 };
  t.is(renderOther({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
  t.is(renderOther(new Map<unknown, unknown>([["k", new Set([1, 2])]])), '{"k":[1,2]}');
});

test("[meta sequenceId] counts per target and goes on across a reload that changes the target; newline framing ends each record with one LF", (t) => {
  const syslog = (overrides: Partial<TargetSpec>): TargetSpec => spec({ ...overrides, type: "syslog", format: "rfc5424", sequenceId: true, framing: "newline" } as Partial<TargetSpec>);
  const { set, fakes } = targetsOver(t, [syslog({ fingerprint: "a" }), syslog({ name: "other", fingerprint: "o" })]);
  set.offer(render("ox.login", { seq: 1, note: "two\nlines" }));
  set.offer(render("ox.login", { seq: 2 }));
  const before = fakes.get("siem");
  set.reconfigure([syslog({ fingerprint: "b", appName: "changed" }), syslog({ name: "other", fingerprint: "o" })], { level: Level.INFO, loggerName: "audit" });
  t.not(fakes.get("siem"), before, "the changed target was rebuilt");
  set.offer(render("ox.login", { seq: 3 }));
  const ids = (name: string, fake = fakes.get(name)): string[] => (fake?.offered ?? []).map((b) => /\[meta sequenceId="(\d+)"\]/.exec(b.toString("utf8"))?.[1] ?? "none");
  t.deepEqual([...ids("siem", before), ...ids("siem")], ["1", "2", "3"]);
  t.deepEqual(ids("other"), ["1", "2", "3"]);
  // One line per record: the value's LF is written \n.
  for (const bytes of before?.offered ?? []) t.is(bytes.toString("utf8").split("\n").length, 2);
  t.true(before?.offered[0]?.toString("utf8").includes('note="two\\nlines"'));
});
