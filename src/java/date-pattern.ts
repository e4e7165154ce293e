/**
 * The one reader of `java.text.SimpleDateFormat` pattern syntax: {@link tokenizeDatePattern}
 * splits a pattern into literal text and letter runs exactly as `SimpleDateFormat.compile` does,
 * and {@link JavaDatePatternError} is what it throws where Java would. The formatter
 * (`date.ts`) and the reader of formatted dates (`date-reader.ts`) both start from these tokens.
 *
 * @module
 */

/**
 * A `SimpleDateFormat` pattern that Java would reject. The message is Java's, followed by
 * ` at position N`; {@link JavaDatePatternError.position} is that 0-based index.
 *
 * @example
 * ```ts
 * try {
 *   compileJavaDatePattern("yyyy-mm-dd b", { locale: "en-US", zone: parseJavaTimeZone("UTC") });
 * } catch (e) {
 *   if (e instanceof JavaDatePatternError) {
 *     e.message;  // "Illegal pattern character 'b' at position 11"
 *     e.position; // 11
 *   }
 * }
 * ```
 */
export class JavaDatePatternError extends Error {
  /** 0-based index in {@link JavaDatePatternError.pattern} where the problem starts. */
  readonly position: number;
  /** The pattern that was rejected. */
  readonly pattern: string;

  /**
   * @param javaMessage - Java's message without the position, e.g. `Unterminated quote`.
   * @param position - 0-based index of the offending character or token.
   * @param pattern - the whole pattern.
   *
   * @example
   * ```ts
   * new JavaDatePatternError("Unterminated quote", 5, "HH:mm'h").message;
   * // "Unterminated quote at position 5"
   * ```
   */
  constructor(javaMessage: string, position: number, pattern: string) {
    super(`${javaMessage} at position ${position}`);
    this.name = "JavaDatePatternError";
    this.position = position;
    this.pattern = pattern;
  }
}

/**
 * The pattern letters, `DateFormatSymbols.patternChars` in Java 17; any other ASCII letter
 * outside quotes is an error.
 *
 * @example
 * ```ts
 * PATTERN_LETTERS.includes("X"); // true
 * PATTERN_LETTERS.includes("b"); // false
 * ```
 */
export const PATTERN_LETTERS = "GyMdkHmsSEDFwWahKzZYuXL";

/**
 * One piece of a pattern: literal text (quotes already resolved) or a run of one pattern letter.
 *
 * @example
 * ```ts
 * const tokens: DatePatternToken[] = tokenizeDatePattern("HH'h'");
 * // [{ kind: "field", letter: "H", count: 2 }, { kind: "literal", text: "h" }]
 * ```
 */
export type DatePatternToken =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "field"; readonly letter: string; readonly count: number };

function isAsciiLetter(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

/**
 * Splits a `SimpleDateFormat` pattern into literal runs and letter runs, with the rules and the
 * error order of `SimpleDateFormat.compile`: a run of one ASCII letter is one field; `'...'` is
 * literal text; `''` is one quote inside and outside quotes; an ASCII letter that is not a
 * pattern letter throws; every other character is literal. Adjacent literal text is one token.
 *
 * @throws JavaDatePatternError if Java would reject the pattern.
 *
 * @example
 * ```ts
 * tokenizeDatePattern("d. MMM ''yy");
 * // [{ kind: "field", letter: "d", count: 1 }, { kind: "literal", text: ". " },
 * //  { kind: "field", letter: "M", count: 3 }, { kind: "literal", text: " '" },
 * //  { kind: "field", letter: "y", count: 2 }]
 * tokenizeDatePattern("yyyy-mm-dd b"); // throws "Illegal pattern character 'b' at position 11"
 * ```
 */
export function tokenizeDatePattern(pattern: string): DatePatternToken[] {
  const tokens: DatePatternToken[] = [];
  let literal = "";
  let letter = "";
  let count = 0;
  let runStart = 0;
  let inQuote = false;
  let quoteStart = 0;

  const endRun = (): void => {
    if (count === 0) return;
    // SimpleDateFormat.encode rejects ISO zones longer than 3 when the run ends.
    if (letter === "X" && count >= 4) {
      throw new JavaDatePatternError(`invalid ISO 8601 format: length=${count}`, runStart, pattern);
    }
    if (literal !== "") {
      tokens.push({ kind: "literal", text: literal });
      literal = "";
    }
    tokens.push({ kind: "field", letter, count });
    count = 0;
  };

  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === "'") {
      // '' is one quote, inside and outside quoted text.
      if (i + 1 < pattern.length && pattern.charAt(i + 1) === "'") {
        i++;
        endRun();
        literal += "'";
        continue;
      }
      if (!inQuote) {
        endRun();
        inQuote = true;
        quoteStart = i;
      } else {
        inQuote = false;
      }
      continue;
    }
    if (inQuote || !isAsciiLetter(c)) {
      endRun();
      literal += c;
      continue;
    }
    if (!PATTERN_LETTERS.includes(c)) {
      throw new JavaDatePatternError(`Illegal pattern character '${c}'`, i, pattern);
    }
    if (count > 0 && c !== letter) endRun();
    if (count === 0) {
      letter = c;
      runStart = i;
    }
    count++;
  }
  if (inQuote) throw new JavaDatePatternError("Unterminated quote", quoteStart, pattern);
  endRun();
  if (literal !== "") tokens.push({ kind: "literal", text: literal });
  return tokens;
}
