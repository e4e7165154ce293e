/**
 * RFC 5424 syslog messages for audit events, and RFC 6587 octet-counting framing.
 *
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID name="value"…] MSG`
 *
 * Choices (documented, deterministic):
 * - PRI = facility × 8 + severity, severity from {@link syslogSeverity}.
 * - TIMESTAMP: RFC 3339 UTC with milliseconds; `-` when the time is not representable (not
 *   finite, or outside the years 0000-9999).
 * - HOSTNAME, APP-NAME, PROCID, MSGID (MSGID = the event id): every UTF-16 code unit outside
 *   PRINTUSASCII (33-126) is replaced by `_` (a surrogate pair gives one `_`), then the field is
 *   cut to its maximum length (255, 48, 128, 32); an empty field is written as NILVALUE `-`.
 * - Structured data: one SD-ELEMENT `[audit@32473 …]` (SD-ID configurable) with one SD-PARAM per
 *   attribute, in order; duplicates are kept (RFC 5424 allows repeated PARAM-NAMEs).
 *   A valid PARAM-NAME (1-32 PRINTUSASCII, none of `=`, space, `]`, `"`, and — reserved by us —
 *   no `~`) is kept as is. Any other name is mapped to its characters with every invalid one
 *   replaced by `_` (an empty name gives `_`), cut so that the suffix fits, plus `~N` where N is
 *   the 1-based position of the attribute; since `~` never occurs in a kept name, a mapped name
 *   is recognisable and N points at the original name in MSG (the plain audit line keeps it).
 * - PARAM-VALUE: UTF-8 with `"`, `\` and `]` escaped by a backslash (§6.3.3). Other characters,
 *   newlines included, are kept (use octet-counting framing), unless `lineBreaks` is `"escape"`
 *   (newline framing, one record a line): then LF is written `\n` and CR `\r` (a backslash
 *   before a character other than `"`, `\` and `]` is kept literally by RFC 5424 receivers; a
 *   real backslash is `\\`, so the two never mix). A `null` value is omitted from the
 *   structured data (MSG carries it as `\N`). No attributes (or only nulls): SD is `-`.
 * - Optional SD-ELEMENTs before the audit one (so a cut never reaches them):
 *   `[meta sequenceId="N"]` (§7.3.1: 1 to 2147483647, then 1 again; from the `sequence`
 *   option) and `[origin software="…" swVersion="…"]` (§7.2).
 * - A value cut to fit `maxBytes` ends with the marker inside the value, written
 *   `...[truncated\]` (its `]` escaped; a receiver reads `...[truncated]`), so a receiver that
 *   reads only the structured data sees the cut too.
 * - MSG: the plain audit line ({@link plainLine}). The UTF-8 BOM is written when `bom` is
 *   `"always"`, or (default `"auto"`) when MSG holds a non-ASCII character; `"never"` leaves it out.
 *   `msg: false` omits MSG.
 * - Lone surrogates anywhere are replaced by U+FFFD before counting bytes.
 * - `maxBytes`: a longer message is cut, counting UTF-8 bytes, and stays well-formed:
 *   if the header and the whole structured data fit, MSG is cut at a character boundary and ends
 *   with {@link TRUNCATION_MARKER}; otherwise the structured data keeps the params that fit, the
 *   first one that does not fit is cut inside its value at a character boundary and never inside
 *   a `\x` escape, and ends with the marker (dropped if nothing of its value fits beside the
 *   marker); the params after it are left out, the SD-ELEMENT is closed and MSG is the marker
 *   alone (ASCII, no BOM).
 */
import { isoTimestamp, plainLine, syslogSeverity, wellFormed, type AuditEvent } from "./event.js";

