/**
 * `slf4ts-audit verify`: checks the hash chain and the signed checkpoints of dedicated-mode
 * audit files written with `integrity.mode` on.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import { KEY_PREFIX } from "../config/schema.js";
import { readEd25519PublicKey, readHmacKeyFile, type HmacKeyFile } from "../integrity/keys.js";
import { verifyAuditLog, type Finding, type LogReport, type VerifyOptions } from "../integrity/verify.js";
import { compareWithWitness, type WitnessReport } from "../integrity/witness.js";
import { findAuditLogs, type AuditLogFiles } from "../logfile/files.js";
import { readPropertiesEntries } from "./settings.js";
import { EXIT, type CliCommand, type CliIo } from "./io.js";
import { unknownOption } from "./options.js";
import { displayPath, jsonSafe, terminalText } from "./output.js";
import { DEFAULT_READ_LIMITS, MAX_LINE_BYTES_LIMIT, NotRegularFileError, parseLimitOption, ReadLimitError, type ReadLimits } from "../logfile/read.js";

const HELP = `Usage: slf4ts-audit verify [options] <file or folder>...

Checks that audit files written with integrity.mode=hmac or ed25519 were not altered: the hash
chain of every record across the active file and its archives (gzip too), and the signature of
every checkpoint.

Options:
  --key FILE            the HMAC key file; with key evolution its initial copy (kept off the host)
  --public-key FILE     the Ed25519 public key (PEM: openssl pkey -in key.pem -pubout)
  --epoch-seconds N     the epoch length, when the key file has no seconds= line
  --properties FILE     the logger's properties file: integrity.epoch, file.count and
                        integrity.checkpoint.records are read from it (with file.count, deleted
                        old archives are found too, unless file.maxAge > 0 deletes old archives
                        by age; checkpoint.records bounds a crashed session's adopted tail for
                        logs whose checkpoints do not carry records.max)
  --log-id ID           the log's identity as recorded elsewhere (verify prints it): a
                        checkpoint signed for any other log is a finding (spliced), so a folder
                        replaced by another log that uses the same key is found
  --witness PATH        the central copy of the same lines (a file or folder, written by a
                        receiver from a target with integrity=on, one line each: rsyslog
                        template string="%msg%\n"): lines at the centre missing on the host
                        (witness-missing: tail truncation, deletion), lines that differ
                        (witness-differs), a forged centre (witness-forged), a central file
                        that cannot be read to its end (witness-unreadable: a truncated or
                        corrupt .gz) are findings; host lines never delivered
                        (witness-undelivered) and a central line cut short by a receiver
                        stopped mid-write (witness-cut) are warnings. A folder: every regular file in it, rotated
                        (.1, -20261204) and gzip'd ones too, each log oldest first
  --chain-only          check the chain without signatures (weak: anyone can recompute a chain)
  --json                print a JSON report instead of text
  --max-line-bytes SIZE a longer line stops the check as damage (default 16MB; at most 256MB;
                        bytes, or with KB, MB, GB)
  --max-gunzip-bytes SIZE
                        an archive that decompresses to more stops the check as damage
                        (default 1GB)
  -h, --help            this text

A file argument stands for its log (the active file and its archives beside it); a folder for
every log in it.

Findings (exit code 1): modified, inserted, deleted, reordered, truncated, missing-archive,
replaced-archive, bad-signature, epoch-out-of-time, time-out-of-order, spliced (a checkpoint
of another log with the same key), unverified (lines no checkpoint covers: records of a
killed session that the next start could not adopt because they break its chain, or lines
whose chain field was removed).
Warnings (exit code 0): unsealed (records after the newest session's last checkpoint: they
could be changed or removed without a trace), recovered (records of a session killed before
its closing checkpoint, found chained intact by the next start and sealed then; until then
anyone who could write the file could have changed, removed or appended to them and
recomputed the chain, no key needed), unchained (lines before the log's genesis, or after a
signed integrity-off checkpoint), older-version (lines of the previous chain format before
the genesis: not checked), history-incomplete (older archives rotated out), interrupted
(a writer killed in a rotation or compression left audit.log.rotating, read as the newest file,
with one free archive number, or an archive both plain and .gz with the same records, read
once; its next start tidies up), duplicate-archive (the same, for a pair too large to
compare byte for byte: the same lines, read once).
Exit code 0 means every line is covered by a verified checkpoint or explained by a signed one,
but for those warnings: a crash alone is no finding.

A line longer than --max-line-bytes or an archive past --max-gunzip-bytes (a gzip bomb) stops
the check with FILE[:LINE] as damage (exit code 1). Files found beside or in the paths given
are read only when they are regular files: a symbolic link (not followed) or a FIFO named like
an audit file makes the files unreadable (exit code 3).

Exit codes: 0 intact, 1 tampering or damage found, 2 bad command line, 3 unreadable files or keys
(or an unexpected error).
`;

interface Arguments {
  readonly paths: string[];
  key: string | undefined;
  publicKey: string | undefined;
  epochSeconds: number | undefined;
  properties: string | undefined;
  logId: string | undefined;
  witness: string | undefined;
  chainOnly: boolean;
  json: boolean;
  limits: ReadLimits;
}

/** The options of `verify`, for the "did you mean" of an unknown one. */
const VERIFY_OPTIONS = ["--key", "--public-key", "--epoch-seconds", "--properties", "--log-id", "--witness", "--chain-only", "--json", "--max-line-bytes", "--max-gunzip-bytes", "--help"];

