/**
 * One uniform shape for every configuration problem.
 */
import { sanitizeText } from "../sanitize/escape.js";

/** One thing wrong with a configuration. */
export interface ConfigProblem {
  /** The full property key, or `undefined` for a problem that is not about one key. */
  readonly key: string | undefined;
  /** The value as written (after .properties unescaping), or `undefined`. */
  readonly value: string | undefined;
  /** The 1-based line in the file, or `undefined` (a value given in code, a missing file). */
  readonly line: number | undefined;
  /** What was expected, or what went wrong. */
  readonly expected: string;
}

/**
 * Renders a problem as one line: `line 3: com.openexchange.log.audit.slf4j.level = "verbose": expected one of trace, debug, info, warn, error`.
 *
 * @example
 * ```ts
 * formatProblem({ key: "k", value: "v", line: 2, expected: "expected a number" }); // 'line 2: k = "v": expected a number'
 * ```
 */
export function formatProblem(problem: ConfigProblem): string {
  let text = problem.line === undefined ? "" : `line ${problem.line}: `;
  if (problem.key !== undefined) {
    text += problem.key;
    if (problem.value !== undefined) {
      text += ` = ${quote(problem.value)}`;
    }
    text += ": ";
  }
  return text + problem.expected;
}

function quote(value: string): string {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return `"${sanitizeText(shown).replace(/"/g, '\\"')}"`;
}

/**
 * Thrown (or rejected) when a configuration is invalid. Lists every problem; the last good
 * configuration stays in force.
 *
 * @example
 * ```ts
 * try { await AuditLogService.configure({ propertiesFile }); }
 * catch (e) { if (e instanceof ConfigError) for (const p of e.problems) console.error(p.line, p.key, p.expected); }
 * ```
 */
export class ConfigError extends Error {
  /** Every problem found, in file order. */
  readonly problems: readonly ConfigProblem[];
  /** The file the configuration came from, or `undefined` when it was given in code. */
  readonly source: string | undefined;

  /** Creates the error; its message lists every problem, one per line. */
  constructor(problems: readonly ConfigProblem[], source: string | undefined) {
    const where = source === undefined ? "from the properties given to configure()" : `in ${source}`;
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`Invalid audit configuration ${where} (${count}):\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
    this.source = source;
  }
}
