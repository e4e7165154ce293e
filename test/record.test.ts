import test from "ava";
import fc from "fast-check";
import { compileRecordBuilder, dateTimeOf } from "../src/record/builder.js";
import { types } from "node:util";
import { createEscaper, type RecordFormat } from "../src/record/escaping.js";
import { parseAuditLine, AuditLineSyntaxError } from "../src/record/parse.js";

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const at = new Date(Date.UTC(2016, 5, 10, 10, 31, 10));
const pipe: RecordFormat = { delimiter: "|", includeAttributeNames: true };
const pipeNoNames: RecordFormat = { delimiter: "|", includeAttributeNames: false };

test("the documented Open-Xchange examples", (t) => {
  const build = compileRecordBuilder(pipe, iso);
  t.is(build("ox.login", { login: "thorben", ip: "::1", timestamp: at }), "ox.login|login=thorben|ip=::1|timestamp=2016-06-10T10:31:10Z");
  const bare = compileRecordBuilder(pipeNoNames, iso);
  t.is(bare("ox.login", { login: "thorben", ip: "::1", timestamp: at }), "ox.login|thorben|::1|2016-06-10T10:31:10Z");
  const shipped = compileRecordBuilder({ delimiter: ", ", includeAttributeNames: true }, iso);
  t.is(
    shipped("smtp.primary.sent", [
      ["login", "thorben"],
      ["ip", "::1"],
      ["timestamp", at],
      ["smtp.port", 587],
      ["smtp.sent", "bob@example.org"],
    ]),
    "smtp.primary.sent, login=thorben, ip=::1, timestamp=2016-06-10T10:31:10Z, smtp.port=587, smtp.sent=bob@example.org",
  );
  t.is(build("ox.logout"), "ox.logout");
});

test("values of every kind are rendered, null and undefined as \\N, and never drop the event", (t) => {
  const build = compileRecordBuilder(pipe, iso);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic["self"] = cyclic;
  const line = build("ev", {
    s: "text",
    n: 42.5,
    b: false,
    big: 12345678901234567890n,
    nul: null,
    und: undefined,
    obj: { x: [1, 2] },
    cyc: cyclic,
    err: new RangeError("out"),
    sym: Symbol("tag"),
    bad: new Date(NaN),
  });
  t.is(
    line,
    'ev|s=text|n=42.5|b=false|big=12345678901234567890|nul=\\N|und=\\N|obj={"x":[1,2]}|cyc={"a":1,"self":"[Circular]"}|err=RangeError: out|sym=Symbol(tag)|bad=Invalid Date',
  );
  const parsed = parseAuditLine(line, pipe);
  t.deepEqual(parsed.attributes[4], ["nul", null]);
  t.deepEqual(parsed.attributes[0], ["s", "text"]);
});

test("arrays, Maps and Sets are JSON like other objects", (t) => {
  const build = compileRecordBuilder(pipe, iso);
  t.is(
    // A Map becomes an object, whose integer-like keys JavaScript orders first.
    build("ev", { arr: [1, { u: "x" }], map: new Map<unknown, unknown>([["k", 1], [2, "two"]]), set: new Set(["a", "b"]), nested: { m: new Map([["x", [1]]]) } }),
    'ev|arr=[1,{"u":"x"}]|map={"2":"two","k":1}|set=["a","b"]|nested={"m":{"x":[1]}}',
  );
});

test("several timestamps in one record are each rendered right (date cache)", (t) => {
  let calls = 0;
  const build = compileRecordBuilder(pipe, (ms) => {
    calls++;
    return iso(ms);
  }, 1000);
  const a = new Date(Date.UTC(2016, 5, 10, 10, 31, 10, 5));
  const b = new Date(Date.UTC(2015, 0, 1, 0, 0, 0, 999));
  for (let i = 0; i < 5; i++) {
    t.is(build("ev", { now: a, last: b }), "ev|now=2016-06-10T10:31:10Z|last=2015-01-01T00:00:00Z");
  }
  t.is(calls, 2);
  t.is(build("ev", { now: new Date(a.getTime() + 1000) }), "ev|now=2016-06-10T10:31:11Z");
});

