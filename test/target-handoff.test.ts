/**
 * Dedicated mode with targets: the targets' work runs after log() returned (issue 15), from what
 * log() read. The attacker's tests try to make a target hold something else than the audit file:
 * change the attributes after log(), getters that answer differently each time, one-shot
 * iterables, Proxies, a getter that logs while its record is built; and to lose or reorder
 * records: a process that exits right after log(), a long burst, records that must be rendered
 * at once between records that wait.
 */
import test, { type ExecutionContext } from "ava";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { AuditLogger } from "../src/index.js";
import { parseAuditLine } from "../src/record/parse.js";
import { captureStatus, P, readLines, tempDir, waitFor } from "./lib/helpers.js";
import { testService } from "./lib/service.js";
import { TcpReceiver } from "./lib/tcp-receiver.js";

const run = promisify(execFile);

interface Setup {
  readonly dir: string;
  readonly audit: AuditLogger;
  /** The audit file's records as [event id, attributes]. */
  fileRecords(): Array<[string, Record<string, string | null>]>;
  /** The json file target's records the same way. */
  targetRecords(): Array<[string, Record<string, string | null>]>;
}

/** Dedicated mode with a json file target beside the file (`withTarget` false: the file alone, to compare). */
async function setup(t: ExecutionContext, extra: Record<string, string> = {}, withTarget = true): Promise<Setup> {
  const dir = tempDir(t);
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "file.location"]: join(dir, "audit.log"),
      ...(withTarget ? { [P + "target.json.type"]: "file", [P + "target.json.path"]: join(dir, "audit.json") } : {}),
      ...extra,
    },
  });
  const format = { delimiter: ", ", includeAttributeNames: true };
  return {
    dir,
    audit,
    fileRecords: () =>
      readLines(join(dir, "audit.log")).map((line) => {
        const parsed = parseAuditLine(line, format);
        return [parsed.eventId, Object.fromEntries(parsed.attributes.map(([n, v]) => [n as string, v]))];
      }),
    targetRecords: () => targetLines(dir).map((r) => [r.event, r.attributes]),
  };
}