/** Options of {@link compileRfc5424}. */
export interface Rfc5424Options {
  /** Syslog facility 0-23; default 13 ("log audit"). */
  readonly facility?: number;
  /** Maximum size of the whole message in bytes (UTF-8), from {@link RFC5424_MIN_MAX_BYTES}; default: no limit. */
  readonly maxBytes?: number;
  /** SD-ID of the one SD-ELEMENT; default `audit@32473` (the documentation PEN). */
  readonly sdId?: string;
  /** When to start MSG with the UTF-8 BOM; default `"auto"` (only when MSG is not pure ASCII). */
  readonly bom?: "auto" | "always" | "never";
  /** Whether to write MSG (the plain audit line); default true. */
  readonly msg?: boolean;
  /** `"keep"` (default; octet-counting framing) or `"escape"`: LF and CR in values written `\n` and `\r`, so a record is one line (newline framing). */
  readonly lineBreaks?: "keep" | "escape";
  /** Gives the next `[meta sequenceId=…]` of each message (1 to 2147483647); no meta element without it. */
  readonly sequence?: () => number;
  /** `[origin software=… swVersion=…]` (RFC 5424 §7.2): software 1-48 characters, swVersion 1-32 (only with software). */
  readonly origin?: { readonly software: string; readonly swVersion?: string | undefined };
}

/** The marker that ends a cut message. */
export const TRUNCATION_MARKER = "...[truncated]";

/**
 * The smallest accepted `maxBytes`: the longest possible header (`<191>1 `, a 24-character
 * timestamp, the four header fields at their maximum lengths, separators) plus ` - ` and the
 * marker, so that every event fits in a well-formed, marked message.
 *
 * @example
 * ```ts
 * RFC5424_MIN_MAX_BYTES; // 515
 * ```
 */
export const RFC5424_MIN_MAX_BYTES = 7 + 25 + 256 + 49 + 129 + 32 + 3 + TRUNCATION_MARKER.length;

const BOM = "\uFEFF";
/** The marker as it ends a cut PARAM-VALUE: its `]` escaped (§6.3.3); a receiver reads `...[truncated]`. */
const VALUE_MARKER = "...[truncated\\]";
const DEFAULT_SD_ID = "audit@32473";

/**
 * A header field: code units outside 33-126 become `_`, cut to `max`, empty → `-`.
 *
 * @example
 * ```ts
 * headerField("my host", 255); // "my_host"
 * headerField("", 48); // "-"
 * ```
 */
export function headerField(text: string, max: number): string {
  const field = text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\x21-\x7e]/g, "_").slice(0, max);
  return field === "" ? "-" : field;
}

const VALID_NAME = /^[\x21-\x7e]{1,32}$/;
const INVALID_NAME_CHAR = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\x21-\x7e]|[=\]"~ ]/g;

/**
 * The PARAM-NAME written for the attribute at 0-based `index` (see the module comment).
 *
 * @example
 * ```ts
 * paramName("login", 0); // "login"
 * paramName("a=b", 2); // "a_b~3"
 * ```
 */
export function paramName(name: string, index: number): string {
  if (VALID_NAME.test(name) && !/[=\]"~ ]/.test(name)) return name;
  const suffix = "~" + String(index + 1);
  const base = name.replace(INVALID_NAME_CHAR, "_") || "_";
  return base.slice(0, Math.max(1, 32 - suffix.length)) + suffix;
}

/**
 * A PARAM-VALUE with `"`, `\` and `]` escaped by a backslash (RFC 5424 §6.3.3).
 *
 * @example
 * ```ts
 * escapeParamValue('a"b\\c]'); // 'a\\"b\\\\c\\]'
 * ```
 */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, "\\$&");
}

/** The SD-IDs registered with IANA (RFC 5424 §7, RFC 9742 has none more in use here): written without `@`. */
const IANA_SD_IDS = new Set(["timeQuality", "origin", "meta"]);

/**
 * Why `sdId` is not a usable SD-ID, or undefined when it is: an SD-NAME (RFC 5424 §6.3.2: 1-32
 * printable US-ASCII characters, none of `=`, space, `]`, `"`) of the private form
 * `name@<private enterprise number>` (§7.2.2: digits, optionally dotted, no leading zero), or
 * one of the IANA-registered ids this library does not write itself: none (`timeQuality`,
 * `origin` and `meta` have their own parameters, so they are refused too).
 *
 * @example
 * ```ts
 * sdIdProblem("audit@32473"); // undefined
 * sdIdProblem("audit"); // "expected name@<enterprise number> …"
 * ```
 */
