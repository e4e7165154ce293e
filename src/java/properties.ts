/**
 * A reader for Java `.properties` files that behaves exactly like
 * `java.util.Properties.load(Reader)` (JDK 17), but reports where every entry came from and
 * turns Java's one fatal error into a per-entry problem instead of failing the whole file.
 *
 * The rules, as in the JDK javadoc of `Properties.load(Reader)`:
 *
 * - Lines end at `\n`, `\r` or `\r\n`. A *natural* line is one physical line; a *logical* line
 *   is a natural line plus the lines it continues onto.
 * - Whitespace means only space, `\t` and `\f`. A natural line that is blank, or whose first
 *   non-whitespace character is `#` or `!`, is a comment and is ignored. A comment never
 *   continues, even if it ends in a backslash.
 * - A line that ends in an odd number of backslashes continues onto the next line; the final
 *   backslash, the line terminator and the leading whitespace of the next line are dropped.
 *   An empty (or whitespace-only) line after a continuation ends the logical line.
 * - The key runs from the first non-whitespace character to the first unescaped `=`, `:` or
 *   whitespace. After it, whitespace, at most one `=` or `:`, and more whitespace are skipped;
 *   the rest of the logical line, trailing whitespace included, is the value.
 * - In keys and values `\t`, `\n`, `\r`, `\f` and `\uXXXX` (exactly four hex digits) are
 *   escapes, and any other `\c` stands for `c`. A backslash at the very end of the input is
 *   dropped.
 *
 * Two quirks of JDK 17 are reproduced on purpose: a logical line that is empty after a
 * continuation (a lone `\` followed by a line break) still counts as "at the start", so a
 * following `#` line is a comment; and an input consisting only of such a line (`\` or `\`
 * and one line break) yields one entry with an empty key and an empty value.
 *
 * Where Java throws `IllegalArgumentException("Malformed \uxxxx encoding.")` and stops,
 * {@link parseProperties} records a {@link PropertySyntaxProblem} for that logical line, skips
 * that entry and carries on with the rest of the input.
 *
 * The parser works in one pass, character by character, without regular expressions, so its
 * running time is linear in the size of the input, and it never throws.
 *
 * @module
 */

/**
 * One key/value pair as `java.util.Properties.load` would produce it, with where it came from.
 *
 * @example
 * ```ts
 * const { entries } = parseProperties("greeting = hello \\\n    world\n");
 * entries[0]; // { key: "greeting", value: "hello world", line: 1, endLine: 2 }
 * ```
 */
export interface PropertyEntry {
  /** The key, with escapes resolved. */
  readonly key: string;
  /** The value, with escapes resolved and continuation lines joined. */
  readonly value: string;
  /** 1-based number of the physical line on which the logical line starts. */
  readonly line: number;
  /** 1-based number of the last physical line of the logical line. */
  readonly endLine: number;
}

/**
 * Something in the input that `java.util.Properties.load` would reject (it would throw), with
 * the 1-based line number of the logical line it is on.
 *
 * @example
 * ```ts
 * const { problems } = parseProperties("ok=1\nbad=\\u12\n");
 * problems[0]?.line; // 2
 * problems[0]?.message; // 'malformed \uXXXX escape in value: expected four hex digits after \u, found "12"'
 * ```
 */
export interface PropertySyntaxProblem {
  /** 1-based line number (the first physical line of the logical line concerned). */
  readonly line: number;
  /** What is wrong, in plain words. */
  readonly message: string;
}

/**
 * The result of {@link parseProperties}: every entry in file order (duplicates included) and
 * every problem in file order.
 *
 * @example
 * ```ts
 * const parsed: ParsedProperties = parseProperties("a=1\na=2\n");
 * parsed.entries.map((e) => e.value); // ["1", "2"] — Java would keep only the last
 * parsed.problems; // []
 * ```
 */
