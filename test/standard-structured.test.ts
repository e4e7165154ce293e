/**
 * Standard mode into structured backends: the audit record reaches pino, winston and
 * OpenTelemetry with the event id and each attribute as its own field (rendered and masked as in
 * the record), the rendered record as the message, and the marker AUDIT. log4js output stays the
 * rendered record (test/standard-mode.test.ts).
 */
import test from "ava";
import { Writable } from "node:stream";
import pino from "pino";
import winston from "winston";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import log4js from "log4js";
import { join } from "node:path";
import { AUDIT_LOGGER_NAME, LoggerFactory, MDC, createAuditLogService, createConsoleBinding, createLog4jsBinding, createOpenTelemetryBinding, createPinoBinding, createWinstonBinding } from "../src/index.js";
import { P, readLines, tempDir, waitFor } from "./lib/helpers.js";

const PROPERTIES = { [`${P}enabled`]: "true", [`${P}level`]: "info", [`${P}mask.names`]: "password" };
const WHEN = new Date(Date.UTC(2016, 5, 10, 10, 31, 10));
const RECORD = "ox.login, login=thorben, password=****, ip=::1, timestamp=2016-06-10T10:31:10Z, tags=[\"a\"\\,\"b\"], none=\\N";
const ATTRIBUTES = { login: "thorben", password: "hunter2", ip: "::1", timestamp: WHEN, tags: ["a", "b"], none: null };

async function standardService(properties: Record<string, string> = PROPERTIES): Promise<ReturnType<typeof createAuditLogService>> {
  const audit = createAuditLogService();
  await audit.configure({ properties, watch: false });
  return audit;
}

test.serial("pino: eventId and each attribute are JSON keys (masked), msg is the rendered record, markers [AUDIT]", async (t) => {
  const out: string[] = [];
  LoggerFactory.setBinding(createPinoBinding(pino({ level: "info" }, { write: (line: string) => void out.push(line) })));
  const audit = await standardService();
  t.is(audit.stats().mode, "standard");
  out.length = 0; // the status line of the applied configuration
  MDC.run({ requestId: "r-1" }, () => audit.log("ox.login", ATTRIBUTES));
  t.is(out.length, 1);
  const line = JSON.parse(out[0] ?? "{}") as Record<string, unknown>;
  t.like(line, {
    level: 30,
    logger: AUDIT_LOGGER_NAME,
    msg: RECORD,
    eventId: "ox.login",
    login: "thorben",
    password: "****",
    ip: "::1",
    timestamp: "2016-06-10T10:31:10.000Z",
    tags: '["a","b"]',
    none: null,
    requestId: "r-1",
    markers: ["AUDIT"],
  });
  t.false(out[0]?.includes("hunter2"), "the secret reaches no field");
  t.is(audit.stats().written, 1);
});

test.serial("pino: attributes named like the event-id key or pino's own fields are kept under name_", async (t) => {
  const out: string[] = [];
  LoggerFactory.setBinding(createPinoBinding(pino({ level: "info" }, { write: (line: string) => void out.push(line) })));
  const audit = await standardService();
  out.length = 0;
  audit.log("ox.odd", { eventId: "e", level: "l", time: "t", msg: "m", pid: "p", hostname: "h", logger: "g", markers: "k", err: "x" });
  const line = JSON.parse(out[0] ?? "{}") as Record<string, unknown>;
  t.like(line, { level: 30, msg: "ox.odd, eventId=e, level=l, time=t, msg=m, pid=p, hostname=h, logger=g, markers=k, err=x", eventId: "ox.odd", markers: ["AUDIT"] });
  t.like(line, { eventId_: "e", level_: "l", time_: "t", msg_: "m", pid_: "p", hostname_: "h", logger_: "g", markers_: "k", err_: "x" });
  t.is(typeof line["time"], "number");
  t.is(typeof line["pid"], "number");
});

test.serial("pino: a record cut at record.maxLength has the same cut in its fields, and slf4ts.cut", async (t) => {
  const out: string[] = [];
  LoggerFactory.setBinding(createPinoBinding(pino({ level: "info" }, { write: (line: string) => void out.push(line) })));
  const audit = await standardService({ ...PROPERTIES, [`${P}record.maxAttributes`]: "2" });
  out.length = 0;
  audit.log("ox.many", { a: "1", b: "2", c: "3" });
  const line = JSON.parse(out[0] ?? "{}") as Record<string, unknown>;
  t.like(line, { eventId: "ox.many", a: "1", b: "2", "slf4ts.cut": "1" });
  t.is(line["msg"], "ox.many, a=1, b=2, slf4ts.cut=1");
});

test.serial("winston: eventId and the attributes are metadata, the message is the rendered record", async (t) => {
  const out: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _e, done) => void (out.push(chunk.toString()), done()) });
  LoggerFactory.setBinding(createWinstonBinding(winston.createLogger({ level: "info", format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] })));
  const audit = await standardService();
  t.true(await waitFor(() => out.length === 1, 5000)); // the status line of the applied configuration
  audit.log("ox.login", { ...ATTRIBUTES, message: "mine" });
  t.true(await waitFor(() => out.length === 2, 5000));
  t.deepEqual(JSON.parse(out[1] ?? "{}"), {
    level: "info",
    message: `${RECORD}, message=mine`,
    logger: AUDIT_LOGGER_NAME,
    eventId: "ox.login",
    login: "thorben",
    password: "****",
    ip: "::1",
    timestamp: "2016-06-10T10:31:10.000Z",
    tags: '["a","b"]',
    none: null,
    message_: "mine",
    markers: ["AUDIT"],
  });
});

