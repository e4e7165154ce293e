/**
 * Nothing hangs: what sits at the audit file's path, its lock's path or its folder cannot make
 * configure() or log() wait without bound. Each case runs in a child process that is killed
 * after a minute, so that the old behaviour (blocking for ever, spinning, waiting 2 s per
 * record) fails the test instead of hanging it.
 */
import test, { type ExecutionContext } from "ava";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAuditLine } from "../src/index.js";
import { readLines, tempDir } from "./lib/helpers.js";

const child = fileURLToPath(new URL("./programs/hang-child.js", import.meta.url));
const lockHolder = fileURLToPath(new URL("./programs/lock-holder.js", import.meta.url));
// Below ava's own timeout (60 s), so that a hang is reported as this test's failure.
const LIMIT_MS = 40_000;

interface Outcome {
  readonly ms: number;
  readonly events: ReadonlyArray<{ code: string; message: string }>;
  readonly [key: string]: unknown;
}

async function run(t: ExecutionContext, args: string[]): Promise<Outcome> {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => proc.kill("SIGKILL"), LIMIT_MS);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => proc.on("close", (c, s) => resolve([c, s])));
  clearTimeout(killer);
  if (signal === "SIGKILL") t.fail(`${args[0]} did not finish within ${LIMIT_MS / 1000} s: it hangs`);
  t.is(code, 0, stderr);
  return JSON.parse(stdout === "" ? "{}" : stdout) as Outcome;
}

function mkfifo(path: string): void {
  execFileSync("mkfifo", [path]);
}

/** Every record of the folder's audit.log files, by seq, each once. */
function seqs(dir: string): number[] {
  const names = readdirSync(dir).filter((n) => /^audit\.log(\.\d+)?$/.test(n));
  names.sort((a, b) => Number(b.split(".")[2] ?? 0) - Number(a.split(".")[2] ?? 0));
  return names.flatMap((n) => readLines(join(dir, n))).map((line) => Number(parseAuditLine(line, { delimiter: "|", includeAttributeNames: true }).attributes[0]?.[1]));
}

test("a FIFO at file.location is refused by configure() with a ConfigError naming file.location; a reload keeps the last good file", async (t) => {
  const dir = tempDir(t);
  mkfifo(join(dir, "fifo.log"));
  const outcome = (await run(t, ["fifo-location", dir])) as Outcome & Record<"first" | "good" | "reload", { configError?: boolean; key?: string; error?: string; applied?: boolean }>;
  for (const which of ["first", "reload"] as const) {
    const attempt = outcome[which];
    t.true(attempt.configError, `${which}: ${JSON.stringify(attempt)}`);
    t.is(attempt.key, "com.openexchange.log.audit.slf4j.file.location");
    t.regex(attempt.error ?? "", /fifo\.log is a FIFO \(named pipe\), not a regular file/);
  }
  t.true(outcome.good.applied);
  t.is(outcome["file"], join(dir, "good.log"));
  t.deepEqual(readLines(join(dir, "good.log")), ["after|seq=1"]);
});

for (const multiprocess of ["true", "unset"] as const) {
  test(`a FIFO at the lock path (file.multiprocess ${multiprocess}): rotation is refused with a clear report, log() goes on, every record is kept`, async (t) => {
    const dir = tempDir(t);
    mkfifo(join(dir, "audit.log.lock"));
    const outcome = await run(t, ["fifo-lock", dir, multiprocess]);
    t.true(outcome.ms < 30_000, `took ${outcome.ms} ms`);
    t.true(
      outcome.events.some((e) => e.code === "ROTATE_FAILED" && /audit\.log\.lock is a FIFO \(named pipe\), not a lock file/.test(e.message)),
      JSON.stringify(outcome.events),
    );
    t.deepEqual(seqs(dir), Array.from({ length: 300 }, (_, i) => i));
  });
}

