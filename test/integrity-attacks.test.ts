/**
 * Attacks on the tamper evidence by an insider without the key, each on real files written by
 * the real logger (child processes where restarts matter): `verify` must exit 1 with the right
 * finding. Beside them, untouched logs that must still verify intact, a clock stepped back,
 * and the tail reader's bounds (a gzip bomb, a FIFO behind a symbolic link).
 */
import test, { type ExecutionContext } from "ava";
import { spawn, spawnSync } from "node:child_process";
import { createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createAuditLogService } from "../src/index.js";
import { chainHash, checkpointToken, recordToken, signedMessage, splitChainField, ZERO_HASH } from "../src/integrity/token.js";
import { readHmacKeyFile } from "../src/integrity/keys.js";
import { runCli } from "./lib/cli.js";
import { listDir, readLines, writeLines, writeProperties } from "./lib/helpers.js";
import { copyLogs, describeFindings, INTEGRITY_SETTINGS, integritySetup, reasonOf, tokenOf, verifyJson, verifyLog, type IntegritySetup } from "./lib/integrity.js";

const child = fileURLToPath(new URL("./programs/integrity-child.js", import.meta.url));

const BASE: Record<string, string> = { ...INTEGRITY_SETTINGS, "file.size": "1MB", "file.count": "50" };

const setup = (t: ExecutionContext, settings: Record<string, string> = {}, keyText?: string): IntegritySetup => integritySetup(t, { base: BASE, settings, keyText, prefix: "slf4ts-attack-" });

/** One run of the logger in a child process: `count` records, then a clean shutdown. */
function run(s: IntegritySetup, count: number, how = "return"): string {
  const result = spawnSync(process.execPath, [child, s.props, String(count), how], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`child exited ${result.status} (${result.signal}): ${result.stderr}`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------
// Untouched logs verify intact.

test("untouched: restarts after clean shutdowns link session to session, no warnings (child processes)", async (t) => {
  const s = setup(t, { "file.size": "8KB" });
  run(s, 40);
  run(s, 40);
  run(s, 40);
  const { code, report, warnings } = await verifyLog(s);
  t.is(code, 0, describeFindings(report));
  t.deepEqual(warnings, []);
  const sessions = report.logs[0]?.sessions ?? [];
  t.is(sessions.length, 3);
  t.is(sessions[1]?.resumedFrom, sessions[0]?.id);
  t.is(sessions[2]?.resumedFrom, sessions[1]?.id);
  t.regex(report.logs[0]?.logId ?? "", /^[A-Za-z0-9_-]{16}$/);
  t.true(listDir(s.logs).length > 1, "it rotated");
});

test("untouched: integrity off and on again by reloads, and across a restart, verifies intact", async (t) => {
  const s = setup(t);
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 15; i++) audit.log("ox.login", { seq: i });
  s.write({ "integrity.mode": "off" });
  await audit.reload();
  for (let i = 15; i < 20; i++) audit.log("ox.login", { seq: i });
  s.write({});
  await audit.reload();
  for (let i = 20; i < 30; i++) audit.log("ox.login", { seq: i });
  s.write({ "integrity.mode": "off" });
  await audit.reload();
  for (let i = 30; i < 33; i++) audit.log("ox.login", { seq: i });
  await audit.shutdown();
  // Turned on again in a new process.
  s.write({});
  run(s, 12);
  const lines = readLines(s.active);
  t.is(lines.filter((l) => reasonOf(l) === "integrity-off").length, 2);
  t.is(lines.filter((l) => reasonOf(l) === "genesis").length, 1);
  const { code, report, warnings } = await verifyLog(s);
  t.is(code, 0, describeFindings(report));
  t.deepEqual(warnings, ["unchained"]);
  t.is(report.logs[0]?.unchained, 8);
  t.is(report.logs[0]?.sessions.length, 3);
});

test("untouched: integrity off for several rotations, then on again in a new process: it links to the integrity-off checkpoint", async (t) => {
  const s = setup(t, { "file.size": "4KB" });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 15; i++) audit.log("ox.login", { seq: i });
  s.write({ "file.size": "4KB", "integrity.mode": "off" });
  await audit.reload();
  for (let i = 15; i < 400; i++) audit.log("ox.login", { seq: i, pad: "p".repeat(20) });
  await audit.shutdown();
  t.true(listDir(s.logs).length > 4, "the integrity-off checkpoint is far behind the end of the log");
  s.write({ "file.size": "4KB" });
  run(s, 10);
  const resume = listDir(s.logs)
    .flatMap((n) => readLines(join(s.logs, n)))
    .find((l) => reasonOf(l) === "resume");
  t.true(resume?.includes("resumed.file=audit.log.chain"), resume);
  const { code, report, warnings } = await verifyLog(s);
  t.is(code, 0, describeFindings(report));
  t.deepEqual(warnings, ["unchained"]);
});

