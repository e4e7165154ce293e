/**
 * SLF4J 2's fluent API (Logger.atX() and LoggingEventBuilder), key–values and markers through the
 * console and log4js bindings, and the memory binding for users' tests.
 */
import test from "ava";
import log4js from "log4js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  Level,
  LoggerFactory,
  MarkerFactory,
  MDC,
  createConsoleBinding,
  createMemoryBinding,
  nopBinding,
  type LoggerBinding,
  type LogRecord,
} from "../src/index.js";
import { NO_MARKERS, NO_PAIRS } from "../src/facade/binding.js";
import { FAILED_SUPPLIER, NOP_EVENT_BUILDER } from "../src/facade/event-builder.js";
import { readLines, tempDir, waitFor } from "./lib/helpers.js";

/** A binding that keeps the records as the facade hands them over (no copy), with a threshold. */
function rawBinding(threshold: Level): { binding: LoggerBinding; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return {
    records,
    binding: {
      name: "raw",
      getLogger: () => ({ isEnabled: (level) => level >= threshold, log: (record) => records.push(record) }),
      onLevelsChanged: () => undefined,
    },
  };
}

/** An object that counts how often it is rendered. */
function counted(): { value: { toString(): string }; count: () => number } {
  let n = 0;
  return {
    value: {
      toString(): string {
        n++;
        return "costly";
      },
    },
    count: () => n,
  };
}

test.serial("every builder method reaches the binding: key-values and markers in the record, in order", (t) => {
  const { binding, records } = rawBinding(Level.TRACE);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("fluent.methods");
  const AUDIT = MarkerFactory.getMarker("AUDIT");
  const SECURITY = MarkerFactory.getMarker("SECURITY");
  log
    .atWarn()
    .addMarker(AUDIT)
    .addKeyValue("user", "ann")
    .addArgument("first")
    .addKeyValue("attempts", 3)
    .addMarker(SECURITY)
    .setMessage("{} and {}")
    .log();
  t.is(records.length, 1);
  const r = records[0] as LogRecord;
  t.like(r, { level: Level.WARN, loggerName: "fluent.methods", message: "first and {}", error: undefined });
  t.deepEqual(r.keyValues, [
    { key: "user", value: "ann" },
    { key: "attempts", value: 3 },
  ]);
  t.deepEqual(r.markers, [AUDIT, SECURITY]);
  // The plain methods keep passing the shared empties.
  log.info("plain");
  t.is(records[1]?.keyValues, NO_PAIRS);
  t.is(records[1]?.markers, NO_MARKERS);
  // A fluent call without key-values or markers passes them too.
  log.atInfo().log("fluent");
  t.is(records[2]?.keyValues, NO_PAIRS);
  t.is(records[2]?.markers, NO_MARKERS);
});

test.serial("a key that is not a string becomes one; a missing marker is ignored", (t) => {
  const { binding, records } = rawBinding(Level.TRACE);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("fluent.loose");
  const AUDIT = MarkerFactory.getMarker("AUDIT");
  t.notThrows(() =>
    log
      .atInfo()
      .addKeyValue(7 as unknown as string, "seven")
      .addMarker(null as unknown as typeof AUDIT)
      .addMarker(undefined as unknown as typeof AUDIT)
      .addMarker(AUDIT)
      .log("loose"),
  );
  t.deepEqual(records[0]?.keyValues, [{ key: "7", value: "seven" }]);
  t.deepEqual(records[0]?.markers, [AUDIT]);
});

