import test from "ava";
import { isIP } from "node:net";
import { Level } from "../src/facade/level.js";
import type { AuditEvent } from "../src/format/event.js";
import { base as loginEvent } from "./lib/format-fixtures.js";
import { ECS_LOGGER, ecsAttributeKey, ecsOutcome, formatEcs } from "../src/format/ecs.js";

/** The formatter tests' login event, with attributes that ECS maps to its own fields. */
const base: AuditEvent = {
  ...loginEvent,
  attributes: [
    ["login", "alice"],
    ["ip", "192.0.2.1"],
    ["result", "OK"],
    ["client.name", "web"],
    ["client", "x"],
  ],
};

/**
 * ECS field types (ECS 8.11 field reference; the date/keyword/ip types of `@timestamp`,
 * `event.*`, `source.ip` also appear in Elastic's exported fields for the Mattermost audit data
 * stream, shared/reference/004). Allowed values from the ECS categorization field pages.
 */
const ECS_TYPES: Record<string, "date" | "keyword" | "ip" | "long" | "match_only_text"> = {
  "@timestamp": "date",
  "ecs.version": "keyword",
  "event.kind": "keyword",
  "event.action": "keyword",
  "event.category": "keyword",
  "event.type": "keyword",
  "event.outcome": "keyword",
  "event.severity": "long",
  "user.name": "keyword",
  "source.ip": "ip",
  "log.logger": "keyword",
  "log.level": "keyword",
  "host.hostname": "keyword",
  "service.name": "keyword",
  "process.pid": "long",
  message: "match_only_text",
};
const NAMESPACE = "slf4ts.audit.attributes.";
const ALLOWED: Record<string, readonly string[]> = {
  "event.kind": ["alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"],
  "event.category": ["api", "authentication", "configuration", "database", "driver", "email", "file", "host", "iam", "intrusion_detection", "library", "malware", "network", "package", "process", "registry", "session", "threat", "vulnerability", "web"],
  "event.type": ["access", "admin", "allowed", "change", "connection", "creation", "deletion", "denied", "end", "error", "group", "indicator", "info", "installation", "protocol", "start", "user"],
  "event.outcome": ["failure", "success", "unknown"],
};

/** Leaf paths of a parsed document (arrays are leaves: ES keyword fields take arrays). */
function leaves(value: unknown, prefix = "", out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix === "" ? k : `${prefix}.${k}`, out);
  } else {
    out.push([prefix, value]);
  }
  return out;
}

function checkTypes(t: import("ava").ExecutionContext, line: string): void {
  t.false(/[\n\r\u0085\u2028\u2029]/.test(line), "one line");
  const doc = JSON.parse(line) as unknown;
  for (const [path, value] of leaves(doc)) {
    const type = path.startsWith(NAMESPACE) ? "keyword" : ECS_TYPES[path];
    t.not(type, undefined, `unexpected field ${path}`);
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const v of values) {
      switch (type) {
        case "date":
          t.regex(String(v), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, path);
          t.is(new Date(String(v)).toISOString(), String(v), path);
          break;
        case "keyword":
          t.true(typeof v === "string" || (v === null && path.startsWith(NAMESPACE)), path);
          break;
        case "ip":
          t.true(typeof v === "string" && isIP(v) !== 0 && !v.includes("%"), path);
          break;
        case "long":
          t.true(Number.isSafeInteger(v), path);
          break;
        case "match_only_text":
          t.is(typeof v, "string", path);
          break;
      }
      const allowed = ALLOWED[path];
      if (allowed !== undefined) t.true(allowed.includes(String(v)), `${path}=${String(v)}`);
    }
  }
}

test("a representative event, exactly, nested, typed", (t) => {
  const line = formatEcs(base);
  t.is(
    line,
    '{"@timestamp":"2026-01-02T03:04:05.006Z","ecs":{"version":"8.11.0"},' +
      '"event":{"kind":"event","action":"ox.login","category":["authentication"],"type":["start"],"severity":6,"outcome":"success"},' +
      '"user":{"name":"alice"},"source":{"ip":"192.0.2.1"},' +
      '"log":{"logger":"com.openexchange.log.audit.AuditLogService","level":"INFO"},' +
      '"host":{"hostname":"mail1"},"service":{"name":"slf4ts"},"process":{"pid":4242},' +
      '"message":"ox.login login=alice ip=192.0.2.1 result=OK client.name=web client=x",' +
      '"slf4ts":{"audit":{"attributes":{"result":"OK","client%2Ename":"web","client":"x"}}}}',
  );
  checkTypes(t, line);
});

