/**
 * The configuration keys, their defaults and documentation, and how a set of properties
 * becomes a validated, compiled audit configuration (whole or not at all).
 */
import cluster from "node:cluster";
import { isAbsolute, resolve } from "node:path";
import { Level, LEVEL_IDS, parseLevel } from "../facade/level.js";
import { compileJavaDatePattern, createIsoSecondsFormatter } from "../java/date.js";
import { parseJavaLocale } from "../java/locale.js";
import { parseJavaTimeZone, type JavaTimeZone } from "../java/zone.js";
import { compilePatternLayout, describePatternLayout, type LayoutEvent, type PatternPiece } from "../layout/pattern.js";
import { UNSAFE_CHARACTER } from "../sanitize/escape.js";
import { ed25519KeyFromSecretFile, hmacKeyFromSecretFile, KeyFileError, readSecretFile } from "../integrity/keys.js";
import type { ConfigProblem } from "./errors.js";
import { parseFileSize } from "../java/file-size.js";
import { parseTargets, type TargetProperty } from "./targets.js";
import type { TargetSpec } from "../targets/spec.js";
import type { IntegritySettings } from "../integrity/settings.js";

export type { IntegritySettings };

export { parseFileSize };

/** The prefix of every key this library reads. */
export const KEY_PREFIX = "com.openexchange.log.audit.slf4j.";

/** One configuration key: its name after the prefix, default, and documentation. */
export interface KeySpec {
  /** The key without {@link KEY_PREFIX}. */
  readonly name: string;
  /** The default, as it would be written in the file. */
  readonly defaultValue: string;
  /** What the key does (shown in etc/slf4j-auditlog.properties and the README). */
  readonly doc: string;
}

/**
 * Every key the library knows, in the order of the shipped properties file.
 *
 * @example
 * ```ts
 * CONFIG_KEYS.map((k) => KEY_PREFIX + k.name);
 * ```
 */
