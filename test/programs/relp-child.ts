/**
 * A host process for RELP target tests: configures an audit service from the properties file in
 * argv[2], logs argv[3] records `ox.login seq=<argv[4] + i>`, then either (argv[5] = "hold")
 * prints "logged" and waits to be killed, or flushes, prints its target stats as JSON and shuts down.
 */
import { createAuditLogService } from "../../src/index.js";

const [propertiesFile, countText, firstText, how] = process.argv.slice(2);
const audit = createAuditLogService();
await audit.configure({ propertiesFile: propertiesFile as string, watch: false });
const first = Number(firstText ?? 0);
for (let i = 0; i < Number(countText); i++) audit.log("ox.login", { seq: first + i });
if (how === "hold") {
  process.stdout.write("logged\n");
  setInterval(() => undefined, 1000);
} else {
  // The spool's own records (a crashed predecessor's) are sent too before this returns.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && audit.stats().targets.some((s) => s.buffered > 0)) await audit.flush();
  process.stdout.write(JSON.stringify(audit.stats().targets) + "\n");
  await audit.shutdown();
}