test("logout, other events, outcome mapping, invalid ip, repeated login", (t) => {
  const logout = JSON.parse(formatEcs({ ...base, eventId: "ox.logout", attributes: [["success", "false"]] })) as {
    event: Record<string, unknown>;
  };
  t.deepEqual(logout.event, { kind: "event", action: "ox.logout", category: ["authentication"], type: ["end"], severity: 6, outcome: "failure" });

  const line = formatEcs({
    ...base,
    eventId: "ox.mail.send",
    level: Level.WARN,
    procId: "worker-1",
    attributes: [
      ["login", "a"],
      ["login", "b"],
      ["ip", "not.an.ip"],
      ["outcome", "attempt"],
      ["%x", null],
      ["", "e"],
    ],
  });
  checkTypes(t, line);
  t.deepEqual(JSON.parse(line), {
    "@timestamp": "2026-01-02T03:04:05.006Z",
    ecs: { version: "8.11.0" },
    event: { kind: "event", action: "ox.mail.send", severity: 4, outcome: "unknown" },
    log: { logger: ECS_LOGGER, level: "WARN" },
    host: { hostname: "mail1" },
    service: { name: "slf4ts" },
    message: "ox.mail.send login=a login=b ip=not.an.ip outcome=attempt %x=\\N =e",
    slf4ts: { audit: { attributes: { login: ["a", "b"], ip: "not.an.ip", outcome: "attempt", "%25x": null, "%": "e" } } },
  });
});

test("IPv6 accepted, zone index refused", (t) => {
  const v6 = JSON.parse(formatEcs({ ...base, attributes: [["ip", "2001:db8::1"]] })) as { source?: { ip: string } };
  t.is(v6.source?.ip, "2001:db8::1");
  const zone = JSON.parse(formatEcs({ ...base, attributes: [["ip", "fe80::1%eth0"]] })) as Record<string, unknown>;
  t.false("source" in zone);
  t.deepEqual((zone["slf4ts"] as { audit: { attributes: unknown } }).audit.attributes, { ip: "fe80::1%eth0" });
});

test("attribute keys are percent-encoded and decode back; __proto__ stays a key", (t) => {
  for (const name of ["a.b", "a%2Eb", "..", "plain", "__proto__"]) {
    const key = ecsAttributeKey(name);
    t.false(key.includes("."));
    t.is(decodeURIComponent(key), name);
  }
  const doc = JSON.parse(formatEcs({ ...base, attributes: [["__proto__", "p"], ["a.b", "1"], ["a", "2"]] })) as {
    slf4ts: { audit: { attributes: Record<string, unknown> } };
  };
  t.deepEqual(Object.keys(doc.slf4ts.audit.attributes), ["__proto__", "a%2Eb", "a"]);
  t.is(doc.slf4ts.audit.attributes["a%2Eb"], "1");
});

test("outcome words", (t) => {
  t.is(ecsOutcome(" Success "), "success");
  t.is(ecsOutcome("FAILED"), "failure");
  t.is(ecsOutcome("denied"), "failure");
  t.is(ecsOutcome("attempt"), "unknown");
  t.is(ecsOutcome(null), "unknown");
});

test("line separators escaped; unrepresentable time leaves @timestamp out", (t) => {
  const line = formatEcs({ ...base, timestamp: NaN, attributes: [["v", "a\u2028b\u0085c\nd"]] });
  checkTypes(t, line);
  const doc = JSON.parse(line) as Record<string, unknown>;
  t.false("@timestamp" in doc);
  t.deepEqual((doc["slf4ts"] as { audit: { attributes: unknown } }).audit.attributes, { v: "a\u2028b\u0085c\nd" });
});

// --- the event table and static fields -------------------------------------------------------

import { compileEcsEventTable, ecsDocument, ecsStaticFieldProblem, parseEcsCategorization, type EcsCategorization } from "../src/format/ecs.js";

const row = (text: string): EcsCategorization | null => {
  const parsed = parseEcsCategorization(text);
  if (!parsed.ok) throw new Error(parsed.expected);
  return parsed.value;
};

