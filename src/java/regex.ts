/**
 * `java.util.regex` for JavaScript: a Java regex is translated to a JavaScript `RegExp` (flags
 * `gu`) that matches exactly what `Pattern.compile` would match, and a Java replacement
 * (`Matcher.appendReplacement`: `$n`, `${name}`, `\\`) to a JavaScript one. logback's
 * `%replace` is the user (`src/layout/converters.ts`); `test/java-regex.test.ts` compares the
 * translation with real Java.
 *
 * This file is longer than the project's ~600 lines because it is one cohesive thing: a
 * recursive-descent reader of Java's regex grammar (alternation, sequence, quantifier, group,
 * class, escape), each method the counterpart of one in `java.util.regex.Pattern`. The character
 * sets it draws on are in `./regex-classes.ts`, the backtracking check in `./regex-shape.ts`.
 *
 * Translated exactly: `.`, `^`, `$`, `\Z`, `\R`, `\s \h \v \d \w` (ASCII, as in Java), POSIX
 * classes, `\p{…}` categories and scripts, `(?i)` (ASCII-only, as in Java), `(?s)`, `(?m)`,
 * atomic groups and possessive quantifiers. Rejected with a {@link RegexSyntaxError}: everything
 * Java rejects, and nested classes and `&&`, `\G`, `\X`, `\N{…}`, `\b{g}`, the flags `d u x c U`,
 * `\p{In…}` blocks, `\p{java…}`, `\p{…}` under `(?i)`, back-references, look-behinds with `*`,
 * `+` or `{n,}` in them (Java refuses or mis-evaluates those), atomic groups and possessive
 * quantifiers in a look-behind (JavaScript matches look-behinds backwards), and regexes that can
 * backtrack catastrophically (a repeated part that can match the same text in more than 1000
 * ways: `(x+x+)+`, `(a|aa)+`). Remaining differences: `\b` uses ASCII word characters (as Java
 * 19+), and an empty match advances by a code point.
 *
 * The same reader also writes RE2's syntax ({@link translateJavaRegexToRe2}) for a linear-time
 * matcher: the console (`slf4ts-audit serve`) matches a user's `~` regex with `re2js`, so that no
 * regex can hold it for long. There the constructs that need backtracking or a look-ahead are
 * refused instead (see that function), and the backtracking check is not needed.
 *
 * @module
 */
import {
  ANY_RE2,
  classSource,
  complementRanges,
  DIGIT,
  hexEscape,
  HORIZONTAL_SPACE,
  MAX_CODE_POINT,
  NOT_IN_RE2,
  NOTHING_RE2,
  type Range,
  type RegexDialect,
  resolveProperty,
  SPACE,
  VERTICAL_SPACE,
  withAsciiCase,
  WORD,
} from "./regex-classes.js";
import { alternationShape, charShape, EMPTY_SHAPE, MAX_REPEATED_WAYS, sequenceShape, setShape, type Shape } from "./regex-shape.js";

/**
 * A Java regex or replacement that cannot be translated: Java rejects it, or it uses a construct
 * that has no exact JavaScript equivalent, or it can backtrack catastrophically. `index` points
 * into the text that was being translated (the regex, or the replacement).
 *
 * @example
 * ```ts
 * try {
 *   translateJavaRegex("a{2");
 * } catch (error) {
 *   if (error instanceof RegexSyntaxError) error.index; // 1
 * }
 * ```
 */
export class RegexSyntaxError extends Error {
  constructor(
    message: string,
    /** Index into the regex or replacement text. */
    readonly index: number,
    /** Which text `index` points into. */
    readonly part: "regex" | "replacement" = "regex",
  ) {
    super(message);
    this.name = "RegexSyntaxError";
  }
}

/**
 * A Java regex translated to JavaScript: the source for `new RegExp(source, "gu")` and what a
 * replacement needs to refer to its groups.
 *
 * @example
 * ```ts
 * const { source, groupCount } = translateJavaRegex("(?<user>\\w+)@");
 * new RegExp(source, "gu"); groupCount; // 1
 * ```
 */