function targetLines(dir: string): Array<{ event: string; attributes: Record<string, string | null> }> {
  let text: string;
  try {
    text = readFileSync(join(dir, "audit.json"), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { event: string; attributes: Record<string, string | null> });
}

test("the targets get their records after log() returned, and stats(), flush() and shutdown() deliver what waits", async (t) => {
  const s = await setup(t);
  s.audit.log("ox.login", { login: "ann" });
  // In the audit file at once; the target's work waits for the end of this synchronous code.
  t.is(s.fileRecords().length, 1);
  t.is(targetLines(s.dir).length, 0);
  // stats() delivers first, so its counters are honest.
  t.like(s.audit.stats().targets[0], { name: "json", accepted: 1, sent: 1 });
  t.deepEqual(s.targetRecords(), [["ox.login", { login: "ann" }]]);
  s.audit.log("ox.login", { login: "bob" });
  await Promise.resolve();
  // A microtask later (before any I/O or timer): delivered.
  t.is(targetLines(s.dir).length, 2);
  s.audit.log("ox.logout", { login: "bob" });
  await s.audit.shutdown();
  t.deepEqual(s.targetRecords(), s.fileRecords());
});

test("attributes changed after log() (values, a Date's time, a nested object, the object reused) reach the target as log() read them", async (t) => {
  const s = await setup(t);
  const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  const profile = { role: "user" };
  const attributes: Record<string, unknown> = { login: "ann", at: when, profile, n: 1 };
  s.audit.log("ox.login", attributes);
  attributes.login = "mallory";
  attributes.n = 2;
  when.setTime(0);
  profile.role = "admin";
  s.audit.log("ox.login", attributes);
  await s.audit.flush();
  const file = s.fileRecords();
  t.is(file[0]?.[1].login, "ann");
  t.regex(String(file[0]?.[1].profile), /"role":"user"/);
  const target = s.targetRecords();
  t.like(target[0]?.[1], { login: "ann", n: "1", at: "2026-01-02T03:04:05.006Z" });
  t.regex(String(target[0]?.[1].profile), /"role":"user"/);
  t.like(target[1]?.[1], { login: "mallory", n: "2", at: "1970-01-01T00:00:00.000Z" });
  t.regex(String(target[1]?.[1].profile), /"role":"admin"/);
});

test("a getter is read once per record: the audit file and the target hold the same value, whatever it answers the next time", async (t) => {
  const s = await setup(t);
  let reads = 0;
  const attributes = {
    login: "ann",
    get nonce(): string {
      reads++;
      return `t${reads}`;
    },
  };
  for (let i = 0; i < 3; i++) s.audit.log("ox.login", attributes);
  await s.audit.flush();
  t.is(reads, 3);
  t.deepEqual(
    s.fileRecords().map((r) => r[1].nonce),
    ["t1", "t2", "t3"],
  );
  t.deepEqual(s.targetRecords(), s.fileRecords());
});

test("one-shot iterables, Maps, arrays of pairs and Proxies are read once and reach both alike", async (t) => {
  const s = await setup(t);
  let trapped = 0;
  const proxy = new Proxy(
    { login: "ann", ip: "192.0.2.1" },
    {
      get(target, key, receiver) {
        if (typeof key === "string") trapped++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    },
  );
  function* pairs(): Generator<[string, string]> {
    yield ["login", "bob"];
    yield ["ip", "192.0.2.2"];
  }
  s.audit.log("ox.login", pairs());
  s.audit.log("ox.login", new Map([["login", "carl"]]));
  s.audit.log("ox.login", [["login", "dora"], ["when", new Date(0)]]);
  s.audit.log("ox.login", proxy);
  s.audit.log("ox.logout");
  await s.audit.flush();
  // The proxy's values were each read once (for the file and the target together).
  t.is(trapped, 2);
  const file = s.fileRecords();
  t.deepEqual(
    file.map((r) => r[1].login ?? null),
    ["bob", "carl", "dora", "ann", null],
  );
  // The same records and values; the target writes dates in ISO with milliseconds.
  const target = s.targetRecords();
  t.deepEqual(target.map((r) => r[0]), file.map((r) => r[0]));
  t.deepEqual(
    target.map((r) => ({ ...r[1], when: undefined })),
    file.map((r) => ({ ...r[1], when: undefined })),
  );
  t.is(target[2]?.[1].when, "1970-01-01T00:00:00.000Z");
});

test("records rendered at once (object values) and records that wait keep their order at the target", async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 200; i++) {
    if (i % 3 === 0) s.audit.log("ox.login", { seq: i, detail: { i } });
    else s.audit.log("ox.login", { seq: i });
  }
  await s.audit.flush();
  const seqs = s.targetRecords().map((r) => Number(r[1].seq));
  t.deepEqual(seqs, [...Array(200).keys()]);
  t.deepEqual(s.targetRecords(), s.fileRecords());
});

test("a getter that logs while its record is built: both records reach the target with their own values", async (t) => {
  const s = await setup(t);
  const inner = { login: "inner", ip: "192.0.2.9" };
  s.audit.log("ox.login", {
    login: "outer",
    get ip(): string {
      s.audit.log("ox.nested", inner);
      return "192.0.2.1";
    },
  });
  await s.audit.flush();
  const file = s.fileRecords();
  t.deepEqual(file, [
    ["ox.nested", { login: "inner", ip: "192.0.2.9" }],
    ["ox.login", { login: "outer", ip: "192.0.2.1" }],
  ]);
  t.deepEqual(s.targetRecords(), file);
});

test("a long synchronous burst waits for at most 4096 records: the rest were delivered inside log()", async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 5000; i++) s.audit.log("ox.login", { seq: i });
  // No await since: what the target holds was written inside log() calls.
  const delivered = targetLines(s.dir).length;
  t.is(delivered, 4096);
  await s.audit.flush();
  t.is(targetLines(s.dir).length, 5000);
});

