/** Scenario 7: the bare baselines, the physical limit of this machine. */
import type { Scenario } from "../lib/harness.js";
import { baselineBatched, baselineLimit, baselineNaive, baselineWriteSync } from "../lib/subjects.js";

export const scenario: Scenario = {
  name: "baselines",
  number: 7,
  title: "Bare baselines: the limit (a preformatted line per fs.writeSync), a line built per record, the naive logger, 1000 records per writeSync",
  description:
    "`limit`: every line formatted before the clock starts, one `fs.writeSync` each (the system call alone). `writesync`: " +
    "the same line built by concatenation (the timestamp from a per-second cache) for each record. `naive`: concatenation " +
    "with `toISOString()` per record (the naive logger of issue 15). `batched`: the lines of `writesync` gathered into a " +
    "string and written once per 1000 records. No rotation, no escaping: the limits of this machine for each durability.",
  subjects: [baselineLimit(), baselineWriteSync(), baselineNaive(), baselineBatched()],
  ratiosAgainst: ["limit", "writesync"],
  targets: [],
};
