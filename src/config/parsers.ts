/**
 * The value parsers of the configuration keys, built from a few shared combinators (a whole
 * number in a range, one of some words, a boolean, a size, a zone, a locale, a path, a level,
 * a glob list, a rate…), so that one idea is parsed one way wherever a key uses it. A parser
 * never throws: it gives the value or the `expected …` text of the problem.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { LEVEL_IDS, parseLevel, type Level } from "../facade/level.js";
import { parseFileSize } from "../java/file-size.js";
import { parseJavaLocale } from "../java/locale.js";
import { parseJavaTimeZone, type JavaTimeZone } from "../java/zone.js";

/** What a parser made of a value: the value, or what was expected instead. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

/** What a parser may need besides the text. */
export interface ParseContext {
  /** The folder relative paths are resolved against (the properties file's). */
  readonly baseDir: string;
}

/**
 * Turns the text of one key (after `.properties` unescaping; the default when the key is absent
 * or empty) into its value.
 *
 * @example
 * ```ts
 * wholeNumber(1, 10, "expected 1 to 10")(" 7 ", { baseDir: "/" }); // { ok: true, value: 7 }
 * ```
 */
export type Parser<T> = (text: string, context: ParseContext) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = (expected: string): Parsed<never> => ({ ok: false, expected });

