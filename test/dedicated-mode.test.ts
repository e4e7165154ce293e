import test from "ava";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createAuditLogService, parseAuditLine, MDC } from "../src/index.js";
import { captureStatus, listDir, readLines } from "./lib/helpers.js";
import { dedicatedService } from "./lib/service.js";

const at = new Date(Date.UTC(2016, 5, 10, 10, 31, 10, 5));

test("default pattern: the sanitised message and a newline, in a file relative to the properties file", async (t) => {
  const { audit, log } = await dedicatedService(t, { delimiter: '"|"' });
  audit.log("ox.login", { login: "thorben", ip: "::1", timestamp: at });
  audit.log("ox.logout", [["login", "thorben"], ["ip", "::1"], ["timestamp", at]]);
  t.deepEqual(readLines(log), ["ox.login|login=thorben|ip=::1|timestamp=2016-06-10T10:31:10Z", "ox.logout|login=thorben|ip=::1|timestamp=2016-06-10T10:31:10Z"]);
  const mode = statSync(log).mode & 0o777;
  t.is(mode & 0o600, 0o600, "owner reads and writes");
  t.is(mode & 0o037, 0, "group may only read; others nothing");
  const stats = audit.stats();
  t.is(stats.mode, "dedicated");
  t.is(stats.file, log);
  t.is(stats.written, 2);
});

test("names off and the documented German date example", async (t) => {
  const { audit, log } = await dedicatedService(t, {
    delimiter: '"|"',
    includeAttributeNames: "false",
    "date.pattern": "EEEE, d. MMMM yyyy HH:mm z",
    "date.locale": "de_DE",
    "date.timezone": "Europe/Berlin",
  });
  audit.log("ox.login", { login: "thorben", ip: "::1", timestamp: at });
  t.deepEqual(readLines(log), ["ox.login|thorben|::1|Freitag, 10. Juni 2016 12:31 MESZ"]);
});

test("with the shipped delimiter a comma inside a value is escaped, so the line still reads back", async (t) => {
  const { audit, log } = await dedicatedService(t, { "date.pattern": "EEEE, d. MMMM yyyy", "date.locale": "de_DE" });
  audit.log("ox.login", { login: "thorben", timestamp: at });
  const lines = readLines(log);
  t.deepEqual(lines, ["ox.login, login=thorben, timestamp=Freitag\\, 10. Juni 2016"]);
  t.deepEqual(parseAuditLine(lines[0] as string, { delimiter: ", ", includeAttributeNames: true }).attributes, [
    ["login", "thorben"],
    ["timestamp", "Freitag, 10. Juni 2016"],
  ]);
});

test("a hostile value stays on one line and reads back exactly", async (t) => {
  const { audit, log } = await dedicatedService(t, { delimiter: '"|"' });
  const evil = "me@gmx.de\nox.login|login=admin\u001b[2J\u2028\u202E";
  audit.log("pop3.external.login", { "pop3.login": evil, "pop3.port": 995 });
  const lines = readLines(log);
  t.is(lines.length, 1);
  t.deepEqual(parseAuditLine(lines[0] as string, { delimiter: "|", includeAttributeNames: true }), {
    eventId: "pop3.external.login",
    attributes: [
      ["pop3.login", evil],
      ["pop3.port", "995"],
    ],
  });
});

test("a full logback pattern with level, logger, MDC and replace", async (t) => {
  const { audit, log } = await dedicatedService(t, {
    level: "warn",
    "file.pattern": '"%d{yyyy, UTC} %-5level [%logger{20}] %X{requestId:-none} %replace(%msg){\'\\\\d\', \'#\'}%n"',
  });
  const yearBefore = new Date().getUTCFullYear();
  MDC.run({ requestId: "r-7" }, () => audit.log("ox.login", { port: 993 }));
  audit.log("ox.logout");
  const year = String(new Date().getUTCFullYear());
  const lines = readLines(log).map((l) => l.replace(String(yearBefore), year)); // in case the year turned meanwhile
  t.deepEqual(lines, [`${year} WARN  [c.o.l.a.AuditLogService] r-7 ox.login, port=###`, `${year} WARN  [c.o.l.a.AuditLogService] none ox.logout`]);
});

test("rotation by size and count in dedicated mode", async (t) => {
  const { audit, dir } = await dedicatedService(t, { "file.size": "100", "file.count": "3", delimiter: '"|"' });
  for (let i = 0; i < 40; i++) audit.log("ev", { i: String(i).padStart(3, "0") }); // "ev|i=000\n": 9 bytes, 11 fit in 100
  const logs = join(dir, "logs");
  t.deepEqual(listDir(logs), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]);
  for (const name of listDir(logs)) t.true(statSync(join(logs, name)).size <= 100);
  const kept = ["audit.log.3", "audit.log.2", "audit.log.1", "audit.log"].flatMap((n) => readLines(join(logs, n)));
  const numbers = kept.map((l) => Number(l.slice("ev|i=".length)));
  t.deepEqual(numbers, Array.from({ length: numbers.length }, (_, k) => 40 - numbers.length + k));
  t.is(audit.stats().rotations, Math.ceil(40 / 11) - 1);
});

