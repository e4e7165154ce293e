/**
 * A logback-syntax `PatternLayout`, parsed and compiled once into one function per pattern.
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
 *   and all literal escapes are allowed there in addition to `\{` and `\}`.
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
import type { Level } from "../facade/level.js";
import { levelName } from "../facade/level.js";
import { escapeUnsafe, sanitizeText, UNSAFE_CHARACTER } from "../sanitize/escape.js";

/**
 * What a layout renders: one log record.
 *
 * @example
 * ```ts
 * const event: LayoutEvent = {
 *   timestamp: Date.now(),
 *   level: Level.INFO,
 *   loggerName: "Slf4jAuditLogger",
 *   message: "ox.login, login=thorben, ip=::1",
 *   mdc: new Map([["session", "abc"]]),
 * };
 * ```
 */
export interface LayoutEvent {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly level: Level;
  readonly loggerName: string;
  readonly message: string;
  readonly mdc: ReadonlyMap<string, string> | undefined;
}

/**
 * What {@link compilePatternLayout} needs besides the pattern.
 *
 * @example
 * ```ts
 * const options: PatternLayoutOptions = {
 *   createDateFormatter: (pattern, timeZone, locale) =>
 *     compileJavaDatePattern(pattern, { locale: locale ?? "en-US", zone: parseJavaTimeZone(timeZone ?? "UTC") }),
 *   threadName: "Slf4jAuditLogService",
 * };
 * ```
 */
export interface PatternLayoutOptions {
  /**
   * Builds the formatter behind %d. `pattern` is a Java SimpleDateFormat pattern (the layout
   * maps no option / "ISO8601" to "yyyy-MM-dd HH:mm:ss,SSS" itself before calling);
   * `timeZone`/`locale` are the 2nd/3rd %d options or undefined. Throws an Error whose message
   * explains the problem; the layout wraps it in a PatternSyntaxError naming the %d word.
   */
  readonly createDateFormatter: (
    pattern: string,
    timeZone: string | undefined,
    locale: string | undefined,
  ) => (epochMillis: number) => string;
  /** Time origin of %r/%relative (default: when compiled). */
  readonly startTime?: number;
  /** What %t/%thread prints (default "main"). */
  readonly threadName?: string;
  /**
   * The messages this layout renders are already safe (the audit record builder escapes them),
   * so `%sanitisedMessage` may skip its scan and print the message as it is.
   */
  readonly messageIsSanitized?: boolean;
  /**
   * Every rendered line is one line: after the layout has run, unsafe characters (line breaks,
   * controls, bidi controls, lone surrogates; see `escapeUnsafe`) anywhere but in the pattern's
   * own final line separator (a final `%n`, or a literal line break at its end) are escaped as
   * values are (`\n`, `\uXXXX`). So no conversion (`%ereplace(…){'x', '%n'}`, `%lmdc`, a `%n`
   * in the middle) can make one record two lines.
   */
  readonly oneLine?: boolean;
}

/**
 * A pattern that cannot be compiled. `message` ends with `at position N`, and `position` is
 * that N: a 0-based index into {@link PatternSyntaxError.pattern}.
 *
 * @example
 * ```ts
 * try {
 *   compilePatternLayout("%d %foo", options);
 * } catch (error) {
 *   if (error instanceof PatternSyntaxError) {
 *     error.message; // 'unknown conversion word "%foo" at position 3'
 *     error.position; // 3
 *   }
 * }
 * ```
 */
export class PatternSyntaxError extends Error {
  /** 0-based index into the pattern. */
  readonly position: number;
  /** The pattern that was being compiled. */
  readonly pattern: string;

  constructor(message: string, position: number, pattern: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = "PatternSyntaxError";
    this.position = position;
    this.pattern = pattern;
  }
}

// ---------------------------------------------------------------------------------------------
// Conversion words

/**
 * What a conversion word converts (aliases resolved), as {@link describePatternLayout} reports it.
 *
 * @example
 * ```ts
 * const kind: PatternWordKind = "sanitisedMessage";
 * ```
 */
export type PatternWordKind = WordKind;

type WordKind =
  | "date"
  | "level"
  | "logger"
  | "message"
  | "sanitisedMessage"
  | "newline"
  | "thread"
  | "relative"
  | "mdc"
  | "lmdc"
  | "replace"
  | "ereplace";

// A Map, not an object literal, so that "%constructor" or "%toString" are unknown words.
const WORDS: ReadonlyMap<string, WordKind> = new Map<string, WordKind>([
  ["d", "date"],
  ["date", "date"],
  ["p", "level"],
  ["le", "level"],
  ["level", "level"],
  ["c", "logger"],
  ["lo", "logger"],
  ["logger", "logger"],
  ["m", "message"],
  ["msg", "message"],
  ["message", "message"],
  ["sanitisedMessage", "sanitisedMessage"],
  ["n", "newline"],
  ["t", "thread"],
  ["thread", "thread"],
  ["r", "relative"],
  ["relative", "relative"],
  ["X", "mdc"],
  ["mdc", "mdc"],
  ["lmdc", "lmdc"],
  ["replace", "replace"],
  ["ereplace", "ereplace"],
]);

function isComposite(kind: WordKind): boolean {
  return kind === "replace" || kind === "ereplace";
}

/**
 * The list of conversion words understood (for docs and error messages), aliases included.
 * `replace` and `ereplace` take a sub-pattern in parentheses; `%(…)` groups without a word.
 *
 * @example
 * ```ts
 * PATTERN_WORDS.includes("sanitisedMessage"); // true
 * PATTERN_WORDS.includes("highlight"); // false
 * ```
 */
export const PATTERN_WORDS: readonly string[] = Object.freeze([...WORDS.keys()]);

/** logback's `CoreConstants.ISO8601_PATTERN`. */
const ISO8601_PATTERN = "yyyy-MM-dd HH:mm:ss,SSS";

// ---------------------------------------------------------------------------------------------
// Parsing: pattern text to a tree

interface FormatInfo {
  /** Pad to at least this many UTF-16 code units (0: no padding). */
  readonly min: number;
  /** Truncate to at most this many UTF-16 code units (Infinity: no truncation). */
  readonly max: number;
  /** Pad on the left (right-justify); `-min` pads on the right. */
  readonly leftPad: boolean;
  /** Keep the right end when truncating; `.-max` keeps the left end. */
  readonly leftTruncate: boolean;
}

interface OptionValue {
  readonly value: string;
  /** Index of the option's first character in the pattern. */
  readonly position: number;
}

interface LiteralNode {
  readonly kind: "literal";
  readonly text: string;
}

interface ConversionNode {
  readonly kind: "conversion";
  /** The word as written ("" for a bare `%(…)` group). */
  readonly word: string;
  /** Index of the `%`. */
  readonly position: number;
  readonly format: FormatInfo | undefined;
  /** The `{…}` options; undefined when there were no braces. */
  readonly options: readonly OptionValue[] | undefined;
  /** The sub-pattern of a composite; undefined for a simple word. */
  readonly children: readonly PatternNode[] | undefined;
}

type PatternNode = LiteralNode | ConversionNode;

const MAX_WIDTH = 65535;
const FORMAT_MODIFIER = /^(?:([+-]?)(\d+))?(?:\.([+-]?)(\d+))?$/;
// Character.isJavaIdentifierStart / isJavaIdentifierPart, as far as they matter here.
const IDENTIFIER_START = /^[\p{L}\p{Nl}\p{Sc}\p{Pc}]$/u;
const IDENTIFIER_PART = /^[\p{L}\p{Nl}\p{Sc}\p{Pc}\p{Nd}\p{Mn}\p{Mc}\p{Cf}\u0000-\u0008\u000e-\u001b\u007f-\u009f]$/u;
const ALLOWED_ESCAPES = '\\%, \\(, \\), \\\\, \\_, \\t, \\n and \\r; right after ")" also \\{ and \\}';

function isIdentifierStart(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code < 0x80) {
    return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f || code === 0x24;
  }
  return IDENTIFIER_START.test(c);
}

function isIdentifierPart(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code < 0x80 && code > 0x1b && code !== 0x7f) {
    return (
      (code >= 0x61 && code <= 0x7a) ||
      (code >= 0x41 && code <= 0x5a) ||
      (code >= 0x30 && code <= 0x39) ||
      code === 0x5f ||
      code === 0x24
    );
  }
  return IDENTIFIER_PART.test(c);
}

