/**
 * Hostile input through the real service into real files: arbitrary Unicode and attack
 * characters, values that fight back, secrets, and records past the maximum length.
 */
import test from "ava";
import fc from "fast-check";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createAuditLogService, LoggerFactory, parseAuditLine, type AuditAttributes, type LoggerBinding, type RecordFormat } from "../src/index.js";
import { compileRecordBuilder } from "../src/record/builder.js";
import { createEscaper } from "../src/record/escaping.js";
import { P, readLines, tempDir } from "./lib/helpers.js";

// Standard-mode records (and the library's status reports) are recorded here instead of
// going to log4js; each test file runs in its own process, so this binding is ours alone.
const recorded: string[] = [];
const recording: LoggerBinding = {
  name: "recording",
  getLogger: (name) => ({ isEnabled: () => true, log: (r) => void recorded.push(`${name}|${r.message}`) }),
};
LoggerFactory.setBinding(recording);

const DEFAULT_MASK_WORDS = ["password", "passwd", "pwd", "secret", "token", "authorization", "cookie", "credential", "api_key", "apikey", "private_key"];

/** Raw characters that must never appear in a record line. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udfff]/u;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The text appended to a cut message. */
const markerText = (n: number): string => `...[truncated ${n} characters]`;

const hostilePiece = fc.constantFrom(
  "\r",
  "\n",
  "\r\n",
  "\u0085",
  "\u2028",
  "\u2029",
  "\u001b[2J",
  "\u001b]0;title\u0007",
  "\u009b31m",
  "\u0080",
  "\u009f",
  "\u202e",
  "\u2066",
  "\u2069",
  "\u200f",
  "\u061c",
  "\ud800",
  "\udfff",
  "\udfff\ud800",
  "\u{1F600}",
  "=",
  "\\",
  "\\\\",
  "\\N",
  "\\u0041",
  "|",
  ", ",
  ",",
  ";",
  "N",
  "\u00a7",
  "ab",
  "a",
  "b",
  "\u0000",
  "\t",
  "\u007f",
);
const hostileString = fc.array(fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), hostilePiece), { maxLength: 6 }).map((parts) => parts.join(""));
const unmaskedName = hostileString.filter((name) => !DEFAULT_MASK_WORDS.some((w) => name.toLowerCase().includes(w)));
const delimiterChoice = fc.constantFrom("|", ", ", ";", "N", "\u00a7", "ab");

/** Configures a fresh dedicated-mode service writing `file` with the given extra keys. */
async function dedicated(file: string, extra: Record<string, string> = {}) {
  const svc = createAuditLogService();
  await svc.configure({ properties: { [`${P}enabled`]: "true", [`${P}file.location`]: file, ...extra }, watch: false });
  return svc;
}

function fileText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

// (a) -------------------------------------------------------------------------------------

