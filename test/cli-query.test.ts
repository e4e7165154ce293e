import test from "ava";
import { execFile } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { runCli, type CliResult } from "./lib/cli.js";
import { at, buildFixture, EVENTS, writeLog } from "./lib/cli-fixture.js";
import { tempDir } from "./lib/helpers.js";
import fc from "fast-check";
import { globToRegExp } from "../src/cli/filters.js";
import { csvField } from "../src/cli/output.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

/** Runs the CLI in this process with captured streams. */
const cli = (args: string[], cwd: string, tty = false): Promise<CliResult> => runCli(args, { cwd, tty });

/** Runs the CLI as a child process (stdout and stderr are pipes). */
function child(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, ...args], { cwd }, (error, out, err) => {
      done({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, out, err });
    });
  });
}

const jsonl = (out: string): unknown[] => out.trimEnd().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as unknown);

const attrs = (pairs: Record<string, string | null>): Array<{ name: string; value: string | null }> => Object.entries(pairs).map(([name, value]) => ({ name, value }));

test("who logged in from 192.0.2.7 last Tuesday (JSON lines): a gzipped archive, a null value, the day's bounds", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const { code, out, err } = await cli(["query", "logs", "--event", "ox.login", "--attr", "ip=192.0.2.7", "--since", "2026-11-17", "--until", "2026-11-17", "--format", "jsonl"], dir);
  t.is(err, "");
  t.is(code, 0);
  t.deepEqual(jsonl(out), [
    {
      file: "logs/audit.log.4.gz",
      line: 1,
      time: "2026-11-17T07:55:00Z",
      event: "ox.login",
      attributes: attrs({ login: "carla", ip: "192.0.2.7", timestamp: "2026-11-17T07:55:00Z", client: 'Mozilla "Firefox", 120' }),
    },
    {
      file: "logs/audit.log.4.gz",
      line: 3,
      time: "2026-11-17T13:02:00Z",
      event: "ox.login",
      attributes: attrs({ login: "dave", ip: "192.0.2.7", timestamp: "2026-11-17T13:02:00Z", client: null }),
    },
  ]);
});

test("the same question as CSV: RFC 4180 quoting, CRLF, null as an empty field", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const { code, out } = await cli(["query", "logs/audit.log", "--event", "ox.login", "--attr", "ip=192.0.2.7", "--since", "2026-11-17", "--until", "2026-11-17", "--format", "csv"], dir);
  t.is(code, 0);
  t.is(
    out,
    "file,line,time,event,login,ip,timestamp,client\r\n" +
      'logs/audit.log.4.gz,1,2026-11-17T07:55:00Z,ox.login,carla,192.0.2.7,2026-11-17T07:55:00Z,"Mozilla ""Firefox"", 120"\r\n' +
      "logs/audit.log.4.gz,3,2026-11-17T13:02:00Z,ox.login,dave,192.0.2.7,2026-11-17T13:02:00Z,\r\n",
  );
});

test("every record comes back once, oldest archive first, with its file and line", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const { code, out } = await cli(["query", join(dir, "logs")], dir);
  t.is(code, 0);
  const rows = jsonl(out) as Array<{ file: string; line: number; time: string; event: string; attributes: Array<{ name: string; value: string | null }> }>;
  const files = ["logs/audit.log.5.gz", "logs/audit.log.4.gz", "logs/audit.log.3", "logs/audit.log.2", "logs/audit.log.1", "logs/audit.log"];
  t.deepEqual(
    rows.map((r) => `${r.file}:${r.line}`),
    files.flatMap((f) => [1, 2, 3, 4].map((n) => `${f}:${n}`)),
  );
  t.deepEqual(
    rows.map((r) => [r.event, r.attributes[0]?.value, r.time]),
    EVENTS.map(([id, a]) => [id, a["login"], (a["timestamp"] as Date).toISOString().replace(".000Z", "Z")]),
  );
});