test("untouched: gzip archives and a restart right after a rotation (the link is in the newest archive, compressed)", async (t) => {
  const s = setup(t, { "file.size": "4KB" });
  run(s, 60);
  // The state right after a rotation and its compression: archives shifted, the active file
  // (ending with the shutdown checkpoint) became audit.log.1.gz, a new active file is empty.
  const archives = listDir(s.logs).filter((n) => n !== "audit.log").map((n) => Number(n.split(".")[2])).sort((a, b) => b - a);
  for (const i of archives) renameSync(`${s.active}.${i}`, `${s.active}.${i + 1}`);
  writeFileSync(`${s.active}.1.gz`, gzipSync(readFileSync(s.active)));
  writeFileSync(s.active, "");
  run(s, 60);
  const resume = listDir(s.logs)
    .filter((n) => !n.endsWith(".gz"))
    .flatMap((n) => readLines(join(s.logs, n)))
    .find((l) => reasonOf(l) === "resume");
  t.true(resume?.includes("resumed.file=audit.log.1.gz"), resume);
  const { code, report } = await verifyLog(s);
  t.is(code, 0, describeFindings(report));
  t.is(report.logs[0]?.sessions.length, 2);
  t.is(report.logs[0]?.sessions[1]?.resumedFrom, report.logs[0]?.sessions[0]?.id);
});

test("untouched: an older version's log followed by this version's genesis: older lines are a warning", async (t) => {
  const s = setup(t);
  mkdirSync(s.logs, { recursive: true });
  // A log of the previous format (token version 1): a start checkpoint and two records.
  const session = "OldSession12";
  const lines: string[] = [];
  let prev = ZERO_HASH;
  const bodies = ["slf4ts.audit.checkpoint, reason=start", "ox.login, seq=old1", "ox.login, seq=old2"];
  bodies.forEach((body, seq) => {
    const token =
      seq === 0 ? checkpointToken(session, 0, prev, { alg: "hs256", epoch: undefined, time: Date.now() - 1000, reason: "start", signature: "x".repeat(43) }) : recordToken(session, seq, prev).replace(/^2\./, "1.");
    lines.push(`${body}\tchain=${token}`);
    prev = chainHash(prev, session, seq, body);
  });
  writeLines(s.active, lines);
  run(s, 5);
  const all = readLines(s.active);
  t.is(reasonOf(all[3] as string), "genesis", "the old format's lines cannot be linked to: a new log begins");
  const { code, report, warnings } = await verifyLog(s);
  t.is(code, 0, describeFindings(report));
  t.deepEqual(warnings, ["older-version"]);
});

// ---------------------------------------------------------------------------------------------
// Attacks.

test("attack: strip the chain field from every line and edit a record", async (t) => {
  const s = setup(t, { "file.size": "4KB" });
  run(s, 50);
  run(s, 50);
  const c = copyLogs(s, "stripped");
  for (const name of listDir(c.logs)) {
    const path = join(c.logs, name);
    writeLines(path, readLines(path).map((l) => splitChainField(l).body.replace("login=user1", "login=mallory")));
  }
  const { code, kinds, report } = await verifyLog(c);
  t.is(code, 1);
  t.deepEqual(kinds, ["unverified"], describeFindings(report));
  // The same without the properties file (only the key) is found too.
  const keyOnly = await verifyJson(["--key", c.key, c.logs]);
  t.is(keyOnly.code, 1);
});

