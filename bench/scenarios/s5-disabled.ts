/** Scenario 5: a facade call at a disabled level against an empty function. */
import type { Scenario } from "../lib/harness.js";

export const scenario: Scenario = {
  name: "disabled",
  number: 5,
  title: "Facade call at a disabled level vs an empty function",
  description:
    "`logger.debug(\"x {}\", i)` (and the fluent `logger.atDebug().addKeyValue(\"i\", i).log(\"x {}\", i)`) with log4js at level info (so DEBUG is disabled), against `empty(\"x {}\", i)` where " +
    "`empty` takes the same parameters and does nothing. Timed in batches of 10,000 calls after a warm-up of 1,000,000; " +
    "p50/p99 are over the batches' per-call averages (one call is below the timer's resolution).",
  callsPerRecord: 50,
  subjects: [
    {
      kind: "calls",
      id: "facade-debug-off",
      label: "slf4ts `logger.debug(\"x {}\", i)`, DEBUG disabled (log4js at info)",
      role: "slf4ts",
      async start() {
        const log4js = (await import("log4js")).default;
        log4js.configure({ appenders: { out: { type: "stdout" } }, categories: { default: { appenders: ["out"], level: "info" } } });
        const { LoggerFactory } = await import("../../src/index.js");
        const logger = LoggerFactory.getLogger("com.example.Bench");
        return (i: number) => logger.debug("x {}", i);
      },
    },
    {
      kind: "calls",
      id: "facade-atdebug-off",
      label: "slf4ts `logger.atDebug().addKeyValue(\"i\", i).log(\"x {}\", i)`, DEBUG disabled (log4js at info)",
      role: "slf4ts",
      async start() {
        const log4js = (await import("log4js")).default;
        log4js.configure({ appenders: { out: { type: "stdout" } }, categories: { default: { appenders: ["out"], level: "info" } } });
        const { LoggerFactory } = await import("../../src/index.js");
        const logger = LoggerFactory.getLogger("com.example.Bench");
        // The fluent API at a disabled level: the shared no-op builder, three calls on it.
        return (i: number) => logger.atDebug().addKeyValue("i", i).log("x {}", i);
      },
    },
    {
      kind: "calls",
      id: "empty-function",
      label: "an empty function `(message, ...args) => {}`",
      role: "baseline",
      async start() {
        // eslint-disable-next-line @typescript-eslint/no-unused-vars
        const empty = (_message: string, ..._args: unknown[]): void => {};
        return (i: number) => empty("x {}", i);
      },
    },
  ],
  ratiosAgainst: ["empty-function"],
  targets: [
    {
      kind: "same-cost",
      subject: "facade-debug-off",
      against: "empty-function",
      relative: 0.1,
      absoluteNs: 0.5,
      text: "indistinguishable from an empty function call (within 10% or 0.5 ns per call)",
    },
  ],
};