function parseArguments(args: readonly string[]): Arguments | string {
  const parsed: Arguments = { paths: [], key: undefined, publicKey: undefined, epochSeconds: undefined, properties: undefined, logId: undefined, witness: undefined, chainOnly: false, json: false, limits: DEFAULT_READ_LIMITS };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      parsed.paths.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      parsed.paths.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const option = eq < 0 ? arg : arg.slice(0, eq);
    const value = (): string | undefined => (eq >= 0 ? arg.slice(eq + 1) : args[++i]);
    switch (option) {
      case "--key":
      case "--public-key":
      case "--properties":
      case "--log-id":
      case "--witness":
      case "--max-line-bytes":
      case "--max-gunzip-bytes":
      case "--epoch-seconds": {
        const v = value();
        if (v === undefined || v === "") return `${option} needs a value`;
        if (option === "--max-line-bytes" || option === "--max-gunzip-bytes") {
          const max = option === "--max-line-bytes" ? MAX_LINE_BYTES_LIMIT : Number.MAX_SAFE_INTEGER;
          const size = parseLimitOption(option, v, max);
          if (typeof size === "string") return terminalText(size);
          parsed.limits = option === "--max-line-bytes" ? { ...parsed.limits, maxLineBytes: size } : { ...parsed.limits, maxGunzipBytes: size };
        } else if (option === "--key") parsed.key = v;
        else if (option === "--public-key") parsed.publicKey = v;
        else if (option === "--properties") parsed.properties = v;
        else if (option === "--witness") parsed.witness = v;
        else if (option === "--log-id") {
          if (!/^[A-Za-z0-9_-]{16}$/.test(v)) return `--log-id expects the log's identity (16 base64url characters, as verify prints it), not "${terminalText(v)}"`;
          parsed.logId = v;
        }
        else {
          const n = /^[0-9]{1,8}$/.test(v) ? Number(v) : NaN;
          if (!(n >= 1 && n <= 31_536_000)) return `--epoch-seconds expects a whole number of seconds from 1 to 31536000, not "${terminalText(v)}"`;
          parsed.epochSeconds = n;
        }
        break;
      }
      case "--chain-only":
      case "--json":
        if (eq >= 0) return `${option} takes no value`;
        if (option === "--json") parsed.json = true;
        else parsed.chainOnly = true;
        break;
      default:
        return unknownOption(option, VERIFY_OPTIONS);
    }
  }
  if (parsed.paths.length === 0) return "give at least one audit file or folder";
  if (parsed.key === undefined && parsed.publicKey === undefined && !parsed.chainOnly) {
    return "give --key (integrity.mode=hmac) or --public-key (ed25519), or --chain-only to check the chain without signatures";
  }
  return parsed;
}

/**
 * Reads what a verification takes from the logger's properties file: integrity.epoch,
 * integrity.checkpoint.records and file.count (none when file.maxAge deletes archives by age);
 * throws an `Error` naming the file, key and value. Shared with `serve`'s verify view.
 *
 * @example
 * ```ts
 * const { epochSeconds, fileCount, checkpointRecords } = readVerifyProperties("/etc/app/slf4j-auditlog.properties");
 * ```
 */
