/**
 * Which reloads need a second look (riskyChange), and the settling of a watched file
 * (readSnapshot, sameSnapshot, FileSettler) on real files.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { riskyChange } from "../src/config/change.js";
import { resolveConfig, type AuditConfig } from "../src/config/schema.js";
import { FileSettler, readSnapshot, sameSnapshot, type FileSnapshot } from "../src/config/watcher.js";
import { createAuditLogService, type StatusEvent } from "../src/index.js";
import { captureStatus, P, tempDir, waitFor } from "./lib/helpers.js";

const rewriter = fileURLToPath(new URL("./programs/rewrite-file.js", import.meta.url));

function configOf(dir: string, settings: Record<string, string>): AuditConfig {
  const result = resolveConfig(
    Object.entries(settings).map(([key, value], i) => ({ key: P + key, value, line: i + 1 })),
    dir,
  );
  if (!result.ok) throw new Error(result.problems.map((p) => p.expected).join("; "));
  return result.config;
}

test("changes that would lose or expose something need confirmation; others do not", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "hmac.key"), `secret=${randomBytes(32).toString("hex")}\n`);
  const base = { enabled: "true", "file.location": "audit.log", "file.count": "10", "file.maxAge": "30", "mask.names": "password, token", "record.maxLength": "4096" };
  const target = { "target.siem.type": "tcp", "target.siem.host": "127.0.0.1", "target.siem.port": "6514" };
  const before = configOf(dir, { ...base, "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target });
  const risky: Array<[string, Record<string, string>, string]> = [
    ["standard mode", { ...base, "file.location": "", ...target }, "it switches from dedicated mode to standard mode"],
    ["disabled", { ...base, enabled: "false" }, "it switches from dedicated mode to disabled"],
    ["another file", { ...base, "file.location": "aud", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }, `it moves the audit file from ${join(dir, "audit.log")} to ${join(dir, "aud")}`],
    ["integrity off", { ...base, ...target }, "it turns integrity.mode off"],
    ["fewer archives", { ...base, "file.count": "1", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }, "it keeps fewer archives (file.count 10 to 1)"],
    ["shorter age", { ...base, "file.maxAge": "3", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }, "it deletes archives sooner (file.maxAge 30 to 3)"],
    ["a mask word dropped", { ...base, "mask.names": "password", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }, "it no longer masks token"],
    ["masking off", { ...base, "mask.names": "", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }, "it no longer masks password, token"],
    ["more shown", { ...base, "mask.keep": "4", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }, "it shows more of masked values (mask.keep 0 to 4)"],
    ["shorter records", { ...base, "record.maxLength": "409", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }, "it cuts records shorter (record.maxLength 4096 to 409)"],
    ["a target dropped", { ...base, "integrity.mode": "hmac", "integrity.key": "hmac.key" }, 'it removes target "siem"'],
    ["a target elsewhere", { ...base, "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target, "target.siem.port": "651" }, 'it sends target "siem" to tcp tcp://127.0.0.1:651 instead of tcp tcp://127.0.0.1:6514'],
  ];
  for (const [what, settings, reason] of risky) t.is(riskyChange(before, configOf(dir, settings)), reason, what);
  const harmless: Array<[string, Record<string, string>]> = [
    ["the same", { ...base, "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }],
    ["another delimiter and pattern", { ...base, delimiter: '";"', "file.pattern": "%level %msg%n", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }],
    ["more archives, longer age, more masked, longer records", { ...base, "file.count": "20", "file.maxAge": "0", "mask.names": "password, token, pin", "record.maxLength": "8192", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }],
    ["the level in dedicated mode", { ...base, level: "warn", "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target }],
    ["a target added", { ...base, "integrity.mode": "hmac", "integrity.key": "hmac.key", ...target, "target.more.type": "tcp", "target.more.host": "127.0.0.1", "target.more.port": "7000" }],
  ];
  for (const [what, settings] of harmless) t.is(riskyChange(before, configOf(dir, settings)), undefined, what);
  // From nothing in force (a first file that was invalid), a mode is a switch too.
  t.is(riskyChange(undefined, before), "it switches from disabled to dedicated mode");
  t.is(riskyChange(configOf(dir, { enabled: "true" }), configOf(dir, { enabled: "true", level: "warn" })), "it changes the level of records in standard mode");
});

test("sameSnapshot sees a rewrite with the same bytes by rename, a change of content, and a missing file", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "p.properties");
  writeFileSync(file, "a=1\n");
  const first = readSnapshot(file);
  t.true(first.ok && first.bytes.toString() === "a=1\n");
  t.true(sameSnapshot(first, readSnapshot(file)));
  writeFileSync(file + ".tmp", "a=1\n");
  renameSync(file + ".tmp", file);
  t.false(sameSnapshot(first, readSnapshot(file)), "another file (inode) with the same bytes");
  const renamed = readSnapshot(file);
  writeFileSync(file, "a=2\n");
  t.false(sameSnapshot(renamed, readSnapshot(file)), "the same size, other bytes");
  const missing = readSnapshot(join(dir, "nope"));
  t.deepEqual(missing, { ok: false, code: "ENOENT" });
  t.true(sameSnapshot(missing, readSnapshot(join(dir, "nope"))));
});

/**
 * Another process rewrites `file` in place every `everyMs` for `forMs`, then writes `last` and
 * exits. (Another process, so that a stall of this test's event loop cannot look like a pause
 * of the writer.)
 */