test.serial("atTrace…atError and atLevel log at their level", (t) => {
  const { binding, records } = rawBinding(Level.TRACE);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("fluent.levels");
  log.atTrace().log("t");
  log.atDebug().log("d");
  log.atInfo().log("i");
  log.atWarn().log("w");
  log.atError().log("e");
  log.atLevel(Level.INFO).log("l");
  t.deepEqual(
    records.map((r) => [r.level, r.message]),
    [
      [Level.TRACE, "t"],
      [Level.DEBUG, "d"],
      [Level.INFO, "i"],
      [Level.WARN, "w"],
      [Level.ERROR, "e"],
      [Level.INFO, "l"],
    ],
  );
  // A value that is not a level gives the no-op builder, and nothing is logged.
  t.is(log.atLevel(7 as Level), NOP_EVENT_BUILDER);
  t.is(log.atLevel(-1 as Level), NOP_EVENT_BUILDER);
  t.is(log.atLevel("2" as unknown as Level), NOP_EVENT_BUILDER, "a level as text is not a level");
  t.is(log.atLevel(1.5 as Level), NOP_EVENT_BUILDER);
  t.notThrows(() => log.atLevel(Number.NaN as Level).log("never"));
  t.is(records.length, 6);
});

// SLF4J 2.0's DefaultLoggingEventBuilder: log(message, args) appends args after addArgument's;
// setCause's throwable is passed after every argument, so it is the throwable and a trailing
// Error before it is only an argument; without setCause a trailing Error argument is the throwable.
test.serial("arguments and cause follow SLF4J 2's DefaultLoggingEventBuilder", (t) => {
  const { binding, records } = rawBinding(Level.TRACE);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("fluent.rules");
  const cause = new Error("cause");
  const other = new Error("other");
  const last = (): LogRecord => records[records.length - 1] as LogRecord;

  log.atInfo().addArgument(1).addArgument(2).log("{} {} {}", 3);
  t.like(last(), { message: "1 2 3", error: undefined });

  log.atInfo().log("failed {}", "x", other);
  t.like(last(), { message: "failed x", error: other }, "a trailing Error argument is the throwable");

  log.atInfo().addArgument(other).log("failed");
  t.like(last(), { message: "failed", error: other }, "also when it came from addArgument");

  log.atInfo().setCause(cause).log("failed {}", other);
  t.like(last(), { message: "failed Error: other", error: cause }, "setCause wins; the Error argument fills the {}");

  log.atInfo().setCause(cause).log("failed", other);
  t.like(last(), { message: "failed", error: cause }, "a surplus Error argument is ignored when setCause set one");

  log.atInfo().setCause(other).setCause(cause).log("twice");
  t.is(last().error, cause, "the last setCause wins");

  log.atInfo().setCause(cause).setCause(null).log("removed {}", "x");
  t.like(last(), { message: "removed x", error: undefined });

  log.atInfo().setMessage("set {}").addArgument("a").log();
  t.is(last().message, "set a");

  log.atInfo().setMessage("set").log("given {}", "b");
  t.is(last().message, "given b", "log(message) replaces setMessage's");

  log.atInfo().addKeyValue("only", true).log();
  t.is(last().message, "", "log() without a message logs an empty one");

  log.atInfo().log(() => "from a supplier {}", "c");
  t.is(last().message, "from a supplier c");

  log.atInfo().log("a function argument is a value: {}", function named() {});
  t.is(last().message, "a function argument is a value: [Function named]");

  const builder = log.atInfo().addArgument("x");
  builder.log("{} {}", "y");
  builder.log("{} {}", "z");
  t.deepEqual(records.slice(-2).map((r) => r.message), ["x y", "x z"], "log() does not keep the arguments of an earlier log()");
});

