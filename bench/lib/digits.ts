/**
 * Numbers with thousands separators (`1,000,000`) for the benchmark's text, without `Intl`:
 * `toLocaleString` loads ICU's locale data into the process on first use (about 6–8 MB of RSS
 * on Node 20), and a child that measures a subject's memory must not charge it with that.
 * (Scenario 8's title did so in every benchmark child, the memory benchmark at 100,000 records.)
 */

/**
 * `n` with a comma between groups of three digits, as `toLocaleString("en-US")` writes a whole
 * number.
 *
 * @example
 * ```ts
 * groupDigits(1234567); // "1,234,567"
 * ```
 */
export function groupDigits(n: number): string {
  const text = String(n);
  return Number.isSafeInteger(n) ? text.replace(/\B(?=(\d{3})+$)/g, ",") : text;
}
