/**
 * `slf4ts-audit serve`: the auditor's web console over the files `query` reads. The server is in
 * `./serve/server.ts`, the questions it asks of the files in `./serve/search.ts`, the page in
 * the package's `console/` folder.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readEd25519PublicKey, readHmacKeyFile } from "../integrity/keys.js";
import { resolveArgument } from "../logfile/files.js";
import type { VerifyOptions } from "../integrity/verify.js";
import { DEFAULT_READ_SETTINGS, createLineDecoder } from "../logfile/records.js";
import { UsageError } from "./filters.js";
import { parseCommandArgs, readZoneOption } from "./options.js";
import { EXIT, type CliCommand, type CliIo } from "./io.js";
import { terminalText } from "./output.js";
import { LIMIT_OPTIONS, readLimitOptions } from "./query.js";
import { loadReadSettings } from "./settings.js";
import { readVerifyProperties } from "./verify.js";
import { logsOf } from "./serve/search.js";
import { DEFAULT_MAX_CLIENT_CONNECTIONS, DEFAULT_MAX_CONNECTIONS, isLoopback, startConsole, type ConsoleOptions } from "./serve/server.js";

const HELP = `Usage: slf4ts-audit serve [<files or folders>...] [options]

Serves a web page to search, count, verify and export the records of audit logs: the same files
as query reads (each log's archives, gzip too, and its active file). Read-only.

Options:
  --properties FILE   the slf4j-auditlog.properties the files were written with (their format,
                      and their file.location when no path is given)
  --host ADDRESS      the address to listen on (default 127.0.0.1); any address that is not
                      loopback needs a token
  --port N            the port (default 8470; 0 for any free one)
  --token TOKEN       every request must carry TOKEN (at least 16 characters): the page asks
                      for it once (a session cookie then signs the browser in for 12 hours;
                      it never holds the token), scripts send Authorization: Bearer TOKEN
  --token-file FILE   the token is the first line of FILE (so it is not on the command line)
  --generate-token    a random token, printed once on stderr
  --key FILE          the HMAC key file, for the verify view (as verify --key; with
                      --properties, its integrity.epoch, file.count and
                      integrity.checkpoint.records are used as verify uses them)
  --public-key FILE   the Ed25519 public key, for the verify view (as verify --public-key)
  --chain-only        the verify view checks the chain without signatures (weak)
  --tz ZONE           zone of times typed without an offset (default: date.timezone, GMT)
  --time-attr NAME    take the record's time from attribute NAME (as query)
  --max-line-bytes SIZE, --max-gunzip-bytes SIZE
                      as for query (default 16MB and 1GB)
  --max-connections N the most connections at once (default 64); more are answered 503
  --max-client-connections N
                      the most connections at once from one address (default 16; behind a
                      reverse proxy every client has the proxy's address: raise it)
  -h, --help          this help

Bound to loopback (the default) without a token, the console answers only requests that name
a loopback host (127.0.0.1, localhost, [::1]) with its port: a web page of another site cannot
reach it by rebinding its DNS name. Off loopback, serve refuses to start without a token.

Exit codes: 0 stopped by Ctrl-C, 2 bad command line (also: no token off loopback), 3 the files,
keys or properties could not be read, or the port could not be listened on.

Examples:
  slf4ts-audit serve --properties /etc/app/slf4j-auditlog.properties
  slf4ts-audit serve /var/log/app --host 0.0.0.0 --generate-token --key /root/audit.key.initial
`;

const MIN_TOKEN = 16;

function readToken(values: { token?: string | undefined; "token-file"?: string | undefined; "generate-token"?: boolean | undefined }, cwd: string): { token: string | undefined; generated: boolean } {
  const given = [values.token !== undefined, values["token-file"] !== undefined, values["generate-token"] === true].filter(Boolean).length;
  if (given > 1) throw new UsageError("give one of --token, --token-file and --generate-token");
  if (values["generate-token"] === true) return { token: randomBytes(24).toString("base64url"), generated: true };
  let token = values.token;
  if (values["token-file"] !== undefined) {
    const path = resolve(cwd, values["token-file"]);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new Error(`cannot read the token file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    token = text.split(/\r?\n/)[0]?.trim() ?? "";
  }
  if (token !== undefined && (token.length < MIN_TOKEN || !/^[\x21-\x7e]+$/.test(token))) {
    throw new UsageError(`the token must be at least ${MIN_TOKEN} printable ASCII characters without spaces (it is ${token.length} long)`);
  }
  return { token, generated: false };
}

function parseServeArgs(args: readonly string[], io: CliIo): { options: ConsoleOptions; generated: boolean } {
  const options = {
    ...LIMIT_OPTIONS,
    properties: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    token: { type: "string" },
    "token-file": { type: "string" },
    "generate-token": { type: "boolean" },
    key: { type: "string" },
    "public-key": { type: "string" },
    "chain-only": { type: "boolean" },
    tz: { type: "string" },
    "time-attr": { type: "string" },
    "max-connections": { type: "string" },
    "max-client-connections": { type: "string" },
  } as const;
  const parsed = parseCommandArgs(args, options);
  const values = parsed.values;
  const host = values.host ?? "127.0.0.1";
  if (host === "" || /[\s/]/.test(host)) throw new UsageError(`--host "${host}": expected an address or host name`);
  let port = 8470;
  if (values.port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port "${values.port}": expected a whole number from 0 to 65535`);
    port = Number(values.port);
  }
  const count = (option: "max-connections" | "max-client-connections", fallback: number): number => {
    const text = values[option];
    if (text === undefined) return fallback;
    if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 10000) throw new UsageError(`--${option} "${text}": expected a whole number from 1 to 10000`);
    return Number(text);
  };
  const maxConnections = count("max-connections", DEFAULT_MAX_CONNECTIONS);
  const maxClientConnections = count("max-client-connections", Math.min(DEFAULT_MAX_CLIENT_CONNECTIONS, maxConnections));
  const { token, generated } = readToken(values, io.cwd);
  if (token === undefined && !isLoopback(host)) {
    throw new UsageError(`--host ${host} is not a loopback address: give a token (--token, --token-file or --generate-token), or listen on 127.0.0.1`);
  }
  const limits = readLimitOptions(values);
  const settings = values.properties === undefined ? DEFAULT_READ_SETTINGS : loadReadSettings(resolve(io.cwd, values.properties));
  const zone = readZoneOption(values.tz, settings.dateTimeZone);
  // The format must be readable before the first request (a file.pattern without a message).
  createLineDecoder(settings, values["time-attr"]);
  let paths = parsed.positionals.map((p) => resolve(io.cwd, p));
  if (paths.length === 0) {
    if (settings.location === undefined) throw new UsageError("no files given: name files or folders, or give --properties with a file.location");
    paths = [settings.location];
  }
  // Resolved once, now: a link named here is followed as the user named it; one made later at
  // any of these paths (or in place of a folder on the way) is not (see LogSet.paths).
  paths = paths.map(resolveArgument);
  let verify: VerifyOptions | undefined;
  if (values.key !== undefined || values["public-key"] !== undefined || values["chain-only"] === true) {
    // As verify --properties: the epoch, file.count and checkpoint.records of the logger.
    const fromProperties = values.properties === undefined ? undefined : readVerifyProperties(resolve(io.cwd, values.properties));
    verify = {
      ...(fromProperties === undefined ? {} : { epochSeconds: fromProperties.epochSeconds, fileCount: fromProperties.fileCount, checkpointRecords: fromProperties.checkpointRecords }),
      chainOnly: values["chain-only"] === true,
      hmacKey: values.key === undefined ? undefined : readHmacKeyFile(resolve(io.cwd, values.key)),
      publicKey: values["public-key"] === undefined ? undefined : readEd25519PublicKey(resolve(io.cwd, values["public-key"])),
    };
  }
  return {
    options: { set: { paths, settings, limits, zone, cwd: io.cwd, timeAttribute: values["time-attr"] }, host, port, token, verify, maxConnections, maxClientConnections },
    generated,
  };
}

/**
 * The `serve` command: runs until Ctrl-C (the {@link CliIo} signal).
 *
 * @example
 * ```ts
 * const code = await serveCommand.run(["--port", "0", "/var/log/app"], io);
 * ```
 */
