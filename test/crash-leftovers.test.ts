/**
 * What a SIGKILL leaves in the middle of the writer's work on the files, judged before and at
 * the next start: a rotation killed while it shifts the archives (`.rotating` and one free
 * number), a compression killed between renaming its `.gz` into place and deleting the original
 * (both copies), and a process killed while it takes the rotation lock. verify reads around
 * what our own interrupted work left, but not around the same marks faked over a deletion.
 */
import test, { type ExecutionContext } from "ava";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { EMPTY_LOCK_MS, removeLockLeftovers, tryLock } from "../src/output/file-lock.js";
import { RollingFileWriter } from "../src/output/rolling-file.js";
import { runCli } from "./lib/cli.js";
import { listDir, tempDir } from "./lib/helpers.js";
import { INTEGRITY_SETTINGS, integritySetup, type IntegritySetup } from "./lib/integrity.js";

const crashLogger = fileURLToPath(new URL("./programs/crash-logger.js", import.meta.url));
const lockKiller = fileURLToPath(new URL("./programs/lock-killer.js", import.meta.url));

/** `slf4ts-audit verify --key <key> <logs>`: the exit code and what it wrote (stdout, then stderr). */
async function verify(logs: string, key: string): Promise<{ code: number; out: string }> {
  const { code, out, err } = await runCli(["verify", "--key", key, logs]);
  return { code, out: out + err };
}

const setup = (t: ExecutionContext): IntegritySetup =>
  integritySetup(t, { base: { ...INTEGRITY_SETTINGS, "file.size": "2KB", "file.count": "10000" }, prefix: "slf4ts-leftovers-" });

/** Runs the crash logger (run `run`), which SIGKILLs itself after `max` records or before its rename number `atRename`. */
function crashRun(props: string, run: number, env: Record<string, string>): void {
  const result = spawnSync(process.execPath, [crashLogger, props, String(run)], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 20_000 });
  if (result.signal !== "SIGKILL") throw new Error(`run ${run} ended by ${result.signal ?? result.status}: ${result.stderr}`);
}

const archiveNumbers = (logs: string): number[] =>
  readdirSync(logs)
    .map((n) => /^audit\.log\.([0-9]+)(\.gz)?$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);

test("a kill inside the archive shift (.rotating and one free number): verify reads around it, the next start closes it; the same marks faked over a deleted archive are found", async (t) => {
  const { logs, props, key } = setup(t);
  crashRun(props, 0, { CRASH_MAX_RECORDS: "300" });
  const before = archiveNumbers(logs);
  t.true(before.length >= 6, `${before.length} archives`);
  // Rename 1 puts the active file aside, 2 and 3 move the two oldest archives up: killed before 4.
  crashRun(props, 1, { CRASH_AT_RENAME: "4" });
  t.true(existsSync(join(logs, "audit.log.rotating")));
  const numbers = archiveNumbers(logs);
  const top = numbers.at(-1) as number;
  const missing = Array.from({ length: top }, (_, i) => i + 1).filter((i) => !numbers.includes(i));
  t.deepEqual(missing, [top - 2], "one free number, below the two archives moved");
  const interrupted = await verify(logs, key);
  t.is(interrupted.code, 0, interrupted.out);
  t.regex(interrupted.out, /WARNING interrupted +audit\.log\.rotating is there/);

  // Finished at the next start: numbering whole, and still intact.
  crashRun(props, 2, { CRASH_MAX_RECORDS: "5" });
  t.false(existsSync(join(logs, "audit.log.rotating")));
  const after = archiveNumbers(logs);
  t.deepEqual(after, Array.from({ length: after.length }, (_, i) => i + 1));
  const finished = await verify(logs, key);
  t.is(finished.code, 0, finished.out);

  // An attacker who deletes an archive and leaves a `.rotating` to explain the gap: the chain
  // does not run across it, so the deletion is still found.
  const attacked = `${logs}-attacked`;
  cpSync(logs, attacked, { recursive: true });
  rmSync(join(attacked, "audit.log.3"));
  writeFileSync(join(attacked, "audit.log.rotating"), "");
  const faked = await verify(attacked, key);
  t.is(faked.code, 1, faked.out);
  t.regex(faked.out, /FINDING/);
});

