import test from "ava";
import { Level } from "../src/facade/level.js";
import { base } from "./lib/format-fixtures.js";
import { formatGelf, gelfFieldName, gelfNulFrame } from "../src/format/gelf.js";


test("a representative event, exactly", (t) => {
  const line = formatGelf(base);
  t.is(
    line,
    '{"version":"1.1","host":"mail1","short_message":"ox.login login=alice ip=192.0.2.1","timestamp":1767323045.006,"level":6,' +
      '"_event":"ox.login","_app":"slf4ts","_procid":"4242","_login":"alice","_ip":"192.0.2.1"}',
  );
  t.deepEqual(JSON.parse(line), {
    version: "1.1",
    host: "mail1",
    short_message: "ox.login login=alice ip=192.0.2.1",
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
  t.is(parsed["short_message"], "ox.login id=1 event=2 a\\ b=3 a_b=4 a\\ b=5 n=\\N");
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
