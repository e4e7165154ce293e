/**
 * How a rotation moves files (logback's "rolling policy"; *when* to rotate is the writer's):
 * the archives are shifted up by one, highest first, what passes the count is deleted, and the
 * file set aside becomes `.1`. Compressed (`.N.gz`) and uncompressed (`.N`) archives share one
 * numbering and one count, so no name is ever taken twice.
 *
 * @module
 */
import type { FileSystemError, WriterFileSystem } from "./file-system.js";
import { archiveName, type ArchiveEntry, type ArchiveMap } from "../logfile/names.js";

/**
 * The lowest archive number not present: where an interrupted rotation left its one gap.
 *
 * @example
 * ```ts
 * lowestFreeNumber(new Map([[1, { plain: true, gz: false }], [3, { plain: true, gz: false }]])); // 2
 * ```
 */
export function lowestFreeNumber(archives: ArchiveMap): number {
  let gap = 1;
  while (archives.has(gap)) gap++;
  return gap;
}

/**
 * Shifts the archives of `path` in `present` up by one (deleting those numbered `maxArchives`
 * or more) and renames `aside` to `path.1`; returns the archives now present. A listing that
 * is behind (an archive compressed meanwhile by another process) is tolerated: the other kind
 * of file is moved instead. Throws the first failure other than a missing file.
 *
 * @example
 * ```ts
 * const next = shiftArchives(NODE_FILE_SYSTEM, "/var/log/audit.log", "/var/log/audit.log.rotating", listing.archives, 99);
 * ```
 */
export function shiftArchives(fs: WriterFileSystem, path: string, aside: string, present: ArchiveMap, maxArchives: number): ArchiveMap {
  const next: ArchiveMap = new Map();
  const kept: number[] = [];
  // The archives past the count are deleted before the shift, not replaced by renaming the next
  // one over them (one call fewer): on ext4 a rename over an existing file makes the kernel start
  // writing the renamed file's data out (auto_da_alloc), which was measured to cost more than the
  // deletion (a rotation with 20 archives: about 0.45 ms instead of 0.2 ms for the 21 renames).
  for (const [index, entry] of present) {
    if (index >= maxArchives) {
      if (entry.plain) unlinkIfPresent(fs, archiveName(path, index, false));
      if (entry.gz) unlinkIfPresent(fs, archiveName(path, index, true));
    } else {
      kept.push(index);
    }
  }
  kept.sort((a, b) => b - a);
  for (const index of kept) {
    const entry = present.get(index) as ArchiveEntry;
    const moved = { plain: false, gz: false };
    for (const gz of [false, true]) {
      if (!(gz ? entry.gz : entry.plain)) continue;
      // The list may be behind (compressed meanwhile by another process): then the other kind is there.
      if (renameIfPresent(fs, archiveName(path, index, gz), archiveName(path, index + 1, gz))) moved[gz ? "gz" : "plain"] = true;
      else if (!(gz ? entry.plain : entry.gz) && renameIfPresent(fs, archiveName(path, index, !gz), archiveName(path, index + 1, !gz))) moved[gz ? "plain" : "gz"] = true;
    }
    if (moved.plain || moved.gz) next.set(index + 1, moved);
  }
  fs.renameSync(aside, archiveName(path, 1, false));
  next.set(1, { plain: true, gz: false });
  return next;
}

/** Renames; returns false when `from` is not there. */
function renameIfPresent(fs: WriterFileSystem, from: string, to: string): boolean {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (error) {
    if ((error as FileSystemError).code !== "ENOENT") throw error;
    return false;
  }
}

function unlinkIfPresent(fs: WriterFileSystem, path: string): void {
  try {
    fs.unlinkSync(path);
  } catch (error) {
    if ((error as FileSystemError).code !== "ENOENT") throw error;
  }
}
