/**
 * The command line's mistakes in the command's own words: an unknown option names the one
 * probably meant (`unknown option --sinse; did you mean --since?`), an option without its value
 * or a flag given one says so, and a value outside a fixed set names the closest allowed one.
 * Node's `parseArgs` still does the parsing; {@link checkOptions} runs before it, so its
 * messages (which suggest nothing and speak of positionals) are not what the user reads.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { editDistance } from "../config/names.js";
import { parseJavaTimeZone, type JavaTimeZone } from "../java/zone.js";
import { UsageError } from "./filters.js";
import { terminalText } from "./output.js";

/** An option as `parseArgs` declares it (the parts {@link checkOptions} reads). */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
}

/**
 * The word of `candidates` that `word` is probably a typo of (at most two characters missing,
 * extra, wrong or swapped, and fewer than half its length), or undefined.
 *
 * @example
 * ```ts
 * closestWord("--sinse", ["--since", "--until"]); // "--since"
 * ```
 */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 64) return undefined; // no typo of any option, and editDistance is quadratic
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance && d <= 2 && d < candidate.length / 2) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * `unknown option X` with `; did you mean Y?` when `option` is close to one of `known`.
 *
 * @example
 * ```ts
 * unknownOption("--sinse", ["--since"]); // "unknown option --sinse; did you mean --since?"
 * ```
 */
export function unknownOption(option: string, known: readonly string[]): string {
  const guess = closestWord(option, known);
  return `unknown option ${terminalText(option)}${guess === undefined ? "" : `; did you mean ${guess}?`}`;
}

/**
 * Checks `args` against the options of a command before `parseArgs` reads them: throws a
 * {@link UsageError} for an unknown option (with the option probably meant), a value option
 * without its value, and a flag given a value. Arguments after `--` are positionals.
 *
 * @throws UsageError with the message for the user.
 * @example
 * ```ts
 * checkOptions(["--sinse", "1h"], { since: { type: "string" } }); // throws "unknown option --sinse; did you mean --since?"
 * ```
 */
export function checkOptions(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): void {
  const all: Record<string, OptionSpec> = { ...options, help: { type: "boolean", short: "h" } };
  const longNames = Object.keys(all).map((name) => `--${name}`);
  const byShort = new Map(Object.entries(all).flatMap(([name, spec]) => (spec.short === undefined ? [] : [[spec.short, name] as const])));
  const needsValue = (shown: string, next: string | undefined): void => {
    if (next === undefined) throw new UsageError(`${shown} needs a value`);
    // parseArgs refuses a value that looks like an option; say how to give one.
    const inline = shown.startsWith("--") ? `${shown}=VALUE` : `${shown}VALUE`;
    if (next.startsWith("-") && next !== "-") throw new UsageError(`${shown} needs a value, not ${terminalText(next)} (a value that starts with "-" is written ${inline})`);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = all[name];
      if (spec === undefined) throw new UsageError(unknownOption(`--${name}`, longNames));
      if (spec.type === "boolean" && eq >= 0) throw new UsageError(`--${name} takes no value`);
      if (spec.type === "string" && eq < 0) {
        needsValue(`--${name}`, args[i + 1]);
        i++;
      }
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") continue;
    // A group of short options (-fn 5, -n5): each letter an option; a value option takes the rest or the next argument.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      const name = byShort.get(letter);
      if (name === undefined) {
        const long = closestWord(`--${arg.slice(1)}`, longNames);
        throw new UsageError(`unknown option -${terminalText(letter)}${j === 1 && long !== undefined ? `; did you mean ${long}?` : ""}`);
      }
      if ((all[name] as OptionSpec).type === "string") {
        if (j === arg.length - 1) {
          needsValue(`-${letter}`, args[i + 1]);
          i++;
        }
        break;
      }
    }
  }
}

/**
 * `value` when it is one of `allowed`; otherwise throws a {@link UsageError} that lists them
 * and names the one probably meant.
 *
 * @throws UsageError for a value outside `allowed`.
 * @example
 * ```ts
 * oneOf("--format", "jsnl", ["table", "jsonl", "csv"]); // throws '--format "jsnl": expected table, jsonl or csv; did you mean jsonl?'
 * ```
 */
export function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const listed = allowed.length === 1 ? (allowed[0] as string) : `${allowed.slice(0, -1).join(", ")} or ${allowed[allowed.length - 1] as string}`;
  const guess = closestWord(value, allowed);
  throw new UsageError(`${option} "${terminalText(value)}": expected ${listed}${guess === undefined ? "" : `; did you mean ${guess}?`}`);
}

/**
 * A command's arguments read with `parseArgs` (positionals allowed), after {@link checkOptions}
 * has said any mistake in the CLI's own words; whatever `parseArgs` still refuses becomes a
 * `UsageError` too.
 *
 * @example
 * ```ts
 * const { values, positionals } = parseCommandArgs(["-n", "5", "logs"], { lines: { type: "string", short: "n" } });
 * ```
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]> & Readonly<Record<string, OptionSpec>>>(
  args: readonly string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: O }>> {
  checkOptions(args, options);
  try {
    return parseArgs({ args: [...args], allowPositionals: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The time zone of `--tz` (a Java zone id), or `fallback` (the properties file's `date.timezone`)
 * without it; a bad id is a `UsageError` naming the option and the value.
 *
 * @example
 * ```ts
 * const zone = readZoneOption(values.tz, settings.dateTimeZone);
 * ```
 */
export function readZoneOption(tz: string | undefined, fallback: JavaTimeZone): JavaTimeZone {
  if (tz === undefined) return fallback;
  try {
    return parseJavaTimeZone(tz);
  } catch (error) {
    throw new UsageError(`--tz "${tz}": ${(error as Error).message}`);
  }
}
