import test from "ava";
import { javaReplaceAll, RegexSyntaxError, translateJavaRegex, translateJavaReplacement } from "../src/java/regex.js";
import { javaOrSkip, tallyJavaAnswers, type JavaAnswer } from "./lib/java.js";
import { type Random, seededRandom } from "./lib/prng.js";

// src/java/regex.ts on its own: Java regexes translated to JavaScript ones that match what Java
// matches, then the same translation against real java.util.regex on thousands of generated
// regexes × inputs × replacements.

function replaceAll(regex: string, replacement: string, input: string): string {
  return javaReplaceAll(regex, replacement)(input);
}

function rejection(regex: string, replacement = "x"): RegexSyntaxError {
  try {
    javaReplaceAll(regex, replacement);
  } catch (error) {
    if (error instanceof RegexSyntaxError) return error;
    throw error;
  }
  throw new Error(`${regex} was accepted`);
}

// --- examples: Java's meaning, where JavaScript's differs -----------------------------------------

const MEANINGS: [regex: string, replacement: string, input: string, expected: string][] = [
  // "." excludes \r, \u0085, \u2028 and \u2029 as well as \n.
  [".", "x", "a\rb\u0085c\u2028", "x\rx\u0085x\u2028"],
  ["(?s).", "x", "a\rb", "xxx"],
  // "$" also matches before a final line terminator.
  ["$", "!", "ab\n", "ab!\n!"],
  ["(?m)^", ">", "a\nb\n", ">a\n>b\n"],
  // \s, \d and \w are ASCII, as in Java without UNICODE_CHARACTER_CLASS.
  ["\\s", "_", "a b\u00a0c", "a_b\u00a0c"],
  ["\\w+", "W", "ab_1 üx", "W üW"],
  ["\\h", "_", "a\u00a0b\tc", "a_b_c"],
  ["\\R", "|", "a\r\nb\nc\u2028", "a|b|c|"],
  // (?i) is ASCII-only.
  ["(?i)ü|a", "x", "ÜüAa", "ÜxxX".replace("X", "x")],
  // Possessive quantifiers and atomic groups give nothing back.
  ["a*+a", "x", "aaa", "aaa"],
  ["(?>a|ab)c", "x", "abc ac", "abc x"],
  // \Q…\E quotes, octal and control escapes.
  ["\\Q.*\\E", "x", "a.*b", "axb"],
  ["\\0101\\cA", "x", "A\u0001", "x"],
  // Replacements: $n takes as many digits as name a group, ${name}, \$ and \\.
  ["(a)(b)", "$2$1$10", "ab", "baa0"],
  ["(?<w>\\w+)", "<${w}>", "hi you", "<hi> <you>"],
  ["a", "\\$\\\\", "a", "$\\"],
  // X? takes X even when X matches nothing (JavaScript's X? would backtrack into X for more).
  ["(.|[^a-z]*?)?", "[$1]", "\n", "[]\n[]"],
  // A look-behind of bounded length.
  ["(?<=a{1,3}|(?:b|cd))x", "!", "aax cdx bx x", "aa! cd! b! x"],
  // Code points, not UTF-16 halves.
  [".", "x", "😀", "x"],
  ["\\p{So}", "x", "😀a", "xa"],
];

for (const [regex, replacement, input, expected] of MEANINGS) {
  test(`Java meaning: ${JSON.stringify(regex)} → ${JSON.stringify(replacement)} on ${JSON.stringify(input)}`, (t) => {
    t.is(replaceAll(regex, replacement, input), expected);
  });
}