export interface TranslatedRegex {
  /** The JavaScript regex source, to be used with the flags `gu`. */
  readonly source: string;
  /** Number of Java capturing groups. */
  readonly groupCount: number;
  /** JavaScript group index of Java group n (index 0 unused). */
  readonly jsGroup: readonly number[];
  /** Java group number of each named group. */
  readonly names: ReadonlyMap<string, number>;
}

/**
 * A Java regex translated to RE2's syntax, for a linear-time matcher (`re2js`), to be searched
 * for anywhere in a text (a test, not a match: groups are not captured). Java's `$` and `\Z`
 * match at the end and before a final line terminator, which RE2 cannot say (it has no
 * look-ahead): they are allowed only where nothing that consumes text can follow them, and
 * {@link source} has them as `\z`; {@link beforeFinalTerminator} is the same regex for the
 * text without its final line terminator (there `\z` is where Java's `$` matches before it, and
 * the regex's own `\z` never matches). The regex matches a text when `source` is found in it, or
 * when the text ends with a line terminator (`\r\n`, or one of `\n \r \u0085 \u2028 \u2029`)
 * and `beforeFinalTerminator` is found in the text without it.
 *
 * @example
 * ```ts
 * const { source, beforeFinalTerminator } = translateJavaRegexToRe2("^ok$");
 * source; // "^ok\\z"
 * ```
 */
export interface Re2Regex {
  /** The regex in RE2's syntax, to be compiled without flags. */
  readonly source: string;
  /** For a regex with `$` or `\Z`: the regex for the text without its final line terminator. */
  readonly beforeFinalTerminator: string | undefined;
}

/**
 * Output tokens: text, the `(` of a capturing group, a back-reference (by group id), or (RE2
 * only) the end of the text as Java's `$` (`dollar`) or `\z` (`z`) sees it.
 */
type RegexToken = string | { readonly open: number } | { readonly ref: number } | { readonly end: "dollar" | "z" };

interface Atom {
  readonly tokens: RegexToken[];
  /** False for assertions, which JavaScript cannot quantify directly. */
  readonly quantifiable: boolean;
  /** What the backtracking check needs to know about it. */
  readonly shape: Shape;
  /**
   * A capturing, non-capturing or flag group: Java repeats one whose length varies with a loop
   * whose maximum length it does not know (in a look-behind that is an error).
   */
  readonly group?: boolean;
  /** RE2 only: it holds a `$` or `\Z`, which nothing that consumes text may follow. */
  readonly ends?: boolean;
}

/** A sequence, alternation or quantified atom as read. */
interface Part {
  readonly tokens: RegexToken[];
  readonly shape: Shape;
  readonly ends?: boolean;
}

type Escaped =
  | { readonly kind: "char"; readonly cp: number }
  | { readonly kind: "set"; readonly ranges: readonly Range[]; readonly props: readonly string[] }
  | { readonly kind: "atom"; readonly atom: Atom };

interface RegexFlags {
  i: boolean;
  s: boolean;
  m: boolean;
}

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

// Java's `.` in RE2's syntax.
const DOT_RE2 = "[^\\n\\r\\x{85}\\x{2028}\\x{2029}]";

/** One code point as a JavaScript (or RE2) regex atom outside a class. */
function literalOutsideClass(cp: number, dialect: RegexDialect): string {
  if (cp >= 0x20 && cp < 0x7f) {
    const c = String.fromCharCode(cp);
    return "^$\\.*+?()[]{}|/".includes(c) ? "\\" + c : c;
  }
  return hexEscape(cp, dialect);
}

function isOctal(code: number): boolean {
  return code >= 0x30 && code <= 0x37;
}

function append(target: RegexToken[], tokens: readonly RegexToken[]): void {
  for (const token of tokens) target.push(token);
}

