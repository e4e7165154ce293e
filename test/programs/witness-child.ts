/**
 * A host process for the witness delivery tests: configures an audit service from the properties
 * file in argv[2] (integrity on, a target with integrity=on and a spool), logs argv[3] records
 * `ox.login login=user<argv[4] + i>`, then with argv[5] = "deliver" waits (at most 20 s) until its
 * targets hold nothing, and with "exit" does not wait; prints its target stats as JSON and shuts
 * down (what is not delivered stays in the spool for the next process).
 */
import { createAuditLogService } from "../../src/index.js";

const [propertiesFile, countText, firstText, how] = process.argv.slice(2);
const audit = createAuditLogService();
await audit.configure({ propertiesFile: propertiesFile as string, watch: false });
const first = Number(firstText ?? 0);
for (let i = 0; i < Number(countText); i++) audit.log("ox.login", { login: `user${first + i}`, ip: "192.0.2.7" });
if (how === "deliver") {
  // A predecessor's spooled records are sent too before this returns.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && audit.stats().targets.some((s) => s.buffered > 0)) await audit.flush();
}
process.stdout.write(JSON.stringify(audit.stats().targets) + "\n");
await audit.shutdown();
