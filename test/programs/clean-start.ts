/**
 * argv: propertiesFile, event. One clean start and end: configures the default AuditLogService
 * from the properties file (no watching), logs one record of `event` with no attributes,
 * flushes and shuts down.
 */
import { AuditLogService } from "../../src/index.js";

const [propertiesFile, event] = process.argv.slice(2) as [string, string];
await AuditLogService.configure({ propertiesFile, watch: false });
AuditLogService.log(event, {});
await AuditLogService.flush();
await AuditLogService.shutdown();
