import test, { type ExecutionContext } from "ava";
import { spawn, spawnSync } from "node:child_process";
import { createHash, createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ConfigError, createAuditLogService, parseAuditLine } from "../src/index.js";
import { chainHash, checkpointToken, parseChainToken, recordToken, signedMessage, splitChainField, ZERO_HASH } from "../src/integrity/token.js";
import type { LogReport } from "../src/integrity/verify.js";
import { runCli } from "./lib/cli.js";
import { captureStatus, listDir, P, readLines, writeLines } from "./lib/helpers.js";
import { copyLogs, findingKinds, INTEGRITY_SETTINGS, integritySetup, reasonOf, tokenOf, verifyJson, warningKinds, type IntegritySetup, type VerifyReport } from "./lib/integrity.js";

const cliPath = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const crashChild = fileURLToPath(new URL("./programs/crash-child.js", import.meta.url));
const clusterWriter = fileURLToPath(new URL("./programs/cluster-writer.js", import.meta.url));

const BASE: Record<string, string> = { ...INTEGRITY_SETTINGS, "file.size": "4KB", "file.count": "50" };

const setup = (t: ExecutionContext, settings: Record<string, string> = {}): IntegritySetup => integritySetup(t, { base: BASE, settings });

/** Logs `count` records through a real service (dedicated mode), then shuts it down. */
async function writeRecords(props: string, from: number, count: number): Promise<void> {
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: props, watch: false });
  for (let i = from; i < from + count; i++) audit.log("ox.login", { seq: i, login: `user${i % 7}`, ip: "192.0.2.1" });
  await audit.shutdown();
}

/** `slf4ts-audit verify <args>` with the text report. */
const verify = (args: readonly string[]) => runCli(["verify", ...args]);

/** A copy of the logs folder to tamper with. */
const copy = (s: IntegritySetup, name: string): string => copyLogs(s, name).logs;

/** The seq of a chained line. */
const seqOf = (line: string): number => tokenOf(line)?.seq ?? -1;
const isCheckpoint = (line: string): boolean => tokenOf(line)?.checkpoint !== undefined;

/**
 * What an attacker without the key does: re-links every line from `from` on to the changed
 * lines before it, and gives each checkpoint a new signature from `sign` (or a random one).
 */
function rechain(lines: readonly string[], from: number, sign?: (message: Buffer, epoch: number | undefined) => { signature: string; epoch?: number; time?: number }): string[] {
  const out: string[] = [];
  const last = new Map<string, string>();
  lines.forEach((line, i) => {
    const { body, token: text } = splitChainField(line);
    const token = parseChainToken(text ?? "");
    if (token === undefined) {
      out.push(line);
      return;
    }
    const prev = i >= from ? (last.get(token.session) ?? token.prev) : token.prev;
    const hash = chainHash(prev, token.session, token.seq, body);
    last.set(token.session, hash);
    if (i < from) {
      out.push(line);
      return;
    }
    const cp = token.checkpoint;
    if (cp === undefined) {
      out.push(`${body}\tchain=${recordToken(token.session, token.seq, prev)}`);
      return;
    }
    const forged = sign?.(Buffer.alloc(0), cp.epoch);
    const epoch = forged?.epoch ?? cp.epoch;
    const time = forged?.time ?? cp.time;
    const signature = sign === undefined ? randomBytes(32).toString("base64url") : (sign(signedMessage(token.session, token.seq, hash, cp.alg, epoch, time, cp.reason, cp.log, cp.mode), epoch).signature);
    out.push(`${body}\tchain=${checkpointToken(token.session, token.seq, prev, { ...cp, epoch, time, signature })}`);
  });
  return out;
}

