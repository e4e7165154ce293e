/**
 * Sizes in configuration values: `file.size`, a file target's `size`, `spool.maxSize`.
 *
 * @module
 */

const SIZE = /^([0-9]+)\s*(|b|kb|mb|gb)$/i;
const UNITS: Record<string, number> = { "": 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * Parses `2097152`, `512KB`, `10MB`, `1GB` (case-insensitive, 1KB = 1024); undefined when it is
 * not a size greater than 0.
 *
 * @example
 * ```ts
 * parseFileSize("512KB"); // 524288
 * ```
 */
export function parseFileSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (match === null) return undefined;
  const value = Number(match[1]) * (UNITS[(match[2] ?? "").toLowerCase()] ?? NaN);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
