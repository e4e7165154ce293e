/**
 * Finding and reading the files of a dedicated-mode audit log: the active file `audit.log` and
 * its archives `audit.log.1` (newest) … `audit.log.N` (oldest), each possibly gzip-compressed
 * (`audit.log.3.gz`). Shared by the `verify`, `query` and `tail` commands.
 *
 * @module
 */
import { createReadStream, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

/** One file of an audit log. */
export interface AuditFile {
  /** Absolute path. */
  readonly path: string;
  /** 0 for the active file, N for `base.N` / `base.N.gz`. */
  readonly index: number;
  /** The file is gzip-compressed (its name ends in `.gz`). */
  readonly compressed: boolean;
}

/** One audit log: its active file's path and every file present, oldest first. */
export interface AuditLogFiles {
  /** The path of the active file (it may be missing when only archives are left). */
  readonly active: string;
  /** The files present, oldest archive first, the active file last. */
  readonly files: readonly AuditFile[];
}

const ARCHIVE = /^(.+)\.([1-9][0-9]{0,4})(\.gz)?$/;
// Work files of the writer and of the CLI, never audit records of their own.
const IGNORED = /\.(?:lock|rotating|tmp|gz\.tmp|chain|key|pub|json)$/;

/**
 * The audit logs named by a command-line argument: a file (its archives are found beside it)
 * or a folder (every audit log in it). Throws an `Error` whose message names the path when it
 * cannot be read.
 *
 * @example
 * ```ts
 * for (const log of findAuditLogs("/var/log/app")) console.log(log.active, log.files.length);
 * ```
 */
export function findAuditLogs(pathOrFolder: string): AuditLogFiles[] {
  const path = resolve(pathOrFolder);
  let stats;
  try {
    stats = statSync(path);
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
      const match = ARCHIVE.exec(name);
      bases.add(match === null ? name : (match[1] as string));
    }
    return [...bases].sort().map((base) => collect(path, base, names));
  }
  const folder = dirname(path);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new Error(`cannot read ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  // Given an archive (audit.log.3), the log is that of its active file.
  const match = stats === undefined ? null : ARCHIVE.exec(basename(path));
  const base = match !== null && !names.includes(basename(path) + ".1") ? (match[1] as string) : basename(path);
  const log = collect(folder, base, names);
  if (log.files.length === 0) throw new Error(`cannot read ${path} (ENOENT)`);
  return [log];
}

function collect(folder: string, base: string, names: readonly string[]): AuditLogFiles {
  const files: AuditFile[] = [];
  for (const name of names) {
    if (name === base) {
      files.push({ path: join(folder, name), index: 0, compressed: false });
      continue;
    }
    const match = ARCHIVE.exec(name);
    if (match !== null && match[1] === base) {
      files.push({ path: join(folder, name), index: Number(match[2]), compressed: match[3] !== undefined });
    }
  }
  // Oldest first: the highest archive number first, the active file (0) last.
  files.sort((a, b) => (a.index === 0 ? 1 : b.index === 0 ? -1 : b.index - a.index));
  return { active: join(folder, base), files };
}

/** One line of a file, without its line break. */
export interface FileLine {
  /** The text of the line (a final line without a line break is included, see `complete`). */
  readonly text: string;
  /** 1-based line number within the file. */
  readonly lineNumber: number;
  /** False for a last line that has no line break (a record cut short, or still being written). */
  readonly complete: boolean;
}

/**
 * Reads the lines of an audit file, decompressing `.gz` files, in UTF-8. A final line without
 * a line break is reported with `complete: false`.
 *
 * @example
 * ```ts
 * for await (const line of readAuditLines(file)) console.log(line.lineNumber, line.text);
 * ```
 */
export async function* readAuditLines(file: AuditFile): AsyncGenerator<FileLine> {
  const raw = createReadStream(file.path);
  const input = file.compressed ? raw.pipe(createGunzip()) : raw;
  if (file.compressed) raw.on("error", (error) => input.destroy(error));
  // readline drops the information whether the last line ended with a line break; track it.
  let endsWithNewline = true;
  input.on("data", (chunk: Buffer | string) => {
    if (chunk.length > 0) endsWithNewline = (typeof chunk === "string" ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1]) === 0x0a;
  });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  let previous: string | undefined;
  for await (const text of lines) {
    if (previous !== undefined) yield { text: previous, lineNumber, complete: true };
    lineNumber++;
    previous = text;
  }
  if (previous !== undefined) yield { text: previous, lineNumber, complete: endsWithNewline };
}
