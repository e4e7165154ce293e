/**
 * Medians, ratios and targets of a run, and the markdown of bench/RESULTS.md.
 */
import { execFileSync } from "node:child_process";
import { groupDigits } from "./digits.js";
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { ChildResult, Scenario, Subject, Target } from "./harness.js";
import { CALL_BATCH, SAMPLE_EVERY, YIELD_EVERY } from "./harness.js";
import type { PerfSummary } from "./perf.js";
import type { ProfileSummary } from "./profile.js";
import type { MemoryTarget, RatioTarget, RunFigures, WhyMissed } from "./harness.js";

/** Everything measured for one subject of one scenario. */
export interface SubjectOutcome {
  readonly subject: Subject;
  readonly runs: ChildResult[];
  /** Verification or process failures, one entry per failed repetition (deduplicated). */
  readonly failures: string[];
  readonly warnings: string[];
  readonly verified: string[];
  skipped: string | undefined;
}

/** A scenario's outcome. */
export interface ScenarioOutcome {
  readonly scenario: Scenario;
  readonly subjects: SubjectOutcome[];
  readonly profiles: Array<{ subject: string; summary: ProfileSummary; file: string; perf?: PerfSummary }>;
  readonly seconds: number;
}

/** The median of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Medians of a subject's repetitions, or undefined when it failed or was skipped. */
export function medians(o: SubjectOutcome):
  | {
      perSecond: number;
      loopPerSecond: number;
      nsPerOp: number;
      cpuNsPerOp: number;
      cpuLoopNsPerOp: number;
      p50Ns: number;
      p99Ns: number;
      peakRssMB: number;
      records: number;
      min: number;
      max: number;
      loopMin: number;
      loopMax: number;
      loopMs: number;
    }
  | undefined {
  if (o.failures.length > 0 || o.skipped !== undefined || o.runs.length === 0) return undefined;
  const rates = o.runs.map((r) => r.perSecond);
  const loopRates = o.runs.map((r) => r.records / (r.loopMs / 1000));
  return {
    perSecond: median(rates),
    loopPerSecond: median(loopRates),
    loopMin: Math.min(...loopRates),
    loopMax: Math.max(...loopRates),
    loopMs: median(o.runs.map((r) => r.loopMs)),
    cpuLoopNsPerOp: median(o.runs.map((r) => r.cpuLoopNsPerOp ?? Number.NaN)),
    nsPerOp: median(o.runs.map((r) => r.nsPerOp)),
    cpuNsPerOp: median(o.runs.map((r) => r.cpuNsPerOp)),
    p50Ns: median(o.runs.map((r) => r.p50Ns)),
    p99Ns: median(o.runs.map((r) => r.p99Ns)),
    peakRssMB: median(o.runs.map((r) => r.peakRssMB)),
    records: o.runs[0]?.records ?? 0,
    min: Math.min(...rates),
    max: Math.max(...rates),
  };
}

/** How a target came out. */
export interface TargetOutcome {
  readonly target: Target;
  readonly measured: string;
  /** true met, false missed, undefined not measurable (failed or skipped subject). */
  readonly met: boolean | undefined;
}

function find(outcome: ScenarioOutcome, id: string): SubjectOutcome | undefined {
  return outcome.subjects.find((s) => s.subject.id === id);
}

function notMeasured(o: SubjectOutcome | undefined): string {
  if (o === undefined) return "not run";
  if (o.skipped !== undefined) return `skipped: ${o.skipped}`;
  return "FAILED (see above)";
}

/** Evaluates the targets of a scenario. */
export function evaluateTargets(outcome: ScenarioOutcome): TargetOutcome[] {
  return outcome.scenario.targets.map((target): TargetOutcome => {
    const subject = find(outcome, target.subject);
    const m = subject === undefined ? undefined : medians(subject);
    if (m === undefined) return { target, measured: notMeasured(subject), met: undefined };
    if (target.kind === "memory") {
      return { target, measured: `${m.peakRssMB.toFixed(0)} MB`, met: m.peakRssMB < target.belowMB };
    }
    const against = find(outcome, target.against);
    const a = against === undefined ? undefined : medians(against);
    if (a === undefined) return { target, measured: `${target.against} ${notMeasured(against)}`, met: undefined };
    if (target.kind === "ratio") {
      const loop = target.metric === "loop";
      const ratio = loop ? m.loopPerSecond / a.loopPerSecond : m.perSecond / a.perSecond;
      const what = loop ? " (log() calls alone)" : "";
      return { target, measured: `${ratio.toFixed(2)}×${what} (need ≥ ${target.atLeast.toFixed(2)}×)`, met: ratio >= target.atLeast };
    }
    const diff = m.nsPerOp - a.nsPerOp;
    const allowed = Math.max(target.relative * a.nsPerOp, target.absoluteNs);
    return {
      target,
      measured: `${m.nsPerOp.toFixed(2)} ns vs ${a.nsPerOp.toFixed(2)} ns per call (${diff >= 0 ? "+" : ""}${diff.toFixed(2)} ns; allowed ${allowed.toFixed(2)} ns)`,
      met: diff <= allowed,
    };
  });
}

