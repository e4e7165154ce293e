/**
 * etc/ecs-template.json, the Elasticsearch index template shipped for the ECS format: valid JSON,
 * only Elasticsearch field types that ECS 8.11 uses, each ECS field with its ECS 8.11 type (the
 * field list in test/fixtures/ecs-8.11-fields.json comes from ECS's generated ecs_flat.yml at tag
 * v8.11.0), and every field the ECS format writes mapped, explicitly or by a dynamic template,
 * the attributes as keywords.
 */
import test from "ava";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { Level } from "../src/facade/level.js";
import { ecsDocument, ECS_EVENT_DEFAULTS } from "../src/format/ecs.js";
import type { AuditEvent } from "../src/format/event.js";

interface Mapping {
  readonly type?: string;
  readonly properties?: Record<string, Mapping>;
  readonly fields?: Record<string, Mapping>;
}
interface Template {
  readonly index_patterns: string[];
  readonly data_stream: object;
  readonly priority: number;
  readonly template: {
    readonly mappings: {
      readonly dynamic_templates: Array<Record<string, { path_match: string; mapping: Mapping }>>;
      readonly properties: Record<string, Mapping>;
    };
  };
}

const template = JSON.parse(readFileSync(new URL("../../etc/ecs-template.json", import.meta.url), "utf8")) as Template;
const ecs = (JSON.parse(readFileSync(new URL("../../test/fixtures/ecs-8.11-fields.json", import.meta.url), "utf8")) as { fields: Record<string, string> }).fields;

/** Every mapped path with its type (objects included, multi-fields as `path.name`). */
function mapped(properties: Record<string, Mapping>, prefix = "", out = new Map<string, string>()): Map<string, string> {
  for (const [name, mapping] of Object.entries(properties)) {
    const path = prefix + name;
    out.set(path, mapping.type ?? "object");
    if (mapping.properties !== undefined) mapped(mapping.properties, path + ".", out);
    for (const [sub, field] of Object.entries(mapping.fields ?? {})) out.set(`${path}.${sub}`, field.type ?? "object");
  }
  return out;
}

/** Leaf paths of a document (arrays are leaves: keyword fields take arrays). */
function leaves(value: unknown, prefix = "", out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix === "" ? k : `${prefix}.${k}`, out);
  } else {
    out.push([prefix, value]);
  }
  return out;
}

/** Elasticsearch's path_match: `*` any run of characters. */
const pathMatches = (glob: string, path: string): boolean => new RegExp(`^${glob.split("*").map((p) => p.replace(/[.\\^$+?()[\]{}|]/g, "\\$&")).join(".*")}$`, "s").test(path);

const paths = mapped(template.template.mappings.properties);
const dynamic = template.template.mappings.dynamic_templates.flatMap((entry) => Object.values(entry));

/** The mapping type a leaf path gets: explicit, or from the first dynamic template that matches it. */
function typeOf(path: string): string | undefined {
  return paths.get(path) ?? dynamic.find((d) => pathMatches(d.path_match, path))?.mapping.type;
}

test("the template is an index template for a logs data stream, with a higher priority than the built-in logs-*-*", (t) => {
  t.deepEqual(template.index_patterns, ["logs-slf4ts.audit-*"]);
  t.deepEqual(template.data_stream, {});
  t.true(template.priority > 100);
  t.is(paths.get("@timestamp"), "date", "a data stream needs @timestamp as a date");
});

test("every mapping type is one ECS 8.11 uses, and every ECS field has its ECS 8.11 type; other fields live under slf4ts", (t) => {
  const esTypes = new Set([...Object.values(ecs), "object"]);
  for (const [path, type] of paths) {
    t.true(esTypes.has(type), `${path}: ${type} is an ECS/Elasticsearch type`);
    if (type === "object") continue;
    if (path === "user.name.text") {
      t.is(type, "match_only_text", "ECS's multi-field of user.name");
      continue;
    }
    if (path.startsWith("slf4ts.")) continue;
    t.is(ecs[path], type, `${path} has its ECS 8.11 type`);
  }
  for (const d of dynamic) {
    t.true(esTypes.has(d.mapping.type ?? ""), d.path_match);
    t.true(d.path_match === "labels.*" || d.path_match.startsWith("slf4ts."), `${d.path_match}: a dynamic template only for labels and our namespace`);
  }
  t.is(typeOf("slf4ts.audit.attributes.client%2Eip"), "keyword", "the attributes are keywords");
  t.is(ecs["labels"], "object");
});

const base: AuditEvent = {
  timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
  level: Level.INFO,
  eventId: "ox.login",
  attributes: [],
  hostname: "mail1",
  appName: "slf4ts",
  procId: "4242",
};
const staticFields = [
  ["service.name", "ox-mail"],
  ["service.environment", "prod"],
  ["event.dataset", "slf4ts.audit"],
  ["event.module", "ox"],
  ["data_stream.type", "logs"],
  ["data_stream.dataset", "slf4ts.audit"],
  ["data_stream.namespace", "default"],
  ["labels.site", "fra-1"],
  ["tags", "audit"],
] as const;

test("every field the ECS format writes is mapped, for every shipped event and the documented static fields", (t) => {
  const events: AuditEvent[] = [
    ...ECS_EVENT_DEFAULTS.map(([glob]) => ({ ...base, eventId: glob.replace("*", "primary"), attributes: [["login", "alice"], ["ip", "192.0.2.1"], ["result", "ok"], ["imap.server", "h"], ["x", null], ["x", "2"]] as const })),
    { ...base, eventId: "custom", timestamp: NaN, procId: "n/a" },
  ];
  for (const event of events) {
    for (const [path, value] of leaves(ecsDocument(event, { fields: staticFields }))) {
      const type = typeOf(path);
      t.not(type, undefined, `${path} (${event.eventId}) is mapped`);
      if (type === "long") t.true(Number.isInteger(value), path);
      if (type === "date") t.regex(String(value), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, path);
    }
  }
});

test("property: whatever the attribute names, every leaf of an ECS document is mapped", (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.option(fc.string({ maxLength: 8 }))), { maxLength: 8 }), (attributes) => {
      const doc = ecsDocument({ ...base, attributes }, { fields: staticFields });
      return leaves(doc).every(([path]) => typeOf(path) !== undefined);
    }),
  );
  t.pass();
});
