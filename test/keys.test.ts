/**
 * The key table (src/config/keys.ts) as the one place a key is declared: every key has its
 * parser, default, example and documentation; the reload fingerprint notices a change of every
 * key and every target option; docs/keys.md and etc/slf4j-auditlog.properties agree with it.
 */
import test from "ava";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_KEYS, KEY_PREFIX, TARGET_KEYS, targetOptionSpec, type KeySpec, type TargetKeySpec } from "../src/config/keys.js";
import { resolveConfig, type PropertySource, type ResolveResult } from "../src/config/schema.js";
import { parseProperties } from "../src/java/properties.js";
import { oneOf, wholeNumber } from "../src/config/parsers.js";
import { renderKeysDoc } from "../scripts/keys-doc.js";
import { tempDir } from "./lib/helpers.js";

const properties = (values: Readonly<Record<string, string>>): PropertySource[] =>
  Object.entries(values).map(([name, value], i) => ({ key: KEY_PREFIX + name, value, line: i + 1 }));

const fingerprintOf = (result: ResolveResult, what: string): string => {
  if (!result.ok) throw new Error(`${what}: ${result.problems.map((p) => `${p.key} = ${p.value}: ${p.expected}`).join("; ")}`);
  return result.config.fingerprint;
};

test("every key and target option declares a default that parses, an example that parses to something else, and its documentation", (t) => {
  const context = { baseDir: "/etc/app" };
  const check = (label: string, spec: Pick<KeySpec, "doc" | "example" | "defaultValue" | "parse" | "reloads">): void => {
    t.true(spec.doc.length > 20, `${label}: doc`);
    t.not(spec.example, spec.defaultValue, `${label}: the example is not the default`);
    const example = spec.parse(spec.example, context);
    t.true(example.ok, `${label}: the example ${spec.example} parses`);
    const fallback = spec.parse(spec.defaultValue, context);
    t.true(fallback.ok, `${label}: the default parses`);
    if (example.ok && fallback.ok) t.notDeepEqual(example.value, fallback.value, `${label}: the example means something else than the default`);
    t.true(spec.reloads, `${label}: reloads (every key does; a key that does not must say so in the docs)`);
  };
  for (const spec of CONFIG_KEYS) {
    check(spec.name, spec);
    t.true(spec.values.length > 0, `${spec.name}: values`);
  }
  for (const spec of TARGET_KEYS) check(`target option ${spec.option}`, spec);
  t.is(new Set(CONFIG_KEYS.map((k) => k.name)).size, CONFIG_KEYS.length, "no key twice");
  t.is(new Set(TARGET_KEYS.map((k) => k.option)).size, TARGET_KEYS.length, "no target option twice");
});

test("the reload fingerprint notices a change of every key: each key set to its example changes it", (t) => {
  const dir = tempDir(t);
  const keyFile = (name: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `secret=${randomBytes(32).toString("hex")}\nstart=2026-01-01T00:00:00Z\n`, { mode: 0o600 });
    return path;
  };
  // Dedicated mode with integrity on, so every key has its effect.
  const base = { enabled: "true", "file.location": join(dir, "audit.log"), "integrity.mode": "hmac", "integrity.key": keyFile("a.key") };
  const before = fingerprintOf(resolveConfig(properties(base), dir), "base");
  const changes: Record<string, string> = {
    enabled: "false",
    "file.location": join(dir, "other.log"),
    "integrity.mode": "off",
    "integrity.key": keyFile("b.key"),
  };
  for (const spec of CONFIG_KEYS) {
    const value = changes[spec.name] ?? spec.example;
    const after = fingerprintOf(resolveConfig(properties({ ...base, [spec.name]: value }), dir), `${spec.name}=${value}`);
    t.not(after, before, `${spec.name}=${value} changes the fingerprint`);
  }
  // And a change that means nothing new leaves it alone: a reload then keeps everything as it is.
  t.is(fingerprintOf(resolveConfig(properties({ ...base, level: " INFO ", "file.compress": "false" }), dir), "same"), before);
});