test("attack: strip the chain field from every line before the last session's start and edit them", async (t) => {
  const s = setup(t, { "file.size": "4KB" });
  run(s, 50);
  run(s, 50);
  const c = copyLogs(s, "stripped");
  // Oldest first: every line before the second run's resume checkpoint loses its chain field.
  const names = listDir(c.logs).sort((a, b) => (Number(b.split(".")[2] ?? 0) || 0) - (Number(a.split(".")[2] ?? 0) || 0));
  let seen = false;
  for (const name of names) {
    const path = join(c.logs, name);
    writeLines(
      path,
      readLines(path).map((l) => {
        if (reasonOf(l) === "resume") seen = true;
        return seen ? l : splitChainField(l).body.replace("login=user1", "login=mallory");
      }),
    );
  }
  t.true(seen);
  const { code, kinds } = await verifyLog(c);
  t.is(code, 1);
  t.true(kinds.includes("unverified"), kinds.join());
});

test("attack: splice a whole session from another log that uses the same key", async (t) => {
  const key = `${randomBytes(32).toString("hex")}\n`;
  const s = setup(t, {}, key);
  const other = setup(t, {}, key);
  run(s, 30);
  run(other, 30);
  run(other, 30);
  run(s, 30);
  // The other log's second session (resume … shutdown) goes between this log's two runs; its
  // checkpoints verify with the key, and its start links to a checkpoint of its own log.
  const mine = readLines(s.active);
  const theirs = readLines(other.active);
  const cut = mine.findIndex((l) => reasonOf(l) === "resume");
  const foreign = theirs.slice(theirs.findIndex((l) => reasonOf(l) === "resume"));
  const c = copyLogs(s, "spliced");
  writeLines(c.active, [...mine.slice(0, cut), ...foreign, ...mine.slice(cut)]);
  const { code, kinds, report } = await verifyLog(c);
  t.is(code, 1);
  t.true(kinds.includes("spliced"), describeFindings(report));
  // Its genesis session instead: a zero-prev start in the middle of the log.
  const genesis = theirs.slice(0, theirs.findIndex((l) => reasonOf(l) === "resume"));
  const c2 = copyLogs(s, "spliced-genesis");
  writeLines(c2.active, [...mine.slice(0, cut), ...genesis, ...mine.slice(cut)]);
  const second = await verifyLog(c2);
  t.is(second.code, 1);
  t.true(second.kinds.includes("spliced") && second.kinds.includes("inserted"), describeFindings(second.report));
  t.true(second.report.logs[0]?.findings.some((f) => f.message.includes("from nothing (a genesis) in the middle of the log")));
});

test("attack: a line appended after a clean shutdown is not sealed by the next start (child processes)", async (t) => {
  for (const variant of ["chained", "unchained"] as const) {
    const s = setup(t);
    run(s, 20);
    const lines = readLines(s.active);
    const last = lines.at(-1) as string;
    t.is(reasonOf(last), "shutdown");
    const token = tokenOf(last)!;
    const hash = chainHash(token.prev, token.session, token.seq, splitChainField(last).body);
    // A well-formed record of the closed session, linked to its shutdown checkpoint; or a plain one.
    const forged = variant === "chained" ? `ox.login, seq=forged, login=mallory\tchain=${recordToken(token.session, token.seq + 1, hash)}` : "ox.login, seq=forged, login=mallory";
    appendFileSync(s.active, `${forged}\n`);
    run(s, 20);
    const after = readLines(s.active);
    const resume = after[lines.length + 1] as string;
    t.is(reasonOf(resume), "resume", resume);
    t.is(tokenOf(resume)?.prev, hash, "the new session links to the shutdown checkpoint, not to the appended line");
    t.true(resume.includes("unvouched=1"), resume);
    const { code, kinds, report } = await verifyLog(s);
    t.is(code, 1, variant);
    t.deepEqual(kinds, ["inserted"], describeFindings(report));
  }
});

