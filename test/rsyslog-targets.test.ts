/**
 * The targets against a real rsyslog (test/lib/rsyslog.ts) on loopback, with certificates made
 * at test time: what rsyslog wrote is checked, record by record. GELF over chunked, compressed
 * UDP is checked against the Node receiver in test/lib/gelf-receiver.ts.
 */
import test from "ava";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startGelfReceiver } from "./lib/gelf-receiver.js";
import { decodeRsyslogEscapes, startRsyslog, type RsyslogRecord } from "./lib/rsyslog.js";
import { captureStatus, P, readLines, tempDir, waitFor } from "./lib/helpers.js";
import { testService } from "./lib/service.js";

/** Properties of one target. */
function target(name: string, options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [`${P}target.${name}.${k}`, v]));
}

const seqOf = (record: RsyslogRecord): number => Number(/ seq="([0-9]+)"/.exec(record.structuredData)?.[1] ?? NaN);

test("one log() reaches the file and rsyslog over TCP, TLS, mutual TLS and UDP, with its structured data", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const rs = await startRsyslog({ tcp: true, tls: true, mtls: true, udp: true });
  t.teardown(() => rs.dispose());
  const common = { type: "syslog", host: "127.0.0.1", hostname: "mail1", appName: "oxaudit" };
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      [P + "file.location"]: join(dir, "audit.log"),
      ...target("tcp", { ...common, port: String(rs.ports.tcp) }),
      ...target("tls", { ...common, protocol: "tls", port: String(rs.ports.tls), "tls.ca": rs.certs.caCert, "tls.servername": "localhost" }),
      ...target("mtls", {
        ...common,
        protocol: "tls",
        port: String(rs.ports.mtls),
        "tls.ca": rs.certs.caCert,
        "tls.cert": rs.certs.clientCert,
        "tls.key": rs.certs.clientKey,
        "tls.servername": "localhost",
      }),
      ...target("udp", { ...common, protocol: "udp", port: String(rs.ports.udp) }),
    },
    watch: false,
  });
  audit.log("ox.login", { login: "ann", ip: "192.0.2.1", note: 'quote" back\\ bracket] end', password: "hunter2" });
  audit.log("ox.logout", { login: "ann" });
  await audit.flush();
  t.deepEqual(readLines(join(dir, "audit.log")), ['ox.login, login=ann, ip=192.0.2.1, note=quote" back\\\\ bracket] end, password=****', "ox.logout, login=ann"]);
  for (const input of ["tcp", "tls", "mtls", "udp"] as const) {
    await rs.waitForLines(rs.files[input].json, 2);
    const [login, logout] = rs.readJson(rs.files[input].json);
    t.like(login, { hostname: "mail1", appName: "oxaudit", procid: String(process.pid), msgid: "ox.login" }, input);
    t.is(login?.structuredData, '[audit@32473 login="ann" ip="192.0.2.1" note="quote\\" back\\\\ bracket\\] end" password="****"]', input);
    t.is(login?.msg, "ox.login login=ann ip=192.0.2.1 note=quote\"\\ back\\\\\\ bracket]\\ end password=****", input);
    t.like(logout, { msgid: "ox.logout", structuredData: '[audit@32473 login="ann"]' }, input);
    // <110> = facility 13 (log audit) × 8 + severity 6 (INFO).
    t.true(rs.readRecords(rs.files[input].raw)[0]?.startsWith("<110>1 "), input);
  }
  // A stream's records count as sent once its connection has stayed up 2 s (verified: a receiver
  // refusing the client certificate closes it at once); UDP's when the operating system took them.
  t.true(await waitFor(() => audit.stats().targets.every((s) => s.sent === 2), 10_000));
  t.deepEqual(
    audit.stats().targets.map((s) => [s.name, s.sent, s.dropped]),
    [["mtls", 2, 0], ["tcp", 2, 0], ["tls", 2, 0], ["udp", 2, 0]],
  );
});

