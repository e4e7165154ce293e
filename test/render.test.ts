import test from "ava";
import fc from "fast-check";
import { compileRecordBuilder, type RecordOptions } from "../src/record/builder.js";
import { parseAuditLine } from "../src/record/parse.js";
import { compileRecordRenderer } from "../src/record/render.js";

// The one rendering that log() makes when targets are configured must write the same message as
// the fused builder of dedicated mode, and give the targets the attributes they used to get by
// parsing a ", "-separated line back: these properties attack both claims with hostile values.

const isoDate = (ms: number): string => new Date(ms).toISOString();
const javaLike = (ms: number): string => {
  const d = new Date(ms);
  if (d.getUTCFullYear() === 2001) throw new Error("formatter broke");
  return `${d.getUTCFullYear()}-${d.getUTCMonth() + 1} ${d.getUTCHours()}h`;
};

const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: fc.constantFrom("a", "|", ",", " ", "=", "\\", "\n", "\u2028", "\ud800", "1", "é", "N", "😀"), maxLength: 20 }),
  fc.string({ unit: fc.constantFrom("x", "\\", ",", "\t"), minLength: 60, maxLength: 400 }),
);
const leaf = fc.oneof(
  text,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.bigInt(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ min: new Date(Date.UTC(1999, 0, 1)), max: new Date(Date.UTC(2030, 0, 1)), noInvalidDate: false }),
  fc.constant(new Date(Date.UTC(2001, 5, 1))),
);
const value = fc.oneof(leaf, fc.dictionary(fc.constantFrom("a", "password", "b c", "x\n"), leaf, { maxKeys: 3 }), fc.array(leaf, { maxLength: 3 }));
const name = fc.oneof(fc.constantFrom("login", "ip", "password", "secretKey", "slf4ts.cut", "a=b", "x|y", "e, f"), fc.string({ maxLength: 8 }), fc.string({ minLength: 70, maxLength: 90 }));
const pairs = fc.array(fc.tuple(name, value), { maxLength: 8 });
const options = fc.record({
  delimiter: fc.constantFrom(", ", "|", " ", "1", ";;", "é", "😀", "."),
  includeAttributeNames: fc.boolean(),
  maskNames: fc.constantFrom<string[]>([], ["pass", "secret"]),
  maskKeep: fc.integer({ min: 0, max: 3 }),
  maxLength: fc.option(fc.integer({ min: 64, max: 400 }), { nil: undefined }),
  maxAttributes: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
});
const shape = fc.constantFrom("object", "pairs", "generator");

/** The same attributes, as a fresh object, array of pairs or generator each time. */
function attributesOf(list: ReadonlyArray<readonly [string, unknown]>, kind: string): () => unknown {
  if (kind === "object") return () => Object.fromEntries(list);
  if (kind === "pairs") return () => list.map(([n, v]) => [n, v]);
  return () =>
    (function* () {
      for (const pair of list) yield pair;
    })();
}

test("the rendering writes the fused builder's message byte for byte (property: hostile values, every delimiter, cuts, masks)", (t) => {
  fc.assert(
    fc.property(options, pairs, shape, fc.constantFrom("ox.login", "a|b, c", "x".repeat(300)), (opts: RecordOptions, list, kind, eventId) => {
      const make = attributesOf(list, kind);
      for (const formatDate of [isoDate, javaLike]) {
        const built = compileRecordBuilder(opts, formatDate)(eventId, make() as never);
        const rendered = compileRecordRenderer(opts, formatDate)(eventId, make() as never).message;
        if (built !== rendered) return false;
      }
      return true;
    }),
    { numRuns: 1500 },
  );
  t.pass();
});

test("the targets' attributes are those of the default record read back, cut and masked alike (property)", (t) => {
  const canonical = { delimiter: ", ", includeAttributeNames: true };
  fc.assert(
    fc.property(options, pairs, shape, (opts, list, kind) => {
      const settings: RecordOptions = { ...opts, ...canonical };
      const make = attributesOf(list, kind);
      const line = compileRecordBuilder(settings, isoDate)("ev", make() as never);
      const before = parseAuditLine(line, canonical).attributes.map(([n, v]) => [n ?? "", v]);
      const after = compileRecordRenderer(settings, isoDate)("ev", make() as never).attributes;
      t.deepEqual(after, before);
    }),
    { numRuns: 1500 },
  );
});

test("one rendering: attributes read once (a generator), secrets masked, dates ISO for the pairs, the message in the file's format", (t) => {
  let reads = 0;
  function* attributes(): Generator<[string, unknown]> {
    reads++;
    yield ["login", "ann"];
    yield ["password", "hunter2"];
    yield ["at", new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))];
    yield ["n", null];
  }
  const render = compileRecordRenderer({ delimiter: "|", includeAttributeNames: false, maskNames: ["password"], maskKeep: 2 }, (ms) => String(ms));
  const record = render("ox.login", attributes());
  t.is(reads, 1);
  t.is(record.message, `ox.login|ann|hu****|${Date.UTC(2026, 0, 2, 3, 4, 5, 6)}|\\N`);
  t.deepEqual(record.attributes, [
    ["login", "ann"],
    ["password", "hu****"],
    ["at", "2026-01-02T03:04:05.006Z"],
    ["n", null],
  ]);
});

test("a cut record: the pairs end where the message ends, with the marker, and the attributes past it are gone", (t) => {
  const render = compileRecordRenderer({ delimiter: " ", includeAttributeNames: true, maxLength: 64 }, isoDate);
  const record = render("ev", { a: "x y".repeat(3), b: "z".repeat(100), c: "gone" });
  t.true(record.message.length <= 64);
  t.regex(record.message, /^ev a=x\\ yx\\ yx\\ y b=z+\.\.\.\[truncated\\ \d+\\ characters\]$/u);
  const names = record.attributes.map(([n]) => n);
  t.deepEqual(names, ["a", "b"]);
  const last = record.attributes[1]?.[1] as string;
  t.regex(last, /^z+\.\.\.\[truncated \d+ characters\]$/u);
});

test("programmer errors throw a TypeError, as log() does", (t) => {
  const render = compileRecordRenderer({ delimiter: "|", includeAttributeNames: true }, isoDate);
  t.throws(() => render("", {}), { instanceOf: TypeError });
  t.throws(() => render(42 as unknown as string, {}), { instanceOf: TypeError });
  t.throws(() => render("ev", "text" as never), { instanceOf: TypeError });
});
