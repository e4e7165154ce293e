/**
 * The console's HTTP server (node:http): the page and its two assets, read into memory at the
 * start (no path of a request ever reaches the file system), and the JSON API over the log set
 * (search, one line, counts, export, verify, follow). Read-only: GET and HEAD, and POST only to sign in.
 *
 * Safe by default: every response carries a Content-Security-Policy without inline script,
 * `X-Content-Type-Options: nosniff` and no caching; with a token every request but the sign-in
 * form needs it (an `Authorization: Bearer` header, or the cookie the sign-in form sets,
 * compared in constant time); bound to loopback, a request must name a loopback host in its
 * `Host` header (a web page of another site that rebinds its DNS name to 127.0.0.1 is refused).
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, fstatSync, lstatSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { verifyAuditLog, type Finding, type LogReport, type VerifyOptions } from "../../integrity/verify.js";
import type { AuditLogFiles } from "../../logfile/files.js";
import { fileKindOf } from "../../logfile/read.js";
import { NotRegularFileError, ReadLimitError } from "../../logfile/read.js";
import { createLineDecoder } from "../../logfile/records.js";
import { matches } from "../filters.js";
import { followFile, openFileAt, type OpenFile } from "../follow.js";
import { columnKeys, csvField, displayPath, isoTime, jsonLine, jsonSafe } from "../output.js";
import { lineDetail, logsOf, parseSearch, QueryError, recordJson, ScanReport, searchAll, searchPage, searchStats, type LogSet } from "./search.js";

/**
 * What a console serves and how.
 *
 * @example
 * ```ts
 * const options: ConsoleOptions = { set, host: "127.0.0.1", port: 8470, token: undefined, verify: undefined };
 * ```
 */
export interface ConsoleOptions {
  /** The audit logs. */
  readonly set: LogSet;
  /** The address to listen on. */
  readonly host: string;
  /** The port (0: any free one). */
  readonly port: number;
  /** The token every request must carry; undefined: none (loopback only, see {@link isLoopback}). */
  readonly token: string | undefined;
  /** The keys of `verify`; undefined: the verify view says no key was given. */
  readonly verify: VerifyOptions | undefined;
  /** The folder holding index.html, console.js and console.css (default: the package's `console/`). */
  readonly assets?: string;
  /** How often follow mode looks at the files, in milliseconds (default 250). */
  readonly pollMs?: number;
  /** The most connections at once (default {@link DEFAULT_MAX_CONNECTIONS}); more are answered 503 and closed. */
  readonly maxConnections?: number;
  /** The most connections at once from one address (default {@link DEFAULT_MAX_CLIENT_CONNECTIONS}). */
  readonly maxClientConnections?: number;
}

/** The most connections at once, by default (`--max-connections`). */
export const DEFAULT_MAX_CONNECTIONS = 64;
/** The most connections at once from one client address, by default (`--max-client-connections`). */
export const DEFAULT_MAX_CLIENT_CONNECTIONS = 16;
/** The request's headers must have arrived within this (slow headers: the connection is closed). */
const HEADERS_TIMEOUT_MS = 10_000;
/** The whole request (headers and body) must have arrived within this. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A body (the sign-in form's, or any other, read and dropped) must have arrived within this. */
const BODY_TIMEOUT_MS = 5_000;
/** The largest body of any request (the sign-in form's is a token). */
const MAX_BODY_BYTES = 4096;
/** An idle kept-alive connection is closed after this. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A connection with no traffic either way for this long is closed (a follow stream sends a heartbeat every 15 s). */
const IDLE_TIMEOUT_MS = 120_000;
/** How long a sign-in lasts (the cookie's Max-Age, and its session on the server). */
const SESSION_MS = 12 * 3_600_000;
/** The most sessions kept; the oldest goes first. */
const MAX_SESSIONS = 1000;

/**
 * A running console.
 *
 * @example
 * ```ts
 * const running = await startConsole(options);
 * console.log(running.url);
 * await running.close();
 * ```
 */
