/**
 * The one table of configuration keys: for every key of the audit logger and every option of a
 * target, its default, its parser (built from the combinators of `parsers.ts`), whether a reload
 * applies it, and its documentation. The typed values, the reload fingerprint, `docs/keys.md`
 * and the checks of `etc/slf4j-auditlog.properties` all come from here, so a new key is added
 * in one place.
 *
 * One cohesive thing over ~600 lines would be a smell; this file is mostly the documentation of
 * each key, kept beside its parser on purpose.
 *
 * @module
 */
import type { Level } from "../facade/level.js";
import type { JavaTimeZone } from "../java/zone.js";
import { UNSAFE_CHARACTER } from "../sanitize/escape.js";
import { parseEcsCategorization, type EcsCategorization } from "../format/ecs.js";
import { compileTemplate, type MessageTemplate } from "../format/template.js";
import { boolean, facility, level, list, locale, oneOf, path, rate, size, text, wholeNumber, zone, type Parser, type Rate } from "./parsers.js";

/** The prefix of every key this library reads. */
export const KEY_PREFIX = "com.openexchange.log.audit.slf4j.";

/** One configuration key: its name after the prefix, default, parser and documentation. */
export interface KeySpec<T = unknown> {
  /** The key without {@link KEY_PREFIX}. */
  readonly name: string;
  /** The default, as it would be written in the file. */
  readonly defaultValue: string;
  /** What the key does (docs/keys.md; etc/slf4j-auditlog.properties says it in its own words). */
  readonly doc: string;
  /** The values it accepts, with an example (Markdown, as in docs/keys.md). */
  readonly values: string;
  /** A valid value other than the default (shown in the docs; the tests set it to see it matter). */
  readonly example: string;
  /** Turns the text (the default when the key is absent or empty) into the value, or says what was expected. */
  readonly parse: Parser<T>;
  /** Whether a reload of the properties file applies a change of it (every key does today). */
  readonly reloads: boolean;
  /** Whether an empty value means the default (true for every key except `mask.names`, where it masks nothing). */
  readonly emptyMeansDefault: boolean;
  /** Whether the key is ours, not one of Open-Xchange's original keys (a file without it gets the default). */
  readonly ours: boolean;
  /** The value as the reload fingerprint sees it (JSON); by default the value itself. */
  readonly canonical?: (value: T) => unknown;
}

/** Declares a key; its value type comes from its parser. */
function key<const N extends string, T>(
  spec: Omit<KeySpec<T>, "reloads" | "emptyMeansDefault" | "ours"> & { readonly name: N } & Partial<Pick<KeySpec<T>, "reloads" | "emptyMeansDefault" | "ours">>,
): KeySpec<T> & { readonly name: N } {
  return { reloads: true, emptyMeansDefault: true, ours: false, ...spec };
}

const delimiter: Parser<string> = (value, context) => {
  const parsed = text({ unquote: true })(value, context);
  const d = parsed.ok ? parsed.value : "";
  return d === "" || d.includes("\\") || d.includes("=") || UNSAFE_CHARACTER.test(d)
    ? { ok: false, expected: "expected a non-empty delimiter without \\, = or control characters (quotes keep spaces: \", \")" }
    : { ok: true, value: d };
};

/**
 * Every key the library knows, in the order of the shipped properties file.
 *
 * @example
 * ```ts
 * CONFIG_KEYS.map((k) => KEY_PREFIX + k.name);
 * ```
 */
