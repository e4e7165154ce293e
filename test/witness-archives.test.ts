/**
 * `verify --witness <folder>` over what a central rsyslog and logrotate leave (issue 13 item 8):
 * numbered and dated archives, gzip'd with the real `gzip` command, mixed with plain files, read
 * oldest first; and the attacker's side: a tail truncation on the host whose evidence sits in a
 * central archive that is cut, corrupt, empty, not gzip or past the gunzip bound is reported
 * (witness-unreadable, exit 1), never skipped into an INTACT.
 */
import { freeTcpPort } from "./lib/helpers.js";
import test, { type ExecutionContext } from "ava";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { orderCentralNames } from "../src/integrity/witness-files.js";
import { createAuditLogService } from "../src/index.js";
import { runCli } from "./lib/cli.js";
import { extractBlocks } from "./lib/doc-examples.js";
import { captureStatus, readLines, waitFor, writeLines } from "./lib/helpers.js";
import { integritySetup, reasonOf } from "./lib/integrity.js";
import { startRsyslog } from "./lib/rsyslog.js";
import { allHostLines, copyHostLogs, logThroughRsyslog, unescapeTab, verifyWitness, type WitnessRun } from "./lib/witness.js";

/** Debian's logrotate (in /usr/sbin, not on every PATH; installed by .ci/run). */
const LOGROTATE = existsSync("/usr/sbin/logrotate") ? "/usr/sbin/logrotate" : "logrotate";

/** Compresses `file` with the gzip command (into `file.gz`, the original removed), as logrotate's compress does. */
function gzip(t: ExecutionContext, file: string): string {
  const run = spawnSync("gzip", ["-n", file], { encoding: "utf8" });
  t.is(run.status, 0, `gzip ${file}: ${run.stderr}`);
  t.true(existsSync(`${file}.gz`));
  return `${file}.gz`;
}

/** Writes the central lines into `folder` as `parts` (name → lines), gzip'ing names that end in .gz; returns the folder. */
function layout(t: ExecutionContext, run: WitnessRun, name: string, parts: ReadonlyArray<readonly [string, readonly string[]]>): string {
  const folder = join(run.s.dir, name);
  mkdirSync(folder);
  for (const [file, lines] of parts) {
    const plain = join(folder, file.replace(/\.gz$/, ""));
    writeLines(plain, lines);
    if (file.endsWith(".gz")) gzip(t, plain);
  }
  return folder;
}

/** Splits `lines` into `n` consecutive, non-empty parts. */
function split<T>(lines: readonly T[], n: number): T[][] {
  const size = Math.ceil(lines.length / n);
  return Array.from({ length: n }, (_, i) => lines.slice(i * size, (i + 1) * size));
}

/** The host's log with everything after its second checkpoint cut off (a valid chain remains: the host's own verify says intact). */
function truncatedHost(t: ExecutionContext, run: WitnessRun): { logs: string; kept: number } {
  const logs = copyHostLogs(run, "truncated");
  const lines = readLines(join(logs, "audit.log"));
  const cut = lines.findIndex((l, i) => i > 0 && reasonOf(l) === "records");
  t.true(cut > 0);
  writeLines(join(logs, "audit.log"), lines.slice(0, cut + 1));
  return { logs, kept: cut + 1 };
}

test("the order of a central folder: per log, dated archives by date, numbered ones from the highest down, the active file last", (t) => {
  const names = ["w.log", "w.log.1", "w.log.10.gz", "w.log.2.gz", "w.log-20261204", "w.log-20261203.gz", "other-2026-12-04.log", "other-2026-12-03.log", "a.log"];
  t.deepEqual(orderCentralNames(names), ["a.log", "other-2026-12-03.log", "other-2026-12-04.log", "w.log-20261203.gz", "w.log-20261204", "w.log.10.gz", "w.log.2.gz", "w.log.1", "w.log"]);
  // Whatever order the folder lists them in.
  t.deepEqual(orderCentralNames([...names].reverse()), orderCentralNames(names));
});