test("records and checkpoints carry a trailing chain field; the line before it is the record as without integrity", async (t) => {
  const s = setup(t, { delimiter: '"|"' });
  await writeRecords(s.props, 0, 25);
  const lines = readLines(join(s.logs, "audit.log"));
  t.is(lines.length, 1 + 25 + 2 + 1, "start checkpoint, 25 records, 2 by count, 1 at shutdown");
  const first = splitChainField(lines[0] as string);
  const start = parseChainToken(first.token as string);
  t.is(start?.seq, 0);
  t.is(start?.prev, ZERO_HASH);
  t.is(start?.checkpoint?.reason, "genesis");
  t.is(start?.checkpoint?.alg, "hs256");
  t.regex(start?.checkpoint?.log ?? "", /^[A-Za-z0-9_-]{16}$/, "a new log's identity");
  t.regex(first.body, /^slf4ts\.audit\.checkpoint\|reason=genesis\|session=[A-Za-z0-9_-]{12}\|seq=0\|records=0\|records\.max=10\|alg=hs256\|time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const second = splitChainField(lines[1] as string);
  t.is(second.body, "ox.login|seq=0|login=user0|ip=192.0.2.1");
  t.deepEqual(parseAuditLine(second.body, { delimiter: "|", includeAttributeNames: true }).attributes, [
    ["seq", "0"],
    ["login", "user0"],
    ["ip", "192.0.2.1"],
  ]);
  const token = parseChainToken(second.token as string);
  t.is(token?.session, start?.session);
  t.is(token?.seq, 1);
  t.is(token?.prev, chainHash(ZERO_HASH, start?.session as string, 0, first.body), "linked to the start checkpoint");
  // What query strips leaves exactly the record.
  t.is((lines[1] as string).replace(/\tchain=\S*$/, ""), "ox.login|seq=0|login=user0|ip=192.0.2.1");
  t.is(reasonOf(lines[11] as string), "records");
  t.is(reasonOf(lines.at(-1) as string), "shutdown");
  const { code, out } = await verify(["--key", s.key, s.logs]);
  t.is(code, 0, out);
  t.is(out, `${join(s.logs, "audit.log")}: 1 file, 29 chained lines in 1 session, 4 of 4 checkpoints verified, log ${start?.checkpoint?.log}\nResult: INTACT (0 warnings)\n`);
});

test("untouched files across several rotations verify (exit 0); each archive ends with its rotation checkpoint", async (t) => {
  const s = setup(t);
  await writeRecords(s.props, 0, 300);
  const names = listDir(s.logs);
  t.true(names.length >= 6, names.join(" "));
  for (const name of names.filter((n) => n !== "audit.log")) {
    t.true(statSync(join(s.logs, name)).size <= 4096, `${name} stays within file.size, its closing checkpoint included`);
    const last = readLines(join(s.logs, name)).at(-1) as string;
    t.is(reasonOf(last), "rotation", name);
  }
  const { code, report } = await verifyJson(["--key", s.key, s.logs]);
  t.is(code, 0, JSON.stringify(report.logs[0]?.findings));
  t.true(report.intact);
  t.deepEqual(warningKinds(report), []);
  const log = report.logs[0] as LogReport;
  t.is(log.files.length, names.length);
  t.is(log.sessions.length, 1);
  t.is(log.records - log.checkpoints, 300);
  t.is(log.verifiedCheckpoints, log.checkpoints);
});

test("gzip archives verify like plain ones", async (t) => {
  const s = setup(t);
  await writeRecords(s.props, 0, 200);
  for (const name of ["audit.log.2", "audit.log.3"]) {
    writeFileSync(join(s.logs, `${name}.gz`), gzipSync(readFileSync(join(s.logs, name))));
    rmSync(join(s.logs, name));
  }
  const { code, report } = await verifyJson(["--key", s.key, join(s.logs, "audit.log")]);
  t.is(code, 0, JSON.stringify(report.logs[0]?.findings));
  t.true(report.logs[0]?.files.some((f) => f.path.endsWith("audit.log.3.gz")));
  t.is((report.logs[0]?.records ?? 0) - (report.logs[0]?.checkpoints ?? 0), 200);
});

test("Ed25519: the verifier needs only the public key; another public key finds every checkpoint bad", async (t) => {
  const s = setup(t);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(join(s.dir, "audit-ed25519.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(join(s.dir, "public.pem"), publicKey.export({ type: "spki", format: "pem" }));
  const other = generateKeyPairSync("ed25519").publicKey;
  writeFileSync(join(s.dir, "other.pem"), other.export({ type: "spki", format: "pem" }));
  s.write({ "integrity.mode": "ed25519", "integrity.key": "audit-ed25519.pem" });
  await writeRecords(s.props, 0, 120);
  const good = await verifyJson(["--public-key", join(s.dir, "public.pem"), s.logs]);
  t.is(good.code, 0, JSON.stringify(good.report.logs[0]?.findings));
  t.true((good.report.logs[0]?.checkpoints ?? 0) > 12);
  const bad = await verifyJson(["--public-key", join(s.dir, "other.pem"), s.logs]);
  t.is(bad.code, 1);
  t.deepEqual(findingKinds(bad.report), ["bad-signature"]);
  t.is(bad.report.logs[0]?.findings.length, bad.report.logs[0]?.checkpoints);
  // An HMAC key does not check Ed25519 checkpoints.
  const hmacOnly = await verifyJson(["--key", s.key, s.logs]);
  t.is(hmacOnly.code, 1);
  t.true(hmacOnly.report.logs[0]?.findings[0]?.message.includes("signed with Ed25519, but no --public-key was given"));
});

test("the chain goes on across reloads: other settings keep the session; integrity settings close it and a new one resumes", async (t) => {
  const s = setup(t);
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 15; i++) audit.log("ox.login", { seq: i });
  s.write({ delimiter: '"|"' });
  await audit.reload();
  for (let i = 15; i < 30; i++) audit.log("ox.login", { seq: i });
  s.write({ delimiter: '"|"', "integrity.checkpoint.records": "4" });
  await audit.reload();
  for (let i = 30; i < 45; i++) audit.log("ox.login", { seq: i });
  await audit.shutdown();
  const { code, report } = await verifyJson(["--key", s.key, s.logs]);
  t.is(code, 0, JSON.stringify(report.logs[0]?.findings));
  const sessions = report.logs[0]?.sessions ?? [];
  t.is(sessions.length, 2, "the delimiter change kept the session, the checkpoint change started one");
  t.is(sessions[1]?.resumedFrom, sessions[0]?.id);
  const all = listDir(s.logs).flatMap((n) => readLines(join(s.logs, n)));
  const resume = all.find((l) => l.includes("reason=resume"));
  t.regex(resume ?? "", new RegExp(`^slf4ts\\.audit\\.checkpoint\\|reason=resume\\|session=${sessions[1]?.id}\\|seq=0\\|records=0\\|records\\.max=\\d+\\|alg=hs256\\|resumed\\.session=${sessions[0]?.id}\\|resumed\\.seq=\\d+\\|resumed\\.file=audit\\.log(\\.\\d+)?\\|time=`));
  t.true(all.some((l) => l.includes("reason=reload")), "the first session closed with a checkpoint");
});

test("turning integrity off by a reload closes the chain; the unchained lines after it are warned about, not reported as tampering", async (t) => {
  const s = setup(t, { "file.size": "1MB" });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 5; i++) audit.log("ox.login", { seq: i });
  s.write({ "file.size": "1MB", "integrity.mode": "off" });
  await audit.reload();
  for (let i = 5; i < 8; i++) audit.log("ox.login", { seq: i });
  await audit.shutdown();
  const lines = readLines(join(s.logs, "audit.log"));
  t.deepEqual(lines.slice(-3), ["ox.login, seq=5", "ox.login, seq=6", "ox.login, seq=7"]);
  t.is(reasonOf(lines.at(-4) as string), "integrity-off");
  const { code, report } = await verifyJson(["--key", s.key, s.logs]);
  t.is(code, 0);
  t.deepEqual(warningKinds(report), ["unchained"]);
});

test("a restarted process adopts the killed run's intact unsealed tail: a signed recovered checkpoint in the killed session's chain, verify exit 0 with a warning (child processes)", async (t) => {
  const s = setup(t, { delimiter: '"|"' });
  // The first writer is killed: its last records are sealed by nothing until the restart.
  const first = spawnSync(process.execPath, [crashChild, s.props, "400", "sigkill"], { encoding: "utf8", timeout: 60_000 });
  t.is(first.signal, "SIGKILL");
  const before = await verifyJson(["--key", s.key, s.logs]);
  t.is(before.code, 0);
  t.deepEqual(warningKinds(before.report), ["unsealed"], "the killed session's tail is not sealed");
  const second = spawnSync(process.execPath, [crashChild, s.props, "300", "return"], { encoding: "utf8", timeout: 60_000 });
  t.is(second.status, 0, second.stderr);
  // The killed run's records after its last checkpoint continue its chain intact: the restart
  // seals them (a crash is no finding), and verify shows the window in a warning.
  const { code, report } = await verifyJson(["--key", s.key, s.logs]);
  t.is(code, 0, JSON.stringify(report.logs[0]?.findings));
  t.deepEqual(findingKinds(report), []);
  t.deepEqual(warningKinds(report), ["recovered"]);
  const sessions = report.logs[0]?.sessions ?? [];
  t.is(sessions.length, 2);
  t.is(sessions[1]?.resumedFrom, sessions[0]?.id);
  t.is(sessions[0]?.sealedThrough, sessions[0]?.lastSeq, "the recovered checkpoint is the killed session's last line");
  t.is((report.logs[0]?.records ?? 0) - (report.logs[0]?.checkpoints ?? 0), 700);
  const lines = listDir(s.logs).flatMap((n) => readLines(join(s.logs, n)));
  const recovered = lines.find((l) => l.includes("reason=recovered"));
  const resume = lines.find((l) => l.includes("reason=resume"));
  t.truthy(recovered);
  t.true(recovered?.includes(`|session=${sessions[0]?.id}|seq=${sessions[0]?.lastSeq}|`), recovered);
  t.true(recovered?.includes(`|recovered.by=${sessions[1]?.id}|`), recovered);
  const adopted = Number(/\|records=(\d+)\|/.exec(recovered ?? "")?.[1]);
  t.true(adopted > 0, recovered);
  t.true(report.logs[0]?.warnings[0]?.message.includes(`${adopted} record(s) of session ${sessions[0]?.id}`), report.logs[0]?.warnings[0]?.message);
  t.true(resume?.includes(`|resumed.session=${sessions[0]?.id}|resumed.seq=${sessions[0]?.lastSeq}|`), resume);
  t.false(resume?.includes("unvouched"), resume);
});

test("a last record cut short before a restart: the next run ends its line, says so, and verify warns of the cut record", async (t) => {
  const s = setup(t, { "file.size": "1MB" });
  await writeRecords(s.props, 0, 20);
  const file = join(s.logs, "audit.log");
  const text = readFileSync(file);
  // The shutdown checkpoint lost its last 20 bytes (a full disk, a power loss).
  writeFileSync(file, text.subarray(0, text.length - 20));
  await writeRecords(s.props, 20, 5);
  const lines = readLines(file);
  const repaired = lines.findIndex((l) => l.includes("reason=repaired"));
  t.is(repaired, 24, "right after the cut line (start checkpoint, 20 records, 2 checkpoints by count, the cut shutdown checkpoint)");
  // It resumes from the last whole line, the checkpoint before the cut one.
  t.regex(lines[repaired] as string, /^slf4ts\.audit\.checkpoint, reason=repaired, session=\S+, seq=0, records=0, records\.max=\d+, alg=hs256, resumed\.session=\S+, resumed\.seq=22, resumed\.file=audit\.log, repaired\.bytes=\d+, time=/);
  const { code, report } = await verifyJson(["--key", s.key, s.logs]);
  // A crash (a full disk, a power loss) is no finding: the cut record is a warning.
  t.is(code, 0);
  t.deepEqual(findingKinds(report), []);
  const cut = report.logs[0]?.warnings.find((w) => w.kind === "interrupted");
  t.is(cut?.line, repaired);
  t.true(cut?.message.includes("was cut short by a crash"));
});

test("batched durability and a pattern with date and level: records sealed in batches verify across rotations", async (t) => {
  const s = setup(t, { "file.durability": "batched", "file.durability.maxDelayMs": "1000", "integrity.checkpoint.records": "25", "file.pattern": "%d{yyyy-MM-dd HH:mm:ss.SSS, UTC} %-5level %msg%n" });
  await writeRecords(s.props, 0, 400);
  t.regex(readLines(join(s.logs, "audit.log"))[0] as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  ox\.login, seq=\d+, login=user\d, ip=192\.0\.2\.1\tchain=2\./);
  const { code, report } = await verifyJson(["--key", s.key, s.logs]);
  t.is(code, 0, JSON.stringify(report.logs[0]?.findings));
  t.true((report.logs[0]?.files.length ?? 0) > 5);
  t.is((report.logs[0]?.records ?? 0) - (report.logs[0]?.checkpoints ?? 0), 400);
});

test("several processes on one file: one chain per process session, interleaved, each verified", async (t) => {
  const s = setup(t, { delimiter: '"|"', "file.multiprocess": "true", "file.size": "64KB", "integrity.checkpoint.records": "50" });
  const run = (i: number): Promise<number | null> =>
    new Promise((resolve) => spawn(process.execPath, [clusterWriter, s.props, "1", "2000", "process", String(i)], { stdio: "ignore" }).on("close", resolve));
  t.deepEqual(await Promise.all([run(0), run(1), run(2)]), [0, 0, 0]);
  const { code, report } = await verifyJson(["--key", s.key, s.logs]);
  t.is(code, 0, JSON.stringify(report.logs[0]?.findings));
  t.is(report.logs[0]?.sessions.length, 3);
  t.is((report.logs[0]?.records ?? 0) - (report.logs[0]?.checkpoints ?? 0), 6000);
  // Removing one process's record is found in its session.
  const tampered = copy(s, "tampered");
  // A record of one process in the middle of its run in one file (how the processes
  // interleave depends on the scheduler: take the file and process with the most records).
  let best = { file: "", lines: [] as string[], own: [] as number[] };
  for (const name of listDir(tampered)) {
    const lines = readLines(join(tampered, name));
    for (const w of [0, 1, 2]) {
      const own = lines.map((l, i) => (l.startsWith(`mp|w=${w}|`) ? i : -1)).filter((i) => i >= 0);
      if (own.length > best.own.length) best = { file: join(tampered, name), lines, own };
    }
  }
  t.true(best.own.length > 10);
  const victim = best.own[Math.floor(best.own.length / 2)] as number;
  writeLines(best.file, best.lines.filter((_, i) => i !== victim));
  const after = await verifyJson(["--key", s.key, tampered]);
  t.is(after.code, 1);
  t.deepEqual(findingKinds(after.report), ["deleted"]);
});

// Tampering, each on a fresh log of several files written by the real service.
async function tamperSetup(t: ExecutionContext): Promise<IntegritySetup> {
  const s = setup(t);
  await writeRecords(s.props, 0, 300);
  return s;
}

async function expectFinding(t: ExecutionContext, s: IntegritySetup, folder: string, expected: string[], extraArgs: string[] = []): Promise<VerifyReport> {
  const { code, report } = await verifyJson(["--key", s.key, ...extraArgs, folder]);
  t.is(code, 1);
  t.false(report.intact);
  t.deepEqual(findingKinds(report), expected, JSON.stringify(report.logs[0]?.findings, null, 1));
  return report;
}

test("tampering: a modified record", async (t) => {
  const s = await tamperSetup(t);
  const dir = copy(s, "t");
  const file = join(dir, "audit.log.3");
  const lines = readLines(file);
  const i = lines.findIndex((l) => l.startsWith("ox.login, seq="));
  lines[i] = (lines[i] as string).replace(/login=user\d/, "login=mallory");
  writeLines(file, lines);
  const report = await expectFinding(t, s, dir, ["modified"]);
  t.is(report.logs[0]?.findings[0]?.file, file);
  t.is(report.logs[0]?.findings[0]?.line, i + 1);
});

test("tampering: inserted records (a plain line, and a copy of a chained one)", async (t) => {
  const s = await tamperSetup(t);
  const dir = copy(s, "t");
  const file = join(dir, "audit.log.2");
  const lines = readLines(file);
  lines.splice(4, 0, "ox.login, seq=999, login=mallory, ip=192.0.2.66");
  writeLines(file, lines);
  const plain = await expectFinding(t, s, dir, ["inserted"]);
  t.is(plain.logs[0]?.findings[0]?.line, 5);
  const dir2 = copy(s, "t2");
  const file2 = join(dir2, "audit.log.2");
  const lines2 = readLines(file2);
  lines2.splice(8, 0, lines2[2] as string);
  writeLines(file2, lines2);
  const copied = await expectFinding(t, s, dir2, ["inserted"]);
  t.true(copied.logs[0]?.findings[0]?.message.includes(`repeats seq ${seqOf(lines2[2] as string)}`));
});

test("tampering: a deleted record", async (t) => {
  const s = await tamperSetup(t);
  const dir = copy(s, "t");
  const file = join(dir, "audit.log.4");
  const lines = readLines(file);
  const i = lines.findIndex((l, k) => k > 3 && !isCheckpoint(l));
  const seq = seqOf(lines[i] as string);
  writeLines(file, lines.filter((_, k) => k !== i));
  const report = await expectFinding(t, s, dir, ["deleted"]);
  t.is(report.logs[0]?.findings[0]?.seq, seq);
  t.true(report.logs[0]?.findings[0]?.message.startsWith(`1 record(s) of session`));
});

test("tampering: two records reordered", async (t) => {
  const s = await tamperSetup(t);
  const dir = copy(s, "t");
  const file = join(dir, "audit.log.1");
  const lines = readLines(file);
  [lines[3], lines[4]] = [lines[4] as string, lines[3] as string];
  writeLines(file, lines);
  const report = await expectFinding(t, s, dir, ["reordered"]);
  t.is(report.logs[0]?.findings.length, 1);
  t.is(report.logs[0]?.findings[0]?.line, 5);
});

test("tampering: truncation, cut in the middle of a line (a warning in the active file, as a crash leaves it; a finding in an archive), or whole lines dropped at the end of an archive", async (t) => {
  const s = await tamperSetup(t);
  const dir = copy(s, "t");
  const active = join(dir, "audit.log");
  const text = readFileSync(active);
  writeFileSync(active, text.subarray(0, text.length - 30));
  // The active file cut inside its last line looks like a write a crash cut short (SIGKILL can stop
  // a write at a page boundary): a warning, as deleting the newest lines whole is (the documented
  // limit: the files alone cannot show the tail deleted); the records it no longer seals say so.
  const cut = await verifyJson(["--key", s.key, dir]);
  t.is(cut.code, 0);
  t.deepEqual(findingKinds(cut.report), []);
  t.true(cut.report.logs[0]?.warnings.some((w) => w.kind === "interrupted" && w.message.startsWith("audit.log ends in the middle of a record")));
  t.true(cut.report.logs[0]?.warnings.some((w) => w.kind === "unsealed"));
  // The same cut inside an archive is a finding.
  const dir3 = copy(s, "t3");
  const second = join(dir3, "audit.log.1");
  const archived = readFileSync(second);
  writeFileSync(second, archived.subarray(0, archived.length - 30));
  const cutArchive = await expectFinding(t, s, dir3, ["truncated"]);
  t.true(cutArchive.logs[0]?.findings.some((f) => f.message.startsWith("audit.log.1 ends in the middle of a record")));
  const dir2 = copy(s, "t2");
  const archive = join(dir2, "audit.log.2");
  writeLines(archive, readLines(archive).slice(0, -4));
  const dropped = await expectFinding(t, s, dir2, ["truncated"]);
  t.regex(dropped.logs[0]?.findings[0]?.message ?? "", /^audit\.log\.2 ends early: 4 record\(s\) of session \S+ \(seq \d+–\d+\) are missing at its end/);
});

test("tampering: a deleted archive, and older archives deleted (found with file.count from --properties)", async (t) => {
  const s = await tamperSetup(t);
  const dir = copy(s, "t");
  rmSync(join(dir, "audit.log.3"));
  const report = await expectFinding(t, s, dir, ["missing-archive"]);
  t.true(report.logs[0]?.findings[0]?.message.startsWith("audit.log.3 is missing"));
  // The oldest archive gone: only file.count tells deletion from rotation.
  const dir2 = copy(s, "t2");
  const oldest = listDir(dir2).filter((n) => /\.\d+$/.test(n)).sort((a, b) => Number(b.split(".").pop()) - Number(a.split(".").pop()))[0] as string;
  rmSync(join(dir2, oldest));
  const lenient = await verifyJson(["--key", s.key, dir2]);
  t.is(lenient.code, 0);
  t.deepEqual(warningKinds(lenient.report), ["history-incomplete"]);
  await expectFinding(t, s, dir2, ["missing-archive"], ["--properties", s.props]);
  // With file.maxAge, old archives go by age: fewer than file.count is expected, and only a warning.
  const aged = join(s.dir, "aged.properties");
  writeFileSync(aged, readFileSync(s.props, "utf8") + `${P}file.maxAge=30\n`);
  const byAge = await verifyJson(["--key", s.key, "--properties", aged, dir2]);
  t.is(byAge.code, 0);
  t.deepEqual(warningKinds(byAge.report), ["history-incomplete"]);
});

test("tampering: an archive replaced with another log's archive (same key)", async (t) => {
  const s = await tamperSetup(t);
  const otherProps = join(s.dir, "other.properties");
  writeFileSync(otherProps, readFileSync(s.props, "utf8").replace("logs/audit.log", "other/audit.log").replace("integrity.key=audit.key", `integrity.key=${s.key}`));
  await writeRecords(otherProps, 0, 300);
  const dir = copy(s, "t");
  cpSync(join(s.dir, "other", "audit.log.2"), join(dir, "audit.log.2"));
  // Its checkpoints are signed for the other log's identity; the chain jumps over it; and
  // its session's lines stand among this log's.
  const report = await expectFinding(t, s, dir, ["inserted", "replaced-archive", "spliced"]);
  t.true(report.logs[0]?.findings.some((f) => f.message.includes("jumps over audit.log.2")));
  t.true(report.logs[0]?.findings.some((f) => f.kind === "spliced" && f.message.includes("is signed for log")));
});

test("tampering: a record changed and the chain recomputed without the key: the checkpoint signatures do not match", async (t) => {
  const s = await tamperSetup(t);
  const dir = copy(s, "t");
  const file = join(dir, "audit.log");
  const lines = readLines(file);
  const i = lines.findIndex((l) => l.startsWith("ox.login, seq="));
  lines[i] = (lines[i] as string).replace("ip=192.0.2.1", "ip=203.0.113.9");
  writeLines(file, rechain(lines, i));
  const report = await expectFinding(t, s, dir, ["bad-signature"]);
  t.true(report.logs[0]?.findings.every((f) => f.message.includes("its HMAC does not match")));
});

test("a wrong key: every checkpoint is reported, exit 1", async (t) => {
  const s = await tamperSetup(t);
  const wrong = join(s.dir, "wrong.key");
  writeFileSync(wrong, `secret=${randomBytes(32).toString("hex")}\n`);
  const { code, report } = await verifyJson(["--key", wrong, s.logs]);
  t.is(code, 1);
  t.deepEqual(findingKinds(report), ["bad-signature"]);
  t.is(report.logs[0]?.findings.length, report.logs[0]?.checkpoints);
});

const HOUR = 3600;

function evolvedSetup(t: ExecutionContext, epochsAgo: number, seconds = HOUR): { s: IntegritySetup; initial: string; secret: Buffer; start: number } {
  const s = setup(t, { "integrity.epoch": String(seconds) });
  const secret = randomBytes(32);
  const start = Math.floor(Date.now() / 1000) * 1000 - Math.round((epochsAgo + 0.5) * seconds * 1000);
  const text = `secret=${secret.toString("hex")}\nstart=${new Date(start).toISOString()}\nseconds=${seconds}\n`;
  writeFileSync(s.key, text);
  const initial = join(s.dir, "initial.key");
  writeFileSync(initial, text);
  return { s, initial, secret, start };
}

const evolve = (secret: Buffer, steps: number): Buffer => {
  let k = secret;
  for (let i = 0; i < steps; i++) k = createHash("sha256").update(k).digest();
  return k;
};

test("key evolution: the key file holds only the current epoch's key; the initial copy verifies", async (t) => {
  const { s, initial, secret } = evolvedSetup(t, 5);
  await writeRecords(s.props, 0, 50);
  const keyText = readFileSync(s.key, "utf8");
  t.true(keyText.includes(`secret=${evolve(secret, 5).toString("hex")}\n`), keyText);
  t.true(keyText.includes("epoch=5\n"));
  t.false(keyText.includes(secret.toString("hex")), "the initial key was erased from the file");
  const start = readLines(join(s.logs, listDir(s.logs).at(-1) as string))[0] as string;
  t.is(reasonOf(start), "genesis");
  t.is(tokenOf(start)?.checkpoint?.epoch, 5);
  const { code, report } = await verifyJson(["--key", initial, s.logs]);
  t.is(code, 0, JSON.stringify(report.logs[0]?.findings));
  // The evolved key cannot check an earlier epoch: here it is the same epoch, so it verifies too.
  t.is((await verifyJson(["--key", s.key, s.logs])).code, 0);
});

test("key evolution in real time: checkpoints of two epochs verify with the initial key; the evolved key cannot vouch for the first", async (t) => {
  const { s, initial } = evolvedSetup(t, 3, 1);
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 5; i++) audit.log("ox.login", { seq: i });
  await new Promise((r) => setTimeout(r, 1300));
  for (let i = 5; i < 10; i++) audit.log("ox.login", { seq: i });
  await audit.shutdown();
  const epochs = new Set(readLines(join(s.logs, "audit.log")).map((l) => tokenOf(l)?.checkpoint?.epoch).filter((e) => e !== undefined));
  t.true(epochs.size >= 2, `epochs ${[...epochs].join(", ")}`);
  const { code, report } = await verifyJson(["--key", initial, s.logs]);
  t.is(code, 0, JSON.stringify(report.logs[0]?.findings));
  const stolen = await verifyJson(["--key", s.key, s.logs]);
  t.is(stolen.code, 1);
  t.true(stolen.report.logs[0]?.findings.some((f) => f.kind === "bad-signature" && f.message.includes("later than this checkpoint's epoch")));
});

