import test from "ava";
import fc from "fast-check";
import { decodePropertiesFile, parseProperties, type PropertyEntry } from "../src/java/properties.js";

/** [key, value, line, endLine] for compact expectations. */
type Row = readonly [key: string, value: string, line: number, endLine: number];

function rows(text: string): Row[] {
  return parseProperties(text).entries.map((e) => [e.key, e.value, e.line, e.endLine] as const);
}

function pairs(text: string): [string, string][] {
  return parseProperties(text).entries.map((e) => [e.key, e.value]);
}

/** Number of physical lines: `\n`, `\r` and `\r\n` end lines; a final unterminated line counts. */
function countLines(text: string): number {
  let lines = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) lines++;
  }
  const last = text[text.length - 1];
  return lines + (text.length > 0 && last !== "\n" && last !== "\r" ? 1 : 0);
}

/** 1-based line of the character at `offset`. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line++;
  }
  return line;
}

// ---------------------------------------------------------------------------------------------
// Lines, comments, blank lines
// ---------------------------------------------------------------------------------------------

test("empty input gives nothing", (t) => {
  t.deepEqual(parseProperties(""), { entries: [], problems: [] });
  t.deepEqual(parseProperties("\n\r\n\r \t\f\n"), { entries: [], problems: [] });
});

test("LF line endings, with line numbers", (t) => {
  t.deepEqual(rows("a=1\nb=2\n\nc=3"), [
    ["a", "1", 1, 1],
    ["b", "2", 2, 2],
    ["c", "3", 4, 4],
  ]);
});

test("CRLF line endings", (t) => {
  t.deepEqual(rows("a=1\r\nb=2\r\n\r\nc=3\r\n"), [
    ["a", "1", 1, 1],
    ["b", "2", 2, 2],
    ["c", "3", 4, 4],
  ]);
});

test("lone CR line endings", (t) => {
  t.deepEqual(rows("a=1\rb=2\r\rc=3\r"), [
    ["a", "1", 1, 1],
    ["b", "2", 2, 2],
    ["c", "3", 4, 4],
  ]);
});

test("mixed line endings: LF CR counts as two lines, CR LF as one", (t) => {
  t.deepEqual(rows("a=1\n\rb=2\r\nc=3"), [
    ["a", "1", 1, 1],
    ["b", "2", 3, 3],
    ["c", "3", 4, 4],
  ]);
});

test("# and ! comments, also after leading whitespace", (t) => {
  t.deepEqual(rows("# one\n! two\n  # three\n\t! four\n\f#five\na=1\n"), [["a", "1", 6, 6]]);
});

test("a comment line never continues, even if it ends in a backslash", (t) => {
  t.deepEqual(rows("# comment \\\na=1\n! also \\\r\nb=2"), [
    ["a", "1", 2, 2],
    ["b", "2", 4, 4],
  ]);
});

test("# or ! after the start of a line is ordinary text", (t) => {
  t.deepEqual(pairs("a=#1\nb !2\nc#=3"), [
    ["a", "#1"],
    ["b", "!2"],
    ["c#", "3"],
  ]);
});

test("only space, tab and form feed are whitespace", (t) => {
  // VT (U+000B) and NBSP (U+00A0) are part of the key, as in Java.
  t.deepEqual(pairs("\u000bk=v\n\u00a0k=v\n \t\fk \t\f= \t\fv"), [
    ["\u000bk", "v"],
    ["\u00a0k", "v"],
    ["k", "v"],
  ]);
});

test("NUL characters are ordinary characters", (t) => {
  t.deepEqual(pairs("a\u0000b=\u0000\n"), [["a\u0000b", "\u0000"]]);
});

// ---------------------------------------------------------------------------------------------
// Continuation lines
// ---------------------------------------------------------------------------------------------

test("continuation: line is the first line, endLine the last", (t) => {
  t.deepEqual(rows("x=0\nmulti = one, \\\n    two, \\\n\t\fthree\ny=1"), [
    ["x", "0", 1, 1],
    ["multi", "one, two, three", 2, 4],
    ["y", "1", 5, 5],
  ]);
});

test("continuation with CRLF and with lone CR", (t) => {
  t.deepEqual(rows("a=1\\\r\n  2\r\nb=3\\\r  4\rc=5"), [
    ["a", "12", 1, 2],
    ["b", "34", 3, 4],
    ["c", "5", 5, 5],
  ]);
});

test("continuation inside the key and before the separator", (t) => {
  t.deepEqual(rows("con\\\n   tinued\\\n   = yes"), [["continued", "yes", 1, 3]]);
});

test("an even number of trailing backslashes does not continue", (t) => {
  t.deepEqual(rows("a=x\\\\\nb=y\\\\\\\n z"), [
    ["a", "x\\", 1, 1],
    ["b", "y\\z", 2, 3],
  ]);
});

test("a blank line after a continuation ends the logical line", (t) => {
  t.deepEqual(rows("a=1\\\n\nb=2\\\n   \nc=3"), [
    ["a", "1", 1, 2],
    ["b", "2", 3, 4],
    ["c", "3", 5, 5],
  ]);
});

test("a comment-looking line after a continuation is content", (t) => {
  t.deepEqual(rows("a=1\\\n  # not a comment\n"), [["a", "1# not a comment", 1, 2]]);
});

test("backslash at the very end of the input ends the value there", (t) => {
  t.deepEqual(rows("a=1\nb=end\\"), [
    ["a", "1", 1, 1],
    ["b", "end", 2, 2],
  ]);
  t.deepEqual(rows("b=end\\\n"), [["b", "end", 1, 1]]);
  t.deepEqual(rows("b=end\\\r\n"), [["b", "end", 1, 1]]);
  t.deepEqual(rows("b=end\\\n   "), [["b", "end", 1, 2]]);
});

test("JDK 17 quirks: an empty continued line still counts as the start of a line", (t) => {
  // Checked against Java 17: "\" then "#x=y" is a comment; "\" alone is an entry "" = "".
  t.deepEqual(rows("\\\n#x=y\nc=d"), [["c", "d", 3, 3]]);
  t.deepEqual(rows("\\"), [["", "", 1, 1]]);
  t.deepEqual(rows("\\\n"), [["", "", 1, 1]]);
  t.deepEqual(rows("\\\n\n"), []);
  t.deepEqual(rows("\\\nk=v"), [["k", "v", 1, 2]]);
});

// ---------------------------------------------------------------------------------------------
// Keys, separators, values
// ---------------------------------------------------------------------------------------------

test("separators: whitespace, colon, equals, with whitespace around", (t) => {
  t.deepEqual(pairs("k1 value\nk2:value\nk3 = value\nk4\t:\tvalue\nk5=value\nk6   value"), [
    ["k1", "value"],
    ["k2", "value"],
    ["k3", "value"],
    ["k4", "value"],
    ["k5", "value"],
    ["k6", "value"],
  ]);
});

test("escaped spaces and separators in the key", (t) => {
  t.deepEqual(pairs("key\\ with\\ space = v\na\\:b\\=c : d\n\\#not\\!comment=1"), [
    ["key with space", "v"],
    ["a:b=c", "d"],
    ["#not!comment", "1"],
  ]);
});

test("only the first separator counts: a=b=c has value b=c", (t) => {
  t.deepEqual(pairs("a=b=c\nx : = y\nz = : w\nq==r"), [
    ["a", "b=c"],
    ["x", "= y"],
    ["z", ": w"],
    ["q", "=r"],
  ]);
});

test("empty value and key only", (t) => {
  t.deepEqual(rows("empty=\nkeyonly\ncolon:\nspaced   \n=novalue"), [
    ["empty", "", 1, 1],
    ["keyonly", "", 2, 2],
    ["colon", "", 3, 3],
    ["spaced", "", 4, 4],
    ["", "novalue", 5, 5],
  ]);
});

test("trailing whitespace of the value is kept, leading is dropped", (t) => {
  t.deepEqual(pairs("k =   v  \t\f\nl=\\ lead"), [
    ["k", "v  \t\f"],
    ["l", " lead"],
  ]);
});

test("quotes are kept verbatim", (t) => {
  t.deepEqual(pairs('delimiter=", "\nsingle=\'x\''), [
    ["delimiter", '", "'],
    ["single", "'x'"],
  ]);
});

test("duplicates are all returned, in file order", (t) => {
  t.deepEqual(rows("a=1\nb=2\na=3"), [
    ["a", "1", 1, 1],
    ["b", "2", 2, 2],
    ["a", "3", 3, 3],
  ]);
});

// ---------------------------------------------------------------------------------------------
// Escapes
// ---------------------------------------------------------------------------------------------

test("\\t \\n \\r \\f escapes in key and value", (t) => {
  t.deepEqual(pairs("k\\t\\n\\r\\f=v\\t\\n\\r\\f"), [["k\t\n\r\f", "v\t\n\r\f"]]);
});

test("\\uXXXX escapes, either case, including surrogate pairs", (t) => {
  t.deepEqual(pairs("caf\\u00e9=\\u00E9t\\u00c9\nemoji=\\uD83D\\ude00\nnul=\\u0000"), [
    ["café", "étÉ"],
    ["emoji", "\u{1F600}"],
    ["nul", "\u0000"],
  ]);
});

test("any other escaped character stands for itself", (t) => {
  t.deepEqual(pairs("e\\scaped\\q = \\a\\b\\\\\\=\\:\\#\\ "), [["escapedq", "ab\\=:# "]]);
});

test("raw non-ASCII text is kept", (t) => {
  t.deepEqual(pairs("unicode=\u{1F600} \u00fc\n\u00e9=\u4e2d"), [
    ["unicode", "\u{1F600} \u00fc"],
    ["\u00e9", "\u4e2d"],
  ]);
});

test("malformed \\u12 escape: a problem with its line, later entries still parse", (t) => {
  const result = parseProperties("a=1\nbad=\\u12\nb=2\\\n  3\nc=\\uzzzz\\\n more\nd=4");
  t.deepEqual(
    result.entries.map((e): Row => [e.key, e.value, e.line, e.endLine]),
    [
      ["a", "1", 1, 1],
      ["b", "23", 3, 4],
      ["d", "4", 7, 7],
    ],
  );
  t.deepEqual(result.problems, [
    { line: 2, message: 'malformed \\uXXXX escape in value: expected four hex digits after \\u, found "12"' },
    { line: 5, message: 'malformed \\uXXXX escape in value: expected four hex digits after \\u, found "zzzz"' },
  ]);
});

test("malformed \\u escape in the key, and \\u at the end of the input", (t) => {
  const result = parseProperties("\\u00g0=x\nok=1\nlast=\\u");
  t.deepEqual(pairs("\\u00g0=x\nok=1\nlast=\\u"), [["ok", "1"]]);
  t.deepEqual(result.problems, [
    { line: 1, message: 'malformed \\uXXXX escape in key: expected four hex digits after \\u, found "00g0"' },
    { line: 3, message: 'malformed \\uXXXX escape in value: expected four hex digits after \\u, found ""' },
  ]);
});

test("a \\u escape cannot borrow digits from beyond the key", (t) => {
  // Key is "\u00" (ends at "="), so it is malformed although "\u00=e" has four characters.
  t.is(parseProperties("\\u00=e9").problems.length, 1);
  t.deepEqual(parseProperties("\\u00=e9").entries, []);
});

// ---------------------------------------------------------------------------------------------
// Golden cross-check against the real java.util.Properties
// ---------------------------------------------------------------------------------------------

const GOLDEN_FIXTURE =
  "# comment ending in a backslash \\\n" +
  "not.continued = really\n" +
  "  ! bang comment\r\n" +
  "\\\n" +
  "#after-empty-continuation=still a comment\n" +
  "key\\ with\\ spaces = v1\n" +
  "a=b=c\n" +
  "a\\:b\\=c : d\n" +
  "\ttab\\tkey\\t=\\ttab\\n\n" +
  "  spaced   :   trailing   \n" +
  "multi = one, \\\n" +
  "        two, \\\\\\\r\n" +
  "\f  three\\\\\n" +
  "empty=\n" +
  "keyonly\n" +
  "\\u00e9t\\u00E9 = caf\\u00e9\n" +
  'quoted=", "\n' +
  "unicode=\u{1F600} \u00fc\n" +
  "\\#notcomment=1\n" +
  "e\\scaped\\qx = \\a\\b\\ \n" +
  "crlf=1\r\n" +
  "cr=2\r" +
  "cont\\\r" +
  "   inued\\\r\n" +
  "   =yes\n" +
  "weird : = x\n" +
  "ends.before.blank=a\\\n" +
  "\n" +
  "  after.blank  b\n" +
  "last=end\\";

test("golden: same entries as Java 17 Properties.load(Reader)", (t) => {
  // Produced once by OpenJDK 17.0.15: GOLDEN_FIXTURE written as UTF-8, read with
  // new Properties() { put(k, v) records (k, v) }.load(new InputStreamReader(in, UTF_8)),
  // the recorded pairs printed in call order. Pasted here verbatim.
  const javaOutput: [string, string][] = [
    ["not.continued", "really"],
    ["key with spaces", "v1"],
    ["a", "b=c"],
    ["a:b=c", "d"],
    ["tab\tkey\t", "\ttab\n"],
    ["spaced", "trailing   "],
    ["multi", "one, two, \\three\\"],
    ["empty", ""],
    ["keyonly", ""],
    ["\u00e9t\u00e9", "caf\u00e9"],
    ["quoted", '", "'],
    ["unicode", "\ud83d\ude00 \u00fc"],
    ["#notcomment", "1"],
    ["escapedqx", "ab "],
    ["crlf", "1"],
    ["cr", "2"],
    ["continued", "yes"],
    ["weird", "= x"],
    ["ends.before.blank", "a"],
    ["after.blank", "b"],
    ["last", "end"],
  ];
  const result = parseProperties(GOLDEN_FIXTURE);
  t.deepEqual(result.problems, []);
  t.deepEqual(
    result.entries.map((e) => [e.key, e.value]),
    javaOutput,
  );
  // Line numbers (Java does not report these; checked by hand against the fixture).
  t.deepEqual(
    result.entries.map((e) => [e.line, e.endLine]),
    [
      [2, 2], [6, 6], [7, 7], [8, 8], [9, 9], [10, 10], [11, 13], [14, 14], [15, 15], [16, 16],
      [17, 17], [18, 18], [19, 19], [20, 20], [21, 21], [22, 22], [23, 25], [26, 26], [27, 28],
      [29, 29], [30, 30],
    ],
  );
  t.is(countLines(GOLDEN_FIXTURE), 30);
});

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

const HEX = "0123456789ABCDEF";

/**
 * Escapes like java.util.Properties.saveConvert (what Properties.store writes). Returns the
 * escaped text as units, so continuations can be put between them.
 */
