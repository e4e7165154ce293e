/**
 * The syslog standards options of a target (framing, sdId, sequenceId, origin.*, timezone,
 * maxBytes by format) as the configuration checks them: a ConfigError naming key, value, line
 * and what was expected, a warning for an option the target's format does not use.
 */
import test from "ava";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, createAuditLogService } from "../src/index.js";
import { captureStatus, P, tempDir } from "./lib/helpers.js";

async function problemsOf(t: import("ava").ExecutionContext, options: Record<string, string>): Promise<string[]> {
  const dir = tempDir(t);
  const file = join(dir, "audit.properties");
  const body = [`${P}enabled=true`, `${P}target.siem.type=syslog`, `${P}target.siem.host=127.0.0.1`, ...Object.entries(options).map(([k, v]) => `${P}target.siem.${k}=${v}`)];
  writeFileSync(file, body.join("\n") + "\n");
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  const error = await t.throwsAsync(audit.configure({ propertiesFile: file, watch: false }), { instanceOf: ConfigError });
  return error?.problems.map((p) => `line ${p.line ?? "?"}: ${p.key ?? ""} = ${p.value ?? ""}: ${p.expected}`) ?? [];
}

test("a malformed sdId is refused naming key, value, line and the form expected", async (t) => {
  captureStatus(t);
  t.deepEqual(await problemsOf(t, { sdId: "audit" }), [
    `line 4: ${P}target.siem.sdId = audit: expected an SD-ID of the form name@<private enterprise number> (RFC 5424 §6.3.2 and §7.2.2: at most 32 printable US-ASCII characters, none of = ] " or space, the name without @, the number digits and dots without leading zeros), e.g. audit@32473`,
  ]);
  const [spaced] = await problemsOf(t, { sdId: "my audit@64001" });
  t.regex(spaced ?? "", /sdId = my audit@64001: expected an SD-ID .*; it holds a character an SD-NAME cannot$/);
});

test("framing, origin and timezone values are checked; swVersion needs software", async (t) => {
  captureStatus(t);
  t.deepEqual(await problemsOf(t, { framing: "lf" }), [`line 4: ${P}target.siem.framing = lf: expected octet-counting or newline`]);
  t.deepEqual(await problemsOf(t, { "origin.swVersion": "1.0" }), [
    `line 4: ${P}target.siem.origin.swVersion = 1.0: origin.swVersion needs origin.software (RFC 5424 §7.2.4: a version is of a software)`,
  ]);
  t.deepEqual(await problemsOf(t, { "origin.software": "x".repeat(49) }), [`line 4: ${P}target.siem.origin.software = ${"x".repeat(49)}: expected 1 to 48 characters (RFC 5424 §7.2), got 49`]);
  const [zone] = await problemsOf(t, { format: "rfc3164", timezone: "Mars/Olympus" });
  t.regex(zone ?? "", /^line 5: .*target\.siem\.timezone = Mars\/Olympus: expected local \(the process's time zone\), /);
  // maxBytes: the minimum of rfc5424 grows by the meta element (30 bytes).
  t.deepEqual(await problemsOf(t, { sequenceId: "true", maxBytes: "515" }), [`line 5: ${P}target.siem.maxBytes = 515: expected a whole number of bytes from 545 to 1073741824`]);
});

test("options the target's format or protocol does not use are warned about, not refused", async (t) => {
  const status = captureStatus(t);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "target.old.type"]: "syslog",
      [P + "target.old.protocol"]: "udp",
      [P + "target.old.format"]: "rfc3164",
      [P + "target.old.host"]: "127.0.0.1",
      [P + "target.old.framing"]: "newline",
      [P + "target.old.sdId"]: "x@1",
      [P + "target.new.type"]: "syslog",
      [P + "target.new.host"]: "127.0.0.1",
      [P + "target.new.timezone"]: "Europe/Berlin",
    },
    watch: false,
  });
  const warnings = status.filter((e) => e.code === "CONFIG_WARNING").map((e) => e.message);
  t.true(warnings.some((m) => m.includes(`${P}target.old.framing`) && m.includes("framing is for tcp and tls (a UDP datagram is one record); ignored")), warnings.join("\n"));
  t.true(warnings.some((m) => m.includes(`${P}target.old.sdId`) && m.includes("sdId is for format=rfc5424")));
  t.true(warnings.some((m) => m.includes(`${P}target.new.timezone`) && m.includes("timezone is for format=rfc3164")));
});
