/**
 * The shapes of scenarios and subjects, and the measuring loops a child process runs.
 */
import type { VerifySpec } from "./verify.js";

/** What a subject writes records through. */
export interface Sink {
  /** Logs record `seq`, stamped `date` (a real Date made just before the call). */
  log(seq: number, date: Date): void;
  /**
   * Resolves when every record is in the operating system and the files are closed. A subject
   * with work off the `log()` path (remote targets) resolves with what that work took.
   */
  finish(): Promise<void | OffPathReport>;
}

/** What a subject's targets did off the `log()` path (scenario 9), as its sink reports it. */
export interface OffPathReport {
  /** When every target had every record (`process.hrtime.bigint()`, the clock of the loop). */
  readonly deliveredAtNs: bigint;
  /** CPU of the receiver's process (user + system) over the run, ns. */
  readonly receiverCpuNs: number;
  /** What was checked and held, for the report (e.g. "receiver: 1,000,000 records, in order"). */
  readonly checks: readonly string[];
  /** What was wrong: the subject is reported as FAILED. */
  readonly problems: readonly string[];
}

/** {@link OffPathReport} as a child reports it, relative to the measured loop. */
export interface OffPathResult {
  /** From the first `log()` call until every target had every record, ms. */
  readonly deliveredMs: number;
  /** From the return of the last `log()` call until then, ms (0 when nothing was left). */
  readonly afterLoopMs: number;
  /** CPU of the receiver's process per record, ns. */
  readonly receiverCpuNsPerOp: number;
  readonly checks: readonly string[];
  readonly problems: readonly string[];
}

/** A subject that cannot run here, with the reason (reported, not measured). */
export interface Skip {
  readonly skipped: string;
}

/** One thing measured: slf4ts in some configuration, a peer, or a baseline. */
export interface RecordSubject {
  readonly kind: "records";
  /** Short id, used on the command line (`--only`) and in file names. */
  readonly id: string;
  /** What it is, for the report. */
  readonly label: string;
  /** `slf4ts` subjects are profiled when a target is missed. */
  readonly role: "slf4ts" | "peer" | "baseline";
  /** Caps the record count (slow peers, to keep the whole run short); the report says so. */
  readonly maxRecords?: number;
  /** Sets the subject up to write into `dir`. */
  start(dir: string, records: number): Promise<Sink | Skip>;
  /** What its files must hold afterwards. */
  readonly verify: VerifySpec;
  /** Sub-folders of its folder with files of their own to verify (a file target's), each with its spec. */
  readonly alsoVerify?: ReadonlyArray<{ readonly folder: string; readonly label: string; readonly spec: VerifySpec }>;
}

/** A subject measured in calls per second without files (scenario 5). */
export interface CallSubject {
  readonly kind: "calls";
  readonly id: string;
  readonly label: string;
  readonly role: "slf4ts" | "peer" | "baseline";
  /** Returns the call to time; `i` is the loop counter, passed as an argument. */
  start(): Promise<(i: number) => void>;
}

export type Subject = RecordSubject | CallSubject;

/** The issue a target comes from: 3 (the first benchmarks) or 15 (durable records at 0.8× the write). */
export type TargetIssue = 3 | 15;

/** The medians of this run, for an explanation that quotes them (undefined: not measured). */
export interface RunFigures {
  /** Records per second of a subject of the same scenario. */
  rate(id: string): number | undefined;
  /** CPU per record (ns) of a subject of the same scenario. */
  cpuNs(id: string): number | undefined;
  /** Peak RSS (MB) of a subject of the same scenario. */
  rssMB(id: string): number | undefined;
}

/** Why slf4ts misses a target: a text, or one made from this run's figures. */
export type WhyMissed = string | ((run: RunFigures) => string);

/** A target: the rate of `subject` against `against` (same run), e.g. at least 0.9×. */
export interface RatioTarget {
  readonly kind: "ratio";
  readonly issue?: TargetIssue;
  readonly subject: string;
  readonly against: string;
  /** Rate of subject / rate of against must be at least this. */
  readonly atLeast: number;
  /**
   * `rate` (default): records per second from the first call until the files are closed;
   * `loop`: records per second of the `log()` calls alone (what happens off the path, a remote
   * target's sending, is left out).
   */
  readonly metric?: "rate" | "loop";
  /** How the issue words it. */
  readonly text: string;
  /** Why slf4ts does not reach it, shown when it is missed (the profile below shows the detail). */
  readonly whyMissed?: WhyMissed;
}