test("mutual TLS: rsyslog refuses a client without a certificate or with one from another CA, and the target reports it", async (t) => {
  const status = captureStatus(t);
  const rs = await startRsyslog({ mtls: true });
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  const base = { type: "syslog", protocol: "tls", host: "127.0.0.1", port: String(rs.ports.mtls), "tls.ca": rs.certs.caCert, "tls.servername": "localhost" };
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      ...target("nocert", base),
      ...target("wrongcert", { ...base, "tls.cert": rs.certs.wrongClientCert, "tls.key": rs.certs.wrongClientKey }),
    },
    watch: false,
  });
  audit.log("ox.login", { login: "mallory" });
  const failed = (name: string) => (): boolean => status.some((e) => e.code === "TARGET_FAILED" && e.message.includes(`"${name}"`));
  t.true(await waitFor(failed("nocert"), 10_000));
  t.true(await waitFor(failed("wrongcert"), 10_000));
  await rs.waitForMatch(rs.files.internal, /not permitted to talk|certificate/);
  t.deepEqual(rs.readRecords(rs.files.mtls.raw), []);
  // Nothing was lost either: both records still wait for a receiver that accepts them.
  t.deepEqual(audit.stats().targets.map((s) => [s.name, s.buffered + s.sent - s.resent]), [["nocert", 1], ["wrongcert", 1]]);
  t.true(audit.stats().targets.every((s) => !s.connected));
});

test("honest stats: 30 records to an rsyslog that refuses the client certificate count 0 as sent; with the right certificate all 30, once the connection is verified", async (t) => {
  const status = captureStatus(t);
  const rs = await startRsyslog({ mtls: true });
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  const base = { type: "syslog", protocol: "tls", host: "127.0.0.1", port: String(rs.ports.mtls), "tls.ca": rs.certs.caCert, "tls.servername": "localhost" };
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      // Signed by another CA: TLS 1.3 ends the client's handshake before rsyslog checks the
      // certificate, so the socket takes the records before rsyslog closes the connection.
      ...target("refused", { ...base, "tls.cert": rs.certs.wrongClientCert, "tls.key": rs.certs.wrongClientKey }),
      ...target("accepted", { ...base, "tls.cert": rs.certs.clientCert, "tls.key": rs.certs.clientKey }),
    },
    watch: false,
  });
  const stats = (name: string) => audit.stats().targets.find((s) => s.name === name);
  // Wait until the refused target's connection is up, so the records go onto it.
  t.true(await waitFor(() => stats("refused")?.connected === true || status.some((e) => e.code === "TARGET_FAILED"), 10_000));
  for (let seq = 0; seq < 30; seq++) audit.log("ox.login", { seq });
  t.true(await waitFor(() => status.some((e) => e.code === "TARGET_FAILED" && e.message.includes('"refused"')), 10_000));
  await rs.waitForLines(rs.files.mtls.json, 30);
  // Longer than a connection needs to count as verified (2 s), through a reconnect or two.
  t.true(await waitFor(() => stats("accepted")?.sent === 30, 10_000));
  await new Promise((r) => setTimeout(r, 3000));
  t.like(stats("refused"), { sent: 0, resent: 0, buffered: 30, dropped: 0, connected: false });
  t.like(stats("accepted"), { sent: 30, resent: 0, buffered: 0, dropped: 0 });
  // rsyslog wrote the 30 of the accepted target, none of the refused one.
  t.deepEqual(rs.readJson(rs.files.mtls.json).map(seqOf), [...Array(30).keys()]);
});