test.serial("OpenTelemetry: eventId and the attributes are log record attributes, the body is the rendered record", async (t) => {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  LoggerFactory.setBinding(createOpenTelemetryBinding({ loggerProvider: provider }));
  const audit = await standardService({ ...PROPERTIES, [`${P}level`]: "warn" });
  exporter.reset();
  audit.log("ox.login", ATTRIBUTES);
  const [record] = exporter.getFinishedLogRecords();
  t.is(exporter.getFinishedLogRecords().length, 1);
  t.is(record?.body, RECORD);
  t.is(record?.severityText, "WARN");
  t.deepEqual(record?.attributes, {
    eventId: "ox.login",
    login: "thorben",
    password: "****",
    ip: "::1",
    timestamp: "2016-06-10T10:31:10.000Z",
    tags: '["a","b"]',
    none: null,
    "logger.name": AUDIT_LOGGER_NAME,
    markers: ["AUDIT"],
  });
});

test.serial("with a named target, the binding and the target share one rendering (same message, same masking)", async (t) => {
  const dir = tempDir(t);
  const out: string[] = [];
  LoggerFactory.setBinding(createPinoBinding(pino({ level: "info" }, { write: (line: string) => void out.push(line) })));
  const audit = await standardService({ ...PROPERTIES, [`${P}target.copy.type`]: "file", [`${P}target.copy.path`]: `${dir}/copy.log` });
  t.teardown(() => audit.shutdown());
  out.length = 0;
  audit.log("ox.login", ATTRIBUTES);
  const line = JSON.parse(out[0] ?? "{}") as Record<string, unknown>;
  t.like(line, { msg: RECORD, eventId: "ox.login", password: "****" });
  t.true(await waitFor(() => readLines(`${dir}/copy.log`).some((l) => l.includes("ox.login") && l.includes("****")), 5000));
  t.false(readLines(`${dir}/copy.log`).join("\n").includes("hunter2"));
});

test.serial("attributes given as a generator (read once) reach both the message and the fields", async (t) => {
  const out: string[] = [];
  LoggerFactory.setBinding(createPinoBinding(pino({ level: "info" }, { write: (line: string) => void out.push(line) })));
  const audit = await standardService();
  out.length = 0;
  function* pairs(): Generator<[string, unknown]> {
    yield ["login", "ann"];
    yield ["password", "hunter2"];
  }
  audit.log("ox.login", pairs());
  t.like(JSON.parse(out[0] ?? "{}"), { msg: "ox.login, login=ann, password=****", eventId: "ox.login", login: "ann", password: "****" });
});

test.serial("a binding that reads only the message pays nothing for the fields; one that reads them gets them once", async (t) => {
  const seen: Array<{ message: string; keyValues?: unknown }> = [];
  let structured = false;
  LoggerFactory.setBinding({
    name: "probe",
    getLogger: () => ({
      isEnabled: () => true,
      log: (r) => void seen.push(structured ? { message: r.message, keyValues: [...r.keyValues, ...r.keyValues] } : { message: r.message }),
    }),
  });
  const audit = await standardService();
  let reads = 0;
  const attributes = {
    get login(): string {
      reads++;
      return "ann";
    },
  };
  audit.log("ox.login", attributes);
  t.is(reads, 1, "the message alone reads the attributes once");
  structured = true;
  audit.log("ox.login", attributes);
  t.is(reads, 3, "the key-values are rendered once, however often they are read");
  t.deepEqual(seen.slice(-2), [
    { message: "ox.login, login=ann" },
    { message: "ox.login, login=ann", keyValues: [{ key: "eventId", value: "ox.login" }, { key: "login", value: "ann" }, { key: "eventId", value: "ox.login" }, { key: "login", value: "ann" }] },
  ]);
});

test.serial("text bindings write an audit record's message alone: the console once, without its fields again, and neither it nor log4js renders them", async (t) => {
  const lines: string[] = [];
  LoggerFactory.setBinding(createConsoleBinding({ stream: { write: (text: string) => lines.push(text) } }));
  const audit = await standardService();
  lines.length = 0;
  let reads = 0;
  const attributes = {
    get login(): string {
      reads++;
      return "ann";
    },
    password: "hunter2",
  };
  audit.log("ox.login", attributes);
  t.is(lines.length, 1);
  t.regex(lines[0] ?? "", / INFO com\.openexchange\.log\.audit\.AuditLogService - \[AUDIT\] ox\.login, login=ann, password=\*\*\*\*\n$/);
  t.is(reads, 1, "the console binding did not render the key-values");
  // The same through real log4js: the context has the MDC and the marker, not the fields.
  const dir = tempDir(t);
  log4js.configure({
    appenders: { f: { type: "fileSync", filename: join(dir, "host.log"), layout: { type: "pattern", pattern: "%m|%X{marker}|%X{login}" } } },
    categories: { default: { appenders: ["f"], level: "info" } },
  });
  t.teardown(() => new Promise<void>((resolve) => log4js.shutdown(() => resolve())));
  LoggerFactory.setBinding(createLog4jsBinding(log4js));
  audit.log("ox.login", attributes);
  t.is(reads, 2, "the log4js binding did not render the key-values");
  t.deepEqual(readLines(join(dir, "host.log")), ["ox.login, login=ann, password=****|AUDIT|null"]);
});