function saveConvert(s: string, isKey: boolean, escapeUnicode: boolean): string[] {
  const units: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    const c = s.charCodeAt(i);
    if (c > 61 && c < 127) {
      units.push(ch === "\\" ? "\\\\" : ch);
      continue;
    }
    switch (ch) {
      case " ":
        units.push(i === 0 || isKey ? "\\ " : " ");
        break;
      case "\t":
        units.push("\\t");
        break;
      case "\n":
        units.push("\\n");
        break;
      case "\r":
        units.push("\\r");
        break;
      case "\f":
        units.push("\\f");
        break;
      case "=":
      case ":":
      case "#":
      case "!":
        units.push("\\" + ch);
        break;
      default:
        if ((c < 0x20 || c > 0x7e) && escapeUnicode) {
          units.push(
            "\\u" + HEX.charAt((c >> 12) & 15) + HEX.charAt((c >> 8) & 15) + HEX.charAt((c >> 4) & 15) + HEX.charAt(c & 15),
          );
        } else {
          units.push(ch);
        }
    }
  }
  return units;
}

/** Strings full of characters that matter to the format. */
const trickyString = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("=", ":", "#", "!", "\\", " ", "\t", "\f", "\n", "\r", "u", "\u000b", "\u0000", "\u00a0") },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 20,
});

