/** Every scenario of the default run, in the order of issue 3, the fsync cost of issue 4 and the targets of issue 15. */
import type { Scenario } from "../lib/harness.js";
import { scenario as dedicated } from "./s1-dedicated.js";
import { scenario as javaDate } from "./s2-java-date.js";
import { scenario as rotation } from "./s3-rotation.js";
import { scenario as standard } from "./s4-standard.js";
import { scenario as disabled } from "./s5-disabled.js";
import { scenario as batched } from "./s6-batched.js";
import { scenario as baselines } from "./s7-baselines.js";
import { scenario as fsync } from "./s8-fsync.js";
import { scenario as targets } from "./s9-targets.js";

export const SCENARIOS: readonly Scenario[] = [dedicated, javaDate, rotation, standard, disabled, batched, baselines, fsync, targets];

/** The scenario called `name` (or numbered `name`). */
export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name || String(s.number) === name);
}