/** Java's `String.trim()`: removes code units up to U+0020 at both ends. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

function displayName(word: string): string {
  return word === "" ? "%()" : `%${word}`;
}

class PatternParser {
  private pos = 0;
  /** True right after the `)` of a composite (logback's RIGHT_PARENTHESIS_STATE). */
  private afterComposite = false;

  constructor(private readonly src: string) {}

  parse(): PatternNode[] {
    if (this.src.length === 0) {
      throw this.error("empty pattern", 0);
    }
    return this.parseSequence(false);
  }

  error(message: string, position: number, hint?: string, cause?: unknown): PatternSyntaxError {
    const text = `${message} at position ${position}${hint === undefined ? "" : ` (${hint})`}`;
    return cause === undefined
      ? new PatternSyntaxError(text, position, this.src)
      : new PatternSyntaxError(text, position, this.src, { cause });
  }

  /** Reads literals and conversions up to the end, or (when nested) up to a `)` it leaves unread. */
  private parseSequence(nested: boolean): PatternNode[] {
    const src = this.src;
    const nodes: PatternNode[] = [];
    let text = "";
    while (this.pos < src.length) {
      const c = src.charAt(this.pos);
      const afterComposite = this.afterComposite;
      this.afterComposite = false;
      if (c === "\\") {
        text += this.escape(afterComposite);
      } else if (c === "%") {
        if (text !== "") {
          nodes.push({ kind: "literal", text });
          text = "";
        }
        nodes.push(this.parseConversion());
      } else if (c === ")") {
        if (nested) break;
        throw this.error('unmatched ")"', this.pos, 'write "\\)" for a literal parenthesis');
      } else {
        text += c;
        this.pos++;
      }
    }
    if (text !== "") {
      nodes.push({ kind: "literal", text });
    }
    return nodes;
  }

  /** logback's RegularEscapeUtil with the escape characters `%()` (plus `{}` after a `)`). */
  private escape(afterComposite: boolean): string {
    const at = this.pos;
    if (at + 1 >= this.src.length) {
      throw this.error('dangling "\\" at end of pattern', at, 'write "\\\\" for a literal backslash');
    }
    const next = this.src.charAt(at + 1);
    this.pos += 2;
    switch (next) {
      case "%":
      case "(":
      case ")":
      case "\\":
        return next;
      case "_":
        return "";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "n":
        return "\n";
      case "{":
      case "}":
        if (afterComposite) return next;
        break;
      default:
        break;
    }
    throw this.error(`illegal escape "\\${next}"`, at, `allowed: ${ALLOWED_ESCAPES}`);
  }

  private parseConversion(): ConversionNode {
    const src = this.src;
    const position = this.pos;
    this.pos++;
    const modifierStart = this.pos;
    while (this.pos < src.length && "0123456789.+-".includes(src.charAt(this.pos))) {
      this.pos++;
    }
    const modifier = src.slice(modifierStart, this.pos);
    const format = modifier === "" ? undefined : this.parseFormat(modifier, modifierStart);
    const c = src.charAt(this.pos);

    if (c === "(") {
      const children = this.parseChildren("");
      const options = this.src.charAt(this.pos) === "{" ? this.parseOptions("") : undefined;
      this.afterComposite = options === undefined;
      return { kind: "conversion", word: "", position, format, options, children };
    }
    if (c === "" || !isIdentifierStart(c)) {
      throw this.error('missing conversion word after "%"', position, 'write "\\%" for a literal percent sign');
    }
    const wordStart = this.pos;
    this.pos++;
    while (this.pos < src.length && isIdentifierPart(src.charAt(this.pos))) {
      this.pos++;
    }
    const word = src.slice(wordStart, this.pos);
    const kind = WORDS.get(word);
    if (kind === undefined) {
      throw this.error(`unknown conversion word "%${word}"`, position);
    }
    const next = src.charAt(this.pos);
    if (next === "(") {
      if (!isComposite(kind)) {
        throw this.error(
          `conversion word "%${word}" does not take a sub-pattern`,
          position,
          'write "\\(" for a literal parenthesis',
        );
      }
      const children = this.parseChildren(word);
      const options = this.src.charAt(this.pos) === "{" ? this.parseOptions(word) : undefined;
      this.afterComposite = options === undefined;
      return { kind: "conversion", word, position, format, options, children };
    }
    if (isComposite(kind)) {
      throw this.error(`conversion word "%${word}" needs a sub-pattern in parentheses`, position);
    }
    const options = next === "{" ? this.parseOptions(word) : undefined;
    return { kind: "conversion", word, position, format, options, children: undefined };
  }

  /** `pos` is at the `(`; returns with `pos` after the matching `)`. */
  private parseChildren(word: string): PatternNode[] {
    const open = this.pos;
    this.pos++;
    const children = this.parseSequence(true);
    if (this.pos >= this.src.length) {
      throw word === ""
        ? this.error('unclosed "("', open)
        : this.error(`unclosed "(" of "%${word}"`, open);
    }
    this.pos++;
    return children;
  }

  /** logback's FormatInfo.valueOf, limited to widths up to 65535. */
  private parseFormat(text: string, at: number): FormatInfo {
    const match = FORMAT_MODIFIER.exec(text);
    const minDigits = match?.[2];
    const maxDigits = match?.[4];
    if (
      match === null ||
      (minDigits === undefined && maxDigits === undefined) ||
      (minDigits !== undefined && Number(minDigits) > MAX_WIDTH) ||
      (maxDigits !== undefined && Number(maxDigits) > MAX_WIDTH)
    ) {
      throw this.error(
        `invalid format modifier "${text}"`,
        at,
        `expected [-]min, [-]min.[-]max or .[-]max with numbers up to ${MAX_WIDTH}`,
      );
    }
    return {
      min: minDigits === undefined ? 0 : Number(minDigits),
      max: maxDigits === undefined ? Infinity : Number(maxDigits),
      leftPad: match[1] !== "-",
      leftTruncate: match[3] !== "-",
    };
  }

  /**
   * logback's OptionTokenizer: options are separated by commas and trimmed; a quoted option
   * (single or double quotes) is taken as is, commas and braces included, and a backslash in
   * it keeps itself and the next character. `pos` is at the `{`; returns after the `}`.
   */
  private parseOptions(word: string): OptionValue[] {
    const src = this.src;
    const open = this.pos;
    this.pos++;
    const options: OptionValue[] = [];
    while (this.pos < src.length) {
      const c = src.charAt(this.pos);
      if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === ",") {
        this.pos++;
      } else if (c === "}") {
        this.pos++;
        return options;
      } else if (c === "'" || c === '"') {
        const quoteAt = this.pos;
        let value = "";
        let j = this.pos + 1;
        let closed = false;
        while (j < src.length) {
          const d = src.charAt(j);
          if (d === c) {
            closed = true;
            break;
          }
          if (d === "\\" && j + 1 < src.length) {
            value += d + src.charAt(j + 1);
            j += 2;
          } else {
            value += d;
            j++;
          }
        }
        if (!closed) {
          throw this.error(`unclosed quote (${c}) in the options of "${displayName(word)}"`, quoteAt);
        }
        options.push({ value, position: quoteAt + 1 });
        this.pos = j + 1;
      } else {
        const start = this.pos;
        let depth = 0;
        let j = start;
        for (; j < src.length; j++) {
          const d = src.charAt(j);
          if (d === "{") {
            depth++;
          } else if (d === "}") {
            if (depth === 0) break;
            depth--;
          } else if (d === "," && depth === 0) {
            break;
          }
        }
        if (j >= src.length) break;
        const raw = src.slice(start, j);
        let lead = 0;
        while (lead < raw.length && raw.charCodeAt(lead) <= 0x20) lead++;
        options.push({ value: javaTrim(raw), position: start + lead });
        this.pos = j;
      }
    }
    throw this.error(`unclosed "{" of "${displayName(word)}"`, open);
  }
}

// ---------------------------------------------------------------------------------------------
// Compiling: tree to closures

type Converter = (event: LayoutEvent) => string;
/** A compiled piece of a pattern: a string when it is the same for every event. */
type Part = string | Converter;

interface CompileContext {
  readonly parser: PatternParser;
  readonly createDateFormatter: PatternLayoutOptions["createDateFormatter"];
  readonly startTime: number;
  readonly threadName: string;
  readonly messageIsSanitized: boolean;
}

/**
 * Parses and compiles a logback pattern once; the returned function is the hot path.
 *
 * Conversion words (aliases separated by `/`, see {@link PATTERN_WORDS}):
 * - `%sanitisedMessage`: `sanitizeText(message)`; `%m`/`%msg`/`%message`: the message as is.
 * - `%d`/`%date{pattern[, timeZone[, locale]]}`: no pattern or `ISO8601` means
 *   `yyyy-MM-dd HH:mm:ss,SSS`; `createDateFormatter` is called once per `%d`, here.
 * - `%p`/`%le`/`%level`, `%t`/`%thread`, `%r`/`%relative`, `%n` (`"\n"`).
 * - `%c`/`%lo`/`%logger{length}`: logback 1.2's TargetLengthBasedClassNameAbbreviator.
 * - `%X`/`%mdc{key:-default}`, or all entries as `k1=v1, k2=v2`; sanitised with `sanitizeText`.
 * - `%lmdc` (Open-Xchange): ` key=value\n` per MDC entry sorted by key, without
 *   `__threadId`, control runs replaced by a space; `%lmdc{key:-default}` for one entry.
 * - `%replace(sub-pattern){regex, replacement}` and `%ereplace(…)` (Open-Xchange: `%n`, `\n`
 *   and `\r\n` in the replacement mean a line feed): Java `String.replaceAll` on the rendered
 *   sub-pattern. The Java regex is translated to a JavaScript `RegExp` with the flags `gu`
 *   (`u` because Java matches code points, not UTF-16 halves): `.`, `$`, `\s`, `\h`, `\v`,
 *   `\R`, `\Z`, POSIX classes, `(?i)` (ASCII-only, as in Java), `(?s)`, `(?m)`, atomic groups
 *   and possessive quantifiers are translated to their exact Java meaning. Rejected with a
 *   PatternSyntaxError: nested classes and `&&`, `\G`, `\X`, `\N{…}`, `\b{g}`, the flags
 *   `d u x c U`, `\p{In…}` blocks, `\p{java…}`, and `\p{…}` or back-references under `(?i)`.
 *   Also rejected: regexes that can backtrack catastrophically and back-references (see the
 *   module comment). Remaining differences: `\b` uses ASCII word characters (as Java 19+), and
 *   an empty match advances by a code point. In the replacement, `$n`, `${name}`, `\$` and `\\` follow
 *   `Matcher.appendReplacement`; a reference to a group that does not exist is an error here.
 * - `%(sub-pattern)`: a group, for format modifiers such as `%-30(%d %level)`.
 *
 * Format modifiers `%[-]min[.[-]max]` work on every word and composite: pad with spaces to
 * `min` (on the left, on the right with `-`), truncate to `max` keeping the right end (the
 * left end with `.-max`), counting UTF-16 code units as Java does.
 *
 * @throws PatternSyntaxError for anything that is not a valid pattern (see the module comment).
 * @example
 * ```ts
 * const layout = compilePatternLayout("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n", {
 *   createDateFormatter: (pattern, timeZone, locale) =>
 *     compileJavaDatePattern(pattern, { locale: locale ?? "en-US", zone: parseJavaTimeZone(timeZone ?? "UTC") }),
 *   threadName: "Slf4jAuditLogService",
 * });
 * layout({ timestamp: Date.UTC(2016, 5, 10, 10, 31, 10, 5), level: Level.INFO,
 *   loggerName: "com.openexchange.log.audit.AuditLogService", message: "ox.login, login=thorben", mdc: undefined });
 * // "10:31:10.005 INFO  [Slf4jAuditLogService] c.o.l.a.AuditLogService - ox.login, login=thorben\n"
 * ```
 */
