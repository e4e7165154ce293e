import test from "ava";
import { chmodSync, renameSync, statSync, readFileSync, writeFileSync } from "node:fs";
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


test("a rotation with 20 archives makes only the calls it needs: one look at the path under the lock, one open and its fstat, the renames and the deletion; the record after it looks at nothing", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const calls: string[] = [];
  let counting = false;
  const fs = Object.fromEntries(
    Object.entries(NODE_FILE_SYSTEM).map(([name, fn]) => [
      name,
      (...args: unknown[]): unknown => {
        if (counting) calls.push(name);
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as typeof NODE_FILE_SYSTEM;
  // Far from the size limit (no check near it), and every archive number taken: a rotation shifts all 20.
  const writer = new RollingFileWriter(path, { maxSize: 4096, maxArchives: 20 }, (f) => t.fail(`${f.operation} ${f.error.message}`), fs);
  for (let i = 0; i < 25; i++) {
    writer.write(line(i));
    writer.rotate();
  }
  writer.write(line(25));
  counting = true;
  t.true(writer.rotate());
  const rotation = [...calls].sort();
  const count = (name: string): number => rotation.filter((c) => c === name).length;
  // followPath's stat (it also gives the mode for the next file: no fstat for it), the open's fstat
  // (type, size, inode), and no stat of the folder (it is there: the open did not fail).
  t.is(count("statSync"), 1, rotation.join(" "));
  t.is(count("fstatSync"), 1, rotation.join(" "));
  t.is(count("openSync"), 1);
  t.is(count("closeSync"), 1);
  // Aside, 19 archives up by one, aside to .1; the 20th is deleted.
  t.is(count("renameSync"), 21);
  t.is(count("unlinkSync"), 1);
  t.is(count("readdirSync"), 0, "the archives are known from the previous rotation");
  t.is(count("mkdirSync"), 0);
  t.is(rotation.length, 26, rotation.join(" "));
  // The record right after a rotation is written without looking at the path (it did before:
  // a stat and an fstat each time). Only a pause of more than PAUSE_CHECK_MS between two records
  // makes one look, which a rotation under load can take.
  let looks = 0;
  for (let i = 0; i < 50; i++) {
    counting = false;
    writer.rotate();
    calls.length = 0;
    counting = true;
    t.true(writer.write(line(100 + i)));
    looks += calls.filter((c) => c === "statSync").length;
  }
  counting = false;
  writer.close();
  t.true(looks < 50, `${looks} of 50 records after a rotation looked at the path`);
  t.deepEqual(listDir(dir), ["audit.log", ...Array.from({ length: 20 }, (_, i) => `audit.log.${i + 1}`)].sort());
  t.deepEqual(readLines(path), ["record-0149"]);
  t.deepEqual(readLines(`${path}.1`), ["record-0148"]);
});

test("the next active file keeps the active file's permissions also through a file system whose stat gives no mode (then one fstat)", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const fs = { ...NODE_FILE_SYSTEM, statSync: (p: string) => ({ ino: NODE_FILE_SYSTEM.statSync(p).ino, size: NODE_FILE_SYSTEM.statSync(p).size, mtimeMs: 0 }) };
  const writer = new RollingFileWriter(path, { maxSize: 12, maxArchives: 3 }, () => undefined, fs);
  writer.write(line(0));
  chmodSync(path, 0o600); // after the open: only a look at the file at the rotation can know
  writer.write(line(1));
  writer.write(line(2));
  writer.close();
  t.is(statSync(`${path}.1`).mode & 0o777, 0o600);
  t.is(statSync(path).mode & 0o777, 0o600);
});

test("a batch that comes more than 2 ms after the previous write looks at the path first, as a single record does: another process's rotation is followed, not written into its archive", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const writer = new RollingFileWriter(path, { maxSize: 1024 * 1024, maxArchives: 3 });
  const batch = (from: number): string[] => [line(from), line(from + 1)];
  t.is(writer.writeMany(batch(0), 0, 2), 2);
  t.is(writer.writeMany(batch(2), 0, 2), 2, "a batch right after the previous one");
  // What another process's rotation (or logrotate) leaves: the file renamed, a new one in its place.
  renameSync(path, `${path}.1`);
  writeFileSync(path, "");
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(writer.writeMany(batch(4), 0, 2), 2);
  writer.close();
  t.deepEqual(readLines(`${path}.1`), ["record-0000", "record-0001", "record-0002", "record-0003"]);
  t.deepEqual(readLines(path), ["record-0004", "record-0005"], "the batch after the pause went to the file the path names");
});