test.serial("suppliers are called once, when added, and a throwing one does not reach the caller", (t) => {
  const { binding, records } = rawBinding(Level.TRACE);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("fluent.suppliers");
  const calls: string[] = [];
  const builder = log
    .atInfo()
    .addKeyValue("k", () => (calls.push("k"), 42))
    .addArgument(() => (calls.push("arg"), "A"))
    .setMessage(() => (calls.push("msg"), "m {}"));
  t.deepEqual(calls, ["k", "arg", "msg"], "called when added, as SLF4J's builder calls Supplier.get()");
  builder.log();
  t.deepEqual(calls, ["k", "arg", "msg"], "and not again");
  t.like(records[0], { message: "m A" });
  t.deepEqual(records[0]?.keyValues, [{ key: "k", value: 42 }]);

  t.notThrows(() =>
    log
      .atInfo()
      .addKeyValue("bad", () => {
        throw new Error("supplier down");
      })
      .log(() => {
        throw new Error("message supplier down");
      }),
  );
  t.like(records[1], { message: FAILED_SUPPLIER });
  t.deepEqual(records[1]?.keyValues, [{ key: "bad", value: FAILED_SUPPLIER }]);
});

test.serial("a disabled level gives the one frozen no-op builder: no supplier called, nothing formatted", (t) => {
  const { binding, records } = rawBinding(Level.INFO);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("fluent.disabled");
  const other = LoggerFactory.getLogger("fluent.disabled.other");
  const builder = log.atDebug();
  t.is(builder, NOP_EVENT_BUILDER);
  t.is(log.atTrace(), builder);
  t.is(other.atLevel(Level.DEBUG), builder, "the same object for every logger and level");
  t.true(Object.isFrozen(builder));
  const { value, count } = counted();
  let supplied = 0;
  const supplier = (): string => {
    supplied++;
    return "x";
  };
  const chained = builder
    .addKeyValue("k", supplier)
    .addKeyValue("v", value)
    .addArgument(supplier)
    .addArgument(value)
    .setMessage(supplier)
    .setCause(new Error("unused"))
    .addMarker(MarkerFactory.getMarker("AUDIT"));
  t.is(chained, builder, "every method returns the same object");
  chained.log("value {}", value);
  chained.log(supplier);
  chained.log();
  t.is(supplied, 0);
  t.is(count(), 0);
  t.is(records.length, 0);
  // At an enabled level the same calls do format.
  log.atInfo().log("value {}", value);
  t.is(count(), 1);
});

test.serial("with a binding that does not announce level changes, a builder's level is decided at atX() time", (t) => {
  let threshold: Level = Level.DEBUG;
  let asked = 0;
  const records: LogRecord[] = [];
  LoggerFactory.setBinding({
    name: "moving",
    getLogger: () => ({
      isEnabled: (level) => {
        asked++;
        return level >= threshold;
      },
      log: (record) => records.push(record),
    }),
  });
  const log = LoggerFactory.getLogger("fluent.moving");
  const taken = log.atDebug();
  t.is(asked, 1, "asked once, at atDebug()");
  t.not(taken, NOP_EVENT_BUILDER);
  threshold = Level.ERROR;
  taken.addKeyValue("k", 1).log("decided before the change");
  t.is(asked, 1, "not asked again by the builder");
  t.deepEqual(records.map((r) => r.message), ["decided before the change"]);
  t.is(log.atDebug(), NOP_EVENT_BUILDER, "a new builder sees the new level");
  const disabled = log.atInfo();
  threshold = Level.TRACE;
  disabled.log("never");
  t.is(records.length, 1);
  t.not(log.atInfo(), NOP_EVENT_BUILDER);
});

test.serial("a backend whose isEnabled throws gives the no-op builder, never an exception", (t) => {
  LoggerFactory.setBinding({
    name: "confused",
    getLogger: () => ({
      isEnabled: () => {
        throw new Error("cannot tell");
      },
      log: () => undefined,
    }),
  });
  const log = LoggerFactory.getLogger("fluent.confused");
  t.is(log.atError(), NOP_EVENT_BUILDER);
});

test.serial("a message that cannot be turned into text does not throw into the caller", (t) => {
  const { binding, records } = rawBinding(Level.TRACE);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("fluent.textless");
  const textless = Object.create(null) as string; // String(textless) throws a TypeError
  t.notThrows(() => log.atInfo().setMessage(textless).log());
  t.notThrows(() => log.info(textless));
  t.is(records.length, 0);
  log.atInfo().setMessage(42 as unknown as string).log();
  t.is(records[0]?.message, "42");
});

