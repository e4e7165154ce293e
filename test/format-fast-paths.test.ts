import test from "ava";
import fc from "fast-check";
import { Level } from "../src/facade/level.js";
import { isoTimestamp, lineSafeJson, plainLine, wellFormed, type AuditEvent } from "../src/format/event.js";
import { formatJson, groupAttributes, jsonObject } from "../src/format/json.js";
import { compileRfc5424, escapeParamValue, frameOctetCounting, headerField, paramName } from "../src/format/rfc5424.js";
import { createIsoMillisFormatter } from "../src/java/date.js";
import { compileRecordBuilder } from "../src/record/builder.js";
import { compileRecordRenderer } from "../src/record/render.js";
import { compileEncoder, type EncodingSettings } from "../src/targets/framing.js";
import { base } from "./lib/format-fixtures.js";

// The targets' formats cache the text of the current second, look names up once and skip the
// escaping of text that needs none (issue 15). Each test below compares against the plain way of
// writing the same bytes (toISOString, JSON.stringify of the whole line, a fresh formatter per
// record), in sequences chosen so that a stale cache or a wrong fast path shows.

const DAY = 86_400_000;
/** Instants around the edges a per-second cache can get wrong: second, day and year boundaries, before 1970, years 0 and 9999. */
const edges = [0, -1, 1, 999, 1000, 1001, -999, -1000, -1001, DAY - 1, DAY, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), -62167219200000, -62167219200001, 253402300799999, 253402300800000, 8.64e15, -8.64e15];
const instant = fc.oneof(
  fc.constantFrom(...edges),
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  // Near each other: most calls hit the cached second, some cross it.
  fc.integer({ min: Date.UTC(2026, 0, 1) - 3000, max: Date.UTC(2026, 0, 1) + 3000 }),
  fc.double({ min: -5000, max: 5000, noNaN: true }),
);

test("ISO milliseconds: one formatter over any sequence of instants writes what toISOString writes (property)", (t) => {
  fc.assert(
    fc.property(fc.array(instant, { maxLength: 40 }), (times) => {
      const iso = createIsoMillisFormatter();
      return times.every((ms) => iso(ms) === new Date(ms).toISOString());
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test("ISO milliseconds: the second boundary, the millisecond before it, before 1970, fractions and years past 9999", (t) => {
  const iso = createIsoMillisFormatter();
  t.is(iso(1465554670999), "2016-06-10T10:31:10.999Z");
  t.is(iso(1465554671000), "2016-06-10T10:31:11.000Z");
  t.is(iso(1465554670999), "2016-06-10T10:31:10.999Z");
  t.is(iso(-1), "1969-12-31T23:59:59.999Z");
  t.is(iso(0), "1970-01-01T00:00:00.000Z");
  t.is(iso(-0.5), "1970-01-01T00:00:00.000Z");
  t.is(iso(-1000.5), "1969-12-31T23:59:59.000Z");
  t.is(iso(1.9), "1970-01-01T00:00:00.001Z");
  t.is(iso(253402300800001), "+010000-01-01T00:00:00.001Z");
  t.is(iso(-62167219200001), "-000001-12-31T23:59:59.999Z");
});

test("ISO milliseconds: what is not a time throws toISOString's RangeError, and the cache is still right after it", (t) => {
  const iso = createIsoMillisFormatter();
  t.is(iso(5), "1970-01-01T00:00:00.005Z");
  for (const bad of [Number.NaN, Infinity, -Infinity, 8.64e15 + 1]) t.throws(() => iso(bad), { instanceOf: RangeError });
  t.is(iso(6), "1970-01-01T00:00:00.006Z");
});

test("ISO milliseconds: after the last time there is (8.64e15), the milliseconds of its second throw as toISOString does, not written from the cache", (t) => {
  const iso = createIsoMillisFormatter();
  t.is(iso(8.64e15), new Date(8.64e15).toISOString());
  for (const bad of [8.64e15 + 1, 8.64e15 + 85, 8.64e15 + 999]) {
    t.throws(() => new Date(bad).toISOString(), { instanceOf: RangeError });
    t.throws(() => iso(bad), { instanceOf: RangeError }, String(bad));
  }
  t.is(iso(8.64e15), "+275760-09-13T00:00:00.000Z");
  // The first instant there is has a whole second of valid times after it.
  t.is(iso(-8.64e15), "-271821-04-20T00:00:00.000Z");
  t.is(iso(-8.64e15 + 999), "-271821-04-20T00:00:00.999Z");
});

/** The timestamp of the formats as it was written before the cache (the spec). */
function isoTimestampReference(timestamp: number): string | undefined {
  if (!Number.isFinite(timestamp)) return undefined;
  const date = new Date(timestamp);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) return undefined;
  return date.toISOString();
}

test("the formats' timestamp: years 0000-9999 only, undefined otherwise, over any sequence (property)", (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(instant, fc.constantFrom(Number.NaN, Infinity, -Infinity, 8.64e15 + 1, -9e15)), { maxLength: 40 }), (times) => times.every((ms) => isoTimestamp(ms) === isoTimestampReference(ms))),
    { numRuns: 2000 },
  );
  t.is(isoTimestamp(253402300799999), "9999-12-31T23:59:59.999Z");
  t.is(isoTimestamp(253402300800000), undefined);
  t.is(isoTimestamp(-62167219200000), "0000-01-01T00:00:00.000Z");
  t.is(isoTimestamp(-62167219200001), undefined);
  // From JavaScript, what is not a number is not a time (as Number.isFinite says), even a numeric string.
  t.is(isoTimestamp("1000" as unknown as number), undefined);
});

/** Any UTF-16 text: lone surrogates, C0 and C1 controls, line separators, quotes, backslashes, non-ASCII. */
const hostile = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "b", '"', "\\", "]", "\n", "\r", "\u0085", "\u2028", "\u2029", "\ud800", "\udc00", "\u0001", "\u007f", "é", "€", "😀", " ", "=", "~"), maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.constantFrom("alice", "::1", "open-xchange-appsuite", ""),
);

