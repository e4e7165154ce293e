/**
 * The central copy's files for the witness check (`verify --witness <file or folder>`): which
 * files of a folder are read and in which order (what a central rsyslog and logrotate leave:
 * `witness.log`, `witness.log.1`, `witness.log.2.gz`, `witness.log-20261204`, …), whether each is
 * gzip-compressed (by its first bytes, not its name), and reading their lines within the
 * {@link ReadLimits}. A file that cannot be read to its end (a truncated or corrupt archive, one
 * past the gunzip bound, one compressed in a format not read here) is a {@link CentralFileError}
 * naming it: the caller reports it, it is never skipped, since a central archive that cannot be
 * read could be the one that holds the evidence.
 *
 * @module
 */
import { closeSync, lstatSync, readdirSync, readSync, realpathSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { readAuditLines, type FileLine } from "../logfile/files.js";
import { fileKindOf, openRegularFile, ReadLimitError, type ReadLimits } from "../logfile/read.js";

/** One central file to read. */
export interface CentralFile {
  /** Absolute (or as given) path. */
  readonly path: string;
  /** Its name, as findings cite it (`witness.log.2.gz:14`). */
  readonly name: string;
}

/** The central files of a path, and the folder entries that are not read. */
export interface CentralListing {
  /** The files to read, oldest first (see {@link listCentralFiles}). */
  readonly files: readonly CentralFile[];
  /** Entries of the folder that are not regular files (sub-folders, symbolic links, FIFOs, …): not read, but named. */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly what: string }>;
}

/**
 * A central file that could not be read to its end: `line` is the last line read (0: none),
 * `why` says what is wrong with it.
 *
 * @example
 * ```ts
 * new CentralFileError("/srv/audit/witness.log.2.gz", 17, "is not a complete gzip file (zlib: unexpected end of file)");
 * ```
 */
export class CentralFileError extends Error {
  /** @internal */
  constructor(
    readonly path: string,
    readonly line: number,
    readonly why: string,
  ) {
    super(`${path}: ${why}`);
    this.name = "CentralFileError";
  }
}

/** What a rotated name says: its log's base name, and where it stands among that log's files. */
interface Rotation {
  readonly base: string;
  /** 0: a dated archive (`-20261204`), 1: a numbered one (`.3`), 2: the active file. */
  readonly group: 0 | 1 | 2;
  /** Dated: the date text (ordered as text, oldest first); numbered: minus the number (`.9` before `.1`). */
  readonly key: string | number;
}

// logrotate's numbered archives (`rotate N`) and its dateext (`-%Y%m%d`, `-%Y-%m-%d`,
// `-%Y%m%d%H`, `-%s`, …): a dash and digits, with `-`, `_` or `.` between them.
const NUMBERED = /^(.+)\.([0-9]{1,9})$/s;
const DATED = /^(.+?)-([0-9]{4,}(?:[-_.]?[0-9]+)*)$/s;
// Compressed with something this reader does not decompress: by name, and by first bytes below.
const OTHER_COMPRESSION = /\.(xz|bz2|zst|lz4|lzma|lzo|zip|Z)$/;

function rotationOf(name: string): Rotation {
  const bare = name.endsWith(".gz") ? name.slice(0, -3) : name;
  const numbered = NUMBERED.exec(bare);
  if (numbered !== null) return { base: numbered[1] as string, group: 1, key: -Number(numbered[2]) };
  const dated = DATED.exec(bare);
  if (dated !== null) return { base: dated[1] as string, group: 0, key: dated[2] as string };
  return { base: bare, group: 2, key: 0 };
}

/**
 * The order the files of a central folder are read in: by log (the name without its rotation
 * suffix and `.gz`), and within a log oldest first: the dated archives of logrotate's `dateext`
 * by their date, then the numbered ones from the highest number down, then the active file.
 *
 * @example
 * ```ts
 * orderCentralNames(["w.log", "w.log.1", "w.log.2.gz", "w.log-20261203.gz"]); // ["w.log-20261203.gz", "w.log.2.gz", "w.log.1", "w.log"]
 * ```
 */
