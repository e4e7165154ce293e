/**
 * A long-running host that handles SIGHUP itself (to reload, say) and goes on: batched
 * durability (maxDelayMs in the properties file argv[2]); it logs before and after the signal,
 * and prints, as one JSON line, how many lines the file had right after the first stretch of
 * log() calls, right before and after the second (after the signal), and after flush().
 */
import { readFileSync } from "node:fs";
import { AuditLogService } from "../../src/index.js";

const [propertiesFile, file] = process.argv.slice(2) as [string, string];
const lines = (): number => readFileSync(file, "utf8").split("\n").filter((l) => l !== "").length;
let reloads = 0;
process.on("SIGHUP", () => reloads++);
await AuditLogService.configure({ propertiesFile });
for (let i = 0; i < 10; i++) AuditLogService.log("signal.test", { seq: i });
const before = lines();
process.kill(process.pid, "SIGHUP");
await new Promise((resolve) => setTimeout(resolve, 50));
const mid = lines();
for (let i = 10; i < 20; i++) AuditLogService.log("signal.test", { seq: i });
const after = lines();
await AuditLogService.flush();
console.log(JSON.stringify({ reloads, before, mid, after, flushed: lines() }));
await AuditLogService.shutdown();