test("wellFormed replaces exactly the lone surrogates by U+FFFD and gives other text back unchanged (property)", (t) => {
  const reference = (text: string): string => text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  fc.assert(
    fc.property(hostile, (text) => wellFormed(text) === reference(text)),
    { numRuns: 3000 },
  );
  t.is(wellFormed("\udc00\ud800"), "\ufffd\ufffd");
  t.is(wellFormed("a😀b"), "a😀b");
});

/** JSON lines as they were written before the fast path: the whole line through JSON.stringify, grouped, then made line-safe (the spec). */
function formatJsonReference(event: AuditEvent, fields: ReadonlyArray<readonly [string, string]> = []): string {
  const head = JSON.stringify({ timestamp: isoTimestampReference(event.timestamp) ?? null, level: ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"][event.level], event: event.eventId });
  return lineSafeJson(head.slice(0, -1) + ',"attributes":' + jsonObject(groupAttributes(event.attributes)) + (fields.length === 0 ? "" : "," + jsonObject(fields).slice(1, -1)) + "}");
}

const attributeName = fc.oneof(fc.constantFrom("login", "ip", "__proto__", "a\"b", "x\u2028", "é"), hostile);
const attributes = fc.array(fc.tuple(attributeName, fc.option(hostile, { nil: null })), { maxLength: 7 });
const event = fc.record({
  timestamp: instant,
  level: fc.constantFrom(Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR),
  eventId: fc.oneof(fc.constantFrom("ox.login", "ox.logout"), hostile.filter((s) => s !== "")),
  attributes,
  hostname: fc.oneof(fc.constantFrom("mail1", "mail2"), hostile),
  appName: fc.oneof(fc.constantFrom("slf4ts"), hostile),
  procId: fc.constantFrom("4242", "1", "p i d"),
});

test("JSON lines: byte for byte what JSON.stringify of the whole line writes, made line-safe, for any sequence of events (property)", (t) => {
  const fields = fc.constantFrom<ReadonlyArray<readonly [string, string]>>([], [["site", "fra\u2028"]], [["service.name", 'a"b'], ["env", "é"]]);
  fc.assert(
    fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), fields, (events, statics) => events.every((e) => formatJson(e, statics) === formatJsonReference(e, statics))),
    { numRuns: 2000 },
  );
  t.pass();
});

