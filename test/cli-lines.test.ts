import test from "ava";
import fc from "fast-check";
import { LineSplitter } from "../src/logfile/read.js";
import { csv, jsonSafe, rawLineText, terminalText } from "../src/cli/output.js";
import type { LocatedRecord } from "../src/logfile/records.js";

/** What the splitter should give: the lines of `text` (CR before LF dropped), a long one as its length. */
function expected(text: string, max: number): Array<string | { tooLong: number }> {
  const parts = text.split("\n");
  const rest = parts.pop() as string;
  const out: Array<string | { tooLong: number }> = parts.map((line) => {
    const body = line.endsWith("\r") ? line.slice(0, -1) : line;
    const bytes = Buffer.byteLength(body);
    return bytes > max ? { tooLong: bytes } : body;
  });
  const restBytes = Buffer.byteLength(rest);
  out.push(restBytes > max ? { tooLong: restBytes } : rest);
  return out;
}

test("LineSplitter (property): any chunking gives the lines of the text, each longer one as its length only", (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom("\n", "\r\n", "\r", "a", "é", "€", "x".repeat(9)), fc.string()), { maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 0, max: 24 }),
      (pieces, cuts, max) => {
        const text = pieces.join("");
        const bytes = Buffer.from(text);
        const splitter = new LineSplitter(max);
        const got: Array<string | { tooLong: number }> = [];
        // The caller may reuse its buffer after push: simulate by overwriting each chunk.
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const size = cuts[i % cuts.length] as number;
          const chunk = Buffer.from(bytes.subarray(at, at + size));
          got.push(...splitter.push(chunk));
          chunk.fill(0x21);
          at += size;
        }
        got.push(splitter.takeRest());
        t.deepEqual(got, expected(text, max));
      },
    ),
  );
});

test("LineSplitter copies each byte a bounded number of times: the work is linear in a line's length", (t) => {
  // Count the bytes Buffer.concat and Buffer.from copy while a 64 MiB line arrives in 64 KiB chunks.
  const concat = Buffer.concat;
  const from = Buffer.from;
  let copied = 0;
  Buffer.concat = ((list: readonly Uint8Array[], length?: number) => {
    const out = concat(list, length);
    copied += out.length;
    return out;
  }) as typeof Buffer.concat;
  Buffer.from = ((...args: unknown[]) => {
    const out = (from as (...a: unknown[]) => Buffer)(...args);
    copied += out.length;
    return out;
  }) as typeof Buffer.from;
  try {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (const max of [128 * 1024 * 1024, 16 * 1024 * 1024]) {
      copied = 0;
      const splitter = new LineSplitter(max);
      for (let i = 0; i < 1024; i++) t.deepEqual(splitter.push(chunk), []);
      const [line] = splitter.push(Buffer.from("\n"));
      const length = 64 * 1024 * 1024;
      if (max > length) t.is((line as string).length, length);
      else t.deepEqual(line, { tooLong: length });
      // Linear: each byte held once and joined once (a quadratic splitter copies ~32 GiB here).
      t.true(copied <= 2 * length + 16, `copied ${copied} bytes for a line of ${length}`);
    }
  } finally {
    Buffer.concat = concat;
    Buffer.from = from;
  }
});

test("terminalText, rawLineText and jsonSafe leave no character a terminal acts on; jsonSafe keeps the JSON value", (t) => {
  const unsafe = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      t.false(unsafe.test(terminalText(text)));
      t.false(unsafe.test(rawLineText(text).replace(/\t/g, "")));
      const json = JSON.stringify({ text });
      t.false(unsafe.test(jsonSafe(json)));
      t.deepEqual(JSON.parse(jsonSafe(json)), { text });
    }),
  );
  t.is(terminalText("a\u001b[2J\u009b\u202eb\tc"), "a\\u001B[2J\\u009B\\u202Eb\\tc");
  t.is(rawLineText("a\u001b\tb"), "a\\u001B\tb");
  t.is(jsonSafe(JSON.stringify("\u009b\u202e\u2028\u007f")), '"\\u009b\\u202e\\u2028\\u007f"');
});

test("csv (property): no cell of any value starts a formula, and no field holds a control character", (t) => {
  const record = (value: string): LocatedRecord => ({
    event: value,
    attributes: [[value, value]],
    time: undefined,
    file: { path: "/x", index: 0, compressed: false },
    lineNumber: 1,
    text: "",
  });
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (value) => {
      const out = csv([record(value)], () => value);
      const fields = out.replace(/\r\n$/, "").split("\r\n").flatMap((row) => row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/));
      for (const field of fields) {
        const cell = field.startsWith('"') ? field.slice(1, -1).replace(/""/g, '"') : field;
        t.false(/^[=+\-@\t\r]/.test(cell), JSON.stringify(field));
        t.false(/[\u0000-\u001f\u007f-\u009f]/.test(cell), JSON.stringify(field));
      }
    }),
  );
});