test("property: through the service, each log() adds exactly one clean line that parses back to what was logged", async (t) => {
  const dir = tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      delimiterChoice,
      fc.boolean(),
      fc.array(
        fc.record({
          eventId: hostileString.filter((id) => id !== ""),
          attributes: fc.array(fc.tuple(unmaskedName, fc.oneof({ weight: 5, arbitrary: hostileString }, { weight: 1, arbitrary: fc.constant(null) })), { maxLength: 5 }),
          asObject: fc.boolean(),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      async (delimiter, includeAttributeNames, events) => {
        const file = join(dir, `audit-${run++}.log`);
        const svc = await dedicated(file, { [`${P}delimiter`]: `"${delimiter}"`, [`${P}includeAttributeNames`]: String(includeAttributeNames) });
        try {
          const format: RecordFormat = { delimiter, includeAttributeNames };
          let expectedLines = 0;
          for (const { eventId, attributes, asObject } of events) {
            // A plain object cannot hold a repeated name (nor keep integer-like names in order),
            // so only use one when the names allow it.
            const distinct = new Set(attributes.map(([n]) => n)).size === attributes.length && !attributes.some(([n]) => /^(0|[1-9][0-9]*)$/.test(n));
            const input: AuditAttributes = asObject && distinct ? Object.fromEntries(attributes) : attributes;
            svc.log(eventId, input);
            expectedLines++;
            const text = fileText(file);
            assert.equal(countLines(text), expectedLines, "one log() call, one line");
            const lines = text.slice(0, -1).split("\n");
            const line = lines[lines.length - 1] as string;
            assert.ok(!UNSAFE.test(line), `no raw control, line-break or bidi character in ${JSON.stringify(line)}`);
            assert.ok(!LONE_SURROGATE.test(line), "no lone surrogate");
            assert.deepEqual(parseAuditLine(line, format), {
              eventId,
              attributes: attributes.map(([name, value]) => [includeAttributeNames ? name : undefined, value] as const),
            });
          }
        } finally {
          await svc.shutdown();
        }
      },
    ),
    { numRuns: 250 },
  );
  t.pass();
});

// (b) -------------------------------------------------------------------------------------

function hostileValues(): Array<[string, unknown, (rendered: string | null) => boolean]> {
  const boom = (what: string) => (): never => {
    throw new Error(what);
  };
  const everyTrapThrows = new Proxy({}, new Proxy({}, { get: (_target, trap) => () => { throw new Error(`trap ${String(trap)}`); } }));
  const revocable = Proxy.revocable({ a: 1 }, {});
  revocable.revoke();
  const selfMap = new Map<string, unknown>();
  selfMap.set("self", selfMap);
  const cyclic: Record<string, unknown> = { name: "root" };
  cyclic["me"] = cyclic;
  const throwsProxy = (): never => {
    throw everyTrapThrows;
  };
  let dag: unknown = { leaf: 1 };
  for (let i = 0; i < 40; i++) dag = [dag, dag];
  let deep: unknown = "bottom";
  for (let i = 0; i < 100_000; i++) deep = { d: deep };
  const sparse: unknown[] = [];
  sparse.length = 4_000_000_000;
  const is = (expected: string) => (r: string | null) => r === expected;
  return [
    ["throwing getter", { get x() { return boom("getter")(); }, y: 1 }, is('{"x":"[getter threw: Error: getter]","y":1}')],
    ["throwing getter inside a nested object", { outer: { inner: { get x() { return boom("deep getter")(); } } } }, is('{"outer":{"inner":{"x":"[getter threw: Error: deep getter]"}}}')],
    ["throwing getter inside an array", [1, { get x() { return boom("in array")(); } }], is('[1,{"x":"[getter threw: Error: in array]"}]')],
    ["throwing toString", { toString: boom("toString") }, is("[toString threw: Error: toString]")],
    ["throwing Symbol.toPrimitive", { [Symbol.toPrimitive]: boom("toPrimitive"), a: 1 }, is('{"a":1}')],
    ["throwing Symbol.toPrimitive and toString", { [Symbol.toPrimitive]: boom("toPrimitive"), toString: boom("toString") }, is("[toString threw: Error: toString]")],
    ["a Proxy whose every trap throws", everyTrapThrows, (r) => r !== null && r.startsWith("[unrenderable: Error: trap ")],
    ["a revoked Proxy", revocable.proxy, (r) => r !== null && r.startsWith("[unrenderable: TypeError: ") && r.includes("revoked")],
    ["a getter that throws a hostile Proxy", { get x() { return throwsProxy(); } }, (r) => r !== null && r.startsWith('{"x":"[getter threw: [unrenderable: Error: trap ')],
    ["a cyclic object", cyclic, is('{"name":"root","me":"[Circular]"}')],
    ["a Map containing itself", selfMap, is('{"self":"[Circular]"}')],
    ["a Set containing itself", ((s: Set<unknown>) => (s.add(s), s))(new Set<unknown>([1])), is('[1,"[Circular]"]')],
    ["a symbol", Symbol("tag"), is("Symbol(tag)")],
    ["a symbol in an object", { s: Symbol("inner") }, is('{"s":"Symbol(inner)"}')],
    ["an own __proto__ key", JSON.parse('{"__proto__":{"polluted":true},"b":2}') as unknown, is('{"__proto__":{"polluted":true},"b":2}')],
    ["a throwing toJSON", { toJSON: boom("toJSON") }, is("[toJSON threw: Error: toJSON]")],
    ["a throwing toJSON nested", { a: { toJSON: boom("nested toJSON") } }, is('{"a":"[toJSON threw: Error: nested toJSON]"}')],
    ["an Error whose name and message getters throw", Object.defineProperties(new Error("x"), { name: { get: boom("name") }, message: { get: boom("message") } }), is("[getter threw: Error: name]: [getter threw: Error: message]")],
    ["a function", function named() {}, is("[Function named]")],
    ["bigints in an array", [1n, 2n], is('["1","2"]')],
    ["a shared sub-object doubling 40 times", dag, (r) => r !== null && r.startsWith('[[[[') && r.length <= 65536 && r.endsWith(" characters]")],
    ["100,000 levels of nesting", deep, (r) => r !== null && r.includes('"[nested too deep]"')],
    ["an array of length 4e9", sparse, (r) => r !== null && r.startsWith("[null,null,") && r.length <= 65536 && r.endsWith(" characters]")],
    ["a null-prototype object", Object.assign(Object.create(null) as object, { a: 1 }), is('{"a":1}')],
    ["an invalid Date", new Date(NaN), is("Invalid Date")],
    ["a fake Date", Object.create(Date.prototype) as unknown, (r) => r !== null && r.startsWith("[toString threw: TypeError")],
  ];
}

test("values that fight back: log() never throws, each writes one line with a sensible rendering", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  const svc = await dedicated(file, { [`${P}delimiter`]: '"|"' });
  const format: RecordFormat = { delimiter: "|", includeAttributeNames: true };
  const cases = hostileValues();
  for (const [what, value] of cases) {
    t.notThrows(() => svc.log("ev", { v: value }), what);
  }
  const lines = readLines(file);
  t.is(lines.length, cases.length);
  cases.forEach(([what, , check], i) => {
    const line = lines[i] as string;
    t.true(line.length <= 65536, `${what}: within record.maxLength`);
    const parsed = parseAuditLine(line, format);
    const rendered = parsed.attributes[0]?.[1] ?? null;
    t.true(check(rendered), `${what}: ${JSON.stringify(rendered?.slice(0, 200))}`);
  });
  await svc.shutdown();
});