export const CONFIG_KEYS = [
  key({
    name: "enabled",
    defaultValue: "false",
    doc: "Turns audit logging on (true) or off (false).",
    values: "`true`, `false` (any case)",
    example: "true",
    parse: boolean(),
  }),
  key({
    name: "level",
    defaultValue: "info",
    doc: "The level of every audit record: trace, debug, info, warn or error.",
    values: "`trace`, `debug`, `info`, `warn`, `error` (any case)",
    example: "warn",
    parse: level(),
  }),
  key({
    name: "delimiter",
    defaultValue: '", "',
    doc: 'The text between the event id and each attribute. Surrounding quotes are removed, so "|" or ", " keep their spaces. Must not be empty or contain \\, = or control characters. A value that contains the delimiter\'s first character is escaped with a backslash, so every line reads back exactly (parseAuditLine).',
    values: 'any non-empty text without `\\`, `=` or control characters; quotes are removed and keep spaces: `"|"`',
    example: '"|"',
    parse: delimiter,
  }),
  key({
    name: "includeAttributeNames",
    defaultValue: "true",
    doc: "Write attributes as name=value (true) or the value alone (false).",
    values: "`true`, `false`",
    example: "false",
    parse: boolean(),
  }),
  key({
    name: "date.pattern",
    defaultValue: "",
    doc: "A Java SimpleDateFormat pattern for Date values, e.g. yyyy-MM-dd HH:mm:ss.SSS z. Empty: ISO-8601 in UTC without milliseconds (2016-06-10T10:31:10Z); then date.locale and date.timezone do not matter.",
    values: "*(empty: ISO-8601 UTC, `2016-06-10T10:31:10Z`)* or a SimpleDateFormat pattern: `yyyy-MM-dd HH:mm:ss.SSS z`",
    example: "yyyy-MM-dd HH:mm:ss.SSS z",
    parse: text({ trim: false }),
  }),
  key({
    name: "date.locale",
    defaultValue: "en_US",
    doc: "The locale of month, weekday and zone names in date.pattern: en_US, de_DE, de-DE, fr, ...",
    values: "`de_DE`, `de-DE`, `fr`, … (a language Node has data for)",
    example: "de_DE",
    parse: locale(),
  }),
  key({
    name: "date.timezone",
    defaultValue: "GMT",
    doc: "The time zone of date.pattern: an IANA id (Europe/Berlin), UTC, GMT, or GMT+hh:mm / GMT-hhmm.",
    values: "IANA ids (`Europe/Berlin`), `UTC`, `GMT`, `GMT+2`, `GMT+02:00`, `GMT-0800`, `UTC+2`",
    example: "Europe/Berlin",
    parse: zone(),
    canonical: (z: JavaTimeZone) => z.id,
  }),
  key({
    name: "file.location",
    defaultValue: "",
    doc: "Empty: standard mode (records go through the host's logging, log4js by default, under the logger com.openexchange.log.audit.AuditLogService). A path: dedicated mode, records go to this file and its archives .1 (newest) to .N (oldest). A relative path is resolved against the folder of this properties file. A location that can never be written is refused when the configuration is applied: /dev/stdout and /dev/stderr (use a console target), anything under /proc or /sys, a file where a folder should be, a folder, no permission (docs/files.md).",
    values: "*(empty: standard mode)* or a path: `/var/log/open-xchange/slf4j-auditlog.log`; relative paths are resolved against the folder of the properties file",
    example: "/var/log/open-xchange/slf4j-auditlog.log",
    parse: path(),
  }),
  key({
    name: "file.size",
    defaultValue: "2097152",
    doc: "The size at which the file is rotated: bytes, or a number with KB, MB or GB (1KB = 1024 bytes).",
    values: "bytes, or `512KB`, `10MB`, `1GB` (1KB = 1024)",
    example: "10MB",
    parse: size("expected a size in bytes greater than 0, optionally with KB, MB or GB (e.g. 2097152, 512KB, 10MB)"),
  }),
  key({
    name: "file.count",
    defaultValue: "99",
    doc: "How many archives (.1 newest to .N oldest) are kept, from 1 to 10000.",
    values: "1 to 10000 archives",
    example: "10",
    parse: wholeNumber(1, 10000, "expected a whole number of archives from 1 to 10000"),
  }),
  key({
    name: "file.pattern",
    defaultValue: "%sanitisedMessage%n",
    doc: "The logback pattern of each line in dedicated mode. Surrounding quotes are removed. Each record stays one line: line breaks and controls the pattern writes before its final %n (%ereplace to %n, %lmdc, a %n in the middle) are escaped (\\n). A %replace/%ereplace regex that can backtrack catastrophically, e.g. (x+x+)+y or (a|aa)+, or has a back-reference is refused.",
    values: "a logback pattern: `%d{HH:mm:ss.SSS, UTC} %-5level %msg%n`",
    example: "%d{yyyy-MM-dd HH:mm:ss.SSS, UTC} %-5level %sanitisedMessage%n",
    parse: text({ unquote: true }),
  }),
  key({
    name: "file.fsync",
    defaultValue: "never",
    doc: "When written records are also forced to the disk (fsync), for power-loss durability: never (records are in the operating system when log() returns, which survives a crash of the process), rotation (before a file is rotated and on shutdown), or always (every record; much slower, see bench/RESULTS.md).",
    values: "`never`, `rotation` (before a rotation and at shutdown), `always` (every record)",
    example: "rotation",
    parse: oneOf(["never", "rotation", "always"], "expected never, rotation or always"),
    ours: true,
  }),
  key({
    name: "file.durability",
    defaultValue: "sync",
    doc: "sync: every record is handed to the operating system before log() returns (one write per record); nothing is lost when the process crashes. batched: records are written together, at most file.durability.maxDelayMs later or once 64 KiB wait (then log() writes them itself: back-pressure, so memory stays bounded); faster, but a SIGKILL or crash loses the records of that last moment.",
    values: "`sync` (one write per record, on the OS when `log()` returns), `batched` (written together within `maxDelayMs`)",
    example: "batched",
    parse: oneOf(["sync", "batched"], "expected sync or batched"),
    ours: true,
  }),
  key({
    name: "file.durability.maxDelayMs",
    defaultValue: "5",
    doc: "With file.durability=batched, the longest a record waits before it is written, in milliseconds (1 to 1000).",
    values: "1 to 1000",
    example: "20",
    parse: wholeNumber(1, 1000, "expected a whole number of milliseconds from 1 to 1000"),
    ours: true,
  }),
  key({
    name: "file.multiprocess",
    defaultValue: "auto",
    doc: "Several processes (cluster or PM2 workers) write the same file.location: true coordinates rotation between them with a lock file (file.location + \".lock\"), so each rotation happens once, and follows rotations done by the others; auto turns it on in cluster workers and PM2 instances; false is for a single process. Whatever the value, a process that sees another process write the file (bytes it did not write) takes this protocol from then on, and rotation is always done under the lock.",
    values: "`true` (several processes write this file), `false`, `auto` (on in cluster workers and PM2 instances, and in any process once it sees another process write the file)",
    example: "true",
    parse: oneOf(["auto", "true", "false"], "expected auto, true or false"),
    ours: true,
  }),
  key({
    name: "mask.names",
    defaultValue: "password, passwd, pwd, secret, token, authorization, cookie, credential, api_key, api-key, apikey, private_key",
    doc: "Attributes whose name contains one of these words (case-insensitive, comma-separated) have their value masked before any output sees it. Empty masks nothing (the one key where an empty value does not mean the default).",
    values: "words, comma-separated; empty masks nothing",
    example: "password, pin",
    parse: list({ lowerCase: true }),
    emptyMeansDefault: false,
    ours: true,
  }),
  key({
    name: "mask.keep",
    defaultValue: "0",
    doc: "How many leading characters of a masked value stay visible (0: none); the rest is replaced by ****, whatever its length.",
    values: "leading characters of a masked value left visible, 0 to 1000",
    example: "2",
    parse: wholeNumber(0, 1000, "expected a whole number of characters from 0 to 1000"),
    ours: true,
  }),
  key({
    name: "record.maxLength",
    defaultValue: "65536",
    doc: "The longest record message, in characters; a longer one is cut on a character boundary and ends with a visible marker ...[truncated N characters].",
    values: "characters, 256 to 1073741824",
    example: "4096",
    parse: wholeNumber(256, 1_073_741_824, "expected a whole number of characters from 256 to 1073741824"),
    ours: true,
  }),
  key({
    name: "record.maxAttributes",
    defaultValue: "256",
    doc: "The most attributes written per record, from 1 to 100000. The rest are not read (an iterable is read lazily, so an endless one ends there) and a final attribute slf4ts.cut=N says how many were left out (N+: more than N, for an iterator still not finished after N more).",
    values: "attributes per record, 1 to 100000; the rest are not read and a final `slf4ts.cut=N` says how many were left out (`N+`: more than N)",
    example: "64",
    parse: wholeNumber(1, 100_000, "expected a whole number of attributes from 1 to 100000"),
    ours: true,
  }),
  key({
    name: "buffer.size",
    defaultValue: "100000",
    doc: "How many records are kept in memory, in order, while the audit file cannot be written (disk full, permission denied, folder removed, ...); they are retried with backoff and written once it works again. Past this, records are dropped and counted, and once writing works again one record (slf4ts.audit.dropped) says how many were dropped and between which times. 0 keeps none. 100000 records of ~150 bytes is ~15 MB, several minutes of a busy server.",
    values: "records kept in memory while the file cannot be written, 0 to 100000000",
    example: "5000",
    parse: wholeNumber(0, 100_000_000, "expected a whole number of records from 0 to 100000000"),
    ours: true,
  }),
  key({
    name: "file.compress",
    defaultValue: "none",
    doc: "gzip: archives are compressed with gzip after each rotation (audit.log.1.gz ... audit.log.N.gz), in the background, off the log() call: the archive is written to a temporary file, completed, and only then renamed to .gz and the plain archive deleted, so an archive counts as compressed only once its .gz is complete. Plain and compressed archives share one numbering and file.count. none: archives stay plain; archives already compressed stay so. true and false are accepted as older spellings of gzip and none.",
    values: "`none`, `gzip` (archives become `audit.log.N.gz`, compressed after the rotation, off `log()`); `true` and `false` are aliases of `gzip` and `none`",
    example: "gzip",
    parse: oneOf(["gzip", "none"], "expected gzip or none (true and false are aliases of them)", { true: "gzip", false: "none" }),
    ours: true,
  }),
  key({
    name: "file.maxAge",
    defaultValue: "0",
    doc: "Archives (compressed or not) whose modification time is older than this many days are deleted: at start, on reload and after every rotation. 0: no age limit, only file.count applies. The active file is never deleted; rotation stays by size only.",
    values: "days, 0 (no age limit) to 36500: older archives are deleted",
    example: "30",
    parse: wholeNumber(0, 36500, "expected a whole number of days from 0 (no age limit) to 36500"),
    ours: true,
  }),
  key({
    name: "integrity.mode",
    defaultValue: "off",
    doc: "Tamper evidence in dedicated mode: off, hmac (checkpoints authenticated with the secret in integrity.key) or ed25519 (checkpoints signed with the private key in integrity.key; the verifier needs only the public key). Every line then ends with a TAB and a chain=... field that links it to the previous record; slf4ts-audit verify checks the files.",
    values: "`off`, `hmac`, `ed25519`: tamper evidence in dedicated mode (README, Tamper evidence)",
    example: "hmac",
    parse: oneOf(["off", "hmac", "ed25519"], "expected off, hmac or ed25519"),
    ours: true,
  }),
  key({
    name: "integrity.key",
    defaultValue: "",
    doc: "The key file: for hmac a file with secret=<64 or more hex digits> (openssl rand -hex 32), for ed25519 a PEM private key (openssl genpkey -algorithm ed25519). A relative path is resolved against the folder of this properties file. Required when integrity.mode is not off. It must be a regular file (not a symbolic link, FIFO or device) that only its owner can write (mode 0600 or 0400); one its group or others can read is used, with a warning (INTEGRITY_KEY_READABLE).",
    values: "*(empty)* or the HMAC key file or the Ed25519 private key (PEM); relative to the properties file's folder; a regular file only its owner can write",
    example: "/etc/app/audit.key",
    parse: path(),
    ours: true,
  }),
  key({
    name: "integrity.checkpoint.records",
    defaultValue: "1000",
    doc: "A checkpoint (a signed record slf4ts.audit.checkpoint) is written after this many records, from 1 to 100000000; also at every rotation, at shutdown and at process exit.",
    values: "a checkpoint after this many records, 1 to 100000000",
    example: "100",
    parse: wholeNumber(1, 100_000_000, "expected a whole number of records from 1 to 100000000"),
    ours: true,
  }),
  key({
    name: "integrity.checkpoint.seconds",
    defaultValue: "60",
    doc: "A checkpoint is also written at most this many seconds after a record that is not yet sealed (0: only by count, rotation and shutdown), from 0 to 86400.",
    values: "a checkpoint at most this long after an unsealed record, 0 (off) to 86400",
    example: "10",
    parse: wholeNumber(0, 86_400, "expected a whole number of seconds from 0 to 86400"),
    ours: true,
  }),
  key({
    name: "integrity.epoch",
    defaultValue: "0",
    doc: "hmac only: the key evolves one way every this many seconds (k(i+1) = SHA-256(k(i)), the key file is overwritten and the old key erased), so a key stolen now cannot re-seal earlier records. 0: no evolution. The key file must then hold start=<ISO-8601 time of epoch 0>; keep a copy of the initial key file off this host for the verifier.",
    values: "`hmac` only: the key evolves one way every this many seconds (0: never), 1 to 31536000",
    example: "3600",
    parse: wholeNumber(0, 31_536_000, "expected 0 (no key evolution) or an epoch length in seconds from 1 to 31536000"),
    ours: true,
  }),
] as const;

