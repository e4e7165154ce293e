/**
 * The harness of the integrity tests (integrity, integrity-attacks, integrity-recovery, the crash
 * tests): a folder with an HMAC key and a properties file, `slf4ts-audit verify --json` run in
 * this process with its report read back, and the chain field of a line taken apart.
 */
import { randomBytes } from "node:crypto";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { ExecutionContext } from "ava";
import { parseChainToken, splitChainField, type ChainToken } from "../../src/integrity/token.js";
import type { LogReport } from "../../src/integrity/verify.js";
import { runCli } from "./cli.js";
import { listDir, tempDir, writeProperties } from "./helpers.js";

/** What every integrity test starts from: dedicated mode into `logs/audit.log`, HMAC with the key file `audit.key`, a checkpoint every 10 records. */
export const INTEGRITY_SETTINGS: Readonly<Record<string, string>> = {
  enabled: "true",
  "file.location": "logs/audit.log",
  "integrity.mode": "hmac",
  "integrity.key": "audit.key",
  "integrity.checkpoint.records": "10",
};

/** The text of a new HMAC key file: 32 random bytes in hex. */
export const newHmacKey = (): string => `${randomBytes(32).toString("hex")}\n`;

/** A folder set up for an integrity test. */
export interface IntegritySetup {
  readonly dir: string;
  /** The log's folder, `<dir>/logs`. */
  readonly logs: string;
  /** The active file, `<logs>/audit.log`. */
  readonly active: string;
  /** The properties file. */
  readonly props: string;
  /** The HMAC key file, `<dir>/audit.key`. */
  readonly key: string;
  /** Rewrites the properties file: the base settings with `settings` over them. */
  write(settings: Record<string, string>): void;
}

/** How {@link integritySetup} prepares the folder. */
export interface IntegritySetupOptions {
  /** The settings of every properties file this setup writes (with {@link INTEGRITY_SETTINGS} it starts from). */
  readonly base: Readonly<Record<string, string>>;
  /** The settings of the first properties file, over `base`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** The key file's text (default: a new HMAC key, {@link newHmacKey}). */
  readonly keyText?: string | undefined;
  /** The temporary folder's name prefix. */
  readonly prefix?: string;
}

/**
 * A fresh temporary folder (removed when the test ends) with the key file `audit.key` (mode
 * 0600) and `audit.properties` written from `base` and `settings`.
 */
export function integritySetup(t: ExecutionContext, options: IntegritySetupOptions): IntegritySetup {
  const dir = tempDir(t, options.prefix ?? "slf4ts-integrity-");
  const key = join(dir, "audit.key");
  writeFileSync(key, options.keyText ?? newHmacKey(), { mode: 0o600 });
  const props = join(dir, "audit.properties");
  const write = (settings: Record<string, string>): void => writeProperties(props, { ...options.base, ...settings });
  write({ ...options.settings });
  const logs = join(dir, "logs");
  return { dir, logs, active: join(logs, "audit.log"), props, key, write };
}

/** A copy of the setup's log folder, `<dir>/<name>`, to tamper with; the setup with it as its log. */
export function copyLogs(s: IntegritySetup, name: string): IntegritySetup {
  const logs = join(s.dir, name);
  cpSync(s.logs, logs, { recursive: true });
  return { ...s, logs, active: join(logs, "audit.log") };
}

/** The report `slf4ts-audit verify --json` prints. */
export interface VerifyReport {
  readonly intact: boolean;
  readonly findings: number;
  readonly warnings: number;
  readonly logs: LogReport[];
}

/** A verification: exit code, report, the first log's report, and the kinds of finding and warning over every log (sorted, each once). */
export interface Verified {
  readonly code: number;
  readonly report: VerifyReport;
  /** The report of the first (usually only) log. */
  readonly log: LogReport;
  readonly kinds: string[];
  readonly warnings: string[];
}

/** The kinds of finding of a report, over every log, sorted, each once. */
export const findingKinds = (report: VerifyReport): string[] => [...new Set(report.logs.flatMap((l) => l.findings.map((f) => f.kind)))].sort();

/** The kinds of warning of a report, over every log, sorted, each once. */
export const warningKinds = (report: VerifyReport): string[] => [...new Set(report.logs.flatMap((l) => l.warnings.map((f) => f.kind)))].sort();

/** Every finding of a report as indented JSON: the message of an assertion about them. */
export const describeFindings = (report: VerifyReport): string => JSON.stringify(report.logs.flatMap((l) => l.findings), null, 1);

/** Runs `slf4ts-audit verify --json <args>` in this process; throws when it printed no report (with what it said on stderr). */
export async function verifyJson(args: readonly string[]): Promise<Verified> {
  const { code, out, err } = await runCli(["verify", "--json", ...args]);
  if (out === "") throw new Error(`no report (exit ${code}): ${err}`);
  const report = JSON.parse(out) as VerifyReport;
  return { code, report, log: report.logs[0] as LogReport, kinds: findingKinds(report), warnings: warningKinds(report) };
}

/** Verifies the setup's log (or `folder`) with its key and its properties file (for file.count and the rest), `args` before the folder. */
export function verifyLog(s: Pick<IntegritySetup, "key" | "props" | "logs">, options: { readonly folder?: string; readonly args?: readonly string[] } = {}): Promise<Verified> {
  return verifyJson(["--key", s.key, "--properties", s.props, ...(options.args ?? []), options.folder ?? s.logs]);
}

/** The chain token of a line, when it has a well-formed one. */
export const tokenOf = (line: string): ChainToken | undefined => parseChainToken(splitChainField(line).token ?? "");

/** Why the checkpoint on this line was written (`genesis`, `records`, `shutdown`, …); undefined for a record or an unchained line. */
export const reasonOf = (line: string): string | undefined => tokenOf(line)?.checkpoint?.reason;

/** Every line of every file of the log in `logs` (gzip archives inflated), oldest file first. */
export function allLines(logs: string): string[] {
  const names = listDir(logs).filter((n) => /^audit\.log(\.\d+(\.gz)?)?$/.test(n));
  const index = (n: string): number => (n === "audit.log" ? 0 : Number(n.split(".")[2]));
  names.sort((a, b) => index(b) - index(a));
  return names.flatMap((n) => {
    const bytes = readFileSync(join(logs, n));
    const text = (n.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
    return text === "" ? [] : text.replace(/\n$/, "").split("\n");
  });
}