export function readVerifyProperties(path: string): { epochSeconds: number | undefined; fileCount: number | undefined; checkpointRecords: number } {
  const entries = readPropertiesEntries(path);
  const get = (name: string): string | undefined => {
    let value: string | undefined;
    for (const entry of entries) if (entry.key === KEY_PREFIX + name) value = entry.value.trim();
    return value === "" ? undefined : value;
  };
  const number = (name: string, min: number, max: number): number | undefined => {
    const text = get(name);
    if (text === undefined) return undefined;
    const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) throw new Error(`${path}: ${KEY_PREFIX}${name} = "${terminalText(text)}" is not a number from ${min} to ${max}`);
    return n;
  };
  const epoch = number("integrity.epoch", 0, 31_536_000);
  // With an age limit, fewer archives than file.count is normal: missing old ones are then a
  // warning (history-incomplete), not a finding.
  const maxAge = number("file.maxAge", 0, 36_500) ?? 0;
  const fileCount = number("file.count", 1, 10_000) ?? 99;
  const checkpointRecords = number("integrity.checkpoint.records", 1, 100_000_000) ?? 1000;
  return { epochSeconds: epoch === 0 ? undefined : epoch, fileCount: maxAge > 0 ? undefined : fileCount, checkpointRecords };
}

function describe(finding: Finding, level: "FINDING" | "WARNING"): string {
  return `  ${level} ${finding.kind.padEnd(18)} ${terminalText(finding.message)}\n`;
}

function summary(report: LogReport): string {
  const files = report.files.length === 1 ? "1 file" : `${report.files.length} files`;
  const sessions = report.sessions.length === 1 ? "1 session" : `${report.sessions.length} sessions`;
  return `${terminalText(report.active)}: ${files}, ${report.records} chained lines in ${sessions}, ${report.verifiedCheckpoints} of ${report.checkpoints} checkpoints verified${report.unchained > 0 ? `, ${report.unchained} lines without chain` : ""}${report.logId === undefined ? "" : `, log ${terminalText(report.logId)}`}
`;
}

/**
 * The `verify` command.
 *
 * @example
 * ```ts
 * const code = await verifyCommand.run(["--json", "--key", "audit.key.initial", "/var/log/app/audit.log"], io);
 * ```
 */
