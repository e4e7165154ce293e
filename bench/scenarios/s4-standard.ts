/** Scenario 4: standard mode through log4js against log4js used directly. */
import type { Scenario } from "../lib/harness.js";
import { baselineLimit, log4jsDirect, slf4tsStandard } from "../lib/subjects.js";

export const scenario: Scenario = {
  name: "standard",
  number: 4,
  title: "Standard mode through log4js vs log4js directly",
  description:
    "Both write through the same log4js `fileSync` appender (10 MiB, 5 backups, layout `%m`) under the logger " +
    "`com.openexchange.log.audit.AuditLogService`. slf4ts builds the record from the attributes (formatting the Date) " +
    "and hands it to log4js through the facade's binding; the direct subject is handed the line built by the harness.",
  subjects: [slf4tsStandard(), log4jsDirect(), baselineLimit()],
  ratiosAgainst: ["limit", "log4js-direct"],
  targets: [
    { kind: "ratio", subject: "slf4ts-standard", against: "log4js-direct", atLeast: 1 / 1.1, text: "at most 1.1× the time of log4js used directly" },
  ],
};