export function compilePatternLayout(pattern: string, options: PatternLayoutOptions): (event: LayoutEvent) => string {
  const parser = new PatternParser(pattern);
  const nodes = parser.parse();
  const context: CompileContext = {
    parser,
    createDateFormatter: options.createDateFormatter,
    startTime: options.startTime ?? Date.now(),
    threadName: options.threadName ?? "main",
    messageIsSanitized: options.messageIsSanitized === true,
  };
  const part = compileSequence(nodes, context);
  const layout = typeof part === "string" ? () => part : part;
  return options.oneLine === true ? oneLine(layout, finalSeparator(nodes)) : layout;
}

/** The line separator a pattern ends with: a final `%n` without a modifier, or a literal line break. */
function finalSeparator(nodes: readonly PatternNode[]): string {
  const last = nodes[nodes.length - 1];
  if (last === undefined) return "";
  if (last.kind === "literal") return /\r?\n$/.exec(last.text)?.[0] ?? "";
  return last.word !== "" && WORDS.get(last.word) === "newline" && last.format === undefined ? "\n" : "";
}

/** Escapes unsafe characters in a rendered line, except its final separator (one test per line when there are none). */
function oneLine(layout: (event: LayoutEvent) => string, separator: string): (event: LayoutEvent) => string {
  const n = separator.length;
  return (event) => {
    const text = layout(event);
    const body = n > 0 && text.endsWith(separator) ? text.slice(0, text.length - n) : text;
    if (!UNSAFE_CHARACTER.test(body)) return text;
    return body === text ? escapeUnsafe(text) : escapeUnsafe(body) + separator;
  };
}

/**
 * One piece of a parsed pattern, as {@link describePatternLayout} returns it: literal text, or a
 * conversion with its kind, options, whether it has a format modifier and its sub-pattern.
 *
 * @example
 * ```ts
 * const piece: PatternPiece = { kind: "literal", text: " - " };
 * ```
 */
export type PatternPiece =
  | { readonly kind: "literal"; readonly text: string }
  | {
      readonly kind: "conversion";
      /** What the word converts (aliases resolved): "date", "message", "level", … or "group" for `%(…)`. */
      readonly converts: PatternWordKind | "group";
      /** The `{…}` options as written (unquoted, trimmed), empty without braces. */
      readonly options: readonly string[];
      /** The conversion has a format modifier (`%-5level`), so its width may be padded or cut. */
      readonly formatted: boolean;
      /** The sub-pattern of a composite or group, empty otherwise. */
      readonly children: readonly PatternPiece[];
    };

/**
 * Parses a pattern (the same grammar and errors as {@link compilePatternLayout}) into its pieces
 * without compiling it, for readers that need to take a rendered line apart again (the
 * `slf4ts-audit query` command finds the message and the `%d` of each line with it).
 *
 * @throws PatternSyntaxError for anything that is not a valid pattern.
 * @example
 * ```ts
 * describePatternLayout("%d{HH:mm} %msg%n");
 * // [{ kind: "conversion", converts: "date", options: ["HH:mm"], formatted: false, children: [] },
 * //  { kind: "literal", text: " " }, { kind: "conversion", converts: "message", … }, { kind: "conversion", converts: "newline", … }]
 * ```
 */
export function describePatternLayout(pattern: string): readonly PatternPiece[] {
  const toPiece = (node: PatternNode): PatternPiece =>
    node.kind === "literal"
      ? { kind: "literal", text: node.text }
      : {
          kind: "conversion",
          converts: node.word === "" ? "group" : (WORDS.get(node.word) as WordKind),
          options: (node.options ?? []).map((o) => o.value),
          formatted: node.format !== undefined,
          children: (node.children ?? []).map(toPiece),
        };
  return new PatternParser(pattern).parse().map(toPiece);
}

function compileSequence(nodes: readonly PatternNode[], context: CompileContext): Part {
  return join(nodes.map((node) => compileNode(node, context)));
}

const MESSAGE: Converter = (e) => e.message;
const SANITISED_MESSAGE: Converter = (e) => sanitizeText(e.message);
const LOGGER_NAME: Converter = (e) => e.loggerName;

function compileNode(node: PatternNode, context: CompileContext): Part {
  if (node.kind === "literal") {
    return node.text;
  }
  const format = node.format;
  if (node.word === "") {
    return applyFormat(compileSequence(node.children ?? [], context), format);
  }
  // The parser only lets known words through.
  const kind = WORDS.get(node.word) as WordKind;
  switch (kind) {
    case "message":
      return applyFormat(MESSAGE, format);
    case "sanitisedMessage":
      return applyFormat(context.messageIsSanitized ? MESSAGE : SANITISED_MESSAGE, format);
    case "newline":
      return applyFormat("\n", format);
    case "thread":
      return applyFormat(context.threadName, format);
    case "relative": {
      const start = context.startTime;
      return applyFormat((e) => String(e.timestamp - start), format);
    }
    case "level":
      return levelConverter(format);
    case "logger":
      return loggerConverter(node, context);
    case "date":
      return dateConverter(node, context);
    case "mdc":
      return applyFormat(mdcConverter(node), format);
    case "lmdc":
      return applyFormat(lmdcConverter(node), format);
    case "replace":
    case "ereplace":
      return applyFormat(replaceConverter(node, context, kind === "ereplace"), format);
  }
}

/**
 * Concatenates parts: adjacent strings are merged, and up to six converters are called from
 * one closure with the literals between them inlined as constants.
 */
function join(parts: readonly Part[]): Part {
  const literals: string[] = [""];
  const converters: Converter[] = [];
  for (const part of parts) {
    if (typeof part === "string") {
      literals[literals.length - 1] += part;
    } else {
      converters.push(part);
      literals.push("");
    }
  }
  return concat(literals, converters);
}

