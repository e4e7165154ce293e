/**
 * The chain's witness (issue 13 item 8): a syslog target with integrity=on carries every line of
 * the chain to a real rsyslog, which writes them with the documented template (`%msg%\n`,
 * `slf4tsWitness`); `slf4ts-audit verify --witness` compares the host's files with that copy.
 * The attacker's tests tamper with one side and check what is reported, and exit codes.
 */
import test from "ava";
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAuditLogService } from "../src/index.js";
import { runCli } from "./lib/cli.js";
import { captureStatus, readLines, writeLines } from "./lib/helpers.js";
import { INTEGRITY_SETTINGS, integritySetup, reasonOf, tokenOf } from "./lib/integrity.js";
import { allHostLines, copyHostLogs, logThroughRsyslog, verifyWitness, type WitnessRun } from "./lib/witness.js";

type Run = WitnessRun;
const copy = copyHostLogs;
const verify = (run: Run, logs: string, witness = run.witness): ReturnType<typeof verifyWitness> => verifyWitness(run, logs, witness);

test("the central copy written by rsyslog holds every line of the chain, and --witness finds it intact", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const host = allHostLines(run.s.logs);
  // genesis, 12 records, 2 checkpoints by count, shutdown.
  t.is(host.length, 16);
  const central = readLines(run.witness);
  // rsyslog escapes the TAB before chain= as #011 by default; the rest arrives as the file holds it.
  t.deepEqual(central.map((l) => l.replace("#011chain=", "\tchain=")), host);
  const { code, out } = await verify(run, run.s.logs);
  t.is(code, 0, out);
  t.regex(out, /witness .*central\.log: 1 file\(s\), 16 line\(s\) of this log, 0 resent duplicate\(s\), 0 other line\(s\)/);
  t.regex(out, /Result: INTACT \(0 warnings\)/);
});

test("tail truncation on the host: its own verify says intact, --witness reports the missing records and checkpoints", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const logs = copy(run, "truncated");
  const lines = readLines(join(logs, "audit.log"));
  // Cut after the second checkpoint (seq 6: genesis, 5 records, records checkpoint): a valid chain remains.
  const cut = lines.findIndex((l, i) => i > 0 && reasonOf(l) === "records");
  t.true(cut > 0);
  writeLines(join(logs, "audit.log"), lines.slice(0, cut + 1));
  const own = await runCli(["verify", "--key", run.s.key, join(logs, "audit.log")]);
  t.is(own.code, 0, own.out);
  t.regex(own.out, /Result: INTACT/);
  const { code, out } = await verify(run, logs);
  t.is(code, 1, out);
  t.regex(out, /FINDING witness-missing +9 line\(s\) of session \S+ \(seq 7-15, first central central\.log:8\) are at the centre, sealed by its verified checkpoints, but not in the host's files: deleted on the host \(the newest lines: tail truncation\)/);
  t.regex(out, /Result: TAMPERING OR DAMAGE FOUND \(1 finding, 0 warnings\)/);
});

test("a record deleted in the middle of the host's file is missing against the centre", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const logs = copy(run, "deleted");
  const lines = readLines(join(logs, "audit.log"));
  writeLines(join(logs, "audit.log"), [...lines.slice(0, 3), ...lines.slice(4)]);
  const { code, out } = await verify(run, logs);
  t.is(code, 1, out);
  t.regex(out, /FINDING witness-missing +1 line\(s\) of session \S+ \(seq 3, first central central\.log:4\)/);
  // The host's own chain finds the gap too.
  t.regex(out, /FINDING deleted/);
});

test("a record changed on the host differs from the centre, which vouches for its own copy", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const logs = copy(run, "changed");
  const lines = readLines(join(logs, "audit.log"));
  lines[2] = (lines[2] as string).replace("login=user1", "login=eve");
  writeLines(join(logs, "audit.log"), lines);
  const { code, out } = await verify(run, logs);
  t.is(code, 1, out);
  t.regex(out, /FINDING witness-differs +audit\.log:3 and central central\.log:3 \(session \S+, seq 2\) differ: the centre's copy is sealed by its checkpoints and the host's is not: the host's line was changed/);
});

