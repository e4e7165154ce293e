/**
 * Fuzzing the properties file through the real service: random bytes, every prefix of a
 * realistic file (truncated writes), huge lines, and a file rewritten half-way while a reload
 * happens. Every outcome must be a clean apply or a `ConfigError` whose every problem has a line
 * or a key; after a rejection the mode and the output are exactly what they were before.
 */
import test, { type ExecutionContext } from "ava";
import fc from "fast-check";
import assert from "node:assert/strict";
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AUDIT_LOGGER_NAME, type AuditLogger } from "../src/audit/service.js";
import { compileRecordBuilder, type RecordBuilder } from "../src/record/builder.js";
import { decodePropertiesFile, parseProperties } from "../src/java/properties.js";
import { resolveConfig, type AuditConfig } from "../src/config/schema.js";
import { ConfigError, createAuditLogService, Level, LoggerFactory, type LoggerBinding } from "../src/index.js";
import { P, tempDir } from "./lib/helpers.js";

// Standard-mode records (and status reports) land here; each test file has its own process.
const recorded: string[] = [];
const recording: LoggerBinding = {
  name: "recording",
  getLogger: (name) => ({ isEnabled: () => true, log: (r) => void recorded.push(`${name}|${r.message}`) }),
};
LoggerFactory.setBinding(recording);

/** A realistic file: comments, non-ASCII text, a BOM, quotes, a continuation line and \u escapes. */
const REALISTIC = [
  "\ufeff# Audit-Protokoll für die Prüfung (§ 4)",
  "! Open-Xchange keys",
  `${P}enabled = true`,
  `${P}level: warn`,
  `${P}delimiter="|"`,
  `${P}includeAttributeNames=true`,
  `${P}date.pattern=yyyy-MM-dd'T'HH:mm:ss z`,
  `${P}date.locale=de\\u005FDE`,
  `${P}date.timezone=GMT+02:00`,
  `${P}file.location=logs/audit.log`,
  `${P}file.size=10MB`,
  `${P}file.count=5`,
  `${P}file.pattern=%-5level %sanitisedMessage%n`,
  `${P}mask.names=password, \\`,
  "    token",
  `${P}mask.keep=1`,
  `${P}record.maxLength=4096`,
  `${P}buffer.size=1000`,
  "",
].join("\n");

/** Another valid file, for the half-written rewrite. */
const OTHER = [
  "# rewritten",
  `${P}enabled=true`,
  `${P}level=error`,
  `${P}delimiter=";"`,
  `${P}includeAttributeNames=false`,
  `${P}file.location=logs/other.log`,
  `${P}file.pattern=%level;%sanitisedMessage%n`,
  `${P}mask.names=pass`,
  "",
].join("\n");

/** What the output of a configuration looks like. */
type Expectation =
  | { readonly mode: "disabled" }
  | { readonly mode: "standard"; readonly build: RecordBuilder }
  | { readonly mode: "dedicated"; readonly build: RecordBuilder; readonly file: string; readonly line: (message: string) => string };

function expectationOf(config: AuditConfig): Expectation {
  if (!config.enabled) return { mode: "disabled" };
  const build = compileRecordBuilder(config, config.formatDate, config.datePattern.includes("S") ? 1 : 1000);
  const file = config.file;
  if (file === undefined) return { mode: "standard", build };
  return {
    mode: "dedicated",
    build,
    file: file.location,
    line: (message) => file.layout({ timestamp: Date.now(), level: config.level, loggerName: AUDIT_LOGGER_NAME, message, mdc: new Map() }),
  };
}

/** What resolveConfig makes of the bytes, read the way the service reads them. */
function predict(bytes: Uint8Array, baseDir: string): AuditConfig | undefined {
  const decoded = decodePropertiesFile(bytes);
  if ("problem" in decoded) return undefined;
  const parsed = parseProperties(decoded.text);
  if (parsed.problems.length > 0) return undefined;
  const result = resolveConfig(
    parsed.entries.map((e) => ({ key: e.key, value: e.value, line: e.line })),
    baseDir,
  );
  return result.ok ? result.config : undefined;
}

/** The last `length` bytes of a file (as latin1 text), or "" when it does not exist. */
function tail(path: string, length: number): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "";
  }
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, length);
    const buffer = Buffer.alloc(n);
    readSync(fd, buffer, 0, n, size - n);
    return buffer.toString("latin1");
  } finally {
    closeSync(fd);
  }
}

let probes = 0;