export interface ParsedProperties {
  /** Entries in file order; a key that occurs twice is returned twice. */
  readonly entries: readonly PropertyEntry[];
  /** Problems in file order; the entries they concern are not in {@link entries}. */
  readonly problems: readonly PropertySyntaxProblem[];
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const FF = 0x0c;
const BACKSLASH = 0x5c;
const HASH = 0x23;
const BANG = 0x21;
const EQUALS = 0x3d;
const COLON = 0x3a;
const LOWER_U = 0x75;

function isWhitespace(c: number): boolean {
  return c === SPACE || c === TAB || c === FF;
}

/** A logical line, with its line continuations already removed but escapes not yet resolved. */
interface LogicalLine {
  readonly content: string;
  readonly line: number;
  readonly endLine: number;
}

/**
 * Splits text into logical lines. A direct port of `java.util.Properties.LineReader.readLine`
 * from JDK 17, reading from one string instead of a buffered stream, and counting lines.
 */
class LineReader {
  private off = 0;
  /** 1-based line number of the character at `off`. */
  private lineAtOff = 1;
  /** 1-based line number of the last character read (0 before the first). */
  private lineOfLastRead = 0;

  constructor(private readonly text: string) {}

  /** Reads the code unit at `off`, advancing `off` and the line counters. */
  private read(): number {
    const text = this.text;
    const c = text.charCodeAt(this.off++);
    this.lineOfLastRead = this.lineAtOff;
    // `\r\n` is one terminator: the line number goes up after the `\n`.
    if (c === LF || (c === CR && text.charCodeAt(this.off) !== LF)) {
      this.lineAtOff++;
    }
    return c;
  }