/** The name of an audit key (after {@link KEY_PREFIX}). */
export type KeyName = (typeof CONFIG_KEYS)[number]["name"];

/** The parsed value of every audit key, by name: the type each key's parser gives. */
export type KeyValues = { readonly [S in (typeof CONFIG_KEYS)[number] as S["name"]]: S extends KeySpec<infer T> ? T : never };

/**
 * A parsed value as the reload fingerprint compares it (JSON): the key's `canonical` form, or
 * the value itself.
 *
 * @example
 * ```ts
 * canonicalValue(timezoneSpec, parseJavaTimeZone("GMT+2")); // "GMT+02:00"
 * ```
 */
export function canonicalValue<T>(spec: { readonly canonical?: (value: T) => unknown }, value: T | undefined): unknown {
  return spec.canonical === undefined || value === undefined ? value : spec.canonical(value);
}

/** One option of a target: its name after `target.<name>.`, default, parser and documentation. */
export interface TargetKeySpec<T = unknown> {
  /** The option, e.g. `host`. */
  readonly option: string;
  /** The default as it would be written ("" for none / derived). */
  readonly defaultValue: string;
  /** What it does. */
  readonly doc: string;
  /** A valid value other than the default, for a target it applies to (docs; tests). */
  readonly example: string;
  /**
   * Turns the text (the default when absent or empty) into the value. Options whose meaning
   * depends on the target's type or format (type, protocol, format, maxBytes…) parse to their
   * text here and are checked against the type in `config/targets.ts`.
   */
  readonly parse: Parser<T>;
  /** Whether a reload applies a change of it (every option does: a changed target is rebuilt). */
  readonly reloads: boolean;
  /** The value as the reload fingerprint sees it (JSON); by default the value itself. */
  readonly canonical?: (value: T) => unknown;
}

