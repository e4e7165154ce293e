import test from "ava";
import { Level } from "../src/facade/level.js";
import { base } from "./lib/format-fixtures.js";
import { compileRfc3164, formatRfc3164 } from "../src/format/rfc3164.js";


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