test("parseAuditLine is linear in the number of fields", (t) => {
  const attributes = Array.from({ length: 200_000 }, (_, i) => [`k${i}`, `v\\${i}`] as [string, string]);
  const line = compileRecordBuilder({ ...pipe, maxAttributes: 200_000 }, iso)("ev", attributes);
  const started = process.hrtime.bigint();
  const parsed = parseAuditLine(line, pipe);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.is(parsed.attributes.length, 200_000);
  t.deepEqual(parsed.attributes[199_999], ["k199999", "v\\199999"]);
  t.log(`parsed 200,000 attributes in ${ms.toFixed(0)} ms`);
});

test("a value that contains the delimiter cannot forge another attribute", (t) => {
  const build = compileRecordBuilder(pipe, iso);
  const line = build("ox.login", { login: "eve|admin=true", ip: "::1" });
  t.is(line, "ox.login|login=eve\\|admin=true|ip=::1");
  t.deepEqual(parseAuditLine(line, pipe), { eventId: "ox.login", attributes: [["login", "eve|admin=true"], ["ip", "::1"]] });
});

test("line breaks, ESC sequences, NEL, U+2028 and bidi overrides are escaped, so one log() is one line", (t) => {
  const build = compileRecordBuilder(pipe, iso);
  const value = "a\r\nb\u001b[31mred\u0085c\u2028d\u202Eevil\u0000\u007f\u009b";
  const line = build("ev\nforged", { v: value });
  t.is(line, "ev\\nforged|v=a\\r\\nb\\u001B[31mred\\u0085c\\u2028d\\u202Eevil\\u0000\\u007F\\u009B");
  t.deepEqual(parseAuditLine(line, pipe), { eventId: "ev\nforged", attributes: [["v", value]] });
});

test("names escape '=' and backslashes round-trip", (t) => {
  const build = compileRecordBuilder(pipe, iso);
  const line = build("ev", [["a=b", "c=d"], ["back\\slash", "\\N"]]);
  t.is(line, "ev|a\\=b=c=d|back\\\\slash=\\\\N");
  t.deepEqual(parseAuditLine(line, pipe).attributes, [
    ["a=b", "c=d"],
    ["back\\slash", "\\N"],
  ]);
});

test("a delimiter that starts with a letter is escaped as \\uXXXX and cannot collide with \\N", (t) => {
  const format: RecordFormat = { delimiter: "N;", includeAttributeNames: false };
  const build = compileRecordBuilder(format, iso);
  const line = build("EVENT", [["a", "N"], ["b", null], ["c", "N;N"]]);
  t.is(line, "EVE\\u004ETN;\\u004EN;\\NN;\\u004E;\\u004E");
  t.deepEqual(parseAuditLine(line, format), { eventId: "EVENT", attributes: [[undefined, "N"], [undefined, null], [undefined, "N;N"]] });
});

test("parseAuditLine rejects lines that were not written this way", (t) => {
  t.throws(() => parseAuditLine("ev|noequals", pipe), { instanceOf: AuditLineSyntaxError, message: 'attribute 1 has no "=" at position 3' });
  t.throws(() => parseAuditLine("ev|a=\\u12", pipe), { instanceOf: AuditLineSyntaxError });
  t.throws(() => parseAuditLine("ev|a=x\\", pipe), { instanceOf: AuditLineSyntaxError });
  t.throws(() => parseAuditLine("ev|a=x\\Ny", pipe), { instanceOf: AuditLineSyntaxError });
});

test("parseAuditLine ignores one trailing line break", (t) => {
  t.deepEqual(parseAuditLine("ev|a=1\r\n", pipe), { eventId: "ev", attributes: [["a", "1"]] });
  t.deepEqual(parseAuditLine("ev|a=1\n", pipe), { eventId: "ev", attributes: [["a", "1"]] });
});