test.serial("a binding that throws never reaches the caller of log()", (t) => {
  LoggerFactory.setBinding({
    name: "broken",
    getLogger: () => ({
      isEnabled: () => true,
      log: () => {
        throw new Error("backend down");
      },
    }),
    onLevelsChanged: () => undefined,
  });
  t.notThrows(() => LoggerFactory.getLogger("fluent.broken").atInfo().addKeyValue("k", 1).log("x"));
});

test.serial("the console binding writes markers before the message and key=value pairs after it", (t) => {
  let out = "";
  LoggerFactory.setBinding(createConsoleBinding({ level: Level.DEBUG, stream: { write: (s: string) => (out += s) } }));
  const log = LoggerFactory.getLogger("fluent.console");
  const AUDIT = MarkerFactory.getMarker("AUDIT");
  const SECURITY = MarkerFactory.getMarker("SECURITY");
  MDC.run({ requestId: "r-1" }, () => {
    log.atInfo().addMarker(AUDIT).addKeyValue("user", "ann").addKeyValue("ip", "::1").log("user {} logged in", "ann");
    log.atDebug().addKeyValue("ids", [1, [2, null]]).addKeyValue("at", new Date(0)).addKeyValue("none", undefined).log("values");
  });
  log.atWarn().addMarker(AUDIT).addMarker(SECURITY).log("two markers");
  log.atError().addKeyValue("user", "bob").setCause(new Error("bad")).log("failed");
  log.atTrace().addKeyValue("hidden", 1).log("hidden");
  const lines = out.split("\n");
  const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
  t.true(lines.slice(0, 4).every((l) => stamp.test(l)), out);
  t.deepEqual(
    lines.slice(0, 4).map((l) => l.replace(stamp, "")),
    [
      "INFO fluent.console - [AUDIT] user ann logged in user=ann ip=::1 {requestId=r-1}",
      "DEBUG fluent.console - values ids=[1, [2, null]] at=1970-01-01T00:00:00.000Z none=undefined {requestId=r-1}",
      "WARN fluent.console - [AUDIT, SECURITY] two markers",
      "ERROR fluent.console - failed user=bob",
    ],
  );
  t.is(lines[4], "Error: bad");
  t.regex(lines[5] ?? "", /^ {4}at /);
  t.notRegex(out, /hidden/);
});

test.serial("log4js: key-values and markers are context entries, %X{key} in a pattern layout prints them", async (t) => {
  t.timeout(20_000);
  const dir = tempDir(t, "slf4ts-fluent-log4js-");
  const file = join(dir, "app.log");
  // (No padding or truncation on %X here: log4js 6.9 throws in its layout when such an entry is absent.)
  log4js.configure({
    appenders: {
      file: { type: "file", filename: file, layout: { type: "pattern", pattern: "%p %c user=%X{user} req=%X{requestId} marker=%X{marker} n=%X{count} - %m" } },
    },
    categories: { default: { appenders: ["file"], level: "debug" } },
  });
  t.teardown(() => new Promise<void>((done) => log4js.shutdown(() => done())));
  // The default binding is log4js; set it explicitly as an earlier test replaced it.
  const { createLog4jsBinding, loadLog4jsInternals } = await import("../src/facade/bindings/log4js.js");
  LoggerFactory.setBinding(createLog4jsBinding(log4js, loadLog4jsInternals()));
  const log = LoggerFactory.getLogger("fluent.log4js");
  const AUDIT = MarkerFactory.getMarker("AUDIT");
  const LOGIN = MarkerFactory.getMarker("LOGIN");
  MDC.run({ requestId: "r-9", user: "from-mdc" }, () => {
    log.atInfo().addMarker(AUDIT).addMarker(LOGIN).addKeyValue("user", "ann").addKeyValue("count", 12345).log("login of {}", "ann");
    log.info("plain call keeps the MDC");
  });
  log.atWarn().addKeyValue("user", "bob").log("no MDC");
  log.atTrace().addKeyValue("user", "hidden").log("hidden");
  // log4js prints an absent %X entry as "null".
  // The context is set only for the call: a later plain call does not see a key-value.
  log.info("after");
  await new Promise<void>((done) => log4js.shutdown(() => done()));
  t.true(await waitFor(() => readLines(file).length === 4), readFileSync(file, "utf8"));
  t.deepEqual(readLines(file), [
    "INFO fluent.log4js user=ann req=r-9 marker=AUDIT,LOGIN n=12345 - login of ann",
    "INFO fluent.log4js user=from-mdc req=r-9 marker=null n=null - plain call keeps the MDC",
    "WARN fluent.log4js user=bob req=null marker=null n=null - no MDC",
    "INFO fluent.log4js user=null req=null marker=null n=null - after",
  ]);
});