  /** The next logical line, or `undefined` at the end of the input. */
  next(): LogicalLine | undefined {
    const text = this.text;
    const end = text.length;
    // The logical line is built from slices of `text`, one per natural line.
    const parts: string[] = [];
    let segmentStart = -1;
    let len = 0;
    let skipWhiteSpace = true;
    let appendedLineBegin = false;
    let precedingBackslash = false;
    let started = false;
    let startLine = 0;

    const finish = (segmentEnd: number, endLine: number): LogicalLine => {
      if (segmentStart >= 0) {
        parts.push(text.slice(segmentStart, segmentEnd));
      }
      return { content: parts.join(""), line: startLine, endLine };
    };

    for (;;) {
      if (this.off >= end) {
        if (len === 0) {
          return undefined;
        }
        // A backslash at the very end of the input is not part of the line.
        return finish(precedingBackslash ? end - 1 : end, this.lineOfLastRead);
      }
      const position = this.off;
      const c = this.read();

      if (skipWhiteSpace) {
        if (isWhitespace(c)) {
          continue;
        }
        if (!appendedLineBegin && (c === CR || c === LF)) {
          continue;
        }
        skipWhiteSpace = false;
        appendedLineBegin = false;
      }

      if (len === 0 && (c === HASH || c === BANG)) {
        // A comment: consume the rest of the natural line, terminator included.
        for (;;) {
          if (this.off >= end) {
            return undefined;
          }
          const d = this.read();
          if (d === CR || d === LF) {
            break;
          }
        }
        skipWhiteSpace = true;
        started = false;
        continue;
      }

      if (c !== LF && c !== CR) {
        if (segmentStart < 0) {
          segmentStart = position;
        }
        if (!started) {
          started = true;
          startLine = this.lineOfLastRead;
        }
        len++;
        precedingBackslash = c === BACKSLASH ? !precedingBackslash : false;
        continue;
      }

      // End of a natural line.
      if (len === 0) {
        skipWhiteSpace = true;
        started = false;
        continue;
      }
      const lineOfTerminator = this.lineOfLastRead;
      if (this.off >= end) {
        return finish(precedingBackslash ? position - 1 : position, lineOfTerminator);
      }
      if (!precedingBackslash) {
        return finish(position, lineOfTerminator);
      }
      // A continuation: the backslash (the last character before the terminator, which is
      // part of the current segment) is dropped, and so is the next line's leading whitespace.
      if (segmentStart >= 0) {
        parts.push(text.slice(segmentStart, position - 1));
        segmentStart = -1;
      }
      len -= 1;
      skipWhiteSpace = true;
      appendedLineBegin = true;
      precedingBackslash = false;
      if (c === CR && text.charCodeAt(this.off) === LF) {
        this.read();
      }
    }
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Resolves escapes in `s` like `Properties.loadConvert`. Returns the text, or a problem message
 * for a malformed `\uXXXX` escape.
 */
function unescape(s: string, what: "key" | "value"): { readonly text: string } | { readonly error: string } {
  let backslash = s.indexOf("\\");
  if (backslash < 0) {
    return { text: s };
  }
  const end = s.length;
  const out: string[] = [];
  let off = 0;
  while (backslash >= 0) {
    if (backslash > off) {
      out.push(s.slice(off, backslash));
    }
    off = backslash + 1;
    if (off >= end) {
      // Cannot happen for text from LineReader (it never ends in an odd run of backslashes);
      // a lone trailing backslash stands for nothing.
      break;
    }
    const c = s.charCodeAt(off++);
    if (c === LOWER_U) {
      let value = 0;
      let ok = off + 4 <= end;
      for (let i = 0; ok && i < 4; i++) {
        const digit = hexValue(s.charCodeAt(off + i));
        if (digit < 0) {
          ok = false;
        } else {
          value = (value << 4) | digit;
        }
      }
      if (!ok) {
        const found = s.slice(off, Math.min(off + 4, end));
        return {
          error:
            `malformed \\uXXXX escape in ${what}: expected four hex digits after \\u, ` +
            `found ${JSON.stringify(found)}`,
        };
      }
      off += 4;
      out.push(String.fromCharCode(value));
    } else if (c === 0x74) {
      out.push("\t");
    } else if (c === 0x72) {
      out.push("\r");
    } else if (c === 0x6e) {
      out.push("\n");
    } else if (c === 0x66) {
      out.push("\f");
    } else {
      out.push(s.charAt(off - 1));
    }
    backslash = s.indexOf("\\", off);
  }
  if (off < end) {
    out.push(s.slice(off));
  }
  return { text: out.join("") };
}

/**
 * Parses the text of a `.properties` file exactly as `java.util.Properties.load(Reader)`
 * (JDK 17) does (see the module comment for the rules), returning every entry in file order
 * with its line numbers. Duplicate keys are all returned; Java keeps the last one.
 *
 * Unlike Java, a malformed `\uXXXX` escape does not abort: the entry it is in is left out, a
 * problem is recorded for its logical line, and parsing goes on. Trailing whitespace of values
 * is kept, and quotes are not special (`k=", "` gives the value `", "`, quotes included).
 *
 * Never throws; runs in time linear in `text.length`.
 *
 * @example
 * ```ts
 * const { entries, problems } = parseProperties(
 *   "# audit settings\n" +
 *   "com.openexchange.log.audit.slf4j.enabled = true\n" +
 *   "com.openexchange.log.audit.slf4j.delimiter=\", \"\n" +
 *   "multi = one \\\n" +
 *   "        two\n" +
 *   "bad = \\u12\n",
 * );
 * // entries:
 * //   { key: "com.openexchange.log.audit.slf4j.enabled", value: "true", line: 2, endLine: 2 }
 * //   { key: "com.openexchange.log.audit.slf4j.delimiter", value: "\", \"", line: 3, endLine: 3 }
 * //   { key: "multi", value: "one two", line: 4, endLine: 5 }
 * // problems:
 * //   { line: 6, message: 'malformed \uXXXX escape in value: expected four hex digits after \u, found "12"' }
 * ```
 */
export function parseProperties(text: string): ParsedProperties {
  const entries: PropertyEntry[] = [];
  const problems: PropertySyntaxProblem[] = [];
  const reader = new LineReader(text);
  for (let logical = reader.next(); logical !== undefined; logical = reader.next()) {
    const line = logical.content;
    const limit = line.length;
    let keyLen = 0;
    let valueStart = limit;
    let hasSep = false;
    let precedingBackslash = false;
    while (keyLen < limit) {
      const c = line.charCodeAt(keyLen);
      if ((c === EQUALS || c === COLON) && !precedingBackslash) {
        valueStart = keyLen + 1;
        hasSep = true;
        break;
      } else if (isWhitespace(c) && !precedingBackslash) {
        valueStart = keyLen + 1;
        break;
      }
      precedingBackslash = c === BACKSLASH ? !precedingBackslash : false;
      keyLen++;
    }
    while (valueStart < limit) {
      const c = line.charCodeAt(valueStart);
      if (!isWhitespace(c)) {
        if (!hasSep && (c === EQUALS || c === COLON)) {
          hasSep = true;
        } else {
          break;
        }
      }
      valueStart++;
    }
    const key = unescape(line.slice(0, keyLen), "key");
    if ("error" in key) {
      problems.push({ line: logical.line, message: key.error });
      continue;
    }
    const value = unescape(line.slice(valueStart), "value");
    if ("error" in value) {
      problems.push({ line: logical.line, message: value.error });
      continue;
    }
    entries.push({ key: key.text, value: value.text, line: logical.line, endLine: logical.endLine });
  }
  return { entries, problems };
}

/**
 * Returns the offset of the first byte of the first ill-formed UTF-8 sequence in `bytes`
 * (following the WHATWG decoder, which `TextDecoder` implements), or -1 if there is none.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let needed: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      needed = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      needed = 2;
      if (b === 0xe0) lower = 0xa0;
      if (b === 0xed) upper = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      needed = 3;
      if (b === 0xf0) lower = 0x90;
      if (b === 0xf4) upper = 0x8f;
    } else {
      return i;
    }
    for (let k = 1; k <= needed; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < lower || next > upper) {
        return i;
      }
      lower = 0x80;
      upper = 0xbf;
    }
    i += needed + 1;
  }
  return -1;
}

/** 1-based line number of the byte at `offset` (`\n`, `\r` and `\r\n` end lines). */
function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const b = bytes[i];
    if (b === LF || (b === CR && bytes[i + 1] !== LF)) {
      line++;
    }
  }
  return line;
}

/**
 * Decodes the bytes of a `.properties` file as strict UTF-8, dropping one leading byte order
 * mark. On ill-formed UTF-8 it returns a problem naming the first bad byte and its line.
 *
 * Note: this reads UTF-8, like `Properties.load(Reader)` given a UTF-8 reader (and like
 * `PropertyResourceBundle` since Java 9); it does *not* read ISO-8859-1 as
 * `Properties.load(InputStream)` does. A Latin-1 file with non-ASCII characters is therefore
 * reported as a problem rather than silently misread. Never throws.
 *
 * @example
 * ```ts
 * decodePropertiesFile(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x3d, 0xc3, 0xa9]));
 * // { text: "a=é" }
 * decodePropertiesFile(new TextEncoder().encode("a=1\nb=2\n").map((b) => b === 0x32 ? 0xff : b));
 * // { problem: { line: 2, message: "not valid UTF-8 (byte 0xff at line 2); is the file ISO-8859-1 encoded?" } }
 * ```
 */
export function decodePropertiesFile(bytes: Uint8Array): { text: string } | { problem: PropertySyntaxProblem } {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch {
    try {
      const offset = firstInvalidUtf8(bytes);
      if (offset >= 0) {
        const line = lineOfByte(bytes, offset);
        const hex = (bytes[offset] ?? 0).toString(16).padStart(2, "0");
        return {
          problem: {
            line,
            message: `not valid UTF-8 (byte 0x${hex} at line ${line}); is the file ISO-8859-1 encoded?`,
          },
        };
      }
    } catch {
      // Fall through to the generic problem below.
    }
    return { problem: { line: 1, message: "not valid UTF-8" } };
  }
}
