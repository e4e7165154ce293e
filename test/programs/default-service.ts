/**
 * argv: logins. Uses the default AuditLogService without calling configure() (so it configures
 * itself from SLF4TS_AUDIT_PROPERTIES, or stays disabled), logs one `ox.login` record for each
 * login given, and prints the service's stats as JSON on stdout.
 */
import { AuditLogService } from "../../src/index.js";

for (const login of process.argv.slice(2)) AuditLogService.log("ox.login", { login });
console.log(JSON.stringify(AuditLogService.stats()));
