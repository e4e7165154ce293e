/**
 * Reading an audit file newest line first (src/logfile/reverse.ts): the same lines, numbers and
 * flags as the forward reader, in the reverse order, whatever the chunk boundaries cut (a CRLF, a
 * multi-byte character, a long line), plain or gzip (inflated in memory or spilled to a file);
 * line numbers counted on for a file that grew, counted again for one rewritten.
 */
import test from "ava";
import fc from "fast-check";
import { appendFileSync, closeSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readAuditLines, type AuditFile, type FileLine } from "../src/logfile/files.js";
import { NotRegularFileError, openRegularFile, ReadLimitError, type ReadLimits } from "../src/logfile/read.js";
import { countNewlines, GZ_IN_MEMORY_BYTES, readAuditLinesNewestFirst, ReverseLineSplitter } from "../src/logfile/reverse.js";
import { tempDir } from "./lib/helpers.js";

async function collect(lines: AsyncGenerator<FileLine>): Promise<FileLine[]> {
  const out: FileLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

const forward = async (file: AuditFile): Promise<FileLine[]> => collect(readAuditLines(file, { longLines: "yield" }));
const backward = async (file: AuditFile, chunkBytes?: number): Promise<FileLine[]> => collect(readAuditLinesNewestFirst(file, { longLines: "yield", ...(chunkBytes === undefined ? {} : { chunkBytes }) }));

test("the splitter: lines newest first, a CR before LF dropped, a last line without LF not complete, the first line at finish", (t) => {
  const s = new ReverseLineSplitter(100);
  t.deepEqual(s.push(Buffer.from("b\r\nc")), [{ item: "c", complete: false }]);
  t.deepEqual(s.push(Buffer.from("a\rz\r\n")), [{ item: "b", complete: true }]);
  t.deepEqual(s.finish(), [{ item: "a\rz", complete: true }], "a lone CR stays in the line");
  const empty = new ReverseLineSplitter(100);
  t.deepEqual(empty.push(Buffer.alloc(0)), []);
  t.deepEqual(empty.finish(), []);
  const blank = new ReverseLineSplitter(100);
  t.deepEqual(blank.push(Buffer.from("\n\n")), [{ item: "", complete: true }]);
  t.deepEqual(blank.finish(), [{ item: "", complete: true }]);
});

test("the splitter: a character of 2 and 4 bytes cut by the chunk boundary is decoded whole", (t) => {
  const bytes = Buffer.from("é😀\nx€\n");
  for (let cut = 1; cut < bytes.length; cut++) {
    const s = new ReverseLineSplitter(100);
    const lines = [...s.push(bytes.subarray(cut)), ...s.push(bytes.subarray(0, cut)), ...s.finish()];
    t.deepEqual(lines, [
      { item: "x€", complete: true },
      { item: "é😀", complete: true },
    ], `cut at ${cut}`);
  }
});

test("the splitter: a line longer than the bound is counted, not held (its CRLF not counted)", (t) => {
  const s = new ReverseLineSplitter(4);
  const lines = [...s.push(Buffer.from("abcd\r\n1234")), ...s.push(Buffer.from("abcdef\r\n")), ...s.finish()];
  t.is(lines.length, 3);
  t.deepEqual(lines[0], { item: "1234", complete: false });
  // "abcdef\r\nabcd\r\n1234": from the end, 1234 (no LF), abcd (CR dropped, 4 bytes: kept), abcdef (6: too long).
  t.deepEqual(lines[1], { item: "abcd", complete: true });
  t.deepEqual(lines[2], { item: { tooLong: 6 }, complete: true });
});

const ALPHABET = ["a", "b", "\n", "\n", "\r", "\r\n", "é", "😀", "€", " ", "x".repeat(9)];
const fileText = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 120 }).map((parts) => parts.join(""));

test("property: newest first reads exactly the forward reader's lines reversed (random files, chunk sizes, line bounds; plain and gzip)", async (t) => {
  const dir = tempDir(t);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fileText, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 30 }), fc.boolean(), async (text, chunkBytes, maxLineBytes, gz) => {
      const path = join(dir, `f${n++}${gz ? ".gz" : ""}`);
      writeFileSync(path, gz ? gzipSync(text) : text);
      const limits: ReadLimits = { maxLineBytes, maxGunzipBytes: 1 << 20 };
      const file: AuditFile = { path, index: gz ? 1 : 0, compressed: gz, limits };
      const expected = (await forward(file)).reverse();
      const actual = await backward(file, chunkBytes);
      t.deepEqual(actual, expected, JSON.stringify({ text, chunkBytes, maxLineBytes, gz }));
      return true;
    }),
    { numRuns: 400 },
  );
});