test("tampering: a key stolen in a later epoch re-seals old records (CVE-2023-31439): epoch out of its time, or a bad signature", async (t) => {
  const { s, initial, secret, start } = evolvedSetup(t, 5);
  await writeRecords(s.props, 0, 60);
  const stolen = evolve(secret, 5);
  const file = join(s.logs, "audit.log");
  const lines = readLines(file);
  const i = lines.findIndex((l) => l.startsWith("ox.login, seq="));
  lines[i] = (lines[i] as string).replace(/login=user\d/, "login=mallory");
  // Signed with the stolen key under its own epoch, but dated back into epoch 2.
  const backdated = start + 2 * HOUR * 1000 + 60_000;
  const dir = copy(s, "t");
  writeLines(join(dir, "audit.log"), rechain(lines, i, (message) => ({ signature: createHmac("sha256", stolen).update(message).digest("base64url"), epoch: 5, time: backdated })));
  // The verifier uses the initial copy kept off the host. Backdating also puts the re-sealed
  // checkpoints before the untouched earlier ones.
  const report = (await verifyJson(["--key", initial, dir])).report;
  t.deepEqual(findingKinds(report), ["epoch-out-of-time", "time-out-of-order"]);
  t.true(report.logs[0]?.findings.some((f) => f.kind === "epoch-out-of-time" && f.message.includes("is signed with the key of epoch 5") && f.message.includes("a key used out of its time")));
  // Claiming the old epoch itself, with the stolen key: the HMAC does not match.
  const dir2 = copy(s, "t2");
  writeLines(join(dir2, "audit.log"), rechain(lines, i, (message) => ({ signature: createHmac("sha256", stolen).update(message).digest("base64url"), epoch: 2, time: backdated })));
  const claimed = await verifyJson(["--key", initial, dir2]);
  t.is(claimed.code, 1);
  t.deepEqual(findingKinds(claimed.report), ["bad-signature"]);
});

