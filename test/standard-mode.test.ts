import test from "ava";
import { join } from "node:path";
import log4js from "log4js";
import { createAuditLogService, LoggerFactory, MDC } from "../src/index.js";
import { P, readLines, tempDir, waitFor } from "./lib/helpers.js";

// One host log4js configuration for the whole file (log4js is process-global).
test.serial("standard mode and facade output land in the host's own log4js file appender", async (t) => {
  const dir = tempDir(t);
  const hostLog = join(dir, "host.log");
  log4js.configure({
    appenders: { file: { type: "fileSync", filename: hostLog, layout: { type: "pattern", pattern: "%p|%c|%X{requestId}|%m" } } },
    categories: {
      default: { appenders: ["file"], level: "info" },
      "com.openexchange.log.audit.AuditLogService": { appenders: ["file"], level: "warn" },
    },
  });
  t.teardown(() => new Promise<void>((done) => log4js.shutdown(() => done())));

  const audit = createAuditLogService();
  await audit.configure({ properties: { [`${P}enabled`]: "true", [`${P}level`]: "warn", [`${P}delimiter`]: '"|"' }, watch: false });
  t.is(audit.stats().mode, "standard");

  const app = LoggerFactory.getLogger("com.example.Login");
  MDC.run({ requestId: "r-42" }, () => {
    app.info("user {} logged in from {}", "thorben", "::1");
    app.debug("not shown {}", "at debug");
    app.error("login failed for {}", "eve", new Error("bad password"));
    audit.log("ox.login", { login: "thorben", ip: "::1", timestamp: new Date(Date.UTC(2016, 5, 10, 10, 31, 10)) });
    audit.log("a.b", { "v": "{} stays {}" });
  });

  t.true(await waitFor(() => readLines(hostLog).length >= 6));
  const all = readLines(hostLog);
  // The library's own status (the applied configuration) goes to the host's logging too.
  t.is(all[0], "INFO|slf4ts|null|[CONFIG_APPLIED] audit configuration applied from code: standard mode");
  const lines = all.slice(1);
  t.is(lines[0], "INFO|com.example.Login|r-42|user thorben logged in from ::1");
  // log4js renders the Error argument with its stack after the message.
  t.is(lines[1], "ERROR|com.example.Login|r-42|login failed for eve Error: bad password");
  t.regex(lines[2] ?? "", /^ {4}at /, "the throwable's stack reaches log4js");
  const auditLines = lines.filter((l) => l.includes("AuditLogService"));
  t.deepEqual(auditLines, [
    "WARN|com.openexchange.log.audit.AuditLogService|r-42|ox.login|login=thorben|ip=::1|timestamp=2016-06-10T10:31:10Z",
    "WARN|com.openexchange.log.audit.AuditLogService|r-42|a.b|v={} stays {}",
  ]);
  t.is(audit.stats().written, 2);
});

test.serial("standard mode respects the host's level: a disabled audit level writes nothing and counts it", async (t) => {
  const dir = tempDir(t);
  const hostLog = join(dir, "host2.log");
  log4js.configure({
    appenders: { file: { type: "fileSync", filename: hostLog, layout: { type: "messagePassThrough" } } },
    categories: { default: { appenders: ["file"], level: "error" } },
  });
  t.teardown(() => new Promise<void>((done) => log4js.shutdown(() => done())));
  const audit = createAuditLogService();
  await audit.configure({ properties: { [`${P}enabled`]: "true", [`${P}level`]: "info" }, watch: false });
  audit.log("ox.login", { login: "x" });
  await audit.configure({ properties: { [`${P}enabled`]: "true", [`${P}level`]: "error" }, watch: false });
  audit.log("ox.login", { login: "y" });
  t.true(await waitFor(() => readLines(hostLog).length >= 1));
  t.deepEqual(readLines(hostLog), ["ox.login, login=y"]);
  t.is(audit.stats().levelDisabled, 1);
});

test.serial("a '%' in a message with a throwable is not read as a format directive by log4js", async (t) => {
  const dir = tempDir(t);
  const hostLog = join(dir, "host3.log");
  log4js.configure({
    appenders: { file: { type: "fileSync", filename: hostLog, layout: { type: "pattern", pattern: "%m" } } },
    categories: { default: { appenders: ["file"], level: "info" } },
  });
  t.teardown(() => new Promise<void>((done) => log4js.shutdown(() => done())));
  LoggerFactory.getLogger("x").error("upload of {} failed", "100%done %s%o.txt", new Error("disk"));
  t.true(await waitFor(() => readLines(hostLog).length >= 2));
  const lines = readLines(hostLog);
  t.is(lines[0], "upload of 100%done %s%o.txt failed Error: disk");
  t.regex(lines[1] ?? "", /^ {4}at /);
});


test.serial("levels are decided once and follow log4js.configure() and logger.level changes", async (t) => {
  const dir = tempDir(t);
  const hostLog = join(dir, "host4.log");
  const configure = (level: string): unknown =>
    log4js.configure({
      appenders: { file: { type: "fileSync", filename: hostLog, layout: { type: "pattern", pattern: "%p %m" } } },
      categories: { default: { appenders: ["file"], level } },
    });
  configure("info");
  t.teardown(() => new Promise<void>((done) => log4js.shutdown(() => done())));
  const log = LoggerFactory.getLogger("cache.test");
  t.false(log.isDebugEnabled());
  const disabledDebug = log.debug;
  t.is(disabledDebug, log.trace, "a disabled level is one shared empty function");
  log.debug("hidden {}", 1);
  configure("debug");
  t.true(log.isDebugEnabled());
  t.not(log.debug, disabledDebug);
  log.debug("shown {}", 2);
  log4js.getLogger("cache.test").level = "error";
  t.false(log.isInfoEnabled());
  t.true(log.isErrorEnabled());
  log.info("hidden {}", 3);
  log.error("shown {}", 4);
  t.true(await waitFor(() => readLines(hostLog).length >= 2));
  t.deepEqual(readLines(hostLog), ["DEBUG shown 2", "ERROR shown 4"]);
});
