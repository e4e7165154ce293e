/**
 * Sizes in configuration values: `file.size`, a file target's `size`, `spool.maxSize`, read as
 * logback's `FileSize.valueOf` reads them (logback-core 1.2.11), with the differences below.
 *
 * @module
 */

/**
 * logback's `([0-9]+)\s*(|kb|mb|gb)s?` (case-insensitive), with Java's `\s` (ASCII whitespace
 * only: no NBSP) and a `b` unit logback does not have.
 */
const SIZE = /^([0-9]+)[ \t\n\x0B\f\r]*(|b|kb|mb|gb)s?$/i;
const UNITS: Record<string, number> = { "": 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * Parses `2097152`, `512KB`, `10MB`, `1GB`, `10 MBs` (case-insensitive, 1KB = 1024); undefined
 * when it is not a size greater than 0.
 *
 * Like logback's `FileSize.valueOf`: digits, optional ASCII whitespace, an optional unit `KB`,
 * `MB` or `GB` and an optional plural `s`. Unlike it (deliberately): surrounding whitespace is
 * trimmed (logback's XML configuration trims too), a `B` unit is accepted, `0` is refused (a
 * file needs a size) and so is a size beyond 2^53 - 1 bytes (where logback's `long` overflows
 * silently into a negative size).
 *
 * @example
 * ```ts
 * parseFileSize("512KB");  // 524288
 * parseFileSize("10 MBs"); // 10485760
 * parseFileSize("0");      // undefined
 * ```
 */
export function parseFileSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (match === null) return undefined;
  const value = Number(match[1]) * (UNITS[(match[2] ?? "").toLowerCase()] ?? NaN);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