export const serveCommand: CliCommand = {
  summary: "serve a web page to search, count, verify and export audit records (read-only)",
  help: HELP,
  async run(args, io) {
    let parsed;
    try {
      parsed = parseServeArgs(args, io);
    } catch (error) {
      if (error instanceof UsageError) {
        io.err(`slf4ts-audit serve: ${terminalText(error.message)}\nRun slf4ts-audit serve --help for the options.\n`);
        return EXIT.USAGE;
      }
      io.err(`slf4ts-audit serve: ${terminalText((error as Error).message)}\n`);
      return EXIT.IO;
    }
    // The files must be there to start (as query needs them); later each request finds them anew.
    try {
      logsOf(parsed.options.set);
    } catch (error) {
      io.err(`slf4ts-audit serve: ${terminalText((error as Error).message)}\n`);
      return EXIT.IO;
    }
    let running;
    try {
      running = await startConsole(parsed.options);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      io.err(`slf4ts-audit serve: cannot listen on ${terminalText(parsed.options.host)} port ${parsed.options.port} (${terminalText(code ?? (error as Error).message)})\n`);
      return EXIT.IO;
    }
    if (parsed.generated) io.err(`slf4ts-audit serve: token (shown once): ${parsed.options.token as string}\n`);
    io.out(`slf4ts-audit serve: ${running.url} (read-only; Ctrl-C stops)\n`);
    await new Promise<void>((resolveAbort) => {
      if (io.signal.aborted) resolveAbort();
      else io.signal.addEventListener("abort", () => resolveAbort(), { once: true });
    });
    await running.close();
    return EXIT.OK;
  },
};