test.serial("the memory binding keeps plain snapshots: the MDC as it was, key-values as given, marker names", (t) => {
  const memory = createMemoryBinding();
  LoggerFactory.setBinding(memory.binding);
  const log = LoggerFactory.getLogger("fluent.memory");
  const error = new Error("boom");
  const when = new Date(0);
  const before = Date.now();
  MDC.run({ requestId: "r-1" }, () => {
    log.atInfo().addMarker(MarkerFactory.getMarker("AUDIT")).addKeyValue("user", "ann").addKeyValue("at", when).addKeyValue("user", "ann2").log("login of {}", "ann");
    MDC.put("requestId", "changed");
    MDC.put("later", "x");
    log.trace("failed", error);
  });
  t.is(memory.records.length, 2);
  const [first, second] = memory.records;
  t.deepEqual(first, {
    level: Level.INFO,
    loggerName: "fluent.memory",
    message: "login of ann",
    error: undefined,
    mdc: { requestId: "r-1" },
    keyValues: { user: "ann2", at: when },
    keyValuePairs: [
      { key: "user", value: "ann" },
      { key: "at", value: when },
      { key: "user", value: "ann2" },
    ],
    markers: ["AUDIT"],
    timestamp: first?.timestamp ?? 0,
  });
  t.true((first?.timestamp ?? 0) >= before && (first?.timestamp ?? 0) <= Date.now());
  t.is(first?.keyValues["at"], when, "values are kept as given, not rendered");
  t.like(second, { level: Level.TRACE, message: "failed", error, mdc: { requestId: "changed", later: "x" }, keyValues: {}, markers: [] });
  t.false(first?.mdc instanceof Map, "a plain object, not the live map");
  t.true(Object.isFrozen(first) && Object.isFrozen(first?.mdc) && Object.isFrozen(first?.keyValues) && Object.isFrozen(first?.markers));
  const records = memory.records;
  memory.clear();
  t.is(memory.records, records, "clear() empties the same array");
  t.is(records.length, 0);
  log.info("again");
  t.is(records[0]?.message, "again");
});

test.serial("the memory binding's level threshold disables lower levels, so nothing below it is kept or formatted", (t) => {
  const memory = createMemoryBinding({ level: Level.WARN });
  LoggerFactory.setBinding(memory.binding);
  const log = LoggerFactory.getLogger("fluent.memory.threshold");
  const { value, count } = counted();
  log.info("dropped {}", value);
  t.is(log.atInfo(), NOP_EVENT_BUILDER);
  t.false(log.isInfoEnabled());
  log.warn("kept {}", value);
  log.atError().log("kept too");
  t.deepEqual(memory.records.map((r) => r.message), ["kept costly", "kept too"]);
  t.is(count(), 1);
  LoggerFactory.setBinding(nopBinding);
});