test("TLS: the target refuses an rsyslog whose certificate its CA did not sign, and tls.insecure would accept it (with a warning)", async (t) => {
  const status = captureStatus(t);
  const rs = await startRsyslog({ tls: true });
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  const base = { type: "syslog", protocol: "tls", host: "127.0.0.1", port: String(rs.ports.tls), "tls.servername": "localhost" };
  await audit.configure({
    properties: { [P + "enabled"]: "true", ...target("strict", { ...base, "tls.ca": rs.certs.wrongCaCert }), ...target("lax", { ...base, "tls.insecure": "true" }) },
    watch: false,
  });
  t.true(status.some((e) => e.code === "CONFIG_WARNING" && e.message.includes("target.lax.tls.insecure")));
  audit.log("ox.login", { login: "ann" });
  t.true(await waitFor(() => status.some((e) => e.code === "TARGET_FAILED" && e.message.includes('"strict"')), 10_000));
  t.regex(status.find((e) => e.code === "TARGET_FAILED" && e.message.includes('"strict"'))?.message ?? "", /UNABLE_TO_VERIFY_LEAF_SIGNATURE|self.signed|unable to verify/i);
  const lines = await rs.waitForLines(rs.files.tls.raw, 1);
  t.is(lines.length, 1, "only the insecure target delivered");
});

test("an embedded newline stays inside its record; a 20 kB record is cut at maxBytes on a UTF-8 boundary, with the marker", async (t) => {
  captureStatus(t);
  const rs = await startRsyslog({ tls: true });
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      ...target("siem", { type: "syslog", protocol: "tls", host: "127.0.0.1", port: String(rs.ports.tls), "tls.ca": rs.certs.caCert, "tls.servername": "localhost" }),
    },
    watch: false,
  });
  audit.log("ox.login", { login: "ann\n<110>1 2020-01-01T00:00:00Z evil forged - - - injected" });
  audit.log("ox.mail", { body: "€".repeat(20_000 / 3), after: "x" });
  await audit.flush();
  const [newline, big] = await rs.waitForLines(rs.files.tls.raw, 2);
  t.is(rs.readRecords(rs.files.tls.raw).length, 2);
  await rs.waitForLines(rs.files.tls.json, 2);
  t.true(decodeRsyslogEscapes(newline as string).includes('[audit@32473 login="ann\n<110>1 2020-01-01T00:00:00Z evil forged - - - injected"]'));
  const records = rs.readJson(rs.files.tls.json);
  t.is(records[0]?.hostname, (await import("node:os")).hostname());
  // The default maxBytes is 8096, rsyslog's default maxMessageSize: cut by the sender, not split by rsyslog.
  const bytes = Buffer.byteLength(big as string);
  t.true(bytes <= 8096 && bytes > 8096 - 3, `${bytes} bytes`);
  t.true((big as string).endsWith("...[truncated]"));
  t.false((big as string).includes("\uFFFD"));
  // The cut value says so itself (its `]` escaped), and MSG too.
  t.regex(big as string, /^<110>1 \S+ \S+ slf4ts \d+ ox\.mail \[audit@32473 body="€+\.\.\.\[truncated\\\]"\] \.\.\.\[truncated\]$/);
});