export function orderCentralNames(names: readonly string[]): string[] {
  const keyed = names.map((name) => ({ name, r: rotationOf(name) }));
  keyed.sort((a, b) => {
    if (a.r.base !== b.r.base) return a.r.base < b.r.base ? -1 : 1;
    if (a.r.group !== b.r.group) return a.r.group - b.r.group;
    if (a.r.key !== b.r.key) return a.r.key < b.r.key ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return keyed.map((k) => k.name);
}

/**
 * The central files at `given` (its own symbolic links resolved): the file itself, or every
 * regular file directly in the folder (not in sub-folders), ordered by {@link orderCentralNames}. Entries that are not regular files
 * (a sub-folder, a symbolic link, a FIFO) are not read and are listed in `skipped`. Throws the
 * system's error when the path cannot be read.
 *
 * @example
 * ```ts
 * const { files, skipped } = listCentralFiles("/srv/audit/app1");
 * ```
 */
export function listCentralFiles(given: string): CentralListing {
  // The path the user named is followed if it is a link (once, as for the host's files); what is found in a folder is not.
  const path = realpathSync(given);
  if (!statSync(path).isDirectory()) return { files: [{ path, name: basename(path) }], skipped: [] };
  const files: CentralFile[] = [];
  const skipped: Array<{ name: string; what: string }> = [];
  for (const name of orderCentralNames(readdirSync(path))) {
    const kind = fileKindOf(lstatSync(join(path, name)).mode);
    if (kind === "file") files.push({ path: join(path, name), name });
    else skipped.push({ name, what: kind === "symbolic link" ? "a symbolic link" : kind === "folder" ? "a folder" : `a ${kind}` });
  }
  return { files, skipped };
}

/** The first bytes of a file (opened as every reader here opens one). */
function head(path: string): Buffer {
  const opened = openRegularFile(path);
  try {
    const buffer = Buffer.alloc(6);
    const n = readSync(opened.fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(opened.fd);
  }
}

const MAGIC: ReadonlyArray<readonly [string, Buffer]> = [
  ["xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ["bzip2", Buffer.from("BZh", "latin1")],
  ["zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ["lz4", Buffer.from([0x04, 0x22, 0x4d, 0x18])],
  ["zip", Buffer.from("PK\x03\x04", "latin1")],
];

/**
 * Reads the lines of one central file, gunzipping it when its first bytes are gzip's (whatever
 * its name), within `limits` (`maxLineBytes` per line, `maxGunzipBytes` per archive). Throws a
 * {@link CentralFileError} when the file cannot be read to its end: a `.gz` name on bytes that
 * are not gzip, another compression, a truncated or corrupt gzip stream (zlib's reason; the
 * lines before it were yielded), a line or an archive past its bound; the system's error when
 * it cannot be opened.
 *
 * @example
 * ```ts
 * for await (const line of readCentralLines(file, DEFAULT_READ_LIMITS)) console.log(line.text);
 * ```
 */
export async function* readCentralLines(file: CentralFile, limits: ReadLimits): AsyncGenerator<FileLine> {
  const first = head(file.path);
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const other = MAGIC.find(([, magic]) => first.subarray(0, magic.length).equals(magic))?.[0] ?? OTHER_COMPRESSION.exec(file.name)?.[1];
  if (!gzip && other !== undefined) {
    throw new CentralFileError(file.path, 0, `is compressed with ${other}, which --witness does not read (gzip only): decompress it beside the others and run again`);
  }
  if (!gzip && file.name.endsWith(".gz")) {
    throw new CentralFileError(file.path, 0, first.length === 0 ? "is empty, but named .gz: a truncated archive (or one still being written)" : "is named .gz, but is not gzip (no gzip header)");
  }
  let line = 0;
  try {
    for await (const item of readAuditLines({ path: file.path, index: gzip ? 1 : 0, compressed: gzip, limits })) {
      line = item.lineNumber;
      yield item;
    }
  } catch (error) {
    if (error instanceof ReadLimitError) throw new CentralFileError(file.path, error.line ?? line, `${error.why}${error.line === undefined ? ` (after line ${line})` : ""}`);
    const code = (error as NodeJS.ErrnoException).code;
    if (gzip && typeof code === "string" && code.startsWith("Z_")) {
      throw new CentralFileError(file.path, line, `is not a complete gzip file (zlib: ${(error as Error).message}): a truncated or corrupt archive, read up to line ${line}`);
    }
    throw error;
  }
}
