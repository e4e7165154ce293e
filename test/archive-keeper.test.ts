/**
 * The archive keeper alone (`ArchiveKeeper`, src/output/archives.ts), through its injectable
 * file system: one compression at a time, newest first; deletion by age; an archive kept twice
 * (plain and `.gz`) resolved byte for byte; temporaries of a process that died; and a FIFO
 * planted at an archive's name, which must not stop it. The writer-level behaviour is in
 * compression.test.ts.
 */
import test, { type ExecutionContext } from "ava";
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { ArchiveKeeper } from "../src/output/archives.js";
import { NODE_FILE_SYSTEM, type RotationPolicy, type WriterFailure, type WriterFileSystem } from "../src/output/file-system.js";
import type { ArchiveEntry } from "../src/logfile/names.js";
import { listDir, tempDir } from "./lib/helpers.js";

const DAY = 86_400_000;

/** Gives a file a modification time `ms` ago. */
function age(path: string, ms: number): void {
  const seconds = (Date.now() - ms) / 1000;
  utimesSync(path, seconds, seconds);
}

function keeper(t: ExecutionContext, path: string, policy: RotationPolicy, fs: WriterFileSystem = NODE_FILE_SYSTEM) {
  const failures: WriterFailure[] = [];
  const updates: Array<[number, ArchiveEntry | undefined]> = [];
  let compressed = 0;
  const keeper = new ArchiveKeeper(
    path,
    () => policy,
    fs,
    (f) => failures.push(f),
    (index, entry) => updates.push([index, entry === undefined ? undefined : { ...entry }]),
    () => compressed++,
  );
  t.teardown(() => keeper.stop());
  return { keeper, failures, updates, compressed: () => compressed };
}

/** Runs the keeper until it has nothing left to do. */
async function runToIdle(k: ArchiveKeeper): Promise<void> {
  k.schedule();
  await k.idle();
}

test("compresses one archive at a time, newest first, each to a complete .gz of its bytes", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(path, "active\n");
  const contents = new Map<number, string>();
  for (const index of [1, 2, 3]) {
    const text = `archive ${index}\n`.repeat(1000 * index);
    contents.set(index, text);
    writeFileSync(`${path}.${index}`, text);
    age(`${path}.${index}`, 10_000);
  }
  const inodes = [1, 2, 3].map((index) => statSync(`${path}.${index}`).ino);
  const open = new Set<number>();
  const started: string[] = [];
  let most = 0;
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    openSync: (p, flags, mode) => {
      const fd = NODE_FILE_SYSTEM.openSync(p, flags, mode);
      if (p.endsWith(".gz.tmp")) {
        open.add(fd);
        started.push(p);
        most = Math.max(most, open.size);
      }
      return fd;
    },
    closeSync: (fd) => {
      open.delete(fd);
      NODE_FILE_SYSTEM.closeSync(fd);
    },
  };
  const { keeper: k, failures, compressed } = keeper(t, path, { maxSize: 1 << 20, maxArchives: 10, compress: true }, fs);
  await runToIdle(k);
  t.deepEqual(failures, []);
  t.is(most, 1, "never two temporary files open at once");
  t.deepEqual(started, inodes.map((ino) => `${path}.inode-${ino}.gz.tmp`), "newest first, each once");
  t.is(compressed(), 3);
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2.gz", "audit.log.3.gz"]);
  for (const [index, text] of contents) t.is(gunzipSync(readFileSync(`${path}.${index}.gz`)).toString("utf8"), text);
  t.is(readFileSync(path, "utf8"), "active\n", "the active file is not touched");
});

test("an archive still being written to (changed within the settle time) is not compressed yet", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(`${path}.1`, "fresh\n");
  const { keeper: k, compressed } = keeper(t, path, { maxSize: 1 << 20, maxArchives: 10, compress: true });
  k.schedule();
  // Well within the settle time (1.1 s): nothing is compressed yet.
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.deepEqual(listDir(dir), ["audit.log.1"]);
  t.is(compressed(), 0);
  await k.idle();
  t.deepEqual(listDir(dir), ["audit.log.1.gz"]);
});

test("deletes archives of either kind older than maxAgeDays, tells the writer, and never the active file", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(path, "active\n");
  age(path, 30 * DAY);
  writeFileSync(`${path}.1`, "one day\n");
  age(`${path}.1`, 1 * DAY);
  writeFileSync(`${path}.2.gz`, gzipSync("three days\n"));
  age(`${path}.2.gz`, 3 * DAY);
  writeFileSync(`${path}.3`, "five days\n");
  age(`${path}.3`, 5 * DAY);
  const { keeper: k, failures, updates } = keeper(t, path, { maxSize: 1 << 20, maxArchives: 10, maxAgeDays: 2 });
  await runToIdle(k);
  t.deepEqual(failures, []);
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1"]);
  t.deepEqual(updates, [
    [2, undefined],
    [3, undefined],
  ]);
});