/** Logs one record and checks that it came out exactly as `expected` says. */
function probe(svc: AuditLogger, expected: Expectation, context: string): void {
  const attributes = { n: ++probes, password: "pw-secret", note: "a|b;c" };
  const auditRecords = (): string[] => recorded.filter((r) => r.startsWith(`${AUDIT_LOGGER_NAME}|`));
  const recordedBefore = auditRecords().length;
  const loggedBefore = svc.stats().logged;
  switch (expected.mode) {
    case "disabled":
      svc.log("probe", attributes);
      assert.equal(svc.stats().logged, loggedBefore, `${context}: disabled logs nothing`);
      assert.equal(auditRecords().length, recordedBefore, `${context}: disabled logs nothing`);
      return;
    case "standard": {
      svc.log("probe", attributes);
      const records = auditRecords();
      assert.equal(records.length, recordedBefore + 1, `${context}: one standard-mode record`);
      assert.equal(records[records.length - 1], `${AUDIT_LOGGER_NAME}|${expected.build("probe", attributes)}`, context);
      return;
    }
    case "dedicated": {
      svc.log("probe", attributes);
      const line = Buffer.from(expected.line(expected.build("probe", attributes)), "utf8").toString("latin1");
      const text = tail(expected.file, line.length + 200);
      assert.ok(text.endsWith(line), `${context}: the record ${JSON.stringify(line.slice(0, 200))} ends ${expected.file}, which ends ${JSON.stringify(text.slice(-200))}`);
      assert.equal(auditRecords().length, recordedBefore, `${context}: nothing went to standard mode`);
    }
  }
}

interface Harness {
  readonly svc: AuditLogger;
  readonly propertiesFile: string;
  readonly dir: string;
  /** What the configuration in force writes. */
  current: Expectation;
  applied: number;
  rejected: number;
}

async function harness(t: ExecutionContext, start: string): Promise<Harness> {
  const dir = tempDir(t, "slf4ts-fuzz-");
  const propertiesFile = join(dir, "slf4j-auditlog.properties");
  writeFileSync(propertiesFile, start);
  const svc = createAuditLogService();
  t.teardown(() => svc.shutdown());
  await svc.configure({ propertiesFile, watch: false });
  const config = predict(Buffer.from(start), dir);
  assert.ok(config !== undefined);
  const h: Harness = { svc, propertiesFile, dir, current: expectationOf(config), applied: 0, rejected: 0 };
  probe(svc, h.current, "start");
  return h;
}

/**
 * Writes `bytes` as the properties file, reloads, and checks the outcome: a clean apply of what
 * resolveConfig predicts, or a ConfigError after which nothing has changed.
 */
async function attempt(h: Harness, bytes: Uint8Array, context: string): Promise<"applied" | "rejected"> {
  writeFileSync(h.propertiesFile, bytes);
  return reloadAndCheck(h, bytes, context);
}

async function reloadAndCheck(h: Harness, bytes: Uint8Array, context: string): Promise<"applied" | "rejected"> {
  const before = h.svc.stats();
  let thrown: unknown;
  let threw = false;
  try {
    await h.svc.reload();
  } catch (error) {
    thrown = error;
    threw = true;
  }
  const after = h.svc.stats();
  const predicted = predict(bytes, dirname(h.propertiesFile));
  if (threw) {
    assert.ok(thrown instanceof ConfigError, `${context}: only a ConfigError may be thrown, got ${String(thrown)}`);
    assert.ok(thrown.problems.length > 0, `${context}: a ConfigError lists its problems`);
    for (const problem of thrown.problems) {
      assert.ok(problem.line !== undefined || problem.key !== undefined, `${context}: a problem without line or key: ${JSON.stringify(problem).slice(0, 300)}`);
    }
    if (predicted !== undefined) {
      // Valid settings can still be refused when the new file cannot be opened, or its location
      // cannot be the audit file (a folder, a name too long for the file system).
      assert.ok(
        thrown.problems.every((p) => p.key === `${P}file.location` && (p.expected.startsWith("cannot open") || p.expected.startsWith("cannot be the audit file"))),
        `${context}: a valid configuration was rejected: ${thrown.message.slice(0, 300)}`,
      );
    }
    assert.equal(after.mode, before.mode, `${context}: the mode stays`);
    assert.equal(after.file, before.file, `${context}: the file stays`);
    assert.equal(after.rejectedConfigurations, before.rejectedConfigurations + 1);
    assert.equal(after.reloads, before.reloads);
    probe(h.svc, h.current, `${context} (rejected)`);
    h.rejected++;
    return "rejected";
  }
  assert.ok(predicted !== undefined, `${context}: applied although resolveConfig rejects it`);
  const expected = expectationOf(predicted);
  assert.equal(after.mode, expected.mode, `${context}: the mode of the new configuration`);
  if (expected.mode === "dedicated") assert.equal(after.file, expected.file, context);
  assert.equal(after.reloads, before.reloads + 1);
  h.current = expected;
  probe(h.svc, h.current, `${context} (applied)`);
  h.applied++;
  return "applied";
}

