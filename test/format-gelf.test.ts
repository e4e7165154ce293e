import test from "ava";
import { Level } from "../src/facade/level.js";
import { base } from "./lib/format-fixtures.js";
import { formatGelf, gelfFieldName, gelfNulFrame } from "../src/format/gelf.js";


test("a representative event, exactly", (t) => {
  const line = formatGelf(base);
  t.is(
    line,
    '{"version":"1.1","host":"mail1","short_message":"ox.login","timestamp":1767323045.006,"level":6,' +
      '"_event":"ox.login","_app":"slf4ts","_procid":"4242","_login":"alice","_ip":"192.0.2.1"}',
  );
  t.deepEqual(JSON.parse(line), {
    version: "1.1",
    host: "mail1",
    short_message: "ox.login",
    timestamp: 1767323045.006,
    level: 6,
    _event: "ox.login",
    _app: "slf4ts",
    _procid: "4242",
    _login: "alice",
    _ip: "192.0.2.1",
  });
});

test("field names: sanitised, _id forbidden, collisions numbered, nulls left out", (t) => {
  t.is(gelfFieldName("user name"), "_user_name");
  t.is(gelfFieldName("a.b-c_d"), "_a.b-c_d");
  t.is(gelfFieldName("id"), "_id_");
  t.is(gelfFieldName(""), "__");
  t.is(gelfFieldName("ké😀"), "_k__");
  const parsed = JSON.parse(
    formatGelf({
      ...base,
      level: Level.WARN,
      attributes: [
        ["id", "1"],
        ["event", "2"],
        ["a b", "3"],
        ["a_b", "4"],
        ["a b", "5"],
        ["n", null],
      ],
    }),
  ) as Record<string, unknown>;
  t.is(parsed["level"], 4);
  t.is(parsed["_id"], undefined);
  t.is(parsed["_id_"], "1");
  t.is(parsed["_event"], "ox.login");
  t.is(parsed["_event_2"], "2");
  t.is(parsed["_a_b"], "3");
  t.is(parsed["_a_b_2"], "4");
  t.is(parsed["_a_b_3"], "5");
  t.false("_n" in parsed);
  for (const key of Object.keys(parsed)) {
    if (key.startsWith("_")) t.regex(key, /^_[\w.-]+$/);
  }
  t.is(parsed["short_message"], "ox.login", "the attributes are _ fields, not repeated in short_message");
});

test("one line, line separators escaped, NUL-terminated TCP frame", (t) => {
  const line = formatGelf({ ...base, attributes: [["v", "a\u2028b\u0085c\nd\u0000e"]] });
  t.false(/[\n\r\u0085\u2028\u2029\u0000]/.test(line));
  t.is((JSON.parse(line) as Record<string, unknown>)["_v"], "a\u2028b\u0085c\nd\u0000e");
  const frame = gelfNulFrame(line);
  t.is(frame.length, Buffer.byteLength(line) + 1);
  t.is(frame[frame.length - 1], 0);
  t.is(frame.indexOf(0), frame.length - 1);
  t.is(Buffer.from(frame.subarray(0, -1)).toString("utf8"), line);
  t.throws(() => gelfNulFrame("a\0b"), { instanceOf: RangeError });
});

test("timestamp is seconds with millisecond decimals", (t) => {
  for (const ms of [0, 1, 999, 1767323045006, 1767323045100]) {
    const parsed = JSON.parse(formatGelf({ ...base, timestamp: ms })) as { timestamp: number };
    t.is(parsed.timestamp, ms / 1000);
    t.regex(String(parsed.timestamp), /^[0-9]+(\.[0-9]{1,3})?$/);
  }
  t.false("timestamp" in (JSON.parse(formatGelf({ ...base, timestamp: NaN })) as object));
});

// --- templates, full_message, static fields -------------------------------------------------

import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { encodeGelfWithin, GELF_CUT_MARK, gelfStaticFieldProblem } from "../src/format/gelf.js";
import { lineSafeJson } from "../src/format/event.js";
import { compileTemplate, type MessageTemplate } from "../src/format/template.js";

