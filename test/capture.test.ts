/**
 * captureAuditRecords: what a user's own tests see of the audit events their code logs. The
 * captured attributes are checked against the real file the same service writes.
 */
import test from "ava";
import { captureAuditRecords, createAuditLogService, Level, parseAuditLine, AuditLogService } from "../src/index.js";
import { readLines } from "./lib/helpers.js";
import { dedicatedService, testService } from "./lib/service.js";

const at = new Date(Date.UTC(2016, 5, 10, 10, 31, 10, 5));

test("an unconfigured (disabled) service is captured with the default rendering: masked secrets, ISO dates, the level", (t) => {
  const audit = testService(t);
  const capture = captureAuditRecords(audit);
  const before = Date.now();
  audit.log("ox.login", { login: "ann", password: "hunter2", when: at, port: 143, none: null });
  t.is(capture.records.length, 1);
  const [record] = capture.records;
  t.is(record?.eventId, "ox.login");
  t.deepEqual(record?.attributes, { login: "ann", password: "****", when: "2016-06-10T10:31:10Z", port: "143", none: null });
  t.is(record?.message, "ox.login, login=ann, password=****, when=2016-06-10T10:31:10Z, port=143, none=\\N");
  t.is(record?.level, Level.INFO);
  t.true((record?.timestamp ?? 0) >= before && (record?.timestamp ?? Infinity) <= Date.now());
  t.true(Object.isFrozen(record) && Object.isFrozen(record?.attributes), "a captured record cannot be changed by the test");
  t.is(audit.stats().mode, "disabled");
});

test("a captured record says exactly what the file says: delimiter in a value, a Java date pattern, masking, a cut record", async (t) => {
  const { audit, log } = await dedicatedService(t, {
    delimiter: '"|"',
    "file.pattern": "%msg%n",
    "date.pattern": "dd.MM.yyyy HH:mm:ss",
    "date.timezone": "Europe/Berlin",
    "record.maxLength": "300",
    level: "warn",
  });
  const capture = captureAuditRecords(audit);
  audit.log("ox.login", { login: "a|b", secret_token: "abcdef", when: at });
  audit.log("ox.big", { first: "x".repeat(50), second: "y".repeat(400) });
  await audit.flush();
  const lines = readLines(log);
  t.is(lines.length, 2);
  t.is(capture.records.length, 2);
  for (const [i, line] of lines.entries()) {
    const captured = capture.records[i];
    t.is(captured?.message, line, "the message is the file's line");
    const parsed = parseAuditLine(line, { delimiter: "|", includeAttributeNames: true });
    t.is(captured?.eventId, parsed.eventId);
    t.deepEqual(captured?.attributes, Object.fromEntries(parsed.attributes), "the attributes are the file's, unescaped");
    t.is(captured?.level, Level.WARN);
  }
  t.deepEqual(capture.records[0]?.attributes, { login: "a|b", secret_token: "****", when: "10.06.2016 12:31:10" });
  t.regex(capture.records[1]?.attributes.second ?? "", /^y+\.\.\.\[truncated \d+ characters\]$/);
});

test("filters decide what is captured; an iterable is read once, for the capture and the file alike", async (t) => {
  const { audit, log } = await dedicatedService(t, { "file.pattern": "%msg%n" });
  audit.addFilter((eventId) => eventId !== "ox.noise");
  const capture = captureAuditRecords(audit);
  function* pairs(): Generator<[string, string]> {
    yield ["login", "ann"];
    yield ["ip", "::1"];
  }
  audit.log("ox.noise", { a: "1" });
  audit.log("ox.login", pairs());
  await audit.flush();
  t.deepEqual(
    capture.records.map((r) => [r.eventId, r.attributes]),
    [["ox.login", { login: "ann", ip: "::1" }]],
  );
  t.deepEqual(readLines(log), ["ox.login, login=ann, ip=::1"]);
  t.is(audit.stats().filtered, 1);
});

test("clear() forgets, stop() ends the capture and keeps its records, captures are independent", (t) => {
  const audit = testService(t);
  const first = captureAuditRecords(audit);
  audit.log("a.one");
  const second = captureAuditRecords(audit);
  audit.log("a.two");
  t.deepEqual(first.records.map((r) => r.eventId), ["a.one", "a.two"]);
  t.deepEqual(second.records.map((r) => r.eventId), ["a.two"]);
  first.clear();
  t.deepEqual(first.records, []);
  audit.log("a.three");
  first.stop();
  first.stop();
  audit.log("a.four");
  t.deepEqual(first.records.map((r) => r.eventId), ["a.three"]);
  t.deepEqual(second.records.map((r) => r.eventId), ["a.two", "a.three", "a.four"]);
  second.stop();
  audit.log("a.five");
  t.is(second.records.length, 3);
});

test("without an argument it captures the process's default AuditLogService, and an independent service is not in it", (t) => {
  const capture = captureAuditRecords();
  t.teardown(() => capture.stop());
  const other = createAuditLogService();
  t.teardown(() => other.shutdown());
  other.log("other.event");
  AuditLogService.log("default.event", { user: "ann" });
  t.deepEqual(capture.records.map((r) => [r.eventId, r.attributes]), [["default.event", { user: "ann" }]]);
});

test("programmer errors still throw and are not captured", (t) => {
  const audit = testService(t);
  const capture = captureAuditRecords(audit);
  t.throws(() => audit.log("" as string), { instanceOf: TypeError });
  t.throws(() => audit.log("x", 5 as never), { instanceOf: TypeError });
  t.deepEqual(capture.records, []);
});