/** `l[i]` comes before `f[i]`; `l` has one more element than `f`. */
function concat(l: readonly string[], f: readonly Converter[]): Part {
  switch (f.length) {
    case 0:
      return l[0] as string;
    case 1: {
      const [p0, p1] = l as readonly [string, string];
      const [f0] = f as readonly [Converter];
      if (p0 === "") {
        return p1 === "" ? f0 : (e) => f0(e) + p1;
      }
      return p1 === "" ? (e) => p0 + f0(e) : (e) => p0 + f0(e) + p1;
    }
    case 2: {
      const [p0, p1, p2] = l as readonly [string, string, string];
      const [f0, f1] = f as readonly [Converter, Converter];
      return (e) => p0 + f0(e) + p1 + f1(e) + p2;
    }
    case 3: {
      const [p0, p1, p2, p3] = l as readonly [string, string, string, string];
      const [f0, f1, f2] = f as readonly [Converter, Converter, Converter];
      return (e) => p0 + f0(e) + p1 + f1(e) + p2 + f2(e) + p3;
    }
    case 4: {
      const [p0, p1, p2, p3, p4] = l as readonly [string, string, string, string, string];
      const [f0, f1, f2, f3] = f as readonly [Converter, Converter, Converter, Converter];
      return (e) => p0 + f0(e) + p1 + f1(e) + p2 + f2(e) + p3 + f3(e) + p4;
    }
    case 5: {
      const [p0, p1, p2, p3, p4, p5] = l as readonly [string, string, string, string, string, string];
      const [f0, f1, f2, f3, f4] = f as readonly [Converter, Converter, Converter, Converter, Converter];
      return (e) => p0 + f0(e) + p1 + f1(e) + p2 + f2(e) + p3 + f3(e) + p4 + f4(e) + p5;
    }
    case 6: {
      const [p0, p1, p2, p3, p4, p5, p6] = l as readonly [string, string, string, string, string, string, string];
      const [f0, f1, f2, f3, f4, f5] = f as readonly [Converter, Converter, Converter, Converter, Converter, Converter];
      return (e) => p0 + f0(e) + p1 + f1(e) + p2 + f2(e) + p3 + f3(e) + p4 + f4(e) + p5 + f5(e) + p6;
    }
    default: {
      const k = f.length >> 1;
      const left = concat(l.slice(0, k + 1), f.slice(0, k)) as Converter;
      const right = concat(["", ...l.slice(k + 1)], f.slice(k)) as Converter;
      return (e) => left(e) + right(e);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Format modifiers (logback's FormattingConverter)

function formatString(text: string, format: FormatInfo): string {
  const length = text.length;
  if (length > format.max) {
    return format.leftTruncate ? text.slice(length - format.max) : text.slice(0, format.max);
  }
  if (length < format.min) {
    return format.leftPad ? text.padStart(format.min) : text.padEnd(format.min);
  }
  return text;
}

/** Wraps a part in the cheapest closure that applies the modifier (none without one). */
function applyFormat(part: Part, format: FormatInfo | undefined): Part {
  if (format === undefined) {
    return part;
  }
  if (typeof part === "string") {
    return formatString(part, format);
  }
  const { min, max } = format;
  if (max === Infinity) {
    if (min === 0) return part;
    return format.leftPad ? (e) => part(e).padStart(min) : (e) => part(e).padEnd(min);
  }
  if (min === 0) {
    if (max === 0) return "";
    return format.leftTruncate
      ? (e) => {
          const s = part(e);
          return s.length > max ? s.slice(s.length - max) : s;
        }
      : (e) => {
          const s = part(e);
          return s.length > max ? s.slice(0, max) : s;
        };
  }
  return (e) => formatString(part(e), format);
}

// ---------------------------------------------------------------------------------------------
// %level, %logger, %d

const LEVEL_NAMES: readonly string[] = [0, 1, 2, 3, 4].map((level) => levelName(level as Level));

function levelConverter(format: FormatInfo | undefined): Converter {
  const table = LEVEL_NAMES.map((name) => (format === undefined ? name : formatString(name, format)));
  return (e) => table[e.level] as string;
}

function loggerConverter(node: ConversionNode, context: CompileContext): Part {
  const option = node.options?.[0];
  let abbreviate: ((name: string) => string) | undefined;
  if (option !== undefined) {
    const length = /^\+?\d{1,10}$/.test(option.value) ? Number(option.value) : NaN;
    if (!(length <= 2147483647)) {
      throw context.parser.error(
        `invalid length "${option.value}" for "%${node.word}"`,
        option.position,
        "expected a non-negative integer",
      );
    }
    abbreviate = length === 0 ? lastSegment : (name) => abbreviateToLength(name, length);
  }
  const format = node.format;
  if (abbreviate === undefined && format === undefined) {
    return LOGGER_NAME;
  }
  const transform = (name: string): string => {
    const text = abbreviate === undefined ? name : abbreviate(name);
    return format === undefined ? text : formatString(text, format);
  };
  // Most records come from the same logger: remember the last one.
  let lastName: string | undefined;
  let last = "";
  return (e) => {
    const name = e.loggerName;
    if (name !== lastName) {
      last = transform(name);
      lastName = name;
    }
    return last;
  };
}

/** logback's ClassNameOnlyAbbreviator (`%logger{0}`). */
function lastSegment(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? name : name.slice(dot + 1);
}

/** logback 1.2's `ClassicConstants.MAX_DOTS`: dots after the 16th are not looked at. */
const MAX_DOTS = 16;

/**
 * logback 1.2's TargetLengthBasedClassNameAbbreviator: while the name is longer than the
 * target, leading segments are cut to their first character, left to right; the last
 * segment is never shortened.
 */
function abbreviateToLength(name: string, target: number): string {
  if (name.length < target) {
    return name;
  }
  const dots: number[] = [];
  for (let k = name.indexOf("."); k !== -1 && dots.length < MAX_DOTS; k = name.indexOf(".", k + 1)) {
    dots.push(k);
  }
  if (dots.length === 0) {
    return name;
  }
  let toTrim = name.length - target;
  let out = "";
  let previous = -1;
  for (const dot of dots) {
    const available = dot - previous - 1;
    const keep = toTrim > 0 ? Math.min(available, 1) : available;
    toTrim -= available - keep;
    out += name.slice(previous + 1, previous + 1 + keep) + ".";
    previous = dot;
  }
  return out + name.slice(previous + 1);
}

function dateConverter(node: ConversionNode, context: CompileContext): Converter {
  const options = node.options ?? [];
  const first = options[0]?.value;
  const pattern = first === undefined || first === "ISO8601" ? ISO8601_PATTERN : first;
  let formatDate: (epochMillis: number) => string;
  try {
    formatDate = context.createDateFormatter(pattern, options[1]?.value, options[2]?.value);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw context.parser.error(`invalid date options for "%${node.word}"`, node.position, reason, cause);
  }
  const format = node.format;
  // Consecutive records often share a millisecond: remember the last one.
  let lastTime = NaN;
  let last = "";
  return (e) => {
    const time = e.timestamp;
    if (time !== lastTime) {
      const text = formatDate(time);
      last = format === undefined ? text : formatString(text, format);
      lastTime = time;
    }
    return last;
  };
}

// ---------------------------------------------------------------------------------------------
// %X / %mdc, %lmdc

/** logback's OptionHelper.extractDefaultReplacement: `key:-default`. */
function splitDefault(option: string): readonly [string, string] {
  const at = option.indexOf(":-");
  return at < 0 ? [option, ""] : [option.slice(0, at), option.slice(at + 2)];
}

const MDC_ALL: Converter = (e) => {
  const mdc = e.mdc;
  if (mdc === undefined) return "";
  let text = "";
  let first = true;
  for (const [key, value] of mdc) {
    if (first) first = false;
    else text += ", ";
    text += sanitizeText(key) + "=" + sanitizeText(value);
  }
  return text;
};

function mdcConverter(node: ConversionNode): Converter {
  const option = node.options?.[0];
  if (option === undefined) {
    return MDC_ALL;
  }
  const [key, fallback] = splitDefault(option.value);
  const safeFallback = sanitizeText(fallback);
  return (e) => {
    const value = e.mdc?.get(key);
    return value === undefined ? safeFallback : sanitizeText(value);
  };
}

/** Open-Xchange's LineMDCConverter: runs of C0 controls and DEL become one space. */
const CONTROL_RUN = /[\u0000-\u001f\u007f]+/g;
const HAS_CONTROL = /[\u0000-\u001f\u007f]/;
const THREAD_ID_KEY = "__threadId";

function spaceControls(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROL_RUN, " ") : text;
}

const LMDC_ALL: Converter = (e) => {
  const mdc = e.mdc;
  if (mdc === undefined || mdc.size === 0) return "";
  // Default sort compares UTF-16 code units, like Java's TreeMap of strings.
  const keys = [...mdc.keys()].sort();
  let text = "";
  for (const key of keys) {
    if (key !== THREAD_ID_KEY) {
      text += " " + spaceControls(key) + "=" + spaceControls(mdc.get(key) as string) + "\n";
    }
  }
  return text;
};

function lmdcConverter(node: ConversionNode): Converter {
  const option = node.options?.[0];
  if (option === undefined) {
    return LMDC_ALL;
  }
  const [key, rawFallback] = splitDefault(option.value);
  const fallback = spaceControls(rawFallback);
  return (e) => {
    const mdc = e.mdc;
    if (mdc === undefined || mdc.size === 0) return fallback;
    const value = mdc.get(key);
    return value === undefined ? fallback : spaceControls(value);
  };
}

// ---------------------------------------------------------------------------------------------
// %replace / %ereplace

function replaceConverter(node: ConversionNode, context: CompileContext, extended: boolean): Part {
  const child = compileSequence(node.children ?? [], context);
  const name = `%${node.word}`;
  const options = node.options ?? [];
  const regexOption = options[0];
  const replacementOption = options[1];
  if (regexOption === undefined || replacementOption === undefined) {
    throw context.parser.error(`"${name}" needs two options {regex, replacement}, got ${options.length}`, node.position);
  }
  let translated: TranslatedRegex;
  try {
    translated = new JavaRegexTranslator(regexOption.value).translate();
  } catch (error) {
    if (error instanceof RegexSyntaxError) {
      throw context.parser.error(`${error.message} in the regex of "${name}"`, regexOption.position + error.index);
    }
    throw error;
  }
  let regex: RegExp;
  try {
    regex = new RegExp(translated.source, "gu");
  } catch (cause) {
    // Not expected: the translator only produces valid JavaScript. Report it anyway.
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw context.parser.error(`the regex of "${name}" cannot be translated`, regexOption.position, reason, cause);
  }
  // ExtendedReplacingCompositeConverter: replacement.replaceAll("%n|(\\\\r)?\\\\n", lineSeparator)
  const javaReplacement = extended ? replacementOption.value.replace(/%n|(?:\\r)?\\n/g, "\n") : replacementOption.value;
  let replacement: string;
  try {
    replacement = translateReplacement(javaReplacement, translated);
  } catch (error) {
    if (error instanceof RegexSyntaxError) {
      // After %ereplace's rewriting, indexes no longer match the pattern: point at the option.
      const position = replacementOption.position + (extended ? 0 : error.index);
      throw context.parser.error(`${error.message} in the replacement of "${name}"`, position);
    }
    throw error;
  }
  if (typeof child === "string") {
    return child.replace(regex, replacement);
  }
  return (e) => child(e).replace(regex, replacement);
}

// ---------------------------------------------------------------------------------------------
// Java regex (java.util.regex.Pattern) to JavaScript (flags "gu")

class RegexSyntaxError extends Error {
  constructor(
    message: string,
    /** Index into the regex or replacement text. */
    readonly index: number,
  ) {
    super(message);
  }
}

interface TranslatedRegex {
  readonly source: string;
  /** Number of Java capturing groups. */
  readonly groupCount: number;
  /** JavaScript group index of Java group n (index 0 unused). */
  readonly jsGroup: readonly number[];
  /** Java group number of each named group. */
  readonly names: ReadonlyMap<string, number>;
}

/** Output tokens: text, the `(` of a capturing group, or a back-reference (by group id). */
type RegexToken = string | { readonly open: number } | { readonly ref: number };

interface Atom {
  readonly tokens: RegexToken[];
  /** False for assertions, which JavaScript cannot quantify directly. */
  readonly quantifiable: boolean;
  /** What the backtracking check needs to know about it. */
  readonly shape: Shape;
}

/**
 * What the check against catastrophic backtracking knows about a part of a regex: whether it
 * can match the empty string, in how many ways it can match from one position (1: one way;
 * Infinity: a variable quantifier without upper bound), what makes that more than one, and the
 * code points it can start with ("any" when not known exactly).
 */
interface Shape {
  readonly nullable: boolean;
  readonly ways: number;
  readonly why: "quantifier" | "alternation" | undefined;
  readonly first: readonly Range[] | "any";
}

/** Matches nothing, in one way (assertions, lookarounds, flag groups). */
const EMPTY_SHAPE: Shape = { nullable: true, ways: 1, why: undefined, first: [] };

/**
 * A repeated part may match in at most this many ways in all (ways of one repetition to the
 * power of the most repetitions) before the regex is refused: `(\d{1,3}\.){3}` has 27.
 */
const MAX_REPEATED_WAYS = 1000;

/** The shape of a character class (`negated` of `ranges` plus Unicode properties). */
function setShape(negated: boolean, ranges: readonly Range[], props: readonly string[]): Shape {
  if (props.length > 0) return { nullable: false, ways: 1, why: undefined, first: "any" };
  return charShape(negated ? complementRanges(ranges) : normalizeRanges(ranges));
}

function charShape(ranges: readonly Range[]): Shape {
  return { nullable: false, ways: 1, why: undefined, first: ranges };
}

function unionFirst(a: Shape["first"], b: Shape["first"]): Shape["first"] {
  return a === "any" || b === "any" ? "any" : [...a, ...b];
}

function overlaps(a: Shape["first"], b: Shape["first"]): boolean {
  if (a === "any" || b === "any") return a.length !== 0 && b.length !== 0;
  for (const [lo1, hi1] of a) {
    for (const [lo2, hi2] of b) {
      if (lo1 <= hi2 && lo2 <= hi1) return true;
    }
  }
  return false;
}

function sequenceShape(a: Shape, b: Shape): Shape {
  return {
    nullable: a.nullable && b.nullable,
    ways: a.ways * b.ways,
    why: a.why ?? b.why,
    first: a.nullable ? unionFirst(a.first, b.first) : a.first,
  };
}

/** Alternatives whose first characters overlap (or that can match nothing) give several ways. */
function alternationShape(branches: readonly Shape[]): Shape {
  let ambiguous = false;
  for (let i = 0; i < branches.length && !ambiguous; i++) {
    const a = branches[i] as Shape;
    for (let j = i + 1; j < branches.length; j++) {
      const b = branches[j] as Shape;
      // An alternative that matches the empty string matches wherever another one does.
      if (a.nullable || b.nullable || overlaps(a.first, b.first)) {
        ambiguous = true;
        break;
      }
    }
  }
  let first: Shape["first"] = [];
  for (const branch of branches) first = unionFirst(first, branch.first);
  return {
    nullable: branches.some((b) => b.nullable),
    ways: ambiguous ? branches.reduce((n, b) => n + b.ways, 0) : Math.max(...branches.map((b) => b.ways)),
    why: ambiguous ? "alternation" : branches.find((b) => b.why !== undefined)?.why,
    first,
  };
}

type Range = readonly [number, number];

type Escaped =
  | { readonly kind: "char"; readonly cp: number }
  | { readonly kind: "set"; readonly ranges: readonly Range[]; readonly props: readonly string[] }
  | { readonly kind: "atom"; readonly atom: Atom };

interface RegexFlags {
  i: boolean;
  s: boolean;
  m: boolean;
}

const MAX_CODE_POINT = 0x10ffff;
// Java's `.` excludes these line terminators (without DOTALL or UNIX_LINES).
const DOT = "[^\\n\\r\\u0085\\u2028\\u2029]";
const DOT_RANGES: readonly Range[] = complementRanges([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x85, 0x85],
  [0x2028, 0x2029],
]);
// Java's `$` and `\Z`: end of input, or before a final line terminator (not inside \r\n).
const DOLLAR = "(?:$|(?=\\r\\n$)|(?=[\\r\\u0085\\u2028\\u2029]$)|(?<!\\r)(?=\\n$))";
// Java's `$` with MULTILINE: before any line terminator (not inside \r\n) or at the end.
const DOLLAR_MULTILINE = "(?:$|(?=[\\r\\u0085\\u2028\\u2029])|(?<!\\r)(?=\\n))";
// Java's `^` with MULTILINE: at the start or after a line terminator, but never at the end.
const CARET_MULTILINE = "(?:^|(?<=[\\n\\u0085\\u2028\\u2029])|(?<=\\r)(?!\\n))(?=[^])";
// Java's `\R`, which is atomic: \r\n is never split.
const LINEBREAK = "(?:\\r\\n|(?!\\r\\n)[\\n\\u000b\\f\\r\\u0085\\u2028\\u2029])";

const DIGIT: readonly Range[] = [[0x30, 0x39]];
const WORD: readonly Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const SPACE: readonly Range[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
];
const HORIZONTAL_SPACE: readonly Range[] = [
  [0x09, 0x09],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x180e, 0x180e],
  [0x2000, 0x200a],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
const VERTICAL_SPACE: readonly Range[] = [
  [0x0a, 0x0d],
  [0x85, 0x85],
  [0x2028, 0x2029],
];
const POSIX_CLASSES: ReadonlyMap<string, readonly Range[]> = new Map<string, readonly Range[]>([
  ["Lower", [[0x61, 0x7a]]],
  ["Upper", [[0x41, 0x5a]]],
  ["ASCII", [[0x00, 0x7f]]],
  [
    "Alpha",
    [
      [0x41, 0x5a],
      [0x61, 0x7a],
    ],
  ],
  ["Digit", DIGIT],
  [
    "Alnum",
    [
      [0x30, 0x39],
      [0x41, 0x5a],
      [0x61, 0x7a],
    ],
  ],
  [
    "Punct",
    [
      [0x21, 0x2f],
      [0x3a, 0x40],
      [0x5b, 0x60],
      [0x7b, 0x7e],
    ],
  ],
  ["Graph", [[0x21, 0x7e]]],
  ["Print", [[0x20, 0x7e]]],
  [
    "Blank",
    [
      [0x09, 0x09],
      [0x20, 0x20],
    ],
  ],
  [
    "Cntrl",
    [
      [0x00, 0x1f],
      [0x7f, 0x7f],
    ],
  ],
  [
    "XDigit",
    [
      [0x30, 0x39],
      [0x41, 0x46],
      [0x61, 0x66],
    ],
  ],
  ["Space", SPACE],
  ["all", [[0, MAX_CODE_POINT]]],
  ["L1", [[0x00, 0xff]]],
]);
const GENERAL_CATEGORIES: ReadonlySet<string> = new Set(
  "L LC Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Co Cs Cn".split(" "),
);
// Java's UnicodeProp names (case-insensitive) that have an exact JavaScript equivalent.
const BINARY_PROPERTIES: ReadonlyMap<string, string> = new Map([
  ["ALPHABETIC", "Alphabetic"],
  ["LETTER", "L"],
  ["IDEOGRAPHIC", "Ideographic"],
  ["LOWERCASE", "Lowercase"],
  ["UPPERCASE", "Uppercase"],
  ["TITLECASE", "Lt"],
  ["WHITE_SPACE", "White_Space"],
  ["WHITESPACE", "White_Space"],
  ["CONTROL", "Cc"],
  ["PUNCTUATION", "P"],
  ["HEX_DIGIT", "Hex_Digit"],
  ["HEXDIGIT", "Hex_Digit"],
  ["JOIN_CONTROL", "Join_Control"],
  ["JOINCONTROL", "Join_Control"],
  ["NONCHARACTER_CODE_POINT", "Noncharacter_Code_Point"],
  ["NONCHARACTERCODEPOINT", "Noncharacter_Code_Point"],
  ["ASSIGNED", "Assigned"],
  ["DIGIT", "Nd"],
]);

function hexEscape(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** One code point as a JavaScript regex atom outside a class. */
function literalOutsideClass(cp: number): string {
  if (cp >= 0x20 && cp < 0x7f) {
    const c = String.fromCharCode(cp);
    return "^$\\.*+?()[]{}|/".includes(c) ? "\\" + c : c;
  }
  return hexEscape(cp);
}

function normalizeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) {
      last[1] = Math.max(last[1], hi);
    } else {
      out.push([lo, hi]);
    }
  }
  return out;
}

