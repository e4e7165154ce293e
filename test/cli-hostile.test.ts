/**
 * The `slf4ts-audit` CLI on hostile files, run as a child process the way an administrator
 * runs it: values and file names with terminal escapes, C1 and bidi characters; formula cells
 * for a spreadsheet; a symbolic link and a FIFO named like archives; a giant line; a gzip bomb.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, openSync, renameSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { writeLog } from "./lib/cli-fixture.js";
import { tempDir } from "./lib/helpers.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

interface Run {
  /** The exit code, or "timeout" when the command had to be killed. */
  readonly code: number | "timeout";
  /** Standard output (only its first 4 MiB are kept). */
  readonly out: string;
  /** How many bytes standard output had. */
  readonly outBytes: number;
  readonly err: string;
  readonly ms: number;
}

/** Runs the CLI as a child process with piped streams; kills it after `timeoutMs`. */
function cli(args: readonly string[], cwd: string, timeoutMs = 60_000, nodeArgs: readonly string[] = []): Promise<Run> {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.execPath, [...nodeArgs, MAIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let outBytes = 0;
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (keptBytes < 4 * 1024 * 1024) {
        kept.push(chunk);
        keptBytes += chunk.length;
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code: timedOut ? "timeout" : (code ?? -1), out: Buffer.concat(kept).toString("utf8"), outBytes, err, ms: Date.now() - started });
    });
  });
}

/** Every character a terminal or a viewer acts on: C0 (but the ones allowed), DEL, C1, U+2028/9, bidi. */
function unsafeIn(text: string, allowed = ""): string[] {
  const found = new Set<string>();
  for (const c of text) {
    if (allowed.includes(c)) continue;
    if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(c)) found.add(`U+${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
  return [...found];
}

// What an attacker puts in a value the application logs (a user agent, a login name): an OSC 8
// hyperlink, a screen clear, a window title, a C1 CSI, bidi overrides.
const OSC_LINK = "\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007";
const HOSTILE_VALUES = {
  login: "mallory",
  agent: `${OSC_LINK}\u001b[2J\u001b]0;pwned\u0007`,
  c1: "x\u009b31mred\u0085next",
  bidi: "\u202eexe.txt\u2066\u200f",
  sep: "a\u2028b\u007f",
};

test("query: table and JSON lines escape ESC, OSC, C1 and bidi characters of values and of file names; JSON keeps the exact values", async (t) => {
  const dir = tempDir(t);
  await writeLog(dir, {}, [["ox.login", HOSTILE_VALUES]]);
  // A second log whose very name is hostile (anyone who can write the folder can name a file).
  const evilName = "evil\u001b[2J\u009b\u202e.log";
  writeFileSync(join(dir, "logs", evilName), "ox.logout, login=mallory\n");

  const table = await cli(["query", "logs", "--format", "table"], dir);
  t.is(table.code, 0, table.err);
  t.deepEqual(unsafeIn(table.out, "\n"), [], "no raw control, C1 or bidi character reaches the terminal");
  t.true(table.out.includes("evil\\u001B[2J\\u009B\\u202E.log:1"), table.out);
  t.true(table.out.includes("x\\u009B31mred\\u0085next"), table.out);
  t.true(table.out.includes("\\u202Eexe.txt\\u2066\\u200F"), table.out);
  t.true(table.out.includes("\\u001B]8;;https://evil.example/\\u0007click"), table.out);

  const jsonl = await cli(["query", "logs", "--format", "jsonl"], dir);
  t.is(jsonl.code, 0, jsonl.err);
  t.deepEqual(unsafeIn(jsonl.out, "\n"), [], "JSON lines hold no raw C1, DEL, line separator or bidi character");
  t.true(jsonl.out.includes("x\\u009b31mred\\u0085next"), jsonl.out);
  t.true(jsonl.out.includes("\\u202eexe.txt\\u2066\\u200f"), jsonl.out);
  const records = jsonl.out.trimEnd().split("\n").map((line) => JSON.parse(line) as { file: string; attributes: Array<{ name: string; value: string }> });
  t.deepEqual(Object.fromEntries(records[0]!.attributes.map((a) => [a.name, a.value])), HOSTILE_VALUES, "the values are exact");
  t.is(records[1]!.file, `logs/${evilName}`);
});

test("query --format csv: formula cells get a leading ' (OWASP), controls are escaped, no field holds a line break", async (t) => {
  const dir = tempDir(t);
  await writeLog(dir, {}, [
    [
      "ox.login",
      {
        login: '=HYPERLINK("http://evil.example/","click")',
        ip: "+1+1",
        client: "-2",
        note: "@SUM(A1:A9)",
        tab: "\t=1",
        cr: "\r=1",
        esc: `a${OSC_LINK}\nb`,
        bidi: "\u202eexe.txt",
        plain: "fine, really",
      },
    ],
    ["=cmd|' /C calc'!A0", { "+name": "x" }],
  ]);
  const run = await cli(["query", "logs", "--format", "csv"], dir);
  t.is(run.code, 0, run.err);
  t.deepEqual(unsafeIn(run.out.replace(/\r\n/g, "")), [], "nothing but the CRLF row ends is a control character");
  const rows = run.out.split("\r\n");
  t.is(rows[0], "file,line,time,event,login,ip,client,note,tab,cr,esc,bidi,plain,'+name");
  t.is(
    rows[1],
    [
      "logs/audit.log",
      "1",
      "",
      "ox.login",
      `"'=HYPERLINK(""http://evil.example/"",""click"")"`,
      "'+1+1",
      "'-2",
      "'@SUM(A1:A9)",
      "'\\t=1",
      "'\\r=1",
      // quoted: it holds ";", where a spreadsheet of a ";" locale would split
      '"a\\u001B]8;;https://evil.example/\\u0007click\\u001B]8;;\\u0007\\nb"',
      "\\u202Eexe.txt",
      '"fine, really"',
      "",
    ].join(","),
  );
  t.is(rows[2], "logs/audit.log,2,,'=cmd|' /C calc'!A0,,,,,,,,,,x");
});

test("tail prints raw lines with ESC, OSC, C1 and bidi characters escaped, TAB kept; a logger's own line unchanged", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  const good = "ox.login, login=anna, client=\\u001B[31m\tchain=abc";
  writeFileSync(file, `${good}\nox.login, login=${OSC_LINK}\u001b[2J\u009b31m\u202eevil\u2028\r\n`);
  const run = await cli(["tail", "-n", "5", "audit.log"], dir);
  t.is(run.code, 0, run.err);
  t.deepEqual(unsafeIn(run.out, "\n\t"), []);
  t.is(run.out, `${good}\nox.login, login=\\u001B]8;;https://evil.example/\\u0007click\\u001B]8;;\\u0007\\u001B[2J\\u009B31m\\u202Eevil\\u2028\n`);
  const json = await cli(["tail", "-n", "5", "--format", "jsonl", "audit.log"], dir);
  t.is(json.code, 0, json.err);
  t.deepEqual(unsafeIn(json.out, "\n"), []);
});

