/** Scenario 7: the bare baselines, the physical limit of this machine. */
import type { Scenario } from "../lib/harness.js";
import { baselineBatched, baselineWriteSync } from "../lib/subjects.js";

export const scenario: Scenario = {
  name: "baselines",
  number: 7,
  title: "Bare baselines: fs.writeSync per record, 1000 records per writeSync",
  description:
    "The same line built by concatenation (the timestamp from a per-second cache), written with one `fs.writeSync` " +
    "per record or gathered into a string and written once per 1000 records. No rotation, no escaping: the limit of " +
    "this machine for each durability.",
  subjects: [baselineWriteSync(), baselineBatched()],
  ratiosAgainst: ["writesync"],
  targets: [],
};