export const CONFIG_KEYS: readonly KeySpec[] = [
  { name: "enabled", defaultValue: "false", doc: "Turns audit logging on (true) or off (false)." },
  { name: "level", defaultValue: "info", doc: "The level of every audit record: trace, debug, info, warn or error." },
  {
    name: "delimiter",
    defaultValue: '", "',
    doc: 'The text between the event id and each attribute. Surrounding quotes are removed, so "|" or ", " keep their spaces. Must not be empty or contain \\, = or control characters.',
  },
  { name: "includeAttributeNames", defaultValue: "true", doc: "Write attributes as name=value (true) or the value alone (false)." },
  {
    name: "date.pattern",
    defaultValue: "",
    doc: "A Java SimpleDateFormat pattern for Date values, e.g. yyyy-MM-dd HH:mm:ss.SSS z. Empty: ISO-8601 in UTC without milliseconds (2016-06-10T10:31:10Z).",
  },
  { name: "date.locale", defaultValue: "en_US", doc: "The locale of month, weekday and zone names in date.pattern: en_US, de_DE, de-DE, fr, ..." },
  {
    name: "date.timezone",
    defaultValue: "GMT",
    doc: "The time zone of date.pattern: an IANA id (Europe/Berlin), UTC, GMT, or GMT+hh:mm / GMT-hhmm.",
  },
  {
    name: "file.location",
    defaultValue: "",
    doc: "Empty: standard mode (records go through the host's logging under com.openexchange.log.audit.AuditLogService). A path: dedicated mode, records go to this file and its archives .1 to .N. A relative path is resolved against the folder of this properties file.",
  },
  { name: "file.size", defaultValue: "2097152", doc: "The size at which the file is rotated: bytes, or a number with KB, MB or GB (1KB = 1024 bytes)." },
  { name: "file.count", defaultValue: "99", doc: "How many archives (.1 newest to .N oldest) are kept, from 1 to 10000." },
  {
    name: "file.pattern",
    defaultValue: "%sanitisedMessage%n",
    doc: "The logback pattern of each line in dedicated mode. Surrounding quotes are removed. Each record stays one line: line breaks and controls written before the final %n are escaped. A %replace/%ereplace regex that can backtrack catastrophically, e.g. (x+x+)+y or (a|aa)+, or has a back-reference is refused.",
  },
  {
    name: "file.fsync",
    defaultValue: "never",
    doc: "When written records are also forced to the disk (fsync), for power-loss durability: never (records are in the operating system when log() returns), rotation (before a file is rotated and on shutdown), or always (every record; slow).",
  },
  {
    name: "file.durability",
    defaultValue: "sync",
    doc: "sync: every record is handed to the operating system before log() returns (one write per record). batched: records are written together, at most file.durability.maxDelayMs later or once 64 KiB wait (then log() writes them itself: back-pressure); faster, but a SIGKILL or crash loses the records of that last moment.",
  },
  {
    name: "file.durability.maxDelayMs",
    defaultValue: "5",
    doc: "With file.durability=batched, the longest a record waits before it is written, in milliseconds (1 to 1000).",
  },
  {
    name: "file.multiprocess",
    defaultValue: "auto",
    doc: "Several processes (cluster or PM2 workers) write the same file.location: true coordinates rotation between them with a lock file (audit.log.lock) and follows rotations done by the others; auto turns it on in cluster workers and PM2 instances. Whatever the value, a process that sees another process write the file (bytes it did not write) takes this protocol from then on, and rotation is always done under the lock.",
  },
  {
    name: "mask.names",
    defaultValue: "password, passwd, pwd, secret, token, authorization, cookie, credential, api_key, api-key, apikey, private_key",
    doc: "Attributes whose name contains one of these words (case-insensitive, comma-separated) have their value masked before any output sees it. Empty masks nothing (the one key where an empty value does not mean the default).",
  },
  {
    name: "mask.keep",
    defaultValue: "0",
    doc: "How many leading characters of a masked value stay visible (0: none); the rest is replaced by ****, whatever its length.",
  },
  {
    name: "record.maxLength",
    defaultValue: "65536",
    doc: "The longest record message, in characters; a longer one is cut on a character boundary and ends with a visible marker ...[truncated N characters].",
  },
  {
    name: "record.maxAttributes",
    defaultValue: "256",
    doc: "The most attributes written per record, from 1 to 100000. The rest are not read (an iterable is read lazily, so an endless one ends there) and a final attribute slf4ts.cut=N says how many were left out (N+: more than N).",
  },
  {
    name: "buffer.size",
    defaultValue: "100000",
    doc: "How many records are kept in memory, in order, while the audit file cannot be written (disk full, permission denied, ...); they are retried with backoff and written once it works again. Past this, records are dropped and counted, and one record says how many. 0 keeps none.",
  },
  {
    name: "file.compress",
    defaultValue: "false",
    doc: "true: archives are compressed with gzip after each rotation (audit.log.1.gz ... audit.log.N.gz), in the background, off the log() call; an archive counts as compressed only once its .gz is complete. false: archives stay plain; archives already compressed stay so.",
  },
  {
    name: "file.maxAge",
    defaultValue: "0",
    doc: "Archives (compressed or not) whose modification time is older than this many days are deleted: at start, on reload and after every rotation. 0: no age limit, only file.count applies. The active file is never deleted.",
  },
  {
    name: "integrity.mode",
    defaultValue: "off",
    doc: "Tamper evidence in dedicated mode: off, hmac (checkpoints authenticated with the secret in integrity.key) or ed25519 (checkpoints signed with the private key in integrity.key; the verifier needs only the public key). Every line then ends with a TAB and a chain=... field that links it to the previous record; slf4ts-audit verify checks the files.",
  },
  {
    name: "integrity.key",
    defaultValue: "",
    doc: "The key file: for hmac a file with secret=<64 or more hex digits> (openssl rand -hex 32), for ed25519 a PEM private key (openssl genpkey -algorithm ed25519). A relative path is resolved against the folder of this properties file. Required when integrity.mode is not off. It must be a regular file (not a symbolic link, FIFO or device) that only its owner can write (mode 0600 or 0400); one its group or others can read is used, with a warning (INTEGRITY_KEY_READABLE).",
  },
  {
    name: "integrity.checkpoint.records",
    defaultValue: "1000",
    doc: "A checkpoint (a signed record slf4ts.audit.checkpoint) is written after this many records, from 1 to 100000000; also at every rotation, at shutdown and at process exit.",
  },
  {
    name: "integrity.checkpoint.seconds",
    defaultValue: "60",
    doc: "A checkpoint is also written at most this many seconds after a record that is not yet sealed (0: only by count, rotation and shutdown), from 0 to 86400.",
  },
  {
    name: "integrity.epoch",
    defaultValue: "0",
    doc: "hmac only: the key evolves one way every this many seconds (k(i+1) = SHA-256(k(i)), the key file is overwritten and the old key erased), so a key stolen now cannot re-seal earlier records. 0: no evolution. The key file must then hold start=<ISO-8601 time of epoch 0>.",
  },
];