/** A target on peak memory. */
export interface MemoryTarget {
  readonly kind: "memory";
  readonly issue?: TargetIssue;
  readonly subject: string;
  readonly belowMB: number;
  readonly text: string;
  /** Why slf4ts does not reach it, shown when it is missed. */
  readonly whyMissed?: WhyMissed;
}

/** Scenario 5: ns per call within a tolerance of another subject's. */
export interface SameCostTarget {
  readonly kind: "same-cost";
  readonly issue?: TargetIssue;
  readonly subject: string;
  readonly against: string;
  /** Allowed relative difference (0.1 = 10 %). */
  readonly relative: number;
  /** Or this absolute difference in ns. */
  readonly absoluteNs: number;
  readonly text: string;
}

export type Target = RatioTarget | MemoryTarget | SameCostTarget;

/** One scenario: one file in bench/scenarios/. */
export interface Scenario {
  /** Short name for the command line (`npm run bench -- <name>`). */
  readonly name: string;
  /** Number in the issue (1–7; 8 is the fsync cost of issue 4). */
  readonly number: number;
  readonly title: string;
  /** What is measured and how, for the report (markdown). */
  readonly description: string;
  readonly subjects: readonly Subject[];
  /** Ratios shown in the table: each subject's rate divided by these subjects' rates. */
  readonly ratiosAgainst: readonly string[];
  /**
   * What the rate column and the ratios of the table compare: `rate` (default, records/s until
   * the files are closed) or `loop` (records/s of the `log()` calls alone; scenario 9, whose
   * targets' own work is reported separately).
   */
  readonly ratioMetric?: "rate" | "loop";
  readonly targets: readonly Target[];
  /** Calls per record-count unit, for call scenarios (scenario 5 makes many more calls). */
  readonly callsPerRecord?: number;
}

/** What a child reports (one line of JSON on stdout after {@link RESULT_MARKER}). */
export interface ChildResult {
  readonly subject: string;
  readonly records: number;
  /** From the first call to the files being closed (records) or over all timed calls. */
  readonly elapsedMs: number;
  /** Time spent in the `log()` calls alone: the loop without its yields to the event loop. */
  readonly loopMs: number;
  readonly perSecond: number;
  /** Nanoseconds per call (calls) or per record (records). */
  readonly nsPerOp: number;
  /** Median and 99th percentile of the sampled single calls (records) or batch averages (calls), ns. */
  readonly p50Ns: number;
  readonly p99Ns: number;
  /** CPU time (user + system, all threads) per record or call, ns: less disturbed by other load than the wall clock. */
  readonly cpuNsPerOp: number;
  /** The same over the `log()` calls alone (the loop without its yields, nor `finish()`), ns per record. */
  readonly cpuLoopNsPerOp?: number;
  /** Work off the `log()` path, for subjects with remote targets (scenario 9). */
  readonly offPath?: OffPathResult;
  /** process.resourceUsage().maxRSS, in MiB. */
  readonly peakRssMB: number;
  /** The child's process id (a perf profile keeps its samples alone). */
  readonly pid?: number;
  /** The measured window on the monotonic clock, in µs (the clock of `--cpu-prof`'s samples). */
  readonly windowUs?: readonly [number, number];
  readonly skipped?: string;
}

export const RESULT_MARKER = "BENCH_RESULT ";

/** How often the loop measures one log() call on its own (every Nth call). */
export const SAMPLE_EVERY = 100;
/** The loop yields to the event loop after this many records, as a server does between requests. */
export const YIELD_EVERY = 1000;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Writes `records` records through `sink`: a `new Date()` per record, every
 * {@link SAMPLE_EVERY}th call timed on its own with `process.hrtime.bigint()`, a yield to the
 * event loop every {@link YIELD_EVERY} records; the clock stops when `finish()` resolves.
 */
