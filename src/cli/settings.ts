/**
 * The logger's settings as the commands read them: the entries of a `slf4j-auditlog.properties`
 * file and the settings that shaped its lines, validated as the logger validates them.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { KEY_PREFIX, resolveConfig } from "../config/schema.js";
import { decodePropertiesFile, parseProperties, type PropertyEntry } from "../java/properties.js";
import { DEFAULT_READ_SETTINGS, type ReadSettings } from "../logfile/records.js";

/**
 * The entries of a .properties file (Java syntax), for the commands that read the logger's
 * settings. Throws an `Error` naming the file (and line) when it cannot be read or parsed.
 *
 * @example
 * ```ts
 * const entries = readPropertiesEntries("/etc/app/slf4j-auditlog.properties");
 * ```
 */
export function readPropertiesEntries(path: string): readonly PropertyEntry[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const decoded = decodePropertiesFile(bytes);
  if ("problem" in decoded) throw new Error(`${path}:${decoded.problem.line}: ${decoded.problem.message}`);
  const parsed = parseProperties(decoded.text);
  if (parsed.problems.length > 0) {
    throw new Error(parsed.problems.map((p) => `${path}:${p.line}: ${p.message}`).join("\n"));
  }
  return parsed.entries;
}

/**
 * Reads the settings that shape audit lines from a `slf4j-auditlog.properties` file, validated
 * as the logger validates them. Throws an `Error` naming the file and every problem (each with
 * key, value, line and what was expected) when it cannot be read or is invalid.
 *
 * @example
 * ```ts
 * const settings = loadReadSettings("/etc/app/slf4j-auditlog.properties");
 * settings.delimiter; // "|"
 * ```
 */
export function loadReadSettings(propertiesFile: string): ReadSettings {
  const path = resolve(propertiesFile);
  const entries = readPropertiesEntries(path);
  const result = resolveConfig(entries, dirname(path));
  if (!result.ok) {
    throw new Error(result.problems.map((p) => `${path}:${p.line ?? "?"}: ${p.key}=${p.value ?? ""}: ${p.expected}`).join("\n"));
  }
  const config = result.config;
  // The pattern as resolveConfig read it (it keeps it only in dedicated mode).
  let filePattern = DEFAULT_READ_SETTINGS.filePattern;
  for (const entry of entries) {
    if (entry.key === KEY_PREFIX + "file.pattern" && entry.value.trim() !== "") filePattern = unquote(entry.value.trim());
  }
  return {
    delimiter: config.delimiter,
    includeAttributeNames: config.includeAttributeNames,
    datePattern: config.datePattern,
    dateLocale: config.dateLocale,
    dateTimeZone: config.dateTimeZone,
    filePattern,
    location: config.file?.location,
  };
}

function unquote(text: string): string {
  const first = text.charAt(0);
  return text.length >= 2 && (first === '"' || first === "'") && text.endsWith(first) ? text.slice(1, -1) : text;
}