test("a line too long stops the read with the file and line named when long lines are not to be yielded", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(path, "short\n" + "y".repeat(50) + "\nlast\n");
  const file: AuditFile = { path, index: 0, compressed: false, limits: { maxLineBytes: 20, maxGunzipBytes: 1 << 20 } };
  const seen: string[] = [];
  const error = await t.throwsAsync(async () => {
    for await (const line of readAuditLinesNewestFirst(file)) seen.push(line.text);
  });
  t.deepEqual(seen, ["last"]);
  t.true(error instanceof ReadLimitError);
  t.is(error?.message, `${path}:2: line longer than 20 bytes (50 bytes; --max-line-bytes)`);
});

test("a symbolic link and a gzip bomb are refused as the forward reader refuses them", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "real.log"), "a\n");
  symlinkSync(join(dir, "real.log"), join(dir, "audit.log"));
  await t.throwsAsync(backward({ path: join(dir, "audit.log"), index: 0, compressed: false }), { instanceOf: NotRegularFileError });
  writeFileSync(join(dir, "audit.log.1.gz"), gzipSync(Buffer.alloc(4096, 0x0a)));
  const bomb = await t.throwsAsync(backward({ path: join(dir, "audit.log.1.gz"), index: 1, compressed: true, limits: { maxLineBytes: 100, maxGunzipBytes: 1000 } }));
  t.true(bomb instanceof ReadLimitError);
  t.regex(bomb?.message ?? "", /decompresses to more than 1000 bytes/);
});

test("an archive larger than the in-memory bound is spilled to a private temporary file, read backwards and left nowhere", async (t) => {
  const dir = tempDir(t);
  const lines: string[] = [];
  for (let i = 1, bytes = 0; bytes <= GZ_IN_MEMORY_BYTES + 100_000; i++) {
    const line = `ox.login, login=user${i}, note=${"é".repeat(i % 7)}`;
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  const path = join(dir, "audit.log.2.gz");
  writeFileSync(path, gzipSync(lines.join("\n") + "\n"));
  const before = readdirSync(tmpdir()).filter((name) => name.startsWith("slf4ts-inflated-")).length;
  const file: AuditFile = { path, index: 2, compressed: true };
  let expected = lines.length;
  let count = 0;
  for await (const line of readAuditLinesNewestFirst(file)) {
    if (count === 0) t.is(readdirSync(tmpdir()).filter((name) => name.startsWith("slf4ts-inflated-")).length, before, "no temporary file has a name while it is read");
    t.is(line.lineNumber, expected);
    t.is(line.text, lines[expected - 1] as string);
    expected--;
    count++;
  }
  t.is(count, lines.length);
});

test("line numbers: an active file that grew is counted on, one rewritten (same size, other lines) counted again", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const file: AuditFile = { path, index: 0, compressed: false };
  writeFileSync(path, "a\nb\nc\n");
  t.deepEqual((await backward(file)).map((l) => [l.lineNumber, l.text]), [[3, "c"], [2, "b"], [1, "a"]]);
  appendFileSync(path, "d\ne");
  t.deepEqual((await backward(file)).map((l) => [l.lineNumber, l.text, l.complete]), [[5, "e", false], [4, "d", true], [3, "c", true], [2, "b", true], [1, "a", true]]);
  // The same size, the lines moved (an in-place rewrite): a count carried on would be wrong.
  writeFileSync(path, "\n\n\n\nabcdef");
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  t.deepEqual((await backward(file)).map((l) => [l.lineNumber, l.text]), [[5, "abcdef"], [4, ""], [3, ""], [2, ""], [1, ""]]);
  // Grown, but what was counted changed: counted again from the start.
  writeFileSync(path, "x\ny\nz\nw\nv\nu\nt\ns\n");
  t.deepEqual((await backward(file)).map((l) => l.lineNumber), [8, 7, 6, 5, 4, 3, 2, 1]);
  const opened = openRegularFile(path);
  try {
    t.is(await countNewlines(opened.fd, opened.size), 8);
    t.is(await countNewlines(opened.fd, 4), 2);
  } finally {
    closeSync(opened.fd);
  }
});

test("an empty file has no lines; a file of one line without a line feed has one, not complete", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "empty.log"), "");
  t.deepEqual(await backward({ path: join(dir, "empty.log"), index: 0, compressed: false }), []);
  writeFileSync(join(dir, "one.log"), "only");
  t.deepEqual(await backward({ path: join(dir, "one.log"), index: 0, compressed: false }), [{ text: "only", lineNumber: 1, complete: false }]);
  writeFileSync(join(dir, "empty.log.1.gz"), gzipSync(""));
  t.deepEqual(await backward({ path: join(dir, "empty.log.1.gz"), index: 1, compressed: true }), []);
});