/** A target's explanation, with this run's figures where it quotes them. */
function explain(why: WhyMissed, outcome: ScenarioOutcome): string {
  if (typeof why === "string") return why;
  const of = (id: string) => {
    const subject = find(outcome, id);
    return subject === undefined ? undefined : medians(subject);
  };
  const run: RunFigures = {
    rate: (id) => of(id)?.perSecond,
    cpuNs: (id) => of(id)?.cpuNsPerOp,
    rssMB: (id) => of(id)?.peakRssMB,
  };
  return why(run);
}

function fmtRate(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
}

function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return "–";
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(ns < 10 ? 2 : 0)} ns`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** "rep 1: x", "rep 2: x", "rep 3: y" → "reps 1, 2: x; rep 3: y". */
function groupFailures(failures: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const failure of failures) {
    const match = /^rep (\d+): (.*)$/s.exec(failure);
    const [rep, text] = match === null ? ["", failure] : [match[1] as string, match[2] as string];
    groups.set(text, [...(groups.get(text) ?? []), rep]);
  }
  return [...groups.entries()]
    .map(([text, reps]) => {
      const numbered = reps.filter((r) => r !== "");
      return numbered.length === 0 ? text : `${numbered.length === 1 ? "rep" : "reps"} ${numbered.join(", ")}: ${text}`;
    })
    .join("; ");
}

/**
 * The paragraph on the targets' own work (scenario 9): when every target had every record, the
 * CPU of the whole run against the `log()` loop's and against the scenario's plain slf4ts subject,
 * the receiver's CPU, and what was checked.
 */
function offPathLines(o: ScenarioOutcome): string[] {
  const lines: string[] = [];
  const plain = o.subjects.find((x) => x.subject.role === "slf4ts" && x.runs.every((r) => r.offPath === undefined));
  const pm = plain === undefined ? undefined : medians(plain);
  for (const so of o.subjects) {
    const offs = so.runs.map((r) => r.offPath).filter((x) => x !== undefined);
    const m = medians(so);
    if (offs.length === 0 || m === undefined) continue;
    const against = (value: number, other: number | undefined): string => (other === undefined || !Number.isFinite(other) ? fmtNs(value) : `${fmtNs(value)} (\`${plain?.subject.id}\`: ${fmtNs(other)})`);
    lines.push(
      `Off the \`log()\` path, \`${so.subject.id}\` (medians of ${offs.length} runs): every target had every record ` +
        `${(median(offs.map((x) => x.deliveredMs)) / 1000).toFixed(2)} s after the first \`log()\` call, ` +
        `${median(offs.map((x) => x.afterLoopMs)).toFixed(0)} ms after the last one returned (the loop of calls took ${(m.loopMs / 1000).toFixed(2)} s). ` +
        `CPU per record, the targets' work included (until every record was delivered and the files closed): ${against(m.cpuNsPerOp, pm?.cpuNsPerOp)}; ` +
        `the \`log()\` loop alone: ${against(m.cpuLoopNsPerOp, pm?.cpuLoopNsPerOp)}; the receiver's process: ` +
        `${fmtNs(median(offs.map((x) => x.receiverCpuNsPerOp)))}. Checked in every run:`,
    );
    lines.push("");
    for (const check of offs[offs.length - 1]?.checks ?? []) lines.push(`- ${escapeCell(check)}`);
    lines.push("");
  }
  return lines;
}

