/**
 * The shared pieces of log-file reading (src/logfile/): archive names (one definition for the
 * writer and the commands), opening a file that may be hostile, and the byte-for-byte
 * comparison of an archive kept plain and compressed.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { findAuditLogs } from "../src/logfile/files.js";
import { MAX_ARCHIVE_INDEX, parseArchiveName, parseArchiveNames } from "../src/logfile/names.js";
import { NotRegularFileError, openRegularFile, readRegularFile } from "../src/logfile/read.js";
import { compareTwins } from "../src/logfile/twins.js";
import { tempDir } from "./lib/helpers.js";

test("an archive name is <base>.<1 to 99999>[.gz]: no 0, no leading zero, no longer number", (t) => {
  t.is(MAX_ARCHIVE_INDEX, 99_999);
  t.deepEqual(parseArchiveName("audit.log.3.gz"), { base: "audit.log", index: 3, gz: true });
  t.deepEqual(parseArchiveName("audit.log.99999"), { base: "audit.log", index: 99_999, gz: false });
  t.deepEqual(parseArchiveName("a.1.2"), { base: "a.1", index: 2, gz: false });
  t.deepEqual(parseArchiveName("odd\nname.log.4"), { base: "odd\nname.log", index: 4, gz: false });
  for (const name of ["audit.log", "audit.log.0", "audit.log.01", "audit.log.100000", "audit.log.1.gz.tmp", "audit.log.rotating", ".1", "audit.log.-1", "audit.log.1e3"]) {
    t.is(parseArchiveName(name), undefined, name);
  }
});

test("the writer's listing and the commands' finding agree on which names are archives", (t) => {
  const dir = tempDir(t);
  const names = ["audit.log", "audit.log.1", "audit.log.2.gz", "audit.log.10000", "audit.log.99999.gz", "audit.log.100000", "audit.log.0", "audit.log.07", "audit.log.rotating", "audit.log.inode-12.gz.tmp", "other.log.1"];
  for (const name of names) writeFileSync(join(dir, name), "x\n");
  const listing = parseArchiveNames(join(dir, "audit.log"), names);
  const written = [...listing.archives.keys()].sort((a, b) => a - b);
  t.deepEqual(written, [1, 2, 10_000, 99_999]);
  t.true(listing.rotating);
  t.deepEqual(listing.temporaries, ["audit.log.inode-12.gz.tmp"]);
  const [log] = findAuditLogs(join(dir, "audit.log"));
  const read = (log?.files ?? []).filter((f) => f.index > 0).map((f) => f.index).sort((a, b) => a - b);
  t.deepEqual(read, written);
});

test("openRegularFile opens a regular file and refuses a symbolic link, a folder and a FIFO (without blocking), closing what it opened", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "audit.log");
  writeFileSync(file, "12345");
  const opened = openRegularFile(file);
  t.is(opened.size, 5);
  t.deepEqual(readRegularFile(file, 5), Buffer.from("12345"));
  t.is(readRegularFile(file, 4), undefined, "larger than the bound: not read");
  symlinkSync(file, join(dir, "link"));
  mkdirSync(join(dir, "folder"));
  execFileSync("mkfifo", [join(dir, "fifo")]);
  const refused = (name: string): NotRegularFileError => t.throws(() => openRegularFile(join(dir, name)), { instanceOf: NotRegularFileError }) as NotRegularFileError;
  const link = refused("link");
  t.is(link.code, "ELOOP");
  t.is(link.message, `${join(dir, "link")} is a symbolic link, not a regular file: not read`);
  t.deepEqual([refused("folder").kind, refused("fifo").kind], ["folder", "FIFO"]);
  t.is(refused("fifo").message, `${join(dir, "fifo")} is a FIFO, not a regular file: not read`);
  t.is((t.throws(() => openRegularFile(join(dir, "missing"))) as NodeJS.ErrnoException).code, "ENOENT");
});

test("compareTwins: the same bytes, different bytes, a .gz cut short, one more byte inflated, and a file over the bound", (t) => {
  const dir = tempDir(t);
  const text = "ox.login, login=thorben\n".repeat(100);
  const pair = (name: string, plain: string | Buffer, gz: Buffer): [string, string] => {
    writeFileSync(join(dir, name), plain);
    writeFileSync(join(dir, `${name}.gz`), gz);
    return [join(dir, name), join(dir, `${name}.gz`)];
  };
  const whole = gzipSync(text);
  t.is(compareTwins(...pair("same", text, whole)), "same");
  t.is(compareTwins(...pair("other", text, gzipSync(text.replace("thorben", "mallory")))), "different");
  t.is(compareTwins(...pair("cut", text, whole.subarray(0, whole.length - 30))), "damaged");
  t.is(compareTwins(...pair("longer", text, gzipSync(text + "x"))), "different");
  t.is(compareTwins(...pair("shorter", text, gzipSync(text.slice(1)))), "different");
  t.is(compareTwins(...pair("crlf", text.replace(/\n/g, "\r\n"), whole)), "different", "byte for byte, not line by line");
  t.is(compareTwins(join(dir, "same"), join(dir, "same.gz"), text.length - 1), "too-large");
  // A FIFO in place of the plain copy: refused at once, not waited on.
  execFileSync("mkfifo", [join(dir, "fifo")]);
  writeFileSync(join(dir, "fifo.gz"), whole);
  t.throws(() => compareTwins(join(dir, "fifo"), join(dir, "fifo.gz")), { instanceOf: NotRegularFileError });
});
