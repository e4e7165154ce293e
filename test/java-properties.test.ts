/**
 * `java.util.Properties` and logback's `FileSize` against the real thing: seeded, generated
 * `.properties` texts (continuations, escapes, comments, separators, line ends, trailing
 * backslashes) loaded by `Properties.load(Reader)` (test/java/PropertiesCases.java) and by
 * `parseProperties`, and generated size texts read by logback-core 1.2.11's `FileSize.valueOf`
 * (test/java/FileSizeCases.java) and by `parseFileSize`. The differences allowed here are the
 * ones docs/java-compatibility.md lists.
 */
import test from "ava";
import { parseFileSize } from "../src/java/file-size.js";
import { parseProperties } from "../src/java/properties.js";
import { javaOrSkip } from "./lib/java.js";
import { seededRandom } from "./lib/prng.js";

/** Pieces of keys and values: plain text, every escape Java knows, broken escapes, specials. */
const PIECES = [
  "a", "key", "com.openexchange.log", "x_1", "ü", "€", "😀", "日本",
  " ", "  ", "\t", "\f", "=", ":", "#", "!", "'", '"',
  "\\=", "\\:", "\\ ", "\\#", "\\!", "\\\\", "\\t", "\\n", "\\r", "\\f", "\\b", "\\q", "\\u0041", "\\u00e9", "\\u20AC", "\\uD83D\\uDE00",
  "\\u12", "\\uXYZW", "\\u", "\\",
];
const ENDS = ["\n", "\r", "\r\n"];

function line(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const roll = next();
  if (roll < 0.1) return pick(["", " ", "\t", "\f "]) + pick(["#", "!"]) + " comment" + pick(["", "\\", " \\\\"]);
  if (roll < 0.15) return pick(["", " ", "\t \f"]);
  let text = pick(["", "", " ", "\t", "\f"]);
  const pieces = 1 + Math.floor(next() * 8);
  // Mostly a key, a separator and a value; sometimes any sequence of pieces.
  if (next() < 0.7) {
    for (let i = 0; i < 1 + Math.floor(next() * 3); i++) text += pick(PIECES.slice(0, 8));
    text += pick(["=", ":", " = ", " : ", " ", "\t", "==", " :=", ""]);
  }
  for (let i = 0; i < pieces; i++) text += pick(PIECES);
  // Continuations: an odd number of backslashes continues the line, an even one does not.
  const tail = next();
  if (tail < 0.2) text += "\\";
  else if (tail < 0.25) text += "\\\\";
  else if (tail < 0.28) text += "\\\\\\";
  return text;
}

function propertiesText(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const lines = Math.floor(next() * 7);
  let text = "";
  for (let i = 0; i < lines; i++) text += line(next) + pick(ENDS) + (next() < 0.3 ? pick(["  ", "\t", " \f"]) : "");
  // The last line without a line end, sometimes ending in a backslash.
  if (next() < 0.5) text += line(next) + pick(["", "\\", "\\\\"]);
  return text;
}

test("Properties.load(Reader) and parseProperties give the same table on thousands of generated files", (t) => {
  t.timeout(240_000);
  const run = javaOrSkip(t, "PropertiesCases");
  if (run === undefined) return;
  const next = seededRandom(20261203).next;
  const texts = Array.from({ length: 3000 }, () => propertiesText(next));
  const answers = run(texts.map((text) => [text]));
  const differences: string[] = [];
  let malformed = 0;
  texts.forEach((text, i) => {
    const javaAnswer = answers[i] as [string, string][] | { error: string };
    const { entries, problems } = parseProperties(text);
    if (!Array.isArray(javaAnswer)) {
      malformed++;
      // Java stops at a malformed \uXXXX; slf4ts reports the line and reads on.
      if (problems.length === 0) differences.push(`${JSON.stringify(text)}: Java ${javaAnswer.error}, slf4ts no problem`);
      return;
    }
    if (problems.length > 0) {
      differences.push(`${JSON.stringify(text)}: Java loads it, slf4ts reports ${JSON.stringify(problems)}`);
      return;
    }
    // Java's table keeps the last value of a key.
    const ours = [...new Map(entries.map((e) => [e.key, e.value])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (JSON.stringify(ours) !== JSON.stringify(javaAnswer)) differences.push(`${JSON.stringify(text)}: Java ${JSON.stringify(javaAnswer)}, slf4ts ${JSON.stringify(ours)}`);
  });
  t.deepEqual(differences, [], differences.slice(0, 50).join("\n"));
  t.true(malformed >= 100, `only ${malformed} texts with a malformed \\u escape`);
});

/** Size texts: digits, whitespace (ASCII and not), units, plurals, signs, noise. */
function sizeText(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  let text = next() < 0.1 ? pick([" ", "\t", "+", "-"]) : "";
  text += next() < 0.05 ? "" : pick(["0", "1", "7", "10", "512", "2097152", "0010", "9007199254740991", "8796093022208", "99999999999999999999"]);
  text += next() < 0.6 ? pick(["", " ", "  ", "\t", "\u00a0", "\u2003", "\n"]) : "";
  text += pick(["", "kb", "KB", "Kb", "mb", "MB", "gb", "GB", "b", "B", "tb", "k", "m", "KiB", "kB"]);
  text += next() < 0.3 ? pick(["s", "S", "ss", " ", ".", "x"]) : "";
  return text;
}

test("FileSize.valueOf and parseFileSize agree on generated sizes, except where documented", (t) => {
  t.timeout(240_000);
  const run = javaOrSkip(t, "FileSizeCases", ["logbackCore"]);
  if (run === undefined) return;
  const next = seededRandom(4242).next;
  const texts = [...new Set(Array.from({ length: 3000 }, () => sizeText(next)))];
  const answers = run(texts.map((text) => [text]));
  const kinds = new Map<string, number>();
  const differences: string[] = [];
  texts.forEach((text, i) => {
    const javaSize = typeof answers[i] === "string" ? Number(answers[i]) : undefined;
    const ours = parseFileSize(text);
    if (javaSize === ours) return;
    // The documented differences (docs/java-compatibility.md, "logback file sizes").
    let kind: string | undefined;
    const trimmed = text.trim();
    if (javaSize === 0 && ours === undefined) kind = "0 is refused";
    // logback's long overflows into wrong or negative sizes; slf4ts refuses what is not exact.
    else if (javaSize !== undefined && (!Number.isSafeInteger(javaSize) || javaSize < 0)) kind = "beyond 2^53 - 1 is refused";
    else if (javaSize === undefined && ours !== undefined && trimmed !== text && parseFileSize(trimmed) === ours) kind = "surrounding whitespace is trimmed";
    else if (javaSize === undefined && ours !== undefined && /b(s)?$/i.test(trimmed) && !/[kmg]bs?$/i.test(trimmed)) kind = "a B unit is accepted";
    if (kind === undefined) differences.push(`${JSON.stringify(text)}: logback ${JSON.stringify(answers[i])}, slf4ts ${ours}`);
    else kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  });
  for (const [kind, n] of kinds) t.log(`documented difference (${n}×): ${kind}`);
  t.deepEqual(differences, [], differences.join("\n"));
});