const REJECTED: [regex: string, replacement: string, message: string, index: number, part: "regex" | "replacement"][] = [
  ["a{2", "x", 'unclosed counted closure "{"', 1, "regex"],
  ["(a", "x", 'unclosed group "("', 0, "regex"],
  ["a)", "x", 'unmatched closing ")"', 1, "regex"],
  ["*a", "x", 'dangling meta character "*"', 0, "regex"],
  ["[a", "x", 'unclosed character class "["', 0, "regex"],
  ["\\y", "x", 'illegal/unsupported escape sequence "\\y"', 0, "regex"],
  ["[a&&b]", "x", 'unsupported Java regex construct "&&" (class intersection)', 2, "regex"],
  ["(?<=a+)b", "x", "look-behind group does not have an obvious maximum length", 0, "regex"],
  ["(?<=a*)b", "x", "look-behind group does not have an obvious maximum length", 0, "regex"],
  ["(?<=(?>a))b", "x", 'unsupported Java regex construct "(?>" in a look-behind', 4, "regex"],
  ["(?<!a?+)b", "x", 'unsupported Java regex construct "?+" in a look-behind', 5, "regex"],
  // Java repeats a group whose length varies with a loop of unknown length.
  ["x(?<=(a|bc){1,2})d", "x", "look-behind group does not have an obvious maximum length", 1, "regex"],
  ["(a)\\1", "x", 'back-reference "\\1" refused: matching with back-references can take exponential time', 3, "regex"],
  ["a", "$1", 'no group 1 in the regex (for "$1")', 0, "replacement"],
  ["a", "x\\", 'missing character after "\\"', 1, "replacement"],
  ["(?<n>a)", "${m}", 'no group named "m" in the regex', 0, "replacement"],
];

for (const [regex, replacement, message, index, part] of REJECTED) {
  test(`rejected: ${JSON.stringify(regex)} with ${JSON.stringify(replacement)}`, (t) => {
    const error = rejection(regex, replacement);
    t.true(error.message.startsWith(message), error.message);
    t.is(error.index, index);
    t.is(error.part, part);
  });
}

test("translateJavaRegex reports Java's groups, named ones included, and the replacement refers to them", (t) => {
  const translated = translateJavaRegex("(?>x)(a)(?<b>b)");
  t.is(translated.groupCount, 2);
  t.deepEqual([...translated.names], [["b", 2]]);
  // The atomic group takes a JavaScript group of its own: Java's $1 is JavaScript's $2.
  t.is(translateJavaReplacement("$1$2", translated), "$02$03");
  t.is(new RegExp(translated.source, "gu").exec("xab")?.[0], "xab");
});

// --- against java.util.regex ------------------------------------------------------------------------

const CASES = 4000;
const SEED = 4242;

interface Case {
  readonly regex: string;
  readonly input: string;
  readonly replacement: string;
}

const INPUTS = [
  "",
  "abc",
  "Hello World 123",
  "a\nb\r\nc\n",
  "ünïcödé 😀 €",
  "aaa",
  "x  y\tz",
  "foo@bar.com and baz@qux.org",
  "\u2028line\u0085",
  "ABC abc Abc",
  "a.b.c",
  "$1\\ (x)",
  "ab\r",
];
const LITERALS = ["a", "b", "c", "x", "A", "1", " ", "ü", "😀", "@", "\\.", "\\$", "\\(", "-", "\\t", "\\n"];
const CLASSES = ["[abc]", "[^a-z]", "[a-z0-9]", "[\\w.]", "[\\s]", "[^\\n]", "[]a]", "[-a]", "[a-]", "[A-Za-z]", "[\\p{L}]", "[ü😀]", "[\\x41-\\x5A]"];
const ESCAPES = ["\\d", "\\D", "\\w", "\\W", "\\s", "\\S", "\\h", "\\v", "\\R", "\\p{L}", "\\p{Lu}", "\\P{L}", "\\p{Alpha}", "\\p{Punct}", "\\p{IsAlphabetic}", "\\p{IsLatin}", "\\pL", "\\x41", "\\u00fc", "\\0101", "\\cJ", "\\e", "\\Qa.b\\E"];
const ANCHORS = ["^", "$", "\\b", "\\B", "\\A", "\\z", "\\Z"];
const QUANTIFIERS = ["*", "+", "?", "{2}", "{1,}", "{0,2}", "*?", "+?", "??", "*+", "++", "?+", "{1,2}?", "{2,3}+"];
const BROKEN = ["(", ")", "[", "[a-", "{", "a{2", "*", "\\", "\\y", "(?", "(?<", "(?<1a>x)", "[z-a]", "a{3,2}", "\\k<q>", "\\x{110000}", "(?z)", "\\p{Nope}", "\\1", "(a)\\1", "[a&&b]", "[a[b]]"];

