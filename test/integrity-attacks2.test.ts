/**
 * Further attacks on the tamper evidence by an insider who can edit the log files but has no key
 * (security review). Each runs the real logger (child processes) and the real
 * `slf4ts-audit verify` CLI in a child process, as the docs tell auditors to. Every test here
 * asserts what docs/integrity.md promises; each FAILS on the code it was written against,
 * demonstrating a defeat of that promise.
 */
import test, { type ExecutionContext } from "ava";
import { spawnSync } from "node:child_process";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkpointToken, splitChainField } from "../src/integrity/token.js";
import { createAuditLogService } from "../src/index.js";
import { listDir, readLines, writeLines } from "./lib/helpers.js";
import { INTEGRITY_SETTINGS, integritySetup, reasonOf, tokenOf, type IntegritySetup, type VerifyReport } from "./lib/integrity.js";

const child = fileURLToPath(new URL("./programs/integrity-child.js", import.meta.url));
const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

const BASE: Record<string, string> = { ...INTEGRITY_SETTINGS, "file.size": "1MB", "file.count": "50" };

const setup = (t: ExecutionContext, settings: Record<string, string> = {}): IntegritySetup => integritySetup(t, { base: BASE, settings, prefix: "slf4ts-attack2-" });

/** One run of the logger in a child process: `count` records, then a clean shutdown. */
function run(s: IntegritySetup, count: number): void {
  const result = spawnSync(process.execPath, [child, s.props, String(count), "return"], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`child exited ${result.status} (${result.signal}): ${result.stderr}`);
}

