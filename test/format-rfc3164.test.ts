import test from "ava";
import { Level } from "../src/facade/level.js";
import { base } from "./lib/format-fixtures.js";
import { compileRfc3164, formatRfc3164 } from "../src/format/rfc3164.js";
import { parseJavaTimeZone } from "../src/java/zone.js";

// The default is the process's local time zone: the examples below are written for UTC.
process.env["TZ"] = "UTC";


test("a representative event, exactly (UTC, day space-padded)", (t) => {
  t.is(formatRfc3164(base), "<110>Jan  2 03:04:05 mail1 slf4ts[4242]: ox.login login=alice ip=192.0.2.1");
  t.is(
    formatRfc3164({ ...base, timestamp: Date.UTC(2025, 11, 31, 23, 59, 59), level: Level.ERROR }, { facility: 4 }),
    "<35>Dec 31 23:59:59 mail1 slf4ts[4242]: ox.login login=alice ip=192.0.2.1",
  );
});

test("host, tag and pid are sanitised; newlines in values stay escaped in one line", (t) => {
  t.is(
    formatRfc3164({ ...base, hostname: "my host", appName: "slf4-ts!", procId: "", attributes: [["v", "a\nb"]] }),
    "<110>Jan  2 03:04:05 my_host slf4ts: ox.login v=a\\nb",
  );
  t.is(formatRfc3164({ ...base, appName: "--", hostname: "" }), "<110>Jan  2 03:04:05 - audit[4242]: ox.login login=alice ip=192.0.2.1");
  t.is(formatRfc3164({ ...base, appName: "x".repeat(40) }).split(" ")[5], "x".repeat(32) + "[4242]:");
});

test("maxBytes (default 1024) cuts MSG on a UTF-8 boundary with a marker", (t) => {
  const out = formatRfc3164({ ...base, attributes: [["v", "€".repeat(1000)]] });
  t.true(Buffer.byteLength(out) <= 1024);
  t.true(out.endsWith("€...[truncated]"));
  t.is(Buffer.from(out).toString("utf8"), out);
  const small = compileRfc3164({ maxBytes: 128 })({ ...base, attributes: [["v", "😀".repeat(100)]] });
  t.true(Buffer.byteLength(small) <= 128 && Buffer.byteLength(small) > 124);
  t.true(small.endsWith("😀...[truncated]"));
  t.throws(() => compileRfc3164({ maxBytes: 100 }), { instanceOf: RangeError });
  t.throws(() => compileRfc3164({ facility: -1 }), { instanceOf: RangeError });
});

test("the timestamp is local time (RFC 3164 §4.1.2): the process's zone by default, or the zone given", (t) => {
  const berlin = parseJavaTimeZone("Europe/Berlin");
  const inBerlin = compileRfc3164({ offsetMinutesAt: (ms) => berlin.offsetMinutesAt(ms) });
  // 03:04:05 UTC is 04:04:05 in Berlin in winter (CET), 05:04:05 in summer (CEST).
  t.true(inBerlin(base).startsWith("<110>Jan  2 04:04:05 mail1 "));
  t.true(inBerlin({ ...base, timestamp: Date.UTC(2026, 6, 2, 3, 4, 5) }).startsWith("<110>Jul  2 05:04:05 "));
  // The day and month follow the zone across midnight and the year's end.
  t.true(inBerlin({ ...base, timestamp: Date.UTC(2025, 11, 31, 23, 30, 0) }).startsWith("<110>Jan  1 00:30:00 "));
  const newYork = parseJavaTimeZone("America/New_York");
  t.true(compileRfc3164({ offsetMinutesAt: (ms) => newYork.offsetMinutesAt(ms) })(base).startsWith("<110>Jan  1 22:04:05 "));
  // Default: the process's zone (TZ), read at every record; restored at once (this test is synchronous).
  const local = compileRfc3164();
  const saved = process.env["TZ"];
  try {
    process.env["TZ"] = "Asia/Kolkata";
    t.true(local(base).startsWith("<110>Jan  2 08:34:05 "), local(base));
    process.env["TZ"] = "UTC";
    t.true(local(base).startsWith("<110>Jan  2 03:04:05 "));
  } finally {
    process.env["TZ"] = saved;
  }
});

test("TAG rules: only ASCII letters and digits are kept, at most 32, empty gives audit; the PID drops [ ] and non-printables", (t) => {
  const tagOf = (appName: string, procId = "42"): string => (formatRfc3164({ ...base, appName, procId }).split(" ")[5] ?? "").replace(/:$/, "");
  t.is(tagOf("ox-audit_1.2"), "oxaudit12[42]");
  t.is(tagOf("Mäil Äudit"), "Miludit[42]");
  t.is(tagOf("a".repeat(33) + "b"), "a".repeat(32) + "[42]");
  t.is(tagOf("!!!"), "audit[42]");
  t.is(tagOf("app", "4[2] 7"), "app[427]");
  t.is(tagOf("app", ""), "app");
});