test("createEscaper leaves safe text untouched (same string)", (t) => {
  const { escapeValue, escapeName } = createEscaper(", ");
  const text = "plain text with = and | inside";
  t.is(escapeValue(text), text);
  t.is(escapeName("plain"), "plain");
});

// Characters that attack one-line records, mixed into arbitrary Unicode.
const hostileChar = fc.constantFrom("\n", "\r", "\u0085", "\u2028", "\u2029", "\u001b", "\u001b[2J", "\u009b", "\u202e", "\u2066", "\u061c", "\ud800", "\udfff", "\\", "=", "|", ", ", ",", "\\N", "N", "\u0000", "\t");
const hostileString = fc.array(fc.oneof(fc.string({ unit: "binary" }), hostileChar), { maxLength: 8 }).map((parts) => parts.join(""));
const delimiters = fc.constantFrom("|", ", ", ",", ";", " :: ", "N", "ab", "aa", "\u00a7", "\u{1F600}", "||", "0x", "-", "-|", "]", "^", "$");

test("every printable ASCII delimiter the configuration accepts works, regular-expression characters too (\"-\" threw a SyntaxError)", (t) => {
  // delimiter: non-empty, no \\, = or control characters (src/config/keys.ts).
  const accepted: string[] = [];
  for (let c = 0x20; c < 0x7f; c++) {
    const d = String.fromCharCode(c);
    if (d === "\\" || d === "=") continue;
    accepted.push(d, d + " ", " " + d);
  }
  for (const delimiter of accepted) {
    for (const includeAttributeNames of [true, false]) {
      const format = { delimiter, includeAttributeNames };
      const value = `a${delimiter}b-c]d^e$f${delimiter.trim()}`;
      const line = compileRecordBuilder(format, iso)("ox.login", [["login", value], ["ip", "::1"]]);
      t.deepEqual(parseAuditLine(line, format), { eventId: "ox.login", attributes: [[includeAttributeNames ? "login" : undefined, value], [includeAttributeNames ? "ip" : undefined, "::1"]] }, JSON.stringify(delimiter));
    }
  }
});

test("property: every record is one line with no unsafe character and parses back exactly", (t) => {
  fc.assert(
    fc.property(
      delimiters,
      fc.boolean(),
      // An empty event id is a TypeError.
      hostileString.filter((id) => id !== ""),
      fc.array(fc.tuple(hostileString, fc.oneof(hostileString, fc.constant(null))), { maxLength: 6 }),
      (delimiter, includeAttributeNames, eventId, attributes) => {
        const format = { delimiter, includeAttributeNames };
        const line = compileRecordBuilder(format, iso)(eventId, attributes);
        if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(line)) return false;
        if (/[\ud800-\udfff]/u.test(line)) return false;
        const parsed = parseAuditLine(line, format);
        const expected = attributes.map(([name, value]) => [includeAttributeNames ? name : undefined, value] as const);
        t.deepEqual(parsed, { eventId, attributes: expected });
        return true;
      },
    ),
    { numRuns: 3000 },
  );
});

// Masking of secrets and the maximum length (the options an AuditConfig brings along).

test("masking: the value of a name containing a word is rendered, masked, then escaped; null stays \\N", (t) => {
  const build = compileRecordBuilder({ ...pipe, maskNames: ["password", "token", "cookie"] }, iso);
  t.is(
    build("ev", { password: "hunter2", "smtp.Password": "x", session_TOKEN: 42, cookie: null, login: "thorben", tokenTime: at, Cookie: { sid: "abc" } }),
    "ev|password=****|smtp.Password=****|session_TOKEN=****|cookie=\\N|login=thorben|tokenTime=****|Cookie=****",
  );
  // Pairs, names that are not strings, and values alone.
  t.is(build("ev", [[{ toString: () => "X-Auth-Token" }, "t"], ["password", undefined]]), "ev|X-Auth-Token=****|password=\\N");
  t.is(compileRecordBuilder({ ...pipeNoNames, maskNames: ["password"] }, iso)("ev", { password: "p", user: "u" }), "ev|****|u");
  // Nested keys of objects rendered as JSON are masked too.
  t.is(build("ev", { headers: { Cookie: "sid=1", accept: "*/*" } }), 'ev|headers={"Cookie":"****","accept":"*/*"}');
  // No words, or none given: nothing is masked.
  t.is(compileRecordBuilder({ ...pipe, maskNames: [] }, iso)("ev", { password: "p" }), "ev|password=p");
  t.is(compileRecordBuilder({ ...pipe, maskNames: ["", " "] }, iso)("ev", { password: "p" }), "ev|password=p");
});