export async function measureRecords(subject: string, records: number, sink: Sink): Promise<ChildResult> {
  const samples = new Float64Array(Math.ceil(records / SAMPLE_EVERY));
  let k = 0;
  const hr = process.hrtime.bigint;
  const cpu0 = process.cpuUsage();
  const start = hr();
  // The log() calls alone: the time and CPU of the synchronous stretches between two yields
  // (what runs in a yield, e.g. work a target put off until after log(), is not counted here).
  let callsNs = 0n;
  let callsCpuUs = 0;
  let stretch = start;
  let stretchCpu = cpu0;
  for (let i = 0; i < records; i++) {
    const date = new Date();
    if (i % SAMPLE_EVERY === 0) {
      const t0 = hr();
      sink.log(i, date);
      samples[k++] = Number(hr() - t0);
    } else {
      sink.log(i, date);
    }
    if ((i + 1) % YIELD_EVERY === 0) {
      const now = hr();
      const used = process.cpuUsage(stretchCpu);
      callsNs += now - stretch;
      callsCpuUs += used.user + used.system;
      await immediate();
      stretch = hr();
      stretchCpu = process.cpuUsage();
    }
  }
  const loopEnd = hr();
  const tail = process.cpuUsage(stretchCpu);
  callsNs += loopEnd - stretch;
  callsCpuUs += tail.user + tail.system;
  const offPath = await sink.finish();
  const end = hr();
  const cpu = process.cpuUsage(cpu0);
  const sorted = samples.subarray(0, k).sort();
  const elapsedNs = Number(end - start);
  return {
    subject,
    records,
    elapsedMs: elapsedNs / 1e6,
    loopMs: Number(callsNs) / 1e6,
    perSecond: records / (elapsedNs / 1e9),
    nsPerOp: elapsedNs / records,
    cpuNsPerOp: ((cpu.user + cpu.system) * 1000) / records,
    cpuLoopNsPerOp: (callsCpuUs * 1000) / records,
    p50Ns: percentile(sorted, 50),
    p99Ns: percentile(sorted, 99),
    peakRssMB: peakRssMB(),
    windowUs: [Number(start / 1000n), Number(end / 1000n)],
    pid: process.pid,
    ...(offPath === undefined
      ? {}
      : {
          offPath: {
            deliveredMs: Number(offPath.deliveredAtNs - start) / 1e6,
            afterLoopMs: Math.max(0, Number(offPath.deliveredAtNs - loopEnd) / 1e6),
            receiverCpuNsPerOp: offPath.receiverCpuNs / records,
            checks: offPath.checks,
            problems: offPath.problems,
          },
        }),
  };
}

/** Calls per timed batch in {@link measureCalls}. */
export const CALL_BATCH = 10_000;

/**
 * Times `calls` calls of `call` in batches of {@link CALL_BATCH} (a single call is below the
 * timer's resolution) after a warm-up; percentiles are over the batches' per-call averages.
 */
export async function measureCalls(subject: string, calls: number, call: (i: number) => void): Promise<ChildResult> {
  for (let i = 0; i < 1_000_000; i++) call(i);
  const batches = Math.max(1, Math.floor(calls / CALL_BATCH));
  const perCall = new Float64Array(batches);
  const hr = process.hrtime.bigint;
  let total = 0n;
  let i = 0;
  const cpu0 = process.cpuUsage();
  const start = hr();
  for (let b = 0; b < batches; b++) {
    const t0 = hr();
    const stop = i + CALL_BATCH;
    for (; i < stop; i++) call(i);
    const dt = hr() - t0;
    total += dt;
    perCall[b] = Number(dt) / CALL_BATCH;
  }
  const end = hr();
  const cpu = process.cpuUsage(cpu0);
  const n = batches * CALL_BATCH;
  const elapsedNs = Number(total);
  const sorted = perCall.sort();
  return {
    subject,
    records: n,
    elapsedMs: elapsedNs / 1e6,
    loopMs: elapsedNs / 1e6,
    perSecond: n / (elapsedNs / 1e9),
    nsPerOp: elapsedNs / n,
    cpuNsPerOp: ((cpu.user + cpu.system) * 1000) / n,
    p50Ns: percentile(sorted, 50),
    p99Ns: percentile(sorted, 99),
    peakRssMB: peakRssMB(),
    windowUs: [Number(start / 1000n), Number(end / 1000n)],
  };
}