test("rsyslog killed in the middle of a stream and restarted: nothing is lost, order is kept", async (t) => {
  const status = captureStatus(t);
  const rs = await startRsyslog({ tcp: true });
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  await audit.configure({
    properties: { [P + "enabled"]: "true", ...target("stream", { type: "syslog", host: "127.0.0.1", port: String(rs.ports.tcp) }) },
    watch: false,
  });
  const total = 3000;
  let seq = 0;
  const stream = async (until: number): Promise<void> => {
    while (seq < until) {
      for (let i = 0; i < 25 && seq < until; i++) audit.log("ox.login", { seq: seq++ });
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  await stream(1000);
  await rs.kill();
  await stream(2000);
  t.true(await waitFor(() => status.some((e) => e.code === "TARGET_FAILED" && e.message.includes('"stream"'))));
  await rs.restart();
  await stream(total);
  await audit.flush();
  t.true(await waitFor(() => new Set(rs.readJson(rs.files.tcp.json).map(seqOf)).size === total, 20_000));
  const seqs = rs.readJson(rs.files.tcp.json).map(seqOf);
  // At-least-once: records sent just before the crash may come twice; every one comes, and each
  // record's first appearance is in order.
  const first: number[] = [];
  const seen = new Set<number>();
  for (const s of seqs) if (!seen.has(s)) (seen.add(s), first.push(s));
  t.deepEqual(first, [...Array(total).keys()]);
  t.true(await waitFor(() => status.some((e) => e.code === "TARGET_RECOVERED" && e.message.includes('"stream"')), 5000));
  t.is(audit.stats().targets[0]?.dropped, 0);
});

test("past buffer.size while rsyslog is down: the buffered records, then one drop record, then the new ones", async (t) => {
  captureStatus(t);
  const rs = await startRsyslog({ tcp: true });
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  await audit.configure({
    properties: { [P + "enabled"]: "true", ...target("siem", { type: "syslog", host: "127.0.0.1", port: String(rs.ports.tcp), "buffer.size": "50", resendMs: "0" }) },
    watch: false,
  });
  audit.log("ox.login", { seq: 0 });
  await rs.waitForLines(rs.files.tcp.raw, 1);
  // resendMs=0 forgets a record once the connection is verified (up 2 s): before that, a break
  // sends it again.
  t.true(await waitFor(() => audit.stats().targets[0]?.sent === 1, 10_000));
  await rs.stop();
  t.true(await waitFor(() => audit.stats().targets[0]?.connected === false));
  for (let seq = 1; seq <= 200; seq++) audit.log("ox.login", { seq });
  t.is(audit.stats().targets[0]?.dropped, 150);
  await rs.restart();
  t.true(await waitFor(() => rs.readRecords(rs.files.tcp.raw).length >= 52, 20_000));
  audit.log("ox.login", { seq: 201 });
  await audit.flush();
  const records = await rs.waitForLines(rs.files.tcp.json, 53, 20_000);
  const parsed = records.map((r) => JSON.parse(r) as RsyslogRecord);
  t.deepEqual(parsed.slice(0, 51).map(seqOf), [...Array(51).keys()]);
  t.is(parsed[51]?.msgid, "slf4ts.audit.dropped");
  t.regex(parsed[51]?.structuredData ?? "", /^\[audit@32473 dropped="150" from="[^"]+" to="[^"]+" target="siem"\]$/);
  t.is(seqOf(parsed[52] as RsyslogRecord), 201);
});

test("GELF over TCP reaches rsyslog as NUL-framed JSON; GELF over UDP, chunked and gzip-compressed, reaches a GELF receiver", async (t) => {
  captureStatus(t);
  const rs = await startRsyslog({ gelfTcp: true });
  t.teardown(() => rs.dispose());
  const gelf = await startGelfReceiver();
  t.teardown(() => gelf.close());
  const audit = testService(t);
  await audit.configure({
    properties: {
      [P + "enabled"]: "true",
      ...target("graylog", { type: "gelf", protocol: "tcp", host: "127.0.0.1", port: String(rs.ports.gelfTcp), hostname: "mail1" }),
      ...target("udp", { type: "gelf", host: "127.0.0.1", port: String(gelf.port), compress: "gzip", chunkSize: "512", hostname: "mail1" }),
    },
    watch: false,
  });
  // Random text does not compress: several chunks.
  const { randomBytes } = await import("node:crypto");
  const blob = randomBytes(3000).toString("base64");
  audit.log("ox.login", { login: "ann\nline two", id: "42", blob });
  await audit.flush();
  const [line] = await rs.waitForLines(rs.files.gelfTcp.raw, 1);
  const viaTcp = JSON.parse(line as string) as Record<string, unknown>;
  t.like(viaTcp, { version: "1.1", host: "mail1", level: 6, _event: "ox.login", _login: "ann\nline two", _id_: "42", blob: undefined, _blob: blob });
  const [viaUdp] = await gelf.waitForMessages(1);
  t.deepEqual(viaUdp, viaTcp);
  t.is(gelf.received[0]?.compression, "gzip");
  t.true((gelf.received[0]?.chunks ?? 0) > 1);
  t.is(gelf.malformed, 0);
});

test("a file and a TLS rsyslog from one properties file, edited while the program runs: every record arrives at both", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const rs = await startRsyslog({ tls: true });
  t.teardown(() => rs.dispose());
  const file = join(dir, "slf4j-auditlog.properties");
  const write = (appName: string, include: string): void => {
    const text = [
      `${P}enabled=true`,
      `${P}file.location=audit.log`,
      `${P}target.siem.type=syslog`,
      `${P}target.siem.protocol=tls`,
      `${P}target.siem.host=127.0.0.1`,
      `${P}target.siem.port=${rs.ports.tls}`,
      `${P}target.siem.tls.ca=${rs.certs.caCert}`,
      `${P}target.siem.tls.servername=localhost`,
      `${P}target.siem.appName=${appName}`,
      `${P}target.siem.include=${include}`,
      "",
    ].join("\n");
    writeFileSync(file + ".tmp", text);
    renameSync(file + ".tmp", file);
  };
  write("before", "*");
  const audit = testService(t);
  await audit.configure({ propertiesFile: file, pollIntervalMs: 50 });
  for (let seq = 0; seq < 100; seq++) audit.log("ox.login", { seq });
  write("after", "ox.*");
  t.true(await waitFor(() => audit.stats().reloads === 2, 5000));
  for (let seq = 100; seq < 200; seq++) audit.log("ox.login", { seq });
  audit.log("other.event", { seq: 200 });
  await audit.flush();
  t.is(readLines(join(dir, "audit.log")).length, 201);
  t.true(await waitFor(() => new Set(rs.readJson(rs.files.tls.json).map(seqOf)).size === 200, 15_000));
  // At-least-once: if the old connection did not close cleanly in time, its last records come
  // again (as they were sent, with the old app name); every record's first arrival is in order.
  const first = new Map<number, RsyslogRecord>();
  for (const record of rs.readJson(rs.files.tls.json)) if (!first.has(seqOf(record))) first.set(seqOf(record), record);
  t.deepEqual([...first.keys()], [...Array(200).keys()]);
  t.true([...first.values()].every((r) => r.appName === (seqOf(r) < 100 ? "before" : "after")));
  // A record that came twice can only be one sent before the reload, again after it.
  const seen = new Set<number>();
  for (const record of rs.readJson(rs.files.tls.json)) {
    if (seen.has(seqOf(record))) t.true(seqOf(record) < 100 && record.appName === "before", `duplicate ${seqOf(record)}`);
    seen.add(seqOf(record));
  }
});

test("RFC 3164 for old receivers: rsyslog parses host, tag and message", async (t) => {
  captureStatus(t);
  const rs = await startRsyslog({ udp: true });
  t.teardown(() => rs.dispose());
  const audit = testService(t);
  await audit.configure({
    properties: { [P + "enabled"]: "true", ...target("legacy", { type: "syslog", protocol: "udp", format: "rfc3164", host: "127.0.0.1", port: String(rs.ports.udp), hostname: "mail1", appName: "oxaudit" }) },
    watch: false,
  });
  audit.log("ox.login", { login: "ann", ip: "192.0.2.1" });
  await audit.flush();
  const [raw] = await rs.waitForLines(rs.files.udp.raw, 1);
  t.regex(raw as string, /^<110>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d mail1 oxaudit\[\d+\]: ox\.login login=ann ip=192\.0\.2\.1$/);
  // rsyslog writes its two outputs one after the other: wait for the JSON one too.
  await rs.waitForLines(rs.files.udp.json, 1);
  const [record] = rs.readJson(rs.files.udp.json);
  t.like(record, { hostname: "mail1", appName: "oxaudit", procid: String(process.pid) });
  t.true(record?.msg.includes("ox.login login=ann ip=192.0.2.1"));
});
