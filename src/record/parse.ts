/**
 * Reading a record back: {@link parseAuditLine}, the exact inverse of the builder, for the
 * command (`slf4ts-audit query`, `tail`, `verify`) and for hosts that read their audit files.
 * Never used on the `log()` path.
 *
 * @module
 */
import type { RecordFormat } from "./escaping.js";

/** A record read back by {@link parseAuditLine}. */
export interface ParsedAuditLine {
  /** The event id. */
  readonly eventId: string;
  /** The attributes in order: `[name, value]`, name `undefined` when names are not included, value `null` for `\N`. */
  readonly attributes: ReadonlyArray<readonly [string | undefined, string | null]>;
}

/** A line that is not a well-formed audit record for the given format. */
export class AuditLineSyntaxError extends Error {
  /** The 0-based index in the line where the problem was found. */
  readonly position: number;
  /** @internal */
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = "AuditLineSyntaxError";
    this.position = position;
  }
}

/** The index of the first backslash in [from, end), or -1 (bounded, so parsing stays linear). */
function backslashIn(line: string, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    if (line.charCodeAt(i) === 0x5c) return i;
  }
  return -1;
}

function unescapeField(line: string, start: number, end: number): string {
  const first = backslashIn(line, start, end);
  if (first < 0) {
    return line.slice(start, end);
  }
  let out = line.slice(start, first);
  let i = first;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c !== 0x5c) {
      const next = backslashIn(line, i, end);
      const stop = next < 0 ? end : next;
      out += line.slice(i, stop);
      i = stop;
      continue;
    }
    if (i + 1 >= end) {
      throw new AuditLineSyntaxError("dangling backslash", i);
    }
    const e = line.charAt(i + 1);
    switch (e) {
      case "n":
        out += "\n";
        i += 2;
        break;
      case "r":
        out += "\r";
        i += 2;
        break;
      case "t":
        out += "\t";
        i += 2;
        break;
      case "u": {
        const hex = line.slice(i + 2, i + 6);
        if (i + 6 > end || !/^[0-9A-Fa-f]{4}$/.test(hex)) {
          throw new AuditLineSyntaxError("malformed \\u escape", i);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        break;
      }
      case "N":
        throw new AuditLineSyntaxError("\\N inside a field (it may only stand alone as a null value)", i);
      default: {
        // "\" followed by one code point stands for that code point.
        const cp = line.codePointAt(i + 1) as number;
        const width = cp > 0xffff ? 2 : 1;
        out += line.slice(i + 1, i + 1 + width);
        i += 1 + width;
      }
    }
  }
  return out;
}

/**
 * Reads a record written by an audit logger with the same delimiter and naming setting: the
 * exact inverse of what `log()` wrote (values come back as the text that was written; `\N`
 * comes back as `null`). A trailing line break is ignored. Throws {@link AuditLineSyntaxError}
 * for a line that was not written that way.
 *
 * @example
 * ```ts
 * parseAuditLine("ox.login|login=thorben|ip=::1", { delimiter: "|", includeAttributeNames: true });
 * // { eventId: "ox.login", attributes: [["login", "thorben"], ["ip", "::1"]] }
 * ```
 */
export function parseAuditLine(line: string, format: RecordFormat): ParsedAuditLine {
  const { delimiter, includeAttributeNames } = format;
  if (delimiter.length === 0) {
    throw new RangeError("parseAuditLine needs a non-empty delimiter");
  }
  let length = line.length;
  if (length > 0 && line.charCodeAt(length - 1) === 0x0a) {
    length--;
    if (length > 0 && line.charCodeAt(length - 1) === 0x0d) length--;
  }
  // Split into raw fields at unescaped delimiters; remember each field's first unescaped "=".
  const starts: number[] = [0];
  const ends: number[] = [];
  const equals: number[] = [-1];
  let i = 0;
  while (i < length) {
    const c = line.charCodeAt(i);
    if (c === 0x5c) {
      // Skip the whole escape so that no part of it can be read as a delimiter.
      const cp = line.codePointAt(i + 1);
      i += cp === 0x75 /* u */ ? 6 : cp !== undefined && cp > 0xffff ? 3 : 2;
      continue;
    }
    if (line.startsWith(delimiter, i)) {
      ends.push(i);
      i += delimiter.length;
      starts.push(i);
      equals.push(-1);
      continue;
    }
    if (c === 0x3d && equals[equals.length - 1] === -1) {
      equals[equals.length - 1] = i;
    }
    i++;
  }
  ends.push(length);
  if (i > length) {
    throw new AuditLineSyntaxError("incomplete escape at the end of the line", length - 1);
  }
  const eventId = unescapeField(line, starts[0] as number, ends[0] as number);
  const attributes: Array<readonly [string | undefined, string | null]> = [];
  for (let f = 1; f < starts.length; f++) {
    const start = starts[f] as number;
    const end = ends[f] as number;
    let name: string | undefined;
    let valueStart = start;
    if (includeAttributeNames) {
      const eq = equals[f] as number;
      if (eq < 0) {
        throw new AuditLineSyntaxError(`attribute ${f} has no "="`, start);
      }
      name = unescapeField(line, start, eq);
      valueStart = eq + 1;
    }
    const isNull = end - valueStart === 2 && line.charCodeAt(valueStart) === 0x5c && line.charCodeAt(valueStart + 1) === 0x4e;
    attributes.push([name, isNull ? null : unescapeField(line, valueStart, end)]);
  }
  return { eventId, attributes };
}
