/**
 * The syslog standards options against a real rsyslog (test/lib/rsyslog.ts): newline framing
 * (RFC 6587 §3.4.2) to inputs that split lines only, RFC 5424 structured data as rsyslog's
 * mmpstrucdata parses it (sdId, [meta sequenceId], [origin], a cut value), and RFC 3164 time
 * in a configured zone as a receiver in that zone reads it.
 */
import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startRsyslog, type RsyslogRecord } from "./lib/rsyslog.js";
import { captureStatus, P, tempDir, waitFor } from "./lib/helpers.js";
import { testService } from "./lib/service.js";

/** Properties of one target. */
function target(name: string, options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [`${P}target.${name}.${k}`, v]));
}

const q = (s: string): string => JSON.stringify(s);

/**
 * rsyslog configuration for extra imptcp inputs in `dir`, each with its own ruleset writing
 * `<name>.raw.log` (%rawmsg%), `<name>.json.log` (the parsed fields) and `<name>.sd.log`
 * (mmpstrucdata's $!rfc5424-sd), its port reported in `<name>.port`.
 */
function extraInputs(dir: string, inputs: Record<string, string>): string {
  const out = ['module(load="mmpstrucdata")', 'template(name="sdjson" type="string" string="%$!rfc5424-sd%\\n")'];
  for (const [name, options] of Object.entries(inputs)) {
    out.push(
      `input(type="imptcp" address="127.0.0.1" port="0" listenPortFileName=${q(join(dir, `${name}.port`))} ruleset="x${name}" ${options})`,
      `ruleset(name="x${name}") {`,
      `  action(type="omfile" file=${q(join(dir, `${name}.raw.log`))} template="raw")`,
      `  action(type="omfile" file=${q(join(dir, `${name}.json.log`))} template="json")`,
      '  action(type="mmpstrucdata" sd_name.lowercase="off")',
      `  action(type="omfile" file=${q(join(dir, `${name}.sd.log`))} template="sdjson")`,
      "}",
    );
  }
  return out.join("\n");
}

async function portOf(dir: string, name: string): Promise<number> {
  const file = join(dir, `${name}.port`);
  if (!(await waitFor(() => existsSync(file) && Number(readFileSync(file, "utf8").trim()) > 0, 10_000))) throw new Error(`no port in ${file}`);
  return Number(readFileSync(file, "utf8").trim());
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, "utf8").replace(/\n$/, "").split("\n").filter((l) => l !== "") : []);
const seqOf = (record: RsyslogRecord): number => Number(/ seq="([0-9]+)"/.exec(record.structuredData)?.[1] ?? NaN);

test("framing=newline: 14 records with line breaks in their values arrive as 14 at an rsyslog input that splits lines only, and at the octet-or-line inputs over TCP and TLS; octet counting to the line-only input breaks them", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  // SupportOctetCountedFraming="off": the input splits at LF only, as syslog-ng's network() and Fluent Bit do.
  const rs = await startRsyslog({ tcp: true, tls: true, dir, extraConfig: extraInputs(dir, { lines: 'SupportOctetCountedFraming="off"', octets: 'SupportOctetCountedFraming="off"' }) });
  t.teardown(() => rs.dispose());
  const common = { type: "syslog", host: "127.0.0.1", hostname: "mail1" };
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      ...target("lines", { ...common, framing: "newline", port: String(await portOf(dir, "lines")) }),
      ...target("tcp", { ...common, framing: "newline", port: String(rs.ports.tcp) }),
      ...target("tls", { ...common, framing: "newline", protocol: "tls", port: String(rs.ports.tls), "tls.ca": rs.certs.caCert, "tls.servername": "localhost" }),
      // The default (octet counting) to the same kind of line-only input: the contrast.
      ...target("octets", { ...common, port: String(await portOf(dir, "octets")) }),
    },
    watch: false,
  });
  const forged = "<110>1 2020-01-01T00:00:00Z evil forged - - - injected";
  for (let seq = 0; seq < 14; seq++) audit.log("ox.login", { seq, note: `one\ntwo\r\n${forged}`, path: "C:\\new" });
  await audit.flush();
  for (const file of [join(dir, "lines.json.log"), rs.files.tcp.json, rs.files.tls.json]) {
    await rs.waitForLines(file, 14);
    // rsyslog writes an output after it received the record: wait a moment for more (there must be none).
    await new Promise((r) => setTimeout(r, 300));
    const records = rs.readJson(file);
    t.is(records.length, 14, file);
    t.deepEqual(records.map(seqOf), [...Array(14).keys()], file);
    t.true(records.every((r) => r.hostname === "mail1" && r.msgid === "ox.login"), file);
    // LF and CR are written \n and \r inside the value; a real backslash stays \\ (so C:\new is C:\\new).
    t.true(records.every((r) => r.structuredData.includes(`note="one\\ntwo\\r\\n${forged}" path="C:\\\\new"`)), `${file}: ${records[0]?.structuredData}`);
  }
  // Octet counting into a line-only input: the frames are split at the line breaks in the values,
  // and the forged line becomes a record of its own.
  await rs.waitForLines(join(dir, "octets.raw.log"), 14);
  await waitFor(() => lines(join(dir, "octets.raw.log")).length >= 14 * 3, 5000);
  const broken = rs.readJson(join(dir, "octets.json.log"));
  t.true(broken.length > 14, `${broken.length} records`);
  t.true(broken.some((r) => r.hostname === "evil"), "a value forged a record");
});

