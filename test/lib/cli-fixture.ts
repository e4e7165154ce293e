/**
 * The multi-file audit log the query and tail tests ask their questions of: a week of logins,
 * logouts and sent mails written through the real AuditLogService in dedicated mode with a
 * small file.size (so there are several archives), the two oldest archives then gzipped.
 */
import { readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createAuditLogService } from "../../src/index.js";
import { writeProperties } from "./helpers.js";

/** A moment of the fixture week (November 2026; the 17th is a Tuesday), in UTC. */
export const at = (day: number, hour: number, minute = 0): Date => new Date(Date.UTC(2026, 10, day, hour, minute));

/** The records of the fixture, in the order they are logged. */
export const EVENTS: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["ox.login", { login: "anna", ip: "192.0.2.7", timestamp: at(16, 8, 5), client: "web" }],
  ["ox.login", { login: "ben", ip: "198.51.100.20", timestamp: at(16, 9, 30), client: "mobile" }],
  ["smtp.primary.sent", { login: "anna", ip: "192.0.2.7", timestamp: at(16, 9, 45), "smtp.sent": "bob@example.org" }],
  ["ox.logout", { login: "anna", ip: "192.0.2.7", timestamp: at(16, 17, 0) }],
  ["ox.login", { login: "carla", ip: "192.0.2.7", timestamp: at(17, 7, 55), client: 'Mozilla "Firefox", 120' }],
  ["ox.login", { login: "thorben", ip: "203.0.113.9", timestamp: at(17, 8, 10), client: "web" }],
  ["ox.login", { login: "dave", ip: "192.0.2.7", timestamp: at(17, 13, 2), client: null }],
  ["smtp.external.sent", { login: "dave", ip: "192.0.2.7", timestamp: at(17, 13, 5), "smtp.sent": "eve@example.net" }],
  ["ox.logout", { login: "carla", ip: "192.0.2.7", timestamp: at(17, 16, 30) }],
  ["ox.login", { login: "ben", ip: "198.51.100.21", timestamp: at(17, 23, 59), client: "mobile" }],
  ["ox.login", { login: "anna", ip: "192.0.2.7", timestamp: at(18, 0, 0), client: "web" }],
  ["imap.primary.login", { login: "anna", ip: "192.0.2.7", timestamp: at(18, 0, 1), "imap.server": "imap.example.com" }],
  ["ox.login", { login: "mallory", ip: "192.0.2.77", timestamp: at(18, 3, 14), client: "curl\n\u001b[31mfake" }],
  ["smtp.primary.sent", { login: "ben", ip: "198.51.100.21", timestamp: at(18, 10, 0), "smtp.sent": "bob@example.org" }],
  ["ox.logout", { login: "ben", ip: "198.51.100.21", timestamp: at(18, 11, 0) }],
  ["ox.login", { login: "thorben", ip: "192.0.2.7", timestamp: at(19, 9, 0), client: "web" }],
  ["smtp.primary.sent", { login: "thorben", ip: "192.0.2.7", timestamp: at(19, 9, 10), "smtp.sent": "bob@example.org" }],
  ["ox.logout", { login: "thorben", ip: "192.0.2.7", timestamp: at(19, 12, 0) }],
  ["ox.login", { login: "anna", ip: "198.51.100.20", timestamp: at(20, 8, 0), client: "web" }],
  ["ox.login", { login: "erin", ip: "192.0.2.8", timestamp: at(20, 14, 45), client: "web" }],
  ["smtp.external.sent", { login: "erin", ip: "192.0.2.8", timestamp: at(20, 14, 50), "smtp.sent": "bob@example.org" }],
  ["ox.logout", { login: "erin", ip: "192.0.2.8", timestamp: at(20, 18, 0) }],
  ["ox.login", { login: "anna", ip: "192.0.2.7", timestamp: at(21, 7, 30), client: "web" }],
  ["ox.logout", { login: "anna", ip: "192.0.2.7", timestamp: at(21, 8, 30) }],
];

/** Writes a properties file and logs `events` through a real AuditLogService in dedicated mode. */
export async function writeLog(dir: string, props: Record<string, string>, events: ReadonlyArray<readonly [string, Record<string, unknown>]>): Promise<string> {
  const file = join(dir, "slf4j-auditlog.properties");
  writeProperties(file, { enabled: "true", "file.location": "logs/audit.log", ...props });
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: file, watch: false });
  for (const [id, attributes] of events) audit.log(id, attributes);
  await audit.shutdown();
  return file;
}

/** Replaces an archive by its gzip-compressed copy (`audit.log.N` → `audit.log.N.gz`). */
export function gzipArchive(path: string): void {
  writeFileSync(`${path}.gz`, gzipSync(readFileSync(path)));
  unlinkSync(path);
}

/**
 * The fixture in `dir`: `logs/audit.log` and its archives (file.size 420 bytes), the two oldest
 * gzipped; returns the properties file.
 */
export async function buildFixture(dir: string): Promise<string> {
  const properties = await writeLog(dir, { "file.size": "420", "file.count": "20" }, EVENTS);
  const logs = join(dir, "logs");
  const archives = readdirSync(logs)
    .map((name) => /^audit\.log\.(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const n of archives.slice(0, 2)) gzipArchive(join(logs, `audit.log.${n}`));
  rmSync(join(logs, "audit.log.lock"), { force: true });
  return properties;
}
