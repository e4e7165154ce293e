/**
 * Finding and reading the files of a dedicated-mode audit log: the active file `audit.log` and
 * its archives `audit.log.1` (newest) … `audit.log.N` (oldest), each possibly gzip-compressed
 * (`audit.log.3.gz`), and reading their lines. Shared by the `verify`, `query` and `tail`
 * commands; decoding the lines into records is in `records.ts`.
 *
 * @module
 */
import { createReadStream, lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { parseArchiveName } from "./names.js";
import { compareTwins } from "./twins.js";
import { DEFAULT_READ_LIMITS, LineSplitter, openAuditFile, ReadLimitError, type LongLine, type ReadLimits } from "./read.js";

/** One file of an audit log. */
export interface AuditFile {
  /** Absolute path. */
  readonly path: string;
  /** 0 for the active file, N for `base.N` / `base.N.gz`. */
  readonly index: number;
  /** The file is gzip-compressed (its name ends in `.gz`). */
  readonly compressed: boolean;
  /** The bounds it is read within; {@link DEFAULT_READ_LIMITS} when not set. */
  readonly limits?: ReadLimits;
}

/** One audit log: its active file's path and every file present, oldest first. */
export interface AuditLogFiles {
  /** The path of the active file (it may be missing when only archives are left). */
  readonly active: string;
  /** The files present, oldest archive first, the active file last. */
  readonly files: readonly AuditFile[];
  /**
   * A `.rotating` file is there: a rotation was interrupted (the writer finishes it at its next
   * start). Until then one archive number may be missing (the lowest free one).
   */
  readonly rotating?: boolean;
  /**
   * What the writer's interrupted work left that was read around (an archive both plain and
   * compressed with the same records: read once), for people.
   */
  readonly interrupted?: readonly string[];
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `file.N.gz` holds exactly the bytes of `file.N` ({@link compareTwins}): a compression
 * was interrupted after the complete `.gz` got its name and before the original was deleted.
 */
function sameRecords(plain: string, gz: string): boolean {
  try {
    return compareTwins(plain, gz) === "same";
  } catch {
    return false;
  }
}

// Work files of the writer and of the CLI, never audit records of their own.
const IGNORED = /\.(?:lock|rotating|tmp|gz\.tmp|chain|key|pub|json)$/;

/**
 * The path a command-line argument names, with symbolic links resolved: the user named it, so
 * a link given (or a linked folder on the way) is followed, once. The files found beside it
 * are then opened without following links (see {@link readAuditLines}). A path that does not
 * exist keeps its last part (only archives may be left of a log).
 *
 * @example
 * ```ts
 * resolveArgument("/var/log/app/current.log"); // "/data/app/audit.log" when current.log links there
 * ```
 */
export function resolveArgument(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/**
 * How {@link findAuditLogs} takes its path.
 *
 * @example
 * ```ts
 * const options: FindOptions = { pinned: true };
 * ```
 */
export interface FindOptions {
  /**
   * The path was resolved once already ({@link resolveArgument}, at a long-running command's
   * start) and is taken as it is: no symbolic link is followed, neither at the path (a link put
   * in place of the active file is listed as the active file, and refused when opened) nor on
   * the way to it (a folder replaced by a link since is refused with an `Error` naming it).
   * Default false: the argument's links are resolved now.
   */
  readonly pinned?: boolean;
}

/**
 * A pinned path ({@link FindOptions.pinned}), checked: the folder that holds it (or the path
 * itself, when it is a folder) must still be reached without a symbolic link, else an `Error`
 * naming it and where it leads now.
 */
function pinnedPath(path: string): string {
  let folder = path;
  try {
    if (!lstatSync(path).isDirectory()) folder = dirname(path);
  } catch {
    folder = dirname(path);
  }
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    // Gone: nothing to read, said by the reading.
    return path;
  }
  if (real !== folder) throw new Error(`cannot read ${path}: ${folder} is now reached through a symbolic link (to ${real}); the path was resolved at the start and links made since are not followed`);
  return path;
}

/**
 * The audit logs named by a command-line argument: a file (its archives are found beside it)
 * or a folder (every audit log in it). The argument's own symbolic links are followed (see
 * {@link resolveArgument}); the files found are read without following any. Each file carries
 * `limits` (default {@link DEFAULT_READ_LIMITS}). Throws an `Error` whose message names the
 * path when it cannot be read.
 *
 * @example
 * ```ts
 * for (const log of findAuditLogs("/var/log/app")) console.log(log.active, log.files.length);
 * ```
 */
export function findAuditLogs(pathOrFolder: string, limits: ReadLimits = DEFAULT_READ_LIMITS, options: FindOptions = {}): AuditLogFiles[] {
  const pinned = options.pinned === true;
  const path = pinned ? pinnedPath(pathOrFolder) : resolveArgument(pathOrFolder);
  let stats;
  try {
    // Pinned: a link now at the path is not followed (it is listed as the active file, and
    // refused when opened); otherwise the argument's links were resolved above.
    stats = pinned ? lstatSync(path) : statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new Error(`cannot read ${path} (${code ?? String(error)})`);
    stats = undefined;
  }
  if (stats?.isDirectory() === true) {
    const names = readdirSync(path);
    const bases = new Set<string>();
    for (const name of names) {
      if (IGNORED.test(name)) continue;
      bases.add(parseArchiveName(name)?.base ?? name);
    }
    return [...bases].sort().map((base) => collect(path, base, names, limits));
  }
  const folder = dirname(path);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new Error(`cannot read ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  // Given an archive (audit.log.3), the log is that of its active file.
  const archive = stats === undefined ? undefined : parseArchiveName(basename(path));
  const base = archive !== undefined && !names.includes(basename(path) + ".1") ? archive.base : basename(path);
  const log = collect(folder, base, names, limits);
  if (log.files.length === 0) throw new Error(`cannot read ${path} (ENOENT)`);
  return [log];
}

function collect(folder: string, base: string, names: readonly string[], limits: ReadLimits): AuditLogFiles {
  const files: AuditFile[] = [];
  for (const name of names) {
    if (name === base) {
      files.push({ path: join(folder, name), index: 0, compressed: false, limits });
      continue;
    }
    const archive = parseArchiveName(name);
    if (archive !== undefined && archive.base === base) {
      files.push({ path: join(folder, name), index: archive.index, compressed: archive.gz, limits });
    }
  }
  // Oldest first: the highest archive number first, the active file (0) last.
  files.sort((a, b) => (a.index === 0 ? 1 : b.index === 0 ? -1 : b.index - a.index));
  // An archive both plain and compressed with the same records is read once (the plain one).
  const interrupted: string[] = [];
  for (let i = files.length - 1; i > 0; i--) {
    const a = files[i - 1] as AuditFile;
    const b = files[i] as AuditFile;
    if (a.index !== b.index || a.index === 0 || a.compressed === b.compressed) continue;
    const [plain, gz] = a.compressed ? [b, a] : [a, b];
    if (!sameRecords(plain.path, gz.path)) continue;
    files.splice(files.indexOf(gz), 1);
    interrupted.push(`${basename(plain.path)} and ${basename(gz.path)} hold the same records: a compression was interrupted before the original was deleted (the writer's next start deletes it); read once`);
  }
  const rotating = names.includes(`${base}.rotating`) && isRegularFile(join(folder, `${base}.rotating`));
  return { active: join(folder, base), files, ...(rotating ? { rotating } : {}), ...(interrupted.length > 0 ? { interrupted } : {}) };
}

/** One line of a file, without its line break. */
export interface FileLine {
  /** The text of the line (a final line without a line break is included, see `complete`); "" for a line too long. */
  readonly text: string;
  /** 1-based line number within the file. */
  readonly lineNumber: number;
  /** False for a last line that has no line break (a record cut short, or still being written). */
  readonly complete: boolean;
  /** Set (to its length in bytes) for a line longer than the file's `maxLineBytes`, whose text was not read. */
  readonly tooLong?: number;
  /**
   * With {@link ReadLinesOptions.checkUtf8}: the line's bytes are not valid UTF-8 (`text` holds
   * U+FFFD where they were, exactly as a real U+FFFD would read).
   */
  readonly invalidUtf8?: true;
  /** With `invalidUtf8`: the line's length in bytes (without its line break). */
  readonly bytes?: number;
}

/**
 * How {@link readAuditLines} treats a line longer than the file's `maxLineBytes`.
 *
 * @example
 * ```ts
 * const options: ReadLinesOptions = { longLines: "yield" };
 * ```
 */
export interface ReadLinesOptions {
  /**
   * `"throw"` (the default): stop with a {@link ReadLimitError} naming the file and line (for a
   * reader that must see every line, as `verify`); `"yield"`: hand it on with `tooLong` set and
   * go on with the next line.
   */
  readonly longLines?: "throw" | "yield";
  /** Mark the lines that are not valid UTF-8 (`invalidUtf8`), for a reader that hashes the text (`verify`). */
  readonly checkUtf8?: boolean;
}

/**
 * Reads the lines of an audit file, decompressing `.gz` files, in UTF-8, within the file's
 * {@link ReadLimits} (default {@link DEFAULT_READ_LIMITS}): the file is opened without
 * following a symbolic link or blocking on a FIFO and must be a regular file
 * ({@link NotRegularFileError}); a line longer than `maxLineBytes` is skipped (see
 * {@link ReadLinesOptions}); an archive that decompresses to more than `maxGunzipBytes` stops
 * with a {@link ReadLimitError}. A final line without a line break is reported with
 * `complete: false`. Lines end at LF (a CR before it is dropped; a lone CR is part of the line).
 *
 * @example
 * ```ts
 * for await (const line of readAuditLines(file)) console.log(line.lineNumber, line.text);
 * ```
 */
export async function* readAuditLines(file: AuditFile, options: ReadLinesOptions = {}): AsyncGenerator<FileLine> {
  const limits = file.limits ?? DEFAULT_READ_LIMITS;
  const raw = createReadStream(file.path, { fd: openAuditFile(file.path), highWaterMark: 64 * 1024 });
  const gunzip = file.compressed ? createGunzip() : undefined;
  const input: Readable = gunzip === undefined ? raw : raw.pipe(gunzip);
  if (gunzip !== undefined) raw.on("error", (error) => gunzip.destroy(error));
  // A reader that stops at a line too long stops as soon as it is known to be one.
  const splitter = new LineSplitter(limits.maxLineBytes, options.longLines !== "yield", options.checkUtf8 === true);
  let lineNumber = 0;
  let inflated = 0;
  const line = (item: string | LongLine, complete: boolean, invalidBytes?: number): FileLine => {
    lineNumber++;
    if (typeof item === "string") return invalidBytes === undefined ? { text: item, lineNumber, complete } : { text: item, lineNumber, complete, invalidUtf8: true, bytes: invalidBytes };
    if (options.longLines !== "yield") {
      const length = item.partial === true ? `more than ${limits.maxLineBytes} bytes without a line feed, not read further` : `${item.tooLong} bytes`;
      throw new ReadLimitError(file.path, lineNumber, `line longer than ${limits.maxLineBytes} bytes (${length}; --max-line-bytes)`);
    }
    return { text: "", lineNumber, complete, tooLong: item.tooLong };
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (gunzip !== undefined) {
        inflated += chunk.length;
        if (inflated > limits.maxGunzipBytes) {
          throw new ReadLimitError(file.path, undefined, `decompresses to more than ${limits.maxGunzipBytes} bytes (a gzip bomb? --max-gunzip-bytes): not read further`);
        }
      }
      const items = splitter.push(chunk);
      for (let k = 0; k < items.length; k++) yield line(items[k] as string | LongLine, true, splitter.invalidUtf8.get(k));
    }
    const rest = splitter.takeRest();
    if (typeof rest !== "string" || rest !== "") yield line(rest, false, splitter.invalidUtf8.get(0));
  } finally {
    input.destroy();
    raw.destroy();
  }
}
