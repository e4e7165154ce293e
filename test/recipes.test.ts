/**
 * docs/recipes.md, run: every recipe's blocks are read from the page (fenced blocks marked
 * `recipe=<name>`), only host names, ports, certificate and output paths are replaced, and the
 * result is run against the receiver where it runs here: a real rsyslog (TLS, mutual TLS, one
 * file per host), a real syslog-ng 3.38 (`syslog()` and `network()`, unpacked by
 * .ci/install-syslog-ng), the project's own GELF receivers for Graylog, and for Elastic the ECS
 * file with Filebeat's configuration parsed and compared with it. The properties always go
 * through the real configuration loader (a properties file), which must report no warning.
 */
import { freeTcpPort } from "./lib/helpers.js";
import test, { type ExecutionContext } from "ava";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { fileURLToPath } from "node:url";
import { Level, type AuditLogger, type StatusEvent } from "../src/index.js";
import { extractBlocks } from "./lib/doc-examples.js";
import { startGelfReceiver } from "./lib/gelf-receiver.js";
import { captureStatus, P, tempDir, waitFor } from "./lib/helpers.js";
import { decodeRsyslogEscapes, startRsyslog } from "./lib/rsyslog.js";
import { testService } from "./lib/service.js";
import { startSyslogNg, syslogNgAvailability } from "./lib/syslog-ng.js";
import { TcpReceiver } from "./lib/tcp-receiver.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PAGE = "docs/recipes.md";
const blocks = extractBlocks(readFileSync(join(root, PAGE), "utf8"), PAGE);

/** The one block of the page marked `recipe=<name>` in language `lang`. */
function recipe(name: string, lang: string): string {
  const found = blocks.filter((b) => b.options.get("recipe") === name && b.lang === lang);
  if (found.length !== 1) throw new Error(`${PAGE}: expected one \`\`\`${lang} recipe=${name} block, found ${found.length}`);
  return found[0]?.text ?? "";
}

/** Replaces every occurrence of each `from`; a `from` the text does not hold is an error (the page changed). */
function fill(text: string, replacements: ReadonlyArray<readonly [from: string, to: string]>): string {
  let out = text;
  for (const [from, to] of replacements) {
    if (!out.includes(from)) throw new Error(`the recipe no longer holds ${JSON.stringify(from)}:\n${text}`);
    out = out.split(from).join(to);
  }
  return out;
}

/** The value of a property of the recipe (without the prefix). */
function property(text: string, key: string): string {
  const m = new RegExp(`^${(P + key).replace(/\./g, "\\.")}=(.*)$`, "m").exec(text);
  if (m === null) throw new Error(`no ${key} in the recipe:\n${text}`);
  return m[1] ?? "";
}

/**
 * Configures a service from `properties` written to a file, as a user would, and checks that the
 * loader reported nothing at WARN or above.
 */
async function configureFrom(t: ExecutionContext, status: StatusEvent[], dir: string, name: string, properties: string): Promise<AuditLogger> {
  const file = join(dir, `${name}.properties`);
  writeFileSync(file, properties);
  const before = status.length;
  const audit = testService(t);
  await audit.configure({ propertiesFile: file, watch: false });
  const warnings = status.slice(before).filter((e) => e.level >= Level.WARN);
  t.deepEqual(warnings.map((e) => `${e.code}: ${e.message}`), [], `${name}: the recipe's properties load without a warning`);
  return audit;
}

/** 14 records, each with a line break in a value (the records of issue 13's report). */
function logFourteen(audit: AuditLogger, run: string): void {
  for (let seq = 0; seq < 14; seq++) audit.log("ox.login", { login: `user${seq}`, seq, run, note: `line one of ${seq}\nline two of ${seq}` });
}

const seqOf = (s: string): number => Number(/ seq="([0-9]+)"/.exec(s)?.[1] ?? NaN);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

// ---------------------------------------------------------------- rsyslog over TLS

