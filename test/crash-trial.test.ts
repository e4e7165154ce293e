/**
 * Crash trials: a process logging hard into small files (gzip compression and HMAC integrity on)
 * is killed with SIGKILL again and again: at a random moment, or right before a random rename,
 * archive unlink or link of its own (inside a rotation, the swap of a compressed archive, or
 * while it takes the rotation lock). Each next run starts on what the last one left, and
 * `slf4ts-audit verify` right after each kill (before the next start) reports the log intact. Afterwards every record whose log() returned is in the files
 * exactly once, whole, in order; the archives are numbered 1..N without a gap; no
 * `.rotating` is left; `slf4ts-audit query` sees every record and `slf4ts-audit verify`
 * reports the log intact.
 *
 * SLF4TS_CRASH_TRIALS=200 runs a longer trial (default 10, a few seconds).
 */
import test from "ava";
import { spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "./lib/cli.js";
import { INTEGRITY_SETTINGS, integritySetup } from "./lib/integrity.js";

const child = fileURLToPath(new URL("./programs/crash-logger.js", import.meta.url));
const cleanStart = fileURLToPath(new URL("./programs/clean-start.js", import.meta.url));
const TRIALS = Number(process.env["SLF4TS_CRASH_TRIALS"] ?? 10);

interface Trial {
  readonly how: string;
  /** The last seq whose log() returned, as the child said. */
  readonly lastReturned: number;
  /** Whether this run started by finishing a rotation the previous run's crash interrupted. */
  readonly recovered: boolean;
}

function trial(props: string, run: number): Promise<Trial> {
  const kind = run % 4;
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  let how: string;
  if (kind === 0) {
    env["CRASH_AT_RENAME"] = String(randomInt(1, 80));
    how = `before rename #${env["CRASH_AT_RENAME"]}`;
  } else if (kind === 1) {
    // Archive unlinks: the first ones are compressions deleting the original after the .gz got its name.
    env["CRASH_AT_UNLINK"] = String(randomInt(1, 4));
    how = `before archive unlink #${env["CRASH_AT_UNLINK"]}`;
  } else if (kind === 3) {
    // Links: taking the rotation (or chain) lock.
    env["CRASH_AT_LINK"] = String(randomInt(1, 40));
    how = `before link #${env["CRASH_AT_LINK"]} (taking a lock)`;
  } else {
    how = "at a random moment";
  }
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, props, String(run)], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    // Random kills land after start-up, while records are being written (and archives compressed).
    const killer = setTimeout(() => proc.kill("SIGKILL"), kind === 2 ? randomInt(400, 1800) : 4000);
    proc.on("close", (_code, signal) => {
      clearTimeout(killer);
      if (signal !== "SIGKILL") {
        reject(new Error(`run ${run} ended by ${signal ?? "exit"}: ${err}`));
        return;
      }
      const seqs = out.split("\n").filter((l) => l !== "");
      resolve({ how, lastReturned: seqs.length === 0 ? -1 : Number(seqs.at(-1)), recovered: err.includes("[ROTATION_RECOVERED]") });
    });
  });
}

test(`${TRIALS} SIGKILLs during rotations and compressions: no record lost, duplicated or torn; archives whole; query and verify see it all`, async (t) => {
  t.timeout(60_000 + TRIALS * 5000);
  const { dir, key, props } = integritySetup(t, {
    base: {
      ...INTEGRITY_SETTINGS,
      delimiter: '"|"',
      // 4 KB, larger for a long trial so that the archives stay a few hundred (every rotation renames them all).
      "file.size": `${4 * Math.ceil(TRIALS / 10)}KB`,
      "file.count": "10000",
      "file.compress": "true",
      "integrity.checkpoint.records": "50",
    },
    keyText: `secret=${randomBytes(32).toString("hex")}\n`,
    prefix: "slf4ts-crash-",
  });
  const trials: Trial[] = [];
  // verify right after each kill, before any restart: what a killed rotation, compression or
  // lock leaves must read as intact (the next start only tidies it up).
  const afterKill: string[] = [];
  for (let run = 0; run < TRIALS; run++) {
    const result = await trial(props, run);
    trials.push(result);
    const check = await runCli(["verify", "--key", key, join(dir, "logs")]);
    if (check.code !== 0) afterKill.push(`after run ${run} (killed ${result.how}):\n${check.out}${check.err}`);
  }
  t.deepEqual(afterKill, [], "verify right after each kill");
  // One more start, which finishes what the last crash interrupted, and a clean end. It logs one
  // record: the chain starts with it and its resume checkpoint seals the last killed session's tail.
  let lastErr = "";
  const last = await new Promise<number | null>((resolve) => {
    const proc = spawn(process.execPath, [cleanStart, props, "crash.final"], { stdio: ["ignore", "ignore", "pipe"] });
    proc.stderr.on("data", (d: Buffer) => (lastErr += d.toString()));
    proc.on("close", resolve);
  });
  t.is(last, 0, lastErr);

  const logs = join(dir, "logs");
  const names = readdirSync(logs);
  t.deepEqual(names.filter((n) => !/^audit\.log(\.\d+(\.gz)?)?$/.test(n)), [], "no .rotating, temporary or lock file left");
  const numbers = names.filter((n) => n !== "audit.log").map((n) => Number(n.split(".")[2]));
  t.is(new Set(numbers).size, numbers.length, "no archive both compressed and plain");
  t.deepEqual([...numbers].sort((a, b) => a - b), Array.from({ length: numbers.length }, (_, i) => i + 1), "archives numbered 1..N without a gap");
  t.true(numbers.length > TRIALS, `${numbers.length} archives`);
  t.true(names.some((n) => n.endsWith(".gz")), "some archives were compressed");

  const query = await runCli(["query", logs, "--properties", props, "--event", "crash.trial", "--format", "jsonl"]);
  t.is(query.code, 0, query.err);
  const records = query.out
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const attributes = (JSON.parse(l) as { attributes: Array<{ name: string; value: string }> }).attributes;
      return { run: Number(attributes[0]?.value), seq: Number(attributes[1]?.value), pad: attributes[2]?.value ?? "" };
    });
  // Every run's records, 0 up to at least the last one whose log() returned, once each, in order, whole.
  let at = 0;
  for (let run = 0; run < TRIALS; run++) {
    let seq = 0;
    while (at < records.length && (records[at] as { run: number }).run === run) {
      const record = records[at] as { run: number; seq: number; pad: string };
      if (record.seq !== seq) {
        t.fail(`run ${run} (killed ${trials[run]?.how}): seq ${record.seq} where ${seq} was expected`);
        return;
      }
      if (record.pad !== "p".repeat(seq % 50)) t.fail(`run ${run} seq ${seq} is torn`);
      seq++;
      at++;
    }
    t.true(seq - 1 >= (trials[run]?.lastReturned ?? -1), `run ${run} (killed ${trials[run]?.how}): ${seq} records on disk, log() had returned for ${(trials[run]?.lastReturned ?? -1) + 1}`);
  }
  t.is(at, records.length, "nothing but the runs' records, in run order");

  const verify = await runCli(["verify", "--key", key, logs]);
  t.is(verify.code, 0, `verify:\n${verify.out}${verify.err}\ntrials: ${trials.map((r) => r.how).join("; ")}`);
  const recovered = trials.filter((r) => r.recovered).length;
  if (!verify.out.includes("(0 warnings)")) t.log(verify.out);
  t.log(`${TRIALS} crash trials (${recovered} left a rotation to finish), ${records.length} records, ${numbers.length} archives; ${verify.out.split("\n").at(-2) ?? ""}`);
});