function rewriteFor(file: string, everyMs: number, forMs: number, last: string): Promise<unknown> {
  const child = spawn(process.execPath, [rewriter, file, String(everyMs), String(forMs), last], { stdio: "inherit" });
  return new Promise((resolve) => child.on("exit", resolve));
}

test("FileSettler hands over the file only once it stayed the same for the settle period; one that keeps changing is reported, and handed over once it stops", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "p.properties");
  writeFileSync(file, "a=1\n");
  const settled: FileSnapshot[] = [];
  const reported: number[] = [];
  const settler = new FileSettler(file, { settleMs: 1000, stepMs: 20, maxWaitMs: 1500 }, (snapshot) => settled.push(snapshot), (ms) => reported.push(ms));
  t.teardown(() => settler.cancel());
  const text = (snapshot: FileSnapshot | undefined): string | undefined => (snapshot?.ok === true ? snapshot.bytes.toString() : undefined);

  const writing = (): boolean => readFileSync(file, "utf8").startsWith("n=");
  // Written every 50 ms for 1.2 s: the settler is told once, at the first write, and hands over the end.
  const writer = rewriteFor(file, 50, 1200, "final=1\n");
  t.true(await waitFor(writing, 10_000));
  settler.changed();
  await writer;
  t.true(await waitFor(() => settled.length > 0, 10_000));
  t.deepEqual(settled.map(text), ["final=1\n"]);
  t.false(settler.waiting);

  // Written every 50 ms for 3.5 s (longer than maxWaitMs): reported, nothing handed over while it changes, then the end.
  const longer = rewriteFor(file, 50, 3500, "final=2\n");
  t.true(await waitFor(writing, 10_000));
  settler.changed();
  await longer;
  t.true(reported.length >= 1, "reported while it kept changing");
  t.true((reported[0] ?? 0) >= 1500);
  t.true(await waitFor(() => settled.length > 1, 10_000));
  t.deepEqual(settled.map(text), ["final=1\n", "final=2\n"]);
});

test("a risky change waits for the second look (CONFIG_PENDING) and is dropped when the file changes back meanwhile", async (t) => {
  const status = captureStatus(t);
  const dir = tempDir(t);
  const file = join(dir, "p.properties");
  const write = (text: string): void => {
    writeFileSync(file + ".tmp", text);
    renameSync(file + ".tmp", file);
  };
  const dedicated = `${P}enabled=true\n${P}file.location=audit.log\n`;
  const standard = `${P}enabled=true\n`;
  write(dedicated);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: file, pollIntervalMs: 50 });
  const pending = (): StatusEvent[] => status.filter((e) => e.code === "CONFIG_PENDING" && e.message.startsWith(`${file}:`));
  const applied = (): StatusEvent[] => status.filter((e) => e.code === "CONFIG_APPLIED" && e.message.includes(file));
  t.is(applied().length, 1);

  // Standard mode, then back before the second look: never applied.
  write(standard);
  t.true(await waitFor(() => pending().length === 1, 10_000));
  t.is(
    pending()[0]?.message,
    `${file}: the new configuration waits 2000 ms and is applied only if the file is still the same then, because it switches from dedicated mode to standard mode (a file read half-written must not do that; write it by atomic rename)`,
  );
  write(`# the same as before, but another file\n${dedicated}`);
  await new Promise((r) => setTimeout(r, 4000));
  t.is(audit.stats().mode, "dedicated");
  t.is(applied().length, 1, applied().map((e) => e.message).join("\n"));

  // Standard mode for good: applied after the second look.
  write(standard);
  t.true(await waitFor(() => audit.stats().mode === "standard", 10_000));
  t.is(pending().length, 2);
  t.is(applied().length, 2);
});

test("the watch options are checked: a bad one is a TypeError and changes nothing", async (t) => {
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ properties: { [`${P}enabled`]: "true" } });
  for (const options of [{ reloadSettleMs: -1 }, { reloadConfirmMs: 1.5 }, { reloadConfirmMs: 600_001 }, { pollIntervalMs: 0 }]) {
    await t.throwsAsync(audit.configure({ properties: {}, ...options }), { instanceOf: TypeError, message: /must be a whole number of milliseconds from [01] to 600000/ });
    t.is(audit.stats().mode, "standard");
  }
});