test("RFC 5424 structured data as rsyslog's mmpstrucdata parses it: the configured SD-ID, [meta sequenceId] 1..N per target, [origin], and a value cut at maxBytes marked as cut", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const rs = await startRsyslog({ tcp: true, dir, extraConfig: extraInputs(dir, { sd: "" }) });
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      ...target("siem", {
        type: "syslog",
        host: "127.0.0.1",
        port: String(await portOf(dir, "sd")),
        sdId: "oxaudit@64001",
        sequenceId: "true",
        "origin.software": 'ox "app"',
        "origin.swVersion": "8.21",
        maxBytes: "1000",
      }),
    },
    watch: false,
  });
  for (let seq = 1; seq <= 5; seq++) audit.log("ox.login", { login: "ann", seq });
  audit.log("ox.mail", { body: "b".repeat(3000), after: "never" });
  await audit.flush();
  const sdFile = join(dir, "sd.sd.log");
  await rs.waitForLines(sdFile, 6);
  const parsed = lines(sdFile).map((l) => JSON.parse(l) as Record<string, Record<string, string>>);
  t.deepEqual(parsed[0], { meta: { sequenceId: "1" }, origin: { software: 'ox "app"', swVersion: "8.21" }, "oxaudit@64001": { login: "ann", seq: "1" } });
  t.deepEqual(
    parsed.map((sd) => sd["meta"]?.["sequenceId"]),
    ["1", "2", "3", "4", "5", "6"],
  );
  // The cut value ends with the marker, as rsyslog reads it (the escaped "]" unescaped); the
  // record stays within maxBytes and the parameter after the cut one is left out.
  const cut = parsed[5]?.["oxaudit@64001"];
  t.regex(cut?.["body"] ?? "", /^b+\.\.\.\[truncated\]$/);
  t.is(cut?.["after"], undefined);
  const raw = rs.readJson(join(dir, "sd.json.log"))[5];
  t.is(raw?.msg, "...[truncated]");
  t.true(Buffer.byteLength(lines(join(dir, "sd.raw.log"))[5] ?? "") <= 1000);
});

test("RFC 3164 with timezone=Europe/Berlin: a receiver in Berlin stores the right instant; maxBytes is 1024 by default", async (t) => {
  captureStatus(t);
  // rsyslog reads an RFC 3164 time as its own local time: this one runs in Berlin (TZ is read
  // when it starts; this process's zone is restored at once, no other test here reads it).
  const saved = process.env["TZ"];
  process.env["TZ"] = "Europe/Berlin";
  let rs: Awaited<ReturnType<typeof startRsyslog<{ udp: true }>>>;
  try {
    rs = await startRsyslog({ udp: true });
  } finally {
    if (saved === undefined) delete process.env["TZ"];
    else process.env["TZ"] = saved;
  }
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      ...target("berlin", { type: "syslog", protocol: "udp", format: "rfc3164", timezone: "Europe/Berlin", host: "127.0.0.1", port: String(rs.ports.udp), hostname: "mail1", appName: "ox-audit" }),
    },
    watch: false,
  });
  const before = Date.now();
  audit.log("ox.login", { login: "ann" });
  audit.log("ox.mail", { body: "€".repeat(2000) });
  await audit.flush();
  const [login, mail] = await rs.waitForLines(rs.files.udp.raw, 2);
  // The wall-clock time in Berlin, as RFC 3164 writes it (no zone, day space-padded).
  const berlin = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Berlin", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  const parts = Object.fromEntries(berlin.formatToParts(before).map((p) => [p.type, p.value]));
  const stamp = /^<110>([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) mail1 oxaudit\[\d+\]: ox\.login login=ann$/.exec(login as string);
  t.truthy(stamp, login);
  const expected = `${parts["month"]} ${(parts["day"] ?? "").padStart(2, " ")} ${parts["hour"]}:${parts["minute"]}`;
  // Within the same minute (or the next, if the minute turned meanwhile).
  const next = Object.fromEntries(berlin.formatToParts(before + 60_000).map((p) => [p.type, p.value]));
  t.true(stamp?.[1]?.startsWith(expected) || stamp?.[1]?.startsWith(`${next["month"]} ${(next["day"] ?? "").padStart(2, " ")} ${next["hour"]}:${next["minute"]}`), `${stamp?.[1]} vs ${expected}`);
  // The receiver in Berlin stored the instant it was logged (RFC 3164 has whole seconds).
  await rs.waitForLines(rs.files.udp.json, 2);
  const stored = Date.parse(rs.readJson(rs.files.udp.json)[0]?.timestamp ?? "");
  t.true(stored >= Math.floor(before / 1000) * 1000 && stored <= Date.now(), `${rs.readJson(rs.files.udp.json)[0]?.timestamp} vs ${new Date(before).toISOString()}`);
  // The default maxBytes of rfc3164 is the RFC's 1024 bytes.
  t.true(Buffer.byteLength(mail as string) <= 1024 && Buffer.byteLength(mail as string) > 1000, `${Buffer.byteLength(mail as string)} bytes`);
  t.true((mail as string).endsWith("...[truncated]"));
});