export interface RunningConsole {
  /** The page's address (`http://127.0.0.1:8470/`). */
  readonly url: string;
  /** The server. */
  readonly server: Server;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/**
 * Whether a host name or address is loopback only (`localhost`, `127.x.y.z`, `::1`).
 *
 * @example
 * ```ts
 * isLoopback("127.0.0.1"); // true
 * isLoopback("0.0.0.0"); // false
 * ```
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(?:\.[0-9]{1,3}){3}$/.test(h) || /^::ffff:127(?:\.[0-9]{1,3}){3}$/.test(h);
}

/** The package's `console/` folder (this file is `dist/src/cli/serve/server.js`). */
const PACKAGE_ASSETS = new URL("../../../../console/", import.meta.url);

/**
 * The name of the cookie the sign-in form sets, with the console's port in it: browsers send a
 * host's cookies to every port of it, so two consoles on one host do not overwrite each other's.
 */
const cookieName = (port: number): string => `slf4ts_console_${port}`;

/**
 * Every response's security headers. No inline script or style, nothing from elsewhere; the
 * page may not be framed; no referrer leaves it.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

function loadAssets(folder: URL | string): ReadonlyMap<string, Asset> {
  const read = (name: string): Buffer => readFileSync(typeof folder === "string" ? `${folder}/${name}` : new URL(name, folder));
  return new Map([
    ["/", { type: "text/html; charset=utf-8", body: read("index.html") }],
    ["/console.js", { type: "text/javascript; charset=utf-8", body: read("console.js") }],
    ["/console.css", { type: "text/css; charset=utf-8", body: read("console.css") }],
  ]);
}

/** Equal in constant time (both hashed first, so their lengths tell nothing either). */
function sameSecret(given: string, token: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": String(Buffer.byteLength(body)), ...extra });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json; charset=utf-8", jsonSafe(JSON.stringify(value)));
}