test("records after the last checkpoint are reported as not yet sealed (a warning, exit 0)", async (t) => {
  const s = setup(t, { "file.size": "1MB", "integrity.checkpoint.records": "1000", "integrity.checkpoint.seconds": "0" });
  const child = spawnSync(process.execPath, [crashChild, s.props, "37", "sigkill"], { encoding: "utf8", timeout: 60_000 });
  t.is(child.signal, "SIGKILL");
  const { code, out } = await verify(["--key", s.key, s.logs]);
  t.is(code, 0);
  t.regex(out, /WARNING unsealed {11}37 record\(s\) of session \S+ after its last good checkpoint \(audit\.log:1\) are not yet sealed \(up to audit\.log:38\)/);
});

test("a checkpoint is written by the timer when records wait to be sealed", async (t) => {
  const s = setup(t, { "integrity.checkpoint.records": "1000", "integrity.checkpoint.seconds": "1" });
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: s.props, watch: false });
  audit.log("ox.login", { seq: 0 });
  const file = join(s.logs, "audit.log");
  const deadline = Date.now() + 10_000;
  while (readLines(file).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const lines = readLines(file);
  t.is(lines.length, 3);
  t.is(reasonOf(lines[2] as string), "timer");
});

test("the CLI as a child process: exit codes 0, 1, 2, 3 and the JSON report", async (t) => {
  const s = await tamperSetup(t);
  const run = (...args: string[]) => spawnSync(process.execPath, [cliPath, "verify", ...args], { encoding: "utf8", timeout: 60_000 });
  const intact = run("--json", "--key", s.key, s.logs);
  t.is(intact.status, 0, intact.stderr);
  const json = JSON.parse(intact.stdout) as VerifyReport;
  t.true(json.intact);
  t.is(json.findings, 0);
  t.is(json.logs[0]?.active, join(s.logs, "audit.log"));
  const dir = copy(s, "t");
  const file = join(dir, "audit.log.1");
  writeLines(file, readLines(file).filter((_, i) => i !== 5));
  const tampered = run("--json", "--key", s.key, dir);
  t.is(tampered.status, 1);
  const report = JSON.parse(tampered.stdout) as VerifyReport;
  t.is(report.findings, 1);
  t.is(report.logs[0]?.findings[0]?.kind, "deleted");
  t.is(report.logs[0]?.findings[0]?.file, file);
  const text = run("--key", s.key, dir);
  t.is(text.status, 1);
  t.regex(text.stdout, /\n {2}FINDING deleted {12}1 record\(s\) of session \S+ \(seq \d+\) were deleted between audit\.log\.1:5 and audit\.log\.1:6\nResult: TAMPERING OR DAMAGE FOUND \(1 finding, 0 warnings\)\n$/);
  t.is(text.stderr, "", "no progress output when stderr is not a terminal");
  const noKey = run(s.logs);
  t.is(noKey.status, 2);
  t.regex(noKey.stderr, /give --key \(integrity\.mode=hmac\) or --public-key \(ed25519\), or --chain-only/);
  t.is(run("--bogus", s.logs).status, 2);
  const missingKey = run("--key", join(s.dir, "nope.key"), s.logs);
  t.is(missingKey.status, 3);
  t.is(missingKey.stderr, `slf4ts-audit verify: cannot read the key file ${join(s.dir, "nope.key")} (ENOENT)\n`);
  t.is(run("--key", s.key, join(s.dir, "no-such-folder", "audit.log")).status, 3);
  const help = run("--help");
  t.is(help.status, 0);
  t.true(help.stdout.startsWith("Usage: slf4ts-audit verify [options] <file or folder>..."));
  const chainOnly = run("--chain-only", s.logs);
  t.is(chainOnly.status, 0);
  t.true(chainOnly.stdout.includes("Signatures were not checked (--chain-only)"));
});