test("which mails went to bob@example.org: an event glob and an exact attribute, as CSV", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const { out } = await cli(["query", "logs", "--event", "smtp.*.sent", "--attr", "smtp.sent=bob@example.org", "--format", "csv"], dir);
  t.is(
    out,
    "file,line,time,event,login,ip,timestamp,smtp.sent\r\n" +
      "logs/audit.log.5.gz,3,2026-11-16T09:45:00Z,smtp.primary.sent,anna,192.0.2.7,2026-11-16T09:45:00Z,bob@example.org\r\n" +
      "logs/audit.log.2,2,2026-11-18T10:00:00Z,smtp.primary.sent,ben,198.51.100.21,2026-11-18T10:00:00Z,bob@example.org\r\n" +
      "logs/audit.log.1,1,2026-11-19T09:10:00Z,smtp.primary.sent,thorben,192.0.2.7,2026-11-19T09:10:00Z,bob@example.org\r\n" +
      "logs/audit.log,1,2026-11-20T14:50:00Z,smtp.external.sent,erin,192.0.2.8,2026-11-20T14:50:00Z,bob@example.org\r\n",
  );
});

test("logins from the 198.51.100.0/24 network: a regular expression on an attribute", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const { out } = await cli(["query", "logs", "--event", "ox.login", "--attr", "ip~^198\\.51\\.100\\.", "--format", "jsonl"], dir);
  t.deepEqual(
    (jsonl(out) as Array<{ file: string; line: number; attributes: Array<{ value: string }> }>).map((r) => [r.file, r.line, r.attributes[0]?.value, r.attributes[1]?.value]),
    [
      ["logs/audit.log.5.gz", 2, "ben", "198.51.100.20"],
      ["logs/audit.log.3", 2, "ben", "198.51.100.21"],
      ["logs/audit.log.1", 3, "anna", "198.51.100.20"],
    ],
  );
});

test("what anna did around midnight: several globs, a minute-precise --until, all attribute tests must match", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const ask = (until: string) => cli(["query", "logs", "--event", "ox.log*", "--event", "imap.*", "--attr", "login=anna", "--attr", "ip=192.0.2.7", "--since", "2026-11-17T23:00Z", "--until", until, "--format", "jsonl"], dir);
  const rows = (out: string) => (jsonl(out) as Array<{ event: string; time: string }>).map((r) => `${r.time} ${r.event}`);
  t.deepEqual(rows((await ask("2026-11-18T00:00Z")).out), ["2026-11-18T00:00:00Z ox.login"]);
  t.deepEqual(rows((await ask("2026-11-18T00:01Z")).out), ["2026-11-18T00:00:00Z ox.login", "2026-11-18T00:01:00Z imap.primary.login"]);
  t.deepEqual(rows((await ask("2026-11-18T00:00:59.999Z")).out), ["2026-11-18T00:00:00Z ox.login"]);
});

test("the table for people: aligned columns, unsafe characters escaped, null shown as (null), a summary on a terminal", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const { code, out, err } = await cli(["query", "logs", "--event", "ox.login", "--attr", "login~^(mallory|dave)$"], dir, true);
  t.is(code, 0);
  t.is(
    out,
    [
      "TIME                  EVENT     login    ip          timestamp             client                SOURCE",
      "2026-11-17T13:02:00Z  ox.login  dave     192.0.2.7   2026-11-17T13:02:00Z  (null)                logs/audit.log.4.gz:3",
      "2026-11-18T03:14:00Z  ox.login  mallory  192.0.2.77  2026-11-18T03:14:00Z  curl\\n\\u001B[31mfake  logs/audit.log.2:1",
      "",
    ].join("\n"),
  );
  t.is(err, "slf4ts-audit query: 2 records matched of 24 lines in 6 files\n");
  // JSON lines keep the exact value.
  const exact = await cli(["query", "logs", "--attr", "login=mallory", "--format", "jsonl"], dir);
  t.is((jsonl(exact.out)[0] as { attributes: Array<{ value: string }> }).attributes[3]?.value, "curl\n\u001b[31mfake");
});

