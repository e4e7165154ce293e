/**
 * The features together, as an operator runs them: a dedicated file with gzip archives and a
 * hash chain, a JSON file target beside it, then `slf4ts-audit verify` and `query` (real child
 * processes) over what was written.
 */
import test from "ava";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createAuditLogService } from "../src/index.js";
import { captureStatus, P, readLines, tempDir } from "./lib/helpers.js";

const run = promisify(execFile);
const CLI = join(process.cwd(), "dist/src/cli/main.js");

async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test("gzip archives, a hash chain and a JSON target at once: verify passes, query answers exactly, without the chain field", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  writeFileSync(join(dir, "audit.key"), `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  const props = join(dir, "slf4j-auditlog.properties");
  writeFileSync(
    props,
    [
      `${P}enabled=true`,
      `${P}file.location=logs/audit.log`,
      `${P}file.size=2KB`,
      `${P}file.compress=true`,
      `${P}integrity.mode=hmac`,
      `${P}integrity.key=audit.key`,
      `${P}integrity.checkpoint.records=10`,
      `${P}target.json.type=file`,
      `${P}target.json.path=logs/audit.json`,
      "",
    ].join("\n"),
  );
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: props, watch: false });
  const day = Date.UTC(2026, 10, 17);
  for (let i = 0; i < 120; i++) {
    audit.log("ox.login", { login: `user${i % 4}`, ip: i % 10 === 7 ? "192.0.2.7" : "198.51.100.1", timestamp: new Date(day + i * 60_000) });
  }
  await audit.flush();
  await audit.shutdown();

  const names = readdirSync(join(dir, "logs"));
  t.true(names.filter((n) => /^audit\.log\.\d+\.gz$/.test(n)).length >= 3, names.join(" "));
  t.deepEqual(names.filter((n) => /^audit\.log\.\d+$/.test(n) || n.endsWith(".tmp")), []);
  t.is(readLines(join(dir, "logs", "audit.json")).length, 120);

  const verify = await cli(["verify", "--key", join(dir, "audit.key"), "--properties", props, "--json", join(dir, "logs", "audit.log")]);
  t.is(verify.code, 0, verify.stdout + verify.stderr);
  t.is((JSON.parse(verify.stdout) as { intact: boolean }).intact, true);

  const query = await cli(["query", "--properties", props, "--attr", "ip=192.0.2.7", "--format", "csv"]);
  t.is(query.code, 0, query.stderr);
  const rows = query.stdout.trimEnd().split("\r\n");
  t.is(rows[0], "file,line,time,event,login,ip,timestamp");
  t.deepEqual(
    rows.slice(1).map((r) => r.split(",").slice(3).join(",")),
    [7, 17, 27, 37, 47, 57, 67, 77, 87, 97, 107, 117].map((i) => {
      const time = new Date(day + i * 60_000).toISOString().replace(".000", "");
      return `ox.login,user${i % 4},192.0.2.7,${time}`;
    }),
  );
});
