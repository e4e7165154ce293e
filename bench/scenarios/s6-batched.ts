/** Scenario 6: the opt-in batched durability against pino's async destination and the batched baseline. */
import type { Scenario } from "../lib/harness.js";
import { baselineBatched, baselineLimit, pinoDestination, slf4tsDedicated } from "../lib/subjects.js";

const P = "com.openexchange.log.audit.slf4j.";

/** Why the builder, not the write, sets the pace with batched writes (issue 3's and issue 15's targets). */
const BATCHED_WHY =
  "with one write per 64 KiB, the write is no longer the cost: the baseline's 0.5 µs per record is almost all its line " +
  "concatenation, while slf4ts still builds each record with the checks of scenario 1 (escaping, names, the Date, the " +
  "secret list). In the perf profile the record builder is over 40% of the time and the write under 10%; at 2 million " +
  "records per second the builder's few hundred nanoseconds are the whole gap.";

export const scenario: Scenario = {
  name: "batched",
  number: 6,
  title: "Batched durability (records may wait a few ms) vs pino async vs batched baseline",
  description:
    "slf4ts with `file.durability=batched` and `file.durability.maxDelayMs=5` (10 MiB × 5 archives); the clock stops " +
    "after `flush()` and `shutdown()`. pino's async destination (no rotation) and the baseline that writes 1000 records " +
    "per `writeSync` are the peers. A configuration error is a failure of the scenario, not a skip.",
  subjects: [
    slf4tsDedicated({
      id: "slf4ts-batched",
      label: "slf4ts dedicated, durability=batched, maxDelayMs=5",
      extra: { [`${P}file.durability`]: "batched", [`${P}file.durability.maxDelayMs`]: "5" },
    }),
    pinoDestination(false),
    baselineBatched(),
    baselineLimit(),
  ],
  ratiosAgainst: ["limit", "batched", "pino-async"],
  targets: [
    {
      kind: "ratio",
      issue: 15,
      subject: "slf4ts-batched",
      against: "batched",
      atLeast: 0.9,
      text: "≥ 0.9× the batched-write baseline",
      whyMissed: (run) => {
        const rate = run.rate("batched");
        if (rate === undefined) return BATCHED_WHY;
        const left = Math.round(1e9 / 0.9 / rate);
        return (
          `${BATCHED_WHY} In this run the baseline takes ${Math.round(1e9 / rate)} ns per record in all, so 0.9× leaves ` +
          `slf4ts ${left} ns per record for building, queueing and writing it, of which its record builder alone takes about ` +
          "450 ns (bench/profile15/README.md)."
        );
      },
    },
    {
      kind: "ratio",
      subject: "slf4ts-batched",
      against: "batched",
      atLeast: 0.8,
      text: "≥ 0.8× the batched-write baseline",
      whyMissed: BATCHED_WHY,
    },
    { kind: "ratio", subject: "slf4ts-batched", against: "pino-async", atLeast: 4, text: "≈ 4× pino's async destination" },
    { kind: "memory", subject: "slf4ts-batched", belowMB: 120, text: "bounded memory (peak under 120 MB)" },
  ],
};
