/**
 * The syntax of logback's `PatternLayout`: the conversion words, and the parser that turns
 * pattern text into a tree of literals and conversions (with format modifiers, `{…}` options and
 * sub-patterns), reporting every problem as a {@link PatternSyntaxError}. It mirrors logback's
 * `TokenStream`, `OptionTokenizer`, `Parser` and `FormatInfo`; the deliberate differences are
 * listed in the module comment of `./pattern.ts`. `./compile.ts` turns the tree into a function.
 *
 * @module
 */


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

/** What a conversion word converts, aliases resolved. */
export type WordKind =
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

/** The conversion words by name, aliases included (a Map, not an object literal, so that "%constructor" or "%toString" are unknown words). */
export const WORDS: ReadonlyMap<string, WordKind> = new Map<string, WordKind>([
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

// ---------------------------------------------------------------------------------------------
// Parsing: pattern text to a tree

/** A format modifier: `%[-]min[.[-]max]`. */
export interface FormatInfo {
  /** Pad to at least this many UTF-16 code units (0: no padding). */
  readonly min: number;
  /** Truncate to at most this many UTF-16 code units (Infinity: no truncation). */
  readonly max: number;
  /** Pad on the left (right-justify); `-min` pads on the right. */
  readonly leftPad: boolean;
  /** Keep the right end when truncating; `.-max` keeps the left end. */
  readonly leftTruncate: boolean;
}

/** One `{…}` option, unquoted and trimmed. */
export interface OptionValue {
  readonly value: string;
  /** Index of the option's first character in the pattern. */
  readonly position: number;
}

/** Literal text, escapes resolved. */
export interface LiteralNode {
  readonly kind: "literal";
  readonly text: string;
}

/** A conversion word, or a `%(…)` group, with its modifier, options and sub-pattern. */
export interface ConversionNode {
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

/** One node of a parsed pattern. */
export type PatternNode = LiteralNode | ConversionNode;

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

/**
 * Reads one pattern into a tree ({@link PatternParser.parse}); {@link PatternParser.error} makes
 * the errors of later stages (the compiler, the converters) look like its own.
 *
 * @example
 * ```ts
 * new PatternParser("%-5level %msg%n").parse(); // [conversion level, literal " ", conversion msg, conversion n]
 * ```
 */
export class PatternParser {
  private pos = 0;
  /** True right after the `)` of a composite (logback's RIGHT_PARENTHESIS_STATE). */
  private afterComposite = false;

  constructor(private readonly src: string) {}

  /** The pattern as a tree; throws a {@link PatternSyntaxError} for anything that is not a pattern. */
  parse(): PatternNode[] {
    if (this.src.length === 0) {
      throw this.error("empty pattern", 0);
    }
    const nodes = this.parseSequence(false);
    if (nodes.length === 0) {
      // Only "\_" separators: logback's TokenStream yields no token and its Parser throws
      // ("All tokens consumed but was expecting a LITERAL or '%'").
      throw this.error(`empty pattern "${this.src}": "\\_" only separates and prints nothing`, 0);
    }
    return nodes;
  }

  /** A {@link PatternSyntaxError} for this pattern: `message at position N (hint)`. */
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
      case "(":
      case ")":
        if (afterComposite) {
          // logback 1.2's parser fails on these there ("Failed to initialize Parser").
          throw this.error(`"\\${next}" right after the ")" of a composite`, at, 'logback cannot parse it; write "\\_" between them');
        }
        return next;
      case "%":
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