/** The part of a parser's message after its `Invalid thing "value": ` prefix (the problem shows the value already). */
export function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[^"]*"(?:[^"\\]|\\.)*": /, "");
}

/** Removes one pair of surrounding quotes (`"|"`, `', '`), which keep the spaces inside. */
export function unquote(text: string): string {
  if (text.length >= 2) {
    const first = text.charAt(0);
    if ((first === '"' || first === "'") && text.charAt(text.length - 1) === first) {
      return text.slice(1, -1);
    }
  }
  return text;
}

/**
 * A whole number from `min` to `max` in decimal digits (at most `digits` of them: by default as
 * many as `max` has, so no 20-digit number is ever converted).
 *
 * @example
 * ```ts
 * wholeNumber(1, 10000, "expected a whole number of archives from 1 to 10000")("99", ctx); // 99
 * ```
 */
export function wholeNumber(min: number, max: number, expected: string, digits = String(max).length): Parser<number> {
  const shape = new RegExp(`^[0-9]{1,${digits}}$`);
  return (text) => {
    const t = text.trim();
    const n = shape.test(t) ? Number(t) : NaN;
    return n >= min && n <= max ? ok(n) : no(expected);
  };
}

/**
 * One of some words (any case, trimmed), given as the canonical word; `aliases` maps other
 * accepted words onto them (`true` → `gzip`).
 *
 * @example
 * ```ts
 * oneOf(["never", "rotation", "always"], "expected never, rotation or always")("ALWAYS", ctx); // "always"
 * ```
 */
export function oneOf<const W extends string>(words: readonly W[], expected: string, aliases: Readonly<Record<string, W>> = {}): Parser<W> {
  return (text) => {
    const t = text.trim().toLowerCase();
    if ((words as readonly string[]).includes(t)) return ok(t as W);
    const alias = Object.hasOwn(aliases, t) ? aliases[t] : undefined;
    return alias !== undefined ? ok(alias) : no(expected);
  };
}

/**
 * `true` or `false`, any case.
 *
 * @example
 * ```ts
 * boolean()("TRUE", ctx); // true
 * ```
 */
export function boolean(expected = "expected true or false"): Parser<boolean> {
  const word = oneOf(["true", "false"], expected);
  return (text, context) => {
    const parsed = word(text, context);
    return parsed.ok ? ok(parsed.value === "true") : parsed;
  };
}

/**
 * A size in bytes as logback writes it: a number, optionally with KB, MB or GB (1KB = 1024).
 *
 * @example
 * ```ts
 * size("expected a size")("10MB", ctx); // 10485760
 * ```
 */
export function size(expected: string): Parser<number> {
  return (text) => {
    const bytes = parseFileSize(text);
    return bytes === undefined ? no(expected) : ok(bytes);
  };
}

/**
 * A Java time zone id (`GMT`, `UTC`, `GMT+2`, `Europe/Berlin`); the problem is the zone parser's.
 *
 * @example
 * ```ts
 * zone()("GMT+02:00", ctx); // { id: "GMT+02:00", … }
 * ```
 */
export function zone(): Parser<JavaTimeZone> {
  return (text) => {
    try {
      return ok(parseJavaTimeZone(text.trim()));
    } catch (error) {
      return no(reason(error));
    }
  };
}

/**
 * A Java locale (`en_US`, `de-DE`, `fr`), as a BCP-47 tag; the problem is the locale parser's.
 *
 * @example
 * ```ts
 * locale()("de_DE", ctx); // "de-DE"
 * ```
 */
export function locale(): Parser<string> {
  return (text) => {
    try {
      return ok(parseJavaLocale(text.trim()));
    } catch (error) {
      return no(reason(error));
    }
  };
}

/**
 * A level name (`trace` … `error`, any case).
 *
 * @example
 * ```ts
 * level()("WARN", ctx); // Level.WARN
 * ```
 */
export function level(): Parser<Level> {
  return (text) => {
    const parsed = parseLevel(text);
    return parsed === undefined ? no(`expected one of ${LEVEL_IDS.join(", ")}`) : ok(parsed);
  };
}

/**
 * A path, trimmed, resolved against the properties file's folder when relative; empty stays
 * empty (it means "none").
 *
 * @example
 * ```ts
 * path()("logs/audit.log", { baseDir: "/etc/app" }); // "/etc/app/logs/audit.log"
 * ```
 */
export function path(): Parser<string> {
  return (text, context) => {
    const t = text.trim();
    return ok(t === "" || isAbsolute(t) ? t : resolve(context.baseDir, t));
  };
}

/**
 * Text as written: trimmed (or not), with one pair of surrounding quotes removed (or not).
 *
 * @example
 * ```ts
 * text({ unquote: true })(' ", " ', ctx); // ", "
 * ```
 */
export function text(options: { readonly trim?: boolean; readonly unquote?: boolean; readonly lowerCase?: boolean } = {}): Parser<string> {
  return (value) => {
    let t = options.trim === false ? value : value.trim();
    if (options.unquote === true) t = unquote(t);
    return ok(options.lowerCase === true ? t.toLowerCase() : t);
  };
}

/**
 * A comma-separated list of words or globs, each trimmed, empty ones left out (`lowerCase`:
 * lower-cased too). Never fails; an empty list is empty.
 *
 * @example
 * ```ts
 * list()(" ox.*, audit-? ,", ctx); // ["ox.*", "audit-?"]
 * ```
 */
export function list(options: { readonly lowerCase?: boolean } = {}): Parser<readonly string[]> {
  return (value) =>
    ok(
      value
        .split(",")
        .map((w) => (options.lowerCase === true ? w.trim().toLowerCase() : w.trim()))
        .filter((w) => w !== ""),
    );
}

/** A rate: at most `count` records per `intervalMs`. */
export interface Rate {
  readonly count: number;
  readonly intervalMs: number;
}

const RATE = /^([0-9]{1,9})\s*\/\s*([0-9]{0,6})\s*(s|sec|second|m|min|minute|h|hour)$/i;

/**
 * Records per interval: `100/s`, `1000/m`, `5000/h`, `50/10s`; empty: no limit (`undefined`).
 *
 * @example
 * ```ts
 * rate("expected …")("50/10s", ctx); // { count: 50, intervalMs: 10000 }
 * ```
 */
export function rate(expected: string): Parser<Rate | undefined> {
  return (value) => {
    const t = value.trim();
    if (t === "") return ok(undefined);
    const match = RATE.exec(t);
    const count = match === null ? 0 : Number(match[1]);
    const times = match === null || match[2] === "" ? 1 : Number(match[2]);
    const unit = (match?.[3] ?? "s").charAt(0).toLowerCase();
    if (match === null || count < 1 || times < 1) return no(expected);
    return ok({ count, intervalMs: times * (unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000) });
  };
}

const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11, ntp: 12, audit: 13, alert: 14, clock: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/**
 * A syslog facility: 0 to 23 or its name (`auth`, `local0` …).
 *
 * @example
 * ```ts
 * facility()("local3", ctx); // 19
 * ```
 */
export function facility(): Parser<number> {
  return (value) => {
    const t = value.trim().toLowerCase();
    const n = /^[0-9]+$/.test(t) ? Number(t) : Object.hasOwn(FACILITIES, t) ? (FACILITIES[t] as number) : NaN;
    return n >= 0 && n <= 23 ? ok(n) : no(`expected 0 to 23 or one of ${Object.keys(FACILITIES).join(", ")}`);
  };
}