test("masking: maskKeep shows at most that many leading characters and never more than half of the value", (t) => {
  const keep = (n: number, value: unknown): string => {
    const line = compileRecordBuilder({ ...pipe, maskNames: ["secret"], maskKeep: n }, iso)("ev", { secret: value });
    return line.slice("ev|secret=".length);
  };
  t.is(keep(0, "hunter2"), "****");
  t.is(keep(2, "hunter2"), "hu****");
  t.is(keep(2, "abcd"), "ab****");
  t.is(keep(2, "abc"), "a****");
  t.is(keep(2, "ab"), "a****");
  t.is(keep(2, "a"), "****");
  t.is(keep(2, ""), "****");
  t.is(keep(3, 123456789), "123****");
  t.is(keep(4, "x".repeat(10_000)), "xxxx****");
  // Characters, not UTF-16 code units: a surrogate pair is never split.
  t.is(keep(1, "\u{1F600}\u{1F600}"), "\u{1F600}****");
  t.is(keep(1, "\u{1F600}"), "****");
  // The kept prefix is escaped like any value.
  t.is(keep(2, "|\nabc"), "\\|\\n****");
  t.throws(() => compileRecordBuilder({ ...pipe, maskNames: ["x"], maskKeep: -1 }, iso), { instanceOf: RangeError });
});

test("masking: the per-name cache stays small with names from data", (t) => {
  const build = compileRecordBuilder({ ...pipe, maskNames: ["password"] }, iso);
  for (let i = 0; i < 5000; i++) {
    t.is(build("ev", [[`name${i}`, "v"], [`password${i}`, "v"]]), `ev|name${i}=v|password${i}=****`);
  }
});

test("maximum length: records up to it are unchanged, longer ones are cut with the marker", (t) => {
  const build = compileRecordBuilder({ ...pipe, maxLength: 64 }, iso);
  const fits = "ev|v=" + "x".repeat(59);
  t.is(fits.length, 64);
  t.is(build("ev", { v: "x".repeat(59) }), fits);
  t.is(build("ev", { v: "x".repeat(60) }), "ev|v=" + "x".repeat(31) + "...[truncated 29 characters]");
  // Never inside an escape: "\\|" is two characters that stay together.
  const escaped = build("ev", { v: "ab" + "|".repeat(40) });
  t.is(escaped, "ev|v=ab" + "\\|".repeat(14) + "...[truncated 52 characters]");
  t.is(parseAuditLine(escaped, pipe).attributes[0]?.[1], "ab" + "|".repeat(14) + "...[truncated 52 characters]");
  // Never inside a name: the attribute whose name would be cut is left out whole.
  t.is(build("ev", { a: "1", ["n".repeat(80)]: "v" }), "ev|a=1...[truncated 83 characters]");
  // A null value is not followed by the marker (\N must stand alone).
  t.is(build("ev", [["a", null], ["n".repeat(80), "v"]]), "ev|a=...[truncated 85 characters]");
  // The marker is escaped for the delimiter, so it cannot be split: a delimiter starting with "a".
  const ab = compileRecordBuilder({ delimiter: "ab", includeAttributeNames: true, maxLength: 64 }, iso)("ev", { v: "x".repeat(100) });
  t.is(ab, "evabv=" + "x".repeat(15) + "...[trunc\\u0061ted 85 ch\\u0061r\\u0061cters]");
  t.is(ab.length, 64);
  t.deepEqual(parseAuditLine(ab, { delimiter: "ab", includeAttributeNames: true }).attributes, [["v", "x".repeat(15) + "...[truncated 85 characters]"]]);
  // Astral characters are never split.
  const astral = build("ev", { v: "\u{1F600}".repeat(50) });
  t.false(/[\ud800-\udfff]/u.test(astral));
  t.true(astral.length <= 64);
  t.throws(() => compileRecordBuilder({ ...pipe, maxLength: 10 }, iso), { instanceOf: RangeError });
});