const anyUnicodeString = fc.oneof(trickyString, fc.string({ unit: "binary", maxLength: 20 }));

const terminator = fc.constantFrom("\n", "\r", "\r\n");
const indent = fc.string({ unit: fc.constantFrom(" ", "\t", "\f"), maxLength: 3 });

const entrySpec = fc.record({
  key: anyUnicodeString,
  value: anyUnicodeString,
  escapeUnicode: fc.boolean(),
  separator: fc.constantFrom("=", ":", " = ", " : ", "\t:\f", " "),
  indent,
  // Where to break the line (as fractions of the unit count), and the indentation after each break.
  breaks: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), indent), { maxLength: 3 }),
  terminator,
  before: fc.array(
    fc.tuple(fc.constantFrom("", "#", "!", "  # "), fc.string({ unit: "grapheme-ascii", maxLength: 8 }), terminator),
    { maxLength: 2 },
  ),
});

test("property: what a Properties.store-style writer writes is read back exactly", (t) => {
  fc.assert(
    fc.property(fc.array(entrySpec, { maxLength: 8 }), (specs) => {
      let text = "";
      const expected: PropertyEntry[] = [];
      specs.forEach((spec, index) => {
        // Blank lines and comments before the entry. A comment must not contain line breaks.
        for (const [marker, body, term] of spec.before) {
          text += marker === "" ? term : marker + body.replace(/[\r\n]/g, "_") + term;
        }
        const keyUnits = saveConvert(spec.key, true, spec.escapeUnicode);
        const valueUnits = saveConvert(spec.value, false, spec.escapeUnicode);
        // A space separator needs a key to separate (Properties.store always writes "=").
        const separator = spec.separator === " " && keyUnits.length === 0 ? "=" : spec.separator;
        const units = [...keyUnits, separator, ...valueUnits];
        // Continuations go between units, never before one that starts with whitespace (it
        // would be dropped as the next line's indentation) and never at the very end.
        const breakAt = new Map<number, string>();
        for (const [fraction, breakIndent] of spec.breaks) {
          const at = Math.floor(fraction * units.length);
          const next = units[at];
          if (at > 0 && next !== undefined && !/^[ \t\f]/.test(next) && !breakAt.has(at)) {
            breakAt.set(at, breakIndent);
          }
        }
        text += spec.indent;
        const start = text.length;
        let lastLineStart = start;
        units.forEach((unit, i) => {
          const breakIndent = breakAt.get(i);
          if (breakIndent !== undefined) {
            text += "\\" + spec.terminator;
            lastLineStart = text.length;
            text += breakIndent;
          }
          text += unit;
        });
        // The last entry sometimes ends without a line terminator.
        if (index < specs.length - 1 || spec.terminator !== "\r") text += spec.terminator;
        expected.push({ key: spec.key, value: spec.value, line: start, endLine: lastLineStart });
      });
      const result = parseProperties(text);
      const withLines = expected.map((e) => ({ ...e, line: lineOf(text, e.line), endLine: lineOf(text, e.endLine) }));
      t.deepEqual(result.problems, []);
      t.deepEqual(result.entries, withLines);
    }),
    { numRuns: 500 },
  );
});