test("what logrotate leaves at the centre (numbered with delaycompress, or dateext), gzip'd by the gzip command: every file read, oldest first, the copy intact; other entries named, not read", async (t) => {
  const run = await logThroughRsyslog(t, 22);
  const host = allHostLines(run.s.logs);
  const central = readLines(run.witness);
  t.deepEqual(central.map(unescapeTab), host);
  const [a, b, c, d] = split(central, 4) as [string[], string[], string[], string[]];
  const layouts: Array<[string, Array<[string, string[]]>, string[]]> = [
    ["numbered", [["central.log.3.gz", a], ["central.log.2.gz", b], ["central.log.1", c], ["central.log", d]], ["central.log.3.gz", "central.log.2.gz", "central.log.1", "central.log"]],
    ["dated", [["central.log-20261202.gz", a], ["central.log-20261203.gz", b], ["central.log-20261204", c], ["central.log", d]], ["central.log-20261202.gz", "central.log-20261203.gz", "central.log-20261204", "central.log"]],
  ];
  for (const [name, parts, order] of layouts) {
    const folder = layout(t, run, name, parts);
    const { code, out } = await verifyWitness(run, run.s.logs, folder, ["--json"]);
    t.is(code, 0, out);
    const report = JSON.parse(out) as { intact: boolean; witness: { files: string[]; lines: number; duplicates: number; other: number; findings: unknown[]; warnings: unknown[] } };
    t.true(report.intact);
    t.deepEqual(report.witness.files, order.map((n) => join(folder, n)), name);
    t.like(report.witness, { lines: host.length, duplicates: 0, other: 0, findings: [], warnings: [] });
  }
  // A sub-folder and a symbolic link in the folder are named, not read (a link could point anywhere, a folder is another host's).
  const folder = join(run.s.dir, "numbered");
  mkdirSync(join(folder, "old"));
  symlinkSync(join(folder, "central.log"), join(folder, "current"));
  // A FIFO would block a reader that opened it: it is not opened (the check ends).
  const fifo = spawnSync("mkfifo", [join(folder, "pipe")]);
  t.is(fifo.status, 0);
  const text = await verifyWitness(run, run.s.logs, folder);
  t.is(text.code, 0, text.out);
  t.regex(text.out, new RegExp(`witness .*numbered: 4 file\\(s\\), 3 not read \\(not regular files: current, a symbolic link; old, a folder; pipe, a FIFO\\), ${host.length} line\\(s\\) of this log, 0 resent duplicate\\(s\\), 0 other line\\(s\\)`));
  t.regex(text.out, /Result: INTACT \(0 warnings\)/);
  // A link named on the command line is followed (the user named it), to a file or to a folder.
  symlinkSync(folder, join(run.s.dir, "central-link"));
  const viaLink = await verifyWitness(run, run.s.logs, join(run.s.dir, "central-link"));
  t.is(viaLink.code, 0, viaLink.out);
  t.regex(viaLink.out, /4 file\(s\), 3 not read/);
  const single = await verifyWitness(run, run.s.logs, join(folder, "current"), ["--json"]);
  // Only the active file is read: the archives' lines are not in it (undelivered, a warning).
  t.is(single.code, 0, single.out);
  const witness = (JSON.parse(single.out) as { witness: { files: string[]; lines: number; warnings: Array<{ kind: string }> } }).witness;
  t.deepEqual(witness.files, [join(folder, "central.log")]);
  t.is(witness.lines, d.length);
  t.deepEqual(witness.warnings.map((w) => w.kind), ["witness-undelivered"]);
});

test("a tail truncation on the host whose evidence is in a gzip'd central archive: --witness reads the archive and reports it (exit 1)", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const central = readLines(run.witness);
  const { logs, kept } = truncatedHost(t, run);
  // Just rotated and compressed (no delaycompress): the tail is in central.log.1.gz, the active file is empty.
  const folder = layout(t, run, "rotated", [["central.log.2.gz", central.slice(0, 4)], ["central.log.1.gz", central.slice(4)], ["central.log", []]]);
  const { code, out } = await verifyWitness(run, logs, folder);
  t.is(code, 1, out);
  const missing = central.length - kept;
  t.regex(out, new RegExp(`FINDING witness-missing +${missing} line\\(s\\) of session \\S+ \\(seq ${kept}-${central.length - 1}, first central central\\.log\\.1\\.gz:${kept - 4 + 1}\\) .*tail truncation`));
  // gzip bytes under a name without .gz are read as gzip too (by their header, not their name).
  renameSync(join(folder, "central.log.1.gz"), join(folder, "central.log.1"));
  const renamed = await verifyWitness(run, logs, folder);
  t.is(renamed.code, 1, renamed.out);
  t.regex(renamed.out, new RegExp(`FINDING witness-missing +${missing} line\\(s\\) .*first central central\\.log\\.1:${kept - 4 + 1}\\)`));
});