test("--limit stops after N records", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const { out } = await cli(["query", "logs", "--event", "ox.logout", "--limit", "2", "--format", "csv"], dir);
  t.is(
    out,
    "file,line,time,event,login,ip,timestamp\r\n" +
      "logs/audit.log.5.gz,4,2026-11-16T17:00:00Z,ox.logout,anna,192.0.2.7,2026-11-16T17:00:00Z\r\n" +
      "logs/audit.log.3,1,2026-11-17T16:30:00Z,ox.logout,carla,192.0.2.7,2026-11-17T16:30:00Z\r\n",
  );
});

test("a custom format: '|' delimiter, no names, a German date pattern in Berlin time; times typed in that pattern or ISO in date.timezone", async (t) => {
  const dir = tempDir(t);
  const properties = await writeLog(
    dir,
    { delimiter: '"|"', includeAttributeNames: "false", "date.pattern": "EEEE, d. MMMM yyyy HH:mm z", "date.locale": "de_DE", "date.timezone": "Europe/Berlin" },
    EVENTS.slice(4, 10),
  );
  t.is(readFileSync(join(dir, "logs", "audit.log"), "utf8").split("\n")[0], 'ox.login|carla|192.0.2.7|Dienstag, 17. November 2026 08:55 MEZ|Mozilla "Firefox", 120');
  // No path: the file.location of the properties file.
  const { code, out, err } = await cli(
    ["query", "--properties", properties, "--event", "ox.login", "--attr", "#2~^192\\.0\\.2\\.", "--since", "Dienstag, 17. November 2026 08:00 MEZ", "--until", "2026-11-17", "--format", "jsonl"],
    dir,
  );
  t.is(err, "");
  t.is(code, 0);
  const values = (...v: Array<string | null>) => v.map((value) => ({ name: null, value }));
  t.deepEqual(jsonl(out), [
    { file: "logs/audit.log", line: 1, time: "2026-11-17T07:55:00Z", event: "ox.login", attributes: values("carla", "192.0.2.7", "Dienstag, 17. November 2026 08:55 MEZ", 'Mozilla "Firefox", 120') },
    { file: "logs/audit.log", line: 3, time: "2026-11-17T13:02:00Z", event: "ox.login", attributes: values("dave", "192.0.2.7", "Dienstag, 17. November 2026 14:02 MEZ", null) },
  ]);
  // ben's 23:59 UTC is 00:59 on Wednesday in Berlin: outside an --until of Tuesday there, inside in UTC.
  const utc = await cli(["query", "--properties", properties, "--attr", "#1=ben", "--until", "2026-11-17", "--tz", "UTC", "--format", "csv"], dir);
  t.is(utc.out, 'file,line,time,event,#1,#2,#3,#4\r\nlogs/audit.log,6,2026-11-17T23:59:00Z,ox.login,ben,198.51.100.21,"Mittwoch, 18. November 2026 00:59 MEZ",mobile\r\n');
  const berlin = await cli(["query", "--properties", properties, "--attr", "#1=ben", "--until", "2026-11-17", "--format", "csv"], dir);
  t.is(berlin.out, "file,line,time,event\r\n");
});