const KNOWN = new Map(CONFIG_KEYS.map((k) => [k.name, k]));
const KNOWN_LOWER = new Map(CONFIG_KEYS.map((k) => [k.name.toLowerCase(), k.name]));

/** Where a property came from. */
export interface PropertySource {
  readonly key: string;
  readonly value: string;
  readonly line: number | undefined;
}

/** The settings of dedicated mode. */
export interface FileSettings {
  /** Absolute path of the active file. */
  readonly location: string;
  /** Where `file.location` was set: its value as written and its line. */
  readonly source: { readonly value: string; readonly line: number | undefined };
  /** Rotation size in bytes. */
  readonly maxSize: number;
  /** Number of archives kept. */
  readonly maxArchives: number;
  /** The layout pattern as configured. */
  readonly pattern: string;
  /** The compiled layout. */
  readonly layout: (event: LayoutEvent) => string;
  /** The pattern is only the message and a line feed (the default): the line is `message + "\n"`. */
  readonly messageOnly: boolean;
  /** Compress archives with gzip (`file.compress`). */
  readonly compress: boolean;
  /** Delete archives older than this many days (`file.maxAge`; 0: no limit). */
  readonly maxAgeDays: number;
}

/** A validated, compiled configuration. */
export interface AuditConfig {
  readonly enabled: boolean;
  readonly level: Level;
  readonly delimiter: string;
  readonly includeAttributeNames: boolean;
  /** The date pattern ("" for ISO-8601 UTC). */
  readonly datePattern: string;
  /** The BCP-47 locale used for date.pattern. */
  readonly dateLocale: string;
  /** The time zone used for date.pattern. */
  readonly dateTimeZone: JavaTimeZone;
  /** Formats Date attribute values. */
  readonly formatDate: (epochMillis: number) => string;
  /** Dedicated-mode settings, or `undefined` in standard mode. */
  readonly file: FileSettings | undefined;
  /** How many records may wait while the file cannot be written. */
  readonly bufferSize: number;
  /** When written records are forced to the disk. */
  readonly fsync: "never" | "rotation" | "always";
  /** Batched durability: the longest wait in milliseconds, or `undefined` for sync. */
  readonly batchDelayMs: number | undefined;
  /** Whether several processes share the file (resolved from `auto`). */
  readonly multiprocess: boolean;
  /** Lower-case words; an attribute whose lower-cased name contains one is masked. */
  readonly maskNames: readonly string[];
  /** Leading characters of a masked value that stay visible. */
  readonly maskKeep: number;
  /** The longest message in characters. */
  readonly maxLength: number;
  /** The most attributes per record. */
  readonly maxAttributes: number;
  /** The named targets (`target.<name>.*`), in name order; targets of type none are left out. */
  readonly targets: readonly TargetSpec[];
  /** Tamper evidence in dedicated mode, or `undefined` when `integrity.mode` is off. */
  readonly integrity: IntegritySettings | undefined;
  /** A canonical text of the settings, to tell whether a reload changed anything. */
  readonly fingerprint: string;
}

