/**
 * GELF and ECS targets as a user meets them: the logger configured from properties, records sent
 * to the project's GELF receivers (UDP with chunking and compression, TCP with NUL frames) and
 * written to ECS files; static fields, templates, the ECS event table and their configuration
 * errors (key, value, line, what was expected).
 */
import test from "ava";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../src/index.js";
import { startGelfReceiver } from "./lib/gelf-receiver.js";
import { captureStatus, P, tempDir, waitFor } from "./lib/helpers.js";
import { testService } from "./lib/service.js";
import { TcpReceiver } from "./lib/tcp-receiver.js";

const target = (name: string, options: Record<string, string>): Record<string, string> => {
  const properties: Record<string, string> = { [P + "enabled"]: "true", [P + "file.location"]: "", [P + "record.maxLength"]: "1000000" };
  for (const [k, v] of Object.entries(options)) properties[`${P}target.${name}.${k}`] = v;
  return properties;
};

test("GELF over UDP, chunked and gzip: a 70,000-character value arrives nearly whole in 128 chunks of 512 bytes; templates and static fields arrive", async (t) => {
  captureStatus(t);
  const gelf = await startGelfReceiver();
  t.teardown(() => gelf.close());
  const audit = testService(t);
  await audit.configure({
    properties: target("gl", {
      type: "gelf",
      host: "127.0.0.1",
      port: String(gelf.port),
      hostname: "mail1",
      chunkSize: "512",
      compress: "gzip",
      "field.env": "prod",
      "field.site.dc": "fra-1",
      shortMessage: "{event} {attr:login}",
      fullMessage: "{line}",
    }),
    watch: false,
  });
  // Hex of random bytes: gzip shrinks it to about half, so the uncompressed JSON may exceed 64,000 bytes.
  const { randomBytes } = await import("node:crypto");
  const huge = randomBytes(70_000).toString("hex"); // 140,000 characters
  audit.log("ox.login", { login: "alice", ip: "192.0.2.1" });
  audit.log("ox.mail.body", { login: "bob", body: huge });
  await audit.flush();
  const [login, mail] = await gelf.waitForMessages(2);
  t.deepEqual(
    { short: login?.["short_message"], full: login?.["full_message"], env: login?.["_env"], dc: login?.["_site.dc"], login: login?.["_login"], ip: login?.["_ip"] },
    { short: "ox.login alice", full: "ox.login login=alice ip=192.0.2.1", env: "prod", dc: "fra-1", login: "alice", ip: "192.0.2.1" },
  );
  t.is(gelf.malformed, 0);
  t.is(gelf.incomplete, 0);
  const body = mail?.["_body"] as string;
  t.true(body.endsWith("...[truncated]"), "the body was cut");
  t.true(huge.startsWith(body.slice(0, -"...[truncated]".length)));
  // full_message repeats the body; both are cut to a common cap, each keeps tens of thousands of characters.
  t.true(body.length > 30_000, `the cut body keeps ${body.length} characters`);
  const received = gelf.received[1];
  t.is(received?.compression, "gzip");
  t.true((received?.chunks ?? 0) > 100 && (received?.chunks ?? 0) <= 128, `${received?.chunks} chunks`);
  t.true((received?.bytes ?? 0) > 0.95 * 128 * 500, `${received?.bytes} of ${128 * 500} bytes used`);
  t.is(mail?.["_login"], "bob", "short values stay whole");
  t.is(audit.stats().targets[0]?.sent, 2);
});

test("GELF over UDP uncompressed: only as much as needed is cut (a 70,000-character value in a 64,000-byte budget)", async (t) => {
  captureStatus(t);
  const gelf = await startGelfReceiver();
  t.teardown(() => gelf.close());
  const audit = testService(t);
  await audit.configure({ properties: target("gl", { type: "gelf", host: "127.0.0.1", port: String(gelf.port), chunkSize: "512" }), watch: false });
  audit.log("ox.mail.body", { body: "x".repeat(70_000), note: "kept" });
  await audit.flush();
  const [message] = await gelf.waitForMessages(1);
  const body = message?.["_body"] as string;
  t.true(body.length > 63_500 && body.length < 64_000, `${body.length} characters arrived`);
  t.is(message?.["_note"], "kept");
  t.is(message?.["short_message"], "ox.mail.body");
  t.true((gelf.received[0]?.bytes ?? 0) > 63_900);
});