class JavaRegexTranslator {
  private pos = 0;
  private flags: RegexFlags = { i: false, s: false, m: false };
  private groupCount = 0;
  private syntheticCount = 0;
  /** How many look-behinds the reader is in. */
  private lookbehinds = 0;
  private readonly names = new Map<string, number>();
  private readonly backReferences: { readonly group: number; readonly index: number; readonly text: string }[] = [];

  private readonly re2: boolean;

  constructor(
    private readonly src: string,
    private readonly dialect: RegexDialect = "js",
  ) {
    this.re2 = dialect === "re2";
  }

  /** The regex read whole. */
  private read(): RegexToken[] {
    const { tokens } = this.alternation();
    if (this.pos < this.src.length) {
      throw new RegexSyntaxError('unmatched closing ")"', this.pos);
    }
    return tokens;
  }

  translateToRe2(): Re2Regex {
    const tokens = this.read();
    const write = (beforeTerminator: boolean): string => {
      let source = "";
      for (const token of tokens) {
        if (typeof token === "string") source += token;
        else if ("open" in token) source += "(?:";
        else if ("end" in token) source += token.end === "z" && beforeTerminator ? NOTHING_RE2 : "\\z";
        // Back-references are refused before they become tokens.
        else throw new RegexSyntaxError("back-reference", 0);
      }
      return source;
    };
    const dollar = tokens.some((token) => typeof token !== "string" && "end" in token && token.end === "dollar");
    return { source: write(false), beforeFinalTerminator: dollar ? write(true) : undefined };
  }

  /**
   * Refuses, for RE2, a construct that it cannot match in linear time or that has no exact
   * equivalent there.
   */
  private linearOnly(message: string, index: number): void {
    if (this.re2) throw new RegexSyntaxError(message, index);
  }

