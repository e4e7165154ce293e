/**
 * Audit services for tests that are shut down when the test ends: a bare one, and one in
 * dedicated mode configured from a properties file in a fresh folder.
 */
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import { createAuditLogService, type AuditLogger } from "../../src/index.js";
import { tempDir, writeProperties } from "./helpers.js";

/** A new, unconfigured service, shut down at the end of the test. */
export function testService(t: ExecutionContext): AuditLogger {
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  return audit;
}

/** A service configured by {@link dedicatedService}, and where its files are. */
export interface DedicatedService {
  readonly audit: AuditLogger;
  /** The temporary folder of the properties file and the logs. */
  readonly dir: string;
  /** The properties file, `<dir>/slf4j-auditlog.properties`. */
  readonly file: string;
  /** The audit file, `<dir>/logs/audit.log`. */
  readonly log: string;
  /** Rewrites the properties file: `base` and the defaults with `settings` over them (no reload). */
  write(settings: Record<string, string>): void;
}

/**
 * A service configured (not watched) from a properties file in a fresh folder: enabled, writing
 * `logs/audit.log` beside it, with `base` and then `settings` over those defaults.
 */
export async function dedicatedService(t: ExecutionContext, settings: Readonly<Record<string, string>>, base: Readonly<Record<string, string>> = {}): Promise<DedicatedService> {
  const dir = tempDir(t);
  const file = join(dir, "slf4j-auditlog.properties");
  const write = (s: Record<string, string>): void => writeProperties(file, { enabled: "true", "file.location": "logs/audit.log", ...base, ...s });
  write({ ...settings });
  const audit = testService(t);
  await audit.configure({ propertiesFile: file, watch: false });
  return { audit, dir, file, log: join(dir, "logs", "audit.log"), write };
}