test("JSON lines: a value that needs escaping after one that did not, non-ASCII, lone surrogates, a repeated name", (t) => {
  const line = formatJson({ ...base, attributes: [["a", "plain"], ["b", 'q"\\\n\u0085\u2028'], ["c", "é😀"], ["d", "\ud800x"], ["a", null]] });
  t.is(line, '{"timestamp":"2026-01-02T03:04:05.006Z","level":"INFO","event":"ox.login","attributes":{"a":["plain",null],"b":"q\\"\\\\\\n\\u0085\\u2028","c":"é😀","d":"\\ud800x"}}');
  t.deepEqual(JSON.parse(line).attributes, { a: ["plain", null], b: 'q"\\\n\u0085\u2028', c: "é😀", d: "\ud800x" });
  t.is(formatJson({ ...base, attributes: [["b", "plain"]] }), '{"timestamp":"2026-01-02T03:04:05.006Z","level":"INFO","event":"ox.login","attributes":{"b":"plain"}}');
});

test("JSON lines from a JavaScript caller that does not keep to the types: values as JSON.stringify writes them, names as strings, always valid JSON", (t) => {
  const withToJson = { toJSON: () => ({ kept: "yes" }) };
  const attributes = [["n", 5], ["u", undefined], ["o", withToJson], [7, "seven"], ["s", "text"]] as unknown as AuditEvent["attributes"];
  const line = formatJson({ ...base, attributes });
  t.is(line, '{"timestamp":"2026-01-02T03:04:05.006Z","level":"INFO","event":"ox.login","attributes":{"n":5,"u":null,"o":{"kept":"yes"},"7":"seven","s":"text"}}');
  t.deepEqual(JSON.parse(line).attributes, { n: 5, u: null, o: { kept: "yes" }, "7": "seven", s: "text" });
  // An event id that is not a string: JSON all the same (a number as itself, a missing one as null).
  t.is(JSON.parse(formatJson({ ...base, eventId: 5 as unknown as string })).event, 5);
  t.is(JSON.parse(formatJson({ ...base, eventId: undefined as unknown as string })).event, null);
});

test("JSON lines: more than 16 attributes, with and without a repeated name", (t) => {
  const many = Array.from({ length: 20 }, (_, i) => [`n${i}`, String(i)] as const);
  t.is(formatJson({ ...base, attributes: many }), formatJsonReference({ ...base, attributes: many }));
  const repeated = [...many, ["n3", "again"] as const];
  t.is(JSON.parse(formatJson({ ...base, attributes: repeated })).attributes.n3[1], "again");
  t.is(formatJson({ ...base, attributes: repeated }), formatJsonReference({ ...base, attributes: repeated }));
});

/** An RFC 5424 message written from the module's own pieces, without caches or fast paths (no maxBytes). */
function rfc5424Reference(e: AuditEvent, lineBreaks: "keep" | "escape"): string {
  const severity = e.level === Level.ERROR ? 3 : e.level === Level.WARN ? 4 : e.level === Level.INFO ? 6 : 7;
  const header = `<${13 * 8 + severity}>1 ${isoTimestampReference(e.timestamp) ?? "-"} ${headerField(e.hostname, 255)} ${headerField(e.appName, 48)} ${headerField(e.procId, 128)} ${headerField(e.eventId, 32)}`;
  let params = "";
  e.attributes.forEach(([name, value], index) => {
    if (value === null) return;
    let escaped = escapeParamValue(wellFormed(value));
    if (lineBreaks === "escape") escaped = escaped.replace(/\n/g, "\\n").replace(/\r/g, "\\r");
    params += ` ${paramName(name, index)}="${escaped}"`;
  });
  const msg = wellFormed(plainLine(e));
  return `${header} ${params === "" ? "-" : "[audit@32473" + params + "]"} ${/[^\x00-\x7f]/.test(msg) ? "\uFEFF" : ""}${msg}`;
}

test("RFC 5424: one formatter over any sequence of events writes what its pieces write for each alone (property: header and name caches, escaping)", (t) => {
  fc.assert(
    fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), fc.constantFrom<"keep" | "escape">("keep", "escape"), (events, lineBreaks) => {
      const format = compileRfc5424({ lineBreaks });
      return events.every((e) => format(e) === rfc5424Reference(e, lineBreaks) && format(e) === compileRfc5424({ lineBreaks })(e));
    }),
    { numRuns: 1500 },
  );
  t.pass();
});