/** `slf4ts-audit verify --json --key … --properties … <logs>` as a child process (what an auditor runs). */
function verifyCli(s: IntegritySetup, timeoutMs = 60_000, extra: readonly string[] = []): { code: number | null; signal: NodeJS.Signals | null; report: VerifyReport | undefined; kinds: string[]; warnings: string[]; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [cli, "verify", "--json", "--key", s.key, "--properties", s.props, ...extra, s.logs], { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const ms = Date.now() - started;
  let report: VerifyReport | undefined;
  try {
    report = JSON.parse(result.stdout) as VerifyReport;
  } catch {
    report = undefined;
  }
  const kinds = [...new Set((report?.logs ?? []).flatMap((l) => l.findings.map((f) => f.kind)))].sort();
  const warnings = [...new Set((report?.logs ?? []).flatMap((l) => l.warnings.map((f) => f.kind)))].sort();
  return { code: result.status, signal: result.signal, report, kinds, warnings, ms };
}

const findingsOf = (report: VerifyReport | undefined): string => JSON.stringify(report?.logs.flatMap((l) => [...l.findings, ...l.warnings]) ?? report, null, 1);

// ---------------------------------------------------------------------------------------------

test("attack (UTF-8 decoding): a sealed record's bytes changed (its U+FFFD swapped for other, invalid UTF-8 bytes) must be `modified`", async (t) => {
  const s = setup(t);
  // A login name that reached the logger with a replacement character (an HTTP header with bad
  // UTF-8 decodes to U+FFFD in Node): the file holds EF BF BD.
  const program = join(s.dir, "log-fffd.mjs");
  writeFileSync(
    program,
    `import { AuditLogService } from ${JSON.stringify(new URL("../src/index.js", import.meta.url).href)};
await AuditLogService.configure({ propertiesFile: ${JSON.stringify(s.props)} });
AuditLogService.log("ox.login", { login: "ann", ip: "192.0.2.7" });
AuditLogService.log("ox.login", { login: "b\\uFFFDb", ip: "192.0.2.8" });
AuditLogService.log("ox.logout", { login: "ann" });
await AuditLogService.shutdown();
`,
  );
  const r0 = spawnSync(process.execPath, [program], { encoding: "utf8" });
  t.is(r0.status, 0, r0.stderr);
  t.is(verifyCli(s).code, 0, "untouched: intact");
  const before = readFileSync(s.active);
  const fffd = Buffer.from("\uFFFD", "utf8");
  const at = before.indexOf(fffd);
  t.true(at > 0);
  // The three bytes EF BF BD replaced with other bytes that are not UTF-8 (here 0xE9: "é" in
  // Latin-1/Windows-1252, so `login=bébb` to a Latin-1 reader, and `F0 9F 98`, a cut emoji).
  for (const forged of [Buffer.from([0xe9]), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from([0xc0, 0xaf])]) {
    const after = Buffer.concat([before.subarray(0, at), forged, before.subarray(at + fffd.length)]);
    writeFileSync(s.active, after);
    t.false(after.equals(before));
    const r = verifyCli(s);
    t.is(r.code, 1, `the record's bytes ${forged.toString("hex")} instead of efbfbd: verify says ${findingsOf(r.report)}`);
    t.true(r.kinds.includes("modified"), findingsOf(r.report));
  }
});

test("attack (verifier DoS): forged checkpoints claiming key epochs near MAX_EPOCH, alternating, make verify derive a million keys per line: it must still finish promptly (bad-signature)", async (t) => {
  const s = setup(t);
  run(s, 20);
  const lines = readLines(s.active);
  const last = tokenOf(lines.at(-1) as string)!;
  const cp = last.checkpoint!;
  // 30 lines of about 200 bytes (6 KB): each claims epoch 1000000 or 999999, so the verifier's
  // keyring starts over from the initial key and hashes ~10^6 times for every one of them.
  for (let k = 0; k < 30; k++) {
    const epoch = k % 2 === 0 ? 1_000_000 : 999_999;
    const body = `slf4ts.audit.checkpoint, reason=records, n=${k}`;
    lines.push(`${body}\tchain=${checkpointToken("DoSDoSDoSDoS", k, "A".repeat(43), { ...cp, epoch, reason: "records", signature: "B".repeat(43) })}`);
  }
  writeLines(s.active, lines);
  const r = verifyCli(s, 20_000);
  t.log(`verify: exit ${r.code}, signal ${r.signal}, ${r.ms} ms`);
  t.is(r.signal, null, `verify did not finish within 20 s on a 6 KB insertion (killed: ${r.signal})`);
  t.is(r.code, 1);
  t.true(r.kinds.includes("bad-signature"), findingsOf(r.report));
});

// Not fixed: a documented limit (docs/integrity.md §5, the several-processes exceptions). Finding
// it needs sessions that record each other's last checkpoint in signed bodies. This test asserts
// what the docs say, so that a change of behaviour is noticed either way.
test("limit (several processes, documented): a session's sealed records and closing checkpoint deleted back to its periodic checkpoint, in the middle of the log (other sessions wrote and started after it), are not found: verify says INTACT", async (t) => {
  const s = setup(t, { "file.multiprocess": "true" });
  // Two writers on one file, as two processes would be (each its own service, own session).
  const a = createAuditLogService();
  const b = createAuditLogService();
  await a.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 15; i++) a.log("ox.login", { w: "a", seq: i, login: "ann" });
  await b.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 5; i++) b.log("ox.login", { w: "b", seq: i, login: "bob" });
  for (let i = 15; i < 25; i++) a.log("ox.passwordchange", { w: "a", seq: i, login: "ann" });
  await a.shutdown();
  for (let i = 5; i < 20; i++) b.log("ox.login", { w: "b", seq: i, login: "bob" });
  await b.shutdown();
  run(s, 12); // a later start (links to b's shutdown checkpoint)
  const before = verifyCli(s);
  t.is(before.code, 0, findingsOf(before.report));
  t.deepEqual(before.warnings, []);
  // Session a: keep its lines up to its first periodic checkpoint, delete the rest of it (sealed
  // records and its signed `records` and `shutdown` checkpoints).
  const lines = readLines(s.active);
  const sessionA = tokenOf(lines[0] as string)!.session;
  const firstCp = lines.findIndex((l, i) => i > 0 && tokenOf(l)?.session === sessionA && reasonOf(l) === "records");
  const kept = lines.filter((l, i) => i <= firstCp || tokenOf(l)?.session !== sessionA);
  const removed = lines.filter((l) => !kept.includes(l));
  t.true(removed.some((l) => reasonOf(l) === "shutdown"));
  t.log(`${removed.length} lines of session ${sessionA} removed (${removed.filter((l) => reasonOf(l) === undefined).length} sealed records): ${removed.map((l) => splitChainField(l).body.slice(0, 40)).join(" | ")}`);
  writeLines(s.active, kept);
  const r = verifyCli(s);
  t.log(`verify exit ${r.code}, findings ${JSON.stringify(r.kinds)}, warnings ${JSON.stringify(r.warnings)}`);
  t.is(r.code, 0, findingsOf(r.report));
  t.deepEqual(r.kinds, []);
  t.true(readFileSync(new URL("../../docs/integrity.md", import.meta.url), "utf8").includes("**the end of any one session**"), "the limit is documented");
});