const SIGN_IN = (problem: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>slf4ts audit console: sign in</title></head>
<body><h1>slf4ts audit console</h1>
<p>This console needs its token (printed by <code>slf4ts-audit serve</code> when it started, or given with --token).</p>
${problem === "" ? "" : `<p><strong>${problem}</strong></p>`}
<form method="post" action="/sign-in"><label>Token <input type="password" name="token" autocomplete="off" autofocus></label> <button type="submit">Sign in</button></form>
</body></html>
`;

/** Whether a request has a body (a length that is not 0, or a chunked one). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Reads a request's body within {@link MAX_BODY_BYTES} and {@link BODY_TIMEOUT_MS}: the text,
 * or why not (`"large"`, `"slow"`, `"failed"`). A body over a bound is not read further.
 */
function readBody(req: IncomingMessage): Promise<{ text: string } | { problem: "large" | "slow" | "failed" }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: { text: string } | { problem: "large" | "slow" | "failed" }): void => {
      clearTimeout(timer);
      req.removeAllListeners("data");
      if ("problem" in result) req.pause();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ problem: "slow" }), BODY_TIMEOUT_MS);
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      finish({ problem: "large" });
      return;
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) finish({ problem: "large" });
      else chunks.push(chunk);
    });
    req.on("end", () => finish({ text: Buffer.concat(chunks).toString("utf8") }));
    req.on("error", () => finish({ problem: "failed" }));
  });
}

/** The answer to a body over a bound: 413 or 408, and the connection closed (the rest is not read). */
function refuseBody(res: ServerResponse, problem: "large" | "slow" | "failed"): void {
  const [status, text] =
    problem === "large" ? [413, `A request body may be at most ${MAX_BODY_BYTES} bytes.\n`] : [408, `A request body must arrive within ${BODY_TIMEOUT_MS / 1000} s.\n`];
  res.shouldKeepAlive = false;
  send(res, status, "text/plain; charset=utf-8", text, { Connection: "close" });
  res.on("finish", () => res.socket?.destroy());
}

/** The verify view: per log, the verdicts of `slf4ts-audit verify`. */
async function verifyReport(set: LogSet, options: VerifyOptions | undefined): Promise<unknown> {
  if (options === undefined) return { checked: false, why: "no --key, --public-key or --chain-only was given to slf4ts-audit serve" };
  const logs = [];
  for (const found of logsOf(set)) {
    // A folder, FIFO or link named like an archive (or at the active file's path) is not read:
    // it is named, and the rest of the log is verified without it (its absence is then a finding).
    const unreadable: Array<{ file: string; why: string }> = [];
    const log: AuditLogFiles = {
      ...found,
      files: found.files.filter((f) => {
        let kind;
        try {
          kind = fileKindOf(lstatSync(f.path).mode);
        } catch {
          return true; // gone since: verify says so
        }
        if (kind === "file") return true;
        unreadable.push({ file: displayPath(f.path, set.cwd), why: `${new NotRegularFileError(f.path, kind).what}, not a regular file: not followed or opened` });
        return false;
      }),
    };
    try {
      const report: LogReport = await verifyAuditLog(log, options);
      const files = report.files.map((f) => ({ ...f, path: displayPath(f.path, set.cwd) }));
      const place = (f: Finding): Finding => ({ ...f, file: f.file === undefined ? undefined : displayPath(f.file, set.cwd) });
      logs.push({
        active: displayPath(report.active, set.cwd),
        intact: report.findings.length === 0 && unreadable.length === 0,
        unreadable,
        files,
        findings: report.findings.map(place),
        warnings: report.warnings.map(place),
        records: report.records,
        checkpoints: report.checkpoints,
        verifiedCheckpoints: report.verifiedCheckpoints,
        logId: report.logId ?? null,
      });
    } catch (error) {
      const why =
        error instanceof ReadLimitError
          ? `${displayPath(error.path, set.cwd)}${error.line === undefined ? "" : `:${error.line}`}: ${error.why}`
          : error instanceof NotRegularFileError
            ? `${displayPath(error.path, set.cwd)} is ${error.what}, not a regular file: not followed or opened`
            : (error as Error).message;
      logs.push({ active: displayPath(log.active, set.cwd), intact: false, stopped: why, unreadable, findings: [], warnings: [] });
    }
  }
  return { checked: true, signaturesChecked: options.chainOnly !== true, logs };
}

/** Writes text to a response, waiting while its buffer is full; false once the client left. */
async function write(res: ServerResponse, text: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(text)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
  return !res.destroyed;
}

/** How many characters of an export are gathered before they are written. */
const EXPORT_BATCH = 64 * 1024;

/** The export: CSV (a first pass finds the columns, a second writes the rows) or JSON lines. */
async function exportRecords(res: ServerResponse, set: LogSet, params: URLSearchParams, signal: AbortSignal): Promise<void> {
  const format = params.get("format") ?? "jsonl";
  if (format !== "csv" && format !== "jsonl") throw new QueryError(`format "${format}": expected csv or jsonl`);
  const query = parseSearch(params, set, Date.now());
  const report = new ScanReport(set);
  let columns: string[] = [];
  if (format === "csv") {
    const seen = new Set<string>();
    // Oldest first whatever the order asked (no file's matches held to be reversed): the columns
    // are the attribute names in the order they first appear in the log.
    for await (const record of searchAll(set, { ...query, order: "asc" }, new ScanReport(set), signal)) for (const key of columnKeys(record)) seen.add(key);
    columns = [...seen];
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "Content-Disposition": `attachment; filename="audit-records.${format}"`,
  });
  if (res.req.method === "HEAD") {
    res.end();
    return;
  }
  if (format === "csv" && !(await write(res, ["file", "line", "time", "event", ...columns].map(csvField).join(",") + "\r\n"))) return;
  // Rows are sent in batches of about 64 KiB (a write per row costs more than the row).
  let batch = "";
  for await (const record of searchAll(set, query, report, signal)) {
    const file = displayPath(record.file.path, set.cwd);
    let text: string;
    if (format === "jsonl") text = jsonLine(record, file);
    else {
      const values = new Map<string, string | null>();
      columnKeys(record).forEach((key, i) => values.set(key, (record.attributes[i] as readonly [string | undefined, string | null])[1]));
      text = [file, String(record.lineNumber), record.time === undefined ? null : isoTime(record.time), record.event, ...columns.map((c) => values.get(c))].map(csvField).join(",") + "\r\n";
    }
    batch += text;
    if (batch.length >= EXPORT_BATCH) {
      if (!(await write(res, batch))) return;
      batch = "";
    }
  }
  if (batch !== "" && !(await write(res, batch))) return;
  res.end();
}

/** The most followers (server-sent event streams) at once. */
const MAX_FOLLOWERS = 16;
/** The most followers at once from one client address. */
const MAX_CLIENT_FOLLOWERS = 4;
/** A follower whose client reads slower than this many bytes behind is let go. */
const MAX_FOLLOW_BACKLOG = 4 * 1024 * 1024;
/** How often a follow stream says it is alive (a comment line), so proxies keep it open. */
const HEARTBEAT_MS = 15_000;
/**
 * The most bytes of the file a follow stream stopped in that a reconnection replays (what was
 * written there while the client was away); a longer gap is said in a notice and skipped.
 */
const MAX_REPLAY_BYTES = 8 * 1024 * 1024;
/** How many archives (`.1` … `.N`) are looked through for the file a follow stream stopped in. */
const MAX_REPLAY_ARCHIVES = 64;

/** Where a follow stream stands in one log: the inode of the file and the last line read of it. */
interface FollowPosition {
  readonly ino: number;
  readonly line: number;
}

/**
 * The `id:` of a follow event: for each log of the set, in order, `ino:line` of the last line
 * read (matching or not), or nothing while unknown; joined by commas.
 */
function followId(positions: ReadonlyArray<FollowPosition | undefined>): string {
  return positions.map((p) => (p === undefined ? "" : `${p.ino}:${p.line}`)).join(",");
}

/** A `Last-Event-ID` read back: one position per log, or undefined when it is not one of ours. */
function parseFollowId(text: string, logs: number): Array<FollowPosition | undefined> | undefined {
  const parts = text.split(",");
  if (parts.length !== logs || text.length > 64 * logs) return undefined;
  const positions: Array<FollowPosition | undefined> = [];
  for (const part of parts) {
    if (part === "") {
      positions.push(undefined);
      continue;
    }
    const m = /^([0-9]{1,20}):([0-9]{1,15})$/.exec(part);
    if (m === null) return undefined;
    positions.push({ ino: Number(m[1]), line: Number(m[2]) });
  }
  return positions;
}

/**
 * Where a reconnecting follow stream starts in one log: right after the last line it had read,
 * in the active file or (rotated since) in the archive `.1` … `.64` that is the same file (its
 * inode), so followFile reads the rest of it, then the archives written since, then the active
 * file. Undefined with why when it cannot (the file is gone or compressed, it holds fewer lines,
 * or more than {@link MAX_REPLAY_BYTES} were written after that line).
 */
async function resumeAt(active: string, position: FollowPosition, limits: LogSet["limits"]): Promise<{ file: OpenFile } | { why: string }> {
  for (let i = 0; i <= MAX_REPLAY_ARCHIVES; i++) {
    const path = i === 0 ? active : `${active}.${i}`;
    let stats;
    try {
      stats = lstatSync(path);
    } catch {
      if (i === 0) continue;
      break;
    }
    if (stats.ino !== position.ino) continue;
    const file = await openFileAt(path, limits, position.line);
    if (file === undefined || file.ino !== position.ino) {
      if (file !== undefined) closeSync(file.fd);
      return { why: "the file it stopped in changed (it holds fewer lines, or was replaced)" };
    }
    const gap = fstatSync(file.fd).size - file.position;
    if (gap > MAX_REPLAY_BYTES) {
      closeSync(file.fd);
      return { why: `${gap} bytes were written since, more than the ${MAX_REPLAY_BYTES} replayed: search for the records in between` };
    }
    return { file };
  }
  return { why: "the file it stopped in is gone or compressed" };
}

/**
 * Follow mode: server-sent events of the records written from now on that match the search
 * (`event: record`, data as {@link recordJson}), from every log's active file across rotations
 * (the machinery of `tail -f`); lines that cannot be read are `event: problem`, a rotation that
 * lost track or a truncation `event: notice`. Records and problems carry an `id:` (per log, the
 * file's inode and the last line read); a client that reconnects with `Last-Event-ID` gets the
 * records written meanwhile (see {@link resumeAt} and {@link MAX_REPLAY_BYTES}), else starts
 * from now. Starting at the end of a large file reads nothing of it into memory (its lines are
 * counted). Ends when the client leaves or the server stops.
 */
async function followRecords(res: ServerResponse, set: LogSet, params: URLSearchParams, pollMs: number, signal: AbortSignal, lastEventId: string | undefined): Promise<void> {
  const query = parseSearch(params, set, Date.now());
  const decode = createLineDecoder(set.settings, set.timeAttribute);
  const logs = logsOf(set);
  res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", Connection: "keep-alive" });
  const send = (event: string, data: unknown, id?: string): void => {
    if (res.destroyed) return;
    if (res.writableLength > MAX_FOLLOW_BACKLOG) {
      res.destroy();
      return;
    }
    res.write(`${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${jsonSafe(JSON.stringify(data))}\n\n`);
  };
  res.write(`retry: 2000\n: following ${logs.length} log(s)\n\n`);
  const heartbeat = setInterval(() => res.write(": alive\n\n"), HEARTBEAT_MS);
  const positions: Array<FollowPosition | undefined> = logs.map(() => undefined);
  let resume: Array<FollowPosition | undefined> | undefined;
  if (lastEventId !== undefined && lastEventId !== "") {
    resume = parseFollowId(lastEventId, logs.length);
    if (resume === undefined) send("notice", "Last-Event-ID not understood (expected one inode:line per log): following from now");
  }
  try {
    // Where each log starts: where the stream stopped (reconnection), else at the end.
    const starts = await Promise.all(
      logs.map(async (log, i) => {
        const shown = displayPath(log.active, set.cwd);
        try {
          const from = resume?.[i];
          if (from !== undefined) {
            const found = await resumeAt(log.active, from, set.limits);
            if ("file" in found) return found.file;
            send("notice", `${shown}: the records written while away cannot be replayed (${found.why}): following from now`);
          }
          return await openFileAt(log.active, set.limits, "end");
        } catch (error) {
          const why = error instanceof NotRegularFileError ? `${displayPath(error.path, set.cwd)} is ${error.what}, not a regular file: not followed or opened` : (error as Error).message;
          send("notice", `stopped following ${shown}: ${why}`);
          return null;
        }
      }),
    );
    await Promise.all(
      logs.map(async (log, i) => {
        const start = starts[i];
        if (start === null) return;
        if (start !== undefined) positions[i] = { ino: start.ino, line: start.lineNumber };
        const shown = displayPath(log.active, set.cwd);
        try {
          await followFile(log.active, start, { limits: set.limits, pollMs, signal }, {
            lines: (lines, path, ino) => {
              const file = { path, index: 0, compressed: false, limits: set.limits };
              for (const line of lines) {
                positions[i] = ino === undefined ? undefined : { ino, line: line.lineNumber };
                const id = followId(positions);
                if (line.tooLong !== undefined) {
                  send("problem", { file: displayPath(path, set.cwd), line: line.lineNumber, why: `line longer than ${set.limits.maxLineBytes} bytes (${line.tooLong} bytes): not read` }, id);
                  continue;
                }
                const decoded = decode(line.text);
                if (!decoded.ok) {
                  send("problem", { file: displayPath(path, set.cwd), line: line.lineNumber, why: decoded.why }, id);
                  continue;
                }
                const record = { ...decoded.record, file, lineNumber: line.lineNumber, text: line.text };
                if (!matches(record, query.filter)) continue;
                if (query.text !== undefined && !line.text.toLowerCase().includes(query.text)) continue;
                send("record", recordJson(record, set), id);
              }
            },
            rotatedMidLine: (path, lineNumber) => send("notice", `${displayPath(path, set.cwd)}:${lineNumber}: the file was rotated with a last line without a line break`),
            lost: () => send("notice", `the rotated ${shown} is gone from the archives; records of archives rotated in between may be missing`),
            truncated: () => send("notice", `${shown} was truncated; reading it from its start`),
          });
        } catch (error) {
          const why = error instanceof NotRegularFileError ? `${displayPath(error.path, set.cwd)} is ${error.what}, not a regular file: not followed or opened` : (error as Error).message;
          send("notice", `stopped following ${shown}: ${why}`);
        }
      }),
    );
  } finally {
    clearInterval(heartbeat);
    if (!res.destroyed) res.end();
  }
}

/**
 * Starts a console. Refuses (throws an `Error`) to listen on an address that is not loopback
 * without a token.
 *
 * @example
 * ```ts
 * const running = await startConsole({ set, host: "127.0.0.1", port: 0, token: undefined, verify: undefined });
 * await fetch(new URL("/api/search?event=ox.login", running.url));
 * ```
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { set, token } = options;
  if (token === undefined && !isLoopback(options.host)) {
    throw new Error(`--host ${options.host} is not a loopback address: a token is required (--token, --token-file or --generate-token)`);
  }
  const assets = loadAssets(options.assets ?? PACKAGE_ASSETS);
  let port = options.port;
  let followers = 0;
  /** Followers and connections per client address. */
  const clientFollowers = new Map<string, number>();
  const clientConnections = new Map<string, number>();
  let connections = 0;
  const refusedSockets = new WeakSet<Socket>();
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxClientConnections = options.maxClientConnections ?? DEFAULT_MAX_CLIENT_CONNECTIONS;
  /**
   * Sign-ins: the SHA-256 of a random session id (the cookie holds the id, never the token) to
   * when it ends. Per process: a cookie of this console signs in nowhere else, even where the
   * same token is used, and none survives a restart.
   */
  const sessions = new Map<string, number>();
  const sessionKey = (id: string): string => createHash("sha256").update(id).digest("hex");
  const newSession = (): string => {
    const now = Date.now();
    for (const [key, end] of sessions) if (end <= now) sessions.delete(key);
    while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
    const id = randomBytes(32).toString("base64url");
    sessions.set(sessionKey(id), now + SESSION_MS);
    return id;
  };
  const validSession = (id: string): boolean => {
    const key = sessionKey(id);
    const end = sessions.get(key);
    if (end === undefined) return false;
    if (end > Date.now()) return true;
    sessions.delete(key);
    return false;
  };
  const loopback = isLoopback(options.host);

  const hostAllowed = (header: string | undefined): boolean => {
    if (!loopback) return true;
    if (header === undefined) return false;
    const m = /^(\[[0-9a-f:.]+\]|[^:]+)(?::([0-9]{1,5}))?$/i.exec(header);
    return m !== null && isLoopback(m[1] as string) && (m[2] === undefined ? port === 80 : Number(m[2]) === port);
  };

  const signedIn = (req: IncomingMessage): boolean => {
    if (token === undefined) return true;
    const auth = req.headers.authorization;
    const bearer = auth !== undefined && /^Bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    if (bearer !== undefined) return sameSecret(bearer, token);
    const session = cookieValue(req.headers.cookie, cookieName(port));
    return session !== undefined && validSession(session);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Any body is read within its bounds (size and time) before anything else (the Host check,
    // the token): a body sent byte by byte cannot hold a connection, whoever sends it.
    let body: string | undefined;
    if (hasBody(req)) {
      const read = await readBody(req);
      if ("problem" in read) {
        refuseBody(res, read.problem);
        return;
      }
      body = read.text;
    } else req.resume();
    if (!hostAllowed(req.headers.host)) {
      send(res, 421, "text/plain; charset=utf-8", "This console answers only to a loopback host name (127.0.0.1, localhost, [::1]) with its port.\n");
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://console.invalid");
    } catch {
      sendJson(res, 400, { error: "the request target is not a valid URL" });
      return;
    }
    const path = url.pathname;
    if (req.method === "POST" && path === "/sign-in" && token !== undefined) {
      const given = body === undefined ? undefined : new URLSearchParams(body).get("token");
      if (given === undefined || given === null || !sameSecret(given, token)) {
        send(res, 401, "text/html; charset=utf-8", SIGN_IN("That is not the token."));
        return;
      }
      const cookie = `${cookieName(port)}=${newSession()}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`;
      res.writeHead(303, { ...SECURITY_HEADERS, Location: "/", "Set-Cookie": cookie, "Content-Length": "0" });
      res.end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain; charset=utf-8", "The console is read-only: GET and HEAD only.\n", { Allow: "GET, HEAD" });
      return;
    }
    if (!signedIn(req)) {
      if (path === "/") send(res, 401, "text/html; charset=utf-8", SIGN_IN(""));
      else sendJson(res, 401, { error: "this console needs its token: Authorization: Bearer TOKEN, or sign in on the page" });
      return;
    }
    const asset = assets.get(path);
    if (asset !== undefined) {
      send(res, 200, asset.type, asset.body);
      return;
    }
    if (!path.startsWith("/api/")) {
      send(res, 404, "text/plain; charset=utf-8", "Not found.\n");
      return;
    }
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    const params = url.searchParams;
    switch (path) {
      case "/api/search": {
        const query = parseSearch(params, set, Date.now());
        const page = await searchPage(set, query, controller.signal);
        sendJson(res, 200, { offset: query.offset, limit: query.limit, order: query.order, more: page.more, records: page.records.map((r) => recordJson(r, set)), ...page.report.toJSON() });
        return;
      }
      case "/api/line": {
        const file = params.get("file");
        const lineText = params.get("line");
        if (file === null || lineText === null || !/^[1-9][0-9]{0,9}$/.test(lineText)) throw new QueryError("file and line: expected a file of the log set as the console shows it, and a line number from 1");
        const detail = await lineDetail(set, file, Number(lineText));
        if (detail === undefined) sendJson(res, 404, { error: "no such line in the files of this console" });
        else sendJson(res, 200, detail);
        return;
      }
      case "/api/stats": {
        const query = parseSearch(params, set, Date.now());
        const bucketsText = params.get("buckets") ?? "60";
        if (!/^[1-9][0-9]{0,2}$/.test(bucketsText) || Number(bucketsText) > 500) throw new QueryError(`buckets "${bucketsText}": expected a whole number from 1 to 500`);
        const by = params.get("by")?.trim();
        const report = new ScanReport(set);
        const stats = await searchStats(set, query, Number(bucketsText), by === undefined || by === "" ? undefined : by, report, controller.signal);
        sendJson(res, 200, { ...stats, startTime: isoTime(stats.start), endTime: isoTime(stats.end), ...report.toJSON() });
        return;
      }
      case "/api/follow": {
        const client = req.socket.remoteAddress ?? "";
        const mine = clientFollowers.get(client) ?? 0;
        if (followers >= MAX_FOLLOWERS) {
          sendJson(res, 503, { error: `already ${MAX_FOLLOWERS} followers: close one first` });
          return;
        }
        if (mine >= MAX_CLIENT_FOLLOWERS) {
          sendJson(res, 503, { error: `already ${MAX_CLIENT_FOLLOWERS} followers from ${client}: close one first` });
          return;
        }
        if (req.method === "HEAD") {
          // The headers of the stream, without the stream (which would never end).
          parseSearch(params, set, Date.now());
          res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8" });
          res.end();
          return;
        }
        followers++;
        clientFollowers.set(client, mine + 1);
        try {
          await followRecords(res, set, params, options.pollMs ?? 250, controller.signal, req.headers["last-event-id"] as string | undefined);
        } finally {
          followers--;
          const left = (clientFollowers.get(client) ?? 1) - 1;
          if (left === 0) clientFollowers.delete(client);
          else clientFollowers.set(client, left);
        }
        return;
      }
      case "/api/export":
        await exportRecords(res, set, params, controller.signal);
        return;
      case "/api/verify":
        sendJson(res, 200, await verifyReport(set, options.verify));
        return;
      case "/api/files":
        sendJson(res, 200, { logs: logsOf(set).map((log) => ({ active: displayPath(log.active, set.cwd), files: log.files.map((f) => displayPath(f.path, set.cwd)) })) });
        return;
      default:
        sendJson(res, 404, { error: "no such API" });
    }
  };

  const server = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // The timeouts above are checked this often (Node's default, 30 s, would let a slow client
      // keep its connection up to 30 s past them).
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      if (refusedSockets.has(req.socket)) {
        res.destroy();
        return;
      }
      dispatch(req, res);
    },
  );
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof QueryError) sendJson(res, 400, { error: error.message });
      else sendJson(res, 500, { error: (error as Error).message });
    });
  };
  server.timeout = IDLE_TIMEOUT_MS;
  // Connections counted, in all and per client address: one more is answered 503 and closed,
  // before anything of it is read, so a client that opens many cannot shut out the others.
  server.on("connection", (socket: Socket) => {
    const client = socket.remoteAddress;
    const mine = client === undefined ? 0 : (clientConnections.get(client) ?? 0);
    if (client === undefined || connections >= maxConnections || mine >= maxClientConnections) {
      refusedSockets.add(socket);
      const why = client === undefined || connections >= maxConnections ? `at most ${maxConnections} connections at once` : `at most ${maxClientConnections} connections at once from one address`;
      const text = `The console is busy: ${why}.\n`;
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\nRetry-After: 5\r\n\r\n${text}`);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    connections++;
    clientConnections.set(client, mine + 1);
    socket.once("close", () => {
      connections--;
      const left = (clientConnections.get(client) ?? 1) - 1;
      if (left === 0) clientConnections.delete(client);
      else clientConnections.set(client, left);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
