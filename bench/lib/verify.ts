/**
 * Reads back what a subject wrote and checks that the files hold exactly the records
 * expected: every record once, whole, with the right content, and (when files were rotated
 * and old ones deleted) a contiguous run that ends at the last record, in at most the
 * configured number of files. A fast run that loses records is a failure, not a result.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { groupDigits } from "./digits.js";
import { join } from "node:path";
import { parseAuditLine } from "../../src/record/parse.js";
import { CLIENT, EVENT_ID, IP, loginOf, sessionOf } from "./records.js";

/** What the files of a subject must look like. */
export interface VerifySpec {
  /**
   * `ox`: the pipe-delimited audit line; `json`: one JSON object per line (pino's: the values at
   * the top, the event id in `msg`); `slf4ts-json`: slf4ts's `json` target format (`event`, the
   * values under `attributes`).
   */
  readonly format: "ox" | "json" | "slf4ts-json";
  /** What the timestamp text must look like. */
  readonly timestamp: RegExp;
  /**
   * Rotation: at most `maxFiles` files may exist (the active one included). With
   * `maxBytes`, no file may be larger and every archive must be full (within one record of
   * the limit): the exact behaviour slf4ts promises.
   */
  readonly rotation?: { readonly maxFiles: number; readonly maxBytes?: number; readonly nominalBytes?: number };
  /** File names in the folder that are not record files (a peer's own bookkeeping). */
  readonly ignoreFiles?: readonly string[];
}

/** The outcome of {@link verifyFiles}. */
export interface VerifyResult {
  readonly ok: boolean;
  /** What was wrong (empty when ok). */
  readonly problems: string[];
  /** What was odd without losing records (a peer that did not rotate), shown as a note. */
  readonly warnings: string[];
  /** Record files found. */
  readonly files: number;
  /** Records found (good or not). */
  readonly lines: number;
  /** The first sequence number kept (0 unless rotation deleted old files). */
  readonly firstKept: number;
  /** A one-line summary for the report. */
  readonly summary: string;
}

const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
/** The default timestamp of every subject. */
export const ISO_TIMESTAMP = ISO_SECONDS;
/** A Date in slf4ts's remote formats: ISO 8601 in UTC with milliseconds. */
export const ISO_MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LOGIN = /^user(\d+)@example\.com$/;
const NAMES = ["login", "ip", "client", "session", "timestamp"];
const CHUNK = 8 * 1024 * 1024;
const MAX_EXAMPLES = 3;

/** Calls `onLine` for every line of a file, read in chunks (files may exceed a string's size). */
function forEachLine(path: string, onLine: (line: string) => void): { endsWithNewline: boolean; bytes: number } {
  const fd = openSync(path, "r");
  const buffer = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer = Buffer.alloc(0);
  let bytes = 0;
  let last = -1;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      bytes += n;
      last = buffer[n - 1] as number;
      let chunk = buffer.subarray(0, n);
      if (carry.length > 0) {
        chunk = Buffer.concat([carry, chunk]);
      }
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        onLine(chunk.toString("utf8", start, nl));
        start = nl + 1;
      }
      carry = Buffer.from(chunk.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
  if (carry.length > 0) onLine(carry.toString("utf8"));
  return { endsWithNewline: bytes === 0 || last === 0x0a, bytes };
}

/** The sequence number of a line, or a reason why it is not a whole, correct record. */
function checkLine(line: string, spec: VerifySpec): number | string {
  let login: unknown;
  let values: unknown[];
  if (spec.format === "ox") {
    let parsed;
    try {
      parsed = parseAuditLine(line, { delimiter: "|", includeAttributeNames: true });
    } catch (error) {
      return `unparseable (${(error as Error).message})`;
    }
    if (parsed.eventId !== EVENT_ID) return `event id ${JSON.stringify(parsed.eventId)}`;
    const names = parsed.attributes.map((a) => a[0]);
    if (names.join(",") !== NAMES.join(",")) return `attributes ${names.join(",")}`;
    values = parsed.attributes.map((a) => a[1]);
    login = values[0];
  } else {
    let object: Record<string, unknown>;
    try {
      object = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return "not JSON";
    }
    let fields = object;
    if (spec.format === "slf4ts-json") {
      if (object["event"] !== EVENT_ID || object["level"] !== "INFO") return `event ${JSON.stringify(object["event"])}, level ${JSON.stringify(object["level"])}`;
      const attributes = object["attributes"];
      if (typeof attributes !== "object" || attributes === null) return "no attributes";
      fields = attributes as Record<string, unknown>;
      if (Object.keys(fields).join(",") !== NAMES.join(",")) return `attributes ${Object.keys(fields).join(",")}`;
    } else if (object["msg"] !== EVENT_ID) {
      return `msg ${JSON.stringify(object["msg"])}`;
    }
    values = NAMES.map((n) => fields[n]);
    login = values[0];
  }
  const match = typeof login === "string" ? LOGIN.exec(login) : null;
  if (match === null) return `login ${JSON.stringify(login)}`;
  const seq = Number(match[1]);
  if (values[1] !== IP || values[2] !== CLIENT || values[3] !== sessionOf(seq)) return `wrong ip/client/session for record ${seq}`;
  if (typeof values[4] !== "string" || !spec.timestamp.test(values[4])) return `timestamp ${JSON.stringify(values[4])}`;
  if (loginOf(seq) !== login) return `login ${JSON.stringify(login)}`;
  return seq;
}