function option<const O extends string, T>(spec: Omit<TargetKeySpec<T>, "reloads"> & { readonly option: O }): TargetKeySpec<T> & { readonly option: O } {
  return { reloads: true, ...spec };
}

/** `local` (or empty): undefined, the process's time zone; otherwise a zone id as for date.timezone. */
function localOrZone(): Parser<JavaTimeZone | undefined> {
  const parseZone = zone();
  return (value, context) => {
    if (value.trim() === "" || value.trim().toLowerCase() === "local") return { ok: true, value: undefined };
    const parsed = parseZone(value, context);
    return parsed.ok ? parsed : { ok: false, expected: parsed.expected.replace(/^expected /, "expected local (the process's time zone), ") };
  };
}

/** A message template ({@link compileTemplate}), or `undefined` for empty text. */
function template(): Parser<MessageTemplate | undefined> {
  return (value) => {
    if (value.trim() === "") return { ok: true, value: undefined };
    const compiled = compileTemplate(value.trim());
    return compiled.ok ? { ok: true, value: compiled.template } : { ok: false, expected: compiled.expected };
  };
}

/** A row of the ECS event table ({@link parseEcsCategorization}): null for `-`, `undefined` for empty text. */
function categorization(): Parser<EcsCategorization | null | undefined> {
  return (value) => (value.trim() === "" ? { ok: true, value: undefined } : parseEcsCategorization(value));
}