test("a process that exits right after log() (process.exit, no shutdown) still writes the target's records", async (t) => {
  const dir = tempDir(t);
  const props = join(dir, "audit.properties");
  writeFileSync(props, [`${P}enabled=true`, `${P}file.location=audit.log`, `${P}target.json.type=file`, `${P}target.json.path=audit.json`, ""].join("\n"));
  const program = join(dir, "exit.mjs");
  writeFileSync(
    program,
    `import { createAuditLogService } from ${JSON.stringify(join(process.cwd(), "dist/src/index.js"))};
const audit = createAuditLogService();
await audit.configure({ propertiesFile: ${JSON.stringify(props)}, watch: false });
for (let i = 0; i < 25; i++) audit.log("ox.login", { seq: i });
process.exit(0);
`,
  );
  await run(process.execPath, [program], { cwd: dir });
  t.is(readLines(join(dir, "audit.log")).length, 25);
  t.deepEqual(
    targetLines(dir).map((r) => Number(r.attributes.seq)),
    [...Array(25).keys()],
  );
});

test("with a target that has a spool, every target works inside log(): nothing waits", async (t) => {
  const status = captureStatus(t);
  const plain = await setup(t);
  const spool = join(tempDir(t), "spool");
  // Port 9 (discard) is closed here: the syslog target keeps its records in the spool.
  const spooled = await setup(t, {
    [P + "target.siem.type"]: "syslog",
    [P + "target.siem.host"]: "127.0.0.1",
    [P + "target.siem.port"]: "9",
    [P + "target.siem.spool"]: spool,
  });
  spooled.audit.log("ox.login", { login: "ann" });
  plain.audit.log("ox.login", { login: "ann" });
  // No await: the spooled service wrote its json target inside log(), the other did not yet.
  t.is(targetLines(spooled.dir).length, 1);
  t.is(targetLines(plain.dir).length, 0);
  await plain.audit.flush();
  t.is(targetLines(plain.dir).length, 1);
  t.true(await waitFor(() => status.some((r) => r.code === "TARGET_FAILED"), 5000));
});

test("object values are rendered once (a toJSON, a nested getter): the file and the target agree, and a toJSON that logs logs once", async (t) => {
  const s = await setup(t);
  let names = 0;
  let tokens = 0;
  let sides = 0;
  const user = {
    get name(): string {
      names++;
      return `v${names}`;
    },
  };
  const ticket = {
    toJSON(): string {
      tokens++;
      sides++;
      s.audit.log("ox.side", { n: sides });
      return `t${tokens}`;
    },
  };
  s.audit.log("ox.login", { user, ticket });
  await s.audit.flush();
  t.is(names, 1);
  t.is(tokens, 1);
  const file = s.fileRecords();
  t.deepEqual(
    file.map((r) => r[0]),
    ["ox.side", "ox.login"],
  );
  t.regex(String(file[1]?.[1].user), /"name":"v1"/);
  t.is(file[1]?.[1].ticket, '"t1"');
  t.deepEqual(s.targetRecords(), file);
});

test("a Date changed by a later value's toJSON while the record is built reaches the target as the file wrote it", async (t) => {
  const s = await setup(t);
  const when = new Date(Date.UTC(2026, 0, 1));
  s.audit.log("ox.login", {
    at: when,
    later: {
      toJSON(): string {
        when.setTime(0);
        return "x";
      },
    },
  });
  await s.audit.flush();
  t.is(s.targetRecords()[0]?.[1].at, "2026-01-01T00:00:00.000Z");
});

test("a log() from inside the Symbol.iterator lookup never lends its attributes to the outer record at the target", async (t) => {
  const s = await setup(t);
  let lookups = 0;
  const attributes = {
    login: "outer",
    get [Symbol.iterator](): undefined {
      lookups++;
      if (lookups === 2) {
        // Logs, then makes the builder give up on this object (it writes why).
        s.audit.log("ox.inner", { password: "hunter2", login: "inner" });
        throw new Error("no");
      }
      return undefined;
    },
  };
  s.audit.log("ox.outer", attributes as unknown as Record<string, unknown>);
  await s.audit.flush();
  const outer = s.targetRecords().find((r) => r[0] === "ox.outer");
  t.truthy(outer);
  t.is(outer?.[1].password, undefined);
  t.not(outer?.[1].login, "inner");
});

