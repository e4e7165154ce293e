/**
 * The console's `~` filters: re2js (linear time, what the console runs since it stopped using
 * V8's backtracking RegExp on users' regexes) against V8's RegExp on the same translated regex,
 * over the values of bench/console.ts's log set (`user42`, `192.0.3.17`, `web`, …), and the
 * attack shapes on one long value, where only re2js finishes.
 *
 *   npm run build:test && node dist/bench/console-regex.js      (BENCH_VALUES, default 1000000)
 *
 * Prints a markdown table for bench/CONSOLE.md: the time per million tests of each filter with
 * each engine (median of 5 runs), and their ratio.
 */
import { cpus } from "node:os";
import { linearRegexTest } from "../src/cli/serve/regex.js";
import { translateJavaRegex } from "../src/java/regex.js";

const count = Number(process.env["BENCH_VALUES"] ?? 1_000_000);

// The values a filter meets in the console's benchmark: logins, addresses, clients, times.
const values: string[] = [];
for (let i = 0; i < count; i++) {
  const kind = i % 4;
  values.push(
    kind === 0 ? `user${i % 5000}` : kind === 1 ? `192.0.${(i >> 8) & 255}.${i & 255}` : kind === 2 ? (i % 3 === 0 ? "web" : "imap") : new Date(Date.UTC(2026, 10, 1) + i * 2000).toISOString(),
  );
}

const FILTERS: ReadonlyArray<readonly [string, string]> = [
  ["literal, matching nothing", "nobody"],
  ["anchored prefix", "^user42"],
  ["whole value", "^user4[0-9]{2}$"],
  ["address range", "^192\\.0\\.2\\.\\d+$"],
  ["alternation", "web|mobile|api"],
  ["case-insensitive", "(?i)USER1"],
  ["class and quantifiers", "\\d{4}-\\d{2}-\\d{2}T0[0-8]"],
  ["dot-star between literals", "user.*9"],
];

function median(runs: number[]): number {
  return [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)] as number;
}

function timeFilter(test: (value: string) => boolean): { ms: number; hits: number } {
  const runs: number[] = [];
  let hits = 0;
  for (let run = 0; run < 5; run++) {
    hits = 0;
    const started = performance.now();
    for (const value of values) if (test(value)) hits++;
    runs.push(performance.now() - started);
  }
  return { ms: median(runs), hits };
}

console.log(`${count} values; node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"} (${cpus().length} cores)\n`);
console.log("| filter | regex | matches | RegExp (V8) | re2js | re2js / RegExp |");
console.log("|---|---|---|---|---|---|");
for (const [name, regex] of FILTERS) {
  const compiled = new RegExp(translateJavaRegex(regex).source, "u");
  const v8 = timeFilter((value) => compiled.test(value));
  const re2 = timeFilter(linearRegexTest(regex));
  if (v8.hits !== re2.hits) throw new Error(`${regex}: RegExp found ${v8.hits}, re2js ${re2.hits}`);
  console.log(`| ${name} | \`${regex.replaceAll("|", "\\|")}\` | ${re2.hits} | ${v8.ms.toFixed(0)} ms | ${re2.ms.toFixed(0)} ms | ${(re2.ms / v8.ms).toFixed(2)} |`);
}

// The attack shapes on one value of 80 000 characters that they do not match. V8 is given the
// same shapes on 200 characters only: its time grows with the fourth power of the length for
// .*.*.*x (about 6 s at 250 characters here), so 80 000 would take years.
const long = "a".repeat(80_000);
console.log("\n| attack | re2js, 80 000 characters | RegExp (V8), 200 characters |");
console.log("|---|---|---|");
for (const regex of [".*.*.*x", "a*a*a*b", "[a-z]*[a-z]*[a-z]*[^a-z]{2}", "(.*a){20}[^a]{2}"]) {
  const test = linearRegexTest(regex);
  const started = performance.now();
  test(long);
  const re2 = performance.now() - started;
  let v8: string;
  try {
    const compiled = new RegExp(translateJavaRegex(regex).source, "u");
    const s = performance.now();
    compiled.test(long.slice(0, 200));
    v8 = `${(performance.now() - s).toFixed(0)} ms`;
  } catch {
    v8 = "refused by the old check (nested quantifier)";
  }
  console.log(`| \`${regex}\` | ${re2.toFixed(1)} ms | ${v8} |`);
}