test("an archive that cannot be deleted by age is reported as expire, and the others still go", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  for (const index of [1, 2]) {
    writeFileSync(`${path}.${index}`, `${index}\n`);
    age(`${path}.${index}`, 10 * DAY);
  }
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    unlinkSync: (p) => {
      if (p.endsWith(".log.1")) throw Object.assign(new Error("operation not permitted"), { code: "EPERM" });
      NODE_FILE_SYSTEM.unlinkSync(p);
    },
  };
  const { keeper: k, failures } = keeper(t, path, { maxSize: 1 << 20, maxArchives: 10, maxAgeDays: 1 }, fs);
  await runToIdle(k);
  t.deepEqual(
    failures.map((f) => `${f.operation} ${f.path.slice(dir.length + 1)} ${f.error.code}`),
    ["expire audit.log.1 EPERM"],
  );
  t.deepEqual(listDir(dir), ["audit.log.1"]);
});

test("an archive kept twice is resolved byte for byte: same bytes keep the .gz, a .gz cut short goes, two different complete files both stay", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const text = "ox.login, login=thorben\n".repeat(200);
  writeFileSync(`${path}.1`, text);
  writeFileSync(`${path}.1.gz`, gzipSync(text));
  const whole = gzipSync(text);
  writeFileSync(`${path}.2`, text);
  writeFileSync(`${path}.2.gz`, whole.subarray(0, whole.length - 20));
  writeFileSync(`${path}.3`, text);
  writeFileSync(`${path}.3.gz`, gzipSync(text.replace("thorben", "mallory")));
  // One byte more than the original when inflated: complete, and different (not cut short).
  writeFileSync(`${path}.4`, text);
  writeFileSync(`${path}.4.gz`, gzipSync(text + "x"));
  const { keeper: k, failures, updates } = keeper(t, path, { maxSize: 1 << 20, maxArchives: 10 });
  await runToIdle(k);
  t.deepEqual(failures, []);
  t.deepEqual(listDir(dir), ["audit.log.1.gz", "audit.log.2", "audit.log.3", "audit.log.3.gz", "audit.log.4", "audit.log.4.gz"]);
  t.deepEqual(updates, [
    [1, { plain: false, gz: true }],
    [2, { plain: true, gz: false }],
  ]);
  t.is(gunzipSync(readFileSync(`${path}.1.gz`)).toString("utf8"), text);
  t.is(readFileSync(`${path}.2`, "utf8"), text);
});

test("temporaries: alone, every one left is deleted; shared, only those nobody wrote to for a minute, and an archive another process compresses is left to it", async (t) => {
  for (const shared of [false, true]) {
    const dir = tempDir(t);
    const path = join(dir, "audit.log");
    for (const index of [1, 2]) {
      writeFileSync(`${path}.${index}`, `archive ${index}\n`);
      age(`${path}.${index}`, 10_000);
    }
    const busy = `audit.log.inode-${statSync(`${path}.1`).ino}.gz.tmp`;
    writeFileSync(join(dir, busy), "partial");
    const dead = "audit.log.inode-99999999.gz.tmp";
    writeFileSync(join(dir, dead), "partial");
    age(join(dir, dead), 120_000);
    const { keeper: k, failures } = keeper(t, path, { maxSize: 1 << 20, maxArchives: 10, compress: true, shared });
    await runToIdle(k);
    t.deepEqual(failures, [], `shared=${shared}`);
    t.deepEqual(listDir(dir), shared ? ["audit.log.1", "audit.log.2.gz", busy] : ["audit.log.1.gz", "audit.log.2.gz"], `shared=${shared}`);
  }
});

test("a FIFO planted at an archive's name kept twice does not block the keeper: it is reported and left", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  execFileSync("mkfifo", [`${path}.1`]);
  writeFileSync(`${path}.1.gz`, gzipSync("records\n"));
  const { keeper: k, failures } = keeper(t, path, { maxSize: 1 << 20, maxArchives: 10 });
  await runToIdle(k);
  t.deepEqual(
    failures.map((f) => `${f.operation} ${f.path.slice(dir.length + 1)} ${f.error.code}`),
    ["compress audit.log.1 ENOTREG"],
  );
  t.deepEqual(listDir(dir), ["audit.log.1", "audit.log.1.gz"]);
});

test("a FIFO planted at an archive's name is not compressed and does not block the keeper: it is reported as an archive that cannot be read", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  execFileSync("mkfifo", [`${path}.1`]);
  writeFileSync(`${path}.2`, "records\n");
  age(`${path}.2`, 10_000);
  const { keeper: k, failures } = keeper(t, path, { maxSize: 1 << 20, maxArchives: 10, compress: true });
  await runToIdle(k);
  t.deepEqual(
    failures.map((f) => `${f.operation} ${f.path.slice(dir.length + 1)} ${f.error.code}`),
    ["compress audit.log.1 ENOTREG"],
  );
  // As after any archive that cannot be read: the next attempt waits (COMPRESS_RETRY_MS).
  t.deepEqual(listDir(dir), ["audit.log.1", "audit.log.2"]);
});
