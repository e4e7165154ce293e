import test from "ava";
import { spawn } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { main } from "../src/cli/main.js";
import { captureIo } from "./lib/cli.js";
import { buildFixture } from "./lib/cli-fixture.js";
import { P, readLines, tempDir, waitFor } from "./lib/helpers.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const WRITER = fileURLToPath(new URL("./programs/tail-writer.js", import.meta.url));

test("tail -n prints the last records of the active file, and of the newest archives when it has fewer", async (t) => {
  const dir = tempDir(t);
  await buildFixture(dir);
  const three = captureIo({ cwd: dir });
  t.is(await main(["tail", "-n", "3", "logs/audit.log"], three.io), 0);
  t.is(
    three.out(),
    "ox.logout, login=erin, ip=192.0.2.8, timestamp=2026-11-20T18:00:00Z\n" +
      "ox.login, login=anna, ip=192.0.2.7, timestamp=2026-11-21T07:30:00Z, client=web\n" +
      "ox.logout, login=anna, ip=192.0.2.7, timestamp=2026-11-21T08:30:00Z\n",
  );
  const six = captureIo({ cwd: dir });
  t.is(await main(["tail", "-n", "6", "logs/audit.log"], six.io), 0);
  t.deepEqual(six.out().split("\n").slice(0, 2), [
    "ox.login, login=anna, ip=198.51.100.20, timestamp=2026-11-20T08:00:00Z, client=web",
    "ox.login, login=erin, ip=192.0.2.8, timestamp=2026-11-20T14:45:00Z, client=web",
  ]);
  t.is(six.out().split("\n").length, 7);
  const logins = captureIo({ cwd: dir });
  t.is(await main(["tail", "-n", "2", "--event", "ox.login", "--format", "jsonl", "logs/audit.log"], logins.io), 0);
  t.deepEqual(
    logins.out().trimEnd().split("\n").map((l) => JSON.parse(l) as { file: string; line: number; time: string }).map((r) => [r.file, r.line, r.time]),
    [
      ["logs/audit.log.1", 4, "2026-11-20T14:45:00Z"],
      ["logs/audit.log", 3, "2026-11-21T07:30:00Z"],
    ],
  );
});

test("tail -f prints a last line only once it is complete, and reads a truncated file again from its start", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  writeFileSync(file, "a, x=1\npartial, x=");
  const run = captureIo({ cwd: dir });
  const done = main(["tail", "-f", "--poll", "10", "audit.log"], run.io);
  t.true(await waitFor(() => run.out() === "a, x=1\n"));
  await new Promise((r) => setTimeout(r, 50));
  t.is(run.out(), "a, x=1\n", "the partial line waits");
  appendFileSync(file, "2\nb, x=3\n");
  t.true(await waitFor(() => run.out() === "a, x=1\npartial, x=2\nb, x=3\n"));
  writeFileSync(file, "c, x=4\n");
  t.true(await waitFor(() => run.out().endsWith("c, x=4\n")));
  run.abort();
  t.is(await done, 0);
  t.is(run.out(), "a, x=1\npartial, x=2\nb, x=3\nc, x=4\n");
  t.is(run.err(), "slf4ts-audit tail: audit.log was truncated; reading it from its start\n");
});

const followsRotations = test.macro(async (t, pollMs: number) => {
  const dir = tempDir(t);
  const properties = join(dir, "slf4j-auditlog.properties");
  writeFileSync(properties, [`${P}enabled=true`, `${P}file.location=logs/audit.log`, `${P}file.size=1KB`, `${P}file.count=1000`, `${P}delimiter="|"`, ""].join("\n"));
  const count = 400;
  const writer = spawn(process.execPath, [WRITER, properties, String(count)], { stdio: ["pipe", "pipe", "inherit"] });
  let writerOut = "";
  writer.stdout.on("data", (d: Buffer) => (writerOut += d.toString()));
  t.teardown(() => writer.kill("SIGKILL"));
  t.true(await waitFor(() => writerOut.includes("ready\n"), 20_000), "the writer starts");

  const tail = spawn(process.execPath, [MAIN, "tail", "-f", "-n", "5", "--poll", String(pollMs), "--properties", properties], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  tail.stdout.on("data", (d: Buffer) => (out += d.toString()));
  tail.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((done) => tail.on("exit", (code) => done(code)));
  t.teardown(() => tail.kill("SIGKILL"));
  const padding = "x".repeat(40);
  const expected = Array.from({ length: count }, (_, seq) => `tail.test|seq=${seq}|padding=${padding}`);
  t.true(await waitFor(() => out === expected[0] + "\n", 20_000), "tail prints the first record");

  writer.stdin.write("go\n");
  t.true(await waitFor(() => writerOut.includes("done\n"), 30_000), "the writer finishes");
  t.true(await waitFor(() => out.split("\n").length > count, 30_000), `tail prints every record (${out.split("\n").length - 1} so far)`);
  tail.kill("SIGINT");
  t.is(await exited, 0);
  t.is(err, "");
  t.deepEqual(out.trimEnd().split("\n"), expected);
  // The writer did rotate, many times: the records are spread over many files.
  const archives = readdirSync(join(dir, "logs")).filter((name) => /^audit\.log\.\d+$/.test(name));
  t.true(archives.length >= 20, `${archives.length} archives`);
  const onDisk = [...archives.map((name) => Number(name.slice("audit.log.".length))).sort((a, b) => b - a).map((n) => `audit.log.${n}`), "audit.log"].flatMap((name) => readLines(join(dir, "logs", name)));
  t.deepEqual(onDisk, expected);
});

// Looking often sees most rotations one at a time; looking rarely sees many at once (the files
// rotated in between are found by their inode and read in order).
test("tail -f follows the active file across real rotations by a writer process: every record exactly once, in order", followsRotations, 15);
test("tail -f catches up on several rotations between two looks", followsRotations, 400);

test("tail -f knows a rotated file again once it is compressed, also after two rotations between looks", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  writeFileSync(file, "a, n=1\n");
  const run = captureIo({ cwd: dir });
  const done = main(["tail", "-f", "--poll", "300", "audit.log"], run.io);
  t.true(await waitFor(() => run.out() === "a, n=1\n"));
  // Between two looks: a record for the old file, two rotations, and both archives compressed.
  appendFileSync(file, "a, n=2\n");
  renameSync(file, `${file}.1`);
  writeFileSync(file, "b, n=3\nb, n=4\n");
  renameSync(`${file}.1`, `${file}.2`);
  renameSync(file, `${file}.1`);
  writeFileSync(file, "c, n=5\n");
  for (const n of [1, 2]) {
    writeFileSync(`${file}.${n}.gz`, gzipSync(readFileSync(`${file}.${n}`)));
    unlinkSync(`${file}.${n}`);
  }
  t.true(await waitFor(() => run.out().endsWith("c, n=5\n")));
  appendFileSync(file, "c, n=6\n");
  t.true(await waitFor(() => run.out().endsWith("c, n=6\n")));
  run.abort();
  t.is(await done, 0);
  t.is(run.out(), "a, n=1\na, n=2\nb, n=3\nb, n=4\nc, n=5\nc, n=6\n");
  t.is(run.err(), "");
});