test("a symbolic link named like an archive is not followed: its target is never printed (query, tail, verify)", async (t) => {
  const dir = tempDir(t);
  const logs = join(dir, "logs");
  mkdirSync(logs);
  const secret = join(dir, "shadow");
  writeFileSync(secret, "root, hash=SECRET-HASH-1\nroot:SECRET-HASH-2:19000:0:99999:7:::\n");
  writeFileSync(join(logs, "audit.log"), "ox.login, login=anna\n");
  symlinkSync(secret, join(logs, "audit.log.1"));
  symlinkSync(secret, join(logs, "other.log"));

  const query = await cli(["query", "logs"], dir);
  t.false((query.out + query.err).includes("SECRET"), query.out + query.err);
  t.is(query.code, 3);
  t.true(query.out.includes('"login","value":"anna"'), "the real file is still read");
  t.regex(query.err, /cannot read logs\/audit\.log\.1 \(a symbolic link, not a regular file: not followed or opened\)/);
  t.regex(query.err, /cannot read logs\/other\.log \(a symbolic link/);

  const tail = await cli(["tail", "-n", "10", "logs/audit.log"], dir);
  t.false((tail.out + tail.err).includes("SECRET"), tail.out + tail.err);
  t.is(tail.out, "ox.login, login=anna\n");
  t.regex(tail.err, /cannot read logs\/audit\.log\.1 \(a symbolic link/);
  t.is(tail.code, 3);

  const verify = await cli(["verify", "--chain-only", "logs/audit.log"], dir);
  t.false((verify.out + verify.err).includes("SECRET"), verify.out + verify.err);
  t.regex(verify.err, /logs\/audit\.log\.1 is a symbolic link, not a regular file/);
  t.is(verify.code, 3);

  // tail -f: the active file "rotated" into a link to the secret is not followed either.
  const followed = join(dir, "follow");
  mkdirSync(followed);
  writeFileSync(join(followed, "audit.log"), "ox.login, login=ben\n");
  const follow = cli(["tail", "-f", "--poll", "20", "follow/audit.log"], dir, 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  renameSync(join(followed, "audit.log"), join(followed, "audit.log.1"));
  symlinkSync(secret, join(followed, "audit.log"));
  const followRun = await follow;
  t.false((followRun.out + followRun.err).includes("SECRET"), followRun.out + followRun.err);
  t.is(followRun.out, "ox.login, login=ben\n");
  t.is(followRun.err, "slf4ts-audit tail: cannot read follow/audit.log (a symbolic link, not a regular file: not followed or opened)\n");
  t.is(followRun.code, 3);

  // The path the user names may be a link (it is resolved once); what is found beside it is not followed.
  symlinkSync(join(logs, "audit.log"), join(dir, "current.log"));
  const named = await cli(["query", "current.log"], dir);
  t.true(named.out.includes('"value":"anna"'), named.err);
  t.false((named.out + named.err).includes("SECRET"));
});

test("a FIFO named like an archive does not hang the CLI: it is reported (query, tail, verify)", async (t) => {
  const dir = tempDir(t);
  const logs = join(dir, "logs");
  mkdirSync(logs);
  writeFileSync(join(logs, "audit.log"), "ox.login, login=anna\n");
  const mkfifo = spawn("mkfifo", [join(logs, "audit.log.2")], { stdio: "inherit" });
  const made = await new Promise<number | null>((r) => mkfifo.on("close", r));
  t.is(made, 0, "mkfifo (coreutils) must be installed");

  const query = await cli(["query", "logs"], dir, 20_000);
  t.is(query.code, 3, query.err);
  t.regex(query.err, /cannot read logs\/audit\.log\.2 \(a FIFO, not a regular file/);
  t.true(query.out.includes('"value":"anna"'));

  const tail = await cli(["tail", "-n", "10", "logs/audit.log"], dir, 20_000);
  t.is(tail.code, 3, tail.err);
  t.is(tail.out, "ox.login, login=anna\n");

  const verify = await cli(["verify", "--chain-only", "logs"], dir, 20_000);
  t.is(verify.code, 3, verify.err);
  t.regex(verify.err, /audit\.log\.2 is a FIFO, not a regular file/);
});

/** A file of three lines whose second is `bytes` NUL bytes long (sparse: it costs no disk). */
function giantLineFile(path: string, bytes: number): void {
  const head = "ox.login, login=anna\n";
  const tail = "\nox.logout, login=anna\n";
  const fd = openSync(path, "w");
  writeSync(fd, head);
  ftruncateSync(fd, head.length + bytes);
  writeSync(fd, tail, head.length + bytes);
  closeSync(fd);
}

test("a line longer than the V8 string limit (600 MiB) is reported with file:line, never a crash (query, tail, verify)", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  const bytes = 600 * 1024 * 1024;
  giantLineFile(file, bytes);

  const query = await cli(["query", "audit.log"], dir, 120_000);
  t.is(query.code, 1, query.err);
  t.is(
    query.err,
    `audit.log:2: line longer than 16777216 bytes (${bytes} bytes; --max-line-bytes): not read\n` +
      "slf4ts-audit query: 2 records matched of 3 lines in 1 file; 1 line could not be read\n",
  );
  t.deepEqual(
    query.out.trimEnd().split("\n").map((l) => (JSON.parse(l) as { line: number }).line),
    [1, 3],
    "the lines around it are read",
  );

  const tail = await cli(["tail", "-n", "5", "audit.log"], dir, 120_000);
  t.is(tail.code, 1, tail.err);
  t.is(tail.out, "ox.login, login=anna\nox.logout, login=anna\n");
  t.is(tail.err, `audit.log:2: line longer than 16777216 bytes (${bytes} bytes; --max-line-bytes): not read\n`);

  const verify = await cli(["verify", "--chain-only", "audit.log"], dir, 120_000);
  t.is(verify.code, 1, verify.err);
  t.is(verify.err, "");
  // verify stops at the bound: it does not read the rest of the line to count it.
  t.true(verify.out.includes(`FINDING unreadable         audit.log:2: line longer than 16777216 bytes (more than 16777216 bytes without a line feed, not read further; --max-line-bytes)`), verify.out);

  // The bound is a flag: a smaller one is kept to as well.
  const small = join(dir, "small");
  mkdirSync(small);
  writeFileSync(join(small, "audit.log"), `ox.a, x=${"y".repeat(2000)}\nox.b, x=1\n`);
  const flagged = await cli(["query", "--max-line-bytes", "1KB", "small"], dir);
  t.is(flagged.code, 1);
  t.is(flagged.err.split("\n")[0], "small/audit.log:1: line longer than 1024 bytes (2008 bytes; --max-line-bytes): not read");
  const bad = await cli(["query", "--max-line-bytes", "1TB", "small"], dir);
  t.is(bad.code, 2);
});

/**
 * A gzip bomb: `members` gzip members of 64 MiB of NUL bytes each, concatenated (gunzip reads
 * them as one stream), about 64 KiB each on disk.
 */
function gzipBomb(path: string, members: number): void {
  const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  writeFileSync(path, Buffer.concat(Array.from({ length: members }, () => member)));
}

test("a gzip bomb archive (1.1 GiB from 1 MiB) is reported with its file, never a crash (query, tail, verify)", async (t) => {
  const dir = tempDir(t);
  const logs = join(dir, "logs");
  mkdirSync(logs);
  gzipBomb(join(logs, "audit.log.1.gz"), 18);
  writeFileSync(join(logs, "audit.log"), "");

  const query = await cli(["query", "logs"], dir, 180_000);
  t.is(query.code, 1, query.err);
  t.regex(query.err, /^logs\/audit\.log\.1\.gz: decompresses to more than 1073741824 bytes \(a gzip bomb\? --max-gunzip-bytes\): not read further\n/);
  t.false(query.err.includes("RangeError"));

  // The bound is a flag (a smaller one keeps this test short). The bomb is one line of NULs:
  // verify stops at the line bound as soon as it is passed, so that bound is raised above this one.
  const verify = await cli(["verify", "--chain-only", "--max-gunzip-bytes", "100MB", "--max-line-bytes", "256MB", "logs"], dir, 180_000);
  t.is(verify.code, 1, verify.err);
  t.regex(verify.out, /FINDING unreadable +logs\/audit\.log\.1\.gz: decompresses to more than 104857600 bytes/);

  const tail = await cli(["tail", "-n", "5", "--max-gunzip-bytes", "100MB", "logs/audit.log"], dir, 180_000);
  t.is(tail.code, 1, tail.err);
  t.regex(tail.err, /logs\/audit\.log\.1\.gz: decompresses to more than 104857600 bytes/);
});

test("tail is linear in the length of a line: a 64 MiB line is passed over, or printed with a larger --max-line-bytes, in at most 3x the time per byte of an 8 MiB line", async (t) => {
  // Linear, not timed: the same command on an 8 MiB and a 64 MiB line, and 8x the line may cost at
  // most 24x the time (a process start included in both). The old quadratic splitter needed 64x
  // (48 s for 64 MiB on this machine).
  const run = async (length: number) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "audit.log"), `ox.big, x=${"a".repeat(length)}\nox.small, x=1\n`);
    // The 64 MiB line is over the default bound (16 MiB); the 8 MiB one over a bound of 2 MiB.
    const bound = length > 16 * 1024 * 1024 ? [] : ["--max-line-bytes", "2MB"];
    const skipped = await cli(["tail", "-n", "2", ...bound, "audit.log"], dir, 240_000);
    t.is(skipped.code, 1, skipped.err);
    t.is(skipped.out, "ox.small, x=1\n");
    t.is(skipped.err, `audit.log:1: line longer than ${length > 16 * 1024 * 1024 ? "16777216" : "2097152"} bytes (${length + 10} bytes; --max-line-bytes): not read\n`);
    const printed = await cli(["tail", "-n", "2", "--max-line-bytes", "100MB", "audit.log"], dir, 240_000);
    t.is(printed.code, 0, printed.err);
    t.is(printed.outBytes, length + "ox.big, x=\nox.small, x=1\n".length);
    return { skipped: skipped.ms, printed: printed.ms };
  };
  const small = await run(8 * 1024 * 1024);
  const large = await run(64 * 1024 * 1024);
  t.true(large.skipped / Math.max(small.skipped, 1) < 24, `skipped: ${small.skipped} ms for 8 MiB, ${large.skipped} ms for 64 MiB`);
  t.true(large.printed / Math.max(small.printed, 1) < 24, `printed: ${small.printed} ms for 8 MiB, ${large.printed} ms for 64 MiB`);
});

test("an unexpected error ends the CLI with exit code 3 and a message, never 1 (which means findings)", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "audit.log"), "ox.login, login=anna\n");
  // Something nobody catches, thrown while the command runs (once the CLI has started: it has
  // printed the record).
  const boom = join(dir, "boom.mjs");
  writeFileSync(
    boom,
    'const write = process.stdout.write.bind(process.stdout);\n' +
      'process.stdout.write = (...args) => { setTimeout(() => { throw new RangeError("Invalid string length \\u001b[2J"); }, 50); return write(...args); };\n',
  );
  const run = await cli(["tail", "-f", "--poll", "50", "audit.log"], dir, 20_000, ["--import", boom]);
  t.is(run.code, 3, run.err);
  t.is(run.out, "ox.login, login=anna\n");
  t.is(run.err, "slf4ts-audit: internal error: RangeError: Invalid string length \\u001B[2J\n");
});