test("attributes that fight back: hostile containers, pairs and names never throw, with or without a filter", async (t) => {
  const dir = tempDir(t);
  const format: RecordFormat = { delimiter: "|", includeAttributeNames: true };
  const everyTrapThrows = new Proxy({}, new Proxy({}, { get: () => () => { throw new Error("trap"); } }));
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const cases: Array<[string, unknown, (line: string) => boolean]> = [
    ["a Proxy as the attributes", everyTrapThrows, (l) => l.startsWith("ev|slf4ts.error=attributes could not be read: ")],
    ["a revoked Proxy as the attributes", revocable.proxy, (l) => l.startsWith("ev|slf4ts.error=attributes could not be read: TypeError")],
    ["a Proxy as one pair", [["a", 1], everyTrapThrows], (l) => l === "ev|a=1|=[unrenderable: Error: trap]"],
    ["a revoked Proxy as one pair", [["a", 1], revocable.proxy], (l) => l.startsWith("ev|a=1|slf4ts.error=attribute could not be read: TypeError")],
    ["an array Proxy whose get trap throws as one pair", [new Proxy([], { get: () => { throw new Error("pair"); } })], (l) => l === "ev|slf4ts.error=attribute could not be read: Error: pair"],
    ["a name with a throwing toString", [[{ toString: () => { throw new Error("name"); } }, 1]], (l) => l === "ev|[toString threw: Error: name]=1"],
    ["a symbol as a name", [[Symbol("n"), 1]], (l) => l === "ev|Symbol(n)=1"],
    ["__proto__ as a name", [["__proto__", "x"]], (l) => l === "ev|__proto__=x"],
    ["an own __proto__ key", JSON.parse('{"__proto__":"x","a":1}') as unknown, (l) => l === "ev|__proto__=x|a=1"],
    ["an iterator that throws half-way", (function* () { yield ["a", 1]; throw new Error("stop"); })(), (l) => l === "ev|a=1|slf4ts.error=attributes iterator threw: Error: stop"],
  ];
  for (const withFilter of [false, true]) {
    const file = join(dir, `audit-${withFilter}.log`);
    const svc = await dedicated(file, { [`${P}delimiter`]: '"|"' });
    if (withFilter) svc.addFilter(() => true);
    for (const [what, attributes] of cases) {
      t.notThrows(() => svc.log("ev", attributes as AuditAttributes), what);
    }
    const lines = readLines(file);
    t.is(lines.length, cases.length);
    cases.forEach(([what, , check], i) => {
      const line = lines[i] as string;
      t.notThrows(() => parseAuditLine(line, format), what);
      // With a filter the service reads the attributes itself first; the record says the same things.
      if (!withFilter) t.true(check(line), `${what}: ${line}`);
      else t.true(line.startsWith("ev"), `${what}: ${line}`);
    });
    await svc.shutdown();
  }
});