test("a TCP target: records logged right before process.exit(), and in a SIGTERM handler that exits, reach the receiver", async (t) => {
  const r = await new TcpReceiver().start();
  t.teardown(() => r.stop());
  const dir = tempDir(t);
  const props = join(dir, "audit.properties");
  writeFileSync(
    props,
    [`${P}enabled=true`, `${P}file.location=audit.log`, `${P}target.siem.type=syslog`, `${P}target.siem.host=127.0.0.1`, `${P}target.siem.port=${r.port}`, ""].join("\n"),
  );
  const program = join(dir, "exit.mjs");
  writeFileSync(
    program,
    `import { createAuditLogService } from ${JSON.stringify(join(process.cwd(), "dist/src/index.js"))};
const audit = createAuditLogService();
await audit.configure({ propertiesFile: ${JSON.stringify(props)}, watch: false });
// Wait until the connection is up (a server that has run a while).
while (!audit.stats().targets[0].connected) await new Promise((r) => setTimeout(r, 20));
for (let i = 0; i < 5; i++) audit.log("ox.login", { seq: i });
await Promise.resolve();
for (let i = 5; i < 10; i++) audit.log("ox.login", { seq: i });
if (process.argv[2] === "sigterm") {
  process.on("SIGTERM", () => {
    audit.log("app.stop", { seq: 10 });
    process.exit(0);
  });
  process.kill(process.pid, "SIGTERM");
  setTimeout(() => undefined, 5000);
} else {
  process.exit(0);
}
`,
  );
  await run(process.execPath, [program], { cwd: dir });
  t.true(await waitFor(() => r.messages().length >= 10, 10_000), `${r.messages().length} of 10 arrived`);
  t.deepEqual(
    r.messages().map((m) => Number(/ seq="([0-9]+)"/.exec(m)?.[1])),
    [...Array(10).keys()],
  );
  await run(process.execPath, [program, "sigterm"], { cwd: dir });
  t.true(await waitFor(() => r.messages().length >= 21, 10_000), `${r.messages().length} of 21 arrived`);
  t.true(r.messages().slice(10).some((m) => m.includes("app.stop")));
});

test("Date values reach a target that waits exactly as a target working inside log() gets them: invalid, masked, subclassed, lying, in pairs", async (t) => {
  captureStatus(t);
  const masking = { [P + "mask.names"]: "secret" };
  const waits = await setup(t, masking);
  // A spool (port 9 is closed here) makes every target work inside log(): the reference.
  const atOnce = await setup(t, {
    ...masking,
    [P + "target.siem.type"]: "syslog",
    [P + "target.siem.host"]: "127.0.0.1",
    [P + "target.siem.port"]: "9",
    [P + "target.siem.spool"]: join(tempDir(t), "spool"),
  });
  class Stamp extends Date {}
  const lying = new Date(Date.UTC(2026, 5, 6, 7, 8, 9, 10));
  // dateTimeOf reads the time with Date.prototype.getTime: an own getTime is not asked.
  Object.defineProperty(lying, "getTime", { value: () => 0 });
  const records: Array<() => Parameters<AuditLogger["log"]>[1]> = [
    () => ({ at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), login: "ann" }),
    () => ({ at: new Date(Number.NaN) }),
    () => ({ secret: new Date(Date.UTC(2026, 0, 2)), at: new Date(0) }),
    () => ({ at: new Stamp(Date.UTC(1999, 11, 31, 23, 59, 59, 999)) }),
    () => ({ at: lying }),
    () => [["at", new Date(86_400_000)], ["secret", new Date(1)]],
    () => ({ before: new Date(-1) }),
  ];
  for (const make of records) {
    waits.audit.log("ox.date", make());
    atOnce.audit.log("ox.date", make());
  }
  await waits.audit.flush();
  const reference = atOnce.targetRecords();
  t.is(reference.length, records.length);
  t.deepEqual(waits.targetRecords(), reference);
  t.deepEqual(waits.fileRecords(), atOnce.fileRecords());
  // What the reference wrote, so the comparison is not between two wrong answers.
  t.is(reference[0]?.[1].at, "2026-01-02T03:04:05.006Z");
  t.is(reference[4]?.[1].at, "2026-06-06T07:08:09.010Z");
  // Masked at both, the target's text and the file's.
  t.is(typeof reference[2]?.[1].secret, "string");
  t.not(reference[2]?.[1].secret, "2026-01-02T00:00:00.000Z");
  t.false(String(waits.fileRecords()[2]?.[1].secret).startsWith("2026-01-02"));
});