test("a line changed at the centre is blamed on the centre, not on the host", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const forged = join(run.s.dir, "forged.log");
  const central = readLines(run.witness);
  central[2] = (central[2] as string).replace("login=user1", "login=eve");
  writeLines(forged, central);
  const { code, out } = await verify(run, run.s.logs, forged);
  t.is(code, 1, out);
  t.regex(out, /FINDING witness-differs +audit\.log:3 and central forged\.log:3 \(session \S+, seq 2\) differ: the host's copy is sealed by its checkpoints and the centre's is not: the central line was changed/);
  t.notRegex(out, /witness-missing/);
});

test("a central checkpoint forged (records appended at the centre with a made-up checkpoint) is witness-forged, not missing on the host", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const forged = join(run.s.dir, "forged.log");
  const central = readLines(run.witness);
  const last = central[central.length - 1] as string;
  const token = tokenOf(last.replace("#011chain=", "\tchain="));
  t.truthy(token);
  // A checkpoint of the same session one seq later, its signature made up.
  const fake = last.replace(`.${token?.seq}.`, `.${(token?.seq ?? 0) + 1}.`).replace(/\.[A-Za-z0-9_-]+$/, ".AAAA");
  writeLines(forged, [...central, fake]);
  const { code, out } = await verify(run, run.s.logs, forged);
  t.is(code, 1, out);
  t.regex(out, /FINDING witness-forged +central checkpoint forged\.log:17 .* does not verify with the key given/);
  t.notRegex(out, /witness-missing/);
  t.regex(out, /WARNING witness-unsealed +1 line\(s\)/);
});

test("a line repeated at the centre (a resend after a lost acknowledgement) is counted, not a finding; other hosts' lines are left alone", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const central = readLines(run.witness);
  appendFileSync(run.witness, `${central[5]}\n${central[6]}\nsome other host's message\n`);
  const { code, out } = await verify(run, run.s.logs);
  t.is(code, 0, out);
  t.regex(out, /16 line\(s\) of this log, 2 resent duplicate\(s\), 1 other line\(s\)/);
});

test("records the receiver never got are reported as undelivered (a warning), exit 0", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  // The central copy lost its last 4 lines (receiver down, records still spooled on the host).
  const partial = join(run.s.dir, "partial.log");
  writeLines(partial, readLines(run.witness).slice(0, 12));
  const { code, out } = await verify(run, run.s.logs, partial);
  t.is(code, 0, out);
  t.regex(out, /WARNING witness-undelivered +the newest 4 line\(s\) of session \S+ \(seq 12-15, first audit\.log:13\) are not at the centre: not delivered yet \(still buffered or spooled on the host while the receiver is down or behind/);
});

test("rotation across several archives: the witness compares every archive, and a deleted archive's lines are missing", async (t) => {
  const run = await logThroughRsyslog(t, 60, { "file.size": "3KB", "file.count": "20" });
  const archives = readdirSync(run.s.logs).filter((n) => /^audit\.log\.[0-9]+$/.test(n));
  t.true(archives.length >= 2, archives.join(","));
  const ok = await verify(run, run.s.logs);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, /Result: INTACT \(0 warnings\)/);
  // Someone removes the active file and the newest archive and renames the rest (the tail of the log is gone).
  const logs = copy(run, "rotated");
  const newest = readLines(join(logs, "audit.log.1"));
  writeFileSync(join(logs, "audit.log"), readFileSync(join(logs, "audit.log.1")));
  t.true(newest.length > 0);
  const { code, out } = await verify(run, logs);
  t.is(code, 1, out);
  t.regex(out, /FINDING witness-missing/);
});

