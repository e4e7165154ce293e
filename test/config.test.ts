import test from "ava";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, createAuditLogService, CONFIG_KEYS, KEY_PREFIX, StatusChannel, type StatusEvent } from "../src/index.js";
import { parseProperties } from "../src/java/properties.js";
import { resolveConfig } from "../src/config/schema.js";
import { P, tempDir } from "./lib/helpers.js";

async function configureWith(t: import("ava").ExecutionContext, text: string): Promise<{ error: ConfigError; file: string }> {
  const dir = tempDir(t);
  const file = join(dir, "slf4j-auditlog.properties");
  writeFileSync(file, text);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  const error = await t.throwsAsync(audit.configure({ propertiesFile: file, watch: false }), { instanceOf: ConfigError });
  t.is(audit.stats().mode, "disabled");
  return { error: error as ConfigError, file };
}

test("every problem names the key, the value, the line and what was expected", async (t) => {
  const { error, file } = await configureWith(
    t,
    [
      "# a comment",
      `${P}enabled=yes`,
      `${P}level=verbose`,
      `${P}file.size=2MBB`,
      `${P}date.pattern=yyyy-MM-dd bb`,
      `${P}date.timezone=Mars/Base`,
      `${P}date.locale=xx-!!`,
      `${P}file.sise=10MB`,
      `${P}file.count=0`,
      `${P}file.pattern=%d %foo%n`,
      `${P}delimiter=""`,
      `${P}includeAttributeNames=maybe`,
    ].join("\n"),
  );
  t.is(
    error.message,
    [
      `Invalid audit configuration in ${file} (11 problems):`,
      `  line 2: ${P}enabled = "yes": expected true or false`,
      `  line 3: ${P}level = "verbose": expected one of trace, debug, info, warn, error`,
      `  line 4: ${P}file.size = "2MBB": expected a size in bytes greater than 0, optionally with KB, MB or GB (e.g. 2097152, 512KB, 10MB)`,
      `  line 5: ${P}date.pattern = "yyyy-MM-dd bb": expected a Java SimpleDateFormat pattern: Illegal pattern character 'b' at position 11`,
      `  line 6: ${P}date.timezone = "Mars/Base": expected an IANA time-zone id (Europe/Berlin), UTC, GMT or GMT±hh:mm`,
      `  line 7: ${P}date.locale = "xx-!!": expected a locale such as en_US or de-DE`,
      `  line 8: ${P}file.sise = "10MB": unknown key (did you mean ${P}file.size?); expected one of ${CONFIG_KEYS.map((k) => k.name).join(", ")} or target.<name>.<option> after the prefix`,
      `  line 9: ${P}file.count = "0": expected a whole number of archives from 1 to 10000`,
      `  line 10: ${P}file.pattern = "%d %foo%n": expected a logback pattern: unknown conversion word "%foo" at position 3`,
      `  line 11: ${P}delimiter = "\\"\\"": expected a non-empty delimiter without \\, = or control characters (quotes keep spaces: ", ")`,
      `  line 12: ${P}includeAttributeNames = "maybe": expected true or false`,
    ].join("\n"),
  );
  t.deepEqual(
    error.problems.map((p) => [p.line, p.key?.slice(P.length), p.value]),
    [
      [2, "enabled", "yes"],
      [3, "level", "verbose"],
      [4, "file.size", "2MBB"],
      [5, "date.pattern", "yyyy-MM-dd bb"],
      [6, "date.timezone", "Mars/Base"],
      [7, "date.locale", "xx-!!"],
      [8, "file.sise", "10MB"],
      [9, "file.count", "0"],
      [10, "file.pattern", "%d %foo%n"],
      [11, "delimiter", '""'],
      [12, "includeAttributeNames", "maybe"],
    ],
  );
});

test("syntax errors of the file itself carry their line", async (t) => {
  const { error, file } = await configureWith(t, `${P}enabled=true\n${P}level=\\u12zz\n`);
  t.is(error.message, `Invalid audit configuration in ${file} (1 problem):\n  line 2: malformed \\uXXXX escape in value: expected four hex digits after \\u, found "12zz"`);
});

test("a file that is not UTF-8 is rejected with the line of the first bad byte", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "latin1.properties");
  writeFileSync(file, Buffer.concat([Buffer.from(`${P}enabled=true\n# caf`), Buffer.from([0xe9]), Buffer.from("\n")]));
  const audit = createAuditLogService();
  const error = (await t.throwsAsync(audit.configure({ propertiesFile: file, watch: false }), { instanceOf: ConfigError })) as ConfigError;
  t.is(error.problems[0]?.line, 2);
  t.regex(error.message, /not valid UTF-8 \(byte 0xe9 at line 2\)/);
});

