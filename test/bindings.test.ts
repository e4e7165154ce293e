/**
 * The pino, winston and OpenTelemetry bindings against the real libraries: what a record becomes
 * (fields, levels, errors, markers), names that collide, values that cannot be serialised, and
 * the levels each backend decides.
 */
import test from "ava";
import { Writable } from "node:stream";
import pino from "pino";
import winston from "winston";
import { logs } from "@opentelemetry/api-logs";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import {
  Level,
  LoggerFactory,
  MarkerFactory,
  MDC,
  createOpenTelemetryBinding,
  createPinoBinding,
  createWinstonBinding,
  type KeyValuePair,
  type LoggerBinding,
  type LogRecord,
  type Marker,
} from "../src/index.js";
import { waitFor } from "./lib/helpers.js";

/** A pino logger writing its JSON lines into an array, synchronously. */
function pinoInto(level = "info"): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void out.push(line) });
  return { logger, lines: () => out.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** A winston logger with the JSON format writing into an array. */
function winstonInto(level = "info"): { logger: winston.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.push(chunk.toString());
      done();
    },
  });
  const logger = winston.createLogger({ level, format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  return { logger, lines: () => out.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** An OpenTelemetry SDK provider with the in-memory exporter. */
function otelInto(minimumSeverity?: number): { provider: LoggerProvider; exporter: InMemoryLogRecordExporter } {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter })],
    ...(minimumSeverity === undefined ? {} : { loggerConfigurator: () => ({ disabled: false, minimumSeverity, traceBased: false }) }),
  });
  return { provider, exporter };
}

/** A record as the fluent API or standard mode hands it to a binding (key–values and markers). */
function record(fields: Partial<LogRecord> & { keyValues?: readonly KeyValuePair[]; markers?: readonly Marker[] }): LogRecord {
  return { level: Level.INFO, loggerName: "com.example.Kv", message: "m", error: undefined, mdc: new Map(), timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6), keyValues: [], markers: [], ...fields };
}

/** Sends a record straight to a binding's logger for `name`, as the facade does after its level check. */
function send(binding: LoggerBinding, r: LogRecord): void {
  binding.getLogger(r.loggerName).log(r);
}

const AUDIT = MarkerFactory.getMarker("AUDIT");
const circular: Record<string, unknown> = { a: 1 };
circular["self"] = circular;
const throwing = {
  ok: 1,
  get boom(): never {
    throw new Error("getter");
  },
};

// ---- pino ---------------------------------------------------------------------------------------

test.serial("pino: a facade record is one JSON line with the logger's name, the MDC, the message and the error as err", (t) => {
  const { logger, lines } = pinoInto();
  LoggerFactory.setBinding(createPinoBinding(logger));
  const log = LoggerFactory.getLogger("com.example.Login");
  MDC.run({ requestId: "r-1" }, () => {
    log.info("user {} logged in from {}", "ann", "::1");
    log.debug("not shown");
    log.error("login failed for {}", "eve", new TypeError("bad password"));
  });
  log.warn("100%s {} %d", "sure");
  const [info, error, warn] = lines();
  t.is(lines().length, 3);
  t.like(info, { level: 30, logger: "com.example.Login", requestId: "r-1", msg: "user ann logged in from ::1" });
  t.like(error, { level: 50, logger: "com.example.Login", requestId: "r-1", msg: "login failed for eve" });
  t.like(error?.["err"], { type: "TypeError", message: "bad password" });
  t.regex(String((error?.["err"] as Record<string, unknown>)["stack"]), /TypeError: bad password\n\s+at /);
  t.is(warn?.["msg"], "100%s sure %d", "a % in the message is not a pino format directive");
});

test.serial("pino: key-values are JSON keys (objects stay objects), markers a list, colliding names get a _", (t) => {
  const { logger, lines } = pinoInto();
  const binding = createPinoBinding(logger);
  send(binding, record({
    keyValues: [
      { key: "eventId", value: "ox.login" },
      { key: "user", value: { name: "ann", roles: ["admin"] } },
      { key: "level", value: "mine" },
      { key: "msg", value: "also mine" },
      { key: "time", value: 1 },
      { key: "pid", value: 2 },
      { key: "hostname", value: "h" },
      { key: "logger", value: "l" },
      { key: "eventId", value: "again" },
      { key: "__proto__", value: "p" },
    ],
    markers: [AUDIT],
    mdc: new Map([["user", "from the MDC"]]),
  }));
  const line = lines()[0] ?? {};
  t.like(line, {
    level: 30,
    msg: "m",
    logger: "com.example.Kv",
    eventId: "ox.login",
    user: { name: "ann", roles: ["admin"] },
    level_: "mine",
    msg_: "also mine",
    time_: 1,
    pid_: 2,
    hostname_: "h",
    logger_: "l",
    eventId_: "again",
    user_: "from the MDC",
    markers: ["AUDIT"],
  });
  t.is(Object.getOwnPropertyDescriptor(line, "__proto__")?.value, "p");
  t.is(typeof line["time"], "number");
});

