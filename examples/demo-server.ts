/**
 * `npm start`: a small simulated mail/groupware server that emits Open-Xchange-style audit
 * events through a properties file in dedicated mode, and shows each line as it lands.
 * Edit the properties file it names while it runs; Ctrl-C stops it.
 *
 * Environment: DEMO_DIR (default ./demo-run), DEMO_SECONDS (stop after that many seconds),
 * DEMO_RATE (events per second, default 2).
 */
import { copyFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import log4js from "log4js";
import { AuditLogService, LoggerFactory, MDC } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const demoDir = resolve(process.env["DEMO_DIR"] ?? "demo-run");
const propertiesFile = join(demoDir, "slf4j-auditlog.properties");
const template = resolve(here, "../../examples/demo-slf4j-auditlog.properties");
const seconds = Number(process.env["DEMO_SECONDS"] ?? "0");
const rate = Math.max(0.2, Number(process.env["DEMO_RATE"] ?? "2"));

log4js.configure({
  appenders: { out: { type: "stdout", layout: { type: "pattern", pattern: "%[%-5p%] %c - %m" } } },
  categories: { default: { appenders: ["out"], level: "info" } },
});
const log = LoggerFactory.getLogger("demo.server");

mkdirSync(demoDir, { recursive: true });
if (!existsSync(propertiesFile)) {
  copyFileSync(template, propertiesFile);
}

try {
  await AuditLogService.configure({ propertiesFile });
} catch (error) {
  log.error("the demo configuration is invalid; fix it and save, the demo keeps watching:\n{}", (error as Error).message);
}

console.log(`Audit configuration: ${propertiesFile}`);
console.log(`Audit lines go to:   ${AuditLogService.stats().file ?? "(standard mode: the log4js output below)"}`);
console.log("Edit the configuration while this runs; a save takes effect within a few seconds (write it by rename for safety). Ctrl-C stops.\n");

// Follow the active audit file and echo new lines, across rotations and location changes.
let followed: string | undefined;
let offset = 0;
function follow(): void {
  const file = AuditLogService.stats().file;
  if (file !== followed) {
    followed = file;
    offset = file !== undefined && existsSync(file) ? statSync(file).size : 0;
  }
  if (file === undefined || !existsSync(file)) return;
  const size = statSync(file).size;
  if (size < offset) offset = 0; // rotated
  if (size === offset) return;
  const fd = openSync(file, "r");
  const buffer = Buffer.alloc(size - offset);
  readSync(fd, buffer, 0, buffer.length, offset);
  closeSync(fd);
  offset = size;
  for (const line of buffer.toString("utf8").split("\n")) {
    if (line !== "") console.log(`audit> ${line}`);
  }
}

const users = ["thorben", "alissa", "marcus", "anne", "jo"];
const ips = ["::1", "192.0.2.17", "2001:db8::5", "198.51.100.23"];
const clients = ["open-xchange-appsuite", "com.openexchange.mobile.sync", "USM-EAS"];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");

function simulateRequest(): void {
  const login = pick(users);
  const ip = pick(ips);
  const session = hex(32);
  MDC.run({ sessionId: session, user: login }, () => {
    const base = { login, ip, timestamp: new Date() };
    switch (Math.floor(Math.random() * 6)) {
      case 0:
        AuditLogService.log("ox.login", { ...base, client: pick(clients), session });
        log.info("user {} logged in from {}", login, ip);
        break;
      case 1:
        AuditLogService.log("ox.logout", base);
        break;
      case 2:
        AuditLogService.log("imap.primary.login", { ...base, "imap.login": `${login}@example.com`, "imap.server": "imap.example.com", "imap.port": 993 });
        break;
      case 3:
        AuditLogService.log("smtp.primary.login", { ...base, "smtp.login": `${login}@example.com`, "smtp.server": "mail.example.com", "smtp.port": 587 });
        break;
      case 4:
        AuditLogService.log("smtp.primary.sent", {
          ...base,
          "smtp.login": `${login}@example.com`,
          "smtp.server": "mail.example.com",
          "smtp.port": 587,
          "smtp.sent": `${pick(users)}@example.org`,
        });
        break;
      default:
        // A hostile value: the record stays one line and reads back exactly.
        AuditLogService.log("pop3.external.login", { ...base, "pop3.login": "me@gmx.de\nox.login|login=admin", "pop3.server": "pop.gmx.net", "pop3.port": 995 });
        break;
    }
  });
  follow();
}

const timer = setInterval(simulateRequest, 1000 / rate);
const stop = async (): Promise<void> => {
  clearInterval(timer);
  follow();
  await AuditLogService.shutdown();
  const stats = AuditLogService.stats();
  console.log(`\nStopped. ${stats.written} audit records written, ${stats.rotations} rotations, ${stats.dropped} dropped, ${stats.errors} write errors.`);
  await new Promise<void>((done) => log4js.shutdown(() => done()));
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
if (seconds > 0) setTimeout(() => void stop(), seconds * 1000);