test("GELF over TCP: NUL-framed messages with the event id as short_message, attributes as _ fields, static fields; nothing cut", async (t) => {
  captureStatus(t);
  const r = await new TcpReceiver().start();
  t.teardown(() => r.stop());
  const audit = testService(t);
  await audit.configure({ properties: target("gl", { type: "gelf", protocol: "tcp", host: "127.0.0.1", port: String(r.port), "field.service": "mail" }), watch: false });
  audit.log("ox.login", { login: "alice", event: "attr" });
  audit.log("ox.mail.body", { body: "y".repeat(200_000) });
  await audit.flush();
  const frames = (): string[] => Buffer.concat(r.bytes()).toString("utf8").split("\0").slice(0, -1);
  t.true(await waitFor(() => frames().length === 2, 10_000));
  const [login, body] = frames().map((f) => JSON.parse(f) as Record<string, unknown>);
  t.is(login?.["short_message"], "ox.login");
  t.is(login?.["_login"], "alice");
  t.is(login?.["_event"], "ox.login");
  t.is(login?.["_event_2"], "attr");
  t.is(login?.["_service"], "mail");
  t.is(body?.["_body"], "y".repeat(200_000));
});

test("ECS file target: event table rows, shipped defaults for the OX events, static fields nested by their dots", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const path = join(dir, "audit-ecs.json");
  const audit = testService(t);
  await audit.configure({
    properties: target("el", {
      type: "file",
      format: "ecs",
      path,
      "field.service.name": "ox-mail",
      "field.event.dataset": "ox.audit",
      "field.data_stream.type": "logs",
      "field.data_stream.dataset": "ox.audit",
      "field.data_stream.namespace": "prod",
      "field.labels.site": "fra-1",
      "ecs.event.ox.login.failed": "authentication:start:failure",
      "ecs.event.app.*": "configuration:change",
      "ecs.event.app.debug.*": "-",
    }),
    watch: false,
  });
  audit.log("ox.login", { login: "alice", ip: "192.0.2.1" });
  audit.log("ox.login.failed", { login: "mallory" });
  audit.log("imap.primary.login", { login: "alice", "imap.server": "imap.example.org" });
  audit.log("smtp.external.unsent", { login: "alice", "smtp.unsent": "x@example.org" });
  audit.log("app.settings", { key: "quota" });
  audit.log("app.debug.dump", {});
  audit.log("ox.logout", { login: "alice", result: "ok" });
  await audit.flush();
  t.true(await waitFor(() => readFileSync(path, "utf8").split("\n").length === 8));
  const docs = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event: Record<string, unknown>; service: unknown; data_stream: unknown; labels: unknown });
  const summary = docs.map((d) => [d.event["action"], d.event["category"], d.event["type"], d.event["outcome"]]);
  t.deepEqual(summary, [
    ["ox.login", ["authentication"], ["start"], undefined],
    ["ox.login.failed", ["authentication"], ["start"], "failure"],
    ["imap.primary.login", ["authentication", "network"], ["start", "connection"], "success"],
    ["smtp.external.unsent", ["email"], ["info"], "failure"],
    ["app.settings", ["configuration"], ["change"], undefined],
    ["app.debug.dump", undefined, undefined, undefined],
    ["ox.logout", ["authentication"], ["end"], "success"],
  ]);
  for (const doc of docs) {
    t.deepEqual(doc.service, { name: "ox-mail" });
    t.is(doc.event["dataset"], "ox.audit");
    t.is(doc.event["kind"], "event", "the static field joined the event object, it did not replace it");
    t.deepEqual(doc.data_stream, { type: "logs", dataset: "ox.audit", namespace: "prod" });
    t.deepEqual(doc.labels, { site: "fra-1" });
  }
});

test("JSON lines: static fields are top-level fields after the attributes", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const path = join(dir, "audit.json");
  const audit = testService(t);
  await audit.configure({ properties: target("j", { type: "file", format: "json", path, "field.site": "fra-1", "field.env.name": "prod" }), watch: false });
  audit.log("ox.login", { login: "alice" });
  await audit.flush();
  t.true(await waitFor(() => readFileSync(path, "utf8").includes("\n")));
  t.deepEqual(Object.entries(JSON.parse(readFileSync(path, "utf8")) as object).slice(3), [
    ["attributes", { login: "alice" }],
    ["env.name", "prod"],
    ["site", "fra-1"],
  ]);
});