test("the attacker's try: a tail truncation on the host, the central archive holding the evidence cut, corrupted, emptied, replaced or inflated; every case is reported, never INTACT", async (t) => {
  const run = await logThroughRsyslog(t, 12);
  const central = readLines(run.witness);
  const { logs } = truncatedHost(t, run);
  // The host's own verify cannot see it.
  const own = await runCli(["verify", "--key", run.s.key, join(logs, "audit.log")]);
  t.is(own.code, 0, own.out);
  // Everything from the cut on is in the archive; what is before it is plain.
  const gz = gzipSync(Buffer.from(central.slice(4).map((l) => `${l}\n`).join("")));
  const corrupt = Buffer.from(gz);
  const middle = Math.floor(corrupt.length / 2);
  corrupt[middle] = (corrupt[middle] as number) ^ 0xff;
  corrupt[middle + 1] = (corrupt[middle + 1] as number) ^ 0xff;
  const cases: Array<[string, Buffer, RegExp, string[]?]> = [
    ["cut short", gz.subarray(0, Math.floor(gz.length / 2)), /central\.log\.1\.gz is not a complete gzip file \(zlib: unexpected end of file\): a truncated or corrupt archive, read up to line \d+/],
    ["bytes flipped", corrupt, /central\.log\.1\.gz is not a complete gzip file \(zlib: [^)]+\)/],
    ["emptied", Buffer.alloc(0), /central\.log\.1\.gz is empty, but named \.gz: a truncated archive/],
    ["replaced by other bytes", Buffer.from("nothing to see here\n"), /central\.log\.1\.gz is named \.gz, but is not gzip/],
    ["recompressed as xz under the same name", Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), gz]), /central\.log\.1\.gz is compressed with xz, which --witness does not read/],
    ["a gzip bomb for the bound given", gz, /central\.log\.1\.gz decompresses to more than 200 bytes \(a gzip bomb\? --max-gunzip-bytes\)/, ["--max-gunzip-bytes", "200"]],
  ];
  for (const [what, bytes, expected, extra] of cases) {
    const folder = join(run.s.dir, what.replace(/\W+/g, "-"));
    mkdirSync(folder);
    writeLines(join(folder, "central.log.2"), central.slice(0, 4));
    writeFileSync(join(folder, "central.log.1.gz"), bytes);
    const { code, out } = await verifyWitness(run, logs, folder, extra ?? []);
    t.is(code, 1, `${what}: ${out}`);
    t.regex(out, new RegExp(`FINDING witness-unreadable +central file ${expected.source}`), what);
    t.regex(out, /lines deleted on the host may go unnoticed/, what);
    t.notRegex(out, /Result: INTACT/, what);
    // The same damage with an intact host is still a finding: a central file is never skipped silently.
    const intact = await verifyWitness(run, run.s.logs, folder, [...(extra ?? []), "--json"]);
    t.is(intact.code, 1, `${what}, host intact: ${intact.out}`);
    const report = JSON.parse(intact.out) as { intact: boolean; witness: { findings: Array<{ kind: string; file?: string; line?: number }> } };
    t.false(report.intact);
    t.like(report.witness.findings[0], { kind: "witness-unreadable", file: join(folder, "central.log.1.gz") }, what);
    t.is(typeof report.witness.findings[0]?.line, "number");
  }
  // The control: the same folder with the archive whole reports the truncation itself.
  const whole = join(run.s.dir, "whole");
  mkdirSync(whole);
  writeLines(join(whole, "central.log.2"), central.slice(0, 4));
  writeFileSync(join(whole, "central.log.1.gz"), gz);
  const control = await verifyWitness(run, logs, whole);
  t.is(control.code, 1, control.out);
  t.regex(control.out, /FINDING witness-missing .*tail truncation/);
  t.notRegex(control.out, /witness-unreadable/);
  t.is(readFileSync(join(whole, "central.log.1.gz")).length, gz.length);
});

/** Every line of the files of a central folder (gzip'd ones inflated), in the order --witness reads them. */
function folderLines(folder: string): string[] {
  return orderCentralNames(readdirSync(folder)).flatMap((name) => {
    const bytes = readFileSync(join(folder, name));
    const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString("utf8");
    return text === "" ? [] : text.replace(/\n$/, "").split("\n");
  });
}