function complementRanges(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalizeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** Java's CASE_INSENSITIVE without UNICODE_CASE: only ASCII letters match their other case. */
function withAsciiCase(ranges: readonly Range[]): Range[] {
  const out: Range[] = [...ranges];
  for (const [lo, hi] of ranges) {
    const lowerLo = Math.max(lo, 0x61);
    const lowerHi = Math.min(hi, 0x7a);
    if (lowerLo <= lowerHi) out.push([lowerLo - 32, lowerHi - 32]);
    const upperLo = Math.max(lo, 0x41);
    const upperHi = Math.min(hi, 0x5a);
    if (upperLo <= upperHi) out.push([upperLo + 32, upperHi + 32]);
  }
  return out;
}

function classSource(negated: boolean, ranges: readonly Range[], props: readonly string[]): string {
  let body = "";
  for (const [lo, hi] of normalizeRanges(ranges)) {
    body += lo === hi ? hexEscape(lo) : hexEscape(lo) + "-" + hexEscape(hi);
  }
  return `[${negated ? "^" : ""}${body}${props.join("")}]`;
}

function isOctal(code: number): boolean {
  return code >= 0x30 && code <= 0x37;
}

function isScriptName(name: string): boolean {
  try {
    new RegExp(`\\p{Script=${name}}`, "u");
    return true;
  } catch {
    return false;
  }
}

/** A JavaScript script name for Java's case-insensitive one, if JavaScript knows it. */
function scriptFor(name: string): string | undefined {
  if (!/^[A-Za-z_]+$/.test(name)) return undefined;
  const titleCased = name
    .toLowerCase()
    .split("_")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("_");
  for (const candidate of [name, titleCased]) {
    if (isScriptName(candidate)) return candidate;
  }
  return undefined;
}

type ResolvedProperty = { readonly ranges: readonly Range[] } | { readonly prop: string } | "unsupported" | undefined;

/** java.util.regex's CharPropertyNames: POSIX names, general categories; `java…` is rejected. */
function characterProperty(name: string): ResolvedProperty {
  const ranges = POSIX_CLASSES.get(name);
  if (ranges !== undefined) return { ranges };
  if (GENERAL_CATEGORIES.has(name)) return { prop: name };
  if (name.startsWith("java") || name === "LD") return "unsupported";
  return undefined;
}

/** The name resolution of java.util.regex.Pattern.family(). */
function resolveProperty(name: string): ResolvedProperty {
  const equals = name.indexOf("=");
  if (equals >= 0) {
    const key = name.slice(0, equals).toLowerCase();
    const value = name.slice(equals + 1);
    if (key === "sc" || key === "script") {
      const script = scriptFor(value);
      return script === undefined ? undefined : { prop: `Script=${script}` };
    }
    if (key === "gc" || key === "general_category") return characterProperty(value);
    if (key === "blk" || key === "block") return "unsupported";
    return undefined;
  }
  if (name.startsWith("In")) return "unsupported";
  if (name.startsWith("Is")) {
    const rest = name.slice(2);
    const binary = BINARY_PROPERTIES.get(rest.toUpperCase());
    if (binary !== undefined) return { prop: binary };
    const property = characterProperty(rest);
    if (property !== undefined) return property;
    const script = scriptFor(rest);
    return script === undefined ? undefined : { prop: `Script=${script}` };
  }
  return characterProperty(name);
}

function append(target: RegexToken[], tokens: readonly RegexToken[]): void {
  for (const token of tokens) target.push(token);
}

class JavaRegexTranslator {
  private pos = 0;
  private flags: RegexFlags = { i: false, s: false, m: false };
  private groupCount = 0;
  private syntheticCount = 0;
  private readonly names = new Map<string, number>();
  private readonly backReferences: { readonly group: number; readonly index: number; readonly text: string }[] = [];

  constructor(private readonly src: string) {}

  translate(): TranslatedRegex {
    const { tokens } = this.alternation();
    if (this.pos < this.src.length) {
      throw new RegexSyntaxError('unmatched closing ")"', this.pos);
    }
    for (const reference of this.backReferences) {
      if (reference.group > this.groupCount) {
        throw new RegexSyntaxError(`back-reference "${reference.text}" to a group that does not exist`, reference.index);
      }
    }
    // Number the groups as JavaScript will, synthetic ones (atomic, possessive) included.
    const jsIndex = new Map<number, number>();
    for (const token of tokens) {
      if (typeof token !== "string" && "open" in token) jsIndex.set(token.open, jsIndex.size + 1);
    }
    let source = "";
    for (const token of tokens) {
      if (typeof token === "string") source += token;
      else if ("open" in token) source += "(";
      else source += `(?:\\${jsIndex.get(token.ref) as number})`;
    }
    const jsGroup = [0];
    for (let group = 1; group <= this.groupCount; group++) jsGroup.push(jsIndex.get(group) as number);
    return { source, groupCount: this.groupCount, jsGroup, names: this.names };
  }

  private alternation(): { tokens: RegexToken[]; shape: Shape } {
    const first = this.sequence();
    const tokens = first.tokens;
    const shapes = [first.shape];
    while (this.src.charAt(this.pos) === "|") {
      this.pos++;
      tokens.push("|");
      const next = this.sequence();
      append(tokens, next.tokens);
      shapes.push(next.shape);
    }
    return { tokens, shape: shapes.length === 1 ? first.shape : alternationShape(shapes) };
  }

  private sequence(): { tokens: RegexToken[]; shape: Shape } {
    const src = this.src;
    const tokens: RegexToken[] = [];
    let shape = EMPTY_SHAPE;
    while (this.pos < src.length) {
      const c = src.charAt(this.pos);
      if (c === "|" || c === ")") break;
      if (src.startsWith("\\Q", this.pos)) {
        // \Q…\E quotes literally; a quantifier after \E applies to the last character.
        const end = src.indexOf("\\E", this.pos + 2);
        const quoted = Array.from(src.slice(this.pos + 2, end < 0 ? src.length : end));
        this.pos = end < 0 ? src.length : end + 2;
        quoted.forEach((char, index) => {
          const atom = this.literal(char.codePointAt(0) as number);
          const part = index === quoted.length - 1 ? this.quantified(atom, this.pos - 2) : atom;
          append(tokens, part.tokens);
          shape = sequenceShape(shape, part.shape);
        });
        continue;
      }
      const start = this.pos;
      const atom = this.atom();
      if (atom !== undefined) {
        const part = this.quantified(atom, start);
        append(tokens, part.tokens);
        shape = sequenceShape(shape, part.shape);
      }
    }
    return { tokens, shape };
  }

  /** Returns undefined for a flag group such as `(?i)`, which matches nothing. */
  private atom(): Atom | undefined {
    const src = this.src;
    const c = src.charAt(this.pos);
    switch (c) {
      case "(":
        return this.group();
      case "[":
        return this.characterClass();
      case ".":
        this.pos++;
        return { tokens: [this.flags.s ? "[^]" : DOT], quantifiable: true, shape: charShape(this.flags.s ? [[0, MAX_CODE_POINT]] : DOT_RANGES) };
      case "^":
        this.pos++;
        return { tokens: [this.flags.m ? CARET_MULTILINE : "^"], quantifiable: false, shape: EMPTY_SHAPE };
      case "$":
        this.pos++;
        return { tokens: [this.flags.m ? DOLLAR_MULTILINE : DOLLAR], quantifiable: false, shape: EMPTY_SHAPE };
      case "\\": {
        const escaped = this.escape(false);
        switch (escaped.kind) {
          case "char":
            return this.literal(escaped.cp);
          case "set":
            return { tokens: [classSource(false, escaped.ranges, escaped.props)], quantifiable: true, shape: setShape(false, escaped.ranges, escaped.props) };
          case "atom":
            return escaped.atom;
        }
        break;
      }
      case "*":
      case "+":
      case "?":
      case "{":
        throw new RegexSyntaxError(`dangling meta character "${c}"`, this.pos);
      default:
        break;
    }
    const cp = src.codePointAt(this.pos) as number;
    this.pos += cp > 0xffff ? 2 : 1;
    return this.literal(cp);
  }

  private literal(cp: number): Atom {
    if (this.flags.i && ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a))) {
      const lower = cp | 0x20;
      const upper = cp & ~0x20;
      return {
        tokens: [`[${String.fromCharCode(lower)}${String.fromCharCode(upper)}]`],
        quantifiable: true,
        shape: charShape([
          [lower, lower],
          [upper, upper],
        ]),
      };
    }
    return { tokens: [literalOutsideClass(cp)], quantifiable: true, shape: charShape([[cp, cp]]) };
  }

  /**
   * The atom with the quantifier that follows it, if any; `atomStart` is where the atom began in
   * the regex. Refuses a repetition whose body can match the same text in many ways (see
   * {@link MAX_REPEATED_WAYS}): nested quantifiers such as `(x+x+)+` or `(.*a){20}` and
   * overlapping alternatives such as `(a|aa)+`, the shapes of catastrophic backtracking.
   */
  private quantified(atom: Atom, atomStart: number): { tokens: RegexToken[]; shape: Shape } {
    const src = this.src;
    const start = this.pos;
    const c = src.charAt(start);
    let quantifier: string;
    let min: number;
    let max: number;
    if (c === "?" || c === "*" || c === "+") {
      quantifier = c;
      min = c === "+" ? 1 : 0;
      max = c === "?" ? 1 : Infinity;
      this.pos++;
    } else if (c === "{") {
      const match = /^\{(\d{1,9})(,(\d{0,9}))?\}/.exec(src.slice(start, start + 24));
      if (match === null) {
        throw new RegexSyntaxError(
          /^\{\d/.test(src.slice(start, start + 2)) ? 'unclosed counted closure "{"' : 'illegal repetition "{"',
          start,
        );
      }
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === "" ? Infinity : Number(match[3]);
      if (max < min) {
        throw new RegexSyntaxError(`illegal repetition range "${match[0]}"`, start);
      }
      quantifier = match[0];
      this.pos += match[0].length;
    } else {
      return atom;
    }
    const mode = src.charAt(this.pos);
    const base: RegexToken[] = atom.quantifiable ? atom.tokens : ["(?:", ...atom.tokens, ")"];
    const inner = atom.shape;
    const nullable = min === 0 || inner.nullable;
    if (mode === "+") {
      // Possessive: (?=(X*))\k matches what X* matched first and never gives any of it back,
      // so it matches in one way whatever X is (X itself was checked when it was read).
      this.pos++;
      const id = -++this.syntheticCount;
      return { tokens: ["(?=", { open: id }, ...base, quantifier, ")", ")", { ref: id }], shape: { nullable, ways: 1, why: undefined, first: inner.first } };
    }
    if (mode === "?") {
      this.pos++;
      quantifier += "?";
    }
    if (max >= 2 && inner.ways > 1 && !(inner.ways ** max <= MAX_REPEATED_WAYS)) {
      const text = src.slice(atomStart, this.pos);
      throw new RegexSyntaxError(
        inner.why === "alternation"
          ? `alternatives that can match the same text, repeated: "${text}" can take exponential time (catastrophic backtracking); make the alternatives start with different characters, or the group atomic ((?>...))`
          : `nested quantifier: "${text}" repeats a part that can itself match the same text in several ways, which can take exponential time (catastrophic backtracking); make the inner quantifier possessive (x++, x*+) or the group atomic ((?>...)), or remove the nesting`,
        atomStart,
      );
    }
    const ways = min === max ? inner.ways ** min : max === Infinity ? Infinity : (max - min + 1) * inner.ways ** max;
    const why = inner.ways > 1 ? inner.why : min !== max ? "quantifier" : undefined;
    return { tokens: [...base, quantifier], shape: { nullable, ways, why, first: inner.first } };
  }

  private group(): Atom | undefined {
    const src = this.src;
    const open = this.pos;
    this.pos++;
    // Java restores the flags at the end of every group, but not after a bare (?i).
    const saved = { ...this.flags };
    let prefix: RegexToken[];
    let suffix: RegexToken[] = [")"];
    let quantifiable = true;
    let atomic = false;
    if (src.charAt(this.pos) === "?") {
      this.pos++;
      const c = src.charAt(this.pos);
      const after = src.charAt(this.pos + 1);
      if (c === ":") {
        this.pos++;
        prefix = ["(?:"];
      } else if (c === "=" || c === "!") {
        this.pos++;
        prefix = [`(?${c}`];
        quantifiable = false;
      } else if (c === "<" && (after === "=" || after === "!")) {
        this.pos += 2;
        prefix = [`(?<${after}`];
        quantifiable = false;
      } else if (c === "<") {
        this.pos++;
        const nameAt = this.pos;
        const name = this.groupName();
        if (this.names.has(name)) {
          throw new RegexSyntaxError(`named group "${name}" is defined twice`, nameAt);
        }
        const group = ++this.groupCount;
        this.names.set(name, group);
        prefix = [{ open: group }];
      } else if (c === ">") {
        // Atomic group: (?:(?=(X))\k), wrapped so that a quantifier after it repeats all of it.
        this.pos++;
        const id = -++this.syntheticCount;
        prefix = ["(?:(?=", { open: id }];
        suffix = [")", ")", { ref: id }, ")"];
        atomic = true;
      } else {
        const flags = { ...this.flags };
        let on = true;
        for (;;) {
          const f = src.charAt(this.pos);
          if (f === "-") {
            on = false;
          } else if (f === "i" || f === "s" || f === "m") {
            flags[f] = on;
          } else if (f !== "" && "duxcU".includes(f)) {
            throw new RegexSyntaxError(`unsupported regex flag "${f}"`, this.pos);
          } else {
            break;
          }
          this.pos++;
        }
        const end = src.charAt(this.pos);
        if (end === ")") {
          this.pos++;
          this.flags = flags;
          return undefined;
        }
        if (end !== ":") {
          throw new RegexSyntaxError(`unknown inline modifier "${src.slice(open, this.pos + 1)}"`, open);
        }
        this.pos++;
        this.flags = flags;
        prefix = ["(?:"];
      }
    } else {
      prefix = [{ open: ++this.groupCount }];
    }
    const body = this.alternation();
    if (this.pos >= src.length) {
      throw new RegexSyntaxError('unclosed group "("', open);
    }
    this.pos++;
    this.flags = saved;
    const tokens = [...prefix];
    append(tokens, body.tokens);
    append(tokens, suffix);
    // A lookaround matches nothing (and JavaScript never backtracks into one); an atomic group
    // matches in one way, the first.
    const shape: Shape = !quantifiable ? EMPTY_SHAPE : atomic ? { nullable: body.shape.nullable, ways: 1, why: undefined, first: body.shape.first } : body.shape;
    return { tokens, quantifiable, shape };
  }

  private groupName(): string {
    const start = this.pos;
    const name = /^[A-Za-z][A-Za-z0-9]*/.exec(this.src.slice(start))?.[0];
    if (name === undefined) {
      throw new RegexSyntaxError("a group name must start with a Latin letter", start);
    }
    this.pos += name.length;
    if (this.src.charAt(this.pos) !== ">") {
      throw new RegexSyntaxError('a group name must end with ">"', this.pos);
    }
    this.pos++;
    return name;
  }

  private characterClass(): Atom {
    const src = this.src;
    const open = this.pos;
    this.pos++;
    let negated = false;
    if (src.charAt(this.pos) === "^") {
      negated = true;
      this.pos++;
    }
    const literal: Range[] = [];
    const fixed: Range[] = [];
    const props: string[] = [];
    let first = true;
    for (;;) {
      if (this.pos >= src.length) {
        throw new RegexSyntaxError('unclosed character class "["', open);
      }
      const c = src.charAt(this.pos);
      // As in Java, a "]" right after "[" or "[^" is a literal.
      if (c === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === "[") {
        throw new RegexSyntaxError('unsupported Java regex construct "[" inside a character class (union)', this.pos);
      }
      if (c === "&" && src.charAt(this.pos + 1) === "&") {
        throw new RegexSyntaxError('unsupported Java regex construct "&&" (class intersection)', this.pos);
      }
      if (src.startsWith("\\Q", this.pos)) {
        const end = src.indexOf("\\E", this.pos + 2);
        for (const char of src.slice(this.pos + 2, end < 0 ? src.length : end)) {
          const cp = char.codePointAt(0) as number;
          literal.push([cp, cp]);
        }
        this.pos = end < 0 ? src.length : end + 2;
        continue;
      }
      const memberAt = this.pos;
      const member = this.classMember();
      if (member.kind === "set") {
        for (const range of member.ranges) fixed.push(range);
        for (const prop of member.props) props.push(prop);
        continue;
      }
      const next = src.charAt(this.pos + 1);
      if (src.charAt(this.pos) === "-" && next !== "" && next !== "]" && next !== "[") {
        this.pos++;
        const end = this.classMember();
        if (end.kind !== "char" || end.cp < member.cp) {
          throw new RegexSyntaxError(`illegal character range "${src.slice(memberAt, this.pos)}"`, memberAt);
        }
        literal.push([member.cp, end.cp]);
      } else {
        literal.push([member.cp, member.cp]);
      }
    }
    const ranges = this.flags.i ? withAsciiCase(literal) : literal;
    for (const range of fixed) ranges.push(range);
    return { tokens: [classSource(negated, ranges, props)], quantifiable: true, shape: setShape(negated, ranges, props) };
  }

  private classMember(): { readonly kind: "char"; readonly cp: number } | Extract<Escaped, { kind: "set" }> {
    if (this.src.charAt(this.pos) === "\\") {
      const escaped = this.escape(true);
      if (escaped.kind === "atom") {
        // escape(true) never returns one; keep the type checker honest.
        throw new RegexSyntaxError("unexpected construct in a character class", this.pos);
      }
      return escaped;
    }
    const cp = this.src.codePointAt(this.pos) as number;
    this.pos += cp > 0xffff ? 2 : 1;
    return { kind: "char", cp };
  }

  /** java.util.regex.Pattern.escape(): `pos` is at the backslash. */
  private escape(inClass: boolean): Escaped {
    const src = this.src;
    const start = this.pos;
    if (start + 1 >= src.length) {
      throw new RegexSyntaxError('unexpected end of regex after "\\"', start);
    }
    const c = src.charAt(start + 1);
    this.pos = start + 2;
    const char = (cp: number): Escaped => ({ kind: "char", cp });
    const set = (ranges: readonly Range[], negate: boolean): Escaped => ({
      kind: "set",
      ranges: negate ? complementRanges(ranges) : ranges,
      props: [],
    });
    const assertion = (tokens: RegexToken[], quantifiable: boolean, shape: Shape = EMPTY_SHAPE): Escaped => {
      if (inClass) throw illegal();
      return { kind: "atom", atom: { tokens, quantifiable, shape } };
    };
    const illegal = (): RegexSyntaxError => new RegexSyntaxError(`illegal/unsupported escape sequence "\\${c}"`, start);
    // Matching with back-references is NP-hard: no regex engine bounds its time.
    const backReference = (text: string): RegexSyntaxError =>
      new RegexSyntaxError(`back-reference "${text}" refused: matching with back-references can take exponential time`, start);
    const unsupported = (text: string, detail = ""): RegexSyntaxError =>
      new RegexSyntaxError(`unsupported Java regex construct "${text}"${detail}`, start);
    switch (c) {
      case "0": {
        const d1 = src.charCodeAt(this.pos);
        if (!isOctal(d1)) throw new RegexSyntaxError('illegal octal escape sequence "\\0"', start);
        this.pos++;
        const d2 = src.charCodeAt(this.pos);
        if (!isOctal(d2)) return char(d1 - 0x30);
        this.pos++;
        const d3 = src.charCodeAt(this.pos);
        if (isOctal(d3) && d1 <= 0x33) {
          this.pos++;
          return char((d1 - 0x30) * 64 + (d2 - 0x30) * 8 + (d3 - 0x30));
        }
        return char((d1 - 0x30) * 8 + (d2 - 0x30));
      }
      case "1":
      case "2":
      case "3":
      case "4":
      case "5":
      case "6":
      case "7":
      case "8":
      case "9": {
        if (inClass) throw illegal();
        // Java takes more digits only while they name a group that is already open.
        let group = c.charCodeAt(0) - 0x30;
        while (this.pos < src.length) {
          const digit = src.charCodeAt(this.pos) - 0x30;
          if (!(digit >= 0 && digit <= 9) || this.groupCount < group * 10 + digit) break;
          group = group * 10 + digit;
          this.pos++;
        }
        const text = src.slice(start, this.pos);
        if (this.flags.i) throw unsupported(text, " under (?i) (case-insensitive back-reference)");
        throw backReference(text);
      }
      case "k": {
        if (inClass) throw illegal();
        if (src.charAt(this.pos) !== "<") throw new RegexSyntaxError('"\\k" must be followed by "<name>"', start);
        this.pos++;
        const name = this.groupName();
        const group = this.names.get(name);
        if (group === undefined) throw new RegexSyntaxError(`named group "${name}" does not exist`, start);
        if (this.flags.i) throw unsupported(src.slice(start, this.pos), " under (?i) (case-insensitive back-reference)");
        throw backReference(src.slice(start, this.pos));
      }
      case "a":
        return char(0x07);
      case "e":
        return char(0x1b);
      case "f":
        return char(0x0c);
      case "n":
        return char(0x0a);
      case "r":
        return char(0x0d);
      case "t":
        return char(0x09);
      case "c": {
        if (this.pos >= src.length) throw new RegexSyntaxError('illegal control escape sequence "\\c"', start);
        const code = src.charCodeAt(this.pos);
        this.pos++;
        return char(code ^ 64);
      }
      case "x": {
        const two = /^[0-9a-fA-F]{2}/.exec(src.slice(this.pos, this.pos + 2));
        if (two !== null) {
          this.pos += 2;
          return char(parseInt(two[0], 16));
        }
        const braced = /^\{([0-9a-fA-F]+)\}/.exec(src.slice(this.pos));
        if (braced !== null) {
          const cp = parseInt(braced[1] as string, 16);
          if (cp > MAX_CODE_POINT) throw new RegexSyntaxError(`hexadecimal code point "${braced[0]}" is too big`, start);
          this.pos += braced[0].length;
          return char(cp);
        }
        throw new RegexSyntaxError('illegal hexadecimal escape sequence "\\x"', start);
      }
      case "u": {
        const hex = /^[0-9a-fA-F]{4}/.exec(src.slice(this.pos, this.pos + 4));
        if (hex === null) throw new RegexSyntaxError('illegal Unicode escape sequence "\\u"', start);
        this.pos += 4;
        const unit = parseInt(hex[0], 16);
        // Java joins an escaped surrogate pair (\uD83D\uDE00) into one code point.
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(src.slice(this.pos, this.pos + 6));
          if (low !== null) {
            this.pos += 6;
            return char(0x10000 + ((unit - 0xd800) << 10) + (parseInt(low[1] as string, 16) - 0xdc00));
          }
        }
        return char(unit);
      }
      case "d":
      case "D":
        return set(DIGIT, c === "D");
      case "w":
      case "W":
        return set(WORD, c === "W");
      case "s":
      case "S":
        return set(SPACE, c === "S");
      case "h":
      case "H":
        return set(HORIZONTAL_SPACE, c === "H");
      case "v":
      case "V":
        return set(VERTICAL_SPACE, c === "V");
      case "p":
      case "P": {
        let name: string;
        if (src.charAt(this.pos) === "{") {
          const close = src.indexOf("}", this.pos);
          if (close < 0) throw new RegexSyntaxError(`unclosed character family "\\${c}{"`, start);
          name = src.slice(this.pos + 1, close);
          this.pos = close + 1;
        } else {
          if (this.pos >= src.length) throw new RegexSyntaxError(`illegal character family "\\${c}"`, start);
          name = src.charAt(this.pos);
          this.pos++;
        }
        const text = src.slice(start, this.pos);
        if (this.flags.i) throw unsupported(text, " under (?i)");
        const resolved = resolveProperty(name);
        if (resolved === "unsupported") throw unsupported(text);
        if (resolved === undefined) throw new RegexSyntaxError(`unknown character property "${text}"`, start);
        if ("ranges" in resolved) return set(resolved.ranges, c === "P");
        return { kind: "set", ranges: [], props: [`\\${c}{${resolved.prop}}`] };
      }
      case "b":
        if (src.charAt(this.pos) === "{") throw unsupported("\\b{");
        return assertion(["\\b"], false);
      case "B":
        return assertion(["\\B"], false);
      case "A":
        return assertion(["^"], false);
      case "z":
        return assertion(["$"], false);
      case "Z":
        return assertion([DOLLAR], false);
      case "R":
        return assertion([LINEBREAK], true, charShape(VERTICAL_SPACE));
      case "G":
      case "X":
      case "N":
        throw unsupported(`\\${c}`);
      default:
        break;
    }
    if (/^[A-Za-z]$/.test(c)) {
      throw illegal();
    }
    // A backslash before any other character quotes it.
    const cp = src.codePointAt(start + 1) as number;
    this.pos = start + 1 + (cp > 0xffff ? 2 : 1);
    return char(cp);
  }
}