test("attack: a forged checkpoint appended after a shutdown is checked by the next start (Ed25519: with the public key of its private key) and not linked to", async (t) => {
  for (const mode of ["ed25519", "hmac"] as const) {
    const s = setup(t);
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    writeFileSync(join(s.dir, "ed.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(s.dir, "ed.pub.pem"), publicKey.export({ type: "spki", format: "pem" }));
    if (mode === "ed25519") s.write({ "integrity.mode": "ed25519", "integrity.key": "ed.pem" });
    run(s, 20);
    const lines = readLines(s.active);
    const last = lines.at(-1) as string;
    const token = tokenOf(last)!;
    const cp = token.checkpoint!;
    const hash = chainHash(token.prev, token.session, token.seq, splitChainField(last).body);
    // A well-formed checkpoint of the closed session, linked to its shutdown checkpoint, signed with garbage.
    const body = "slf4ts.audit.checkpoint, reason=records, forged=yes";
    const forged = `${body}\tchain=${checkpointToken(token.session, token.seq + 1, hash, { ...cp, reason: "records", signature: randomBytes(mode === "ed25519" ? 64 : 32).toString("base64url") })}`;
    appendFileSync(s.active, `${forged}\n`);
    run(s, 20);
    const resume = readLines(s.active)[lines.length + 1] as string;
    t.is(tokenOf(resume)?.prev, hash, `${mode}: linked to the real shutdown checkpoint, not the forged one`);
    t.true(resume.includes("unvouched=1"), resume);
    const args = mode === "ed25519" ? ["--public-key", join(s.dir, "ed.pub.pem")] : ["--key", s.key];
    const { code, kinds, report } = await verifyJson([...args, s.logs]);
    t.is(code, 1);
    t.deepEqual(kinds, ["bad-signature", "inserted"], describeFindings(report));
  }
});

/** A record line chained by hand (no key is needed for that). */
const chained = (body: string, session: string, seq: number, prev: string): string => `${body}\tchain=${recordToken(session, seq, prev)}`;

/** Appends `count` forged records to `lines`, chained after the line at `lines.at(-1)` (of its session). */
function forgeAfter(lines: string[], count: number, session?: string, seq?: number, prev?: string): void {
  const last = lines.at(-1) as string;
  const token = tokenOf(last)!;
  const s = session ?? token.session;
  let q = seq ?? token.seq + 1;
  let p = prev ?? chainHash(token.prev, token.session, token.seq, splitChainField(last).body);
  for (let k = 0; k < count; k++) {
    const body = `ox.login, login=forged${k}`;
    lines.push(chained(body, s, q, p));
    p = chainHash(p, s, q, body);
    q++;
  }
}

test("attack (signing oracle): a checkpoint of the other algorithm, or of an older key epoch, with forged records after it: the next start does not seal them (no `recovered`), verify finds them", async (t) => {
  for (const fake of ["ed25519", "older-epoch"] as const) {
    // Key evolution: epochs of 600 s from an hour ago (the verifier keeps the initial key).
    const start = new Date(Math.floor(Date.now() / 3600e3) * 3600e3 - 3600e3).toISOString().replace(".000", "");
    const keyText = fake === "older-epoch" ? `secret=${randomBytes(32).toString("hex")}\nstart=${start}\nseconds=600\n` : undefined;
    const s0 = setup(t, fake === "older-epoch" ? { "integrity.epoch": "600" } : {}, keyText);
    const s = fake === "older-epoch" ? { ...s0, key: join(s0.dir, "audit.key.initial") } : s0;
    if (keyText !== undefined) writeFileSync(s.key, keyText, { mode: 0o600 });
    run(s, 25);
    const lines = readLines(s.active);
    const real = tokenOf(lines.at(-1) as string)!.checkpoint!;
    // An invented session, its "checkpoint" signed with garbage: the logger cannot check an
    // Ed25519 signature with its HMAC key, nor an older epoch's HMAC with its evolved key.
    const session = "EVILEVILEVIL";
    const prev = "B".repeat(43);
    const body = `slf4ts.audit.checkpoint, reason=records, session=${session}, seq=5`;
    const fields = fake === "ed25519" ? { ...real, alg: "ed25519" as const, epoch: undefined } : { ...real, epoch: (real.epoch ?? 1) - 1, time: Date.parse(start) + ((real.epoch ?? 1) - 1) * 600_000 + 1000 };
    lines.push(`${body}\tchain=${checkpointToken(session, 5, prev, { ...fields, reason: "records", signature: randomBytes(fake === "ed25519" ? 64 : 32).toString("base64url") })}`);
    forgeAfter(lines, 3, session, 6, chainHash(prev, session, 5, body));
    writeLines(s.active, lines);
    run(s, 2);
    const after = readLines(s.active);
    t.false(after.some((l) => reasonOf(l) === "recovered"), `${fake}: the logger sealed forged records:\n${after.filter((l) => reasonOf(l) !== undefined).join("\n")}`);
    const r = await verifyLog(s);
    t.is(r.code, 1, `${fake}: ${describeFindings(r.report)}`);
    t.true(r.kinds.includes("unverified"), `${fake}: ${describeFindings(r.report)}`);
  }
});

test("attack (reopen a closed session): its closing checkpoint and sealed records deleted back to a periodic checkpoint, more forged records appended than checkpoint.records: not adopted by the next start, found", async (t) => {
  const s = setup(t);
  run(s, 45);
  let lines = readLines(s.active);
  // Back to the session's first periodic checkpoint (after 10 records), 30 forged records after it.
  const cut = lines.findIndex((l, i) => i > 0 && reasonOf(l) === "records");
  lines = lines.slice(0, cut + 1);
  forgeAfter(lines, 30);
  writeLines(s.active, lines);
  run(s, 5);
  const after = readLines(s.active);
  t.false(after.some((l) => reasonOf(l) === "recovered"), after.filter((l) => reasonOf(l) !== undefined).join("\n"));
  const r = await verifyLog(s);
  t.is(r.code, 1, describeFindings(r.report));
  t.deepEqual(r.kinds, ["unverified"], describeFindings(r.report));
});

/**
 * A `recovered` checkpoint sealing `lines` up to their end, signed with the real key: what a
 * version of the logger that was a signing oracle (or any bug in its adoption) wrote. Verify
 * alone must still refuse what it could not have sealed legitimately.
 */
function sealAsRecovered(s: IntegritySetup, lines: string[], log: string, count: number): void {
  const last = lines.at(-1) as string;
  const token = tokenOf(last)!;
  const prev = chainHash(token.prev, token.session, token.seq, splitChainField(last).body);
  const seq = token.seq + 1;
  const time = Date.now();
  const body = `slf4ts.audit.checkpoint, reason=recovered, session=${token.session}, seq=${seq}, records=${count}, records.max=10, alg=hs256, recovered.by=XXXXXXXXXXXX, recovered.from.seq=${seq - count}`;
  const hash = chainHash(prev, token.session, seq, body);
  const signature = createHmac("sha256", readHmacKeyFile(s.key).secret).update(signedMessage(token.session, seq, hash, "hs256", undefined, time, "recovered", log, "s")).digest("base64url");
  lines.push(`${body}\tchain=${checkpointToken(token.session, seq, prev, { alg: "hs256", epoch: undefined, time, reason: "recovered", signature, log, mode: "s" })}`);
}

test("verify alone: a signed `recovered` checkpoint over more records than the session's checkpoint.records (records.max), or over a session with no verified checkpoint before them, is a finding", async (t) => {
  const s = setup(t);
  run(s, 45);
  const clean = readLines(s.active);
  const log = tokenOf(clean.at(-1) as string)!.checkpoint!.log as string;
  // 1: a closed session reopened: cut back to its first periodic checkpoint, 30 records added.
  let lines = clean.slice(0, clean.findIndex((l, i) => i > 0 && reasonOf(l) === "records") + 1);
  forgeAfter(lines, 30);
  sealAsRecovered(s, lines, log, 30);
  writeLines(s.active, lines);
  let r = await verifyLog(s);
  t.is(r.code, 1, describeFindings(r.report));
  t.deepEqual(r.kinds, ["unverified"], describeFindings(r.report));
  t.regex(describeFindings(r.report), /more than its process could have left unsealed when killed \(integrity\.checkpoint\.records=10\)/);
  // The same tail of 10 (= checkpoint.records, a kill right before the due checkpoint) is a warning.
  lines = clean.slice(0, clean.findIndex((l, i) => i > 0 && reasonOf(l) === "records") + 1);
  forgeAfter(lines, 10);
  sealAsRecovered(s, lines, log, 10);
  writeLines(s.active, lines);
  r = await verifyLog(s);
  t.is(r.code, 0, describeFindings(r.report));
  t.deepEqual(r.warnings, ["recovered"]);
  // 2: an invented session after the real log: records, no checkpoint of it, then `recovered`.
  lines = [...clean];
  forgeAfter(lines, 3, "EVILEVILEVIL", 6, "B".repeat(43));
  sealAsRecovered(s, lines, log, 3);
  writeLines(s.active, lines);
  r = await verifyLog(s);
  t.is(r.code, 1, describeFindings(r.report));
  t.regex(describeFindings(r.report), /no verified checkpoint of that session stands before them/);
});

test("attack (format-1 excuse): chain fields stripped from the head of the oldest archive, one invented format-1 line put before them: found", async (t) => {
  const s = setup(t, { "file.size": "4KB", "file.count": "5" });
  run(s, 400);
  const oldest = join(s.logs, "audit.log.5");
  const lines = readLines(oldest);
  for (let i = 0; i < 12; i++) lines[i] = splitChainField(lines[i] as string).body.replace("login=", "login=changed");
  lines.unshift(`ox.login, note=old\tchain=1.AAAAAAAAAAAA.0.${ZERO_HASH}`);
  writeLines(oldest, lines);
  const r = await verifyLog(s);
  t.is(r.code, 1, describeFindings(r.report));
  t.true(r.kinds.includes("unverified"), describeFindings(r.report));
});

test("attack (split archive): the two oldest archives deleted and the oldest remaining one split in three, so that file.count still matches: found (a single writer ends every file with its rotation checkpoint)", async (t) => {
  const s = setup(t, { "file.size": "4KB", "file.count": "5" });
  run(s, 400);
  const before = await verifyLog(s);
  t.is(before.code, 0, describeFindings(before.report));
  const lines = readLines(join(s.logs, "audit.log.3"));
  const k = Math.floor(lines.length / 3);
  writeLines(join(s.logs, "audit.log.5"), lines.slice(0, k));
  writeLines(join(s.logs, "audit.log.4"), lines.slice(k, 2 * k));
  writeLines(join(s.logs, "audit.log.3"), lines.slice(2 * k));
  const r = await verifyLog(s);
  t.is(r.code, 1, describeFindings(r.report));
  t.deepEqual(r.kinds, ["truncated"], describeFindings(r.report));
  t.regex(describeFindings(r.report), /audit\.log\.5 ends inside session \S+ \(seq \d+, audit\.log\.5:\d+\) without its rotation checkpoint/);
});

test("an archive present plain and compressed (a crash between the .gz rename and the unlink): the same lines are read once (a warning, exit 0); different lines are a finding", async (t) => {
  const s = setup(t, { "file.size": "4KB" });
  run(s, 200);
  const plain = join(s.logs, "audit.log.2");
  writeFileSync(`${plain}.gz`, gzipSync(readFileSync(plain)));
  const same = await verifyLog(s);
  t.is(same.code, 0, describeFindings(same.report));
  // Byte for byte the same: the file reader reads the pair once and says why.
  t.deepEqual(same.warnings, ["interrupted"], JSON.stringify(same.report.logs[0]?.warnings));
  const lines = readLines(plain);
  lines[3] = (lines[3] as string).replace("login=", "login=x");
  writeFileSync(`${plain}.gz`, gzipSync(lines.map((l) => `${l}\n`).join("")));
  const differ = await verifyLog(s);
  t.is(differ.code, 1, describeFindings(differ.report));
  t.true(differ.kinds.includes("replaced-archive"), describeFindings(differ.report));
});

test("integrity turned off by a restart (not a reload): the plain lines after the shutdown checkpoint are a finding whose message names that cause and the fix", async (t) => {
  const s = setup(t);
  run(s, 5);
  const { "integrity.mode": _mode, "integrity.key": _key, ...plain } = BASE;
  writeProperties(s.props, plain);
  run(s, 3);
  const r = await verifyLog(s);
  t.is(r.code, 1, describeFindings(r.report));
  t.deepEqual(r.kinds, ["inserted"], describeFindings(r.report));
  t.regex(describeFindings(r.report), /after the checkpoint that closed session \S+ .*or integrity was turned off by a restart: turn it off by a reload/);
});

test("attack (whole folder replaced by another log with the same key): found with verify --log-id (the identity kept elsewhere)", async (t) => {
  const key = `${randomBytes(32).toString("hex")}\n`;
  const a = setup(t, {}, key);
  const b = setup(t, {}, key);
  run(a, 15);
  run(b, 15);
  const idA = (await verifyLog(a)).report.logs[0]?.logId as string;
  t.regex(idA, /^[A-Za-z0-9_-]{16}$/);
  t.is((await verifyLog(a, { args: ["--log-id", idA] })).code, 0);
  // The folder of log a replaced by log b: intact on its own, but not the log a's owner recorded.
  const r = await verifyLog(b, { args: ["--log-id", idA] });
  t.is(r.code, 1, describeFindings(r.report));
  t.deepEqual(r.kinds, ["spliced"], describeFindings(r.report));
  const { code, err } = await runCli(["verify", "--key", a.key, "--log-id", "x y", a.logs]);
  t.is(code, 2);
  t.regex(err, /--log-id expects the log's identity \(16 base64url characters, as verify prints it\), not "x y"/);
});

test("attack: integrity off and on, then the old session's tail and its signed integrity-off checkpoint deleted", async (t) => {
  const s = setup(t);
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 15; i++) audit.log("ox.login", { seq: i });
  s.write({ "integrity.mode": "off" });
  await audit.reload();
  for (let i = 15; i < 18; i++) audit.log("ox.login", { seq: i });
  s.write({});
  await audit.reload();
  for (let i = 18; i < 30; i++) audit.log("ox.login", { seq: i });
  await audit.shutdown();
  const lines = readLines(s.active);
  const off = lines.findIndex((l) => reasonOf(l) === "integrity-off");
  const resume = lines.findIndex((l) => reasonOf(l) === "resume");
  t.true(off > 0 && resume > off);
  t.is(tokenOf(lines[resume] as string)?.prev, chainHash(tokenOf(lines[off] as string)!.prev, tokenOf(lines[off] as string)!.session, tokenOf(lines[off] as string)!.seq, splitChainField(lines[off] as string).body), "the new session links to the integrity-off checkpoint");
  t.is((await verifyLog(s)).code, 0);
  // Delete the records after the last records checkpoint, and the integrity-off checkpoint.
  const lastRecordsCp = lines.slice(0, off).findLastIndex((l) => reasonOf(l) === "records");
  const c = copyLogs(s, "cut");
  writeLines(c.active, [...lines.slice(0, lastRecordsCp + 1), ...lines.slice(off + 1)]);
  const { code, kinds, report } = await verifyLog(c);
  t.is(code, 1);
  t.true(kinds.includes("deleted"), describeFindings(report));
});

test("attack: a fake session in the oldest file", async (t) => {
  const s = setup(t, { "file.size": "4KB" });
  run(s, 60);
  const names = listDir(s.logs);
  const oldest = Math.max(...names.map((n) => Number(n.split(".")[2] ?? 0)));
  // A session of made-up records (no key: no checkpoint can be made), older than everything.
  const fake = "FakeSession1";
  const out: string[] = [];
  let prev = randomBytes(32).toString("base64url");
  for (let seq = 5; seq < 12; seq++) {
    const body = `ox.login, seq=${seq}, login=mallory`;
    out.push(`${body}\tchain=${recordToken(fake, seq, prev)}`);
    prev = chainHash(prev, fake, seq, body);
  }
  const c = copyLogs(s, "fake");
  writeLines(join(c.logs, `audit.log.${oldest + 1}`), out);
  const { code, kinds, report } = await verifyLog(c);
  t.is(code, 1);
  t.true(kinds.includes("unverified"), describeFindings(report));
  // With a forged genesis checkpoint in front of it: its signature cannot be made.
  const body = "slf4ts.audit.checkpoint, reason=genesis";
  const cp = `${body}\tchain=${checkpointToken(fake, 4, ZERO_HASH, { alg: "hs256", epoch: undefined, time: Date.now() - 60_000, reason: "genesis", signature: randomBytes(32).toString("base64url"), log: "AAAAAAAAAAAAAAAA", mode: "s" })}`;
  writeLines(join(c.logs, `audit.log.${oldest + 1}`), [cp, ...out]);
  const second = await verifyLog(c);
  t.is(second.code, 1);
  t.true(second.kinds.includes("bad-signature"), describeFindings(second.report));
});

test("attack: the only file truncated while the logger runs", async (t) => {
  const s = setup(t);
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 25; i++) audit.log("ox.login", { seq: i });
  truncateSync(s.active, 0);
  for (let i = 25; i < 40; i++) audit.log("ox.login", { seq: i });
  await audit.shutdown();
  t.deepEqual(listDir(s.logs), ["audit.log"]);
  const { code, kinds, report } = await verifyLog(s);
  t.is(code, 1);
  t.deepEqual(kinds, ["truncated"], describeFindings(report));
});

// ---------------------------------------------------------------------------------------------
// Clocks, sizes, the tail reader.

test("a wall clock stepped back 30 s is recorded (clock.step), not reported as tampering (child process)", async (t) => {
  const s = setup(t, { "integrity.checkpoint.records": "5" });
  run(s, 20, "clock-step");
  const lines = readLines(s.active);
  const stepped = lines.filter((l) => /clock\.step=-\d+/.test(l));
  t.true(stepped.length > 0, "checkpoints written while the clock is behind say so");
  const times = lines.map((l) => tokenOf(l)?.checkpoint?.time).filter((x): x is number => x !== undefined);
  t.deepEqual(times, [...times].sort((a, b) => a - b), "checkpoint times never go back");
  const { code, kinds, warnings, report } = await verifyLog(s);
  t.is(code, 0, describeFindings(report));
  t.deepEqual(kinds, []);
  t.deepEqual(warnings, []);
});

test("with integrity on, no archive exceeds file.size by more than one record (checkpoints count)", async (t) => {
  const s = setup(t, { "file.size": "2KB", "integrity.checkpoint.records": "3" });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < 300; i++) audit.log("ox.login", { seq: i, login: `user${i % 7}`, pad: "p".repeat(i % 40) });
  await audit.shutdown();
  const names = listDir(s.logs);
  t.true(names.length > 10);
  const longestRecord = Math.max(...names.flatMap((n) => readLines(join(s.logs, n)).filter((l) => !l.startsWith("slf4ts.audit.checkpoint")).map((l) => Buffer.byteLength(l) + 1)));
  for (const name of names) t.true(statSync(join(s.logs, name)).size <= 2048 + longestRecord, `${name}: ${statSync(join(s.logs, name)).size} bytes`);
  t.is((await verifyLog(s)).code, 0);
});