test("a plain archive beside its .gz at start: the plain one goes when the .gz holds exactly its bytes; a .gz cut short goes; two different files (also a longer .gz) are both kept", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const records = (tag: string): Buffer => Buffer.from(Array.from({ length: 40 }, (_, i) => `${tag} record ${i}\n`).join(""));
  writeFileSync(path, "");
  // 1: a compression killed after the rename into place, before the original's deletion.
  writeFileSync(`${path}.1`, records("a"));
  writeFileSync(`${path}.1.gz`, gzipSync(records("a")));
  // 2: the .gz never reached the disk whole (a machine crash without fsync).
  writeFileSync(`${path}.2`, records("b"));
  const cut = gzipSync(records("b"));
  writeFileSync(`${path}.2.gz`, cut.subarray(0, cut.length - 9));
  // 3: the same length (so the same size in gzip's trailer), other records: not ours to choose.
  writeFileSync(`${path}.3`, records("c"));
  writeFileSync(`${path}.3.gz`, gzipSync(records("d")));
  // 4: a complete .gz that inflates to more than the plain file (other, longer records): not cut short.
  writeFileSync(`${path}.4`, records("e"));
  writeFileSync(`${path}.4.gz`, gzipSync(Buffer.concat([records("e"), records("f")])));
  for (const name of readdirSync(dir)) utimesSync(join(dir, name), new Date(Date.now() - 5000), new Date(Date.now() - 5000));
  const failures: string[] = [];
  const writer = new RollingFileWriter(path, { maxSize: 1 << 20, maxArchives: 10 }, (f) => failures.push(`${f.operation} ${f.path} ${f.error.message}`));
  t.true(writer.open());
  await writer.compressionIdle();
  writer.close();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2", "audit.log.3", "audit.log.3.gz", "audit.log.4", "audit.log.4.gz"]);
  t.deepEqual(readFileSync(`${path}.2`), records("b"), "the complete copy is kept");
  t.deepEqual(failures, []);
});

test("verify reads an archive that is both plain and compressed with the same records once, and reports two different ones", async (t) => {
  const { logs, props, key } = setup(t);
  crashRun(props, 0, { CRASH_MAX_RECORDS: "200" });
  const plain = readFileSync(join(logs, "audit.log.2"));
  writeFileSync(join(logs, "audit.log.2.gz"), gzipSync(plain));
  const same = await verify(logs, key);
  t.is(same.code, 0, same.out);
  t.regex(same.out, /WARNING interrupted +audit\.log\.2 and audit\.log\.2\.gz hold the same records/);
  writeFileSync(join(logs, "audit.log.2.gz"), gzipSync(Buffer.concat([plain, plain])));
  const different = await verify(logs, key);
  t.is(different.code, 1, different.out);
});

for (const step of [1, 2, 3, 4, 5]) {
  test(`a process killed at step ${step} of taking the rotation lock leaves no lock that makes others wait`, (t) => {
    const dir = tempDir(t);
    const lock = join(dir, "audit.log.lock");
    const result = spawnSync(process.execPath, [lockKiller, lock, String(step)], { encoding: "utf8", timeout: 10_000 });
    t.is(result.signal, "SIGKILL", result.stderr);
    const started = Date.now();
    const taken = tryLock(lock, 300);
    t.is(typeof taken, "function", JSON.stringify(taken));
    t.true(Date.now() - started < 250, "taken at once, not after the wait");
    if (typeof taken === "function") taken();
    // A temporary file of the killed process names it and is deleted at once; so is an empty one
    // (killed before it could write it: the next start must not leave it behind).
    removeLockLeftovers(lock, readdirSync(dir));
    t.deepEqual(listDir(dir), []);
  });
}

test("a lock naming a live pid with another start time (the pid was reused) is broken at once; an empty one once it is 1 s old", (t) => {
  const dir = tempDir(t);
  const lock = join(dir, "audit.log.lock");
  writeFileSync(lock, `${process.pid} 1 0123456789abcdef\n`);
  const reused = tryLock(lock, 300);
  t.is(typeof reused, "function", JSON.stringify(reused));
  if (typeof reused === "function") reused();
  writeFileSync(lock, "");
  const fresh = tryLock(lock, 50);
  t.is(typeof fresh, "object", "a fresh empty lock may be an owner about to write it");
  const old = new Date(Date.now() - EMPTY_LOCK_MS - 500);
  utimesSync(lock, old, old);
  const empty = tryLock(lock, 300);
  t.is(typeof empty, "function", JSON.stringify(empty));
  if (typeof empty === "function") empty();
});

test("releasing a lock that was broken and taken by another process leaves the other's lock", (t) => {
  const dir = tempDir(t);
  const lock = join(dir, "audit.log.lock");
  const release = tryLock(lock, 50);
  if (typeof release !== "function") return t.fail(JSON.stringify(release));
  writeFileSync(lock, `${process.pid} - fedcba9876543210\n`); // another owner's lock now
  release();
  t.true(existsSync(lock));
  truncateSync(lock);
});
