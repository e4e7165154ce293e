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
 *   newlines included, are kept (use octet-counting framing). A `null` value is omitted from the
 *   structured data (MSG carries it as `\N`). No attributes (or only nulls): SD is `-`.
 * - MSG: the plain audit line ({@link plainLine}). The UTF-8 BOM is written when `bom` is
 *   `"always"`, or (default `"auto"`) when MSG holds a non-ASCII character; `"never"` leaves it out.
 *   `msg: false` omits MSG.
 * - Lone surrogates anywhere are replaced by U+FFFD before counting bytes.
 * - `maxBytes`: a longer message is cut, counting UTF-8 bytes, and stays well-formed:
 *   if the header and the whole structured data fit, MSG is cut at a character boundary and ends
 *   with {@link TRUNCATION_MARKER}; otherwise the structured data keeps the params that fit, the
 *   first one that does not fit is cut inside its value at a character boundary and never inside
 *   a `\x` escape (dropped if nothing of its value fits), the SD-ELEMENT is closed and MSG is
 *   the marker alone (ASCII, no BOM).
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

function validateSdId(sdId: string): void {
  // SD-ID is an SD-NAME; with '@' a private id: name@digits.
  const ok = /^[\x21-\x7e]{1,32}$/.test(sdId) && !/[=\]" ]/.test(sdId) && /^[^@]+(@[0-9]+(\.[0-9]+)*)?$/.test(sdId);
  if (!ok) throw new RangeError(`sdId must be an SD-NAME (1-32 printable ASCII, no = ] " or space) or name@PEN, got ${JSON.stringify(sdId)}`);
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
  const maxBytes = options.maxBytes;
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < RFC5424_MIN_MAX_BYTES)) {
    throw new RangeError(`maxBytes must be a whole number from ${RFC5424_MIN_MAX_BYTES}, got ${String(maxBytes)}`);
  }
  const bomMode = options.bom ?? "auto";
  if (bomMode !== "auto" && bomMode !== "always" && bomMode !== "never") {
    throw new RangeError(`bom must be "auto", "always" or "never", got ${String(bomMode)}`);
  }
  const withMsg = options.msg ?? true;

  return (event: AuditEvent): string => {
    const pri = facility * 8 + syslogSeverity(event.level);
    const header =
      `<${pri}>1 ${isoTimestamp(event.timestamp) ?? "-"} ${headerField(event.hostname, 255)} ` +
      `${headerField(event.appName, 48)} ${headerField(event.procId, 128)} ${headerField(event.eventId, 32)}`;
    // [name, escaped value] per non-null attribute.
    const params: Array<readonly [string, string]> = [];
    event.attributes.forEach(([name, value], index) => {
      if (value !== null) params.push([paramName(name, index), escapeParamValue(wellFormed(value))]);
    });
    let sd = "-";
    if (params.length > 0) {
      sd = "[" + sdId;
      for (const [name, value] of params) sd += ` ${name}="${value}"`;
      sd += "]";
    }
    let msg = "";
    let bom = "";
    if (withMsg) {
      msg = wellFormed(plainLine(event));
      if (bomMode === "always" || (bomMode === "auto" && /[^\x00-\x7f]/.test(msg))) bom = BOM;
    }
    const full = header + " " + sd + (withMsg ? " " + bom + msg : "");
    if (maxBytes === undefined || bytes(full) <= maxBytes) return full;

    // Cut inside MSG when header and SD fit.
    const base = header + " " + sd + " " + bom;
    const room = maxBytes - bytes(base) - TRUNCATION_MARKER.length;
    if (withMsg && room >= 0) return base + cutPrefix(msg, room, false) + TRUNCATION_MARKER;

    // Cut inside the structured data.
    const tail = " " + TRUNCATION_MARKER;
    if (params.length === 0) return header + " -" + tail;
    let out = header + " [" + sdId;
    for (const [name, value] of params) {
      const param = ` ${name}="${value}"`;
      if (bytes(out) + bytes(param) + 1 + tail.length <= maxBytes) {
        out += param;
        continue;
      }
      const open = ` ${name}="`;
      const left = maxBytes - bytes(out) - open.length - 2 - tail.length;
      if (left > 0) {
        const kept = cutPrefix(value, left, true);
        if (kept !== "") out += open + kept + '"';
      }
      break;
    }
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
