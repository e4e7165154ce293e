/** Scenario 8 (issue 4): the cost of file.fsync, for power-loss durability. */
import type { Scenario } from "../lib/harness.js";
import { groupDigits } from "../lib/digits.js";
import { baselineLimit, slf4tsDedicated } from "../lib/subjects.js";

const P = "com.openexchange.log.audit.slf4j.";
/** fsync after every record is a disk flush per record: a smaller run keeps the benchmark short. */
const FSYNC_RECORDS = Number(process.env["BENCH_FSYNC_RECORDS"] ?? 20_000);

export const scenario: Scenario = {
  name: "fsync",
  number: 8,
  title: "The cost of file.fsync (issue 4): never, rotation, always; sync and batched",
  description:
    `Scenario 1's configuration with \`file.fsync\` set, ${groupDigits(FSYNC_RECORDS)} records each (\`BENCH_FSYNC_RECORDS\`), ` +
    "so that the per-record flush stays affordable here. `always` flushes after every write (every record in sync mode, every " +
    "batch in batched mode); `rotation` before each rotation and at shutdown. What a flush costs depends entirely on the disk " +
    "(this machine's virtual disk may acknowledge flushes early); read the ratios as orders of magnitude.",
  subjects: [
    { ...baselineLimit(), maxRecords: FSYNC_RECORDS },
    slf4tsDedicated({ id: "slf4ts-fsync-never", label: "slf4ts, file.fsync=never (default)", maxRecords: FSYNC_RECORDS }),
    slf4tsDedicated({ id: "slf4ts-fsync-rotation", label: "slf4ts, file.fsync=rotation", maxRecords: FSYNC_RECORDS, extra: { [`${P}file.fsync`]: "rotation" } }),
    slf4tsDedicated({ id: "slf4ts-fsync-always", label: "slf4ts, file.fsync=always", maxRecords: FSYNC_RECORDS, extra: { [`${P}file.fsync`]: "always" } }),
    slf4tsDedicated({
      id: "slf4ts-batched-fsync-always",
      label: "slf4ts, file.durability=batched + file.fsync=always",
      maxRecords: FSYNC_RECORDS,
      extra: { [`${P}file.fsync`]: "always", [`${P}file.durability`]: "batched" },
    }),
  ],
  ratiosAgainst: ["limit", "slf4ts-fsync-never"],
  targets: [],
};