const GOOD = Buffer.from(REALISTIC, "utf8");

/** Puts the realistic file back in force (when something else was applied). */
async function restore(h: Harness, outcome: "applied" | "rejected"): Promise<void> {
  if (outcome === "applied") {
    assert.equal(await attempt(h, GOOD, "restore"), "applied");
  }
}

test("every prefix of a realistic file (a truncated write) is a clean apply or a ConfigError that changes nothing", async (t) => {
  const h = await harness(t, REALISTIC);
  t.is(h.svc.stats().mode, "dedicated");
  for (let length = 0; length <= GOOD.length; length++) {
    const outcome = await attempt(h, GOOD.subarray(0, length), `prefix of ${length} bytes`);
    await restore(h, outcome);
  }
  t.log(`${GOOD.length + 1} prefixes: ${h.applied} applied (restores included), ${h.rejected} rejected`);
  t.true(h.rejected > 100);
  // The last prefix is the whole file.
  t.is(h.svc.stats().mode, "dedicated");
});

// Any code point, lone surrogates included (fc.string's "binary" unit would cost a second of set-up).
const anyText = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)), maxLength });
const line = fc.oneof(
  anyText(60),
  fc.constantFrom(...REALISTIC.split("\n")),
  fc.tuple(fc.constantFrom("enabled", "level", "delimiter", "file.location", "file.size", "file.pattern", "mask.keep", "record.maxLength", "date.pattern", "nope"), fc.constantFrom("=", ":", " ", "\t", "= \\\n  "), anyText(20)).map(([k, sep, v]) => `${P}${k}${sep}${v}`),
  fc.constantFrom("\\", "\\u", "\\u12", "\\uZZZZ", "#\\", "a\\\n", "=", ":", "\r", "\u0000", "\ufeff"),
);
const fileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.array(line, { maxLength: 12 }).chain((lines) => fc.constantFrom("\n", "\r\n", "\r").map((eol) => Buffer.from(lines.join(eol), "utf8") as Uint8Array)),
  fc.tuple(fc.uint8Array({ maxLength: 400 }), fc.nat()).map(([noise, at]) => {
    const cut = at % (GOOD.length + 1);
    return Buffer.concat([GOOD.subarray(0, cut), noise, GOOD.subarray(cut)]) as Uint8Array;
  }),
);

test("random bytes, random lines and noise inside a valid file: a clean apply or a ConfigError that changes nothing", async (t) => {
  const h = await harness(t, REALISTIC);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fileBytes, async (bytes) => {
      const outcome = await attempt(h, bytes, `random file #${run++} (${Buffer.from(bytes).toString("base64").slice(0, 120)})`);
      await restore(h, outcome);
    }),
    { numRuns: 200 },
  );
  t.log(`${h.applied} applied (restores included), ${h.rejected} rejected`);
  t.true(h.rejected > 0);
});

test("from standard mode too: a rejected file leaves the output in the host's logging as it was", async (t) => {
  const standard = REALISTIC.replace(`${P}file.location=logs/audit.log`, `${P}file.location=`);
  const h = await harness(t, standard);
  t.is(h.svc.stats().mode, "standard");
  const good = Buffer.from(standard, "utf8");
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fileBytes, async (bytes) => {
      const outcome = await attempt(h, bytes, `random file #${run++}`);
      if (outcome === "applied") assert.equal(await attempt(h, good, "restore"), "applied");
    }),
    { numRuns: 60 },
  );
  for (let length = 0; length <= good.length; length += 17) {
    const outcome = await attempt(h, good.subarray(0, length), `prefix of ${length} bytes`);
    if (outcome === "applied") assert.equal(await attempt(h, good, "restore"), "applied");
  }
  t.is(h.svc.stats().mode, "standard");
  t.true(h.rejected > 0);
});

