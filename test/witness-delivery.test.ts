/**
 * The witness as an operator meets it when the receiver is really down (issue 13 item 8): a real
 * rsyslog killed (SIGKILL) while a syslog target with integrity=on and a spool carries the chain;
 * `verify --witness` run while it is down (the lines not yet delivered are witness-undelivered
 * warnings that say buffered/spooled, exit 0, never tampering), then rsyslog restarted, the spool
 * delivered and the copy complete (INTACT, resends counted as duplicates). Also a host process
 * that exits while the receiver is down and a new one that delivers its spool, and the same chain
 * over RELP to rsyslog's imrelp, killed and restarted in the middle.
 */
import test, { type ExecutionContext } from "ava";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAuditLogService } from "../src/index.js";

type Service = ReturnType<typeof createAuditLogService>;
import { runCli } from "./lib/cli.js";
import { captureStatus, readLines, waitFor, writeLines } from "./lib/helpers.js";
import { INTEGRITY_SETTINGS, integritySetup, reasonOf, tokenOf, type IntegritySetup } from "./lib/integrity.js";
import { startRsyslog, type RsyslogHandle } from "./lib/rsyslog.js";
import { allHostLines, copyHostLogs, unescapeTab, verifyWitness } from "./lib/witness.js";

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The host set up with a target `central` (integrity=on, a spool in `<dir>/spool`) to 127.0.0.1:`port`. */
function hostSetup(t: ExecutionContext, port: number, extra: Record<string, string> = {}): IntegritySetup {
  return integritySetup(t, {
    base: INTEGRITY_SETTINGS,
    settings: {
      "integrity.checkpoint.records": "5",
      "target.central.type": "syslog",
      "target.central.host": "127.0.0.1",
      "target.central.port": String(port),
      "target.central.integrity": "on",
      "target.central.spool": "spool",
      ...extra,
    },
  });
}

/** Waits until every host line is in the central file (rsyslog's `#011` read back), at most `timeoutMs`. */
async function waitForCentral(rs: Pick<RsyslogHandle, "readRecords">, file: string, s: IntegritySetup, timeoutMs = 30_000): Promise<boolean> {
  return waitFor(() => {
    const central = new Set(rs.readRecords(file).map(unescapeTab));
    return allHostLines(s.logs).every((line) => central.has(line));
  }, timeoutMs);
}

/** Flushes until the target holds nothing, at most `timeoutMs`. */
async function drain(audit: Service, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (audit.stats().targets.every((s) => s.buffered === 0)) return true;
    await audit.flush();
    await pause(50);
  }
  return false;
}

/** A snapshot of the central file (as it is now) beside the host's files. */
function snapshot(file: string, s: IntegritySetup, name: string): string {
  const copy = join(s.dir, name);
  if (existsSync(file)) cpSync(file, copy);
  else writeFileSync(copy, "");
  return copy;
}

/** The summary line of the witness: lines of this log and resent duplicates. */
function summaryOf(out: string): { lines: number; duplicates: number } | undefined {
  const m = /witness .*: \d+ file\(s\), (\d+) line\(s\) of this log, (\d+) resent duplicate\(s\), \d+ other line\(s\)/.exec(out);
  return m === null ? undefined : { lines: Number(m[1]), duplicates: Number(m[2]) };
}

/** The distinct lines of the host's sessions at the centre, and all its rows. */
function centralCounts(file: string): { rows: number; distinct: number } {
  const rows = readLines(file).filter((l) => tokenOf(unescapeTab(l)) !== undefined);
  return { rows: rows.length, distinct: new Set(rows).size };
}

