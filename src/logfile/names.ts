/**
 * The names of a rolling file's archives (`file.1` newest … `file.N`, `file.N.gz` when
 * compressed), a left-over `file.rotating` and temporary compression files: one definition
 * for the writer, the archive keeper, the verifier and the commands.
 *
 * @module
 */
import { basename } from "node:path";

/**
 * The largest archive number: `file.count` is at most 10000 (`src/config/schema.ts`), and a
 * number up to 99999 is still taken for an archive (left by another writer, or by a count that
 * was larger), so the writer deletes it by count and the commands read it. A longer number is no
 * archive of this writer's: it is left alone (and `Number()` of it stays exact).
 *
 * @example
 * ```ts
 * MAX_ARCHIVE_INDEX; // 99999
 * ```
 */
export const MAX_ARCHIVE_INDEX = 99_999;

/** The one definition of an archive's name: `<base>.<N>` or `<base>.<N>.gz`, N from 1 to {@link MAX_ARCHIVE_INDEX}. */
const ARCHIVE_NAME = /^(.+)\.([1-9][0-9]{0,4})(\.gz)?$/s;
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

/** What an archive's name says. */
export interface ArchiveName {
  /** The name of the active file (`audit.log` of `audit.log.3.gz`). */
  readonly base: string;
  /** The archive number, 1 (newest) to {@link MAX_ARCHIVE_INDEX}. */
  readonly index: number;
  /** The name ends in `.gz`. */
  readonly gz: boolean;
}

/**
 * Reads a file name as an archive's (`audit.log.3`, `audit.log.3.gz`); undefined for any other
 * name (the active file's among them).
 *
 * @example
 * ```ts
 * parseArchiveName("audit.log.3.gz"); // { base: "audit.log", index: 3, gz: true }
 * parseArchiveName("audit.log");      // undefined
 * ```
 */
export function parseArchiveName(name: string): ArchiveName | undefined {
  const match = ARCHIVE_NAME.exec(name);
  if (match === null) return undefined;
  return { base: match[1] as string, index: Number(match[2]), gz: match[3] !== undefined };
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
    const archive = parseArchiveName(name);
    if (archive !== undefined && archive.base === base) {
      const entry = archives.get(archive.index) ?? { plain: false, gz: false };
      if (archive.gz) entry.gz = true;
      else entry.plain = true;
      archives.set(archive.index, entry);
    } else if (suffix === "rotating") {
      rotating = true;
    } else if (TEMPORARY_SUFFIX.test(suffix)) {
      temporaries.push(name);
    }
  }
  return { archives, rotating, temporaries };
}
