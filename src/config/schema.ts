/**
 * How a set of properties becomes a validated, compiled audit configuration (whole or not at
 * all): the keys of the table in `keys.ts` parsed by their parsers, then what needs several keys
 * at once (the date pattern in its zone and locale, the layout, the integrity key file, the
 * mode), the targets, and the reload fingerprint of every key.
 *
 * @module
 */
import cluster from "node:cluster";
import type { Level } from "../facade/level.js";
import { compileJavaDatePattern, createIsoSecondsFormatter } from "../java/date.js";
import { parseJavaLocale } from "../java/locale.js";
import { parseJavaTimeZone, type JavaTimeZone } from "../java/zone.js";
import { compilePatternLayout, describePatternLayout, type LayoutEvent, type PatternPiece } from "../layout/pattern.js";
import { ed25519KeyFromSecretFile, hmacKeyFromSecretFile, KeyFileError, readSecretFile } from "../integrity/keys.js";
import type { ConfigProblem } from "./errors.js";
import { parseTargets, type TargetProperty } from "./targets.js";
import type { TargetSpec } from "../targets/spec.js";
import type { IntegritySettings } from "../integrity/settings.js";
import { canonicalValue, CONFIG_KEYS, KEY_PREFIX, type KeyName, type KeySpec, type KeyValues } from "./keys.js";
import type { Parser } from "./parsers.js";
import { intendedKey, suggestion } from "./names.js";

export type { IntegritySettings };
// Where these lived before the key table had a file of its own; importers of schema.js keep working.
export { CONFIG_KEYS, KEY_PREFIX, type KeySpec, intendedKey };

const KNOWN = new Map<string, KeySpec<unknown>>(CONFIG_KEYS.map((k) => [k.name, k as KeySpec<unknown>]));

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
  /** Compress archives with gzip (`file.compress=gzip`). */
  readonly compress: boolean;
  /** Delete archives older than this many days (`file.maxAge`; 0: no limit). */
  readonly maxAgeDays: number;
}

/** The settings of every mode. */
export interface CommonConfig {
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
  /** How many records may wait while the file cannot be written. */
  readonly bufferSize: number;
  /** When written records are forced to the disk. */
  readonly fsync: KeyValues["file.fsync"];
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
  /** A canonical text of the parsed value of every key, to tell whether a reload changed anything. */
  readonly fingerprint: string;
}

/** Standard mode (`file.location` empty): records go through the host's logging. */
export interface StandardConfig extends CommonConfig {
  readonly mode: "standard";
  readonly file: undefined;
}

/** Dedicated mode: records go to `file.location` and its archives. */
export interface DedicatedConfig extends CommonConfig {
  readonly mode: "dedicated";
  readonly file: FileSettings;
}

/**
 * A validated, compiled configuration: a union on the mode, so `file` exists exactly in
 * dedicated mode (`config.file !== undefined` or `config.mode === "dedicated"` narrows it).
 */
export type AuditConfig = StandardConfig | DedicatedConfig;