/** The rsyslog recipe with the test's ports, certificates and output folder. */
async function rsyslogTls(t: ExecutionContext, mutual: boolean): Promise<{ port: number; remote: string; dir: string; certs: Awaited<ReturnType<typeof import("./lib/certs.js").generateTestCerts>> }> {
  const dir = tempDir(t);
  const { generateTestCerts } = await import("./lib/certs.js");
  const certs = await generateTestCerts(join(dir, "certs"));
  // Two levels deeper than needed: a recipe that let "../../x" through would still write inside the test's folder.
  const remote = join(dir, "x", "y", "remote");
  const port = await freeTcpPort();
  let config = recipe("rsyslog-tls", "rsyslog");
  if (mutual) {
    const anon = /^input\(type="imtcp".*\)\n/m.exec(config)?.[0];
    if (anon === undefined) throw new Error(`${PAGE}: the rsyslog TLS recipe has no one-line imtcp input:\n${config}`);
    config = config.replace(anon, recipe("rsyslog-mtls", "rsyslog"));
  }
  config = fill(config, [
    ['port="6514"', `port="${port}" address="127.0.0.1"`],
    ["/etc/rsyslog.d/tls/ca.pem", certs.caCert],
    ["/etc/rsyslog.d/tls/server.pem", certs.serverCert],
    ["/etc/rsyslog.d/tls/server.key", certs.serverKey],
    ["/var/log/remote/", `${remote}/`],
  ]);
  t.false(/\/etc\/|\/var\//.test(config), config);
  // The harness needs one input of its own (UDP here); the recipe comes on top, unchanged otherwise.
  const rs = await startRsyslog({ udp: true, certs, extraConfig: config });
  t.teardown(() => rs.dispose());
  return { port, remote, dir, certs };
}

function senderTls(text: string, port: number, dir: string, certs: { caCert: string }): string {
  return (
    fill(text, [
      ["logs.example.org", "127.0.0.1"],
      ["port=6514", `port=${port}`],
      ["/etc/app/tls/ca.pem", certs.caCert],
      ["/var/log/app/audit.log", join(dir, "app", "audit.log")],
      ["/var/spool/app/central", join(dir, "spool")],
    ]) +
    // The test's server certificate is for localhost, and the recipe connects by address here.
    `${P}target.central.tls.servername=localhost\n`
  );
}

/** Every file named audit.log under `dir` but the sender's own (`app/audit.log`), as paths relative to it. */
function auditFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name === "audit.log") out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.filter((f) => f !== join("app", "audit.log")).sort();
}

test.serial("rsyslog over TLS (server authentication), as docs/recipes.md has it: 14 records with line breaks arrive as 14, in the sending host's own file; a forged HOSTNAME cannot leave the folder", async (t) => {
  const status = captureStatus(t);
  const { port, remote, dir, certs } = await rsyslogTls(t, false);
  const audit = await configureFrom(t, status, dir, "sender", senderTls(recipe("rsyslog-tls", "properties"), port, dir, certs));
  logFourteen(audit, "tls");
  t.true(await waitFor(() => audit.stats().targets[0]?.sent === 14, 15_000), JSON.stringify(audit.stats().targets));
  const own = join(remote, hostname(), "audit.log");
  await waitFor(() => existsSync(own), 10_000);
  await waitFor(() => readFileSync(own, "utf8").split("\n").length > 14, 10_000);
  const lines = readFileSync(own, "utf8").trimEnd().split("\n");
  t.deepEqual(lines.map(seqOf), range(14));
  t.true(decodeRsyslogEscapes(lines[3] ?? "").includes('note="line one of 3\nline two of 3"'), lines[3]);

  // The attacker: any client may send over server-authenticated TLS, with any HOSTNAME.
  for (const forged of ["..", "../../escaped", "/tmp/abs"]) {
    await new Promise<void>((resolve, reject) => {
      const body = Buffer.from(`<110>1 2026-12-04T12:00:00.000Z ${forged} slf4ts 1 ox.login [audit@32473 forged="${forged}"] forged`);
      const s = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(certs.caCert), servername: "localhost" }, () => {
        s.end(Buffer.concat([Buffer.from(`${body.length} `), body]), () => resolve());
      });
      s.on("error", reject);
    });
  }
  t.true(await waitFor(() => auditFiles(dir).length >= 2 && auditFiles(dir).every((f) => readFileSync(join(dir, f), "utf8").length > 0), 10_000));
  await waitFor(() => auditFiles(dir).map((f) => readFileSync(join(dir, f), "utf8")).join("").split("forged=").length - 1 === 3, 10_000);
  const files = auditFiles(dir);
  const all = files.map((f) => readFileSync(join(dir, f), "utf8")).join("");
  t.is(all.split("forged=").length - 1, 3, `every forged record was stored: ${files.join(", ")}`);
  // Every file is remote/<one folder>/audit.log, and the one for this host holds only its records.
  for (const f of files) t.regex(f, /^x\/y\/remote\/[^/]+\/audit\.log$/, `written outside the per-host folders: ${f}`);
  t.deepEqual(readFileSync(own, "utf8").trimEnd().split("\n").map(seqOf), range(14));
  t.log(`files: ${files.join(", ")}`);
});