test.serial("receiver really down: rsyslog killed while records are logged; --witness while it is down says the spooled lines are undelivered (exit 0), and after the restart the copy is complete", async (t) => {
  captureStatus(t);
  const rs = await startRsyslog({ tcp: true });
  t.teardown(() => rs.dispose());
  const s = hostSetup(t, rs.ports.tcp);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: s.props, watch: false });
  const central = rs.files.tcp.witness;

  for (let i = 0; i < 10; i++) audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7" });
  t.true(await waitForCentral(rs, central, s), "the first records arrive");
  await rs.kill();
  // Logged while the receiver is dead: the first writes may still go into the dying connection.
  for (let i = 10; i < 22; i++) {
    audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7" });
    await pause(30);
  }
  t.true(await waitFor(() => (audit.stats().targets[0]?.errors ?? 0) > 0 && (audit.stats().targets[0]?.buffered ?? 0) > 0, 10_000), JSON.stringify(audit.stats().targets));
  const during = audit.stats().targets[0];
  t.like(during, { spooled: true, connected: false });
  t.true(existsSync(join(s.dir, "spool", "queue.dat")));

  // The operator checks while it is down.
  const down = snapshot(central, s, "central-down.log");
  const host = allHostLines(s.logs);
  const { distinct } = centralCounts(down);
  t.true(distinct < host.length, `${distinct} of ${host.length}`);
  const check = await verifyWitness({ s, witness: down }, s.logs, down);
  t.is(check.code, 0, check.out);
  t.notRegex(check.out, /FINDING/);
  t.regex(check.out, /Result: INTACT/);
  const undelivered = new RegExp(`WARNING witness-undelivered +the newest ${host.length - distinct} line\\(s\\) of session \\S+ \\(seq ${distinct}-${host.length - 1}, first audit\\.log:${distinct + 1}\\) are not at the centre: not delivered yet \\(still buffered or spooled on the host while the receiver is down or behind: they are sent when it is back\\)`);
  t.regex(check.out, undelivered);
  t.is(summaryOf(check.out)?.lines, distinct);

  // Back: the spool goes out first, then what is logged now.
  await rs.restart();
  for (let i = 22; i < 27; i++) audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7" });
  t.true(await drain(audit), JSON.stringify(audit.stats().targets));
  const resent = audit.stats().targets[0]?.resent;
  await audit.shutdown();
  t.true(await waitForCentral(rs, central, s), "every line arrives after the restart");
  const after = snapshot(central, s, "central-after.log");
  const full = allHostLines(s.logs);
  const counts = centralCounts(after);
  t.is(counts.distinct, full.length);
  const ok = await verifyWitness({ s, witness: after }, s.logs, after);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, /Result: INTACT \(0 warnings\)/);
  // Resends after the broken connection (TCP resends what went out within resendMs) are counted, not errors.
  t.deepEqual(summaryOf(ok.out), { lines: full.length, duplicates: counts.rows - full.length });
  t.log(`TCP, rsyslog killed after 10 records: ${host.length - distinct} line(s) undelivered while down; after the restart ${full.length} lines, ${counts.rows - full.length} resent duplicate(s) (${resent} record(s) resent by the target)`);
});