test("huge lines (1 MB) are applied or rejected with a line and key, never a crash", async (t) => {
  const h = await harness(t, REALISTIC);
  const mb = 1024 * 1024;
  const withLine = (extra: string): Uint8Array => Buffer.from(`${REALISTIC}${extra}\n`, "utf8");
  const cases: Array<[string, Uint8Array, "applied" | "rejected" | undefined]> = [
    ["a 1 MB comment", Buffer.from(`# ${"c".repeat(mb)}\n${REALISTIC}`, "utf8"), "applied"],
    ["a 1 MB level", withLine(`${P}level=${"x".repeat(mb)}`), "rejected"],
    ["an unknown key with a 1 MB value", withLine(`${P}unknown.key=${"v".repeat(mb)}`), "rejected"],
    ["a 1 MB key outside the prefix", withLine(`${"k".repeat(mb)}=1`), "applied"],
    ["a 1 MB file.location", withLine(`${P}file.location=${"a".repeat(mb)}`), "rejected"],
    ["a 1 MB file.size", withLine(`${P}file.size=${"9".repeat(mb)}`), "rejected"],
    ["a 1 MB mask.names", withLine(`${P}mask.names=${"w,".repeat(mb / 2)}`), "applied"],
    ["a 1 MB delimiter", withLine(`${P}delimiter=${"#".repeat(mb)}`), "applied"],
    ["a 1 MB literal in file.pattern", withLine(`${P}file.pattern=%level ${"p".repeat(mb)} %msg%n`), "applied"],
    ["a 1 MB date.pattern", withLine(`${P}date.pattern=${"'x'".repeat(mb / 3)}`), undefined],
    ["a 1 MB value of \\u escapes", withLine(`${P}mask.names=${"\\u0041".repeat(mb / 6)}`), "applied"],
    ["1 MB of continuation lines", withLine(`${P}mask.names=a\\\n`.concat("  b\\\n".repeat(mb / 5), "  c")), "applied"],
    ["a 1 MB line of malformed \\u", withLine(`${P}mask.names=${"\\u12".repeat(mb / 4)}`), "rejected"],
    ["a 1 MB line of NUL bytes", withLine("\u0000".repeat(mb)), undefined],
  ];
  for (const [what, bytes, expected] of cases) {
    const started = Date.now();
    const outcome = await attempt(h, bytes, what);
    t.log(`${what}: ${outcome} in ${Date.now() - started} ms`);
    if (expected !== undefined) t.is(outcome, expected, what);
    await restore(h, outcome);
  }
});

test("a file rewritten half-way while a reload happens: each half is a clean apply or a ConfigError, the whole is applied", async (t) => {
  const h = await harness(t, REALISTIC);
  const other = Buffer.from(OTHER, "utf8");
  const splits = new Set<number>([0, 1, other.indexOf("\n") + 1, other.indexOf("level") + 2, other.indexOf("=;") + 1, other.indexOf("logs/other") + 4, other.length - 1]);
  for (let i = 0; i < 40; i++) splits.add(Math.floor(Math.random() * other.length));
  for (const split of splits) {
    // The editor has written the first part of the new text over the old file …
    writeFileSync(h.propertiesFile, other.subarray(0, split));
    await reloadAndCheck(h, other.subarray(0, split), `half-written at ${split}`);
    // … and then the rest.
    appendFileSync(h.propertiesFile, other.subarray(split));
    t.is(await reloadAndCheck(h, other, `completed after ${split}`), "applied");
    t.is(h.svc.stats().file, join(h.dir, "logs/other.log"));
    await restore(h, "applied");
  }
  // A rewrite in place that leaves the tail of the longer old file behind (no truncation).
  const torn = Buffer.concat([other, GOOD.subarray(other.length)]);
  writeFileSync(h.propertiesFile, torn);
  await reloadAndCheck(h, torn, "rewritten in place without truncation");
  t.pass();
});

test("the level of the probe configuration is what the file says (sanity of the harness)", async (t) => {
  const h = await harness(t, REALISTIC);
  const config = predict(GOOD, h.dir);
  t.is(config?.level, Level.WARN);
  t.deepEqual(config?.maskNames, ["password", "token"]);
  t.is(config?.maskKeep, 1);
  const text = readFileSync(join(h.dir, "logs/audit.log"), "utf8");
  t.regex(text, /^WARN {2}probe\|n=[0-9]+\|password=p\*\*\*\*\|note=a\\\|b;c\n$/);
});