test("a missing file is a ConfigError, and the status channel reports it", async (t) => {
  const dir = tempDir(t);
  const events: StatusEvent[] = [];
  const stop = StatusChannel.subscribe((e) => events.push(e));
  t.teardown(stop);
  const audit = createAuditLogService();
  const missing = join(dir, "nope.properties");
  const error = (await t.throwsAsync(audit.configure({ propertiesFile: missing, watch: false }), { instanceOf: ConfigError })) as ConfigError;
  t.is(error.message, `Invalid audit configuration in ${missing} (1 problem):\n  cannot read the file (ENOENT)`);
  t.true(events.some((e) => e.code === "CONFIG_UNREADABLE"));
});

test("Java .properties syntax: ':' and space separators, continuations, \\uXXXX, quotes keep spaces", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "p.properties");
  writeFileSync(
    file,
    [
      `! bang comment`,
      `${P}enabled : true`,
      `${P}delimiter   "\\u0020;\\u0020"`,
      `${P}file.location = out/\\`,
      `    audit.log`,
      `${P}file.pattern = '%sanitisedMessage%n'`,
    ].join("\r\n"),
  );
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: file, watch: false });
  audit.log("ev", { a: 1, b: 2 });
  t.is(readFileSync(join(dir, "out", "audit.log"), "utf8"), "ev ; a=1 ; b=2\n");
});

test("empty values mean the default; unknown keys outside the prefix are only warned about", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "p.properties");
  writeFileSync(file, `${P}enabled=true\n${P}level=\n${P}file.location=a.log\nsome.other.key=1\n${P}enabled=true\n`);
  const events: StatusEvent[] = [];
  const stop = StatusChannel.subscribe((e) => events.push(e));
  t.teardown(stop);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: file, watch: false });
  audit.log("ev", { x: "y" });
  t.is(readFileSync(join(dir, "a.log"), "utf8"), "ev, x=y\n");
  // Other tests of this file run at the same time: only this file's warnings count.
  const warnings = events.filter((e) => e.code === "CONFIG_WARNING" && e.message.startsWith(`${file}:`)).map((e) => e.message);
  t.deepEqual(warnings, [
    `${file}: line 4: some.other.key: ignored: not a key of the audit logger (they start with ${P})`,
    `${file}: line 5: ${P}enabled = "true": repeats the key of line 1; this later value wins`,
  ]);
});

test("a typo in the prefix is an error naming the key, its line and the intended key; other prefixes stay allowed", async (t) => {
  const { error, file } = await configureWith(
    t,
    [
      `${P}enabled=true`,
      `${P}file.location=audit.log`,
      "com.openexchange.mail.foo=bar",
      "com.openexchange.log.audit.slf4J.integrity.mode=hmac",
    ].join("\n"),
  );
  t.is(
    error.message,
    [
      `Invalid audit configuration in ${file} (1 problem):`,
      `  line 4: com.openexchange.log.audit.slf4J.integrity.mode = "hmac": the prefix is misspelt (did you mean ${P}integrity.mode?); keys of the audit logger start with ${P} exactly, in this case`,
    ].join("\n"),
  );
  t.deepEqual(
    error.problems.map((p) => [p.line, p.key, p.value]),
    [[4, "com.openexchange.log.audit.slf4J.integrity.mode", "hmac"]],
  );
});

test("prefix typos: case, a missing, extra, wrong or swapped character, a missing dot", async (t) => {
  const typos: Array<[string, string]> = [
    ["com.openexchange.log.audit.slfj4.enabled", `${P}enabled`],
    ["Com.openexchange.log.audit.slf4j.enabled", `${P}enabled`],
    ["COM.OPENEXCHANGE.LOG.AUDIT.SLF4J.LEVEL", `${P}level`],
    ["com.openexchange.log.audit.slf4.file.location", `${P}file.location`],
    ["com.openexchange.log.audit.slf4jj.level", `${P}level`],
    ["com.openexchange.log.audti.slf4j.delimiter", `${P}delimiter`],
    ["com.open-xchange.log.audit.slf4j.mask.names", `${P}mask.names`],
    ["com.openexchange.log.audit.slf4jenabled", `${P}enabled`],
    ["com.openexchange.log.audit..slf4j.file.count", `${P}file.count`],
    ["com.openexchange.log.audit.slf4J.file.sise", `${P}file.size`],
    ["com.openexchange.log.audit.slf4J.target.remote.type", `${P}target.remote.type`],
  ];
  for (const [key, intended] of typos) {
    const { error } = await configureWith(t, `# typo\n${P}enabled=true\n${key}=1\n`);
    t.is(error.problems.length, 1, key);
    t.is(error.problems[0]?.key, key);
    t.is(error.problems[0]?.line, 3, key);
    t.true(error.problems[0]?.expected.startsWith(`the prefix is misspelt (did you mean ${intended}?)`), `${key}: ${error.problems[0]?.expected}`);
  }
});

