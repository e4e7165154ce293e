/**
 * An archive kept twice, plain and compressed (`audit.log.3` and `audit.log.3.gz`): the writer's
 * compression was interrupted after the complete `.gz` got its name and before the original was
 * deleted. One byte-for-byte comparison of the two, for the archive keeper (which deletes one
 * copy), the commands (which read one) and the verifier (which reports them).
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { readRegularFile, type RegularFileSystem } from "./read.js";

/**
 * Archives larger than this (either file) are not compared by the writer and the commands:
 * both are then kept and read.
 *
 * @example
 * ```ts
 * MAX_COMPARED_BYTES; // 268435456
 * ```
 */
export const MAX_COMPARED_BYTES = 256 * 1024 * 1024;

/**
 * What the two copies of an archive hold:
 * - `same`: the `.gz` decompresses to exactly the bytes of the plain file;
 * - `different`: both are complete and hold different bytes (not this writer's doing);
 * - `damaged`: the `.gz` does not decompress (cut short: a crash of the machine before its data
 *   reached the disk), so the plain file is the complete copy;
 * - `too-large`: a file is larger than the bound, and they were not compared.
 *
 * @example
 * ```ts
 * const verdict: TwinComparison = compareTwins("/var/log/audit.log.3", "/var/log/audit.log.3.gz");
 * ```
 */
export type TwinComparison = "same" | "different" | "damaged" | "too-large";

/**
 * Compares `plain` with the decompressed bytes of `gz`, reading each (as `openRegularFile`
 * opens a file: no symbolic link, no FIFO) only when it has at most `maxBytes` bytes, and
 * decompressing at most one byte more than `plain` has. Throws what opening or reading throws
 * (`ENOENT` when one of them is gone, a `NotRegularFileError`).
 *
 * @param fs the archive keeper's injectable file system; `node:fs` by default.
 * @example
 * ```ts
 * if (compareTwins("/var/log/audit.log.3", "/var/log/audit.log.3.gz") === "same") unlinkSync("/var/log/audit.log.3");
 * ```
 */
export function compareTwins(plain: string, gz: string, maxBytes: number = MAX_COMPARED_BYTES, fs?: RegularFileSystem): TwinComparison {
  const original = readRegularFile(plain, maxBytes, fs);
  if (original === undefined) return "too-large";
  const compressed = readRegularFile(gz, maxBytes, fs);
  if (compressed === undefined) return "too-large";
  let inflated: Buffer;
  try {
    inflated = gunzipSync(compressed, { maxOutputLength: original.length + 1 });
  } catch (error) {
    // Longer than the original: a complete file with other records, not a cut one.
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") return "different";
    return "damaged";
  }
  return inflated.equals(original) ? "same" : "different";
}
