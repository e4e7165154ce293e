/**
 * A process killed (SIGKILL) while it logs with integrity on: the next start adopts the killed
 * session's records after its last checkpoint when they continue its chain intact (a signed
 * `recovered` checkpoint in that session's chain), so `verify` reports no finding for a log
 * nobody touched; lines changed after the crash are not adopted and are found. Real child
 * processes, killed at random points, with small files, rotation and gzip archives.
 */
import test, { type ExecutionContext } from "ava";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chainHash, recordToken, splitChainField } from "../src/integrity/token.js";
import type { LogReport } from "../src/integrity/verify.js";
import { listDir, P, readLines, writeLines } from "./lib/helpers.js";
import { allLines, INTEGRITY_SETTINGS, integritySetup, tokenOf, verifyLog, type IntegritySetup } from "./lib/integrity.js";

const killWriter = fileURLToPath(new URL("./programs/kill-writer.js", import.meta.url));

const BASE: Record<string, string> = { ...INTEGRITY_SETTINGS, "file.size": "4KB", "file.count": "10000", "file.durability": "sync" };

const setup = (t: ExecutionContext, settings: Record<string, string> = {}): IntegritySetup => integritySetup(t, { base: BASE, settings, prefix: "slf4ts-recovery-" });

/**
 * Starts a writer (run `run`) and kills it with SIGKILL once it has acknowledged at least
 * `atLeast` records, after a further random 0–15 ms. Returns the last record `log()` returned
 * for (it is on the disk).
 */
async function logAndKill(t: ExecutionContext, props: string, run: number, atLeast: number): Promise<number> {
  const child = spawn(process.execPath, [killWriter, props, String(run)], { stdio: ["ignore", "pipe", "pipe"] });
  let acked = -1;
  let rest = "";
  let stderr = "";
  let killing = false;
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => {
    const lines = (rest + d.toString()).split("\n");
    rest = lines.pop() ?? "";
    if (lines.length > 0) acked = Number(lines[lines.length - 1]);
    if (!killing && acked >= atLeast) {
      killing = true;
      setTimeout(() => child.kill("SIGKILL"), Math.floor(Math.random() * 16));
    }
  });
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
  clearTimeout(guard);
  t.is(signal, "SIGKILL", `run ${run} ended by ${code}/${signal}: ${stderr}`);
  t.true(killing, `run ${run} was killed by the guard after 60 s, not by the test (${acked} records)`);
  return acked;
}

/**
 * A writer (run `run`) that logs `count` records and then sends itself SIGKILL: between two
 * `log()` calls, at whatever point its timers and the compression of archives have reached.
 */
