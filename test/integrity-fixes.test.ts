/**
 * Unit tests for the fixes of the second security review's findings (test/integrity-attacks2.test.ts
 * runs the attacks themselves end to end): the parts that the end-to-end tests reach only slowly
 * or not at all.
 */
import test from "ava";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readAuditLines, type AuditFile } from "../src/logfile/files.js";
import { LineSplitter, ReadLimitError } from "../src/logfile/read.js";
import { createAuditLogService } from "../src/index.js";
import { readLines } from "./lib/helpers.js";
import { INTEGRITY_SETTINGS, integritySetup, reasonOf, verifyJson } from "./lib/integrity.js";
import { evolveSecret, type HmacKeyFile } from "../src/integrity/keys.js";
import { HmacKeyring } from "../src/integrity/verify-files.js";

const key = (over: Partial<HmacKeyFile> = {}): HmacKeyFile => ({ secret: Buffer.alloc(32, 7), start: Date.parse("2026-01-01T00:00:00Z"), seconds: 3600, epoch: 0, ...over });

/** The key of an epoch, derived the slow, obvious way. */
function derived(base: HmacKeyFile, epoch: number): Buffer {
  let secret = base.secret;
  for (let i = base.epoch; i < epoch; i++) secret = evolveSecret(secret);
  return secret;
}

test("keyring: derives the same keys as the plain hash chain, in any order (kept keys used going down and far up)", (t) => {
  for (const base of [key(), key({ epoch: 5, secret: Buffer.alloc(32, 9) })]) {
    const keyring = new HmacKeyring(base, { now: Date.parse("2026-03-01T00:00:00Z"), slackMs: 300_000 });
    for (const epoch of [5, 6, 200, 69, 70, 133, 134, 1000, 5, 999, 1000, 64, 65, 7, 300]) {
      const got = keyring.keyFor(epoch);
      t.true(Buffer.isBuffer(got), String(got));
      t.true((got as Buffer).equals(derived(base, epoch)), `epoch ${epoch} from base epoch ${base.epoch}`);
    }
  }
});

test("keyring: an epoch that has not begun yet (by the key file's start= and seconds=, now and the slack) is refused without deriving it", (t) => {
  const base = key();
  const now = Date.parse("2026-01-02T00:10:00Z"); // epoch 24
  const keyring = new HmacKeyring(base, { now, slackMs: 300_000 });
  t.true(Buffer.isBuffer(keyring.keyFor(24)));
  t.regex(String(keyring.keyFor(25)), /has not begun yet/);
  // With the slack, the next epoch counts once now + slack reaches it.
  const near = new HmacKeyring(base, { now: Date.parse("2026-01-02T00:56:00Z"), slackMs: 300_000 });
  t.true(Buffer.isBuffer(near.keyFor(25)));
  // The key file's seconds= missing: --epoch-seconds bounds it the same way.
  const noSeconds = new HmacKeyring(key({ seconds: undefined }), { now, slackMs: 300_000, seconds: 3600 });
  t.regex(String(noSeconds.keyFor(25)), /has not begun yet/);
  const started = Date.now();
  t.regex(String(keyring.keyFor(1_000_000)), /has not begun yet/);
  t.true(Date.now() - started < 50);
});

test("keyring: without start= (nothing bounds the epoch), alternating epochs near the maximum cost one derivation, not one per call", (t) => {
  const keyring = new HmacKeyring(key({ start: undefined }), { now: Date.now(), slackMs: 300_000 });
  t.true(Buffer.isBuffer(keyring.keyFor(1_000_000)));
  const started = Date.now();
  for (let k = 0; k < 200; k++) t.true(Buffer.isBuffer(keyring.keyFor(k % 2 === 0 ? 999_999 : 1_000_000)));
  const ms = Date.now() - started;
  t.true(ms < 1000, `${ms} ms for 200 alternating epochs`);
});

