/**
 * The one place that makes text safe for a one-line record.
 *
 * An audit record is evidence, so unsafe characters are *escaped*, never removed: the
 * original text can always be read back (see `parseAuditLine`), and nothing in a record can
 * act on a terminal, start a new line or reorder what a reader sees.
 *
 * Unsafe characters are: C0 controls (U+0000–U+001F, including TAB, LF, CR and ESC), DEL
 * (U+007F), C1 controls (U+0080–U+009F, including NEL U+0085 and CSI U+009B), the line and
 * paragraph separators U+2028/U+2029, the bidirectional formatting characters (U+061C,
 * U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and lone UTF-16 surrogates. They are written
 * as `\n`, `\r`, `\t` or `\uXXXX` (four upper-case hex digits).
 */
import stripAnsi from "strip-ansi";

// With the `u` flag a well-formed surrogate pair is one code point outside D800–DFFF, so the
// surrogate range only matches lone halves.
const UNSAFE_SOURCE = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff";

/** Matches one unsafe character (see the module comment). */
export const UNSAFE_CHARACTER = new RegExp(`[${UNSAFE_SOURCE}]`, "u");

const UNSAFE_GLOBAL = new RegExp(`[${UNSAFE_SOURCE}]`, "gu");

const HEX = "0123456789ABCDEF";

/**
 * The escape sequence for one unsafe UTF-16 code unit: `\n`, `\r`, `\t` or `\uXXXX`.
 *
 * @example
 * ```ts
 * escapeCodeUnit(0x1b); // "\\u001B"
 * ```
 */
export function escapeCodeUnit(code: number): string {
  switch (code) {
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x09:
      return "\\t";
    default:
      return (
        "\\u" +
        HEX.charAt((code >>> 12) & 15) +
        HEX.charAt((code >>> 8) & 15) +
        HEX.charAt((code >>> 4) & 15) +
        HEX.charAt(code & 15)
      );
  }
}

function escapeMatch(match: string): string {
  return escapeCodeUnit(match.charCodeAt(0));
}

/**
 * Escapes every unsafe character (see the module comment) and leaves everything else,
 * including backslashes, as it is. Returns the same string when nothing needs escaping.
 *
 * @example
 * ```ts
 * escapeUnsafe("a\nb\u202Ec"); // "a\\nb\\u202Ec"
 * ```
 */
export function escapeUnsafe(text: string): string {
  return UNSAFE_CHARACTER.test(text) ? text.replace(UNSAFE_GLOBAL, escapeMatch) : text;
}

/**
 * What `%sanitisedMessage`, `%X` and `%mdc` print: complete ANSI escape sequences are
 * removed (with strip-ansi), then every remaining unsafe character is escaped, so the result
 * is one line with no raw control, line-separator or bidi character, and nothing after a
 * sequence is lost (the original's sanitiser dropped the text after the last match).
 *
 * An audit message is already escaped when it is built, so for audit records this function
 * returns its input unchanged.
 *
 * @example
 * ```ts
 * sanitizeText("a\u001b[31mred\u001b[0m tail\n"); // "ared tail\\n"
 * ```
 */
export function sanitizeText(text: string): string {
  if (!UNSAFE_CHARACTER.test(text)) {
    return text;
  }
  return escapeUnsafe(stripAnsi(text));
}