test.serial("pino: a circular value or a getter that throws never reaches the caller, and the record is written", (t) => {
  const { logger, lines } = pinoInto();
  const binding = createPinoBinding(logger);
  t.notThrows(() => send(binding, record({ keyValues: [{ key: "c", value: circular }] })));
  t.notThrows(() => send(binding, record({ keyValues: [{ key: "g", value: throwing }, { key: "n", value: 10n }] })));
  t.is(lines().length, 2);
  t.deepEqual(lines()[0]?.["c"], { a: 1, self: "[Circular]" });
  t.is(lines()[1]?.["msg"], "m");
});

test.serial("pino: facade levels follow the pino logger's level, decided once per change (also for loggers made before)", (t) => {
  const { logger, lines } = pinoInto("info");
  const binding = createPinoBinding(logger);
  t.is(typeof binding.onLevelsChanged, "function");
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("com.example.Levels");
  t.false(log.isDebugEnabled());
  t.true(log.isInfoEnabled());
  log.debug("hidden");
  logger.level = "trace";
  t.true(log.isTraceEnabled(), "the child follows its parent");
  log.trace("shown at {}", "trace");
  const later = LoggerFactory.getLogger("com.example.Later");
  t.true(later.isTraceEnabled());
  logger.level = "error";
  t.false(log.isWarnEnabled());
  log.warn("hidden");
  log.error("shown");
  // Another child of the host's logger changing its level changes nothing here.
  const other = logger.child({ other: true });
  other.level = "trace";
  t.false(log.isWarnEnabled());
  t.deepEqual(lines().map((l) => [l["level"], l["msg"]]), [[10, "shown at trace"], [50, "shown"]]);
});

// ---- winston ------------------------------------------------------------------------------------

test.serial("winston: metadata holds the logger's name, key-values, MDC, the error and the markers; TRACE is silly", async (t) => {
  const { logger, lines } = winstonInto("silly");
  const binding = createWinstonBinding(logger);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("com.example.Login");
  MDC.run({ requestId: "r-1" }, () => {
    log.trace("at {}", "trace");
    log.error("failed for {}", "eve", new TypeError("bad password"));
  });
  send(binding, record({
    keyValues: [
      { key: "user", value: { name: "ann" } },
      { key: "level", value: "mine" },
      { key: "message", value: "also mine" },
    ],
    markers: [AUDIT],
  }));
  t.true(await waitFor(() => lines().length === 3, 5000));
  const [trace, error, kv] = lines();
  t.deepEqual(trace, { level: "silly", message: "at trace", logger: "com.example.Login", requestId: "r-1" });
  t.like(error, { level: "error", message: "failed for eve", logger: "com.example.Login", requestId: "r-1", error: { name: "TypeError", message: "bad password" } });
  t.regex(String((error?.["error"] as Record<string, unknown>)["stack"]), /TypeError: bad password\n\s+at /);
  t.deepEqual(kv, { level: "info", message: "m", logger: "com.example.Kv", user: { name: "ann" }, level_: "mine", message_: "also mine", markers: ["AUDIT"] });
});

test.serial("winston: isEnabled asks winston on every call; a level change applies at once", (t) => {
  const { logger } = winstonInto("info");
  LoggerFactory.setBinding(createWinstonBinding(logger));
  const log = LoggerFactory.getLogger("com.example.W");
  t.false(log.isDebugEnabled());
  logger.level = "debug";
  t.true(log.isDebugEnabled());
  t.false(log.isTraceEnabled(), "TRACE is silly, below debug");
});

test.serial("winston: a getter that throws is retried as text, a circular value is serialised; nothing reaches the caller", async (t) => {
  const { logger, lines } = winstonInto();
  const binding = createWinstonBinding(logger);
  t.notThrows(() => send(binding, record({ keyValues: [{ key: "g", value: throwing }, { key: "s", value: "text" }] })));
  t.notThrows(() => send(binding, record({ keyValues: [{ key: "c", value: circular }] })));
  t.true(await waitFor(() => lines().length === 2, 5000));
  t.like(lines()[0], { message: "m", g: "{ ok: 1, boom: [Getter] }", s: "text" });
  t.deepEqual(lines()[1]?.["c"], { a: 1, self: "[Circular]" });
});

test.serial("winston: custom level names (syslog levels)", async (t) => {
  const out: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _e, done) => void (out.push(chunk.toString()), done()) });
  const logger = winston.createLogger({ levels: winston.config.syslog.levels, level: "debug", format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  LoggerFactory.setBinding(createWinstonBinding(logger, { levels: ["debug", "debug", "info", "warning", "error"] }));
  LoggerFactory.getLogger("com.example.Sys").warn("careful");
  t.true(await waitFor(() => out.length === 1, 5000));
  t.like(JSON.parse(out[0] ?? "{}"), { level: "warning", message: "careful" });
});

