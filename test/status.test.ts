import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { Level, StatusChannel, type StatusEvent } from "../src/index.js";
import { resetStatusRateLimits, setStatusClock } from "../src/status/status.js";

test("status events are rate-limited per code and the next delivered one counts the suppressed", (t) => {
  resetStatusRateLimits();
  const events: StatusEvent[] = [];
  const stop = StatusChannel.subscribe((e) => events.push(e));
  t.teardown(stop);
  const originalWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write; // keep the test output clean
  try {
    for (let i = 0; i < 25; i++) StatusChannel.report("WRITE_FAILED", Level.ERROR, `failure ${i}`);
    StatusChannel.report("ROTATE_FAILED", Level.ERROR, "other code");
  } finally {
    process.stderr.write = originalWrite;
  }
  const writes = events.filter((e) => e.code === "WRITE_FAILED");
  t.is(writes.length, 10);
  t.deepEqual(writes.map((e) => e.message), Array.from({ length: 10 }, (_, i) => `failure ${i}`));
  t.is(events.filter((e) => e.code === "ROTATE_FAILED").length, 1);
  t.true(writes.every((e) => e.suppressed === 0));
});

test("after the minute, the next event carries how many were suppressed", (t) => {
  resetStatusRateLimits();
  let now = 1_000_000;
  setStatusClock(() => now);
  const events: StatusEvent[] = [];
  const stop = StatusChannel.subscribe((e) => events.push(e));
  const originalWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  t.teardown(() => {
    stop();
    setStatusClock();
    process.stderr.write = originalWrite;
  });
  for (let i = 0; i < 15; i++) StatusChannel.report("WRITE_FAILED", Level.ERROR, `a${i}`);
  now += 59_999;
  StatusChannel.report("WRITE_FAILED", Level.ERROR, "still suppressed");
  now += 1;
  StatusChannel.report("WRITE_FAILED", Level.ERROR, "next window");
  StatusChannel.report("WRITE_FAILED", Level.ERROR, "after that");
  t.is(events.length, 12);
  t.like(events[10], { message: "next window", suppressed: 6 });
  t.like(events[11], { message: "after that", suppressed: 0 });
});

test("a listener that throws does not stop the others", (t) => {
  resetStatusRateLimits();
  const seen: string[] = [];
  const a = StatusChannel.subscribe(() => {
    throw new Error("listener bug");
  });
  const b = StatusChannel.subscribe((e) => seen.push(e.code));
  t.teardown(() => {
    a();
    b();
  });
  t.notThrows(() => StatusChannel.report("CONFIG_APPLIED", Level.INFO, "x"));
  t.deepEqual(seen, ["CONFIG_APPLIED"]);
});

// The status channel and log4js, in fresh processes (log4js and the binding are process-global).
// The scripts import slf4ts from dist/src, as the package does.
const indexUrl = new URL("../src/index.js", import.meta.url).href;
const PREFIX = "com.openexchange.log.audit.slf4j.";

function runScript(t: ExecutionContext, body: string, env: Readonly<Record<string, string>> = {}): { stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-status-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, "main.mjs");
  writeFileSync(
    script,
    `import { createRequire } from "node:module";
import { join } from "node:path";
const slf4ts = await import(${JSON.stringify(indexUrl)});
const dir = ${JSON.stringify(dir)};
const P = ${JSON.stringify(PREFIX)};
const log4jsLoaded = () => Object.keys(createRequire(${JSON.stringify(indexUrl)}).cache).some((k) => k.includes("/node_modules/log4js/"));
${body}
`,
  );
  const r = spawnSync(process.execPath, [script], { cwd: dir, encoding: "utf8", timeout: 30_000, env: { ...process.env, ...env } });
  t.is(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

test("a program that only writes a dedicated audit file never loads log4js; its warnings still reach stderr", (t) => {
  const { stdout, stderr } = runScript(
    t,
    `const svc = slf4ts.createAuditLogService();
await svc.configure({ properties: { [P + "enabled"]: "true", [P + "file.location"]: join(dir, "audit.log"), "com.example.other": "x" }, watch: false });
svc.log("ox.login", { login: "a" });
await svc.shutdown();
console.log(JSON.stringify({ log4js: log4jsLoaded() }));`,
  );
  t.deepEqual(JSON.parse(stdout.trim()), { log4js: false });
  // The unknown key is a warning: shown on stderr as before, without log4js.
  t.regex(stderr, /SLF4TS WARN \[CONFIG_WARNING\].*com\.example\.other/);
});

test("status events reach log4js once the application has loaded and configured it, also after slf4ts was configured without it", (t) => {
  const { stdout, stderr } = runScript(
    t,
    `const svc = slf4ts.createAuditLogService();
await svc.configure({ properties: { [P + "enabled"]: "true", [P + "file.location"]: join(dir, "audit.log") }, watch: false });
const before = log4jsLoaded();
const log4js = createRequire(${JSON.stringify(indexUrl)})("log4js"); // the copy the application and slf4ts share
const lines = [];
log4js.configure({ appenders: { mem: { type: { configure: () => (e) => lines.push(e.categoryName + " " + e.level.levelStr + " " + e.data.join(" ")) } } }, categories: { default: { appenders: ["mem"], level: "info" } } });
await svc.configure({ properties: { [P + "enabled"]: "true", [P + "file.location"]: join(dir, "audit2.log") }, watch: false });
await svc.shutdown();
console.log(JSON.stringify({ before, after: log4jsLoaded(), lines }));`,
  );
  const out = JSON.parse(stdout.trim()) as { before: boolean; after: boolean; lines: string[] };
  t.false(out.before);
  t.true(out.after);
  t.true(out.lines.some((l) => l.startsWith("slf4ts INFO [CONFIG_APPLIED] ")), `${out.lines.join("\n")}\n${stderr}`);
});

test("with LOG4JS_CONFIG set, log4js configures itself from it as it loads, so the status channel loads it", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-log4js-config-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, "log4js.json");
  const out = join(dir, "log4js.log");
  writeFileSync(config, JSON.stringify({ appenders: { f: { type: "fileSync", filename: out } }, categories: { default: { appenders: ["f"], level: "info" } } }));
  const { stdout } = runScript(
    t,
    `const svc = slf4ts.createAuditLogService();
await svc.configure({ properties: { [P + "enabled"]: "true", [P + "file.location"]: join(dir, "audit.log") }, watch: false });
await svc.shutdown();
console.log(JSON.stringify({ log4js: log4jsLoaded() }));`,
    { LOG4JS_CONFIG: config },
  );
  t.deepEqual(JSON.parse(stdout.trim()), { log4js: true });
  t.regex(readFileSync(out, "utf8"), /INFO\] slf4ts - \[CONFIG_APPLIED\]/);
});
