import test from "ava";
import { formatMessage } from "../src/facade/format.js";
import { javaMissing, javaProgram } from "./lib/java.js";
import { type Random, seededRandom } from "./lib/prng.js";

// The facade's `{}` formatting against SLF4J 1.7.32's MessageFormatter.arrayFormat, on thousands
// of generated messages (placeholders, `\{}`, `\\{}`, unbalanced braces, lone backslashes) and
// arguments (strings, numbers, booleans, null, nested arrays, a trailing throwable, which both
// take out of the arguments). Every difference that remains has a name in KNOWN below and a line
// in docs/java-compatibility.md ("SLF4J MessageFormatter"); a difference without a name fails.

const CASES = 4000;
const SEED = 1732;

type Arg = string | number | boolean | null | Arg[];

interface Case {
  readonly message: string;
  readonly args: readonly Arg[];
  readonly throwable: boolean;
}

const PIECES = ["{}", "{}", "{}", "\\{}", "\\\\{}", "\\\\\\{}", "{", "}", "{{}}", "{ }", "a", " ", "x{y}", "\\", "ü", "😀", "user ", "=", "\n"];
const STRINGS = ["ann", "", "{}", "\\{}", "a\\", "ü€😀", "two words", "$1", "null"];
const NUMBERS = [0, 1, -7, 42, 1_700_000_000_123, 1.5, -0.25, 3.14159];

function argument(r: Random, depth: number): Arg {
  const roll = r.int(10);
  if (roll < 4) return r.pick(STRINGS);
  if (roll < 6) return r.pick(NUMBERS);
  if (roll < 7) return r.chance(0.5);
  if (roll < 8) return null;
  if (depth < 2) return Array.from({ length: r.int(4) }, () => argument(r, depth + 1));
  return r.pick(STRINGS);
}

function generate(): Case[] {
  const r = seededRandom(SEED);
  const cases: Case[] = [];
  for (let i = 0; i < CASES; i++) {
    let message = "";
    const pieces = r.int(8);
    for (let k = 0; k < pieces; k++) message += r.pick(PIECES);
    const args = Array.from({ length: r.int(5) }, () => argument(r, 0));
    cases.push({ message, args, throwable: r.chance(0.15) });
  }
  return cases;
}

/** The name of a known, documented difference that explains this case, or undefined. */
function knownDifference(_c: Case, _mine: string, _theirs: string): string | undefined {
  return undefined;
}

const KNOWN: string[] = [];

test(`{} formatting equals SLF4J 1.7.32's MessageFormatter.arrayFormat on ${CASES} generated messages × arguments`, (t) => {
  const missing = javaMissing(["slf4j"]);
  if (missing !== undefined) {
    if (process.env.CI === "true") t.fail(missing);
    else t.pass(`skipped: ${missing}`);
    return;
  }
  const cases = generate();
  const java = javaProgram("Slf4jFormat", ["slf4j"])(cases.map((c) => [c.message, c.args, c.throwable])) as { message: string; throwable: boolean }[];
  const seen = new Map<string, number>();
  const unexplained: string[] = [];
  let alike = 0;
  cases.forEach((c, i) => {
    const theirs = java[i] as { message: string; throwable: boolean };
    const mine = formatMessage(c.message, c.throwable ? [...c.args, new Error("boom")] : c.args);
    t.is(mine.error !== undefined, theirs.throwable, `throwable taken out for ${JSON.stringify(c)}`);
    if (mine.message === theirs.message) {
      alike++;
      return;
    }
    const kind = knownDifference(c, mine.message, theirs.message);
    if (kind === undefined) unexplained.push(`${JSON.stringify(c)}\n  slf4ts: ${JSON.stringify(mine.message)}\n  SLF4J:  ${JSON.stringify(theirs.message)}`);
    else seen.set(kind, (seen.get(kind) ?? 0) + 1);
  });
  t.log(`${alike} formatted alike, known differences: ${JSON.stringify(Object.fromEntries(seen))}`);
  t.deepEqual(unexplained.slice(0, 15), [], `${unexplained.length} unexplained differences`);
  t.deepEqual([...seen.keys()].sort(), [...KNOWN].sort());
});
