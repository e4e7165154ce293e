/**
 * The character sets of `java.util.regex.Pattern`, as code point ranges for the translator of
 * `./regex.ts`: the predefined classes (`\d \w \s \h \v`, ASCII-only as in Java without
 * `UNICODE_CHARACTER_CLASS`), the POSIX classes (`\p{Alpha}`…), the names `\p{…}` resolves
 * (general categories, `Is…` binary properties and scripts) and the range arithmetic
 * (normalise, complement, ASCII case folding) that builds JavaScript classes from them.
 *
 * @module
 */

/** An inclusive range of code points. */
export type Range = readonly [number, number];
/** The largest code point. */
export const MAX_CODE_POINT = 0x10ffff;

/** Java's `\d`: ASCII digits. */
export const DIGIT: readonly Range[] = [[0x30, 0x39]];
/** Java's `\w`: ASCII letters, digits and `_`. */
export const WORD: readonly Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
/** Java's `\s`: ASCII white space. */
export const SPACE: readonly Range[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
];
/** Java's `\h`. */
export const HORIZONTAL_SPACE: readonly Range[] = [
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
/** Java's `\v`. */
export const VERTICAL_SPACE: readonly Range[] = [
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

/**
 * The regex dialect a translation is written in: JavaScript's (flag `u`), or RE2's syntax for
 * the linear-time matcher (`re2js`), which writes a code point `\x{…}`, a script without
 * `Script=` and has no look-arounds.
 */
export type RegexDialect = "js" | "re2";

/** One code point as a JavaScript `\u{…}` escape, or RE2's `\x{…}`. */
export function hexEscape(cp: number, dialect: RegexDialect = "js"): string {
  return dialect === "re2" ? `\\x{${cp.toString(16)}}` : `\\u{${cp.toString(16)}}`;
}

/** Sorted ranges with overlapping and adjacent ones merged. */
export function normalizeRanges(ranges: readonly Range[]): Range[] {
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

/** The code points that are in none of the ranges. */
export function complementRanges(ranges: readonly Range[]): Range[] {
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
export function withAsciiCase(ranges: readonly Range[]): Range[] {
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

/**
 * A JavaScript character class (flag `u`) of ranges and `\p{…}` properties, or the same class
 * in RE2's syntax (where `[]` and `[^]` are not classes: an empty one is written as a range).
 */
export function classSource(negated: boolean, ranges: readonly Range[], props: readonly string[], dialect: RegexDialect = "js"): string {
  let body = "";
  for (const [lo, hi] of normalizeRanges(ranges)) {
    body += lo === hi ? hexEscape(lo, dialect) : hexEscape(lo, dialect) + "-" + hexEscape(hi, dialect);
  }
  if (dialect === "re2") {
    if (body === "" && props.length === 0) return negated ? ANY_RE2 : NOTHING_RE2;
    return `[${negated ? "^" : ""}${body}${props.map((prop) => prop.replace("{Script=", "{")).join("")}]`;
  }
  return `[${negated ? "^" : ""}${body}${props.join("")}]`;
}

/** Any code point, in RE2's syntax. */
export const ANY_RE2 = "[\\x{0}-\\x{10ffff}]";
/** No code point, in RE2's syntax. */
export const NOTHING_RE2 = "[^\\x{0}-\\x{10ffff}]";
/** The JavaScript property names of {@link resolveProperty} that RE2 (`re2js`) does not know. */
export const NOT_IN_RE2: ReadonlySet<string> = new Set(["Ideographic", "Join_Control", "Noncharacter_Code_Point"]);

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

/** What a `\p{…}` name stands for: ranges, a JavaScript property, a name Java has that cannot be translated, or nothing. */
export type ResolvedProperty = { readonly ranges: readonly Range[] } | { readonly prop: string } | "unsupported" | undefined;

/** java.util.regex's CharPropertyNames: POSIX names, general categories; `java…` is rejected. */
function characterProperty(name: string): ResolvedProperty {
  const ranges = POSIX_CLASSES.get(name);
  if (ranges !== undefined) return { ranges };
  if (GENERAL_CATEGORIES.has(name)) return { prop: name };
  if (name.startsWith("java") || name === "LD") return "unsupported";
  return undefined;
}

/** The name resolution of java.util.regex.Pattern.family(). */
export function resolveProperty(name: string): ResolvedProperty {
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