test("integrity settings are validated like every other key", async (t) => {
  const s = setup(t);
  captureStatus(t);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  const attempt = async (settings: Record<string, string>): Promise<string[]> => {
    s.write(settings);
    const error = await audit.configure({ propertiesFile: s.props, watch: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof ConfigError)) return [];
    return error.problems.map((p) => `${p.key?.slice(P.length)} = ${p.value}: ${p.expected}`);
  };
  t.deepEqual(await attempt({ "integrity.mode": "sha1" }), ["integrity.mode = sha1: expected off, hmac or ed25519"]);
  t.deepEqual(await attempt({ "integrity.key": "" }), ["integrity.key = : expected the path of the key file (integrity.mode=hmac needs one)"]);
  t.deepEqual(await attempt({ "integrity.key": "missing.key" }), [
    `integrity.key = missing.key: expected an HMAC key file: cannot read the key file ${join(s.dir, "missing.key")} (ENOENT)`,
  ]);
  writeFileSync(join(s.dir, "short.key"), "secret=abcd\n");
  t.deepEqual(await attempt({ "integrity.key": "short.key" }), [
    `integrity.key = short.key: expected an HMAC key file: the key file ${join(s.dir, "short.key")} is not an HMAC key file: line 1: the secret must be at least 64 hex digits (32 bytes), an even number of them`,
  ]);
  t.deepEqual(await attempt({ "integrity.epoch": "3600" }), [
    `integrity.key = audit.key: expected a line start=<ISO-8601 time> in ${s.key}: key evolution (integrity.epoch=3600) counts epochs from it, and the verifier must know it`,
  ]);
  t.deepEqual(await attempt({ "integrity.mode": "ed25519" }), [
    `integrity.key = audit.key: expected an Ed25519 private key: the key file ${s.key} is not a private key in PEM format (openssl genpkey -algorithm ed25519 writes one)`,
  ]);
  t.deepEqual(await attempt({ "integrity.checkpoint.records": "0", "integrity.checkpoint.seconds": "1d" }), [
    "integrity.checkpoint.records = 0: expected a whole number of records from 1 to 100000000",
    "integrity.checkpoint.seconds = 1d: expected a whole number of seconds from 0 to 86400",
  ]);
  t.deepEqual(await attempt({}), []);
  t.false(existsSync(join(s.logs, "audit.log.1")));
  t.true(readdirSync(s.logs).includes("audit.log"));
});