test.serial("rsyslog over mutual TLS, as docs/recipes.md has it: the client with its certificate delivers; one without a certificate delivers nothing and counts nothing as sent", async (t) => {
  const status = captureStatus(t);
  const { port, remote, dir, certs } = await rsyslogTls(t, true);
  const mtls = fill(recipe("rsyslog-mtls", "properties"), [
    ["/etc/app/tls/audit-client.pem", certs.clientCert],
    ["/etc/app/tls/audit-client.key", certs.clientKey],
  ]);
  const base = recipe("rsyslog-tls", "properties");
  const audit = await configureFrom(t, status, dir, "sender", senderTls(base, port, dir, certs) + mtls);
  logFourteen(audit, "mtls");
  t.true(await waitFor(() => audit.stats().targets[0]?.sent === 14, 15_000), JSON.stringify(audit.stats().targets));
  const own = join(remote, hostname(), "audit.log");
  await waitFor(() => existsSync(own) && readFileSync(own, "utf8").split("\n").length > 14, 10_000);
  t.deepEqual(readFileSync(own, "utf8").trimEnd().split("\n").map(seqOf), range(14));

  // The same properties without the client certificate (the server-authentication recipe).
  const otherDir = join(dir, "other");
  mkdirSync(otherDir);
  const before = status.length;
  const intruder = await configureFrom(t, status, otherDir, "intruder", senderTls(base, port, otherDir, certs));
  intruder.log("ox.login", { login: "mallory" });
  t.true(await waitFor(() => status.slice(before).some((e) => e.code === "TARGET_FAILED"), 15_000), JSON.stringify(status.slice(before)));
  await new Promise((r) => setTimeout(r, 2500)); // past the 2 s a connection must stay up to count
  t.like(intruder.stats().targets[0], { sent: 0 });
  t.false(readFileSync(own, "utf8").includes("mallory"));
  t.deepEqual(auditFiles(remote), [join(hostname(), "audit.log")]);
});