export function sdIdProblem(sdId: string): string | undefined {
  const expected = 'expected an SD-ID of the form name@<private enterprise number> (RFC 5424 §6.3.2 and §7.2.2: at most 32 printable US-ASCII characters, none of = ] " or space, the name without @, the number digits and dots without leading zeros), e.g. audit@32473';
  if (sdId.length === 0 || sdId.length > 32) return `${expected}; it has ${sdId.length} characters`;
  if (/[^\x21-\x7e]|[=\]" ]/.test(sdId)) return `${expected}; it holds a character an SD-NAME cannot`;
  if (IANA_SD_IDS.has(sdId)) return `${expected}; ${sdId} is an IANA-registered SD-ID with parameters of its own`;
  if (!/^[^@]+@[1-9][0-9]*(\.(0|[1-9][0-9]*))*$/.test(sdId)) return expected;
  return undefined;
}

function validateSdId(sdId: string): void {
  const problem = sdIdProblem(sdId);
  if (problem !== undefined) throw new RangeError(`sdId ${JSON.stringify(sdId)}: ${problem}`);
}

/** The largest sequenceId (RFC 5424 §7.3.1); the next is 1 again. */
export const MAX_SEQUENCE_ID = 2_147_483_647;

/**
 * A per-target counter of `[meta sequenceId=…]`: 1, 2, … 2147483647, then 1 again
 * (RFC 5424 §7.3.1), so a receiver sees a gap where records were lost.
 *
 * @example
 * ```ts
 * const next = sequenceCounter();
 * next(); // 1
 * next(); // 2
 * ```
 */
export function sequenceCounter(start = 1): () => number {
  let next = start;
  return () => {
    const id = next;
    next = id >= MAX_SEQUENCE_ID ? 1 : id + 1;
    return id;
  };
}

/**
 * Why an origin parameter value cannot be used, or undefined (RFC 5424 §7.2.3-7.2.4: software
 * 1-48 characters, swVersion 1-32; printable, no control characters).
 *
 * @example
 * ```ts
 * originProblem("software", "slf4ts"); // undefined
 * ```
 */
export function originProblem(name: "software" | "swVersion", value: string): string | undefined {
  const max = name === "software" ? 48 : 32;
  const length = [...value].length;
  if (length < 1 || length > max) return `expected 1 to ${max} characters (RFC 5424 §7.2), got ${length}`;
  if (/[\p{Cc}\p{Cs}]/u.test(value)) return "expected printable characters, without control characters";
  return undefined;
}

/**
 * The smallest `maxBytes` for these options: {@link RFC5424_MIN_MAX_BYTES}, plus the longest
 * meta and origin elements when they are written.
 *
 * @example
 * ```ts
 * rfc5424MinMaxBytes({}); // 515
 * rfc5424MinMaxBytes({ sequence: sequenceCounter() }); // 545
 * ```
 */
export function rfc5424MinMaxBytes(options: Pick<Rfc5424Options, "sequence" | "origin">): number {
  let min = RFC5424_MIN_MAX_BYTES;
  if (options.sequence !== undefined) min += bytes(`[meta sequenceId="${MAX_SEQUENCE_ID}"]`);
  if (options.origin !== undefined) min += bytes(originElement(options.origin));
  return min;
}

function originElement(origin: NonNullable<Rfc5424Options["origin"]>): string {
  return `[origin software="${escapeParamValue(origin.software)}"${origin.swVersion === undefined ? "" : ` swVersion="${escapeParamValue(origin.swVersion)}"`}]`;
}

/** UTF-8 length of a code unit run; `text` is well-formed. */
const bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/** The longest prefix of `text` (well-formed) of at most `limit` UTF-8 bytes, ending on a character boundary and, when `escapes`, not inside a `\x` escape. */
function cutPrefix(text: string, limit: number, escapes: boolean): string {
  let used = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let width: number;
    let units: number;
    if (escapes && c === 0x5c) {
      width = 2; // "\" plus an ASCII character
      units = 2;
    } else if (c < 0x80) {
      width = 1;
      units = 1;
    } else if (c < 0x800) {
      width = 2;
      units = 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      width = 4;
      units = 2;
    } else {
      width = 3;
      units = 1;
    }
    if (used + width > limit) break;
    used += width;
    i += units;
  }
  return text.slice(0, i);
}