function regexPart(r: Random, depth: number, groups: { n: number }): string {
  const roll = r.int(100);
  let atom: string;
  if (roll < 30) atom = r.pick(LITERALS);
  else if (roll < 42) atom = r.pick(CLASSES);
  else if (roll < 55) atom = r.pick(ESCAPES);
  else if (roll < 62) return r.pick(ANCHORS);
  else if (roll < 66) atom = ".";
  else if (roll < 80 && depth < 2) {
    const kind = r.pick(["(", "(", "(?:", "(?<g>", "(?=", "(?!", "(?<=", "(?<!", "(?>", "(?i:", "(?s:"]);
    if (kind === "(" || kind === "(?<g>") groups.n++;
    const name = kind === "(?<g>" ? `(?<g${groups.n}>` : kind;
    atom = `${name}${regex(r, depth + 1, groups)})`;
  } else if (roll < 84) return r.pick(["(?i)", "(?m)", "(?s)", "(?-i)"]);
  else if (roll < 88) return r.pick(BROKEN);
  else atom = r.pick(LITERALS);
  return r.chance(0.3) ? atom + r.pick(QUANTIFIERS) : atom;
}

function regex(r: Random, depth: number, groups: { n: number }): string {
  const alternatives = r.chance(0.2) ? 2 : 1;
  const out: string[] = [];
  for (let a = 0; a < alternatives; a++) {
    let sequence = "";
    const length = 1 + r.int(depth === 0 ? 4 : 2);
    for (let k = 0; k < length; k++) sequence += regexPart(r, depth, groups);
    out.push(sequence);
  }
  return out.join("|");
}

function generate(): Case[] {
  const r = seededRandom(SEED);
  const cases: Case[] = [];
  for (let i = 0; i < CASES; i++) {
    const groups = { n: 0 };
    const source = regex(r, 0, groups);
    const replacements = ["X", "", "[$0]", "\\$", "<\\\\>"];
    if (groups.n >= 1) replacements.push("($1)", "$1$1");
    cases.push({ regex: source, input: r.pick(INPUTS), replacement: r.pick(replacements) });
  }
  return cases;
}

type Answer = JavaAnswer;

function ours(c: Case): Answer {
  try {
    return { ok: replaceAll(c.regex, c.replacement, c.input) };
  } catch (error) {
    if (error instanceof RegexSyntaxError) return { error: error.message };
    throw error;
  }
}

/** The name of a known, documented difference that explains this case, or undefined. */
function knownDifference(c: Case, mine: Answer, theirs: Answer, asciiBoundaries: Answer | undefined): string | undefined {
  if ("error" in mine && "ok" in theirs) {
    if (mine.error.startsWith("back-reference")) return "back-references refused";
    if (mine.error.includes("catastrophic backtracking")) return "catastrophic backtracking refused";
    if (mine.error.startsWith('unsupported Java regex construct "&&"') || mine.error.startsWith('unsupported Java regex construct "["')) return "nested classes and && refused";
    if (/^unsupported Java regex construct "\\[pP][^"]*" under \(\?i\)$/.test(mine.error)) return "\\p{…} under (?i) refused";
    if (mine.error.startsWith("look-behind group does not have an obvious maximum length")) return "unbounded look-behind refused";
    if (mine.error.endsWith("in a look-behind (JavaScript matches look-behinds backwards)")) return "atomic or possessive in a look-behind refused";
  }
  if ("ok" in mine && "ok" in theirs) {
    // Java 17 tries an empty match again one UTF-16 unit further, inside a surrogate pair.
    if (SURROGATE_PAIR.test(c.input) && LONE_SURROGATE.test(theirs.ok) && !LONE_SURROGATE.test(mine.ok)) return "empty match inside a surrogate pair";
    // Java 17's \b and \B take Unicode letters and digits as word characters (Java 19+: ASCII,
    // as here): only that, when Java with ASCII word boundaries written out gives ours.
    if (asciiBoundaries !== undefined && "ok" in asciiBoundaries && asciiBoundaries.ok === mine.ok) return "\\b with non-ASCII letters";
  }
  return undefined;
}

