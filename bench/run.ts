/**
 * The benchmark runner of issue 3.
 *
 *   npm run bench                      every scenario, written to bench/RESULTS.md
 *   npm run bench -- dedicated         one scenario by name (or number: `npm run bench -- 1`)
 *   npm run bench -- 1 --only slf4ts   one subject of it
 *   npm run bench -- 1 --profile       plus a CPU-profiled run of each slf4ts subject
 *   npm run bench -- soak              10 million records, memory over time (bench/SOAK.md)
 *   npm run bench -- memory            RSS and heap by stage (import, configure, records), slf4ts and the naive logger
 *
 * Environment: BENCH_RECORDS (default 1000000), BENCH_REPS (3), BENCH_SLOW_RECORDS (250000,
 * the cap of the slowest peers), BENCH_PROFILE (auto: profile slf4ts where a target is missed;
 * always; never), BENCH_PERF (never: no perf profile even where perf is installed),
 * BENCH_RESULTS (where to write the markdown; by default bench/RESULTS.md for a full run with
 * the default sizes, bench/out/RESULTS-partial.md for anything else).
 *
 * Each repetition of each subject runs in its own process; the files it wrote are verified
 * here after it exits, then deleted.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RESULT_MARKER, type ChildResult, type Scenario, type Subject } from "./lib/harness.js";
import { perfAvailable, perfCommand, summarizePerf } from "./lib/perf.js";
import { summarizeProfile } from "./lib/profile.js";
import { evaluateTargets, medians, renderMarkdown, type ScenarioOutcome, type SubjectOutcome } from "./lib/report.js";
import { SLOW_RECORDS } from "./lib/subjects.js";
import { verifyFiles } from "./lib/verify.js";
import { findScenario, SCENARIOS } from "./scenarios/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const benchDir = join(root, "bench");
const outRoot = join(benchDir, "out");

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text.replace(/_/g, ""));
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(text)}`);
  return value;
}

interface ChildOutcome {
  readonly result?: ChildResult;
  readonly error?: string;
}

/** Runs one child; resolves with its result or what went wrong. */
function runChild(args: readonly string[], nodeFlags: readonly string[], timeoutMs: number, wrapper: readonly string[] = [], cwd?: string): Promise<ChildOutcome> {
  return new Promise((resolvePromise) => {
    const command = [...wrapper, process.execPath, ...nodeFlags, join(here, "child.js"), ...args];
    const child = spawn(command[0] as string, command.slice(1), { stdio: ["ignore", "pipe", "pipe"], ...(cwd === undefined ? {} : { cwd }) });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARKER));
      if (code === 0 && line !== undefined) {
        resolvePromise({ result: JSON.parse(line.slice(RESULT_MARKER.length)) as ChildResult });
        return;
      }
      const reason = signal === "SIGKILL" ? `killed after ${timeoutMs / 1000} s` : `exit code ${code ?? signal}`;
      const tail = stderr.trim().split("\n").slice(-3).join(" ⏎ ");
      resolvePromise({ error: `child process failed (${reason})${tail === "" ? "" : `: ${tail}`}` });
    });
  });
}

function recordsFor(subject: Subject, scenario: Scenario, records: number): number {
  if (subject.kind === "calls") return records * (scenario.callsPerRecord ?? 1);
  return Math.min(records, subject.maxRecords ?? records);
}

function fmt(result: ChildResult, calls: boolean): string {
  const rate = result.perSecond >= 1e6 ? `${(result.perSecond / 1e6).toFixed(2)}M` : `${(result.perSecond / 1e3).toFixed(0)}k`;
  if (calls) return `${rate} calls/s, ${result.nsPerOp.toFixed(2)} ns/call, p99 of batches ${result.p99Ns.toFixed(2)} ns, RSS ${result.peakRssMB.toFixed(0)} MB`;
  const loopRate = result.records / (result.loopMs / 1000);
  const loop = loopRate >= 1e6 ? `${(loopRate / 1e6).toFixed(2)}M` : `${(loopRate / 1e3).toFixed(0)}k`;
  return `${rate}/s (log() loop ${loop}/s), CPU ${(result.cpuNsPerOp / 1000).toFixed(2)} µs/rec, p50 ${(result.p50Ns / 1000).toFixed(2)} µs, p99 ${(result.p99Ns / 1000).toFixed(2)} µs, RSS ${result.peakRssMB.toFixed(0)} MB`;
}