test("attack (misleading `interrupted`): the line a restart repaired replaced with a whole forged record of another length than the signed repaired.bytes: must not pass as a crash-cut record", async (t) => {
  const s = setup(t);
  run(s, 20);
  const text = readFileSync(s.active);
  // A real crash: the last line lost its end (as in test/integrity.test.ts).
  writeFileSync(s.active, text.subarray(0, text.length - 20));
  run(s, 5);
  const lines = readLines(s.active);
  const repaired = lines.findIndex((l) => reasonOf(l) === "repaired");
  const bytes = Number(/repaired\.bytes=(\d+)/.exec(lines[repaired] as string)?.[1]);
  t.is(Buffer.byteLength(lines[repaired - 1] as string), bytes, "the cut line holds the bytes the signed checkpoint names");
  t.is(verifyCli(s).code, 0);
  // The attacker rewrites the cut line into a complete record of its choosing.
  lines[repaired - 1] = "ox.login, login=root, ip=203.0.113.66, result=granted-admin-rights-to-mallory";
  writeLines(s.active, lines);
  const r = verifyCli(s);
  t.log(`verify exit ${r.code}, findings ${JSON.stringify(r.kinds)}, warnings ${JSON.stringify(r.report?.logs[0]?.warnings.map((w) => w.message))}`);
  t.is(r.code, 1, `a ${Buffer.byteLength(lines[repaired - 1] as string)}-byte forged line where the signed checkpoint says ${bytes} bytes were cut: ${findingsOf(r.report)}`);
});

test("attack (fake interrupted rotation): an archive deleted from the middle of the log and an empty audit.log.rotating put beside it: must be missing-archive", async (t) => {
  const s = setup(t, { "file.size": "4KB" });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 15; i++) audit.log("ox.login", { seq: i });
  s.write({ "file.size": "4KB", "integrity.mode": "off" });
  await audit.reload();
  for (let i = 15; i < 300; i++) audit.log("ox.login", { seq: i, login: `user${i % 7}`, pad: "p".repeat(20) });
  s.write({ "file.size": "4KB" });
  await audit.reload();
  for (let i = 300; i < 320; i++) audit.log("ox.login", { seq: i });
  await audit.shutdown();
  const before = verifyCli(s);
  t.is(before.code, 0, findingsOf(before.report));
  // A middle archive of lines written while integrity was off (they are only a warning, but
  // the archive itself being gone is the finding `missing-archive`).
  const names = listDir(s.logs).filter((n) => /^audit\.log\.\d+$/.test(n));
  const middle = names.map((n) => Number(n.split(".")[2])).sort((x, y) => x - y)[Math.floor(names.length / 2)] as number;
  const victim = join(s.logs, `audit.log.${middle}`);
  t.false(readLines(victim).some((l) => tokenOf(l) !== undefined), "only lines without chain");
  rmSync(victim);
  const plain = verifyCli(s);
  t.true(plain.kinds.includes("missing-archive"), `found without the trick: ${findingsOf(plain.report)}`);
  writeFileSync(join(s.logs, "audit.log.rotating"), "");
  const r = verifyCli(s);
  t.log(`audit.log.${middle} deleted; verify exit ${r.code}, findings ${JSON.stringify(r.kinds)}, warnings ${JSON.stringify(r.warnings)}`);
  t.is(r.code, 1, findingsOf(r.report));
});

test("attack (verifier stall): a sparse archive of 16 GB without a line feed (no disk space used) must stop the check at --max-line-bytes, not after reading all of it", async (t) => {
  const s = setup(t);
  run(s, 20);
  const big = join(s.logs, "audit.log.1");
  const made = spawnSync("truncate", ["-s", "16G", big]);
  t.is(made.status, 0, "truncate (coreutils) and a file system with sparse files are needed");
  const r = verifyCli(s, 10_000);
  rmSync(big);
  t.log(`verify: exit ${r.code}, signal ${r.signal}, ${r.ms} ms`);
  t.is(r.signal, null, "verify was still reading after 10 s (it reads the whole line before it reports it too long)");
  t.is(r.code, 1);
});