function logAndDie(t: ExecutionContext, props: string, run: number, count: number): void {
  const result = spawnSync(process.execPath, [killWriter, props, String(run), String(count), "kill"], { encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  t.is(result.signal, "SIGKILL", `run ${run}: ${result.status} ${result.stderr}`);
}

/** A writer (run `run`) that logs `count` records and shuts down cleanly. */
function logCleanly(props: string, run: number, count: number): void {
  const result = spawnSync(process.execPath, [killWriter, props, String(run), String(count)], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`writer exited ${result.status} (${result.signal}): ${result.stderr}`);
}

/** The (run, seq) pairs of the writers' records, in file order. */
function recordsOf(lines: readonly string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const line of lines) {
    const m = /^kill\.test, run=(\d+), seq=(\d+), /.exec(line);
    if (m !== null) out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}

const fmt = (log: LogReport): string => JSON.stringify({ findings: log.findings, warnings: log.warnings }, null, 1);

/**
 * Six runs killed with SIGKILL (`external`: by the test at an arbitrary instant, else by the
 * writer itself after a random number of records), then a clean one; verify after each.
 */
async function killedRuns(t: ExecutionContext, s: IntegritySetup, external: boolean): Promise<void> {
  const runs = 6;
  const acked: number[] = [];
  for (let run = 0; run < runs; run++) {
    const count = 150 + Math.floor(Math.random() * 450);
    if (external) acked.push(await logAndKill(t, s.props, run, count));
    else {
      logAndDie(t, s.props, run, count);
      acked.push(count - 1);
    }
    // Before the next start, the killed run's tail is only not yet sealed: a warning.
    const before = await verifyLog(s);
    t.is(before.code, 0, `after the kill of run ${run}: ${fmt(before.log)}`);
    t.deepEqual(before.kinds, []);
  }
  logCleanly(s.props, runs, 30);
  const { code, log, kinds, warnings } = await verifyLog(s);
  t.is(code, 0, fmt(log));
  t.deepEqual(kinds, []);
  t.true(warnings.every((w) => w === "recovered"), fmt(log));
  const lines = allLines(s.logs);
  // No line is torn or unchained: each one carries a chain token.
  t.deepEqual(lines.filter((l) => tokenOf(l) === undefined), []);
  const recoveredLines = lines.filter((l) => l.startsWith("slf4ts.audit.checkpoint, reason=recovered,"));
  // A kill lands right after a checkpoint (nothing to adopt) 1 time in 10 at most: 6 kills
  // without any tail to adopt would be a 1-in-a-million chance.
  t.true(recoveredLines.length >= 1, "at least one restart adopted a killed run's tail");
  t.is(log.warnings.length, recoveredLines.length, "one warning per recovered checkpoint");
  t.is(log.sessions.length, runs + 1);
  t.true(log.sessions.every((x) => x.sealedThrough === x.lastSeq), "every session is sealed to its last line");
  // Every record acknowledged by log() is on the disk exactly once, in order, nothing else.
  const records = recordsOf(lines);
  for (let run = 0; run <= runs; run++) {
    const seqs = records.filter(([r]) => r === run).map(([, q]) => q);
    const expected = run === runs ? 30 : Math.max(seqs.length, (acked[run] as number) + 1);
    t.true(seqs.length >= (run === runs ? 30 : (acked[run] as number) + 1), `run ${run}: ${seqs.length} records on disk, ${(acked[run] ?? 29) + 1} acknowledged`);
    t.deepEqual(seqs, Array.from({ length: expected }, (_, i) => i), `run ${run}: each record once, in order`);
  }
  t.is(log.records - log.checkpoints, records.length);
}

test("repeated SIGKILLs after a random number of records (4 KB files, rotation, gzip, checkpoints by count and time): every restart adopts the killed run's tail, verify is intact, every record is there once", async (t) => {
  await killedRuns(t, setup(t, { "file.compress": "true", "integrity.checkpoint.seconds": "1" }), false);
});

test("repeated SIGKILLs at arbitrary instants (inside log(), inside a checkpoint's write; one file): every restart adopts the killed run's tail, verify is intact, every record is there once", async (t) => {
  await killedRuns(t, setup(t, { "file.size": "10MB", "integrity.checkpoint.seconds": "1" }), true);
});

test("checkpoint.records lowered between a kill and the restart: the killed tail (longer than the new setting) is still adopted, verify intact: the bound is the one the killed session signed (records.max)", async (t) => {
  const s = setup(t, { "integrity.checkpoint.records": "10", "integrity.checkpoint.seconds": "0", "file.size": "1MB" });
  logAndDie(t, s.props, 0, 18); // a checkpoint after 10 records, 8 unsealed when killed
  writeFileSync(s.props, readFileSync(s.props, "utf8").replace(`${P}integrity.checkpoint.records=10`, `${P}integrity.checkpoint.records=3`));
  logCleanly(s.props, 1, 2);
  const lines = allLines(s.logs);
  t.true(lines.some((l) => l.includes("reason=recovered") && l.includes("records=8")), lines.filter((l) => l.includes("checkpoint")).join("\n"));
  const r = await verifyLog(s);
  t.is(r.code, 0, fmt(r.log));
  t.deepEqual(r.warnings, ["recovered"], fmt(r.log));
});

test("an insider edits a record of a killed run before the restart: the restart adopts only what precedes the break, verify reports the change and the lines it could not seal", async (t) => {
  const s = setup(t, { "file.size": "1MB", "integrity.checkpoint.records": "1000", "integrity.checkpoint.seconds": "0" });
  await logAndKill(t, s.props, 0, 40);
  const lines = readLines(s.active);
  // Line 1: the genesis checkpoint; every line after it is an unsealed record.
  t.true(lines.length > 40);
  t.is(tokenOf(lines[1] as string)?.checkpoint, undefined);
  const edited = 20; // 0-based: line 21, record seq 19 of run 0, chain seq 20
  const original = lines[edited] as string;
  lines[edited] = original.replace(/, seq=19, /, ", seq=91, ");
  t.not(lines[edited], original);
  writeLines(s.active, lines);
  const tail = lines.length - 1;
  logCleanly(s.props, 1, 5);
  const after = readLines(s.active);
  const recovered = after[lines.length] as string;
  // The edited line's own token still links to the line before it; the next line's does not
  // link to the edited text: the restart adopts up to the edited line, not beyond.
  t.regex(recovered, /^slf4ts\.audit\.checkpoint, reason=recovered, session=\S+, seq=21, records=20, /);
  t.regex(after[lines.length + 1] as string, new RegExp(`^slf4ts\\.audit\\.checkpoint, reason=resume, .*, unvouched=${tail - 20}, `));
  const { code, log, kinds } = await verifyLog(s);
  t.is(code, 1);
  t.deepEqual(kinds, ["modified", "unverified"], fmt(log));
  t.is(log.findings.find((f) => f.kind === "modified")?.line, edited + 1);
  t.true(log.findings.find((f) => f.kind === "unverified")?.message.includes(`only up to seq 20`), fmt(log));
});

test("an insider deletes a record of a killed run, or appends a plain line, before the restart: not adopted, found", async (t) => {
  for (const attack of ["delete", "plain"] as const) {
    const s = setup(t, { "file.size": "1MB", "integrity.checkpoint.records": "1000", "integrity.checkpoint.seconds": "0" });
    await logAndKill(t, s.props, 0, 40);
    const lines = readLines(s.active);
    if (attack === "delete") lines.splice(30, 1);
    else lines.push("kill.test, run=0, seq=9999, pad=mallory");
    writeLines(s.active, lines);
    logCleanly(s.props, 1, 5);
    const { code, log, kinds } = await verifyLog(s);
    t.is(code, 1, attack);
    t.deepEqual(kinds, attack === "delete" ? ["deleted", "unverified"] : ["inserted"], `${attack}: ${fmt(log)}`);
  }
});

test("the documented limit: a record appended after a crash with a correctly computed chain token (no key needed) is adopted by the next start", async (t) => {
  const s = setup(t, { "file.size": "1MB", "integrity.checkpoint.records": "1000", "integrity.checkpoint.seconds": "0" });
  await logAndKill(t, s.props, 0, 40);
  const lines = readLines(s.active);
  const last = lines.at(-1) as string;
  const token = tokenOf(last)!;
  // The record token is a plain SHA-256 chain: anyone who can write the file can continue it.
  const hash = chainHash(token.prev, token.session, token.seq, splitChainField(last).body);
  appendFileSync(s.active, `kill.test, run=0, seq=forged, pad=mallory\tchain=${recordToken(token.session, token.seq + 1, hash)}\n`);
  logCleanly(s.props, 1, 5);
  const { code, log, kinds, warnings } = await verifyLog(s);
  // Not detectable: the window between a session's last checkpoint and the next start is
  // unprotected (it is as long as integrity.checkpoint.records / .seconds allow), and verify
  // says so in the warning.
  t.is(code, 0, fmt(log));
  t.deepEqual(kinds, []);
  t.deepEqual(warnings, ["recovered"]);
  t.true(log.warnings[0]?.message.includes(`${lines.length} record(s) of session ${token.session}`), log.warnings[0]?.message);
  t.true(readLines(s.active).some((l) => l.startsWith("kill.test, run=0, seq=forged,")));
});

test("a killed run's tail ending in a record cut short: the restart adopts the whole records, ends the cut line; verify warns of the cut record only", async (t) => {
  const s = setup(t, { "file.size": "1MB", "integrity.checkpoint.records": "1000", "integrity.checkpoint.seconds": "0" });
  await logAndKill(t, s.props, 0, 40);
  const text = readFileSync(s.active);
  // The last record lost its last 30 bytes (a write cut short by the crash).
  writeFileSync(s.active, text.subarray(0, text.length - 30));
  const whole = readLines(s.active).length - 1;
  logCleanly(s.props, 1, 5);
  const after = readLines(s.active);
  t.regex(after[whole + 1] as string, new RegExp(`^slf4ts\\.audit\\.checkpoint, reason=recovered, session=\\S+, seq=${whole}, records=${whole - 1}, `));
  t.regex(after[whole + 2] as string, /^slf4ts\.audit\.checkpoint, reason=repaired, .*, repaired\.bytes=\d+, /);
  const { code, log, kinds, warnings } = await verifyLog(s);
  // A crash is no finding: the cut record (log() had not returned for it) is a warning.
  t.is(code, 0, fmt(log));
  t.deepEqual(kinds, [], fmt(log));
  t.deepEqual([...warnings].sort(), ["interrupted", "recovered"]);
  const cut = log.warnings.find((w) => w.kind === "interrupted");
  t.is(cut?.line, whole + 1);
  t.true(cut?.message.includes("was cut short by a crash"), fmt(log));
});

test("a killed run's file ending in a record cut short, before the restart: a warning (interrupted), not a finding; an archive cut the same way is a finding", async (t) => {
  const s = setup(t, { "file.size": "1MB", "integrity.checkpoint.records": "1000", "integrity.checkpoint.seconds": "0" });
  await logAndKill(t, s.props, 0, 40);
  const text = readFileSync(s.active);
  writeFileSync(s.active, text.subarray(0, text.length - 30));
  const before = await verifyLog(s);
  t.is(before.code, 0, fmt(before.log));
  t.deepEqual(before.kinds, []);
  t.true(before.log.warnings.some((w) => w.kind === "interrupted" && w.message.includes("has no line feed")), fmt(before.log));
  // The same cut in an archive (not where a crash can leave it) stays a finding.
  renameSync(s.active, `${s.active}.1`);
  writeFileSync(s.active, "");
  const archived = await verifyLog(s);
  t.is(archived.code, 1, fmt(archived.log));
  t.true(archived.log.findings.some((f) => f.kind === "truncated" && f.message.includes("has no line feed")), fmt(archived.log));
});

test("several processes (file.multiprocess): a killed process's tail is not adopted by another (it may still be writing); it stays a warning (unsealed), verify exit 0, and an edit in it is found", async (t) => {
  const s = setup(t, { "file.multiprocess": "true", "file.size": "64KB", "integrity.checkpoint.records": "1000", "integrity.checkpoint.seconds": "0" });
  const other = new Promise<number | null>((resolve) => spawn(process.execPath, [killWriter, s.props, "1", "600"], { stdio: "ignore" }).on("close", resolve));
  logAndDie(t, s.props, 0, 300);
  const acked = 299;
  t.is(await other, 0);
  logCleanly(s.props, 2, 20);
  const { code, log, kinds, warnings } = await verifyLog(s);
  t.is(code, 0, fmt(log));
  t.deepEqual(kinds, []);
  t.deepEqual(warnings, ["unsealed"]);
  t.is(log.warnings.length, 1, fmt(log));
  const lines = allLines(s.logs);
  t.false(lines.some((l) => l.includes("reason=recovered")));
  const records = recordsOf(lines);
  const killed = records.filter(([r]) => r === 0).map(([, q]) => q);
  t.true(killed.length >= acked + 1);
  t.deepEqual(killed, Array.from({ length: killed.length }, (_, i) => i));
  t.is(records.filter(([r]) => r === 1).length, 600);
  t.is(records.filter(([r]) => r === 2).length, 20);
  // An insider changes a record in the middle of the killed process's unsealed records.
  const copy = join(s.dir, "edited");
  cpSync(s.logs, copy, { recursive: true });
  const file = join(copy, listDir(copy).find((n) => readLines(join(copy, n)).some((l) => l.startsWith("kill.test, run=0, seq=100, "))) as string);
  const own = readLines(file);
  const i = own.findIndex((l) => l.startsWith("kill.test, run=0, seq=100, "));
  t.true(i >= 0);
  own[i] = (own[i] as string).replace("seq=100,", "seq=101,");
  writeLines(file, own);
  const edited = await verifyLog(s, { folder: copy });
  t.is(edited.code, 1);
  t.deepEqual(edited.kinds, ["modified"], fmt(edited.log));
});

test("a kill between a rotation's two steps (the active file renamed aside to .rotating, not yet .1): the restart links to and adopts from that file, not the older archive", async (t) => {
  const s = setup(t);
  logAndDie(t, s.props, 0, 100);
  // What a SIGKILL right after the rotation's first rename leaves.
  renameSync(s.active, `${s.active}.rotating`);
  logCleanly(s.props, 1, 100);
  const { code, log, kinds } = await verifyLog(s);
  t.is(code, 0, fmt(log));
  t.deepEqual(kinds, []);
  const records = recordsOf(allLines(s.logs));
  t.deepEqual(records.filter(([r]) => r === 0).map(([, q]) => q), Array.from({ length: 100 }, (_, i) => i));
  t.deepEqual(records.filter(([r]) => r === 1).map(([, q]) => q), Array.from({ length: 100 }, (_, i) => i));
  t.is(log.sessions.length, 2);
  t.is(log.sessions[1]?.resumedFrom, log.sessions[0]?.id);
});