test("property: never throws; line numbers are in range and in order", (t) => {
  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.string({
      unit: fc.constantFrom("a", "=", ":", " ", "\t", "\f", "\n", "\r", "\\", "#", "!", "u", "0", "F", "\\u00e9", "\\u1"),
      maxLength: 200,
    }),
  );
  fc.assert(
    fc.property(text, (input) => {
      const result = parseProperties(input);
      const lines = countLines(input);
      let previousEnd = 0;
      for (const e of result.entries) {
        if (!(e.line > previousEnd && e.line <= e.endLine && e.endLine <= lines)) return false;
        previousEnd = e.endLine;
      }
      let previous = 0;
      for (const p of result.problems) {
        if (!(p.line > previous && p.line <= lines)) return false;
        previous = p.line;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test("property: decodePropertiesFile never throws, and decodes exactly the valid UTF-8", (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const result = decodePropertiesFile(bytes);
      let valid = true;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        valid = false;
      }
      if ("text" in result) {
        return valid && result.text === new TextDecoder("utf-8").decode(bytes);
      }
      const lines = countLines(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
      return (
        !valid &&
        /^not valid UTF-8 \(byte 0x[0-9a-f]{2} at line \d+\)/.test(result.problem.message) &&
        result.problem.line >= 1 &&
        result.problem.line <= lines
      );
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 50 }), fc.boolean(), (s, bom) => {
      const bytes = new TextEncoder().encode((bom ? "\ufeff" : "") + s);
      const result = decodePropertiesFile(bytes);
      return "text" in result && result.text === s;
    }),
  );
  t.pass();
});

// ---------------------------------------------------------------------------------------------
// decodePropertiesFile examples
// ---------------------------------------------------------------------------------------------

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

test("decode: plain UTF-8, and one leading BOM is stripped", (t) => {
  t.deepEqual(decodePropertiesFile(utf8("a=caf\u00e9\n")), { text: "a=caf\u00e9\n" });
  t.deepEqual(decodePropertiesFile(utf8("\ufeffa=1")), { text: "a=1" });
  t.deepEqual(decodePropertiesFile(utf8("\ufeff\ufeffa=1")), { text: "\ufeffa=1" });
  t.deepEqual(decodePropertiesFile(new Uint8Array()), { text: "" });
  t.deepEqual(decodePropertiesFile(utf8("\u0000\u{1F600}")), { text: "\u0000\u{1F600}" });
});

test("decode: invalid byte reported with its line", (t) => {
  t.deepEqual(decodePropertiesFile(concat(utf8("a=1\nb=2\r\nc="), [0xff], utf8("\n"))), {
    problem: { line: 3, message: "not valid UTF-8 (byte 0xff at line 3); is the file ISO-8859-1 encoded?" },
  });
  t.deepEqual(decodePropertiesFile(concat(utf8("a=1\rb=2\rc=caf"), [0xe9])), {
    problem: { line: 3, message: "not valid UTF-8 (byte 0xe9 at line 3); is the file ISO-8859-1 encoded?" },
  });
});

test("decode: the first byte of an ill-formed sequence is named", (t) => {
  const problemOf = (bytes: Uint8Array): string | undefined => {
    const r = decodePropertiesFile(bytes);
    return "problem" in r ? r.problem.message : undefined;
  };
  // Latin-1 "é" followed by ASCII; overlong "/"; encoded surrogate; beyond U+10FFFF; lone continuation.
  t.regex(problemOf(concat(utf8("x="), [0xe9, 0x74, 0x65])) ?? "", /byte 0xe9 at line 1/);
  t.regex(problemOf(concat(utf8("\u00e9\n"), [0xc0, 0xaf])) ?? "", /byte 0xc0 at line 2/);
  t.regex(problemOf(concat([0xed, 0xa0, 0x80])) ?? "", /byte 0xed at line 1/);
  t.regex(problemOf(concat([0xf4, 0x90, 0x80, 0x80])) ?? "", /byte 0xf4 at line 1/);
  t.regex(problemOf(concat(utf8("\n\n"), [0x80])) ?? "", /byte 0x80 at line 3/);
  t.regex(problemOf(concat(utf8("ok\u{1F600}"), [0xf0, 0x9f, 0x98])) ?? "", /byte 0xf0 at line 1/);
});

// ---------------------------------------------------------------------------------------------
// Linear time
// ---------------------------------------------------------------------------------------------

test("large inputs parse in linear time", (t) => {
  // Linear, not timed: each input is parsed at 2 MiB and at 16 MiB (after a warm-up, best of three
  // each, so the compiler's and a busy machine's pauses fall out), and 8x the input may cost at
  // most 32x the time. A quadratic parser needs 64x; a regex that backtracks needs far more.
  const shapes: Array<(n: number) => string> = [
    (n) => "k=" + "x".repeat(n),
    (n) => "k=" + "\\".repeat(n),
    (n) => "k=a\\\n".repeat(n / 5),
    (n) => "#" + "\\".repeat(n),
    (n) => " ".repeat(n),
    (n) => "\\u12\n".repeat(n / 50),
    (n) => "\u0000".repeat(n),
  ];
  const best = (input: string): number => {
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
      const started = process.hrtime.bigint();
      parseProperties(input);
      fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e6);
    }
    return fastest;
  };
  const small = 2 * 1024 * 1024;
  for (const shape of shapes) {
    parseProperties(shape(small));
    const input = shape(small * 8);
    const ratio = best(input) / Math.max(best(shape(small)), 1);
    t.true(ratio < 32, `8x the input took ${ratio.toFixed(1)}x the time for ${JSON.stringify(input.slice(0, 10))}…`);
  }
  const size = 10 * 1024 * 1024;
  const single = parseProperties("k=" + "x".repeat(size) + " ");
  t.is(single.entries[0]?.value.length, size + 1);
});