async function runScenario(
  scenario: Scenario,
  options: { records: number; reps: number; only: string | undefined; profile: "auto" | "always" | "never"; runDir: string; timeoutMs: number },
): Promise<ScenarioOutcome> {
  const started = Date.now();
  const subjects = scenario.subjects.filter((s) => options.only === undefined || s.id === options.only);
  if (subjects.length === 0) throw new Error(`scenario ${scenario.name} has no subject ${options.only}; it has ${scenario.subjects.map((s) => s.id).join(", ")}`);
  const outcomes: SubjectOutcome[] = subjects.map((subject) => ({ subject, runs: [], failures: [], warnings: [], verified: [], skipped: undefined }));
  console.log(`\n== ${scenario.number}. ${scenario.name}: ${scenario.title}`);
  for (let rep = 0; rep < options.reps; rep++) {
    // A different order each repetition, so a slow drift of the machine does not favour one subject.
    const order = outcomes.map((_, i) => outcomes[(i + rep) % outcomes.length] as SubjectOutcome);
    for (const outcome of order) {
      const subject = outcome.subject;
      if (outcome.skipped !== undefined) continue;
      const records = recordsFor(subject, scenario, options.records);
      const dir = join(options.runDir, `${scenario.name}-${subject.id}-r${rep + 1}`);
      mkdirSync(dir, { recursive: true });
      const child = await runChild([scenario.name, subject.id, String(records), dir], [], options.timeoutMs);
      const prefix = `  rep ${rep + 1}/${options.reps} ${subject.id.padEnd(22)}`;
      if (child.result === undefined) {
        outcome.failures.push(child.error ?? "unknown failure");
        console.log(`${prefix} FAILED: ${child.error}`);
      } else if (child.result.skipped !== undefined) {
        outcome.skipped = child.result.skipped;
        console.log(`${prefix} skipped: ${child.result.skipped}`);
      } else {
        outcome.runs.push(child.result);
        let check = "";
        if (subject.kind === "records") {
          const folders = [{ folder: "", label: "", spec: subject.verify }, ...(subject.alsoVerify ?? [])];
          for (const { folder, label, spec } of folders) {
            const verdict = verifyFiles(join(dir, folder), records, spec);
            const summary = label === "" ? verdict.summary : `${label}: ${verdict.summary}`;
            if (!verdict.ok) outcome.failures.push(`rep ${rep + 1}: ${summary}`);
            else if (!outcome.verified.includes(summary)) outcome.verified.push(summary);
            for (const w of verdict.warnings) if (!outcome.warnings.includes(w)) outcome.warnings.push(w);
            check += verdict.ok ? ` ✓ ${summary}` : ` ✗ ${summary}`;
            if (verdict.warnings.length > 0) check += ` ⚠ ${verdict.warnings.join("; ")}`;
          }
          const off = child.result.offPath;
          if (off !== undefined) {
            for (const problem of off.problems) outcome.failures.push(`rep ${rep + 1}: ${problem}`);
            check +=
              ` | targets: every record delivered ${off.deliveredMs.toFixed(0)} ms after the first call (${off.afterLoopMs.toFixed(0)} ms after the last), ` +
              `receiver CPU ${(off.receiverCpuNsPerOp / 1000).toFixed(2)} µs/rec` +
              (off.problems.length > 0 ? ` ✗ ${off.problems.join("; ")}` : ` ✓ ${off.checks.join("; ")}`);
          }
        }
        console.log(`${prefix} ${fmt(child.result, subject.kind === "calls")}${check}`);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const outcome: ScenarioOutcome = { scenario, subjects: outcomes, profiles: [], seconds: 0 };
  // Profile slf4ts where a target is missed (or always, with --profile), in one extra run each.
  const missed = evaluateTargets(outcome).filter((t) => t.met === false);
  const toProfile = outcomes.filter(
    (o) =>
      o.subject.role === "slf4ts" &&
      medians(o) !== undefined &&
      (options.profile === "always" || (options.profile === "auto" && missed.some((t) => t.target.subject === o.subject.id))),
  );
  for (const o of toProfile) {
    const records = recordsFor(o.subject, scenario, options.records);
    const dir = join(options.runDir, `${scenario.name}-${o.subject.id}-profile`);
    const profileDir = join(outRoot, "profiles");
    mkdirSync(dir, { recursive: true });
    mkdirSync(profileDir, { recursive: true });
    const name = `${scenario.name}-${o.subject.id}.cpuprofile`;
    const child = await runChild([scenario.name, o.subject.id, String(records), dir], ["--cpu-prof", "--cpu-prof-dir", profileDir, "--cpu-prof-name", name], options.timeoutMs);
    rmSync(dir, { recursive: true, force: true });
    if (child.result === undefined) {
      console.log(`  profile of ${o.subject.id} failed: ${child.error}`);
      continue;
    }
    const file = join(profileDir, name);
    const summary = summarizeProfile(file, root, child.result.windowUs);
    console.log(`  --cpu-prof of ${o.subject.id} (${relative(root, file)}): ${summary.top.slice(0, 5).map((e) => `${e.name} ${e.percent.toFixed(1)}%`).join(", ")}`);
    const entry: ScenarioOutcome["profiles"][number] = { subject: o.subject.id, summary, file: relative(root, file) };
    if (perfAvailable()) {
      // A second extra run under perf, whose samples are not biased towards the write call.
      const perfFile = join(profileDir, `${scenario.name}-${o.subject.id}.perf.data`);
      mkdirSync(dir, { recursive: true });
      const perfChild = await runChild([scenario.name, o.subject.id, String(records), dir], ["--perf-basic-prof"], options.timeoutMs, perfCommand(perfFile), options.runDir);
      rmSync(dir, { recursive: true, force: true });
      if (perfChild.result === undefined) {
        console.log(`  perf of ${o.subject.id} failed: ${perfChild.error}`);
      } else {
        try {
          const perf = summarizePerf(perfFile, root, perfChild.result.windowUs, 12, perfChild.result.pid);
          if (perf.pid !== undefined) rmSync(`/tmp/perf-${perf.pid}.map`, { force: true });
          entry.perf = perf;
          console.log(`  perf of ${o.subject.id}: ${perf.byJsFunction.slice(0, 5).map((e) => `${e.name} ${e.percent.toFixed(1)}%`).join(", ")}`);
        } catch (error) {
          console.log(`  perf of ${o.subject.id} could not be read: ${(error as Error).message}`);
        }
      }
    }
    outcome.profiles.push(entry);
  }
  return { ...outcome, seconds: (Date.now() - started) / 1000 };
}

function printSummary(outcomes: readonly ScenarioOutcome[]): void {
  console.log("\n== Targets");
  for (const o of outcomes) {
    for (const t of evaluateTargets(o)) {
      const mark = t.met === undefined ? "not measured" : t.met ? "met" : "MISSED";
      console.log(`  [issue ${t.target.issue ?? 3}] ${o.scenario.number}. ${t.target.text}: ${t.measured} → ${mark}`);
    }
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let only: string | undefined;
  let profile = (process.env["BENCH_PROFILE"] ?? "auto") as "auto" | "always" | "never";
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--only") only = argv[++i];
    else if (arg.startsWith("--only=")) only = arg.slice("--only=".length);
    else if (arg === "--profile") profile = "always";
    else if (arg === "--help" || arg === "-h") {
      console.log(`usage: npm run bench -- [scenario ...] [--only <subject>] [--profile] | soak | memory\nscenarios: ${SCENARIOS.map((s) => `${s.number} ${s.name}`).join(", ")}, soak, memory`);
      return;
    } else names.push(arg);
  }
  if (!["auto", "always", "never"].includes(profile)) throw new Error(`BENCH_PROFILE must be auto, always or never, got ${profile}`);

  const single = names.find((n) => n === "soak" || n === "memory");
  if (single !== undefined) {
    if (names.length > 1) throw new Error(`run the ${single} on its own: npm run bench -- ${single}`);
    const child = spawn(process.execPath, [join(here, `${single}.js`)], { stdio: "inherit" });
    const code = await new Promise<number | null>((r) => child.on("close", r));
    process.exitCode = code ?? 1;
    return;
  }

  const scenarios = names.length === 0 ? [...SCENARIOS] : names.map((n) => findScenario(n) ?? failUnknown(n));
  const records = envNumber("BENCH_RECORDS", 1_000_000);
  const reps = envNumber("BENCH_REPS", 3);
  const timeoutMs = envNumber("BENCH_TIMEOUT_S", 600) * 1000;
  // Only a full run with the default sizes replaces bench/RESULTS.md; anything else is partial.
  const full = names.length === 0 && only === undefined && records === 1_000_000 && reps === 3 && SLOW_RECORDS === 250_000;
  const runDir = join(outRoot, `run-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  const started = Date.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const outcomes: ScenarioOutcome[] = [];
  try {
    for (const scenario of scenarios) {
      outcomes.push(await runScenario(scenario, { records, reps, only, profile, runDir, timeoutMs }));
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
  const command = `npm run bench${names.length > 0 || only !== undefined ? ` -- ${argv.join(" ")}` : ""}` + envNote(records, reps);
  const markdown = renderMarkdown(outcomes, { records, slowRecords: SLOW_RECORDS, reps, date: new Date(started), seconds: (Date.now() - started) / 1000, command, root, loadAtStart });
  const target = process.env["BENCH_RESULTS"] ?? (full ? join(benchDir, "RESULTS.md") : join(outRoot, "RESULTS-partial.md"));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, markdown);
  printSummary(outcomes);
  console.log(`\nWrote ${relative(root, target)} after ${Math.round((Date.now() - started) / 1000)} s.`);
}

function envNote(records: number, reps: number): string {
  const parts: string[] = [];
  if (records !== 1_000_000) parts.push(`BENCH_RECORDS=${records}`);
  if (reps !== 3) parts.push(`BENCH_REPS=${reps}`);
  if (SLOW_RECORDS !== 250_000) parts.push(`BENCH_SLOW_RECORDS=${SLOW_RECORDS}`);
  return parts.length === 0 ? "" : ` (with ${parts.join(" ")})`;
}

function failUnknown(name: string): never {
  throw new Error(`unknown scenario ${JSON.stringify(name)}; known: ${SCENARIOS.map((s) => `${s.number} ${s.name}`).join(", ")}, soak, memory`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