test("maximum length: a huge value full of escapes is counted, not escaped whole, and N stays exact", (t) => {
  const value = "\\\n\u{1F600}|".repeat(1_000_000);
  const full = compileRecordBuilder(pipe, iso)("ev", { v: value, after: "x" });
  const started = Date.now();
  const line = compileRecordBuilder({ ...pipe, maxLength: 4096 }, iso)("ev", { v: value, after: "x" });
  t.log(`${Date.now() - started} ms for a 5 MB value full of escapes`);
  const n = Number(/truncated ([0-9]+) characters\]$/.exec(line)?.[1]);
  t.is(line.length - `...[truncated ${n} characters]`.length + n, full.length);
  t.true(full.startsWith(line.slice(0, line.length - `...[truncated ${n} characters]`.length)));
  t.true(line.length <= 4096);
});

test("an AuditConfig-shaped object works as the options", (t) => {
  const config = { delimiter: ", ", includeAttributeNames: true, maskNames: ["password"], maskKeep: 0, maxLength: 65536, level: 2, fingerprint: "" };
  t.is(compileRecordBuilder(config, iso)("ox.login", { login: "thorben", password: "p" }), "ox.login, login=thorben, password=****");
});

test("dateTimeOf: a real Date only (as util.types.isDate says), without a call into the runtime", (t) => {
  class Stamp extends Date {}
  const real = new Date(1_700_000_000_000);
  const throwing = new Proxy(new Date(), {
    getPrototypeOf() {
      throw new Error("trap");
    },
  });
  const cases: Array<[string, unknown]> = [
    ["a Date", real],
    ["an invalid Date", new Date(Number.NaN)],
    ["a subclass of Date", new Stamp(5)],
    ["a fake with Date's prototype", Object.create(Date.prototype)],
    ["a Proxy of a Date", new Proxy(real, {})],
    ["a Proxy whose getPrototypeOf throws", throwing],
    ["a number", 1_700_000_000_000],
    ["an object with getTime", { getTime: () => 1 }],
  ];
  for (const [what, value] of cases) {
    const time = dateTimeOf(value);
    t.is(time !== undefined, types.isDate(value), what);
  }
  t.is(dateTimeOf(real), 1_700_000_000_000);
  t.true(Number.isNaN(dateTimeOf(new Date(Number.NaN))));
  t.is(dateTimeOf(new Stamp(5)), 5);
  // Through the builder: only the real one is formatted as a date.
  const build = compileRecordBuilder({ delimiter: "|", includeAttributeNames: true }, (ms) => `D${ms}`);
  t.is(build("e", { a: real }), "e|a=D1700000000000");
  t.false(build("e", { a: new Proxy(real, {}) }).includes("D1700000000000"));
});

test("builder: the event id escaped once per call site still escapes each new id, and a long id is cut with the right count", (t) => {
  const build = compileRecordBuilder({ delimiter: "|", includeAttributeNames: true, maxLength: 64 }, (ms) => String(ms));
  t.is(build("a|b", { x: 1 }), "a\\|b|x=1");
  t.is(build("a|b", { x: 2 }), "a\\|b|x=2");
  t.is(build("c\nd"), "c\\nd");
  const long = "e|".repeat(100);
  const first = build(long);
  t.is(build(long), first);
  t.true(first.length <= 64);
  t.regex(first, /truncated/);
});
