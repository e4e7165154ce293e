/**
 * The console's `name~regex` filters, matched in linear time. A user's regex runs on the
 * server's event loop over values of any length (a line may hold megabytes): a backtracking
 * engine (V8's `RegExp`) takes seconds to minutes on `.*.*.*x` and the like, during which no
 * other request and no follow stream is served. So the regex, in Java's syntax (as `%replace`),
 * is translated to RE2's syntax and compiled with `re2js`, a pure-JavaScript port of RE2 whose
 * time is linear in the length of the value for every regex it accepts. What needs backtracking
 * or a look-ahead is refused when the request is read (see `translateJavaRegexToRe2`).
 *
 * `re2js` is imported here only: the logging library itself never loads it.
 *
 * @module
 */
import { RE2JS } from "re2js";
import { RegexSyntaxError, translateJavaRegexToRe2 } from "../../java/regex.js";

/**
 * Length of the line terminator that ends `value` as Java's `$` sees it: 2 for `\r\n`, 1 for one
 * of `\n \r \u0085 \u2028 \u2029`, else 0.
 */
function finalTerminatorLength(value: string): number {
  const last = value.charCodeAt(value.length - 1);
  if (last === 0x0a) return value.charCodeAt(value.length - 2) === 0x0d ? 2 : 1;
  return last === 0x0d || last === 0x85 || last === 0x2028 || last === 0x2029 ? 1 : 0;
}

/**
 * A Java regex as a test of whether it is found anywhere in a value, in time linear in the
 * value's length: true exactly when Java's `Pattern.compile(regex).matcher(value).find()` is
 * (for the regexes accepted).
 *
 * @throws RegexSyntaxError for a regex Java rejects, one that cannot be matched in linear time
 *   (look-arounds, back-references, atomic groups, possessive quantifiers, …), or one RE2
 *   refuses (a count above 1000): the message says which and why; `index` is -1 when RE2
 *   refused it (RE2 does not say where).
 * @example
 * ```ts
 * const test = linearRegexTest("^192\\.0\\.2\\.");
 * test("192.0.2.7"); // true
 * ```
 */
export function linearRegexTest(regex: string): (value: string) => boolean {
  const translated = translateJavaRegexToRe2(regex);
  const compile = (source: string): RE2JS => {
    try {
      return RE2JS.compile(source);
    } catch (error) {
      // RE2's own limits (a count above 1000, a program too large); the message names the part.
      throw new RegexSyntaxError(`${(error as Error).message.replace(/^error parsing regexp: /, "")} (the regex is matched in linear time, by RE2)`, -1);
    }
  };
  const main = compile(translated.source);
  if (translated.beforeFinalTerminator === undefined) return (value) => main.test(value);
  const beforeTerminator = compile(translated.beforeFinalTerminator);
  return (value) => {
    if (main.test(value)) return true;
    const terminator = finalTerminatorLength(value);
    return terminator > 0 && beforeTerminator.test(value.slice(0, value.length - terminator));
  };
}