export const verifyCommand: CliCommand = {
  summary: "check the hash chain and signed checkpoints of tamper-evident audit files",
  help: HELP,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArguments(args);
    if (typeof parsed === "string") {
      io.err(`slf4ts-audit verify: ${parsed}\nRun slf4ts-audit verify --help for the options.\n`);
      return EXIT.USAGE;
    }
    const options: { -readonly [K in keyof VerifyOptions]: VerifyOptions[K] } = { chainOnly: parsed.chainOnly, logId: parsed.logId };
    let hmacKey: HmacKeyFile | undefined;
    try {
      if (parsed.key !== undefined) hmacKey = readHmacKeyFile(resolve(io.cwd, parsed.key));
      if (parsed.publicKey !== undefined) options.publicKey = readEd25519PublicKey(resolve(io.cwd, parsed.publicKey));
      if (parsed.properties !== undefined) {
        const settings = readVerifyProperties(resolve(io.cwd, parsed.properties));
        options.fileCount = settings.fileCount;
        options.epochSeconds = settings.epochSeconds;
        options.checkpointRecords = settings.checkpointRecords;
      }
    } catch (error) {
      io.err(`slf4ts-audit verify: ${terminalText((error as Error).message)}\n`);
      return EXIT.IO;
    }
    options.hmacKey = hmacKey;
    if (parsed.epochSeconds !== undefined) options.epochSeconds = parsed.epochSeconds;
    if (hmacKey?.seconds !== undefined && options.epochSeconds !== undefined && hmacKey.seconds !== options.epochSeconds) {
      io.err(`slf4ts-audit verify: the key file says seconds=${hmacKey.seconds}, but the epoch length given is ${options.epochSeconds}\n`);
      return EXIT.USAGE;
    }
    const logs: AuditLogFiles[] = [];
    try {
      for (const path of parsed.paths) {
        for (const log of findAuditLogs(resolve(io.cwd, path), parsed.limits)) {
          if (!logs.some((l) => l.active === log.active)) logs.push(log);
        }
      }
    } catch (error) {
      io.err(`slf4ts-audit verify: ${terminalText((error as Error).message)}\n`);
      return EXIT.IO;
    }
    let progressShown = false;
    if (io.errIsTTY) {
      options.onProgress = (file, lines) => {
        progressShown = true;
        io.err(`\r\x1b[Kverifying ${terminalText(basename(file))}: line ${lines}`);
      };
    }
    const reports: LogReport[] = [];
    try {
      for (const log of logs) reports.push(await verifyAuditLog(log, options));
    } catch (error) {
      if (progressShown) io.err("\r\x1b[K");
      if (error instanceof ReadLimitError) {
        // Past a bound: the log cannot be vouched for, and a writer never produces this.
        const where = `${displayPath(error.path, io.cwd)}${error.line === undefined ? "" : `:${error.line}`}`;
        if (parsed.json) {
          io.out(`${jsonSafe(JSON.stringify({ intact: false, findings: 1, stopped: { file: error.path, line: error.line ?? null, why: error.why } }, null, 2))}\n`);
        } else {
          io.out(`  FINDING ${"unreadable".padEnd(18)} ${terminalText(where)}: ${terminalText(error.why)}\n`);
          io.out("Result: TAMPERING OR DAMAGE FOUND (the check stopped there; the files after it were not verified)\n");
        }
        return EXIT.FINDINGS;
      }
      const why = error instanceof NotRegularFileError ? `${displayPath(error.path, io.cwd)} is ${error.what}, not a regular file: not followed or opened` : (error as Error).message;
      io.err(`slf4ts-audit verify: cannot read the audit files: ${terminalText(why)}\n`);
      return EXIT.IO;
    }
    if (progressShown) io.err("\r\x1b[K");
    let witness: WitnessReport | undefined;
    if (parsed.witness !== undefined) {
      try {
        witness = await compareWithWitness(logs, resolve(io.cwd, parsed.witness), { hmacKey, publicKey: options.publicKey }, parsed.limits);
      } catch (error) {
        io.err(`slf4ts-audit verify: cannot read the witness ${terminalText(parsed.witness)}: ${terminalText((error as Error).message)}\n`);
        return EXIT.IO;
      }
    }
    const findings = reports.reduce((n, r) => n + r.findings.length, 0) + (witness?.findings.length ?? 0);
    const warnings = reports.reduce((n, r) => n + r.warnings.length, 0) + (witness?.warnings.length ?? 0);
    if (parsed.json) {
      io.out(`${jsonSafe(JSON.stringify({ intact: findings === 0, findings, warnings, signaturesChecked: !parsed.chainOnly, logs: reports, ...(witness === undefined ? {} : { witness }) }, null, 2))}\n`);
    } else {
      for (const report of reports) {
        io.out(summary(report));
        for (const f of report.findings) io.out(describe(f, "FINDING"));
        for (const w of report.warnings) io.out(describe(w, "WARNING"));
      }
      if (witness !== undefined) {
        const skipped = witness.skipped.length === 0 ? "" : `, ${witness.skipped.length} not read (not regular files: ${witness.skipped.map((e) => `${e.name}, ${e.what}`).join("; ")})`;
        io.out(`witness ${terminalText(parsed.witness ?? "")}: ${witness.files.length} file(s)${terminalText(skipped)}, ${witness.lines} line(s) of this log, ${witness.duplicates} resent duplicate(s), ${witness.other} other line(s)\n`);
        for (const f of witness.findings) io.out(`  FINDING ${f.kind.padEnd(18)} ${terminalText(f.message)}\n`);
        for (const w of witness.warnings) io.out(`  WARNING ${w.kind.padEnd(18)} ${terminalText(w.message)}\n`);
      }
      if (parsed.chainOnly) io.out("Signatures were not checked (--chain-only): anyone who can write the files can also recompute a chain.\n");
      io.out(
        findings === 0
          ? `Result: INTACT (${warnings} warning${warnings === 1 ? "" : "s"})\n`
          : `Result: TAMPERING OR DAMAGE FOUND (${findings} finding${findings === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"})\n`,
      );
    }
    return findings === 0 ? EXIT.OK : EXIT.FINDINGS;
  },
};