test("keys that are clearly someone else's are accepted next to ours (with a warning)", (t) => {
  const others = [
    "com.openexchange.mail.foo",
    "com.openexchange.log.audit.enabled",
    "com.openexchange.audit.logging.AuditFileHandler.enabled",
    "com.openexchange.log.level",
    "org.slf4j.simpleLogger.defaultLogLevel",
    "slf4j.enabled",
    "enabled",
  ];
  // resolveConfig directly: the service would report seven warnings, past the status channel's rate limit.
  const result = resolveConfig(
    [`${P}enabled=true`, `${P}file.location=a.log`, ...others.map((k) => `${k}=1`)].map((text, i) => {
      const [key, value] = text.split("=") as [string, string];
      return { key, value, line: i + 1 };
    }),
    tempDir(t),
  );
  t.true(result.ok);
  t.deepEqual(
    result.warnings.map((w) => [w.line, w.key, w.expected]),
    others.map((k, i) => [i + 3, k, `ignored: not a key of the audit logger (they start with ${P})`]),
  );
});

test("a prefix typo on reload is rejected and the last good configuration stays", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "p.properties");
  writeFileSync(file, `${P}enabled=true\n${P}file.location=a.log\n`);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: file, watch: false });
  writeFileSync(file, `${P}enabled=true\n${P}file.location=a.log\ncom.openexchange.log.audit.slf4J.integrity.mode=hmac\n`);
  const error = await t.throwsAsync(audit.reload(), { instanceOf: ConfigError });
  t.is(error?.problems[0]?.line, 3);
  t.true(error?.problems[0]?.expected.includes(`did you mean ${P}integrity.mode?`));
  audit.log("still", { x: 1 });
  t.is(audit.stats().mode, "dedicated");
  t.is(audit.stats().rejectedConfigurations, 1);
  t.is(readFileSync(join(dir, "a.log"), "utf8"), "still, x=1\n");
});

test("values accepted by each key", async (t) => {
  const dir = tempDir(t);
  const accepted: Array<[string, string]> = [
    ["level", "TRACE"],
    ["level", " Error "],
    ["file.size", "10MB"],
    ["file.size", "512KB"],
    ["file.size", "512 kb"],
    ["file.size", "1GB"],
    ["date.locale", "de_DE"],
    ["date.locale", "de-DE"],
    ["date.timezone", "UTC"],
    ["date.timezone", "GMT+2"],
    ["date.timezone", "GMT+02:00"],
    ["date.timezone", "GMT-0800"],
    ["date.timezone", "America/New_York"],
    ["enabled", "TRUE"],
    ["file.count", "10000"],
  ];
  for (const [key, value] of accepted) {
    const file = join(dir, "ok.properties");
    writeFileSync(file, `${P}${key}=${value}\n`);
    const audit = createAuditLogService();
    await t.notThrowsAsync(audit.configure({ propertiesFile: file, watch: false }), `${key}=${value}`);
    await audit.shutdown();
  }
});

test("etc/slf4j-auditlog.properties lists exactly the keys the code knows, with their defaults", (t) => {
  const text = readFileSync(new URL("../../etc/slf4j-auditlog.properties", import.meta.url), "utf8");
  const { entries, problems } = parseProperties(text);
  t.deepEqual(problems, []);
  t.deepEqual(
    entries.map((e) => e.key),
    CONFIG_KEYS.map((k) => KEY_PREFIX + k.name),
  );
  for (const spec of CONFIG_KEYS) {
    t.is(entries.find((e) => e.key === KEY_PREFIX + spec.name)?.value, spec.defaultValue, spec.name);
  }
});

test("the shipped file is valid and leaves the service disabled", async (t) => {
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: new URL("../../etc/slf4j-auditlog.properties", import.meta.url).pathname, watch: false });
  t.is(audit.stats().mode, "disabled");
});

test("configure() without options (from JavaScript) uses the defaults, disabled; properties given in code are named as such in an error", async (t) => {
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await (audit.configure as () => Promise<void>)();
  t.is(audit.stats().mode, "disabled");
  const error = await t.throwsAsync(audit.configure({ properties: { [`${P}level`]: "loud" }, watch: false }), { instanceOf: ConfigError });
  t.regex(error?.message ?? "", /^Invalid audit configuration from the properties given to configure\(\) \(1 problem\):\n  com\.openexchange\.log\.audit\.slf4j\.level = "loud": /);
});