test("bad static fields, templates and event-table rows: key, value, line and what was expected", async (t) => {
  const status = captureStatus(t);
  const dir = tempDir(t);
  const file = join(dir, "audit.properties");
  const lines = [
    `${P}enabled=true`,
    `${P}target.gl.type=gelf`,
    `${P}target.gl.host=127.0.0.1`,
    `${P}target.gl.field.id=1`,
    `${P}target.gl.field.a b=1`,
    `${P}target.gl.field.app=x`,
    `${P}target.gl.shortMessage={evnt}`,
    `${P}target.gl.ecs.event.ox.*=authentication:start`,
    `${P}target.el.type=file`,
    `${P}target.el.format=ecs`,
    `${P}target.el.path=ecs.json`,
    `${P}target.el.field.event.action=x`,
    `${P}target.el.field.labels=x`,
    `${P}target.el.field.labels.a=y`,
    `${P}target.el.field._id=1`,
    `${P}target.el.ecs.event.ox.login=authentication:logon`,
    `${P}target.el.ecs.event.ox.logout=auth:end`,
    `${P}target.el.ecs.event.ox.x=authentication:end:maybe`,
    `${P}target.el.ecs.event.ox.y=authentication`,
    `${P}target.el.fullMessage={line}`,
    `${P}target.sy.type=syslog`,
    `${P}target.sy.host=127.0.0.1`,
    `${P}target.sy.field.site=x`,
    `${P}target.j.type=file`,
    `${P}target.j.path=a.json`,
    `${P}target.j.field.event=x`,
    "",
  ];
  writeFileSync(file, lines.join("\n").replace(/field\.a b/, "field.a\\ b"));
  const audit = testService(t);
  const error = (await t.throwsAsync(audit.configure({ propertiesFile: file, watch: false }), { instanceOf: ConfigError })) as ConfigError;
  const text = error.message;
  const expect = (line: number, key: string, value: string, expected: string): void => {
    t.true(text.includes(`line ${line}: ${P}${key} = "${value}": ${expected}`), `line ${line} ${key}\n${text}`);
  };
  expect(4, "target.gl.field.id", "1", "GELF reserves _id (the receiver's own message id); expected another name");
  expect(5, "target.gl.field.a b", "1", "expected a GELF field name of letters A-Z a-z, digits, _, . and - (GELF adds the leading _)");
  expect(6, "target.gl.field.app", "x", "_app is written for every record (_event, _app, _procid); expected another name");
  expect(7, "target.gl.shortMessage", "{evnt}", "unknown placeholder {evnt} at character 1; expected {event}, {level}, {line}, {attr:NAME}, {{ or }}");
  expect(8, "target.gl.ecs.event.ox.*", "authentication:start", "the ECS event table is for the ecs format; this target's format is gelf");
  expect(12, "target.el.field.event.action", "x", "event.action is written for every record by the ECS format; expected another field (service.name may be replaced)");
  expect(14, "target.el.field.labels.a", "y", "labels.a and labels cannot both be ECS fields (one would be an object holding the other); expected one of them");
  t.true(text.includes(`line 15: ${P}target.el.field._id = "1": expected an ECS field name`), text);
  expect(16, "target.el.ecs.event.ox.login", "authentication:logon", '"logon" is not an ECS 8.11 event.type; expected access, admin, allowed, change, connection, creation, deletion, denied, end, error, group, indicator, info, installation, protocol, start, user');
  t.true(text.includes(`line 17: ${P}target.el.ecs.event.ox.logout = "auth:end": "auth" is not an ECS 8.11 event.category; expected api, authentication,`), text);
  expect(18, "target.el.ecs.event.ox.x", "authentication:end:maybe", '"maybe" is not an ECS event.outcome; expected success, failure or unknown');
  expect(19, "target.el.ecs.event.ox.y", "authentication", "expected category[,category…]:type[,type…][:outcome] (e.g. authentication:start:success) or - for none");
  expect(20, "target.el.fullMessage", "{line}", "a template for GELF messages; this target's format is ecs");
  expect(23, "target.sy.field.site", "x", "static fields are written by the json, ecs and gelf formats; this target's format is rfc5424");
  expect(26, "target.j.field.event", "x", "event is written for every record (timestamp, level, event, attributes); expected another name");
  t.true(status.some((e) => e.code === "CONFIG_INVALID"));
});
