/**
 * A new user's first programs, one per scenario (argv[2]), for test/first-hour.test.ts: what
 * they print on stdout and stderr is what the test checks. argv[3] is a scratch folder (or a
 * location), argv[4] a location.
 *
 *   log4js-unconfigured: logs through the default binding without configuring log4js.
 *   log4js-unconfigured-fluent: the same through the fluent API.
 *   log4js-configured-after: takes a logger at start, configures log4js right after, logs.
 *   log4js-off-on-purpose: configures log4js with level OFF itself, then logs.
 *   spool-under-proc: a target whose spool folder is under /proc (a recursive mkdir never returns).
 *   disabled-inline: configure() with no properties, twice, then enabled=false; log() each time.
 *   disabled-file: configure() from argv[3]/audit.properties (enabled=false on its line 2), then reload().
 *   disabled-env: the default service from SLF4TS_AUDIT_PROPERTIES (enabled not set).
 *   refuse: configure() from argv[3]/audit.properties with file.location=argv[4]; prints the error.
 *   reload-refused: configure() to argv[3]/good.log, log, reload to argv[4], log; prints the errors.
 */
import log4js from "log4js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLogService, createAuditLogService, LoggerFactory } from "../../src/index.js";

const P = "com.openexchange.log.audit.slf4j.";
const [scenario, dir = "", location = ""] = process.argv.slice(2);
const out = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};
const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

switch (scenario) {
  case "log4js-unconfigured": {
    const log = LoggerFactory.getLogger("com.example.App");
    log.info("hello {}", "world");
    log.info("hello again");
    LoggerFactory.getLogger("com.example.Other").error("an error");
    log.log(2, "through log()");
    out({ infoIsEmpty: log.info.toString() === LoggerFactory.getLogger("never.used").info.toString() });
    break;
  }
  case "log4js-unconfigured-fluent": {
    const log = LoggerFactory.getLogger("com.example.App");
    const builder = log.atInfo();
    builder.addKeyValue("user", "ann").log("hello");
    log.atError().log("again");
    out({ noop: builder === LoggerFactory.getLogger("never.used").atWarn() });
    break;
  }
  case "log4js-configured-after": {
    const log = LoggerFactory.getLogger("com.example.App");
    log4js.configure({
      appenders: { out: { type: "stdout", layout: { type: "pattern", pattern: "%p %c %m" } } },
      categories: { default: { appenders: ["out"], level: "info" } },
    });
    log.info("hello {}", "world");
    log.debug("not shown: below the level the host chose");
    break;
  }
  case "log4js-off-on-purpose": {
    log4js.configure({ appenders: { out: { type: "stdout" } }, categories: { default: { appenders: ["out"], level: "off" } } });
    LoggerFactory.getLogger("com.example.App").error("discarded, as the host chose");
    break;
  }
  case "spool-under-proc": {
    const audit = createAuditLogService();
    const started = Date.now();
    await audit.configure({
      watch: false,
      properties: {
        [`${P}enabled`]: "true",
        [`${P}file.location`]: join(dir, "audit.log"),
        [`${P}target.siem.type`]: "syslog",
        [`${P}target.siem.protocol`]: "tcp",
        [`${P}target.siem.host`]: "127.0.0.1",
        [`${P}target.siem.port`]: "9",
        [`${P}target.siem.spool`]: "/proc/nope/spool",
      },
    });
    out({ ms: Date.now() - started });
    await audit.shutdown();
    break;
  }
  case "disabled-inline": {
    const audit = createAuditLogService();
    await audit.configure({ properties: {}, watch: false });
    audit.log("ox.login", { login: "ann" });
    await audit.configure({ properties: {}, watch: false });
    await audit.configure({ properties: { [`${P}enabled`]: "false" }, watch: false });
    await audit.reload();
    audit.log("ox.login", { login: "ann" });
    out(audit.stats().mode);
    await audit.shutdown();
    break;
  }
  case "disabled-file": {
    const file = join(dir, "audit.properties");
    writeFileSync(file, `# the shipped default\n${P}enabled=false\n`);
    const audit = createAuditLogService();
    await audit.configure({ propertiesFile: file, watch: false });
    await audit.reload();
    // On again, then off again: said again, since it was on in between.
    writeFileSync(file, `${P}enabled=true\n`);
    await audit.reload();
    writeFileSync(file, `${P}enabled=false\n`);
    await audit.reload();
    await audit.shutdown();
    break;
  }
  case "disabled-env": {
    AuditLogService.log("ox.login", { login: "ann" });
    AuditLogService.log("ox.login", { login: "bob" });
    out(AuditLogService.stats().mode);
    await AuditLogService.shutdown();
    break;
  }
  case "refuse": {
    const file = join(dir, "audit.properties");
    writeFileSync(file, `${P}enabled=true\n${P}file.location=${location}\n`);
    const audit = createAuditLogService();
    const started = Date.now();
    let error: string | undefined;
    try {
      await audit.configure({ propertiesFile: file, watch: false });
    } catch (e) {
      error = errorText(e);
    }
    audit.log("ox.login", { login: "ann" });
    out({ error, mode: audit.stats().mode, ms: Date.now() - started });
    await audit.shutdown();
    break;
  }
  case "reload-refused": {
    const file = join(dir, "audit.properties");
    writeFileSync(file, `${P}enabled=true\n${P}file.location=good.log\n`);
    const audit = createAuditLogService();
    await audit.configure({ propertiesFile: file, watch: false });
    audit.log("before", { n: 1 });
    writeFileSync(file, `${P}enabled=true\n${P}file.location=${location}\n`);
    let error: string | undefined;
    const started = Date.now();
    try {
      await audit.reload();
    } catch (e) {
      error = errorText(e);
    }
    const ms = Date.now() - started;
    audit.log("after", { n: 2 });
    out({ error, file: audit.stats().file, ms });
    await audit.shutdown();
    break;
  }
  default:
    throw new Error(`unknown scenario ${String(scenario)}`);
}
