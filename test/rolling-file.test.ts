import test from "ava";
import { chmodSync, statSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RollingFileWriter, NODE_FILE_SYSTEM, type WriterFailure } from "../src/output/rolling-file.js";
import { listDir, readLines, tempDir } from "./lib/helpers.js";

const line = (i: number): string => `record-${String(i).padStart(4, "0")}\n`; // 12 bytes

test("rotates before a record would pass the size: names, count and sizes on disk", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const writer = new RollingFileWriter(path, { maxSize: 50, maxArchives: 3 });
  for (let i = 0; i < 30; i++) t.true(writer.write(line(i)));
  writer.close();
  // 4 records (48 bytes) fit in 50; 30 records make 8 files, of which the active one and 3 archives are kept.
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]);
  t.deepEqual(readLines(path), ["record-0028", "record-0029"]);
  t.deepEqual(readLines(`${path}.1`), ["record-0024", "record-0025", "record-0026", "record-0027"]);
  t.deepEqual(readLines(`${path}.3`), ["record-0016", "record-0017", "record-0018", "record-0019"]);
  for (const name of listDir(dir)) t.true(statSync(join(dir, name)).size <= 50, name);
  t.is(writer.stats.rotations, 7);
  t.is(writer.stats.written, 30);
});

test("a record larger than the limit gets a file of its own and is never split", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const writer = new RollingFileWriter(path, { maxSize: 20, maxArchives: 5 });
  const big = `${"x".repeat(99)}\n`;
  writer.write("small-1\n");
  writer.write(big);
  writer.write("small-2\n");
  writer.close();
  t.deepEqual(readLines(`${path}.2`), ["small-1"]);
  t.is(readFileSync(`${path}.1`, "utf8"), big);
  t.deepEqual(readLines(path), ["small-2"]);
});

test("counts bytes, not characters: multi-byte records rotate at the byte limit", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const writer = new RollingFileWriter(path, { maxSize: 10, maxArchives: 2 });
  writer.write("äöü\n"); // 7 bytes
  writer.write("ß€\n"); // 6 bytes: would make 13
  writer.close();
  t.is(readFileSync(`${path}.1`, "utf8"), "äöü\n");
  t.is(readFileSync(path, "utf8"), "ß€\n");
});

test("appends to an existing file and counts its size", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(path, "x".repeat(45) + "\n");
  const writer = new RollingFileWriter(path, { maxSize: 50, maxArchives: 2 });
  writer.write("more\n"); // 46 + 5 = 51 > 50: rotate first
  writer.close();
  t.is(readFileSync(path, "utf8"), "more\n");
  t.is(statSync(`${path}.1`).size, 46);
});

test("creates parent folders and files readable by owner and group only", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "a", "b", "audit.log");
  const old = process.umask(0o002);
  try {
    const writer = new RollingFileWriter(path, { maxSize: 1000, maxArchives: 1 });
    t.true(writer.write("x\n"));
    writer.close();
  } finally {
    process.umask(old);
  }
  t.is(statSync(path).mode & 0o777, 0o640);
  t.is(statSync(join(dir, "a")).mode & 0o777, 0o750);
});

test("a smaller archive count removes the archives beyond it at the next rotation", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const writer = new RollingFileWriter(path, { maxSize: 12, maxArchives: 6 });
  for (let i = 0; i < 7; i++) writer.write(line(i));
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3", "audit.log.4", "audit.log.5", "audit.log.6"]);
  writer.setPolicy({ maxSize: 12, maxArchives: 2 });
  writer.write(line(7));
  writer.close();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2"]);
  t.deepEqual(readLines(`${path}.2`), ["record-0005"]);
});

test("a failing write is reported, never thrown, and the writer recovers", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const failures: WriterFailure[] = [];
  let failNext = 0;
  const fs = {
    ...NODE_FILE_SYSTEM,
    writeSync: (fd: number, data: string | Uint8Array) => {
      if (failNext > 0) {
        failNext--;
        throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      }
      return NODE_FILE_SYSTEM.writeSync(fd, data);
    },
  };
  const writer = new RollingFileWriter(path, { maxSize: 1000, maxArchives: 1 }, (f) => failures.push(f), fs);
  t.true(writer.write("one\n"));
  failNext = 1;
  t.false(writer.write("two\n"));
  t.true(writer.write("three\n"));
  writer.close();
  t.deepEqual(readLines(path), ["one", "three"]);
  t.is(failures.length, 1);
  t.is(failures[0]?.error.code, "ENOSPC");
  t.is(writer.stats.failed, 1);
});

test("a short write is completed, not left torn", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const fs = {
    ...NODE_FILE_SYSTEM,
    writeSync: (fd: number, data: string | Uint8Array) => {
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      return NODE_FILE_SYSTEM.writeSync(fd, bytes.subarray(0, Math.min(3, bytes.length)));
    },
  };
  const writer = new RollingFileWriter(path, { maxSize: 1000, maxArchives: 1 }, () => undefined, fs);
  t.true(writer.write("a longer record\n"));
  writer.close();
  t.is(readFileSync(path, "utf8"), "a longer record\n");
});

test("archives keep the permissions of the active file, and so does the next active file", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const writer = new RollingFileWriter(path, { maxSize: 12, maxArchives: 3 });
  writer.write(line(0));
  chmodSync(path, 0o600); // an operator tightened the file
  writer.write(line(1));
  writer.write(line(2));
  writer.close();
  t.is(statSync(`${path}.1`).mode & 0o777, 0o600);
  t.is(statSync(`${path}.2`).mode & 0o777, 0o600);
  t.is(statSync(path).mode & 0o777, 0o600);
});

