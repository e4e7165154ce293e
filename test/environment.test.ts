import test from "ava";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { P, readLines, tempDir } from "./lib/helpers.js";

const program = fileURLToPath(new URL("./programs/default-service.js", import.meta.url));

test("without configure(), the default service reads the file named by SLF4TS_AUDIT_PROPERTIES", (t) => {
  const dir = tempDir(t);
  const props = join(dir, "env.properties");
  writeFileSync(props, `${P}enabled=true\n${P}file.location=audit.log\n`);
  const result = spawnSync(process.execPath, [program, "thorben"], {
    env: { ...process.env, SLF4TS_AUDIT_PROPERTIES: props },
    encoding: "utf8",
  });
  t.is(result.status, 0, result.stderr);
  t.deepEqual(readLines(join(dir, "audit.log")), ["ox.login, login=thorben"]);
  t.like(JSON.parse(result.stdout), { mode: "dedicated", written: 1 });
});

test("without configure() and without the variable, the default service is disabled", (t) => {
  const env = { ...process.env };
  delete env["SLF4TS_AUDIT_PROPERTIES"];
  const result = spawnSync(process.execPath, [program, "thorben"], { env, encoding: "utf8" });
  t.is(result.status, 0, result.stderr);
  t.like(JSON.parse(result.stdout), { mode: "disabled", written: 0, logged: 0 });
  t.is(result.stderr, "");
});

test("an invalid file named by the variable is reported on stderr and the service stays disabled", (t) => {
  const dir = tempDir(t);
  const props = join(dir, "env.properties");
  writeFileSync(props, `${P}enabled=true\n${P}file.count=many\n`);
  const result = spawnSync(process.execPath, [program, "thorben"], {
    env: { ...process.env, SLF4TS_AUDIT_PROPERTIES: props },
    encoding: "utf8",
  });
  t.is(result.status, 0);
  t.like(JSON.parse(result.stdout), { mode: "disabled" });
  t.is(
    result.stderr,
    `SLF4TS ERROR [CONFIG_INVALID] Invalid audit configuration in ${props} (1 problem):\n  line 2: ${P}file.count = "many": expected a whole number of archives from 1 to 10000\nThe last good configuration stays in force.\n`,
  );
});

test("standard mode whose records the host's logging would hide says so once on stderr", (t) => {
  const dir = tempDir(t);
  const props = join(dir, "env.properties");
  writeFileSync(props, `${P}enabled=true\n`);
  const result = spawnSync(process.execPath, [program, "a", "b"], { env: { ...process.env, SLF4TS_AUDIT_PROPERTIES: props }, encoding: "utf8" });
  t.is(result.status, 0, result.stderr);
  t.like(JSON.parse(result.stdout), { mode: "standard", levelDisabled: 2, written: 0 });
  t.is(
    result.stderr,
    'SLF4TS WARN [LEVEL_DISABLED] audit records are not written: the host\'s logging (binding "log4js") has level INFO disabled for logger com.openexchange.log.audit.AuditLogService; configure it (for log4js: a category "com.openexchange.log.audit.AuditLogService" with level info or lower) or set com.openexchange.log.audit.slf4j.file.location\n',
  );
});

