/**
 * One measurement in its own process: `node dist/bench/child.js <scenario> <subject> <records> <dir>`.
 * Prints one line `BENCH_RESULT {json}` on stdout; the runner verifies the files afterwards.
 */
import { measureCalls, measureRecords, RESULT_MARKER, type ChildResult } from "./lib/harness.js";
import { findScenario } from "./scenarios/index.js";

async function main(): Promise<void> {
  const [scenarioName, subjectId, recordsText, dir] = process.argv.slice(2);
  const scenario = findScenario(scenarioName ?? "");
  const subject = scenario?.subjects.find((s) => s.id === subjectId);
  if (scenario === undefined || subject === undefined || recordsText === undefined || dir === undefined) {
    throw new Error(`usage: child.js <scenario> <subject> <records> <dir> (got ${process.argv.slice(2).join(" ")})`);
  }
  const records = Number(recordsText);
  let result: ChildResult;
  if (subject.kind === "calls") {
    const call = await subject.start();
    result = await measureCalls(subject.id, records, call);
  } else {
    const sink = await subject.start(dir, records);
    if ("skipped" in sink) {
      result = { subject: subject.id, records: 0, elapsedMs: 0, loopMs: 0, perSecond: 0, nsPerOp: 0, cpuNsPerOp: 0, p50Ns: 0, p99Ns: 0, peakRssMB: 0, skipped: sink.skipped };
    } else {
      result = await measureRecords(subject.id, records, sink);
    }
  }
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