test.serial("winston: a mapping to levels the logger does not have is refused at once, naming them (winston would drop those records silently)", (t) => {
  const logger = winston.createLogger({ levels: winston.config.syslog.levels, transports: [new winston.transports.Stream({ stream: new Writable({ write: (_c, _e, done) => done() }) })] });
  const error = t.throws(() => createWinstonBinding(logger), { instanceOf: TypeError });
  t.regex(error?.message ?? "", /^createWinstonBinding: the winston logger has no level "silly", "warn" \(its levels: emerg, alert, crit, error, warning, notice, info, debug\); pass options\.levels/);
});

// ---- OpenTelemetry ------------------------------------------------------------------------------

test.serial("OpenTelemetry: the SDK receives severity, body, timestamp and attributes (MDC, key-values, name, markers, exception)", (t) => {
  const { provider, exporter } = otelInto();
  const binding = createOpenTelemetryBinding({ loggerProvider: provider, name: "my-app", version: "1.2.3" });
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("com.example.Login");
  MDC.run({ requestId: "r-1" }, () => log.error("failed for {}", "eve", new TypeError("bad password")));
  send(binding, record({
    level: Level.DEBUG,
    keyValues: [
      { key: "user", value: { name: "ann", since: new Date(Date.UTC(2020, 0, 1)) } },
      { key: "when", value: new Date(Date.UTC(2021, 1, 2)) },
      { key: "error", value: new Error("as a value") },
      { key: "c", value: circular },
      { key: "g", value: throwing },
      { key: "big", value: 10n },
      { key: "logger.name", value: "mine" },
    ],
    markers: [AUDIT],
  }));
  const [error, kv] = exporter.getFinishedLogRecords();
  t.is(exporter.getFinishedLogRecords().length, 2);
  t.is(error?.instrumentationScope.name, "my-app");
  t.is(error?.instrumentationScope.version, "1.2.3");
  t.is(error?.severityNumber, 17);
  t.is(error?.severityText, "ERROR");
  t.is(error?.body, "failed for eve");
  t.like(error?.attributes, { requestId: "r-1", "logger.name": "com.example.Login", "exception.type": "TypeError", "exception.message": "bad password" });
  t.regex(String(error?.attributes["exception.stacktrace"]), /TypeError: bad password\n\s+at /);
  t.is(kv?.severityNumber, 5);
  t.is(kv?.severityText, "DEBUG");
  t.deepEqual(kv?.hrTime, [Math.floor(Date.UTC(2026, 0, 2, 3, 4, 5, 6) / 1000), 6_000_000]);
  t.deepEqual(kv?.attributes, {
    user: { name: "ann", since: "2020-01-01T00:00:00.000Z" },
    when: "2021-02-02T00:00:00.000Z",
    error: "Error: as a value",
    c: { a: 1, self: "[Circular]" },
    g: { ok: 1, boom: "[unreadable: Error: getter]" },
    big: "10",
    "logger.name_": "mine",
    "logger.name": "com.example.Kv",
    markers: ["AUDIT"],
  });
});

test.serial("OpenTelemetry: isEnabled is the SDK logger's enabled() (minimum severity, shutdown)", async (t) => {
  const { provider, exporter } = otelInto(9);
  LoggerFactory.setBinding(createOpenTelemetryBinding({ loggerProvider: provider }));
  const log = LoggerFactory.getLogger("com.example.O");
  t.false(log.isDebugEnabled());
  t.true(log.isInfoEnabled());
  log.debug("hidden");
  log.info("shown");
  t.deepEqual(exporter.getFinishedLogRecords().map((r) => r.body), ["shown"]);
  await provider.shutdown();
  t.false(log.isErrorEnabled());
});

test.serial("OpenTelemetry: without a provider, the global one, even when registered after the binding was made", (t) => {
  const binding = createOpenTelemetryBinding();
  const { provider, exporter } = otelInto();
  logs.setGlobalLoggerProvider(provider); // after the binding was made
  t.teardown(() => logs.disable());
  LoggerFactory.setBinding(binding);
  LoggerFactory.getLogger("com.example.G").info("through the global provider");
  t.deepEqual(exporter.getFinishedLogRecords().map((r) => [r.instrumentationScope.name, r.body]), [["slf4ts", "through the global provider"]]);
});

test.serial("nameKey: the logger's name under another field, which is then reserved", async (t) => {
  const { logger, lines } = pinoInto();
  send(createPinoBinding(logger, { nameKey: "category" }), record({ keyValues: [{ key: "category", value: "mine" }, { key: "logger", value: "free" }] }));
  t.like(lines()[0], { category: "com.example.Kv", category_: "mine", logger: "free" });
  const w = winstonInto();
  send(createWinstonBinding(w.logger, { nameKey: "category" }), record({ keyValues: [{ key: "category", value: "mine" }] }));
  t.true(await waitFor(() => w.lines().length === 1, 5000));
  t.like(w.lines()[0], { category: "com.example.Kv", category_: "mine" });
});