test("integrity=on where it cannot work is a configuration error naming key, value, line and what is expected", async (t) => {
  captureStatus(t);
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ "integrity.mode": "off" }, /line \d+: com\.openexchange\.log\.audit\.slf4j\.target\.central\.integrity = "on": integrity=on carries the lines of the hash chain, and integrity\.mode is off; expected integrity\.mode hmac or ed25519, or integrity=off/],
    [{ "target.central.type": "tcp", "target.central.port": "6514", "target.central.format": "json" }, /target\.central\.integrity = "on": integrity=on carries each line exactly as the hash chain sealed it, which format=rfc5424 \(as MSG\) and format=plain can; this target writes json/],
    [{ "target.central.include": "ox.login" }, /target\.central\.integrity = "on": integrity=on carries every line of the chain, and include would leave gaps/],
  ];
  for (const [settings, expected] of cases) {
    const s = integritySetup(t, {
      base: INTEGRITY_SETTINGS,
      settings: { "target.central.type": "syslog", "target.central.host": "127.0.0.1", "target.central.integrity": "on", ...settings },
    });
    const audit = createAuditLogService();
    t.teardown(() => audit.shutdown());
    const error = await t.throwsAsync(audit.configure({ propertiesFile: s.props, watch: false }));
    t.regex(error?.message ?? "", expected);
  }
});

test("a receiver killed while writing leaves a line cut short with the next one appended: not tampering; the whole line is taken out only where the centre's chain proves it", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const central = readLines(run.witness);
  t.is(central.length, 16);
  // rsyslog killed in the middle of seq 8: 40 characters of it reached the disk, no line feed; after the restart seq 9 is appended to them.
  const cutBytes = Buffer.byteLength((central[8] as string).slice(0, 40));
  const merged = (central[8] as string).slice(0, 40) + (central[9] as string);
  // TCP sends seq 8 and 9 again after the restart.
  const resent = join(run.s.dir, "resent.log");
  writeLines(resent, [...central.slice(0, 8), merged, ...central.slice(8)]);
  const ok = await verify(run, run.s.logs, resent);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, /16 line\(s\) of this log, 1 resent duplicate\(s\)/);
  t.regex(ok.out, new RegExp(`WARNING witness-cut +central resent\\.log:9 holds ${cutBytes} byte\\(s\\) of a line cut short, then the whole line of session \\S+ seq 9: the receiver stopped while writing`));
  t.regex(ok.out, /Result: INTACT \(1 warning\)/);

  // The host's tail cut after seq 6, and seq 9 only in the merged row (seq 8 never came again): the
  // centre's chain (seq 10's prev) proves seq 9, so the truncation is reported from seq 9 on.
  const logs = copy(run, "truncated");
  const lines = readLines(join(logs, "audit.log"));
  writeLines(join(logs, "audit.log"), lines.slice(0, 7));
  const lost = join(run.s.dir, "lost.log");
  writeLines(lost, [...central.slice(0, 8), merged, ...central.slice(10)]);
  const truncated = await verify(run, logs, lost);
  t.is(truncated.code, 1, truncated.out);
  t.regex(truncated.out, /FINDING witness-missing +7 line\(s\) of session \S+ \(seq 9-15, first central lost\.log:9\)/);
  t.regex(truncated.out, /WARNING witness-cut +central lost\.log:9/);

  // The attacker's try: the host's seq 9 with its beginning removed (a suffix of the genuine line)
  // is not taken for a cut: the centre's chain does not prove it.
  const stripped = copy(run, "stripped");
  const host = readLines(join(stripped, "audit.log"));
  host[9] = (host[9] as string).slice(25);
  writeLines(join(stripped, "audit.log"), host);
  const changed = await verify(run, stripped);
  t.is(changed.code, 1, changed.out);
  t.regex(changed.out, /FINDING witness-differs +audit\.log:10 and central central\.log:10 \(session \S+, seq 9\) differ/);
  t.notRegex(changed.out, /witness-cut/);
});
