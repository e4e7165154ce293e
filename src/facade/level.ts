/**
 * Logging levels, ordered from the most verbose to the most severe, as in SLF4J.
 *
 * @example
 * ```ts
 * import { Level, levelName } from "slf4ts";
 * levelName(Level.WARN); // "WARN"
 * ```
 */
export const Level = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  WARN: 3,
  ERROR: 4,
} as const;

/** A level value: one of the numbers in {@link Level}. */
export type Level = (typeof Level)[keyof typeof Level];

/** The lower-case level names accepted in configuration, in level order. */
export const LEVEL_IDS = ["trace", "debug", "info", "warn", "error"] as const;

/** A lower-case level name as written in configuration files. */
export type LevelId = (typeof LEVEL_IDS)[number];

const UPPER = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] as const;

/**
 * The upper-case name of a level, as logback's `%level` prints it.
 *
 * @example
 * ```ts
 * levelName(Level.INFO); // "INFO"
 * ```
 */
export function levelName(level: Level): (typeof UPPER)[number] {
  return UPPER[level] as (typeof UPPER)[number];
}

/**
 * Parses a configured level name, case-insensitively and ignoring surrounding white space.
 * Returns `undefined` for anything that is not one of {@link LEVEL_IDS}.
 *
 * @example
 * ```ts
 * parseLevel(" WARN "); // Level.WARN
 * parseLevel("verbose"); // undefined
 * ```
 */
export function parseLevel(text: string): Level | undefined {
  const index = (LEVEL_IDS as readonly string[]).indexOf(text.trim().toLowerCase());
  return index < 0 ? undefined : (index as Level);
}
