/**
 * A logback-syntax `PatternLayout`, parsed and compiled once into one function per pattern.
 * This is the entry of the layer: the syntax (words and parser into a tree) is in `./syntax.ts`,
 * the conversion words in `./converters.ts`, the compiler in `./compile.ts`, and the
 * translation of `%replace`'s Java regexes in `src/java/regex.ts`.
 *
 * The grammar mirrors logback's `TokenStream`, `OptionTokenizer`, `Parser` and `FormatInfo`
 * (1.2/1.3): literals with `\` escapes, `%[-]min[.[-]max]word{options}`, composites
 * `%word(sub-pattern){options}` and bare groups `%(sub-pattern)`. Every problem is reported at
 * compile time as a {@link PatternSyntaxError} with a stable message and a 0-based position;
 * nothing is reported at run time.
 *
 * The compiled function is a tree of small closures. Constant parts (literals, `%n`,
 * `%thread`, modifiers applied to those) are folded into strings when compiling; `%level` is a
 * table lookup; `%logger` and `%d` remember their last input; words without format modifiers
 * get no padding code at all. `%sanitisedMessage%n` compiles to
 * `(e) => sanitizeText(e.message) + "\n"` in all but name.
 *
 * Deliberate differences from logback (each one turns silent misbehaviour into an error or
 * keeps a record on one line):
 * - An unmatched `)` is an error (logback silently drops the rest of the pattern), so is a
 *   trailing `\` (logback drops it), an unknown escape (logback throws too), a `%` that is not
 *   followed by a conversion word, an invalid `{n}` of `%logger`, a `%replace` with fewer
 *   than two options (logback then passes the text through unchanged) and a `%d` pattern the
 *   date formatter rejects (logback falls back to ISO8601).
 * - After a composite's `)`, a `%` starts a conversion (logback 1.2 makes it a literal `%`),
 *   and the literal escapes are allowed there in addition to `\{` and `\}`, except `\(` and
 *   `\)`, which logback cannot parse there either (an error, as in logback).
 * - In an option, balanced `{…}` stay part of the option, so `%replace(%msg){\d{3}, X}` works
 *   without quotes (logback 1.2 ends the option list at the first `}`).
 * - Format widths are limited to 65535 (larger ones could not be padded without throwing).
 * - `%X`/`%mdc` pass keys, values and the default through `sanitizeText`; `%lmdc` replaces
 *   control runs in keys as well as values, and also in values made only of white space
 *   (Open-Xchange returns those unchanged, which would let a bare newline through).
 * - `%replace`/`%ereplace` translate the Java regex to a JavaScript `RegExp` (flags `gu`, see
 *   {@link compilePatternLayout}); constructs that cannot be translated exactly are errors.
 * - A `%replace`/`%ereplace` regex that can backtrack catastrophically is an error (Java and V8
 *   both backtrack: `(x+x+)+y` on 28 characters takes 13 s in Node 20; Java 17 memoizes some
 *   loops, 19 ms there, but still needs 6 s for 1000 characters, and `(.*a){20}b` does not end
 *   in either). The check is static and conservative: a quantifier that may repeat a part more
 *   than once is refused when that part can match the same text in more than 1000 ways in all
 *   (a variable quantifier inside, `(x+x+)+`, `(.*a){20}`, `(\d+\.)+`, or alternatives that can
 *   start with the same character or match nothing, `(a|aa)+`), and back-references are refused.
 *   A possessive quantifier or an atomic group counts as one way (`(\d++\.)+` is accepted).
 *   Regexes that are only polynomial (`.*x` on a long line) are not refused.
 *
 * @module
 */

// The entry of the layer: what the rest of slf4ts imports (documented where each is defined).
export { compilePatternLayout, type PatternLayoutOptions } from "./compile.js";
export type { LayoutEvent } from "./converters.js";
export { describePatternLayout, PATTERN_WORDS, type PatternPiece, PatternSyntaxError, type PatternWordKind } from "./syntax.js";