test("line reader: a reader that stops at a line too long (verify) stops as soon as the bound is passed, not after reading the line whole (a sparse 8 GB file without a line feed)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-fixes-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "audit.log");
  writeFileSync(path, "ox.a, x=1\n");
  truncateSync(path, 8 * 1024 * 1024 * 1024); // sparse: no disk space used
  const file: AuditFile = { path, index: 0, compressed: false, limits: { maxLineBytes: 1024 * 1024, maxGunzipBytes: 1 << 20 } };
  const seen: string[] = [];
  const started = Date.now();
  const error = await t.throwsAsync(async () => {
    for await (const line of readAuditLines(file)) seen.push(line.text);
  });
  t.true(Date.now() - started < 5000, `${Date.now() - started} ms`);
  t.deepEqual(seen, ["ox.a, x=1"]);
  t.true(error instanceof ReadLimitError);
  t.is(error?.message, `${path}:2: line longer than 1048576 bytes (more than 1048576 bytes without a line feed, not read further; --max-line-bytes)`);
});

test("line splitter: stopping at the bound keeps the lines before the long one, and a long line ended in the same chunk is reported whole", (t) => {
  const stop = new LineSplitter(8, true);
  t.deepEqual(stop.push(Buffer.from("abc\nde")), ["abc"]);
  t.deepEqual(stop.push(Buffer.from("fgh")), []);
  // Past 8 bytes and one more (a CR could still belong to the line break): reported at once.
  t.deepEqual(stop.push(Buffer.from("ijklm")), [{ tooLong: 10, partial: true }]);
  const whole = new LineSplitter(8, true);
  t.deepEqual(whole.push(Buffer.from("a\n0123456789\nb\n")), ["a", { tooLong: 10 }]);
  // Without stopping (query, tail), the long line is counted to its end and the reading goes on.
  const go = new LineSplitter(8);
  t.deepEqual(go.push(Buffer.from("abc\nde")), ["abc"]);
  t.deepEqual(go.push(Buffer.from("fghijkl")), []);
  t.deepEqual(go.push(Buffer.from("m\nn\n")), [{ tooLong: 10 }, "n"]);
});

test("line reader: with checkUtf8, lines that are not valid UTF-8 are marked (they decode to U+FFFD like a real one), valid ones, a real U+FFFD included, are not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-fixes-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "audit.log");
  const lines = [Buffer.from("ok é 日本"), Buffer.from("real \uFFFD"), Buffer.from([0x61, 0xe9, 0x62]), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from([0xc0, 0xaf]), Buffer.from("fine")];
  writeFileSync(path, Buffer.concat([...lines.flatMap((l) => [l, Buffer.from("\n")]), Buffer.from([0x78, 0xff])]));
  const file: AuditFile = { path, index: 0, compressed: false };
  const marked = async (checkUtf8: boolean): Promise<number[]> => {
    const found: number[] = [];
    for await (const line of readAuditLines(file, { checkUtf8 })) if (line.invalidUtf8 === true) found.push(line.lineNumber);
    return found;
  };
  t.deepEqual(await marked(true), [3, 4, 5, 7]);
  t.deepEqual(await marked(false), []);
});

test("repaired line: a crash that cut a record in the middle of a multi-byte character (not valid UTF-8 then) is still only `interrupted`: its bytes, not its decoded text, are compared with the signed repaired.bytes", async (t) => {
  const s = integritySetup(t, { base: { ...INTEGRITY_SETTINGS, "file.size": "1MB" }, prefix: "slf4ts-fixes-" });
  const write = async (count: number): Promise<void> => {
    const audit = createAuditLogService();
    await audit.configure({ propertiesFile: s.props, watch: false });
    for (let i = 0; i < count; i++) audit.log("ox.login", { seq: i, login: "日本語のユーザー" });
    await audit.shutdown();
  };
  await write(5);
  const text = readFileSync(s.active);
  // Cut inside the last record (the shutdown checkpoint after it gone too), one byte into a three-byte character.
  const cutAt = text.lastIndexOf(Buffer.from("日")) + 1;
  writeFileSync(s.active, text.subarray(0, cutAt));
  await write(2);
  const lines = readLines(s.active);
  t.true(lines.some((l) => reasonOf(l) === "repaired"));
  const r = await verifyJson(["--key", s.key, s.logs]);
  t.is(r.code, 0, JSON.stringify(r.log.findings));
  t.true(r.log.warnings.some((w) => w.kind === "interrupted" && /cut short by a crash/.test(w.message)), JSON.stringify(r.log.warnings));
});
