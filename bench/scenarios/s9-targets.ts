/** Scenario 9 (issue 15): a remote target and an extra file target, the log() path against scenario 1's. */
import type { Scenario } from "../lib/harness.js";
import { baselineLimit, slf4tsDedicated, slf4tsTargets, TARGET_FILE_ARCHIVES, TARGET_FILE_BYTES } from "../lib/subjects.js";

export const scenario: Scenario = {
  name: "targets",
  number: 9,
  title: "One remote target (syslog over TCP) and one extra file target (json) beside the dedicated file",
  description:
    "Scenario 1's configuration plus `target.siem` = `type=syslog`, `protocol=tcp` (RFC 5424, octet-counted: the default " +
    "syslog target and what rsyslog, syslog-ng, Graylog and Vector all take; RELP is rsyslog's and GELF Graylog's) to a " +
    "receiver in another process (bench/receiver.ts, a Node TCP server that checks every record against the one logged; " +
    "no rsyslog needed), and `target.file` = `type=file`, `format=json`, " +
    `${TARGET_FILE_BYTES / 1048576} MiB × ${TARGET_FILE_ARCHIVES} (it keeps every record of a run). The connection is ` +
    "established and past slf4ts's 2 s verification before the clock starts, as in a running server. **The rate column and " +
    "the ratios are of the `log()` calls alone** (records / time of the loop): the targets' own work off the path (sending, " +
    "the receiver) is reported below the table: when every target had every record, CPU, and the checks of the receiver " +
    "and of the file target. Scenario 1's configuration runs again in the same scenario for the ratio.",
  subjects: [
    slf4tsDedicated({ id: "slf4ts", label: "slf4ts dedicated (scenario 1)" }),
    slf4tsTargets({ id: "slf4ts-targets", label: "slf4ts dedicated + syslog TCP target + json file target" }),
    baselineLimit(),
  ],
  ratiosAgainst: ["slf4ts", "limit"],
  ratioMetric: "loop",
  targets: [
    {
      kind: "ratio",
      issue: 15,
      subject: "slf4ts-targets",
      against: "slf4ts",
      atLeast: 1 / 1.1,
      metric: "loop",
      text: "one remote and one extra file target: the log() path ≤ 1.1× scenario 1",
      whyMissed:
        "the targets' work is on the path, not off it. The syslog target writes each record to its socket inside log() " +
        "(targets/transport.ts: offer() queues and pumps at once, one socket write and system call per record: " +
        "`writeOrBuffer → kernel` in the perf profile); the file target writes its json line with a second writeSync per " +
        "record; and with targets the record is rendered once more (record/render.ts, the fused builder is not used) and " +
        "encoded twice (formatJson, the RFC 5424 params). The CPU per record of the loop is about ten times scenario 1's " +
        "(the CPU column); the sender keeps up (every record has arrived when the last log() returns). Off the path would " +
        "mean a target queue drained once per event-loop turn (one write of many frames, as file.durability=batched does) " +
        "and a file target written in batches: a change of what a target does before log() returns, not of the bench.",
    },
  ],
};