test("a file.pattern with %d: the record's time is the %d of its line unless --time-attr says otherwise", async (t) => {
  const dir = tempDir(t);
  const before = Date.now();
  const properties = await writeLog(dir, { "file.pattern": '"%d{yyyy-MM-dd HH:mm:ss.SSS, UTC} %-5level [%thread] %msg%n"' }, EVENTS.slice(0, 2));
  const after = Date.now();
  const log = join(dir, "logs", "audit.log");
  t.regex(readFileSync(log, "utf8").split("\n")[0] as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  \[main\] ox\.login, login=anna, /);
  const { code, out } = await cli(["query", "--properties", properties, "--format", "jsonl"], dir);
  t.is(code, 0);
  const rows = jsonl(out) as Array<{ time: string; event: string; attributes: Array<{ value: string }> }>;
  t.deepEqual(rows.map((r) => [r.event, r.attributes[0]?.value]), [["ox.login", "anna"], ["ox.login", "ben"]]);
  for (const row of rows) {
    const time = Date.parse(row.time);
    t.true(time >= before && time <= after, row.time);
  }
  const byAttribute = await cli(["query", "--properties", properties, "--time-attr", "timestamp", "--format", "jsonl"], dir);
  t.deepEqual((jsonl(byAttribute.out) as Array<{ time: string }>).map((r) => r.time), ["2026-11-16T08:05:00Z", "2026-11-16T09:30:00Z"]);
  const earlier = await cli(["query", "--properties", properties, "--until", new Date(before - 60_000).toISOString(), "--format", "jsonl"], dir);
  t.is(earlier.out, "");
  t.is(earlier.code, 0);
  appendFileSync(log, "ox.login, login=zoe\n");
  const bad = await cli(["query", "--properties", properties, "--format", "jsonl"], dir);
  t.is(bad.code, 1);
  t.is(
    bad.err,
    'logs/audit.log:3: does not match file.pattern "%d{yyyy-MM-dd HH:mm:ss.SSS, UTC} %-5level [%thread] %msg%n"\n' +
      "slf4ts-audit query: 2 records matched of 3 lines in 1 file; 1 line could not be read\n",
  );
});

test("unparsable lines are reported with file:line and why, counted, and make the exit code 1 (child process)", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const logs = join(dir, "logs");
  // A broken line inside a gzipped archive, a dangling escape and a cut-off last line in the active file.
  const archive = gunzipSync(readFileSync(join(logs, "audit.log.4.gz"))).toString("utf8").split("\n");
  archive.splice(1, 0, "ox.login, login=x, just text");
  writeFileSync(join(logs, "audit.log.4.gz"), gzipSync(archive.join("\n")));
  // A trailing integrity field is not part of the record.
  appendFileSync(join(logs, "audit.log"), "ox.login, login=zoe, ip=192.0.2.7\tchain=3f9a\n", "utf8");
  appendFileSync(join(logs, "audit.log"), "ox.login, login=yves\\\nox.login, login=xa");
  const { code, out, err } = await child(["query", "logs", "--attr", "ip=192.0.2.7", "--since", "2026-11-21"], dir);
  t.is(code, 1);
  t.is(
    err,
    'logs/audit.log.4.gz:2: attribute 2 has no "=" at position 19\n' +
      "logs/audit.log:6: incomplete escape at the end of the line at position 20\n" +
      "logs/audit.log:7: the last line has no line break (a record cut short)\n" +
      "slf4ts-audit query: 2 records matched of 28 lines in 6 files; 3 lines could not be read; 1 record has no time and was left out by --since/--until\n",
  );
  t.deepEqual((jsonl(out) as Array<{ line: number }>).map((r) => r.line), [3, 4]);
  const all = await child(["query", "logs", "--attr", "login=zoe", "--format", "csv"], dir);
  t.is(all.out, "file,line,time,event,login,ip\r\nlogs/audit.log,5,,ox.login,zoe,192.0.2.7\r\n");
});

