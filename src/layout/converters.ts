/**
 * The conversion words of the pattern layout, each compiled once into a string (when it is the
 * same for every event) or a small closure: `%level`, `%logger`, `%d`, `%X`/`%mdc`, `%lmdc`,
 * `%replace`/`%ereplace`, the messages, and logback's format modifiers (`%-5level`, `%.10msg`)
 * applied in the cheapest way. What each word prints is documented on `compilePatternLayout`
 * (`./compile.ts`), which picks the converter for each node of the tree of `./syntax.ts`.
 *
 * @module
 */
import type { Level } from "../facade/level.js";
import { levelName } from "../facade/level.js";
import { RegexSyntaxError, translateJavaRegex, translateJavaReplacement, type TranslatedRegex } from "../java/regex.js";
import { sanitizeText } from "../sanitize/escape.js";
import type { ConversionNode, FormatInfo, PatternParser } from "./syntax.js";

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

/** logback's `CoreConstants.ISO8601_PATTERN`. */
export const ISO8601_PATTERN = "yyyy-MM-dd HH:mm:ss,SSS";

/** One compiled conversion: the text of one event. */
export type Converter = (event: LayoutEvent) => string;
/** A compiled piece of a pattern: a string when it is the same for every event. */
export type Part = string | Converter;

/**
 * What the converters need from the compiler: the parser (whose errors name the pattern and a
 * position in it) and the factory behind `%d`.
 */
export interface ConverterContext {
  readonly parser: PatternParser;
  readonly createDateFormatter: (
    pattern: string,
    timeZone: string | undefined,
    locale: string | undefined,
  ) => (epochMillis: number) => string;
}

/** `%m`/`%msg`/`%message`. */
export const MESSAGE: Converter = (e) => e.message;
/** `%sanitisedMessage`. */
export const SANITISED_MESSAGE: Converter = (e) => sanitizeText(e.message);
const LOGGER_NAME: Converter = (e) => e.loggerName;

// ---------------------------------------------------------------------------------------------
// Format modifiers (logback's FormattingConverter)

/** Pads or truncates one text as the modifier says. */
export function formatString(text: string, format: FormatInfo): string {
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
export function applyFormat(part: Part, format: FormatInfo | undefined): Part {
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

/** `%level`: a table of the five names, the modifier applied once. */
export function levelConverter(format: FormatInfo | undefined): Converter {
  const table = LEVEL_NAMES.map((name) => (format === undefined ? name : formatString(name, format)));
  return (e) => table[e.level] as string;
}

/** `%logger{length}`: abbreviated as logback 1.2 does, the last name remembered. */
export function loggerConverter(node: ConversionNode, context: ConverterContext): Part {
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

/** `%d{pattern, zone, locale}`: the formatter made once, the last millisecond remembered. */
export function dateConverter(node: ConversionNode, context: ConverterContext): Converter {
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

/** `%X{key:-default}`, or all entries. */
export function mdcConverter(node: ConversionNode): Converter {
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

/** Open-Xchange's `%lmdc{key:-default}`, or all entries one per line. */
export function lmdcConverter(node: ConversionNode): Converter {
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

/** `%replace(child){regex, replacement}` (`%ereplace` when `extended`); `child` is the compiled sub-pattern. */
export function replaceConverter(node: ConversionNode, child: Part, context: ConverterContext, extended: boolean): Part {
  const name = `%${node.word}`;
  const options = node.options ?? [];
  const regexOption = options[0];
  const replacementOption = options[1];
  if (regexOption === undefined || replacementOption === undefined) {
    throw context.parser.error(`"${name}" needs two options {regex, replacement}, got ${options.length}`, node.position);
  }
  let translated: TranslatedRegex;
  try {
    translated = translateJavaRegex(regexOption.value);
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
    replacement = translateJavaReplacement(javaReplacement, translated);
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