test("the audit file's line and a target that waits carry the same instant for a record", async (t) => {
  // Milliseconds in the file's date (the pattern of the line's own time, not of Date values).
  const s = await setup(t, { [P + "file.pattern"]: "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z', UTC} %msg%n" });
  // Every 10th record takes 2 ms to build (a toJSON that waits): one instant must serve both anyway.
  const slow = {
    toJSON(): string {
      const end = Date.now() + 2;
      while (Date.now() < end);
      return "slow";
    },
  };
  for (let i = 0; i < 50; i++) s.audit.log("ox.tick", i % 10 === 0 ? { n: i, slow } : { n: i });
  await s.audit.flush();
  const fileTimes = readLines(join(s.dir, "audit.log")).map((line) => line.slice(0, 24));
  const targetTimes = readFileSync(join(s.dir, "audit.json"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { timestamp: string }).timestamp);
  t.is(fileTimes.length, 50);
  t.regex(fileTimes[0] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.deepEqual(targetTimes, fileTimes);
});

test("whether a plain object is an iterable is asked once per record (its Symbol.iterator getter runs once), and a generator given by a getter is read once", async (t) => {
  const s = await setup(t);
  let asked = 0;
  const plain = { login: "ann" };
  Object.defineProperty(plain, Symbol.iterator, {
    get(): undefined {
      asked++;
      return undefined;
    },
  });
  let generated = 0;
  const pairs = {
    get [Symbol.iterator](): () => Generator<[string, string]> {
      return function* () {
        generated++;
        yield ["login", "bob"];
      };
    },
  };
  s.audit.log("ox.login", plain);
  s.audit.log("ox.login", pairs);
  await s.audit.flush();
  t.is(asked, 1);
  t.is(generated, 1);
  t.deepEqual(s.targetRecords(), [
    ["ox.login", { login: "ann" }],
    ["ox.login", { login: "bob" }],
  ]);
  t.deepEqual(s.fileRecords(), s.targetRecords());
});

test("an iterable's Symbol.iterator getter runs as often with targets as without, and one that throws the first time gives the same record", async (t) => {
  /** Logs the two inputs on a service with or without a target; returns the getters' runs and the file's records. */
  const run = async (targets: boolean): Promise<{ runs: number; throwingRuns: number; file: Array<[string, Record<string, string | null>]> }> => {
    const s = await setup(t, {}, targets);
    let runs = 0;
    const iterable = {
      get [Symbol.iterator](): () => Generator<[string, string]> {
        runs++;
        return function* () {
          yield ["login", "ann"];
        };
      },
    };
    // Throws when first asked, then answers with pairs: the record says it could not be read.
    let throwingRuns = 0;
    const fickle = { login: "plain" };
    Object.defineProperty(fickle, Symbol.iterator, {
      get(): () => Generator<[string, string]> {
        throwingRuns++;
        if (throwingRuns === 1) throw new Error("first");
        return function* () {
          yield ["login", "sneaky"];
        };
      },
    });
    s.audit.log("ox.iterable", iterable);
    s.audit.log("ox.fickle", fickle);
    await s.audit.flush();
    const file = s.fileRecords();
    if (targets) t.deepEqual(s.targetRecords(), file);
    return { runs, throwingRuns, file };
  };
  const alone = await run(false);
  const withTargets = await run(true);
  t.deepEqual(alone.file, [
    ["ox.iterable", { login: "ann" }],
    ["ox.fickle", { "slf4ts.error": "attributes could not be read: Error: first" }],
  ]);
  t.deepEqual(withTargets, alone);
});

test("a record logged by a getter while another is built: the file's times never go back in file order, and the target has the same", async (t) => {
  const s = await setup(t, { [P + "file.pattern"]: "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z', UTC} %msg%n" });
  for (let i = 0; i < 5; i++) {
    s.audit.log("ox.outer", {
      n: String(i),
      get nested(): string {
        // The inner record is logged 3 ms into the outer one's build.
        const end = Date.now() + 3;
        while (Date.now() < end);
        s.audit.log("ox.inner", { n: String(i) });
        return "yes";
      },
    });
  }
  await s.audit.flush();
  const lines = readLines(join(s.dir, "audit.log"));
  t.deepEqual(
    lines.map((l) => l.slice(25, 33)),
    Array.from({ length: 5 }, () => ["ox.inner", "ox.outer"]).flat(),
  );
  const fileTimes = lines.map((l) => l.slice(0, 24));
  t.deepEqual([...fileTimes].sort(), fileTimes, "times in file order");
  const targetTimes = targetLines(s.dir).map((_, i) => (JSON.parse(readFileSync(join(s.dir, "audit.json"), "utf8").split("\n")[i] as string) as { timestamp: string }).timestamp);
  t.deepEqual(targetTimes, fileTimes);
});

test("with targets, log() does not keep the caller's attributes alive once the record waits (a Proxy is collected without another log())", async (t) => {
  const dir = tempDir(t);
  const index = new URL("../src/index.js", import.meta.url).href;
  // In a child with --expose-gc: a WeakRef to the Proxy logged, then collections between tasks.
  const script = `
    import { createAuditLogService } from ${JSON.stringify(index)};
    const P = ${JSON.stringify(P)};
    const audit = createAuditLogService();
    await audit.configure({ properties: { [P + "enabled"]: "true", [P + "file.location"]: ${JSON.stringify(join(dir, "audit.log"))}, [P + "target.json.type"]: "file", [P + "target.json.path"]: ${JSON.stringify(join(dir, "audit.json"))} }, watch: false });
    const refs = (() => {
      const proxy = new Proxy({ login: "ann", blob: "x".repeat(1000) }, {});
      const plain = { login: "bob" };
      audit.log("ox.proxy", proxy);
      audit.log("ox.plain", plain);
      return [new WeakRef(proxy), new WeakRef(plain)];
    })();
    await audit.flush();
    for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
    console.log(JSON.stringify({ proxy: refs[0].deref() === undefined, plain: refs[1].deref() === undefined }));
    await audit.shutdown();
  `;
  const { stdout } = await run(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { timeout: 60_000 });
  t.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1) as string), { proxy: true, plain: true });
  t.is(readLines(join(dir, "audit.log")).length, 2);
  t.is(targetLines(dir).length, 2);
});

test("a name that is not a string (an object with toJSON, in pairs or a Map) is rendered once: the file and the target hold the same name", async (t) => {
  const s = await setup(t);
  let calls = 0;
  /** A name whose toJSON answers anew each time. */
  const fickleName = (): object => ({
    toJSON(): string {
      calls++;
      return `name${calls}`;
    },
  });
  s.audit.log("ox.pairs", [
    [fickleName(), "text"],
    [fickleName(), { nested: true }],
  ]);
  s.audit.log("ox.map", new Map<unknown, unknown>([[fickleName(), 7]]));
  await s.audit.flush();
  t.is(calls, 3, "each name rendered once");
  t.deepEqual(s.fileRecords(), [
    ["ox.pairs", { '"name1"': "text", '"name2"': '{"nested":true}' }],
    ["ox.map", { '"name3"': "7" }],
  ]);
  t.deepEqual(s.targetRecords(), s.fileRecords());
});