test("RFC 5424: a mapped name carries its own position each time; a host that changes is written anew; escaping after plain values", (t) => {
  const format = compileRfc5424();
  const first = format({ ...base, attributes: [["a=b", "1"], ["ok", "plain"]] });
  t.true(first.includes('[audit@32473 a_b~1="1" ok="plain"]'), first);
  const second = format({ ...base, hostname: "mail 2", attributes: [["x", "1"], ["y", 'q"\\]'], ["a=b", "\ud800"]] });
  t.true(second.startsWith("<110>1 2026-01-02T03:04:05.006Z mail_2 slf4ts 4242 ox.login "), second);
  t.true(second.includes('[audit@32473 x="1" y="q\\"\\\\\\]" a_b~3="\ufffd"]'), second);
  const third = format(base);
  t.true(third.startsWith("<110>1 2026-01-02T03:04:05.006Z mail1 "), third);
  const lines = compileRfc5424({ lineBreaks: "escape" });
  t.true(lines({ ...base, attributes: [["a", "x"], ["b", "1\r\n2"]] }).includes('a="x" b="1\\r\\n2"'));
});

test("the rendering: a record whose escaped message is one character over maxLength is cut as the builder cuts it; one character under is not", (t) => {
  const options = { delimiter: "|", includeAttributeNames: true, maxLength: 256 };
  const iso = (ms: number): string => new Date(ms).toISOString();
  const build = compileRecordBuilder(options, iso);
  const render = compileRecordRenderer(options, iso);
  // "ox.login|v=" is 11 characters; each U+2028 is written \u2028 (6 characters): 41 of them make 257.
  for (const [units, extra, cut] of [[41, "", true], [40, "aaaaa", false], [40, "aaaaaa", true], [10, "", false]] as const) {
    const value = "\u2028".repeat(units) + extra;
    const built = build("ox.login", { v: value });
    const rendered = render("ox.login", { v: value });
    t.is(rendered.message, built);
    t.is(built.includes("truncated"), cut, built);
    t.is(rendered.attributes.length, 1);
    t.is((rendered.attributes[0] as readonly [string, string | null])[1]?.startsWith("\u2028"), true);
  }
});

test("octet counting on a syslog stream: MSG-LEN is the UTF-8 length of what follows, for any event (property: non-ASCII, lone surrogates, cut messages)", (t) => {
  const settings = (maxBytes: number): EncodingSettings => ({ name: "siem", type: "syslog", protocol: "tcp", format: "rfc5424", facility: 13, maxBytes, compress: "none", chunkSize: 1420, layout: undefined });
  fc.assert(
    fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), fc.constantFrom(515, 600, 8096, 1_000_000), (events, maxBytes) => {
      const encode = compileEncoder(settings(maxBytes), () => "audit");
      const format = compileRfc5424({ maxBytes });
      return events.every((e) => {
        const bytes = encode(e, () => "");
        const expected = Buffer.from(frameOctetCounting(format(e)), "utf8");
        const space = bytes.indexOf(0x20);
        return bytes.equals(expected) && Number(bytes.subarray(0, space).toString("latin1")) === bytes.length - space - 1 && bytes.length - space - 1 <= maxBytes;
      });
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

test("RFC 5424 maxBytes: a message of 3-byte characters longer in bytes than maxBytes, though not in code units, is cut", (t) => {
  // 300 "€" in the value and in MSG: about 680 code units, about 1,900 bytes.
  const format = compileRfc5424({ maxBytes: 1500 });
  const message = format({ ...base, attributes: [["note", "€".repeat(300)]] });
  t.true(Buffer.byteLength(message, "utf8") <= 1500, String(Buffer.byteLength(message, "utf8")));
  t.true(message.endsWith("...[truncated]"), message);
  // Under the limit nothing is cut.
  t.false(compileRfc5424({ maxBytes: 1500 })({ ...base, attributes: [["note", "€".repeat(100)]] }).includes("truncated"));
});