/** The outcome of {@link resolveConfig}. */
export type ResolveResult =
  | { readonly ok: true; readonly config: AuditConfig; readonly warnings: readonly ConfigProblem[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly warnings: readonly ConfigProblem[] };

function unquote(text: string): string {
  if (text.length >= 2) {
    const first = text.charAt(0);
    if ((first === '"' || first === "'") && text.charAt(text.length - 1) === first) {
      return text.slice(1, -1);
    }
  }
  return text;
}

/**
 * The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each cost 1 (so `slfj4` is one edit from `slf4j`).
 */
function editDistance(a: string, b: string): number {
  // Three rows: two back (for a swap), one back, and the current one.
  let before = Array.from({ length: b.length + 1 }, () => 0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known key name closest to `name` (case-insensitive), if it is close enough to be a typo of it. */
function closestName(name: string): string | undefined {
  // A key far longer than any known one is no typo of one (and would make this quadratic).
  if (name.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of CONFIG_KEYS) {
    const d = editDistance(name.toLowerCase(), spec.name.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = spec.name;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function suggestion(name: string): string {
  const best = closestName(name);
  return best !== undefined ? ` (did you mean ${KEY_PREFIX}${best}?)` : "";
}

/** How many edits a prefix may be away from {@link KEY_PREFIX} and still count as a typo of it. */
const PREFIX_TYPO_EDITS = 2;

/**
 * The key that `key` (which does not start with {@link KEY_PREFIX}) was probably meant to be,
 * when its prefix is a typo of ours: the same letters in another case, or at most
 * {@link PREFIX_TYPO_EDITS} characters missing, extra, wrong or swapped. Keys with clearly other
 * prefixes (`com.openexchange.mail.…`) give `undefined`.
 *
 * Two ways to split the key are tried: a known key name (or `target.`) at its end, whatever is
 * before it (this also finds a missing dot); and a prefix of about our prefix's length that ends
 * in a dot, whatever follows (the name may have a typo of its own).
 *
 * @example
 * ```ts
 * intendedKey("com.openexchange.log.audit.slf4J.integrity.mode"); // "com.openexchange.log.audit.slf4j.integrity.mode"
 * intendedKey("com.openexchange.log.audit.slfj4.enabled"); // "com.openexchange.log.audit.slf4j.enabled"
 * intendedKey("com.openexchange.mail.foo"); // undefined: someone else's key
 * ```
 */
export function intendedKey(key: string): string | undefined {
  // Bounded work: the longest known key is far shorter.
  if (key.length > KEY_PREFIX.length + 80) return undefined;
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = PREFIX_TYPO_EDITS + 1;
  const consider = (prefixLength: number, intended: () => string): void => {
    if (prefixLength < KEY_PREFIX.length - PREFIX_TYPO_EDITS || prefixLength > KEY_PREFIX.length + PREFIX_TYPO_EDITS) return;
    const d = editDistance(lower.slice(0, prefixLength), KEY_PREFIX);
    if (d < bestDistance) {
      bestDistance = d;
      best = intended();
    }
  };
  for (const spec of CONFIG_KEYS) {
    if (lower.endsWith(spec.name.toLowerCase())) consider(key.length - spec.name.length, () => KEY_PREFIX + spec.name);
  }
  for (let at = lower.indexOf("target."); at >= 0; at = lower.indexOf("target.", at + 1)) {
    consider(at, () => KEY_PREFIX + "target." + key.slice(at + "target.".length));
  }
  for (let length = KEY_PREFIX.length - PREFIX_TYPO_EDITS; length <= KEY_PREFIX.length + PREFIX_TYPO_EDITS; length++) {
    if (key.charAt(length - 1) !== ".") continue;
    const name = key.slice(length);
    consider(length, () => KEY_PREFIX + (KNOWN_LOWER.get(name.toLowerCase()) ?? closestName(name) ?? name));
  }
  return best;
}

/** The part of a parser's message after its `Invalid thing "value": ` prefix (the problem shows the value already). */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[^"]*"(?:[^"\\]|\\.)*": /, "");
}

function parseBoolean(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  return t === "true" ? true : t === "false" ? false : undefined;
}

/** Whether this process is one of several workers that may share a file: a cluster worker or a PM2 instance. */
function inSharedWorker(): boolean {
  // Node removes NODE_UNIQUE_ID from a worker's environment at start, so ask the cluster module.
  return cluster.isWorker || process.env["pm_id"] !== undefined || process.env["NODE_APP_INSTANCE"] !== undefined;
}

/** The time zone of this process, for `%d` without a zone option (logback uses the JVM's). */
function localZone(): JavaTimeZone {
  try {
    return parseJavaTimeZone(Intl.DateTimeFormat().resolvedOptions().timeZone);
  } catch {
    return parseJavaTimeZone("UTC");
  }
}

/**
 * What in a pattern writes a line break before the pattern's final one (a `%n` in the middle,
 * `%lmdc`, a line break in literal text), or undefined. Such breaks are escaped by the layout.
 */
function innerLineBreak(pattern: string): string | undefined {
  const BREAK = /[\r\n\u0085\u2028\u2029]/;
  const walk = (pieces: readonly PatternPiece[], top: boolean): string | undefined => {
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as PatternPiece;
      const last = top && i === pieces.length - 1;
      if (piece.kind === "literal") {
        if (BREAK.test(last ? piece.text.replace(/\r?\n$/, "") : piece.text)) return "a line break in the text";
        continue;
      }
      if (piece.converts === "newline" && !(last && !piece.formatted)) return "%n";
      if (piece.converts === "lmdc") return "%lmdc";
      const inside = walk(piece.children, false);
      if (inside !== undefined) return inside;
    }
    return undefined;
  };
  return walk(describePatternLayout(pattern), true);
}

/** Builds the `%d` formatter factory the layout needs. */
function layoutDateFormatter(pattern: string, timeZone: string | undefined, locale: string | undefined): (ms: number) => string {
  const zone = timeZone === undefined ? localZone() : parseJavaTimeZone(timeZone);
  return compileJavaDatePattern(pattern, { locale: locale === undefined ? "en-US" : parseJavaLocale(locale), zone });
}

/**
 * Validates and compiles a configuration from properties (file order; for a repeated key the
 * last one wins, as in Java, with a warning). Every problem is collected; nothing is applied by
 * this function.
 *
 * @param baseDir - the folder a relative `file.location` is resolved against.
 * @example
 * ```ts
 * const result = resolveConfig([{ key: KEY_PREFIX + "enabled", value: "true", line: 1 }], process.cwd());
 * if (result.ok) console.log(result.config.level);
 * ```
 */
export function resolveConfig(properties: readonly PropertySource[], baseDir: string): ResolveResult {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const given = new Map<string, PropertySource>();
  const targetProperties: TargetProperty[] = [];
  for (const property of properties) {
    if (!property.key.startsWith(KEY_PREFIX)) {
      const intended = intendedKey(property.key);
      if (intended !== undefined) {
        // A typo in the prefix would otherwise leave the setting silently at its default.
        problems.push({
          key: property.key,
          value: property.value,
          line: property.line,
          expected: `the prefix is misspelt (did you mean ${intended}?); keys of the audit logger start with ${KEY_PREFIX} exactly, in this case`,
        });
        continue;
      }
      warnings.push({ key: property.key, value: undefined, line: property.line, expected: `ignored: not a key of the audit logger (they start with ${KEY_PREFIX})` });
      continue;
    }
    const name = property.key.slice(KEY_PREFIX.length);
    if (name.startsWith("target.")) {
      targetProperties.push({ key: property.key, name, value: property.value, line: property.line });
      continue;
    }
    if (!KNOWN.has(name)) {
      problems.push({
        key: property.key,
        value: property.value,
        line: property.line,
        expected: `unknown key${suggestion(name)}; expected one of ${CONFIG_KEYS.map((k) => k.name).join(", ")} or target.<name>.<option> after the prefix`,
      });
      continue;
    }
    const earlier = given.get(name);
    if (earlier !== undefined) {
      warnings.push({ key: property.key, value: property.value, line: property.line, expected: `repeats the key of line ${earlier.line ?? "?"}; this later value wins` });
    }
    given.set(name, property);
  }

  // Each getter returns the trimmed-or-not raw value, or the default when absent or empty.
  const raw = (name: string): { value: string; source: PropertySource | undefined } => {
    const source = given.get(name);
    const spec = KNOWN.get(name) as KeySpec;
    if (source === undefined || source.value.trim() === "") {
      return { value: spec.defaultValue, source: undefined };
    }
    return { value: source.value, source };
  };
  const fail = (name: string, expected: string): void => {
    const source = given.get(name);
    problems.push({ key: KEY_PREFIX + name, value: source?.value, line: source?.line, expected });
  };

  const enabledRaw = raw("enabled");
  const enabled = parseBoolean(enabledRaw.value);
  if (enabled === undefined) fail("enabled", "expected true or false");

  const levelRaw = raw("level");
  const level = parseLevel(levelRaw.value);
  if (level === undefined) fail("level", `expected one of ${LEVEL_IDS.join(", ")}`);

  const delimiter = unquote(raw("delimiter").value.trim());
  if (delimiter === "" || delimiter.includes("\\") || delimiter.includes("=") || UNSAFE_CHARACTER.test(delimiter)) {
    fail("delimiter", "expected a non-empty delimiter without \\, = or control characters (quotes keep spaces: \", \")");
  }

  const names = parseBoolean(raw("includeAttributeNames").value);
  if (names === undefined) fail("includeAttributeNames", "expected true or false");

  let dateLocale = "en-US";
  try {
    dateLocale = parseJavaLocale(raw("date.locale").value.trim());
  } catch (error) {
    fail("date.locale", reason(error));
  }
  let dateTimeZone: JavaTimeZone | undefined;
  try {
    dateTimeZone = parseJavaTimeZone(raw("date.timezone").value.trim());
  } catch (error) {
    fail("date.timezone", reason(error));
  }
  const datePatternRaw = raw("date.pattern").value;
  const datePattern = datePatternRaw.trim() === "" ? "" : datePatternRaw;
  let formatDate: ((ms: number) => string) | undefined;
  if (datePattern === "") {
    formatDate = createIsoSecondsFormatter();
  } else {
    try {
      // With a bad zone, still check the pattern (against UTC) so every problem is reported at once.
      formatDate = compileJavaDatePattern(datePattern, { locale: dateLocale, zone: dateTimeZone ?? parseJavaTimeZone("UTC") });
    } catch (error) {
      fail("date.pattern", `expected a Java SimpleDateFormat pattern: ${(error as Error).message}`);
    }
  }

  let file: FileSettings | undefined;
  const location = raw("file.location").value.trim();
  const maxSize = parseFileSize(raw("file.size").value);
  if (maxSize === undefined) fail("file.size", "expected a size in bytes greater than 0, optionally with KB, MB or GB (e.g. 2097152, 512KB, 10MB)");
  const countText = raw("file.count").value.trim();
  const maxArchives = /^[0-9]{1,5}$/.test(countText) ? Number(countText) : NaN;
  if (!(maxArchives >= 1 && maxArchives <= 10000)) fail("file.count", "expected a whole number of archives from 1 to 10000");
  const pattern = unquote(raw("file.pattern").value.trim());
  let layout: ((event: LayoutEvent) => string) | undefined;
  try {
    // Audit messages are escaped when they are built, so %sanitisedMessage has nothing to do.
    layout = compilePatternLayout(pattern, { createDateFormatter: layoutDateFormatter, messageIsSanitized: true, oneLine: true });
    if (!/%n\s*$/.test(pattern) && !pattern.endsWith("\n")) {
      const source = given.get("file.pattern");
      warnings.push({ key: KEY_PREFIX + "file.pattern", value: source?.value ?? pattern, line: source?.line, expected: "does not end with %n, so records will not end with a line break" });
    }
    const inner = innerLineBreak(pattern);
    if (inner !== undefined) {
      const source = given.get("file.pattern");
      warnings.push({ key: KEY_PREFIX + "file.pattern", value: source?.value ?? pattern, line: source?.line, expected: `has a line break before its end (${inner}); it is written escaped (\\n) so that each record stays one line` });
    }
  } catch (error) {
    fail("file.pattern", `expected a logback pattern: ${(error as Error).message}`);
  }
  const bufferText = raw("buffer.size").value.trim();
  const bufferSize = /^[0-9]{1,9}$/.test(bufferText) ? Number(bufferText) : NaN;
  if (!(bufferSize >= 0 && bufferSize <= 100_000_000)) fail("buffer.size", "expected a whole number of records from 0 to 100000000");

  const fsyncText = raw("file.fsync").value.trim().toLowerCase();
  if (fsyncText !== "never" && fsyncText !== "rotation" && fsyncText !== "always") fail("file.fsync", "expected never, rotation or always");
  const durabilityText = raw("file.durability").value.trim().toLowerCase();
  if (durabilityText !== "sync" && durabilityText !== "batched") fail("file.durability", "expected sync or batched");
  const delayText = raw("file.durability.maxDelayMs").value.trim();
  const delay = /^[0-9]{1,4}$/.test(delayText) ? Number(delayText) : NaN;
  if (!(delay >= 1 && delay <= 1000)) fail("file.durability.maxDelayMs", "expected a whole number of milliseconds from 1 to 1000");
  const batchDelayMs = durabilityText === "batched" ? delay : undefined;
  const mpText = raw("file.multiprocess").value.trim().toLowerCase();
  if (mpText !== "auto" && mpText !== "true" && mpText !== "false") fail("file.multiprocess", "expected auto, true or false");
  const multiprocess = mpText === "true" || (mpText === "auto" && inSharedWorker());
  // Unlike the other keys, an empty mask.names means what it says: mask nothing.
  const maskSource = given.get("mask.names");
  const maskNames = (maskSource !== undefined ? maskSource.value : (KNOWN.get("mask.names") as KeySpec).defaultValue)
    .split(",")
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w !== "");
  const keepText = raw("mask.keep").value.trim();
  const maskKeep = /^[0-9]{1,4}$/.test(keepText) ? Number(keepText) : NaN;
  if (!(maskKeep >= 0 && maskKeep <= 1000)) fail("mask.keep", "expected a whole number of characters from 0 to 1000");
  const maxText = raw("record.maxLength").value.trim();
  const maxLength = /^[0-9]{1,10}$/.test(maxText) ? Number(maxText) : NaN;
  if (!(maxLength >= 256 && maxLength <= 1_073_741_824)) fail("record.maxLength", "expected a whole number of characters from 256 to 1073741824");
  const maxAttributesText = raw("record.maxAttributes").value.trim();
  const maxAttributes = /^[0-9]{1,6}$/.test(maxAttributesText) ? Number(maxAttributesText) : NaN;
  if (!(maxAttributes >= 1 && maxAttributes <= 100_000)) fail("record.maxAttributes", "expected a whole number of attributes from 1 to 100000");

  const compress = parseBoolean(raw("file.compress").value);
  if (compress === undefined) fail("file.compress", "expected true or false");
  const maxAgeText = raw("file.maxAge").value.trim();
  const maxAgeDays = /^[0-9]{1,5}$/.test(maxAgeText) ? Number(maxAgeText) : NaN;
  if (!(maxAgeDays >= 0 && maxAgeDays <= 36500)) fail("file.maxAge", "expected a whole number of days from 0 (no age limit) to 36500");
  const integrity = resolveIntegrity(raw, fail, baseDir, location === "" ? warnings : undefined);

  if (location !== "" && maxSize !== undefined && layout !== undefined && problems.length === 0) {
    const locationSource = given.get("file.location");
    file = {
      location: isAbsolute(location) ? location : resolve(baseDir, location),
      source: { value: locationSource?.value ?? location, line: locationSource?.line },
      maxSize,
      maxArchives,
      pattern,
      layout,
      messageOnly: /^%(?:sanitisedMessage|m|msg|message)%n$/.test(pattern),
      compress: compress as boolean,
      maxAgeDays,
    };
  }

  const targetResult = parseTargets(targetProperties, baseDir, KEY_PREFIX, (targetPattern) =>
    compilePatternLayout(targetPattern, { createDateFormatter: layoutDateFormatter, messageIsSanitized: true, oneLine: true }),
  );
  problems.push(...targetResult.problems);
  warnings.push(...targetResult.warnings);

  if (problems.length > 0) {
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return { ok: false, problems, warnings };
  }
  const config: AuditConfig = {
    enabled: enabled as boolean,
    level: level as Level,
    delimiter,
    includeAttributeNames: names as boolean,
    datePattern,
    dateLocale,
    dateTimeZone: dateTimeZone as JavaTimeZone,
    formatDate: formatDate as (ms: number) => string,
    file,
    bufferSize,
    fsync: fsyncText as AuditConfig["fsync"],
    batchDelayMs,
    multiprocess,
    maskNames,
    maskKeep,
    maxLength,
    maxAttributes,
    targets: targetResult.targets,
    integrity,
    fingerprint: "",
  };
  const fingerprint = JSON.stringify([
    config.enabled,
    config.level,
    config.delimiter,
    config.includeAttributeNames,
    config.datePattern,
    config.dateLocale,
    config.dateTimeZone.id,
    file?.location,
    file?.maxSize,
    file?.maxArchives,
    file?.pattern,
    bufferSize,
    config.fsync,
    batchDelayMs,
    multiprocess,
    maskNames,
    maskKeep,
    maxLength,
    maxAttributes,
    file?.compress,
    file?.maxAgeDays,
    targetResult.targets.map((t) => t.fingerprint),
    integrity === undefined ? null : [integrity.mode, integrity.keyPath, integrity.checkpointRecords, integrity.checkpointSeconds, integrity.epochSeconds],
  ]);
  return { ok: true, config: { ...config, fingerprint }, warnings };
}

/**
 * Validates the `integrity.*` keys and reads the key file (the secret is checked, then
 * forgotten: the integrity chain reads it again when it starts, so a configuration object never
 * holds a key that evolution should have erased).
 */
function resolveIntegrity(
  raw: (name: string) => { value: string; source: PropertySource | undefined },
  fail: (name: string, expected: string) => void,
  baseDir: string,
  standardModeWarnings: ConfigProblem[] | undefined,
): IntegritySettings | undefined {
  const modeText = raw("integrity.mode").value.trim().toLowerCase();
  if (modeText !== "off" && modeText !== "hmac" && modeText !== "ed25519") fail("integrity.mode", "expected off, hmac or ed25519");
  const recordsText = raw("integrity.checkpoint.records").value.trim();
  const records = /^[0-9]{1,9}$/.test(recordsText) ? Number(recordsText) : NaN;
  if (!(records >= 1 && records <= 100_000_000)) fail("integrity.checkpoint.records", "expected a whole number of records from 1 to 100000000");
  const secondsText = raw("integrity.checkpoint.seconds").value.trim();
  const seconds = /^[0-9]{1,5}$/.test(secondsText) ? Number(secondsText) : NaN;
  if (!(seconds >= 0 && seconds <= 86_400)) fail("integrity.checkpoint.seconds", "expected a whole number of seconds from 0 to 86400");
  const epochText = raw("integrity.epoch").value.trim();
  const epoch = /^[0-9]{1,8}$/.test(epochText) ? Number(epochText) : NaN;
  if (!(epoch >= 0 && epoch <= 31_536_000)) fail("integrity.epoch", "expected 0 (no key evolution) or an epoch length in seconds from 1 to 31536000");
  if (modeText !== "hmac" && modeText !== "ed25519") return undefined;
  if (standardModeWarnings !== undefined) {
    const source = raw("integrity.mode").source;
    standardModeWarnings.push({ key: KEY_PREFIX + "integrity.mode", value: source?.value ?? modeText, line: source?.line, expected: "has no effect in standard mode: tamper evidence covers the files of dedicated mode (set file.location)" });
  }
  const keyText = raw("integrity.key").value.trim();
  if (keyText === "") {
    fail("integrity.key", `expected the path of the key file (integrity.mode=${modeText} needs one)`);
    return undefined;
  }
  const keyPath = isAbsolute(keyText) ? keyText : resolve(baseDir, keyText);
  if (modeText === "ed25519") {
    if (epoch > 0) fail("integrity.epoch", "expected 0: key evolution is for integrity.mode=hmac (with ed25519 the private key can stay off the verifier, and only checkpoints signed before a theft are trusted)");
    try {
      ed25519KeyFromSecretFile(keyPath, readSecretFile(keyPath));
    } catch (error) {
      if (error instanceof KeyFileError) fail("integrity.key", `expected ${error.expected}: ${error.problem}`);
      else fail("integrity.key", `expected an Ed25519 private key: ${(error as Error).message}`);
    }
  } else {
    try {
      const key = hmacKeyFromSecretFile(keyPath, readSecretFile(keyPath));
      key.secret.fill(0);
      if (epoch > 0 && key.start === undefined) {
        fail("integrity.key", `expected a line start=<ISO-8601 time> in ${keyPath}: key evolution (integrity.epoch=${epoch}) counts epochs from it, and the verifier must know it`);
      }
      if (epoch > 0 && key.seconds !== undefined && key.seconds !== epoch) {
        fail("integrity.epoch", `expected ${key.seconds}, the epoch length recorded in the key file ${keyPath} (changing it would move every epoch's time window)`);
      }
      if (epoch === 0 && key.epoch > 0) {
        fail("integrity.epoch", `expected ${key.seconds ?? "the epoch length"}: the key file ${keyPath} has already evolved to epoch ${key.epoch}`);
      }
    } catch (error) {
      if (error instanceof KeyFileError) fail("integrity.key", `expected ${error.expected}: ${error.problem}`);
      else fail("integrity.key", `expected an HMAC key file: ${(error as Error).message}`);
    }
  }
  return { mode: modeText, keyPath, checkpointRecords: records, checkpointSeconds: seconds, epochSeconds: epoch };
}