test("exit codes and streams of the child process: nothing matched is 0 and silent when piped; 2 for the command line; 3 for unreadable input", async (t) => {
  const dir = tempDir(t);
  const properties = await buildFixture(dir);
  t.deepEqual(await child(["query", "logs", "--event", "no.such.event"], dir), { code: 0, out: "", err: "" });
  const usage = await child(["query", "logs", "--colour"], dir);
  t.is(usage.code, 2);
  t.is(usage.err, "slf4ts-audit query: unknown option --colour\nRun slf4ts-audit query --help for the options.\n");
  const since = await child(["query", "logs", "--since", "last tuesday"], dir);
  t.is(since.code, 2);
  t.is(since.err, 'slf4ts-audit query: --since "last tuesday": expected an ISO 8601 date or time (2026-11-17, 2026-11-17T10:30, 2026-11-17T10:30:00Z) or an age such as 2h or 7d\nRun slf4ts-audit query --help for the options.\n');
  t.is((await child(["query"], dir)).code, 2);
  const missing = await child(["query", "nothing/here.log"], dir);
  t.is(missing.code, 3);
  t.is(missing.err, `slf4ts-audit query: cannot read ${join(dir, "nothing")} (ENOENT)\n`);
  writeFileSync(properties, readFileSync(properties, "utf8") + "com.openexchange.log.audit.slf4j.delimiter==\n");
  const invalid = await child(["query", "--properties", properties], dir);
  t.is(invalid.code, 3);
  t.regex(invalid.err, /slf4j-auditlog\.properties:5: com\.openexchange\.log\.audit\.slf4j\.delimiter==: expected a non-empty delimiter/);
  const help = await child(["query", "--help"], dir);
  t.is(help.code, 0);
  t.regex(help.out, /^Usage: slf4ts-audit query /);
  t.regex((await child(["tail", "--help"], dir)).out, /^Usage: slf4ts-audit tail /);
});

test("progress on an interactive stderr for long scans, nothing extra when piped", async (t) => {
  const dir = tempDir(t);
  const lines = Array.from({ length: 2500 }, (_, i) => `bulk, n=${i}, timestamp=2026-11-17T10:00:00Z\n`).join("");
  writeFileSync(join(dir, "audit.log"), lines);
  const tty = await cli(["query", "audit.log", "--attr", "n=2499", "--format", "jsonl"], dir, true);
  t.true(tty.err.startsWith("\rscanned 1000 lines, 1 files"), JSON.stringify(tty.err));
  t.true(tty.err.endsWith("\r\u001b[K" + "slf4ts-audit query: 1 record matched of 2500 lines in 1 file\n"), JSON.stringify(tty.err));
  const piped = await cli(["query", "audit.log", "--attr", "n=2499", "--format", "jsonl"], dir, false);
  t.is(piped.err, "");
  t.is(piped.out, tty.out);
  t.is(piped.out.split("\n").length, 2);
});

test("at() helper and the fixture agree on the week", (t) => {
  t.is(at(17, 0).getUTCDay(), 2, "the 17th is a Tuesday");
});

test("event globs: the same answers as the anchored regular expression they stand for (property), and many stars do not backtrack", (t) => {
  const alphabet = fc.constantFrom("a", "b", ".", "*", "?", "é", "😀");
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(fc.constantFrom("a", "b", ".", "é", "😀"), { maxLength: 10 }), (globChars, idChars) => {
      const glob = globChars.join("");
      const id = idChars.join("");
      let source = "";
      for (const c of glob) source += c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
      return globToRegExp(glob).test(id) === new RegExp(`^${source}$`, "su").test(id);
    }),
    { numRuns: 3000, seed: 12 },
  );
  // As a regex, ^.*.*…c$ over these ids backtracks for minutes; matched as a glob it answers at once.
  t.false(globToRegExp(`${"*?".repeat(12)}c`).test("com.openexchange.mail.smtp.transport.primary.message.sent.ok"));
  t.false(globToRegExp(`${"*".repeat(40)}c`).test("slf4ts.audit.checkpoint"));
  t.true(globToRegExp(`${"*?".repeat(12)}k`).test("com.openexchange.mail.smtp.transport.primary.message.sent.ok"));
});

test("CSV: a value with ';' or TAB is quoted, so a spreadsheet that splits on ';' reads no formula after it", (t) => {
  t.is(csvField("x;=SUM(1+1)*cmd|'/C calc'!A0"), `"x;=SUM(1+1)*cmd|'/C calc'!A0"`);
  t.is(csvField("plain"), "plain");
});