  translate(): TranslatedRegex {
    const tokens = this.read();
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
      else if ("ref" in token) source += `(?:\\${jsIndex.get(token.ref) as number})`;
    }
    const jsGroup = [0];
    for (let group = 1; group <= this.groupCount; group++) jsGroup.push(jsIndex.get(group) as number);
    return { source, groupCount: this.groupCount, jsGroup, names: this.names };
  }

  private alternation(): Part {
    const first = this.sequence();
    const tokens = first.tokens;
    const shapes = [first.shape];
    let ends = first.ends === true;
    while (this.src.charAt(this.pos) === "|") {
      this.pos++;
      tokens.push("|");
      const next = this.sequence();
      append(tokens, next.tokens);
      shapes.push(next.shape);
      ends ||= next.ends === true;
    }
    return { tokens, shape: shapes.length === 1 ? first.shape : alternationShape(shapes), ends };
  }

  private sequence(): Part {
    const src = this.src;
    const tokens: RegexToken[] = [];
    let shape = EMPTY_SHAPE;
    // RE2: the first part that holds a `$` or `\Z`, if one does (see Re2Regex).
    let ending: { readonly at: number; readonly text: string } | undefined;
    const add = (part: Part, at: number): void => {
      if (ending !== undefined && part.shape.maxLength > 0) {
        throw new RegexSyntaxError(
          `"${ending.text}" followed by "${src.slice(at, this.pos)}" is not supported: the regex is matched in linear time, where "$" and "\\Z" may only end it (nothing that matches text after them)`,
          ending.at,
        );
      }
      if (part.ends === true) ending ??= { at, text: src.slice(at, this.pos) };
      append(tokens, part.tokens);
      shape = sequenceShape(shape, part.shape);
    };
    while (this.pos < src.length) {
      const c = src.charAt(this.pos);
      if (c === "|" || c === ")") break;
      if (src.startsWith("\\Q", this.pos)) {
        // \Q…\E quotes literally; a quantifier after \E applies to the last character.
        const end = src.indexOf("\\E", this.pos + 2);
        const quoted = Array.from(src.slice(this.pos + 2, end < 0 ? src.length : end));
        this.pos = end < 0 ? src.length : end + 2;
        const at = this.pos;
        quoted.forEach((char, index) => {
          const atom = this.literal(char.codePointAt(0) as number);
          add(index === quoted.length - 1 ? this.quantified(atom, this.pos - 2) : atom, at);
        });
        continue;
      }
      const start = this.pos;
      const atom = this.atom();
      if (atom !== undefined) add(this.quantified(atom, start), start);
    }
    return { tokens, shape, ends: ending !== undefined };
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
        return {
          tokens: [this.flags.s ? (this.re2 ? ANY_RE2 : "[^]") : this.re2 ? DOT_RE2 : DOT],
          quantifiable: true,
          shape: charShape(this.flags.s ? [[0, MAX_CODE_POINT]] : DOT_RANGES),
        };
      case "^":
        if (this.flags.m) this.linearOnly('"^" in multiline mode ((?m)) is not supported: the regex is matched in linear time, without look-arounds, which Java\'s line anchors need', this.pos);
        this.pos++;
        return { tokens: [this.flags.m ? CARET_MULTILINE : "^"], quantifiable: false, shape: EMPTY_SHAPE };
      case "$":
        if (this.flags.m) this.linearOnly('"$" in multiline mode ((?m)) is not supported: the regex is matched in linear time, without look-arounds, which Java\'s line anchors need', this.pos);
        this.pos++;
        if (this.re2) return { tokens: [{ end: "dollar" }], quantifiable: false, shape: EMPTY_SHAPE, ends: true };
        return { tokens: [this.flags.m ? DOLLAR_MULTILINE : DOLLAR], quantifiable: false, shape: EMPTY_SHAPE };
      case "\\": {
        const escaped = this.escape(false);
        switch (escaped.kind) {
          case "char":
            return this.literal(escaped.cp);
          case "set":
            return { tokens: [classSource(false, escaped.ranges, escaped.props, this.dialect)], quantifiable: true, shape: setShape(false, escaped.ranges, escaped.props) };
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
    return { tokens: [literalOutsideClass(cp, this.dialect)], quantifiable: true, shape: charShape([[cp, cp]]) };
  }

  /**
   * The atom with the quantifier that follows it, if any; `atomStart` is where the atom began in
   * the regex. Refuses a repetition whose body can match the same text in many ways (see
   * {@link MAX_REPEATED_WAYS}): nested quantifiers such as `(x+x+)+` or `(.*a){20}` and
   * overlapping alternatives such as `(a|aa)+`, the shapes of catastrophic backtracking.
   */
  private quantified(atom: Atom, atomStart: number): Part {
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
    const loop = atom.group === true && inner.minLength !== inner.maxLength && !(min === 0 && max === 1);
    const minLength = inner.minLength * min;
    const maxLength = max === Infinity || loop ? Infinity : inner.maxLength * max;
    // Java's X? takes X even when X matches nothing; JavaScript refuses an iteration that matches
    // nothing and backtracks into X for a longer match. An alternation has no such rule.
    const optional = min === 0 && max === 1 && inner.nullable;
    if (mode === "+") {
      this.linearOnly(`possessive quantifier "${src.slice(atomStart, this.pos + 1)}" is not supported: the regex is matched in linear time, without possessive quantifiers; use "${src.slice(atomStart, this.pos)}"`, atomStart);
      // Possessive: (?=(X*))\k matches what X* matched first and never gives any of it back,
      // so it matches in one way whatever X is (X itself was checked when it was read).
      if (this.lookbehinds > 0) throw this.backwards(src.slice(start, this.pos + 1), start);
      this.pos++;
      const id = -++this.syntheticCount;
      const body: RegexToken[] = optional ? ["(?:", ...atom.tokens, "|)"] : [...base, quantifier];
      return { tokens: ["(?=", { open: id }, ...body, ")", ")", { ref: id }], shape: { nullable, minLength, maxLength: max === Infinity ? Infinity : inner.maxLength * max, ways: 1, why: undefined, first: inner.first } };
    }
    const lazy = mode === "?";
    if (lazy) {
      this.pos++;
      quantifier += "?";
    }
    if (atom.ends === true && max >= 2 && inner.maxLength > 0) {
      throw new RegexSyntaxError(
        `"${src.slice(atomStart, this.pos)}" is not supported: the regex is matched in linear time, where "$" and "\\Z" may only end it (not be repeated)`,
        atomStart,
      );
    }
    // A linear-time matcher takes any repetition: there is no backtracking to bound.
    if (!this.re2 && max >= 2 && inner.ways > 1 && !(inner.ways ** max <= MAX_REPEATED_WAYS)) {
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
    const tokens: RegexToken[] = !optional ? [...base, quantifier] : lazy ? ["(?:|", ...atom.tokens, ")"] : ["(?:", ...atom.tokens, "|)"];
    return { tokens, shape: { nullable, minLength, maxLength, ways, why, first: inner.first }, ends: atom.ends === true };
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
    let lookbehind = false;
    if (src.charAt(this.pos) === "?") {
      this.pos++;
      const c = src.charAt(this.pos);
      const after = src.charAt(this.pos + 1);
      if (c === ":") {
        this.pos++;
        prefix = ["(?:"];
      } else if (c === "=" || c === "!") {
        this.linearOnly(`look-ahead "(?${c}" is not supported: the regex is matched in linear time, without look-arounds`, open);
        this.pos++;
        prefix = [`(?${c}`];
        quantifiable = false;
      } else if (c === "<" && (after === "=" || after === "!")) {
        this.linearOnly(`look-behind "(?<${after}" is not supported: the regex is matched in linear time, without look-arounds`, open);
        this.pos += 2;
        prefix = [`(?<${after}`];
        quantifiable = false;
        lookbehind = true;
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
        if (this.lookbehinds > 0) throw this.backwards("(?>", open);
        this.linearOnly('atomic group "(?>" is not supported: the regex is matched in linear time, without atomic groups; use "(?:"', open);
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
    if (lookbehind) this.lookbehinds++;
    const body = this.alternation();
    if (lookbehind) this.lookbehinds--;
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
    if (lookbehind && body.shape.maxLength === Infinity) {
      // Java refuses some (a repeated group of varying length, a repeated part of 2 or more
      // characters) and gets others wrong (its maximum length overflows: (?<=a*b*)c never
      // matches "abc"): all are refused here.
      throw new RegexSyntaxError("look-behind group does not have an obvious maximum length (a *, + or {n,} in it)", open);
    }
    const shape: Shape = !quantifiable
      ? EMPTY_SHAPE
      : atomic
        ? { ...body.shape, ways: 1, why: undefined }
        : body.shape;
    return { tokens, quantifiable, shape, group: quantifiable && !atomic, ends: body.ends === true };
  }

  /**
   * JavaScript matches a look-behind backwards (right to left), Java forwards from each possible
   * start, so "the first match, never given back" of an atomic group or a possessive quantifier
   * is not the same match in a look-behind: refused there.
   */
  private backwards(text: string, index: number): RegexSyntaxError {
    return new RegexSyntaxError(`unsupported Java regex construct "${text}" in a look-behind (JavaScript matches look-behinds backwards)`, index);
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
    return { tokens: [classSource(negated, ranges, props, this.dialect)], quantifiable: true, shape: setShape(negated, ranges, props) };
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
        if (NOT_IN_RE2.has(resolved.prop)) this.linearOnly(`character property "${text}" is not supported: the regex is matched in linear time, by a matcher that does not know it`, start);
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
        return assertion([this.re2 ? { end: "z" } : "$"], false);
      case "Z":
        if (this.re2 && !inClass) return { kind: "atom", atom: { tokens: [{ end: "dollar" }], quantifiable: false, shape: EMPTY_SHAPE, ends: true } };
        return assertion([DOLLAR], false);
      case "R":
        this.linearOnly('"\\R" is not supported: the regex is matched in linear time, without look-aheads, which "\\R" needs (it never splits "\\r\\n"); use "(?:\\r\\n|[\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}])"', start);
        return assertion([LINEBREAK], true, { ...charShape(VERTICAL_SPACE), maxLength: 2 });
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
 * Translates a Java regex (`java.util.regex.Pattern` syntax, no flags) to a JavaScript regex
 * source for the flags `gu` that matches exactly what Java matches (see the module comment for
 * what is rejected).
 *
 * @throws RegexSyntaxError for a regex Java rejects or that cannot be translated exactly.
 * @example
 * ```ts
 * translateJavaRegex("a.").source; // "a[^\\n\\r\\u0085\\u2028\\u2029]" (Java's "." excludes these)
 * ```
 */
export function translateJavaRegex(regex: string): TranslatedRegex {
  return new JavaRegexTranslator(regex).translate();
}

/**
 * Translates a Java regex to RE2's syntax for a linear-time matcher (`re2js`), to be searched
 * for in a text: what Java finds, the match found the same (see {@link Re2Regex} for `$`).
 * Refused besides what {@link translateJavaRegex} refuses: look-arounds, atomic groups,
 * possessive quantifiers, `\R`, `^` and `$` under `(?m)`, `$` or `\Z` before anything that
 * matches text, and the properties RE2 does not know (`\p{IsIdeographic}`,
 * `\p{IsJoin_Control}`, `\p{IsNoncharacter_Code_Point}`). Accepted unlike there: nested
 * quantifiers and overlapping alternatives (`(a+)+`, `(a|aa)+`), which cannot backtrack in a
 * linear-time matcher. RE2 itself refuses a count above 1000 (`x{1001}`, `(x{100}){20}`).
 *
 * @throws RegexSyntaxError for a regex Java rejects or that cannot be matched exactly in
 *   linear time.
 * @example
 * ```ts
 * translateJavaRegexToRe2("a.").source; // "a[^\\n\\r\\x{85}\\x{2028}\\x{2029}]"
 * ```
 */
export function translateJavaRegexToRe2(regex: string): Re2Regex {
  return new JavaRegexTranslator(regex, "re2").translateToRe2();
}

/**
 * Java's `Pattern.compile(regex).matcher(input).replaceAll(replacement)` as a function, compiled
 * once: the regex is translated with {@link translateJavaRegex}, the replacement with
 * {@link translateJavaReplacement}.
 *
 * @throws RegexSyntaxError for a regex or replacement that Java rejects or that cannot be
 *   translated exactly (`index` then points into the one that is wrong: `part` says which).
 * @example
 * ```ts
 * javaReplaceAll("(\\d+)-(\\d+)", "$2/$1")("10-20 and 3-4"); // "20/10 and 4/3"
 * ```
 */
export function javaReplaceAll(regex: string, replacement: string): (input: string) => string {
  const translated = translateJavaRegex(regex);
  const compiled = new RegExp(translated.source, "gu");
  let jsReplacement: string;
  try {
    jsReplacement = translateJavaReplacement(replacement, translated);
  } catch (error) {
    if (error instanceof RegexSyntaxError) throw new RegexSyntaxError(error.message, error.index, "replacement");
    throw error;
  }
  return (input) => input.replace(compiled, jsReplacement);
}

/**
 * Translates a Java replacement (Matcher.appendReplacement) to a JavaScript one: `\x` is
 * `x`, `$n` takes as many digits as name an existing group, `${name}` a named group. Group
 * references become two-digit `$nn` so that a following digit cannot join them.
 *
 * @throws RegexSyntaxError for a replacement Java rejects (a dangling `\` or `$`, a group that
 *   does not exist).
 * @example
 * ```ts
 * translateJavaReplacement("[$1]", translateJavaRegex("(a)")); // "[$01]"
 * ```
 */
export function translateJavaReplacement(replacement: string, regex: TranslatedRegex): string {
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