test("a FIFO as the properties file: configure() refuses it with a ConfigError at once, never waits for a writer", async (t) => {
  const dir = tempDir(t);
  mkfifo(join(dir, "fifo.properties"));
  const outcome = (await run(t, ["fifo-properties", dir])) as Outcome & { configure: { error?: string; configError?: boolean; ms: number } };
  t.true(outcome.configure.configError, JSON.stringify(outcome.configure));
  t.regex(outcome.configure.error ?? "", /cannot read the file \(EFTYPE: not a regular file/);
  t.true(outcome.configure.ms < 10_000, `took ${outcome.configure.ms} ms`);
});

test("file.location under /proc is refused at once by configure() with a clear error (no mkdir loop)", async (t) => {
  const outcome = (await run(t, ["proc", "/"])) as Outcome & { configure: { error?: string; configError?: boolean; key?: string } };
  t.true(outcome.ms < 10_000, `took ${outcome.ms} ms`);
  t.true(outcome.configure.configError, JSON.stringify(outcome.configure));
  t.is(outcome.configure.key, "com.openexchange.log.audit.slf4j.file.location");
  t.regex(outcome.configure.error ?? "", /"\/proc\/nope\/a\.log": cannot be the audit file: it is under \/proc, a kernel file system/);
});

for (const multiprocess of ["true", "unset"] as const) {
  test(`a lock kept fresh by another process (file.multiprocess ${multiprocess}): 200 log() calls wait for it once, not 200 times, and keep every record`, async (t) => {
    const dir = tempDir(t);
    const lock = join(dir, "audit.log.lock");
    // A live process that owns the lock and keeps it fresh (as a hostile local user could).
    const holder = spawn(process.execPath, [lockHolder, lock, "fresh"], { stdio: "ignore" });
    t.teardown(() => holder.kill("SIGKILL"));
    for (let i = 0; i < 500 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 20)); // up to 10 s for the holder to start on a busy machine
    t.true(existsSync(lock));
    const outcome = (await run(t, ["fresh-lock", dir, multiprocess])) as Outcome & { logMs: number };
    // 200 waits of 2 s would be 400 s; one wait, then the back-off, is about 2 s. Generous bound.
    t.true(outcome.logMs < 20_000, `200 log() calls took ${outcome.logMs} ms`);
    const busy = outcome.events.filter((e) => e.code === "ROTATE_FAILED");
    t.true(busy.length >= 1 && busy.length <= 3, JSON.stringify(busy));
    t.regex(busy[0]?.message ?? "", /held by another process \(pid \d+\) for the whole wait of 2000 ms; no rotation for 30 s/);
    t.deepEqual(seqs(dir), Array.from({ length: 200 }, (_, i) => i));
  });
}

test("a lock that a local user makes seem to change hands (rewritten with other live pids) costs one contended wait, then the back-off: not one wait per record", async (t) => {
  const dir = tempDir(t);
  const lock = join(dir, "audit.log.lock");
  // Alternates the lock's owner between itself and pid 1, so every look sees another owner.
  const holder = spawn(process.execPath, [lockHolder, lock, "alternate"], { stdio: "ignore" });
  t.teardown(() => holder.kill("SIGKILL"));
  for (let i = 0; i < 500 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 20)); // up to 10 s for the holder to start on a busy machine
  t.true(existsSync(lock));
  const outcome = (await run(t, ["fresh-lock", dir, "true"])) as Outcome & { logMs: number };
  // 200 waits of 2 s would be 400 s; one contended wait (EBUSY, no back-off) and one more that
  // starts the back-off are about 4 s. Generous bound.
  t.true(outcome.logMs < 25_000, `200 log() calls took ${outcome.logMs} ms`);
  const busy = outcome.events.filter((e) => e.code === "ROTATE_FAILED");
  t.true(busy.length >= 1 && busy.length <= 4, JSON.stringify(busy));
  t.true(busy.some((e) => /no rotation for 30 s/.test(e.message)), JSON.stringify(busy));
  t.deepEqual(seqs(dir), Array.from({ length: 200 }, (_, i) => i));
});