// (c) -------------------------------------------------------------------------------------

const SECRET = "hunter2-S3CR3T-value";

test("secrets: the default list masks password, smtp.password, Authorization, session_token and Cookie in dedicated mode", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  const svc = await dedicated(file, { [`${P}delimiter`]: '"|"' });
  const format: RecordFormat = { delimiter: "|", includeAttributeNames: true };
  svc.log("ox.login", { login: "thorben", password: SECRET, "smtp.password": SECRET, Authorization: `Bearer ${SECRET}`, session_token: SECRET, Cookie: `sid=${SECRET}`, nothing: null });
  svc.log("ox.login", new Map<string, unknown>([["PASSWD", SECRET], ["user.pwd", SECRET], ["X-ApiKey", SECRET], ["note", "keeps hunter2"]]));
  svc.log("ox.login", { headers: { authorization: SECRET, accept: "*/*" } });
  const text = readFileSync(file, "utf8");
  t.false(text.includes("S3CR3T"), "the secret is nowhere in the file");
  const lines = readLines(file).map((l) => parseAuditLine(l, format).attributes);
  t.deepEqual(lines[0], [
    ["login", "thorben"],
    ["password", "****"],
    ["smtp.password", "****"],
    ["Authorization", "****"],
    ["session_token", "****"],
    ["Cookie", "****"],
    ["nothing", null],
  ]);
  t.deepEqual(lines[1], [
    ["PASSWD", "****"],
    ["user.pwd", "****"],
    ["X-ApiKey", "****"],
    ["note", "keeps hunter2"],
  ]);
  t.deepEqual(lines[2], [["headers", '{"authorization":"****","accept":"*/*"}']]);
  await svc.shutdown();
});

test("secrets: mask.keep=2 keeps a prefix but never more than half, names off too, and the masked list is configurable", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  const svc = await dedicated(file, { [`${P}delimiter`]: '"|"', [`${P}mask.keep`]: "2", [`${P}includeAttributeNames`]: "false" });
  svc.log("ev", [["password", SECRET], ["token", "abc"], ["secret", "x"], ["cookie", ""], ["pwd", 1234567]]);
  const format: RecordFormat = { delimiter: "|", includeAttributeNames: false };
  t.deepEqual(parseAuditLine(readLines(file)[0] as string, format).attributes, [
    [undefined, "hu****"],
    [undefined, "a****"],
    [undefined, "****"],
    [undefined, "****"],
    [undefined, "12****"],
  ]);
  await svc.shutdown();

  const own = join(dir, "own.log");
  const svc2 = await dedicated(own, { [`${P}delimiter`]: '"|"', [`${P}mask.names`]: "PIN, otp" });
  svc2.log("ev", { pin: "1234", password: "visible-now", user_otp: "999999" });
  t.is(readLines(own)[0], "ev|pin=****|password=visible-now|user_otp=****");
  await svc2.shutdown();
});