test("the reload fingerprint notices a change of every target option", async (t) => {
  const dir = tempDir(t);
  const { generateTestCerts } = await import("./lib/certs.js");
  const certs = await generateTestCerts(join(dir, "certs"));
  const copy = (from: string, name: string): string => {
    copyFileSync(from, join(dir, name));
    return join(dir, name);
  };
  const target = (options: Readonly<Record<string, string>>): Record<string, string> =>
    Object.fromEntries([["enabled", "true"], ...Object.entries(options).map(([option, value]) => [`target.t.${option}`, value])]);
  // Each option is changed on a target it applies to (compression is for GELF datagrams and files).
  const bases: Record<string, Record<string, string>> = {
    tls: { type: "syslog", protocol: "tls", host: "127.0.0.1", port: "1514", "tls.ca": certs.caCert, "tls.cert": certs.clientCert, "tls.key": certs.clientKey },
    gelf: { type: "gelf", host: "127.0.0.1" },
    file: { type: "file", path: join(dir, "copy.log") },
    ecs: { type: "file", format: "ecs", path: join(dir, "copy.json") },
  };
  const baseOf: Record<string, keyof typeof bases> = {
    compress: "gelf",
    path: "file",
    size: "file",
    count: "file",
    maxAge: "file",
    shortMessage: "gelf",
    fullMessage: "gelf",
    "field.<name>": "gelf",
    "ecs.event.<glob>": "ecs",
  };
  // A family of options (field.<name>, ecs.event.<glob>) is set through one member of it.
  const member: Record<string, string> = { "field.<name>": "field.site", "ecs.event.<glob>": "ecs.event.ox.*" };
  const changes: Record<string, string> = {
    type: "tcp",
    // The same material at another path: the option's value changes, the pair still matches.
    "tls.ca": copy(certs.caCert, "ca-copy.pem"),
    "tls.cert": copy(certs.clientCert, "client-copy.pem"),
    "tls.key": copy(certs.clientKey, "client-copy.key"),
  };
  const keyFile = join(dir, "audit.key");
  writeFileSync(keyFile, `secret=${"ab".repeat(32)}\n`, { mode: 0o600 });
  for (const spec of TARGET_KEYS) {
    // origin.swVersion goes with origin.software (a version of nothing is refused).
    const base = { ...(bases[baseOf[spec.option] ?? "tls"] as Record<string, string>), ...(spec.option === "origin.swVersion" ? { "origin.software": "slf4ts" } : {}) };
    // integrity=on needs a chain: dedicated mode with integrity.mode on.
    const chain: Record<string, string> = spec.option === "integrity" ? { "file.location": join(dir, "audit.log"), "integrity.mode": "hmac", "integrity.key": keyFile } : {};
    const before = fingerprintOf(resolveConfig(properties({ ...chain, ...target(base) }), dir), `base of ${spec.option}`);
    const value = changes[spec.option] ?? spec.example;
    const after = fingerprintOf(resolveConfig(properties({ ...chain, ...target({ ...base, [member[spec.option] ?? spec.option]: value }) }), dir), `target option ${spec.option}=${value}`);
    t.not(after, before, `${spec.option}=${value} changes the fingerprint`);
  }
});

test("docs/keys.md is what the key table generates (npm run docs:keys writes it)", (t) => {
  const text = readFileSync(new URL("../../docs/keys.md", import.meta.url), "utf8");
  t.is(text, renderKeysDoc(), "docs/keys.md is stale: run npm run docs:keys");
  for (const spec of CONFIG_KEYS) t.true(text.includes(`| \`${spec.name}\``), spec.name);
  for (const spec of TARGET_KEYS) t.true(text.includes(`| \`${spec.option}\``), spec.option);
});

test("the target examples of etc/slf4j-auditlog.properties use only options the table knows, with values they accept", (t) => {
  const text = readFileSync(new URL("../../etc/slf4j-auditlog.properties", import.meta.url), "utf8");
  const commented = text
    .split("\n")
    .filter((line) => line.startsWith(`#${KEY_PREFIX}target.`))
    .map((line) => line.slice(1))
    .join("\n");
  const { entries } = parseProperties(commented);
  t.true(entries.length > 5);
  for (const entry of entries) {
    const option = entry.key.slice(KEY_PREFIX.length).replace(/^target\.[^.]+\./, "");
    const spec: Pick<TargetKeySpec, "parse"> | undefined = targetOptionSpec(option)?.spec;
    t.not(spec, undefined, `${entry.key} is a known target option`);
    t.true(spec?.parse(entry.value, { baseDir: "/etc/app" }).ok, `${entry.key}=${entry.value} parses`);
  }
});

test("property: wholeNumber accepts exactly the whole numbers of its range, written in at most its digits", (t) => {
  const context = { baseDir: "/" };
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 100_000 }), fc.string({ maxLength: 8 }), (min, span, text) => {
      const max = min + span;
      const parsed = wholeNumber(min, max, "expected")(text, context);
      const t2 = text.trim();
      const valid = /^[0-9]+$/.test(t2) && t2.length <= String(max).length && Number(t2) >= min && Number(t2) <= max;
      return parsed.ok ? valid && parsed.value === Number(t2) : !valid && parsed.expected === "expected";
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000 }), (n) => {
      const parsed = wholeNumber(0, 100_000, "expected")(` ${n} `, context);
      return parsed.ok && parsed.value === n;
    }),
  );
  t.pass();
});

test("property: oneOf gives the canonical word for any case and spacing, the alias's word for an alias, and the expected text for anything else", (t) => {
  const context = { baseDir: "/" };
  const parse = oneOf(["gzip", "none"], "expected gzip or none", { true: "gzip", false: "none" });
  fc.assert(
    fc.property(fc.constantFrom("gzip", "none", "true", "false"), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), fc.nat(3), (word, upper, pad) => {
      const written = " ".repeat(pad) + [...word].map((c, i) => (upper[i] === true ? c.toUpperCase() : c)).join("") + " ".repeat(pad);
      const parsed = parse(written, context);
      return parsed.ok && parsed.value === ({ gzip: "gzip", none: "none", true: "gzip", false: "none" } as Record<string, string>)[word];
    }),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 10 }), (text) => {
      const known = ["gzip", "none", "true", "false"].includes(text.trim().toLowerCase());
      const parsed = parse(text, context);
      return known ? parsed.ok : !parsed.ok && parsed.expected === "expected gzip or none";
    }),
  );
  // Inherited names of a plain object are no aliases.
  t.false(parse("constructor", context).ok);
  t.false(parse("__proto__", context).ok);
});