function clip(text: string): string {
  return text.length > 100 ? JSON.stringify(text.slice(0, 100)) + "…" : JSON.stringify(text);
}

interface FileRun {
  readonly name: string;
  readonly first: number;
  readonly last: number;
  readonly count: number;
  readonly bytes: number;
}

/**
 * Verifies the record files in `dir` against `records` written (sequence numbers 0 to
 * records - 1).
 */
export function verifyFiles(dir: string, records: number, spec: VerifySpec): VerifyResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const ignore = new Set(spec.ignoreFiles ?? []);
  const names = readdirSync(dir).filter((n) => !ignore.has(n) && statSync(join(dir, n)).isFile());
  const seen = new Uint8Array(records);
  let lines = 0;
  let torn = 0;
  const tornExamples: string[] = [];
  let duplicates = 0;
  let outOfOrder = 0;
  let beyond = 0;
  const runs: FileRun[] = [];
  for (const name of names) {
    let first = -1;
    let previous = -1;
    let count = 0;
    const { endsWithNewline, bytes } = forEachLine(join(dir, name), (line) => {
      lines++;
      const result = checkLine(line, spec);
      if (typeof result === "string") {
        torn++;
        if (tornExamples.length < MAX_EXAMPLES) tornExamples.push(`${name}: ${result}: ${clip(line)}`);
        return;
      }
      if (result >= records) {
        beyond++;
        return;
      }
      if (seen[result] === 1) duplicates++;
      seen[result] = 1;
      if (first < 0) first = result;
      else if (result !== previous + 1) outOfOrder++;
      previous = result;
      count++;
    });
    if (!endsWithNewline) {
      problems.push(`${name} does not end with a line break (a torn last record)`);
    }
    if (count > 0) runs.push({ name, first, last: previous, count, bytes });
    const nominal = spec.rotation?.nominalBytes;
    if (nominal !== undefined && bytes > nominal * 1.5) {
      warnings.push(`did not rotate as configured: ${name} has ${(bytes / 1048576).toFixed(1)} MiB (rotation size ${(nominal / 1048576).toFixed(2)} MiB)`);
    }
    if (spec.rotation?.maxBytes !== undefined && bytes > spec.rotation.maxBytes) {
      problems.push(`${name} has ${bytes} bytes, more than the rotation size ${spec.rotation.maxBytes}`);
    }
  }
  if (torn > 0) problems.push(`${torn} torn or malformed line(s), e.g. ${tornExamples.join("; ")}`);
  if (duplicates > 0) problems.push(`${duplicates} record(s) written more than once`);
  if (beyond > 0) problems.push(`${beyond} record(s) with a sequence number never logged`);
  if (outOfOrder > 0) problems.push(`${outOfOrder} place(s) where a file's records are not consecutive (gap or reordering)`);

  // The kept window: from the oldest record found to the last one logged, with nothing missing.
  let firstKept = records;
  for (let i = 0; i < records; i++) {
    if (seen[i] === 1) {
      firstKept = i;
      break;
    }
  }
  let missing = 0;
  let firstMissing = -1;
  for (let i = firstKept; i < records; i++) {
    if (seen[i] !== 1) {
      missing++;
      if (firstMissing < 0) firstMissing = i;
    }
  }
  if (records > 0 && firstKept === records) problems.push("no record found");
  if (missing > 0) problems.push(`${missing} record(s) missing inside the kept window (first: #${firstMissing})`);
  if (records > 0 && seen[records - 1] !== 1 && firstKept < records) problems.push(`the last record (#${records - 1}) is missing`);
  const rotation = spec.rotation;
  if (rotation === undefined) {
    if (firstKept > 0 && firstKept < records) problems.push(`records #0 to #${firstKept - 1} are missing`);
    if (names.length !== 1) problems.push(`${names.length} files, expected 1 (no rotation)`);
  } else {
    if (names.length > rotation.maxFiles) problems.push(`${names.length} files kept, at most ${rotation.maxFiles} expected`);
    if (firstKept > 0 && names.length < rotation.maxFiles) {
      problems.push(`records #0 to #${firstKept - 1} were deleted although only ${names.length} of ${rotation.maxFiles} files are kept`);
    }
    // Files must chain: each one starts right after the one before it ends.
    const ordered = [...runs].sort((a, b) => a.first - b.first);
    for (let i = 1; i < ordered.length; i++) {
      const a = ordered[i - 1] as FileRun;
      const b = ordered[i] as FileRun;
      if (b.first !== a.last + 1) {
        problems.push(`${a.name} ends at #${a.last} but ${b.name} starts at #${b.first}`);
        break;
      }
    }
    if (rotation.maxBytes !== undefined) {
      // Every archive (all files but the newest) must be full: within one record of the limit.
      const longest = Math.max(...ordered.map((r) => Math.ceil(r.bytes / r.count)));
      for (const run of ordered.slice(0, -1)) {
        if (run.bytes < rotation.maxBytes - 2 * longest) {
          problems.push(`archive ${run.name} has only ${run.bytes} bytes although it was rotated at ${rotation.maxBytes}`);
          break;
        }
      }
    }
  }
  const kept = records - firstKept;
  const summary =
    problems.length === 0
      ? `${groupDigits(kept)} records in ${names.length} file(s)` + (firstKept > 0 ? `, #${firstKept}–#${records - 1} (older ones rotated out)` : "")
      : problems.join("; ");
  return { ok: problems.length === 0, problems, warnings, files: names.length, lines, firstKept, summary };
}