test("secrets: an empty mask.names masks nothing", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  const svc = await dedicated(file, { [`${P}delimiter`]: '"|"', [`${P}mask.names`]: "" });
  svc.log("ev", { password: "shown" });
  await svc.shutdown();
  t.is(readLines(file)[0], "ev|password=shown");
});

test("secrets: a mask.names without words (',') masks nothing", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  const svc = await dedicated(file, { [`${P}delimiter`]: '"|"', [`${P}mask.names`]: "," });
  svc.log("ev", { password: "shown", Cookie: "c" });
  t.is(readLines(file)[0], "ev|password=shown|Cookie=c");
  await svc.shutdown();
});

test.serial("secrets: standard mode hands only masked values to the binding", async (t) => {
  const svc = createAuditLogService();
  await svc.configure({ properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"' }, watch: false });
  t.is(svc.stats().mode, "standard");
  recorded.length = 0;
  svc.log("ox.login", { login: "thorben", password: SECRET, Authorization: SECRET });
  svc.log("smtp", [["smtp.password", SECRET], ["Cookie", SECRET]]);
  svc.addFilter(() => true);
  svc.log("ox.login", { session_token: SECRET });
  const audit = recorded.filter((r) => r.startsWith("com.openexchange.log.audit.AuditLogService|"));
  t.deepEqual(audit, [
    "com.openexchange.log.audit.AuditLogService|ox.login|login=thorben|password=****|Authorization=****",
    "com.openexchange.log.audit.AuditLogService|smtp|smtp.password=****|Cookie=****",
    "com.openexchange.log.audit.AuditLogService|ox.login|session_token=****",
  ]);
  t.false(recorded.some((r) => r.includes("S3CR3T")));
  await svc.shutdown();
});

// (d) -------------------------------------------------------------------------------------

test("maximum length: a 10 MB value gives one line of at most record.maxLength characters, marked, that still parses", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  const svc = await dedicated(file, { [`${P}delimiter`]: '"|"', [`${P}record.maxLength`]: "4096" });
  const huge = "\u{1F600}\\\n|".repeat(2 * 1024 * 1024); // 10 Mi UTF-16 code units, escapes and astral characters
  t.is(huge.length, 10 * 1024 * 1024);
  const started = Date.now();
  svc.log("big", { before: "kept", v: huge, after: "cut" });
  t.log(`built and wrote a 10 MB value in ${Date.now() - started} ms`);
  svc.log("small", { v: "x" });
  const text = readFileSync(file, "utf8");
  const lines = readLines(file);
  t.is(lines.length, 2);
  const line = lines[0] as string;
  t.true(line.length <= 4096, `length ${line.length}`);
  t.true(text.indexOf("\n") <= 4096);
  const full = compileRecordBuilder({ delimiter: "|", includeAttributeNames: true }, iso)("big", { before: "kept", v: huge, after: "cut" });
  t.regex(line, /\.\.\.\[truncated [0-9]+ characters\]$/);
  const n = Number(/\[truncated ([0-9]+) characters\]$/.exec(line)?.[1]);
  t.is(line.length - markerText(n).length + n, full.length, "N is the number of characters removed");
  const parsed = parseAuditLine(line, { delimiter: "|", includeAttributeNames: true });
  t.is(parsed.eventId, "big");
  t.deepEqual(parsed.attributes[0], ["before", "kept"]);
  t.is(parsed.attributes.length, 2);
  t.is(parsed.attributes[1]?.[0], "v");
  const value = parsed.attributes[1]?.[1] as string;
  t.true(value.endsWith(markerText(n)));
  t.true(huge.startsWith(value.slice(0, -markerText(n).length)), "the kept part is the start of the value");
  t.false(LONE_SURROGATE.test(line));
  t.is(lines[1], "small|v=x");
  await svc.shutdown();
});

const longPiece = fc.constantFrom("\\", "\n", "\u0085", "\u202e", "\ud800", "\udfff", "\u{1F600}", "\u{10FFFF}", "=", "|", ", ", ";", "N", "a", "ab", "\u00a7", "\\N", "x".repeat(40), "\u{1F600}".repeat(30), "\n".repeat(30), "\\".repeat(200), "y".repeat(700));
const longString = fc.array(fc.oneof(longPiece, fc.string({ unit: "binary", maxLength: 30 })), { maxLength: 40 }).map((p) => p.join(""));

test("property: a cut never splits a surrogate pair, an escape, a delimiter or a name, the line still parses, and N is exact", (t) => {
  let cut = 0;
  fc.assert(
    fc.property(
      fc.constantFrom("|", ", ", ";", "N", "\u00a7", "ab", "\u{1F600}", "0x"),
      fc.boolean(),
      fc.integer({ min: 256, max: 600 }),
      longString.filter((id) => id !== ""),
      fc.array(fc.tuple(longString, fc.oneof({ weight: 6, arbitrary: longString }, { weight: 1, arbitrary: fc.constant(null) })), { maxLength: 10 }),
      (delimiter, includeAttributeNames, maxLength, eventId, attributes) => {
        const format = { delimiter, includeAttributeNames };
        const full = compileRecordBuilder(format, iso)(eventId, attributes);
        const line = compileRecordBuilder({ ...format, maxLength }, iso)(eventId, attributes);
        if (full.length <= maxLength) {
          assert.equal(line, full);
          return;
        }
        cut++;
        assert.ok(line.length <= maxLength, `length ${line.length} > ${maxLength}`);
        const { escapeValue } = createEscaper(delimiter);
        const match = /([0-9]+) characters\]$/.exec(parseAuditLine(line, format).attributes.at(-1)?.[1] ?? parseAuditLine(line, format).eventId);
        assert.ok(match, "the last field ends with the marker");
        const n = Number(match?.[1]);
        const marker = escapeValue(markerText(n));
        assert.ok(line.endsWith(marker));
        const kept = line.slice(0, line.length - marker.length);
        assert.equal(kept.length + n, full.length, "N counts the removed characters");
        assert.ok(full.startsWith(kept), "the kept part is a prefix of the full message");
        assert.ok(!LONE_SURROGATE.test(line), "no surrogate pair was split");
        assert.ok(!UNSAFE.test(line));
        // The kept part ends on a token boundary: on its own it parses (no dangling escape, no
        // name without "="), and its last field is not a lone \N followed by the marker.
        const keptParsed = parseAuditLine(kept, format);
        const parsed = parseAuditLine(line, format);
        const fullParsed = parseAuditLine(full, format);
        const k = parsed.attributes.length;
        assert.equal(keptParsed.attributes.length, k);
        assert.deepEqual(parsed.attributes.slice(0, Math.max(0, k - 1)), fullParsed.attributes.slice(0, Math.max(0, k - 1)), "whole attributes are kept as they were");
        if (k === 0) {
          assert.equal(parsed.eventId, keptParsed.eventId + markerText(n));
          assert.ok(fullParsed.eventId.startsWith(keptParsed.eventId));
        } else {
          const last = parsed.attributes[k - 1] as readonly [string | undefined, string | null];
          const original = fullParsed.attributes[k - 1] as readonly [string | undefined, string | null];
          assert.equal(parsed.eventId, fullParsed.eventId);
          assert.equal(last[0], original[0], "the cut is never inside a name");
          assert.equal(last[1], (keptParsed.attributes[k - 1]?.[1] ?? "") + markerText(n));
          assert.ok((original[1] ?? "").startsWith(keptParsed.attributes[k - 1]?.[1] ?? ""), "the kept value is the start of the original");
        }
      },
    ),
    { numRuns: 1500 },
  );
  t.log(`${cut} of 1500 records were cut`);
  t.true(cut > 600);
});