test("filters veto events; a throwing filter is reported and the event kept", async (t) => {
  const { audit, log } = await dedicatedService(t, { delimiter: '"|"' });
  const events = captureStatus(t);
  audit.addFilter((_eventId, attributes) => {
    // Filters see a frozen copy: they cannot change the record.
    t.true(Object.isFrozen(attributes) && attributes.every((pair) => Object.isFrozen(pair)));
    t.throws(() => (attributes as unknown as unknown[]).push(["extra", "x"]));
    return true;
  });
  const remove = audit.addFilter((eventId, attributes) => !(eventId === "ox.login" && attributes.some(([n, v]) => n === "login" && v === "robot")));
  audit.addFilter(() => {
    throw new Error("filter bug");
  });
  audit.log("ox.login", { login: "robot" });
  audit.log("ox.login", { login: "human" });
  remove();
  audit.log("ox.login", { login: "robot" });
  t.deepEqual(readLines(log), ["ox.login|login=human", "ox.login|login=robot"]);
  t.is(audit.stats().filtered, 1);
  t.true(events.some((e) => e.code === "FILTER_FAILED" && e.message.includes("filter bug")));
});

test("a non-string event id or non-object attributes are a TypeError whatever the configuration", async (t) => {
  const disabled = createAuditLogService();
  t.throws(() => disabled.log(42 as unknown as string), { instanceOf: TypeError });
  t.throws(() => disabled.log("ev", "login=x" as unknown as Record<string, unknown>), {
    instanceOf: TypeError,
    message: "audit attributes must be an object or an iterable of [name, value] pairs, got string",
  });
  const { audit } = await dedicatedService(t, { delimiter: '"|"' });
  t.throws(() => audit.log(42 as unknown as string), { instanceOf: TypeError });
  t.throws(() => audit.log("ev", 42 as unknown as Record<string, unknown>), { instanceOf: TypeError });
  t.notThrows(() => audit.log("ev", null as unknown as Record<string, unknown>));
});

test("odd attributes never throw and never lose the event", async (t) => {
  const { audit, log } = await dedicatedService(t, { delimiter: '"|"' });
  const hostile = {
    get boom(): string {
      throw new Error("getter");
    },
    __proto__key: "p",
  };
  Object.defineProperty(hostile, "__proto__", { value: "own", enumerable: true });
  function* broken(): Generator<[string, string]> {
    yield ["a", "1"];
    throw new Error("iterator");
  }
  t.notThrows(() => audit.log("ev1", hostile));
  t.notThrows(() => audit.log("ev2", broken()));
  t.deepEqual(readLines(log), [
    "ev1|boom=[getter threw: Error: getter]|__proto__key=p|__proto__=own",
    "ev2|a=1|slf4ts.error=attributes iterator threw: Error: iterator",
  ]);
});

test("a disabled service writes nothing", async (t) => {
  const { audit, log } = await dedicatedService(t, { enabled: "false" });
  audit.log("ox.login", { login: "x" });
  t.throws(() => readFileSync(log));
  t.is(audit.stats().mode, "disabled");
});

test("batched durability: records wait at most maxDelayMs, flush() writes them now, rotation never splits a record", async (t) => {
  const { audit, dir, log } = await dedicatedService(t, {
    delimiter: '"|"',
    "file.durability": "batched",
    "file.durability.maxDelayMs": "50",
    "file.size": "100",
    "file.count": "50",
  });
  audit.log("ev", { i: "000" });
  t.is(audit.stats().buffered, 1, "the record waits for its batch");
  t.is(readFileSync(log, "utf8"), "", "not yet written");
  await new Promise((r) => setTimeout(r, 200));
  t.deepEqual(readLines(log), ["ev|i=000"]);
  for (let i = 1; i < 40; i++) audit.log("ev", { i: String(i).padStart(3, "0") }); // 9 bytes each
  await audit.flush();
  t.is(audit.stats().buffered, 0);
  const logs = join(dir, "logs");
  const files = listDir(logs).sort((a, b) => Number(b.split(".")[2] ?? 0) - Number(a.split(".")[2] ?? 0));
  const lines = files.flatMap((f) => readLines(join(logs, f)));
  t.deepEqual(lines, Array.from({ length: 40 }, (_, i) => `ev|i=${String(i).padStart(3, "0")}`));
  for (const f of files) t.true(statSync(join(logs, f)).size <= 100, f);
  t.is(audit.stats().written, 40);
});

test("batched durability keeps memory bounded: at 64 KiB waiting, log() writes the batch itself", async (t) => {
  const { audit, log } = await dedicatedService(t, { "file.durability": "batched", "file.durability.maxDelayMs": "1000" });
  const value = "v".repeat(1000);
  for (let i = 0; i < 200; i++) audit.log("ev", { i, value });
  const stats = audit.stats();
  t.true(stats.buffered < 66, `at most one batch waits (${stats.buffered})`);
  t.true(stats.written >= 134);
  t.is(readLines(log).length, stats.written);
});
