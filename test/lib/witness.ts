/**
 * The witness tests' harness (witness, witness-archives, witness-delivery): a chain carried into
 * a real rsyslog by a target with integrity=on, the host's lines in order, and
 * `slf4ts-audit verify --witness` run in this process.
 */
import type { ExecutionContext } from "ava";
import { cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createAuditLogService } from "../../src/index.js";
import { runCli } from "./cli.js";
import { readLines } from "./helpers.js";
import { INTEGRITY_SETTINGS, integritySetup, type IntegritySetup } from "./integrity.js";
import { startRsyslog } from "./rsyslog.js";

/** A host's setup and the central copy of its chain. */
export interface WitnessRun {
  readonly s: IntegritySetup;
  /** A copy of rsyslog's `slf4tsWitness` file, `<dir>/central.log`. */
  readonly witness: string;
}

/** Logs `count` records through a syslog target with integrity=on into a real rsyslog; returns the host's setup and a copy of the central file. */
export async function logThroughRsyslog(t: ExecutionContext, count: number, extra: Record<string, string> = {}): Promise<WitnessRun> {
  const rs = await startRsyslog({ tcp: true });
  t.teardown(() => rs.dispose());
  const s = integritySetup(t, {
    base: INTEGRITY_SETTINGS,
    settings: {
      "integrity.checkpoint.records": "5",
      "target.central.type": "syslog",
      "target.central.host": "127.0.0.1",
      "target.central.port": String(rs.ports.tcp),
      "target.central.integrity": "on",
      ...extra,
    },
  });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: s.props, watch: false });
  for (let i = 0; i < count; i++) audit.log("ox.login", { login: `user${i}`, ip: "192.0.2.7", note: "ünïcode" });
  await audit.shutdown();
  const hostLines = allHostLines(s.logs);
  await rs.waitForLines(rs.files.tcp.witness, hostLines.length);
  const witness = join(s.dir, "central.log");
  cpSync(rs.files.tcp.witness, witness);
  return { s, witness };
}

/** Every line of the host's log, oldest archive first. */
export function allHostLines(logs: string): string[] {
  const names = readdirSync(logs).filter((n) => /^audit\.log(\.[0-9]+)?$/.test(n));
  const index = (n: string): number => (n === "audit.log" ? 0 : Number(n.slice("audit.log.".length)));
  return names.sort((a, b) => index(b) - index(a)).flatMap((n) => readLines(join(logs, n)));
}

/** A copy of the run's log folder, `<dir>/<name>`, to tamper with. */
export function copyHostLogs(run: WitnessRun, name: string): string {
  const logs = join(run.s.dir, name);
  cpSync(run.s.logs, logs, { recursive: true });
  return logs;
}

/** `slf4ts-audit verify --key … --witness <witness> <logs>/audit.log` (extra options before the log). */
export const verifyWitness = (run: WitnessRun, logs: string, witness = run.witness, extra: readonly string[] = []): ReturnType<typeof runCli> =>
  runCli(["verify", "--key", run.s.key, "--witness", witness, ...extra, join(logs, "audit.log")]);

/** rsyslog's `#011` before `chain=` turned back into the TAB the file holds. */
export const unescapeTab = (line: string): string => line.replace("#011chain=", "\tchain=");