test.serial("docs/recipes.md's witness recipe, run: rsyslog imrelp writes the chain, the real logrotate rotates and compresses it three times, --witness <folder> finds it complete and a host tail truncation reported", async (t) => {
  captureStatus(t);
  const page = "docs/recipes.md";
  const blocks = extractBlocks(readFileSync(join(process.cwd(), page), "utf8"), page).filter((b) => b.options.get("recipe") === "witness");
  const block = (lang: string): string => blocks.find((b) => b.lang === lang)?.text ?? "";
  t.deepEqual(blocks.map((b) => b.lang), ["properties", "rsyslog", "logrotate"]);
  const s = integritySetup(t, { base: { enabled: "true", "file.location": "logs/audit.log", "integrity.checkpoint.records": "5" } });
  const folder = join(s.dir, "srv-audit-witness");
  mkdirSync(folder);
  const port = await freeTcpPort();
  const replace = (text: string, pairs: ReadonlyArray<readonly [string, string]>): string =>
    pairs.reduce((out, [from, to]) => {
      if (!out.includes(from)) throw new Error(`the recipe no longer holds ${JSON.stringify(from)}:\n${text}`);
      return out.split(from).join(to);
    }, text);
  // The harness has one input of its own (UDP) and its own slf4tsWitness template: the recipe's is renamed.
  const rsyslogConf = replace(block("rsyslog"), [
    ['port="2514"', `port="${port}" address="127.0.0.1"`],
    ["/srv/audit/witness", folder],
    ['"slf4tsWitness"', '"slf4tsWitnessRecipe"'],
  ]);
  const rs = await startRsyslog({ udp: true, extraConfig: rsyslogConf });
  t.teardown(() => rs.dispose());
  appendFileSync(
    s.props,
    replace(block("properties"), [
      ["/etc/app/audit.key", s.key],
      ["logs.example.org", "127.0.0.1"],
      ["port=2514", `port=${port}`],
      ["/var/spool/app/witness", join(s.dir, "spool")],
    ]),
  );
  const logrotateConf = join(s.dir, "logrotate.conf");
  writeFileSync(logrotateConf, replace(block("logrotate"), [["/srv/audit/witness", folder], ["/usr/lib/rsyslog/rsyslog-rotate", `kill -HUP ${rs.pid}`]]), { mode: 0o644 });

  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: s.props, watch: false });
  t.deepEqual(audit.stats().targets.map((x) => [x.name, x.destination]), [["witness", `relp://127.0.0.1:${port}`]]);
  const arrived = (): boolean => {
    const central = new Set(folderLines(folder).map(unescapeTab));
    return allHostLines(s.logs).every((l) => central.has(l));
  };
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 8; i++) audit.log("ox.login", { login: `user${round * 8 + i}`, ip: "192.0.2.7" });
    t.true(await waitFor(arrived, 20_000), `round ${round}: ${folderLines(folder).length} central lines`);
    if (round === 3) break;
    const rotate = spawnSync(LOGROTATE, ["-f", "-s", join(s.dir, "logrotate.state"), logrotateConf], { encoding: "utf8" });
    t.is(rotate.status, 0, `logrotate: ${rotate.stderr}${rotate.stdout}`);
  }
  await audit.shutdown();
  t.true(await waitFor(arrived, 20_000), "the shutdown checkpoint arrives");
  t.deepEqual(readdirSync(folder).sort(), ["witness.log", "witness.log.1", "witness.log.2.gz", "witness.log.3.gz"]);
  const host = allHostLines(s.logs);
  const run: WitnessRun = { s, witness: folder };
  const ok = await verifyWitness(run, s.logs, folder);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, new RegExp(`witness .*: 4 file\\(s\\), ${host.length} line\\(s\\) of this log, 0 resent duplicate\\(s\\), 0 other line\\(s\\)`));
  t.regex(ok.out, /Result: INTACT \(0 warnings\)/);

  const logs = copyHostLogs(run, "truncated");
  const lines = readLines(join(logs, "audit.log"));
  const cut = lines.findIndex((l, i) => i > 0 && reasonOf(l) === "records");
  writeLines(join(logs, "audit.log"), lines.slice(0, cut + 1));
  const { code, out } = await verifyWitness(run, logs, folder);
  t.is(code, 1, out);
  t.regex(out, new RegExp(`FINDING witness-missing +${lines.length - cut - 1} line\\(s\\) of session \\S+ \\(seq ${cut + 1}-${lines.length - 1}, first central witness\\.log\\.3\\.gz:\\d+\\) .*tail truncation`));
});
