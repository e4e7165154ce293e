import test from "ava";
import { Level, LoggerFactory, createConsoleBinding, nopBinding, type LoggerBinding, type LogRecord, MDC } from "../src/index.js";

function recordingBinding(threshold: Level): { binding: LoggerBinding; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return {
    records,
    binding: {
      name: "recording",
      getLogger: () => ({
        isEnabled: (level) => level >= threshold,
        log: (record) => records.push({ ...record, mdc: new Map(record.mdc) }),
      }),
    },
  };
}

test.serial("a custom binding receives level, name, formatted message, throwable and MDC", (t) => {
  const { binding, records } = recordingBinding(Level.INFO);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("com.example.A");
  const error = new Error("boom");
  MDC.run({ requestId: "r-1" }, () => {
    log.info("user {} from {}", "ann", "::1");
    log.error("failed for {}", "ann", error);
  });
  t.is(records.length, 2);
  t.like(records[0], { level: Level.INFO, loggerName: "com.example.A", message: "user ann from ::1", error: undefined });
  t.deepEqual([...(records[0]?.mdc ?? [])], [["requestId", "r-1"]]);
  t.like(records[1], { level: Level.ERROR, message: "failed for ann", error });
});

test.serial("nothing is formatted at a disabled level", (t) => {
  const { binding, records } = recordingBinding(Level.WARN);
  LoggerFactory.setBinding(binding);
  const log = LoggerFactory.getLogger("com.example.B");
  let rendered = 0;
  const costly = {
    toString(): string {
      rendered++;
      return "costly";
    },
  };
  log.debug("value {}", costly);
  log.info("value {}", costly);
  t.false(log.isInfoEnabled());
  t.true(log.isWarnEnabled());
  t.is(rendered, 0);
  log.warn("value {}", costly);
  t.is(rendered, 1);
  t.is(records[0]?.message, "value costly");
});

test.serial("loggers handed out before setBinding follow the new binding", (t) => {
  const first = recordingBinding(Level.TRACE);
  LoggerFactory.setBinding(first.binding);
  const log = LoggerFactory.getLogger("com.example.C");
  t.is(LoggerFactory.getLogger("com.example.C"), log);
  log.trace("one");
  const second = recordingBinding(Level.TRACE);
  LoggerFactory.setBinding(second.binding);
  log.trace("two");
  t.deepEqual(first.records.map((r) => r.message), ["one"]);
  t.deepEqual(second.records.map((r) => r.message), ["two"]);
  t.is(LoggerFactory.getBinding(), second.binding);
});

test.serial("the nop binding disables every level", (t) => {
  LoggerFactory.setBinding(nopBinding);
  const log = LoggerFactory.getLogger("com.example.D");
  t.false(log.isErrorEnabled());
  t.notThrows(() => log.error("dropped {}", 1));
});

test.serial("the console binding writes one line per record, with MDC and the stack", (t) => {
  let out = "";
  LoggerFactory.setBinding(createConsoleBinding({ level: Level.DEBUG, stream: { write: (s: string) => (out += s) } }));
  const log = LoggerFactory.getLogger("com.example.E");
  log.trace("hidden");
  MDC.run({ user: "ann" }, () => log.debug("shown {}", 1));
  log.warn("oops", new Error("bad"));
  const lines = out.split("\n");
  t.regex(lines[0] ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z DEBUG com\.example\.E - shown 1 \{user=ann\}$/);
  t.regex(lines[1] ?? "", /^\S+ WARN com\.example\.E - oops$/);
  t.is(lines[2], "Error: bad");
  t.regex(lines[3] ?? "", /^ {4}at /);
});

test.serial("a binding that throws never reaches the caller", (t) => {
  LoggerFactory.setBinding({
    name: "broken",
    getLogger: () => ({
      isEnabled: () => true,
      log: () => {
        throw new Error("backend down");
      },
    }),
  });
  t.notThrows(() => LoggerFactory.getLogger("com.example.F").info("x"));
});