test.serial("rsyslog over RELP: docs/targets.md's imrelp recipe with this page's templates and ruleset writes one file per host; every record acknowledged and stored in order", async (t) => {
  const status = captureStatus(t);
  const dir = tempDir(t);
  const relpPage = readFileSync(join(root, "docs/targets.md"), "utf8");
  const relp = /### rsyslog imrelp recipe[\s\S]*?```\n([\s\S]*?)```/.exec(relpPage)?.[1];
  if (relp === undefined) return t.fail("docs/targets.md has no rsyslog imrelp recipe block");
  const tls = recipe("rsyslog-tls", "rsyslog");
  const perHost = tls.slice(tls.indexOf("template("));
  t.regex(perHost, /^template\([\s\S]*ruleset\(name="audit"\)/);
  const kept = relp.split("\n").filter((l) => !/^(template|ruleset)\(/.test(l));
  t.is(kept.length, relp.split("\n").length - 2, "the RELP recipe has one template and one ruleset line");
  const { generateTestCerts } = await import("./lib/certs.js");
  const certs = await generateTestCerts(join(dir, "certs"));
  const remote = join(dir, "remote");
  const port = await freeTcpPort();
  const config = fill(kept.join("\n") + perHost, [
    ['port="2514"', `port="${port}" address="127.0.0.1"`],
    ["/etc/rsyslog.d/tls/ca.pem", certs.caCert],
    ["/etc/rsyslog.d/tls/server.pem", certs.serverCert],
    ["/etc/rsyslog.d/tls/server.key", certs.serverKey],
    ["/var/log/remote/", `${remote}/`],
  ]);
  t.false(/\/etc\/|\/var\//.test(config), config);
  const rs = await startRsyslog({ udp: true, certs, extraConfig: config });
  t.teardown(() => rs.dispose());
  const relpProps = /```properties\n(com\.openexchange\.log\.audit\.slf4j\.target\.central\.type=syslog\n[\s\S]*?protocol=relp[\s\S]*?)```/.exec(relpPage)?.[1];
  if (relpProps === undefined) return t.fail("docs/targets.md has no RELP properties block");
  const props =
    `${P}enabled=true\n` +
    fill(relpProps, [
      ["logs.example.org", "127.0.0.1"],
      ["port=2514", `port=${port}`],
      ["/etc/app/tls/ca.pem", certs.caCert],
      ["/etc/app/tls/audit-client.pem", certs.clientCert],
      ["/etc/app/tls/audit-client.key", certs.clientKey],
      ["/var/spool/app/central", join(dir, "spool")],
    ]) +
    `${P}target.central.tls.servername=localhost\n`;
  const audit = await configureFrom(t, status, dir, "sender", props);
  logFourteen(audit, "relp");
  t.true(await waitFor(() => audit.stats().targets[0]?.sent === 14, 15_000), JSON.stringify(audit.stats().targets));
  // Acknowledged means written here (the recipe's Direct queue): the file is complete now.
  const own = join(remote, hostname(), "audit.log");
  t.deepEqual(readFileSync(own, "utf8").trimEnd().split("\n").map(seqOf), range(14));
  t.deepEqual(auditFiles(remote), [join(hostname(), "audit.log")]);
});

// ---------------------------------------------------------------- syslog-ng

type Stored = { SOURCE?: string; MSGID?: string; HOST?: string; MESSAGE?: string; _SDATA?: Record<string, Record<string, string>> };

/** The syslog-ng recipe running with the test's ports, certificates and output file. */
async function recipeSyslogNg(t: ExecutionContext) {
  const found = syslogNgAvailability();
  if (!found.available) throw new Error(`syslog-ng is needed for this test: ${found.reason}`);
  const dir = tempDir(t);
  const out = join(dir, "audit.json");
  const { generateTestCerts } = await import("./lib/certs.js");
  const certs = await generateTestCerts(join(dir, "certs"));
  const conf = recipe("syslog-ng", "syslog-ng");
  mkdirSync(join(dir, "ng"), { recursive: true });
  const ng = await startSyslogNg({
    ports: 3,
    dir: join(dir, "ng"),
    config: ([syslogPort, networkPort, tlsPort]) => {
      const config = fill(conf, [
        ["port(601)", `port(${syslogPort})`],
        ["port(514)", `port(${networkPort})`],
        ["port(6514)", `port(${tlsPort})`],
        ['ip("0.0.0.0")', 'ip("127.0.0.1")'],
        ["/etc/syslog-ng/tls/server.key", certs.serverKey],
        ["/etc/syslog-ng/tls/server.pem", certs.serverCert],
        ["/etc/syslog-ng/tls/ca.pem", certs.caCert],
        ["/var/log/remote/audit.json", out],
      ]);
      if (/\/etc\/|\/var\/|0\.0\.0\.0/.test(config)) throw new Error(`left unreplaced:\n${config}`);
      return config;
    },
  });
  t.teardown(() => ng.dispose());
  const [syslogPort = 0, networkPort = 0, tlsPort = 0] = ng.ports;
  t.log(found.version);
  const stored = (): Stored[] => (existsSync(out) ? readFileSync(out, "utf8").trimEnd().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Stored) : []);
  return {
    dir,
    out,
    certs,
    ng,
    syslogPort,
    networkPort,
    tlsPort,
    stored,
    ofRun: (run: string): Stored[] => stored().filter((r) => r._SDATA?.["audit@32473"]?.["run"] === run),
  };
}

/** Configures the recipe's properties for `port` and 127.0.0.1 (plus `more` replacements) and returns the service. */
async function recipeSender(t: ExecutionContext, status: StatusEvent[], dir: string, name: string, properties: string, port: number, more: ReadonlyArray<readonly [string, string]> = []): Promise<AuditLogger> {
  mkdirSync(join(dir, name), { recursive: true });
  const text = fill(properties, [
    ["logs.example.org", "127.0.0.1"],
    [`port=${property(properties, "target.central.port")}`, `port=${port}`],
    ["/var/log/app/audit.log", join(dir, name, "audit.log")],
    ...more,
  ]);
  return configureFrom(t, status, join(dir, name), name, text);
}

test.serial("syslog-ng 3.38, as docs/recipes.md has it: 14 records with line breaks arrive as 14 at syslog() (octet-counting) and at network() (framing=newline); octet-counted into network() they arrive broken", async (t) => {
  t.timeout(90_000);
  const status = captureStatus(t);
  const ng = await recipeSyslogNg(t);
  const send = async (name: string, properties: string, port: number, run: string): Promise<void> => {
    const audit = await recipeSender(t, status, ng.dir, name, properties, port);
    logFourteen(audit, run);
    await audit.shutdown(); // sends what waits and closes the connection
  };

  // syslog() with the octet-counting recipe.
  await send("syslog", recipe("syslog-ng-syslog", "properties"), ng.syslogPort, "octet");
  t.true(await waitFor(() => ng.ofRun("octet").length >= 14, 10_000), readFileSync(ng.ng.stderrFile, "utf8"));
  const octet = ng.ofRun("octet");
  t.is(octet.length, 14);
  t.deepEqual(octet.map((r) => Number(r._SDATA?.["audit@32473"]?.["seq"])), range(14));
  t.true(octet.every((r) => r.SOURCE === "s_audit_syslog" && r.MSGID === "ox.login" && r.HOST === hostname()));
  t.is(octet[5]?._SDATA?.["audit@32473"]?.["note"], "line one of 5\nline two of 5");

  // network() with the newline recipe.
  await send("network", recipe("syslog-ng-network", "properties"), ng.networkPort, "newline");
  t.true(await waitFor(() => ng.ofRun("newline").length >= 14, 10_000), readFileSync(ng.ng.stderrFile, "utf8"));
  const newline = ng.ofRun("newline");
  t.is(newline.length, 14);
  t.deepEqual(newline.map((r) => Number(r._SDATA?.["audit@32473"]?.["seq"])), range(14));
  t.true(newline.every((r) => r.SOURCE === "s_audit_network" && r.MSGID === "ox.login"));
  // The line break is written \n (backslash, n) on the wire and kept so by syslog-ng.
  t.is(newline[5]?._SDATA?.["audit@32473"]?.["note"], "line one of 5\\nline two of 5");

  // Why newline: the octet-counting recipe pointed at network() breaks the records.
  const before = ng.stored().length;
  await send("broken", recipe("syslog-ng-syslog", "properties"), ng.networkPort, "broken");
  await waitFor(() => readFileSync(ng.out, "utf8").includes("line two of 13"), 10_000);
  await new Promise((r) => setTimeout(r, 500));
  const after = ng.stored().slice(before);
  const intact = after.filter((r) => r.MSGID === "ox.login" && r._SDATA?.["audit@32473"]?.["run"] === "broken" && r._SDATA["audit@32473"]["note"]?.includes("line two"));
  t.log(`octet-counting into network(): ${after.length} stored, ${intact.length} intact of 14`);
  t.is(intact.length, 0, "no record arrives whole");
  t.not(after.length, 14);
  t.true(after.some((r) => r.MSGID !== "ox.login"), "parts of records are stored as records of their own");
});

test.serial("syslog-ng 3.38 over mutual TLS, as docs/recipes.md has it: 14 records with line breaks arrive as 14 at the TLS syslog() source; a client without a certificate delivers nothing and counts nothing as sent", async (t) => {
  t.timeout(90_000);
  const status = captureStatus(t);
  const ng = await recipeSyslogNg(t);
  const props = recipe("syslog-ng-tls", "properties");
  const certFiles = [
    ["/etc/app/tls/ca.pem", ng.certs.caCert],
    ["/etc/app/tls/audit-client.pem", ng.certs.clientCert],
    ["/etc/app/tls/audit-client.key", ng.certs.clientKey],
  ] as const;
  // The test's server certificate is for localhost, and the recipe connects by address here.
  const audit = await recipeSender(t, status, ng.dir, "tls", props + `${P}target.central.tls.servername=localhost\n`, ng.tlsPort, certFiles);
  logFourteen(audit, "tls");
  t.true(await waitFor(() => audit.stats().targets[0]?.sent === 14, 15_000), JSON.stringify(audit.stats().targets));
  t.true(await waitFor(() => ng.ofRun("tls").length >= 14, 10_000), readFileSync(ng.ng.stderrFile, "utf8"));
  const tls = ng.ofRun("tls");
  t.deepEqual(tls.map((r) => Number(r._SDATA?.["audit@32473"]?.["seq"])), range(14));
  t.true(tls.every((r) => r.SOURCE === "s_audit_tls" && r.MSGID === "ox.login"));
  t.is(tls[7]?._SDATA?.["audit@32473"]?.["note"], "line one of 7\nline two of 7");

  // The same properties without the client certificate and key.
  const withoutCert = props.split("\n").filter((l) => !/\.tls\.(cert|key)=/.test(l)).join("\n");
  const before = status.length;
  const intruder = await recipeSender(t, status, ng.dir, "intruder", withoutCert + `${P}target.central.tls.servername=localhost\n`, ng.tlsPort, [certFiles[0]]);
  intruder.log("ox.login", { login: "mallory", run: "intruder" });
  t.true(await waitFor(() => status.slice(before).some((e) => e.code === "TARGET_FAILED"), 15_000), JSON.stringify(status.slice(before)));
  await new Promise((r) => setTimeout(r, 2500)); // past the 2 s a connection must stay up to count
  t.like(intruder.stats().targets[0], { sent: 0 });
  t.deepEqual(ng.ofRun("intruder"), []);
  t.regex(readFileSync(ng.ng.stderrFile, "utf8"), /peer did not return a certificate/);
});

// ---------------------------------------------------------------- Graylog

test("Graylog over GELF UDP, as docs/recipes.md has it: the properties load and send gzip GELF with the template and the static field; the input's port is the target's", async (t) => {
  const status = captureStatus(t);
  const dir = tempDir(t);
  const gelf = await startGelfReceiver();
  t.teardown(() => gelf.close());
  const props = recipe("graylog-udp", "properties");
  const audit = await configureFrom(t, status, dir, "graylog-udp", fill(props, [
    ["graylog.example.org", "127.0.0.1"],
    ["port=12201", `port=${gelf.port}`],
    ["/var/log/app/audit.log", join(dir, "audit.log")],
  ]));
  audit.log("ox.login", { login: "alice", ip: "192.0.2.1", note: "a\nb" });
  const [message] = await gelf.waitForMessages(1);
  t.is(message?.["short_message"], "ox.login alice from 192.0.2.1");
  t.like(message, { _event: "ox.login", _login: "alice", _ip: "192.0.2.1", _note: "a\nb", _environment: "prod" });
  t.is(gelf.received[0]?.compression, "gzip");
  const input = JSON.parse(recipe("graylog-udp", "json")) as { type: string; configuration: Record<string, unknown> };
  t.is(input.type, "org.graylog2.inputs.gelf.udp.GELFUDPInput");
  t.is(input.configuration["port"], Number(property(props, "target.graylog.port")));
});

test("Graylog over GELF TCP, as docs/recipes.md has it: the properties load and send NUL-framed GELF; the input keeps the NUL delimiter and the target's port", async (t) => {
  const status = captureStatus(t);
  const dir = tempDir(t);
  const r = await new TcpReceiver().start();
  t.teardown(() => r.stop());
  const props = recipe("graylog-tcp", "properties");
  const audit = await configureFrom(t, status, dir, "graylog-tcp", fill(props, [
    ["graylog.example.org", "127.0.0.1"],
    ["port=12201", `port=${r.port}`],
    ["/var/log/app/audit.log", join(dir, "audit.log")],
    ["/var/spool/app/graylog", join(dir, "spool")],
  ]));
  audit.log("ox.login", { login: "alice", note: "a\nb" });
  audit.log("ox.logout", { login: "alice" });
  await audit.flush();
  const frames = (): string[] => Buffer.concat(r.bytes()).toString("utf8").split("\0").slice(0, -1);
  t.true(await waitFor(() => frames().length === 2, 10_000));
  const [login, logout] = frames().map((f) => JSON.parse(f) as Record<string, unknown>);
  t.like(login, { short_message: "ox.login", _login: "alice", _note: "a\nb", _environment: "prod" });
  t.like(logout, { short_message: "ox.logout" });
  const input = JSON.parse(recipe("graylog-tcp", "json")) as { type: string; configuration: Record<string, unknown> };
  t.is(input.type, "org.graylog2.inputs.gelf.tcp.GELFTCPInput");
  t.is(input.configuration["use_null_delimiter"], true);
  t.is(input.configuration["port"], Number(property(props, "target.graylog.port")));
});

// ---------------------------------------------------------------- Elastic

interface Mapping {
  type?: string;
  properties?: Record<string, Mapping>;
  fields?: Record<string, Mapping>;
}

test("Elastic, as docs/recipes.md has it: the properties write ECS lines; Filebeat's YAML reads that file into the data stream the records name, and etc/ecs-template.json maps every field they hold", async (t) => {
  const status = captureStatus(t);
  const dir = tempDir(t);
  const props = recipe("elastic", "properties");
  const path = property(props, "target.elastic.path");
  const ecsFile = join(dir, "audit-ecs.json");
  const audit = await configureFrom(t, status, dir, "elastic", fill(props, [
    [path, ecsFile],
    ["/var/log/app/audit.log", join(dir, "audit.log")],
  ]));
  audit.log("ox.login", { login: "alice", ip: "192.0.2.1" });
  audit.log("ox.login.failed", { login: "mallory", ip: "198.51.100.7", "client.name": "x" });
  await audit.flush();
  t.true(await waitFor(() => existsSync(ecsFile) && readFileSync(ecsFile, "utf8").trimEnd().split("\n").length === 2));
  const docs = readFileSync(ecsFile, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
  t.like(docs[1]?.["event"], { action: "ox.login.failed", category: ["authentication"], type: ["start"], outcome: "failure" });
  t.like(docs[0]?.["service"], { name: "ox" });

  // Filebeat's configuration, parsed by a YAML parser (Debian's python3-yaml).
  const parsed = spawnSync("python3", ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"], { input: recipe("elastic", "yaml"), encoding: "utf8" });
  t.is(parsed.status, 0, parsed.stderr);
  const beat = JSON.parse(parsed.stdout) as {
    "filebeat.inputs": Array<{ type: string; paths: string[]; parsers: Array<{ ndjson?: { target: string } }> }>;
    "output.elasticsearch": { index: string };
    "setup.template.enabled": boolean;
  };
  const input = beat["filebeat.inputs"][0];
  t.is(input?.type, "filestream");
  t.deepEqual(input?.paths, [path], "Filebeat reads the file the target writes");
  t.is(input?.parsers[0]?.ndjson?.target, "", "the documents' fields at the root");
  const ds = docs[0]?.["data_stream"] as { type: string; dataset: string; namespace: string };
  t.true(docs.every((d) => JSON.stringify(d["data_stream"]) === JSON.stringify(ds)));
  t.is(beat["output.elasticsearch"].index, `${ds.type}-${ds.dataset}-${ds.namespace}`);
  t.false(beat["setup.template.enabled"]);

  // The template covers that data stream and maps every field the records hold.
  const template = JSON.parse(readFileSync(join(root, "etc/ecs-template.json"), "utf8")) as {
    index_patterns: string[];
    template: { mappings: { properties: Record<string, Mapping>; dynamic_templates: Array<Record<string, { path_match: string; mapping: Mapping }>> } };
  };
  const glob = (g: string, s: string): boolean => new RegExp(`^${g.split("*").map((p) => p.replace(/[.\\^$+?()[\]{}|]/g, "\\$&")).join(".*")}$`, "s").test(s);
  t.true(template.index_patterns.some((p) => glob(p, beat["output.elasticsearch"].index)));
  const mapped = new Set<string>();
  const walk = (props: Record<string, Mapping>, prefix: string): void => {
    for (const [name, m] of Object.entries(props)) {
      mapped.add(prefix + name);
      if (m.properties !== undefined) walk(m.properties, `${prefix}${name}.`);
    }
  };
  walk(template.template.mappings.properties, "");
  const dynamic = template.template.mappings.dynamic_templates.flatMap((e) => Object.values(e)).map((d) => d.path_match);
  const leaves: string[] = [];
  const leaf = (v: unknown, prefix: string): void => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) leaf(x, prefix === "" ? k : `${prefix}.${k}`);
    else leaves.push(prefix);
  };
  for (const d of docs) leaf(d, "");
  const unmapped = leaves.filter((p) => !mapped.has(p) && !dynamic.some((g) => glob(g, p)));
  t.deepEqual(unmapped, []);
  t.true(leaves.includes("data_stream.dataset") && leaves.some((p) => p.startsWith("slf4ts.audit.attributes.")), leaves.join(", "));
});