test("event table: the most specific glob wins, then the earlier; - means none; the shipped defaults only when no row matches", (t) => {
  const categorize = compileEcsEventTable([
    ["*", row("web:info")],
    ["ox.*", row("session:info")],
    ["ox.login*", row("authentication:start:failure")],
    ["*x.logins", row("iam:user")],
    ["ox.login.?", row("iam:group")],
    ["ox.l*", row("host:info")],
    ["imap.external.login", row("-")],
  ]);
  t.deepEqual(categorize("ox.logins"), { category: ["authentication"], type: ["start"], outcome: "failure" }, "ox.login* and *x.logins are as specific: the earlier wins");
  t.deepEqual(categorize("ox.login.a")?.type, ["group"], "? counts as a character: ox.login.? beats ox.login*");
  t.deepEqual(categorize("ox.logout")?.category, ["host"], "ox.l* (4 characters) beats ox.* (3)");
  t.deepEqual(categorize("ox.x")?.category, ["session"]);
  t.deepEqual(categorize("anything")?.category, ["web"]);
  t.is(categorize("imap.external.login"), undefined, "- suppresses the default");
  const defaults = compileEcsEventTable([]);
  t.deepEqual(defaults("imap.external.login"), { category: ["authentication", "network"], type: ["start", "connection"], outcome: "success" });
  t.deepEqual(defaults("pop3.primary.login")?.type, ["start", "connection"]);
  t.deepEqual(defaults("smtp.primary.sent"), { category: ["email"], type: ["info"], outcome: "success" });
  t.is(defaults("smtp.primary.invalid")?.outcome, "failure");
  t.is(defaults("imap.primary.logout"), undefined);
  t.is(defaults("ox.login.x"), undefined, "ox.login is an exact id, not a prefix");
});

test("event table: a glob of many stars against a long id is matched quickly (no backtracking regex)", (t) => {
  const categorize = compileEcsEventTable([["*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", row("web:info")]]);
  const started = process.hrtime.bigint();
  t.is(categorize("a".repeat(5000)), undefined);
  t.deepEqual(categorize("a".repeat(5000) + "b")?.category, ["web"]);
  // Not a timing assertion of the product: a regex here would take minutes, so the test would time out.
  t.true(process.hrtime.bigint() - started < 30_000_000_000n);
});

test("event-table values: allowed ECS 8.11 words only, case and spaces forgiven", (t) => {
  t.deepEqual(parseEcsCategorization(" Network , Authentication : connection,START : Success "), { ok: true, value: { category: ["network", "authentication"], type: ["connection", "start"], outcome: "success" } });
  t.deepEqual(parseEcsCategorization("-"), { ok: true, value: null });
  for (const bad of ["authentication", "a:b:c:d", "authentication:", ":start", "authentication:start:maybe", "auth:start", "authentication:logon", ""]) {
    t.false(parseEcsCategorization(bad).ok, bad);
  }
});

test("outcome: an attribute that says success or failure wins over the table; unknown gives way to the table's outcome", (t) => {
  const categorize = compileEcsEventTable([["x", row("authentication:start:failure")]]);
  const outcome = (attributes: AuditEvent["attributes"]): unknown => (ecsDocument({ ...base, eventId: "x", attributes }, { categorize }).event as Record<string, unknown>)["outcome"];
  t.is(outcome([["result", "ok"]]), "success");
  t.is(outcome([["result", "maybe"]]), "failure");
  t.is(outcome([]), "failure");
  t.is((ecsDocument({ ...base, eventId: "y", attributes: [] }, { categorize }).event as Record<string, unknown>)["outcome"], undefined);
});

test("static fields: nested by dots into the document, service.name replaced, no field written per record replaceable", (t) => {
  const doc = ecsDocument(base, { fields: [["service.name", "ox-mail"], ["event.dataset", "ox.audit"], ["data_stream.namespace", "prod"], ["labels.site", "fra-1"]] });
  t.deepEqual(doc["service"], { name: "ox-mail" });
  t.is((doc["event"] as Record<string, unknown>)["dataset"], "ox.audit");
  t.is((doc["event"] as Record<string, unknown>)["action"], "ox.login");
  t.deepEqual(doc["data_stream"], { namespace: "prod" });
  t.deepEqual(doc["labels"], { site: "fra-1" });
  for (const ok of ["service.name", "event.dataset", "data_stream.type", "labels.a-b_c", "organization.name", "tags"]) t.is(ecsStaticFieldProblem(ok), undefined, ok);
  for (const written of ["@timestamp", "message", "event.action", "event", "event.kind.x", "log.level", "host.hostname", "host", "slf4ts.x", "process.pid", "user.name", "source.ip", "ecs.version"]) {
    t.regex(ecsStaticFieldProblem(written) ?? "", /is written for every record by the ECS format/, written);
  }
  for (const bad of ["", "a..b", ".a", "a.", "_id", "a b", "é"]) t.regex(ecsStaticFieldProblem(bad) ?? "", /expected an ECS field name/, JSON.stringify(bad));
});