/** Most event ids and attribute names whose header field or PARAM-NAME a formatter keeps (then it starts again). */
const NAME_CACHE_SIZE = 1024;

/** {@link headerField} of the last text asked for. */
class HeaderFieldCache {
  private text = "";
  private field: string | undefined;

  constructor(private readonly max: number) {}

  of(text: string): string {
    if (this.field === undefined || text !== this.text) {
      this.field = headerField(text, this.max);
      this.text = text;
    }
    return this.field;
  }
}

/**
 * Compiles an RFC 5424 formatter for one configuration (options are checked once).
 * Throws a RangeError for a facility outside 0-23, an invalid SD-ID or a `maxBytes` that is not
 * a whole number from {@link RFC5424_MIN_MAX_BYTES}.
 *
 * @example
 * ```ts
 * const format = compileRfc5424({ facility: 13, maxBytes: 2048 });
 * format(event);
 * // '<110>1 2026-01-02T03:04:05.006Z mail1 slf4ts 4242 ox.login [audit@32473 login="alice"] ox.login login=alice'
 * ```
 */
export function compileRfc5424(options: Rfc5424Options = {}): (event: AuditEvent) => string {
  const facility = options.facility ?? 13;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) {
    throw new RangeError(`facility must be a whole number from 0 to 23, got ${String(facility)}`);
  }
  const sdId = options.sdId ?? DEFAULT_SD_ID;
  validateSdId(sdId);
  const origin = options.origin;
  if (origin !== undefined) {
    const problem = originProblem("software", origin.software) ?? (origin.swVersion === undefined ? undefined : originProblem("swVersion", origin.swVersion));
    if (problem !== undefined) throw new RangeError(`origin: ${problem}`);
  }
  const sequence = options.sequence;
  const minBytes = rfc5424MinMaxBytes(options);
  const maxBytes = options.maxBytes;
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < minBytes)) {
    throw new RangeError(`maxBytes must be a whole number from ${minBytes}, got ${String(maxBytes)}`);
  }
  const escapeLines = options.lineBreaks === "escape";
  if (options.lineBreaks !== undefined && options.lineBreaks !== "keep" && !escapeLines) {
    throw new RangeError(`lineBreaks must be "keep" or "escape", got ${String(options.lineBreaks)}`);
  }
  // One test per value: most values need nothing and are written as they are.
  const needs = escapeLines ? /["\\\]\r\n\uD800-\uDFFF]/ : /["\\\]\uD800-\uDFFF]/;
  const value = escapeLines
    ? (text: string): string => (needs.test(text) ? escapeParamValue(wellFormed(text)).replace(/[\r\n]/g, (c) => (c === "\n" ? "\\n" : "\\r")) : text)
    : (text: string): string => (needs.test(text) ? escapeParamValue(wellFormed(text)) : text);
  const fixedOrigin = origin === undefined ? "" : originElement(origin);
  const bomMode = options.bom ?? "auto";
  if (bomMode !== "auto" && bomMode !== "always" && bomMode !== "never") {
    throw new RangeError(`bom must be "auto", "always" or "never", got ${String(bomMode)}`);
  }
  const withMsg = options.msg ?? true;

  // The header fields of the last event: host, application and process are the target's own, so
  // they are the same record after record (one comparison each instead of a replace).
  const host = new HeaderFieldCache(255);
  const app = new HeaderFieldCache(48);
  const proc = new HeaderFieldCache(128);
  const msgIds = new Map<string, string>();
  const names = new Map<string, string>();

  return (event: AuditEvent): string => {
    const pri = facility * 8 + syslogSeverity(event.level);
    const eventId = event.eventId;
    let msgId = msgIds.get(eventId);
    if (msgId === undefined) {
      msgId = headerField(eventId, 32);
      if (msgIds.size >= NAME_CACHE_SIZE) msgIds.clear();
      msgIds.set(eventId, msgId);
    }
    const header = `<${pri}>1 ${isoTimestamp(event.timestamp) ?? "-"} ${host.of(event.hostname)} ${app.of(event.appName)} ${proc.of(event.procId)} ${msgId}`;
    // The SD-PARAMs of the non-null attributes, written straight into the element.
    const attributes = event.attributes;
    let elements = "";
    for (let index = 0; index < attributes.length; index++) {
      const [name, text] = attributes[index] as readonly [string, string | null];
      if (text === null) continue;
      // A kept name is the same at any position, so it is looked up once (a mapped one has its position in it).
      let param = names.get(name);
      if (param === undefined) {
        param = paramName(name, index);
        if (param === name) {
          if (names.size >= NAME_CACHE_SIZE) names.clear();
          names.set(name, param);
        }
      }
      elements += " " + param + '="' + value(text) + '"';
    }
    // The meta and origin elements come first: a cut never reaches them.
    const fixed = (sequence === undefined ? "" : `[meta sequenceId="${sequence()}"]`) + fixedOrigin;
    const sd = elements !== "" ? fixed + "[" + sdId + elements + "]" : fixed === "" ? "-" : fixed;
    let msg = "";
    let bom = "";
    if (withMsg) {
      msg = wellFormed(plainLine(event));
      if (bomMode === "always" || (bomMode === "auto" && /[^\x00-\x7f]/.test(msg))) bom = BOM;
    }
    const full = header + " " + sd + (withMsg ? " " + bom + msg : "");
    // At most 3 UTF-8 bytes per UTF-16 code unit: most messages fit without counting their bytes.
    if (maxBytes === undefined || full.length * 3 <= maxBytes || bytes(full) <= maxBytes) return full;

    // Cut inside MSG when header and SD fit.
    const base = header + " " + sd + " " + bom;
    const room = maxBytes - bytes(base) - TRUNCATION_MARKER.length;
    if (withMsg && room >= 0) return base + cutPrefix(msg, room, false) + TRUNCATION_MARKER;

    // Cut inside the structured data: [name, escaped value] per non-null attribute.
    const params: Array<readonly [string, string]> = [];
    attributes.forEach(([name, text], index) => {
      if (text !== null) params.push([paramName(name, index), value(text)]);
    });
    const tail = " " + TRUNCATION_MARKER;
    if (params.length === 0) return header + " " + (fixed === "" ? "-" : fixed) + tail;
    const start = header + " " + fixed + "[" + sdId;
    let out = start;
    for (const [name, value] of params) {
      const param = ` ${name}="${value}"`;
      if (bytes(out) + bytes(param) + 1 + tail.length <= maxBytes) {
        out += param;
        continue;
      }
      // The cut value ends with the marker: the cut shows in the structured data too.
      const open = ` ${name}="`;
      const left = maxBytes - bytes(out) - open.length - 2 - VALUE_MARKER.length - tail.length;
      if (left > 0) {
        const kept = cutPrefix(value, left, true);
        if (kept !== "") out += open + kept + VALUE_MARKER + '"';
      }
      break;
    }
    // Not even a cut first value fits: no audit element (an SD-ELEMENT without params would not
    // be within the minimum maxBytes with the longest header and SD-ID).
    if (out === start) return header + " " + (fixed === "" ? "-" : fixed) + tail;
    return out + "]" + tail;
  };
}

/**
 * Formats one event as an RFC 5424 message (compiles the options on every call: prefer
 * {@link compileRfc5424} for many events).
 *
 * @example
 * ```ts
 * formatRfc5424(event, { facility: 13 });
 * // '<110>1 2026-01-02T03:04:05.006Z mail1 slf4ts 4242 ox.login [audit@32473 login="alice"] ox.login login=alice'
 * ```
 */
export function formatRfc5424(event: AuditEvent, options: Rfc5424Options = {}): string {
  return compileRfc5424(options)(event);
}

/**
 * RFC 6587 octet-counting framing (the only framing RFC 5425 allows): `MSG-LEN SP MSG`, where
 * MSG-LEN is the length of MSG in UTF-8 bytes.
 *
 * @example
 * ```ts
 * frameOctetCounting("<110>1 - - - - - - é"); // "21 <110>1 - - - - - - é"
 * ```
 */
export function frameOctetCounting(message: string): string {
  return `${Buffer.byteLength(message, "utf8")} ${message}`;
}
