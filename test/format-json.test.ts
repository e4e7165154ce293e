import test from "ava";
import { Level } from "../src/facade/level.js";
import { base } from "./lib/format-fixtures.js";
import { formatJson } from "../src/format/json.js";


/** No raw character a line-based shipper could split on. */
const LINE_BREAKING = /[\n\r\u000b\u000c\u0085\u2028\u2029\u0080-\u009f]/;

test("a representative event, exactly", (t) => {
  t.is(
    formatJson(base),
    '{"timestamp":"2026-01-02T03:04:05.006Z","level":"INFO","event":"ox.login","attributes":{"login":"alice","ip":"192.0.2.1"}}',
  );
});

test("line separators are escaped and the line parses back", (t) => {
  const nasty = "a\nb\rc\u2028d\u2029e\u0085f\u009bg\u0000h\uD800i";
  const line = formatJson({ ...base, eventId: "x\u2028y", attributes: [["k\u0085", nasty], ["n", null]] });
  t.false(LINE_BREAKING.test(line));
  t.true(line.includes("\\u2028") && line.includes("\\u2029") && line.includes("\\u0085") && line.includes("\\u009b"));
  t.deepEqual(JSON.parse(line), {
    timestamp: "2026-01-02T03:04:05.006Z",
    level: "INFO",
    event: "x\u2028y",
    attributes: { "k\u0085": nasty, n: null },
  });
});

test("repeated names become arrays in order; __proto__ is an ordinary key", (t) => {
  const line = formatJson({
    ...base,
    level: Level.ERROR,
    timestamp: NaN,
    attributes: [
      ["a", "1"],
      ["__proto__", "p"],
      ["a", null],
      ["b", "2"],
      ["a", "3"],
    ],
  });
  t.is(line, '{"timestamp":null,"level":"ERROR","event":"ox.login","attributes":{"a":["1",null,"3"],"__proto__":"p","b":"2"}}');
  const parsed = JSON.parse(line) as { attributes: Record<string, unknown> };
  t.deepEqual(Object.keys(parsed.attributes), ["a", "__proto__", "b"]);
});