/** The outcome of {@link resolveConfig}. */
export type ResolveResult =
  | { readonly ok: true; readonly config: AuditConfig; readonly warnings: readonly ConfigProblem[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly warnings: readonly ConfigProblem[] };

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

  const fail = (name: KeyName, expected: string): void => {
    const source = given.get(name);
    problems.push({ key: KEY_PREFIX + name, value: source?.value, line: source?.line, expected });
  };
  // Every key through its parser: the value given, or the default when absent or empty.
  const parsed: Partial<Record<KeyName, unknown>> = {};
  for (const spec of CONFIG_KEYS as readonly (KeySpec<unknown> & { readonly name: KeyName })[]) {
    const source = given.get(spec.name);
    const text = source === undefined || (spec.emptyMeansDefault && source.value.trim() === "") ? spec.defaultValue : source.value;
    const result = (spec.parse as Parser<unknown>)(text, { baseDir });
    if (result.ok) parsed[spec.name] = result.value;
    else fail(spec.name, result.expected);
  }
  const values = parsed as Partial<KeyValues>;

  const dateLocale = values["date.locale"] ?? "en-US";
  const dateTimeZone = values["date.timezone"];
  const datePattern = values["date.pattern"]?.trim() === "" ? "" : (values["date.pattern"] ?? "");
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

  const location = values["file.location"] ?? "";
  const pattern = values["file.pattern"] ?? "";
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
  const multiprocessText = values["file.multiprocess"];
  const multiprocess = multiprocessText === "true" || (multiprocessText === "auto" && inSharedWorker());
  const integrity = resolveIntegrity(values, given, fail, location === "" ? warnings : undefined);

  const targetResult = parseTargets(targetProperties, baseDir, KEY_PREFIX, (targetPattern) =>
    compilePatternLayout(targetPattern, { createDateFormatter: layoutDateFormatter, messageIsSanitized: true, oneLine: true }),
  );
  problems.push(...targetResult.problems);
  warnings.push(...targetResult.warnings);
  // integrity=on carries the lines of the chain: there must be a chain (integrity on, in dedicated mode).
  for (const target of targetResult.targets) {
    if (!target.integrity || (integrity !== undefined && location !== "")) continue;
    const property = [...targetProperties].reverse().find((p) => p.name === `target.${target.name}.integrity`);
    problems.push({
      key: KEY_PREFIX + `target.${target.name}.integrity`,
      value: property?.value ?? "on",
      line: property?.line,
      expected:
        location === ""
          ? "integrity=on carries the lines of the hash chain, which only dedicated mode writes; expected file.location with integrity.mode hmac or ed25519, or integrity=off"
          : "integrity=on carries the lines of the hash chain, and integrity.mode is off; expected integrity.mode hmac or ed25519, or integrity=off",
    });
  }

  if (problems.length > 0 || layout === undefined || formatDate === undefined) {
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return { ok: false, problems, warnings };
  }
  // No problem: every key parsed.
  const all = values as KeyValues;
  // The parsed value of every key of the table, and each target's: a reload notices a change of any key.
  const fingerprint = JSON.stringify([
    CONFIG_KEYS.map((spec) => [spec.name, canonicalValue(spec as KeySpec<unknown>, all[spec.name])]),
    targetResult.targets.map((t) => t.fingerprint),
  ]);
  const common: CommonConfig = {
    enabled: all.enabled,
    level: all.level,
    delimiter: all.delimiter,
    includeAttributeNames: all.includeAttributeNames,
    datePattern,
    dateLocale: all["date.locale"],
    dateTimeZone: all["date.timezone"],
    formatDate,
    bufferSize: all["buffer.size"],
    fsync: all["file.fsync"],
    batchDelayMs: all["file.durability"] === "batched" ? all["file.durability.maxDelayMs"] : undefined,
    multiprocess,
    maskNames: all["mask.names"],
    maskKeep: all["mask.keep"],
    maxLength: all["record.maxLength"],
    maxAttributes: all["record.maxAttributes"],
    targets: targetResult.targets,
    integrity,
    fingerprint,
  };
  if (location === "") return { ok: true, config: { ...common, mode: "standard", file: undefined }, warnings };
  const locationSource = given.get("file.location");
  const file: FileSettings = {
    location,
    source: { value: locationSource?.value ?? location, line: locationSource?.line },
    maxSize: all["file.size"],
    maxArchives: all["file.count"],
    pattern,
    layout,
    messageOnly: /^%(?:sanitisedMessage|m|msg|message)%n$/.test(pattern),
    compress: all["file.compress"] === "gzip",
    maxAgeDays: all["file.maxAge"],
  };
  return { ok: true, config: { ...common, mode: "dedicated", file }, warnings };
}

/**
 * Checks the `integrity.*` keys together and reads the key file (the secret is checked, then
 * forgotten: the integrity chain reads it again when it starts, so a configuration object never
 * holds a key that evolution should have erased).
 */
function resolveIntegrity(
  values: Partial<KeyValues>,
  given: ReadonlyMap<string, PropertySource>,
  fail: (name: KeyName, expected: string) => void,
  standardModeWarnings: ConfigProblem[] | undefined,
): IntegritySettings | undefined {
  const mode = values["integrity.mode"];
  const records = values["integrity.checkpoint.records"] ?? NaN;
  const seconds = values["integrity.checkpoint.seconds"] ?? NaN;
  const epoch = values["integrity.epoch"] ?? NaN;
  if (mode !== "hmac" && mode !== "ed25519") return undefined;
  if (standardModeWarnings !== undefined) {
    const source = given.get("integrity.mode");
    const shown = source === undefined || source.value.trim() === "" ? undefined : source;
    standardModeWarnings.push({ key: KEY_PREFIX + "integrity.mode", value: shown?.value ?? mode, line: shown?.line, expected: "has no effect in standard mode: tamper evidence covers the files of dedicated mode (set file.location)" });
  }
  const keyPath = values["integrity.key"] ?? "";
  if (keyPath === "") {
    fail("integrity.key", `expected the path of the key file (integrity.mode=${mode} needs one)`);
    return undefined;
  }
  if (mode === "ed25519") {
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
  return { mode, keyPath, checkpointRecords: records, checkpointSeconds: seconds, epochSeconds: epoch };
}
