/**
 * The compiler of the pattern layout: the tree of `./syntax.ts` becomes one function per
 * pattern, the converters of `./converters.ts` joined with the literals between them inlined as
 * constants, and (with `oneLine`) the guard that keeps every rendered record on one line.
 *
 * @module
 */
import { escapeUnsafe, UNSAFE_CHARACTER } from "../sanitize/escape.js";
import {
  applyFormat,
  type Converter,
  type ConverterContext,
  dateConverter,
  type LayoutEvent,
  levelConverter,
  lmdcConverter,
  loggerConverter,
  mdcConverter,
  MESSAGE,
  type Part,
  replaceConverter,
  SANITISED_MESSAGE,
} from "./converters.js";
import { type PatternNode, PatternParser, type WordKind, WORDS } from "./syntax.js";

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

/** What compiling one pattern needs besides the tree. */
interface CompileContext extends ConverterContext {
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
 *   `d u x c U`, `\p{In…}` blocks, `\p{java…}`, `\p{…}` or back-references under `(?i)`, look-behinds
 *   without a bounded length, and atomic groups or possessive quantifiers in a look-behind.
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

function compileSequence(nodes: readonly PatternNode[], context: CompileContext): Part {
  return join(nodes.map((node) => compileNode(node, context)));
}

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
      return applyFormat(replaceConverter(node, compileSequence(node.children ?? [], context), context, kind === "ereplace"), format);
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