/** Versions of the packages measured, from node_modules/<name>/package.json. */
export function packageVersions(root: string): Array<[string, string]> {
  const names = ["pino", "sonic-boom", "pino-roll", "log4js", "streamroller", "winston", "winston-transport", "rotating-file-stream", "luxon"];
  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
  let commit = "";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" }).trim() !== "";
    if (dirty) commit += " + uncommitted changes in src/";
  } catch {
    commit = "unknown commit";
  }
  const versions: Array<[string, string]> = [[own.name, `${own.version} (${commit})`]];
  for (const name of names) {
    try {
      const pkg = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string };
      versions.push([name, pkg.version]);
    } catch {
      versions.push([name, "not installed"]);
    }
  }
  return versions;
}

/** The machine, for the report's header. */
export function machine(): Array<[string, string]> {
  const cpus = os.cpus();
  return [
    ["Node.js", `${process.version} (V8 ${process.versions.v8})`],
    ["CPU", `${cpus[0]?.model ?? "unknown"}, ${cpus.length} cores`],
    ["Memory", `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`],
    ["OS", `${os.type()} ${os.release()} ${os.arch()}`],
  ];
}

/** Settings of the run, for the header. */
export interface RunSettings {
  readonly records: number;
  readonly slowRecords: number;
  readonly reps: number;
  readonly date: Date;
  readonly seconds: number;
  readonly command: string;
  readonly root: string;
  /** 1-minute load average when the run started (other work on the machine adds noise). */
  readonly loadAtStart: number;
}