/** Runs test/programs/witness-child.ts; its stats JSON. */
function child(s: IntegritySetup, count: number, first: number, how: "deliver" | "exit"): Array<{ sent: number; buffered: number; spooled: boolean }> {
  const run = spawnSync(process.execPath, [join(process.cwd(), "dist/test/programs/witness-child.js"), s.props, String(count), String(first), how], { encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) throw new Error(`witness-child exited ${run.status} ${run.signal}: ${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as Array<{ sent: number; buffered: number; spooled: boolean }>;
}

/** The sessions of lines, in order of first appearance. */
const sessionsOf = (lines: readonly string[]): string[] => [...new Set(lines.map((l) => tokenOf(unescapeTab(l))?.session).filter((x): x is string => x !== undefined))];

test.serial("a host process that exits while the receiver is down keeps its lines in the spool; --witness says they are undelivered; the next process delivers them and the copy is complete", async (t) => {
  const rs = await startRsyslog({ tcp: true });
  t.teardown(() => rs.dispose());
  const s = hostSetup(t, rs.ports.tcp);
  const central = rs.files.tcp.witness;
  // A first process, receiver up: delivered.
  t.like(child(s, 6, 0, "deliver")[0], { buffered: 0, spooled: true });
  t.true(await waitForCentral(rs, central, s));
  const [first] = sessionsOf(allHostLines(s.logs));

  // The receiver dies; a second process logs and exits while it is down.
  await rs.kill();
  const exited = child(s, 12, 6, "exit")[0];
  t.like(exited, { spooled: true });
  t.true((exited?.buffered ?? 0) > 0, JSON.stringify(exited));
  t.true(existsSync(join(s.dir, "spool", "queue.dat")));
  const host = allHostLines(s.logs);
  const second = sessionsOf(host).find((x) => x !== first);
  t.truthy(second);
  const secondLines = host.filter((l) => tokenOf(l)?.session === second);
  // Its last line is its shutdown checkpoint: written, and spooled with the rest.
  t.is(reasonOf(secondLines.at(-1) ?? ""), "shutdown");
  const down = snapshot(central, s, "central-down.log");
  const check = await verifyWitness({ s, witness: down }, s.logs, down);
  t.is(check.code, 0, check.out);
  t.notRegex(check.out, /FINDING/);
  t.regex(check.out, new RegExp(`WARNING witness-undelivered +the newest ${secondLines.length} line\\(s\\) of session ${second} \\(seq 0-${secondLines.length - 1}, first audit\\.log:\\d+\\) are not at the centre \\(none of the session\\): not delivered yet \\(still buffered or spooled`));

  // Back up; a third process sends the spool first, then its own.
  await rs.restart();
  t.like(child(s, 5, 18, "deliver")[0], { buffered: 0, spooled: true });
  t.true(await waitForCentral(rs, central, s), "the spooled session arrives");
  const after = snapshot(central, s, "central-after.log");
  const full = allHostLines(s.logs);
  t.is(sessionsOf(full).length, 3);
  // In order at the centre: the spooled session before the third one.
  t.deepEqual(sessionsOf(readLines(after)), sessionsOf(full));
  const counts = centralCounts(after);
  const ok = await verifyWitness({ s, witness: after }, s.logs, after);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, /Result: INTACT \(0 warnings\)/);
  t.deepEqual(summaryOf(ok.out), { lines: full.length, duplicates: counts.rows - full.length });
});

test.serial("the chain over RELP to rsyslog imrelp, killed and restarted in the middle: the central copy verifies complete; a tail truncation on the host is reported (exit 1)", async (t) => {
  captureStatus(t);
  const rs = await startRsyslog({ relp: true });
  t.teardown(() => rs.dispose());
  const s = hostSetup(t, rs.ports.relp, { "target.central.protocol": "relp" });
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: s.props, watch: false });
  const central = rs.files.relp.witness;
  for (let i = 0; i < 40; i++) {
    audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7" });
    await pause(10);
    if (i === 14) await rs.kill();
    if (i === 24) {
      // Down for ten records: RELP holds what was not acknowledged, and sends it again first.
      t.true((audit.stats().targets[0]?.buffered ?? 0) > 0, JSON.stringify(audit.stats().targets));
      await rs.restart();
    }
  }
  t.true(await drain(audit), JSON.stringify(audit.stats().targets));
  const resent = audit.stats().targets[0]?.resent;
  await audit.shutdown();
  t.true(await waitForCentral(rs, central, s), "every line arrives");
  const copy = snapshot(central, s, "central.log");
  const full = allHostLines(s.logs);
  const counts = centralCounts(copy);
  t.is(counts.distinct, full.length);
  const ok = await verifyWitness({ s, witness: copy }, s.logs, copy);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, /Result: INTACT \(0 warnings\)/);
  t.deepEqual(summaryOf(ok.out), { lines: full.length, duplicates: counts.rows - full.length });
  t.log(`RELP, rsyslog killed after 15 records and restarted after 25: ${full.length} lines, ${counts.rows - full.length} resent duplicate(s) (${resent} record(s) resent by the target)`);

  // The insider cuts the host's tail after a checkpoint: the host's own verify says intact, the witness does not.
  const logs = copyHostLogs({ s, witness: copy }, "truncated");
  const lines = readLines(join(logs, "audit.log"));
  const cut = lines.findIndex((l, i) => i > 20 && reasonOf(l) === "records");
  t.true(cut > 0);
  writeLines(join(logs, "audit.log"), lines.slice(0, cut + 1));
  const own = await runCli(["verify", "--key", s.key, join(logs, "audit.log")]);
  t.is(own.code, 0, own.out);
  const { code, out } = await verifyWitness({ s, witness: copy }, logs, copy);
  t.is(code, 1, out);
  t.regex(out, new RegExp(`FINDING witness-missing +${lines.length - cut - 1} line\\(s\\) of session \\S+ \\(seq ${cut + 1}-${lines.length - 1}, first central central\\.log:\\d+\\) are at the centre, sealed by its verified checkpoints, but not in the host's files: deleted on the host \\(the newest lines: tail truncation\\)`));
  t.regex(out, /Result: TAMPERING OR DAMAGE FOUND \(1 finding, 0 warnings\)/);
});