test("a gzip bomb as the newest archive: the first log() does not inflate it (memory bounded, child process)", async (t) => {
  const s = setup(t, { "file.compress": "true" });
  mkdirSync(s.logs, { recursive: true });
  // 1 GiB of zeros: 64 gzip members of 16 MiB each (gunzip reads them as one stream); the last
  // member's size field says 16 MiB, so only the bound on inflation stops it.
  const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  writeFileSync(`${s.active}.1.gz`, Buffer.concat(Array.from({ length: 64 }, () => member)));
  writeFileSync(s.active, "");
  const out = run(s, 1, "rss");
  const { maxRssKb } = JSON.parse(out.trim().split("\n").at(-1) as string) as { maxRssKb: number };
  t.true(maxRssKb < 400 * 1024, `peak RSS ${Math.round(maxRssKb / 1024)} MiB`);
  t.is(reasonOf(readLines(s.active)[0] as string), "genesis");
});

test("a symbolic link to a FIFO at the log path with integrity on: configure reports it, log() does not block, SIGTERM ends the process", async (t) => {
  const s = setup(t);
  mkdirSync(s.logs, { recursive: true });
  const fifo = join(s.dir, "fifo");
  const made = spawnSync("mkfifo", [fifo]);
  t.is(made.status, 0, "mkfifo (coreutils) is needed");
  symlinkSync(fifo, s.active);
  const proc = spawn(process.execPath, [child, s.props, "3", "hang"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 20_000);
    proc.stdout.on("data", () => {
      if (out.includes("ready")) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  t.true(ready, `the process logged without blocking: ${out} ${err}`);
  const ended = new Promise<string | null>((resolve) => proc.on("close", (_code, signal) => resolve(signal)));
  proc.kill("SIGTERM");
  const result = await Promise.race([ended, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
  if (result === "timeout") proc.kill("SIGKILL");
  t.not(result, "timeout", "SIGTERM ended it");
  t.regex(err, /audit\.log/, "the bad path was reported");
});