/** The markdown of a run. */
export function renderMarkdown(outcomes: readonly ScenarioOutcome[], settings: RunSettings): string {
  const out: string[] = [];
  out.push("# Benchmark results");
  out.push("");
  out.push(
    `Generated by \`${settings.command}\` on ${settings.date.toISOString()} (${Math.round(settings.seconds)} s in all). ` +
      "Do not edit by hand: run `npm run bench` again. The machine is noisy; read the ratios, measured in the same run, " +
      "rather than the absolute figures.",
  );
  out.push("");
  out.push("| | |");
  out.push("|---|---|");
  for (const [k, v] of machine()) out.push(`| ${k} | ${escapeCell(v)} |`);
  for (const [k, v] of packageVersions(settings.root)) out.push(`| ${k} | ${escapeCell(v)} |`);
  out.push(`| records per run | ${groupDigits(settings.records)} (slow peers: ${groupDigits(settings.slowRecords)}) |`);
  out.push(`| repetitions | ${settings.reps}, each subject in its own process; figures are medians |`);
  out.push(`| load average (1 min) | ${settings.loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0]?.toFixed(2)} at the end (the run itself keeps about one core busy) |`);
  out.push("");

  // Summary of targets first: issue 15's (the current ones), then issue 3's.
  for (const issue of [15, 3] as const) {
    const rows = outcomes.flatMap((o) => evaluateTargets(o).filter((t) => (t.target.issue ?? 3) === issue).map((t) => ({ o, t })));
    if (rows.length === 0) continue;
    out.push(`## Targets of issue ${issue}`);
    out.push("");
    if (issue === 15) {
      out.push(
        "`limit` is one `fs.writeSync` per record of a line formatted before the clock starts (the same bytes the other " +
          "subjects write for that record): the cost of the system call alone, the limit of \"on the OS when log() returns\".",
      );
      out.push("");
    }
    out.push("| scenario | target | measured | |");
    out.push("|---|---|---|---|");
    for (const { o, t } of rows) {
      const mark = t.met === undefined ? "not measured" : t.met ? "met" : "**missed**";
      out.push(`| ${o.scenario.number}. ${o.scenario.name} | ${escapeCell(t.target.text)} | ${escapeCell(t.measured)} | ${mark} |`);
    }
    out.push("");
    const reasons = rows
      .filter(({ t }) => t.met === false && t.target.kind !== "same-cost" && t.target.whyMissed !== undefined)
      .map(({ o, t }) => `- **${o.scenario.number}. ${t.target.text}**: ${explain((t.target as RatioTarget | MemoryTarget).whyMissed as WhyMissed, o)}`);
    if (reasons.length > 0) {
      out.push("Why the missed targets are missed (each scenario's section below has the CPU and perf profiles of the slf4ts run):");
      out.push("");
      out.push(...reasons);
      out.push("");
    }
  }
  out.push(
    "Memory flat over 10 million records: see [SOAK.md](SOAK.md) (`npm run bench -- soak`, not part of the default run).",
  );
  out.push("");

  out.push("## How it is measured");
  out.push("");
  out.push(
    [
      `- Every subject writes the same records: \`ox.login|login=user<n>@example.com|ip=::1|client=open-xchange-appsuite|session=<32 hex>|timestamp=<ISO>\`, a \`new Date()\` made for each record.`,
      "  slf4ts is given the attributes with the `Date` and formats it itself; peers are given the same values with the timestamp already",
      "  formatted by a per-second cache (the cheapest correct way), and the line built by concatenation (log4js, winston,",
      "  rotating-file-stream, baselines) or the fields as an object (pino, which writes its own JSON with `level`, `time` and `msg`; `base: null`).",
      "  **Formats differ**: pino's JSON lines are about 40% longer than the pipe-delimited ones (about 208 bytes against 148).",
      `- Each repetition of each subject runs in a separate child process (\`dist/bench/child.js\`). The loop yields to the event loop`,
      `  every ${YIELD_EVERY} records (as a server does between requests), so asynchronous writers can make progress; the clock runs`,
      "  from the first call until the subject's files are flushed and closed, so records/s means *on the OS*.",
      `- Latency: every ${SAMPLE_EVERY}th \`log()\` call is timed alone with \`process.hrtime.bigint()\`; p50/p99 of those. For asynchronous`,
      "  peers this is the time to queue the record, not to write it. Scenario 5 times batches of " +
        `${groupDigits(CALL_BATCH)} calls (ns/call).`,
      "- CPU per record: `process.cpuUsage()` (user + system, every thread of the child) over the same span, divided by the",
      "  records. Other work on the machine stretches the wall clock more than this, so it helps to tell noise from a real change;",
      "  for asynchronous writers it includes the work of libuv's threads.",
      "- Peak RSS: `process.resourceUsage().maxRSS` of the child at the end.",
      `- The two slowest peers (log4js \`file\`, rotating-file-stream: about 25k records/s here) write ${groupDigits(settings.slowRecords)} records`,
      "  (`BENCH_SLOW_RECORDS`), so that the whole run stays well under ten minutes on two cores; their rates are comparable, but with",
      "  fewer records they keep less in memory and never reach the sixth file, so their peak RSS is lower than it would be at the full count.",
      "- Afterwards the runner reads every file back: each record must be present exactly once, whole and with the right content;",
      "  where rotation deleted old files, the kept files must hold a contiguous run ending at the last record, chained file to file,",
      "  in no more files than configured (slf4ts: no file over the size, every archive full). A subject that loses, duplicates or",
      "  tears records is listed as FAILED with what was wrong, not with a figure.",
      "- Ratios are of medians of records/s (for scenario 5, of calls/s), each subject against the named one of the same scenario.",
    ].join("\n"),
  );
  out.push("");

  for (const o of outcomes) {
    const s = o.scenario;
    out.push(`## ${s.number}. ${s.title}`);
    out.push("");
    out.push(`\`npm run bench -- ${s.name}\` (${Math.round(o.seconds)} s). ${s.description}`);
    out.push("");
    const calls = s.subjects.every((x) => x.kind === "calls");
    const loop = s.ratioMetric === "loop";
    const againstHeaders = s.ratiosAgainst.map((id) => `× ${id}`);
    const rateHeader = calls ? "calls/s" : loop ? "rec/s of the log() calls" : "rec/s";
    out.push(
      `| subject | ${calls ? "calls" : "records"} | ${rateHeader} (min–max) | ${calls ? "ns/call" : "p50 log()"} | ${calls ? "p99 of batches" : "p99 log()"} | CPU per ${calls ? "call" : loop ? "record (log() loop)" : "record"} | peak RSS | ${againstHeaders.join(" | ")} | check |`,
    );
    out.push(`|---|---:|---:|---:|---:|---:|---:|${againstHeaders.map(() => "---:|").join("")}---|`);
    for (const so of o.subjects) {
      const m = medians(so);
      const label = `${escapeCell(so.subject.label)} \`${so.subject.id}\``;
      if (m === undefined) {
        const why = so.skipped !== undefined ? `skipped: ${so.skipped}` : `**FAILED**: ${groupFailures(so.failures)}`;
        out.push(`| ${label} | | ${so.skipped !== undefined ? "skipped" : "**FAILED**"} | | | | | ${againstHeaders.map(() => " |").join("")} ${escapeCell(why)} |`);
        continue;
      }
      const ratios = s.ratiosAgainst.map((id) => {
        const other = find(o, id);
        const om = other === undefined ? undefined : medians(other);
        if (om === undefined) return "–";
        if (id === so.subject.id) return "1.00";
        return (loop ? m.loopPerSecond / om.loopPerSecond : m.perSecond / om.perSecond).toFixed(2);
      });
      const check = [...(so.subject.kind === "records" ? so.verified.slice(0, 1 + (so.subject.alsoVerify?.length ?? 0)) : so.verified.slice(0, 1)), ...so.warnings.map((w) => `⚠ ${w}`)].join("; ");
      const rate = loop ? `${fmtRate(m.loopPerSecond)} (${fmtRate(m.loopMin)}–${fmtRate(m.loopMax)})` : `${fmtRate(m.perSecond)} (${fmtRate(m.min)}–${fmtRate(m.max)})`;
      out.push(
        `| ${label} | ${groupDigits(m.records)} | ${rate} | ${fmtNs(calls ? m.nsPerOp : m.p50Ns)} | ${fmtNs(m.p99Ns)} | ${fmtNs(loop ? m.cpuLoopNsPerOp : m.cpuNsPerOp)} | ${m.peakRssMB.toFixed(0)} MB | ${ratios.join(" | ")} | ${escapeCell(check || "–")} |`,
      );
    }
    out.push("");
    out.push(...offPathLines(o));
    const targets = evaluateTargets(o);
    if (targets.length > 0) {
      for (const t of targets) {
        const mark = t.met === undefined ? "not measured" : t.met ? "met" : "**missed**";
        out.push(`- Target: ${t.target.text}: ${t.measured}, ${mark}.`);
      }
      out.push("");
    }
    for (const p of o.profiles) {
      out.push(
        `CPU profile of \`${p.subject}\` (one extra run with \`node --cpu-prof\`, not counted above; ${p.summary.totalMs.toFixed(0)} ms ` +
          "sampled inside the measured loop, start-up excluded). Self time by area:",
      );
      out.push(p.summary.byArea.map((a) => `${a.area} ${a.percent.toFixed(1)}%`).join(", ") + ".");
      out.push("");
      out.push("| self time | function | where | | self time without file-system calls | function | where |");
      out.push("|---:|---|---|---|---:|---|---|");
      const rows = Math.max(p.summary.top.length, p.summary.topWithoutSyscalls.length);
      for (let i = 0; i < rows; i++) {
        const a = p.summary.top[i];
        const b = p.summary.topWithoutSyscalls[i];
        const left = a === undefined ? "| | |" : `${a.percent.toFixed(1)}% | \`${escapeCell(a.name)}\` | ${escapeCell(a.where || "–")}`;
        const right = b === undefined ? "| |" : `${b.percent.toFixed(1)}% | \`${escapeCell(b.name)}\` | ${escapeCell(b.where || "–")}`;
        out.push(`| ${left} | | ${right} |`);
      }
      out.push("");
      out.push(
        "`--cpu-prof` charges to the native write most samples whose timer signal arrived during the system call, so the " +
          "file-system share is overstated and the rest under-sampled; the right-hand ranking shows how the rest divides." +
          (p.perf === undefined ? " Install `perf` for an unbiased profile." : " The perf profile below is the unbiased one."),
      );
      out.push("");
      const perf = p.perf;
      if (perf !== undefined) {
        out.push(
          `perf profile of \`${p.subject}\` (another extra run under \`perf record -e cpu-clock -g\` with \`node --perf-basic-prof\`; ` +
            `${perf.samples} main-thread samples inside the measured loop; other threads add ${perf.otherThreadsPercent.toFixed(1)}%). ` +
            `Where the CPU was: ${perf.byArea.map((a) => `${a.name} ${a.percent.toFixed(1)}%`).join(", ")}.`,
        );
        out.push("");
        out.push("| share | innermost JavaScript function (with the builtins, GC and kernel time below it) | | share | sampled symbol |");
        out.push("|---:|---|---|---:|---|");
        const rows = Math.max(perf.byJsFunction.length, perf.bySymbol.length);
        for (let i = 0; i < rows; i++) {
          const a = perf.byJsFunction[i];
          const b = perf.bySymbol[i];
          const left = a === undefined ? "| " : `${a.percent.toFixed(1)}% | \`${escapeCell(a.name)}\``;
          const right = b === undefined ? "| " : `${b.percent.toFixed(1)}% | \`${escapeCell(b.name.length > 90 ? b.name.slice(0, 90) + "…" : b.name)}\``;
          out.push(`| ${left} | | ${right} |`);
        }
        out.push("");
      }
    }
  }
  return out.join("\n") + "\n";
}