const template = (text: string): MessageTemplate => {
  const compiled = compileTemplate(text);
  if (!compiled.ok) throw new Error(compiled.expected);
  return compiled.template;
};

test("short_message and full_message from templates; an empty short_message falls back to the event id", (t) => {
  const parsed = JSON.parse(
    formatGelf(
      { ...base, attributes: [["login", "alice"], ["ip", "192.0.2.1"], ["n", null]] },
      { shortMessage: template("{event} {attr:login} from {attr:ip} ({attr:n}, {attr:missing}) {{x}} {level}"), fullMessage: template("{line}") },
    ),
  ) as Record<string, unknown>;
  t.is(parsed["short_message"], "ox.login alice from 192.0.2.1 (-, -) {x} INFO");
  t.is(parsed["full_message"], "ox.login login=alice ip=192.0.2.1 n=\\N");
  t.is(parsed["_login"], "alice");
  t.false("full_message" in (JSON.parse(formatGelf(base)) as object), "no full_message unless configured");
  t.is((JSON.parse(formatGelf({ ...base, attributes: [] }, { shortMessage: template("{attr:x}") })) as Record<string, unknown>)["short_message"], "-");
  t.is((JSON.parse(formatGelf(base, { shortMessage: template(" ") })) as Record<string, unknown>)["short_message"], "ox.login");
});

test("a template with a typo is refused, saying where and what is expected", (t) => {
  t.deepEqual(compileTemplate("{evnt} x"), { ok: false, expected: "unknown placeholder {evnt} at character 1; expected {event}, {level}, {line}, {attr:NAME}, {{ or }}" });
  t.deepEqual(compileTemplate("a {event"), { ok: false, expected: "unclosed { at character 3; expected {event}, {level}, {line}, {attr:NAME}, {{ or }}" });
  t.deepEqual(compileTemplate("a } b"), { ok: false, expected: "a lone } at character 3; write }} for a literal }" });
  t.false(compileTemplate("{attr:}").ok);
  t.false(compileTemplate("{__proto__}").ok);
  t.true(compileTemplate("{attr:a b.c}").ok);
});

test("static fields: sent as _<name> after the own fields; an attribute of the same name is numbered, not lost", (t) => {
  const parsed = JSON.parse(formatGelf({ ...base, attributes: [["env", "attr"]] }, { fields: [["env", "prod"], ["site.dc", "fra-1"]] })) as Record<string, unknown>;
  t.is(parsed["_env"], "prod");
  t.is(parsed["_site.dc"], "fra-1");
  t.is(parsed["_env_2"], "attr");
  t.is(gelfStaticFieldProblem("env"), undefined);
  t.is(gelfStaticFieldProblem("a.b-c_d"), undefined);
  t.regex(gelfStaticFieldProblem("id") ?? "", /GELF reserves _id/);
  t.regex(gelfStaticFieldProblem("event") ?? "", /_event is written for every record/);
  for (const bad of ["a b", "", "é", "a/b", "x\n"]) t.regex(gelfStaticFieldProblem(bad) ?? "", /expected a GELF field name/, JSON.stringify(bad));
});

// --- the cut of an oversized message --------------------------------------------------------

const utf8 = (json: string): Buffer => Buffer.from(json, "utf8");
const decode = (bytes: Buffer): Record<string, unknown> => JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;

test("a 70,000-character value in a 64,000-byte budget arrives nearly whole (not at 4,110)", (t) => {
  const value = "v".repeat(70_000);
  const bytes = encodeGelfWithin({ ...base, attributes: [["login", "alice"], ["body", value]] }, {}, 64_000, utf8);
  t.true(bytes.length <= 64_000);
  t.true(bytes.length >= 63_990, `only as much as needed is cut: ${bytes.length} bytes`);
  const body = decode(bytes)["_body"] as string;
  t.true(body.endsWith(GELF_CUT_MARK));
  t.true(body.length > 63_500, `${body.length}`);
  t.true(value.startsWith(body.slice(0, -GELF_CUT_MARK.length)));
  t.is(decode(bytes)["_login"], "alice", "a short value stays whole");
  const small = encodeGelfWithin(base, {}, 64_000, utf8);
  t.is(small.toString("utf8"), formatGelf(base), "a message that fits is not touched");
});