/**
 * Translates a Java replacement (Matcher.appendReplacement) to a JavaScript one: `\x` is
 * `x`, `$n` takes as many digits as name an existing group, `${name}` a named group. Group
 * references become two-digit `$nn` so that a following digit cannot join them.
 */
function translateReplacement(replacement: string, regex: TranslatedRegex): string {
  let out = "";
  let i = 0;
  const length = replacement.length;
  while (i < length) {
    const c = replacement.charAt(i);
    if (c === "\\") {
      if (i + 1 >= length) {
        throw new RegexSyntaxError('missing character after "\\"', i);
      }
      const next = replacement.charAt(i + 1);
      out += next === "$" ? "$$" : next;
      i += 2;
    } else if (c === "$") {
      const start = i;
      let group: number;
      if (i + 1 >= length) {
        throw new RegexSyntaxError('missing group reference after "$"', i);
      }
      if (replacement.charAt(i + 1) === "{") {
        const name = /^[A-Za-z0-9]*/.exec(replacement.slice(i + 2))?.[0] ?? "";
        if (name === "" || /^\d/.test(name)) {
          throw new RegexSyntaxError(`invalid group name in "${replacement.slice(i, i + 3 + name.length)}"`, i);
        }
        if (replacement.charAt(i + 2 + name.length) !== "}") {
          throw new RegexSyntaxError(`missing "}" after "\${${name}"`, i);
        }
        const named = regex.names.get(name);
        if (named === undefined) {
          throw new RegexSyntaxError(`no group named "${name}" in the regex`, i);
        }
        group = named;
        i += 3 + name.length;
      } else {
        const first = replacement.charCodeAt(i + 1) - 0x30;
        if (!(first >= 0 && first <= 9)) {
          throw new RegexSyntaxError(`illegal group reference "$${replacement.charAt(i + 1)}"`, i);
        }
        group = first;
        i += 2;
        while (i < length) {
          const digit = replacement.charCodeAt(i) - 0x30;
          if (!(digit >= 0 && digit <= 9) || regex.groupCount < group * 10 + digit) break;
          group = group * 10 + digit;
          i++;
        }
        if (group > regex.groupCount) {
          throw new RegexSyntaxError(`no group ${group} in the regex (for "${replacement.slice(start, i)}")`, start);
        }
      }
      if (group === 0) {
        out += "$&";
      } else {
        const js = regex.jsGroup[group] as number;
        if (js > 99) {
          throw new RegexSyntaxError(`group ${group} cannot be referenced (more than 99 groups)`, start);
        }
        out += js < 10 ? `$0${js}` : `$${js}`;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
