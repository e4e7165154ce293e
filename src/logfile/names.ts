/**
 * The names of a rolling file's archives (`file.1` newest … `file.N`, `file.N.gz` when
 * compressed), a left-over `file.rotating` and temporary compression files: one definition
 * for the writer, the archive keeper, the verifier and the commands.
 *
 * @module
 */
import { basename } from "node:path";

const ARCHIVE_SUFFIX = /^([1-9][0-9]*)(\.gz)?$/;
/** The suffix of a temporary compression file (`file.inode-N.gz.tmp`), after `file.`. */
export const TEMPORARY_SUFFIX = /^inode-([0-9]+)\.gz\.tmp$/;

/** Which files one archive number has: normally one of the two. */
export interface ArchiveEntry {
  /** `file.N` exists. */
  plain: boolean;
  /** `file.N.gz` exists. */
  gz: boolean;
}

/** The archives of a file by number (1 newest). */
export type ArchiveMap = Map<number, ArchiveEntry>;

/** What a folder holds besides the active file. */
export interface ArchiveListing {
  readonly archives: ArchiveMap;
  /** A `file.rotating` left by an interrupted rotation. */
  readonly rotating: boolean;
  /** Names of temporary compression files (`file.inode-N.gz.tmp`). */
  readonly temporaries: readonly string[];
}

/**
 * The name of archive `index` of `path`, compressed or not.
 *
 * @example
 * ```ts
 * archiveName("/var/log/audit.log", 3, true); // "/var/log/audit.log.3.gz"
 * ```
 */
export function archiveName(path: string, index: number, gz: boolean): string {
  return gz ? `${path}.${index}.gz` : `${path}.${index}`;
}

/**
 * Sorts the names of a folder into the archives of `path`, a left-over `.rotating` and
 * temporary compression files.
 *
 * @example
 * ```ts
 * parseArchiveNames("/var/log/audit.log", ["audit.log", "audit.log.1", "audit.log.2.gz"]).archives;
 * // Map { 1 => { plain: true, gz: false }, 2 => { plain: false, gz: true } }
 * ```
 */
export function parseArchiveNames(path: string, names: readonly string[]): ArchiveListing {
  const base = basename(path);
  const archives: ArchiveMap = new Map();
  const temporaries: string[] = [];
  let rotating = false;
  for (const name of names) {
    if (name.length <= base.length + 1 || !name.startsWith(base) || name.charCodeAt(base.length) !== 0x2e) continue;
    const suffix = name.slice(base.length + 1);
    const match = ARCHIVE_SUFFIX.exec(suffix);
    if (match !== null) {
      const index = Number(match[1]);
      const entry = archives.get(index) ?? { plain: false, gz: false };
      if (match[2] === undefined) entry.plain = true;
      else entry.gz = true;
      archives.set(index, entry);
    } else if (suffix === "rotating") {
      rotating = true;
    } else if (TEMPORARY_SUFFIX.test(suffix)) {
      temporaries.push(name);
    }
  }
  return { archives, rotating, temporaries };
}