test("longest values first: a shorter long value stays whole while the longest is cut to the common cap", (t) => {
  const a = "a".repeat(50_000);
  const b = "b".repeat(30_000);
  const decoded = decode(encodeGelfWithin({ ...base, attributes: [["a", a], ["b", b], ["c", "c".repeat(500)]] }, {}, 64_000, utf8));
  t.is(decoded["_b"], b);
  t.is(decoded["_c"], "c".repeat(500));
  t.true((decoded["_a"] as string).endsWith(GELF_CUT_MARK));
  t.true((decoded["_a"] as string).length > 33_000);
  // Two values over the cap are cut to the same length.
  const two = decode(encodeGelfWithin({ ...base, attributes: [["a", a], ["b", "b".repeat(45_000)]] }, {}, 64_000, utf8));
  t.is((two["_a"] as string).length, (two["_b"] as string).length);
});

test("gzip: an incompressible oversized message is cut to fit the compressed budget, not far under it", (t) => {
  const value = randomBytes(60_000).toString("base64"); // 80,000 characters that gzip cannot shrink much
  const bytes = encodeGelfWithin({ ...base, attributes: [["blob", value]] }, {}, 64_000, (json) => gzipSync(json));
  t.true(bytes.length <= 64_000, `${bytes.length}`);
  t.true(bytes.length >= 60_000, `nearly the whole budget is used: ${bytes.length}`);
  const blob = (JSON.parse(gunzipSync(bytes).toString("utf8")) as Record<string, unknown>)["_blob"] as string;
  t.true(value.startsWith(blob.slice(0, -GELF_CUT_MARK.length)));
});

test("property: the cut message fits, is nearly the budget, cuts only values longer than every whole one, never splits a character", (t) => {
  const char = fc.constantFrom("a", "é", "😀", '"', "\n", "\u2028", "\\");
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 6000 }), char), { minLength: 1, maxLength: 6 }), fc.integer({ min: 2000, max: 12_000 }), (specs, limit) => {
      const attributes = specs.map(([n, c], i) => [`k${i}`, c.repeat(n)] as const);
      const event = { ...base, attributes };
      const bytes = encodeGelfWithin(event, {}, limit, utf8);
      const whole = utf8(formatGelf(event));
      if (whole.length <= limit) return bytes.equals(whole);
      if (bytes.length > limit) return false;
      const decoded = decode(bytes);
      const cut: number[] = [];
      const kept: number[] = [];
      for (const [name, value] of attributes) {
        const got = decoded["_" + name] as string;
        // Sizes as the format writes them (lineSafeJson: U+2028 is \u2028, six bytes, not JSON.stringify's three).
        if (got === value) kept.push(Buffer.byteLength(lineSafeJson(JSON.stringify(value))));
        else {
          if (!got.endsWith(GELF_CUT_MARK)) return false;
          const prefix = got.slice(0, -GELF_CUT_MARK.length);
          if (!value.startsWith(prefix) || /[\uD800-\uDBFF]$/.test(prefix)) return false;
          cut.push(Buffer.byteLength(lineSafeJson(JSON.stringify(value))));
        }
      }
      // Every cut value was at least as long (in JSON bytes) as the longest value kept whole.
      const longestKept = Math.max(0, ...kept);
      if (cut.some((size) => size < longestKept)) return false;
      // Nearly the budget: at most a few bytes per cut value are left over (a character that did not fit).
      return limit - bytes.length <= 8 * cut.length + 8;
    }),
    // The example: a shorter value by JSON.stringify (U+2028 raw) is the longer one as written.
    { numRuns: 200, examples: [[[[576, "\u2028"], [0, "a"], [1727, '"']], 7084]] },
  );
  t.pass();
});