const ASCII_WORD = "[A-Za-z0-9_]";
/** The regex with Java 19's ASCII \b and \B written out as lookarounds (escaped backslashes kept). */
function withAsciiBoundaries(regex: string): string {
  return regex.replace(/\\\\|\\b|\\B/g, (m) =>
    m === "\\b"
      ? `(?:(?<=${ASCII_WORD})(?!${ASCII_WORD})|(?<!${ASCII_WORD})(?=${ASCII_WORD}))`
      : m === "\\B"
        ? `(?:(?<=${ASCII_WORD})(?=${ASCII_WORD})|(?<!${ASCII_WORD})(?!${ASCII_WORD}))`
        : m,
  );
}

const SURROGATE_PAIR = /[\ud800-\udbff][\udc00-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const KNOWN = [
  "back-references refused",
  "catastrophic backtracking refused",
  "nested classes and && refused",
  "\\p{…} under (?i) refused",
  "empty match inside a surrogate pair",
  "\\b with non-ASCII letters",
  "unbounded look-behind refused",
  "atomic or possessive in a look-behind refused",
];

test(`translated regexes replace as java.util.regex does on ${CASES} generated regexes × inputs, and reject what it rejects`, (t) => {
  const program = javaOrSkip(t, "JavaRegex");
  if (program === undefined) return;
  const cases = generate();
  const java = program(cases.map((c) => [c.regex, c.input, c.replacement])) as Answer[];
  const mines = cases.map(ours);
  // Differing cases with \b or \B: Java once more, with ASCII word boundaries written out.
  const retry = cases.flatMap((c, i) => {
    const mine = mines[i] as Answer;
    const theirs = java[i] as Answer;
    return "ok" in mine && "ok" in theirs && mine.ok !== theirs.ok && withAsciiBoundaries(c.regex) !== c.regex ? [i] : [];
  });
  const again = program(retry.map((i) => [withAsciiBoundaries((cases[i] as Case).regex), (cases[i] as Case).input, (cases[i] as Case).replacement])) as Answer[];
  const ascii = new Map(retry.map((index, k) => [index, again[k] as Answer]));
  const { alike, bothRejected, seen, unexplained } = tallyJavaAnswers(
    cases.length,
    (i) => mines[i] as Answer,
    (i) => java[i] as Answer,
    (i) => knownDifference(cases[i] as Case, mines[i] as Answer, java[i] as Answer, ascii.get(i)),
    (i) => `${JSON.stringify(cases[i])}\n  slf4ts: ${JSON.stringify(mines[i])}\n  Java:   ${JSON.stringify(java[i])}`,
  );
  t.log(`${alike} replaced alike, ${bothRejected} rejected by both, known differences: ${JSON.stringify(Object.fromEntries(seen))}`);
  t.deepEqual(unexplained.slice(0, 15), [], `${unexplained.length} unexplained differences`);
  t.true(alike > CASES / 2, `only ${alike} cases replaced by both`);
  t.true(bothRejected > 100, `only ${bothRejected} cases rejected by both`);
  t.deepEqual([...seen.keys()].sort(), [...KNOWN].sort());
});