/** A parser that gives `undefined` for empty text (the option is not set) and `parser`'s value otherwise. */
function optional<T>(parser: Parser<T>): Parser<T | undefined> {
  return (value, context) => (value.trim() === "" ? { ok: true, value: undefined } : parser(value, context));
}

/**
 * Every option of a target, in documentation order (docs/keys.md and etc/slf4j-auditlog.properties).
 *
 * @example
 * ```ts
 * TARGET_KEYS.map((k) => `target.siem.${k.option}`);
 * ```
 */
export const TARGET_KEYS = [
  option({
    option: "type",
    defaultValue: "",
    doc: "Required: syslog, tcp (a raw stream of formatted records), gelf, file, console (the process's stdout or stderr, for containers: see docs/containers.md), or none (the target is off; its other options stay in the file unchecked, so it can be switched on again).",
    example: "syslog",
    parse: text({ lowerCase: true }),
  }),
  option({
    option: "protocol",
    defaultValue: "",
    doc: "syslog: udp, tcp, tls or relp (default tcp); gelf: udp, tcp or tls (default udp); tcp: tcp or tls (default tcp). TCP and TLS syslog always use octet-counting framing (RFC 6587 / RFC 5425). relp: RELP (rsyslog's imrelp), every record acknowledged by the receiver, over TLS with relp.tls=true (docs/targets.md#relp).",
    example: "udp",
    parse: text({ lowerCase: true }),
  }),
  option({ option: "host", defaultValue: "", doc: "Required for syslog, tcp and gelf: the receiver's host name or IP address.", example: "logs.example.org", parse: text() }),
  option({
    option: "port",
    defaultValue: "",
    doc: "The receiver's port. Default: syslog 514 (udp, tcp), 6514 (tls) or 2514 (relp), gelf 12201; required for tcp.",
    example: "6514",
    parse: optional(wholeNumber(1, 65535, "expected a port number from 1 to 65535", 10)),
  }),
  option({
    option: "format",
    defaultValue: "",
    doc: "syslog: rfc5424 (default) or rfc3164 (old receivers); tcp and file: json (default), ecs, gelf or plain (the pattern); console: json (default), ecs, gelf, plain, rfc5424 or rfc3164 (one record a line); gelf: gelf.",
    example: "rfc3164",
    parse: text({ lowerCase: true }),
  }),
  option({
    option: "pattern",
    defaultValue: "%sanitisedMessage%n",
    doc: "format=plain: the logback pattern of each record (as file.pattern).",
    example: "%d{HH:mm:ss.SSS, UTC} %sanitisedMessage%n",
    parse: (value) => ({ ok: true, value: value.trim().replace(/^(["'])(.*)\1$/, "$2") }),
  }),
  option({
    option: "level",
    defaultValue: "",
    doc: "The level of the records this target receives (syslog severity, GELF level, log.level); default: the level key.",
    example: "warn",
    parse: optional<Level>(level()),
  }),
  option({
    option: "include",
    defaultValue: "*",
    doc: "Comma-separated event-id globs (* any characters, ? one): only matching events go to this target.",
    example: "ox.login, ox.logout",
    parse: list(),
  }),
  option({
    option: "exclude",
    defaultValue: "",
    doc: "Comma-separated event-id globs: matching events do not go to this target (exclude wins over include).",
    example: "ox.mail.*",
    parse: list(),
  }),
  option({
    option: "rateLimit",
    defaultValue: "",
    doc: "At most N records per event id and interval, e.g. 100/s, 1000/m, 5000/h; records past it are skipped and counted, and one slf4ts.audit.ratelimited record per event id says how many when the interval ends. Empty: no limit.",
    example: "100/s",
    parse: rate("expected records per interval, e.g. 100/s, 1000/m, 5000/h or 50/10s") as Parser<Rate | undefined>,
  }),
  option({ option: "rateLimit.events", defaultValue: "*", doc: "Comma-separated event-id globs the rate limit applies to (others are never limited).", example: "ox.login", parse: list() }),
  option({
    option: "facility",
    defaultValue: "13",
    doc: "syslog: the facility, 0-23 or a name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock, local0-local7). 13 is log audit.",
    example: "local3",
    parse: facility(),
  }),
  option({ option: "appName", defaultValue: "slf4ts", doc: "syslog APP-NAME / RFC 3164 TAG, GELF _app, ECS service.name.", example: "ox", parse: text() }),
  option({
    option: "hostname",
    defaultValue: "",
    doc: "The HOSTNAME sent (syslog, GELF host, ECS host.hostname); default: this machine's host name.",
    example: "mail01",
    parse: text(),
  }),
  option({
    option: "maxBytes",
    defaultValue: "",
    doc: "syslog (and console with rfc5424 or rfc3164): the largest message in bytes (UTF-8); default 8096 for rfc5424 (rsyslog's default maxMessageSize) and 1024 for rfc3164 (the RFC 3164 limit). A longer one is cut on a character boundary and ends with ...[truncated] (a cut SD-PARAM value ends with ...[truncated\\]). From 515 (rfc5424; 30 more with sequenceId, more with origin.*) or 128 (rfc3164). Other types are bounded by record.maxLength (and GELF over UDP by 128 chunks).",
    example: "65536",
    parse: text(),
  }),
  // The chain's witness: see docs/integrity.md#6-witness.
  option({
    option: "integrity",
    defaultValue: "off",
    doc: "on: this target carries the lines of the dedicated file exactly as the hash chain sealed them (each record with its chain= field, and every checkpoint) instead of its own rendering of the records, so the central copy is itself verifiable and slf4ts-audit verify --witness can compare it with the host's files (docs/integrity.md#6-witness). Needs integrity.mode hmac or ed25519 and file.location; format rfc5424 (the line is MSG, MSGID slf4ts.chain, never cut: set the receiver's maxMessageSize above the longest line) or plain (the line as the file holds it); no include, exclude or rateLimit (every line must arrive). A configuration error otherwise.",
    example: "on",
    parse: oneOf(["on", "off"], "expected on or off"),
  }),
  // Syslog standards (RFC 6587 framing, RFC 5424 structured data, RFC 3164 time): see docs/targets.md.
  option({
    option: "framing",
    defaultValue: "octet-counting",
    doc: "syslog over tcp or tls: octet-counting (RFC 6587 §3.4.1, the only framing of RFC 5425; a line break in a value stays raw inside its record) or newline (RFC 6587 §3.4.2, for receivers that split lines, e.g. syslog-ng network() and Fluent Bit: a LF or CR in a value is written \\n or \\r, so one record is one line). See docs/targets.md for which receiver needs which.",
    example: "newline",
    parse: oneOf(["octet-counting", "newline"], "expected octet-counting or newline"),
  }),
  option({
    option: "sdId",
    defaultValue: "audit@32473",
    doc: "rfc5424: the SD-ID of the SD-ELEMENT holding the attributes, name@<private enterprise number> (RFC 5424 §7.2.2). The default's 32473 is the number RFC 5612 reserves for documentation: register your organisation's own with IANA (free, https://pen.iana.org) and use it here.",
    example: "audit@64001",
    parse: text(),
  }),
  option({
    option: "sequenceId",
    defaultValue: "false",
    doc: "rfc5424: true writes [meta sequenceId=\"N\"] first in each message (RFC 5424 §7.3.1): 1, 2, … per target, 1 again after 2147483647 and after a restart of the process; a receiver sees a gap where records were lost (dropped records also leave their gap, and a resent record keeps its number).",
    example: "true",
    parse: boolean(),
  }),
  option({
    option: "origin.software",
    defaultValue: "",
    doc: "rfc5424: with a value, each message carries [origin software=\"…\"] (RFC 5424 §7.2.3: 1 to 48 characters), e.g. the application's name. Empty: no origin element.",
    example: "open-xchange",
    parse: text(),
  }),
  option({
    option: "origin.swVersion",
    defaultValue: "",
    doc: "rfc5424, with origin.software: the swVersion of the origin element (RFC 5424 §7.2.4: 1 to 32 characters).",
    example: "8.21.0",
    parse: text(),
  }),
  option({
    option: "timezone",
    defaultValue: "local",
    doc: "rfc3164: the time zone of the timestamp, which RFC 3164 writes as local time without a zone: local (the process's, TZ) or a zone such as Europe/Berlin; set it to the zone the receiver reads the timestamps in.",
    example: "Europe/Berlin",
    parse: localOrZone(),
    canonical: (z: JavaTimeZone | undefined) => z?.id ?? "local",
  }),
  option({
    option: "compress",
    defaultValue: "none",
    doc: "gelf over udp: none, gzip or zlib. file: none, or gzip to compress the archives (as file.compress). true and false are accepted as aliases of gzip and none, as for file.compress.",
    example: "gzip",
    parse: oneOf(["none", "gzip", "zlib"], "expected none, gzip or zlib", { true: "gzip", false: "none" }),
  }),
  option({
    option: "chunkSize",
    defaultValue: "1420",
    doc: "gelf over udp: the largest datagram in bytes (chunked beyond), 512 to 65467.",
    example: "8192",
    parse: wholeNumber(512, 65467, "expected a whole number of bytes from 512 to 65467", 10),
  }),
  // The structured formats (json, ecs, gelf): templates, static fields and the ECS event table.
  option({
    option: "shortMessage",
    defaultValue: "{event}",
    doc: "gelf format: the template of short_message: {event} (the event id), {level}, {line} (the plain audit line: event id and attributes), {attr:NAME} (an attribute's value, - when absent or null), {{ and }} for braces. The attributes are sent as _ fields besides it.",
    example: "{event} {attr:login} from {attr:ip}",
    parse: template() as Parser<MessageTemplate | undefined>,
    canonical: (value: MessageTemplate | undefined) => value?.text,
  }),
  option({
    option: "fullMessage",
    defaultValue: "",
    doc: "gelf format: the template of full_message (placeholders as shortMessage), e.g. {line}; empty: no full_message.",
    example: "{line}",
    parse: template(),
    canonical: (value: MessageTemplate | undefined) => value?.text,
  }),
  option({
    option: "field.<name>",
    defaultValue: "",
    doc: "A static field written with every record by the json, ecs and gelf formats (any number of them, one key each): json adds a top-level field <name>; ecs nests it by its dots (service.name replaces the app name; event.dataset, data_stream.type, data_stream.dataset, data_stream.namespace, labels.*…; no field ECS writes per record); gelf sends _<name> (letters, digits, _, . and -; not id). A bad name is a configuration error. Empty: the field is left out.",
    example: "ox.audit",
    parse: text(),
  }),
  option({
    option: "ecs.event.<glob>",
    defaultValue: "",
    doc: "ecs format: the event table, one key per event-id glob: category[,category…]:type[,type…][:outcome] with ECS 8.11's allowed values, or - for none. The most specific matching glob (most characters other than *) wins; events no row matches get the shipped defaults (OX logins, logouts, IMAP/POP3/SMTP connections, SMTP deliveries: docs/targets.md).",
    example: "authentication:start:failure",
    parse: categorization(),
  }),
  option({
    option: "tls.ca",
    defaultValue: "",
    doc: "TLS: a PEM file of the certificate authorities the server certificate is verified against (default: Node's built-in list).",
    example: "/etc/app/tls/ca.pem",
    parse: path(),
  }),
  option({ option: "tls.cert", defaultValue: "", doc: "TLS: a PEM client certificate, for mutual TLS (with tls.key).", example: "/etc/app/tls/audit-client.pem", parse: path() }),
  option({ option: "tls.key", defaultValue: "", doc: "TLS: the PEM private key of tls.cert.", example: "/etc/app/tls/audit-client.key", parse: path() }),
  option({ option: "tls.servername", defaultValue: "", doc: "TLS: the name the server certificate must carry; default: host.", example: "logs.example.org", parse: text() }),
  option({
    option: "tls.insecure",
    defaultValue: "false",
    doc: "TLS: true accepts any server certificate (no verification; a warning is reported at every configuration). Never in production.",
    example: "true",
    parse: boolean(),
  }),
  option({
    option: "buffer.size",
    defaultValue: "10000",
    doc: "Records kept in memory, in order, while the receiver is unreachable (console: while the reader of the pipe does not read); past it records are dropped and counted, and one slf4ts.audit.dropped record says how many when delivery resumes.",
    example: "50000",
    parse: wholeNumber(1, 100_000_000, "expected a whole number of records from 1 to 100000000", 10),
  }),
  option({
    option: "spool",
    defaultValue: "",
    doc: "A folder for an on-disk queue: every record is written there before it is sent, so records survive a restart of this process and are sent when the receiver is back. Empty: memory only.",
    example: "/var/spool/app/siem",
    parse: path(),
  }),
  option({
    option: "spool.maxSize",
    defaultValue: "1GB",
    doc: "The largest spool; past it records are dropped and counted as with buffer.size.",
    example: "100MB",
    parse: size("expected a size in bytes, optionally with KB, MB or GB"),
  }),
  option({
    option: "resendMs",
    defaultValue: "3000",
    doc: "tcp/tls: records sent this many milliseconds before a connection broke are sent again after reconnecting (the receiver may have lost them unwritten): at-least-once delivery. 0: never resend.",
    example: "0",
    parse: wholeNumber(0, 600_000, "expected a whole number of milliseconds from 0 to 600000", 10),
  }),
  option({
    option: "stallMs",
    defaultValue: "10000",
    doc: "tcp/tls: a connection whose writes the operating system has taken nothing of for this many milliseconds (a receiver that accepts but does not read) is treated as broken: reported as an outage (TARGET_FAILED), closed and reconnected with backoff; records wait and are dropped and counted as in any outage. 100 to 600000.",
    example: "30000",
    parse: wholeNumber(100, 600_000, "expected a whole number of milliseconds from 100 to 600000", 10),
  }),
  option({
    option: "relp.tls",
    defaultValue: "false",
    doc: "relp: true runs the RELP session over TLS, with the tls.* options (the server certificate verified; tls.cert and tls.key for mutual TLS).",
    example: "true",
    parse: boolean(),
  }),
  option({
    option: "relp.window",
    defaultValue: "128",
    doc: "relp: at most this many records sent and not yet acknowledged (librelp's default window); the next waits for an acknowledgement. 1 to 10000.",
    example: "1024",
    parse: wholeNumber(1, 10_000, "expected a whole number of records from 1 to 10000", 10),
  }),
  option({
    option: "relp.timeoutMs",
    defaultValue: "10000",
    doc: "relp: the bound on the connection, the open handshake and each wait for an acknowledgement; past it the connection counts as broken, is closed and reconnected with backoff, and the records not acknowledged are sent again first, in order. 100 to 600000.",
    example: "30000",
    parse: wholeNumber(100, 600_000, "expected a whole number of milliseconds from 100 to 600000", 10),
  }),
  option({
    option: "stream",
    defaultValue: "stdout",
    doc: "console: stdout or stderr, the standard stream the records are written to (synchronously: a record is in the pipe when log() returns).",
    example: "stderr",
    parse: oneOf(["stdout", "stderr"], "expected stdout or stderr"),
  }),
  option({
    option: "blockMs",
    defaultValue: "1000",
    doc: "console: how long one log() may wait for a full pipe (a reader that does not read) before records wait in memory instead, up to buffer.size records, written in order once the reader reads again; past it records are dropped and counted. 0 to 60000.",
    example: "200",
    parse: wholeNumber(0, 60_000, "expected a whole number of milliseconds from 0 to 60000", 10),
  }),
  option({
    option: "path",
    defaultValue: "",
    doc: "file: the file written (relative to the properties file's folder); rotated like file.location.",
    example: "/var/log/app/audit-ecs.json",
    parse: path(),
  }),
  option({ option: "size", defaultValue: "2097152", doc: "file: the rotation size (as file.size).", example: "10MB", parse: size("expected a size in bytes greater than 0, optionally with KB, MB or GB") }),
  option({
    option: "count",
    defaultValue: "99",
    doc: "file: the archives kept (as file.count).",
    example: "10",
    parse: wholeNumber(1, 10000, "expected a whole number of archives from 1 to 10000", 10),
  }),
  option({
    option: "maxAge",
    defaultValue: "0",
    doc: "file: archives older than this many days are deleted (as file.maxAge); 0: no age limit.",
    example: "30",
    parse: wholeNumber(0, 36500, "expected a whole number of days from 0 to 36500", 10),
  }),
] as const;

/**
 * The table row of a target option: the option itself, or the family it belongs to
 * (`field.site` → `field.<name>`, `ecs.event.ox.*` → `ecs.event.<glob>`), with the part after the
 * family's prefix; undefined when there is none.
 *
 * @example
 * ```ts
 * targetOptionSpec("field.service.name"); // { spec: <field.<name>>, member: "service.name" }
 * targetOptionSpec("host"); // { spec: <host>, member: undefined }
 * ```
 */
export function targetOptionSpec(option: string): { readonly spec: TargetKeySpec<unknown>; readonly member: string | undefined } | undefined {
  for (const spec of TARGET_KEYS as readonly TargetKeySpec<unknown>[]) {
    if (spec.option === option && !spec.option.endsWith(">")) return { spec, member: undefined };
    const lt = spec.option.indexOf("<");
    if (lt > 0 && option.length > lt && option.startsWith(spec.option.slice(0, lt))) return { spec, member: option.slice(lt) };
  }
  return undefined;
}

/** The name of a target option. */
export type TargetOption = (typeof TARGET_KEYS)[number]["option"];

/** The parsed value of every target option, by option: the type each option's parser gives. */
export type TargetValues = { readonly [S in (typeof TARGET_KEYS)[number] as S["option"]]: S extends TargetKeySpec<infer T> ? T : never };
