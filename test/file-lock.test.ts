import test from "ava";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLock, NODE_LOCK_FILE_SYSTEM, STALE_LOCK_MS, tryLock, type LockFileSystem } from "../src/output/file-lock.js";
import { tempDir } from "./lib/helpers.js";

const contender = fileURLToPath(new URL("./programs/lock-contender.js", import.meta.url));

/** The pid of a process that has exited (a short-lived child). */
function deadPid(): number {
  const result = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(result.stdout);
}

test("a lock held by a live process is not taken: undefined after the wait, the lock untouched", (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  writeFileSync(lock, String(process.pid));
  t.is(acquireLock(lock, 50), undefined);
  t.is(readFileSync(lock, "utf8"), String(process.pid));
});

test("a lock whose owner died is broken and taken; releasing it removes the file", (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  writeFileSync(lock, String(deadPid()));
  const release = acquireLock(lock, 50);
  t.not(release, undefined);
  const [pid, start, token] = readFileSync(lock, "utf8").trim().split(" ");
  t.is(pid, String(process.pid));
  const stat = readFileSync("/proc/self/stat", "latin1");
  t.is(start, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19], "the owner's start time (pid reuse is told apart)");
  t.regex(token ?? "", /^[0-9a-f]{16}$/);
  release?.();
  t.false(existsSync(lock));
});

test(`a lock older than ${STALE_LOCK_MS / 1000} s is broken even though its owner lives`, (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  writeFileSync(lock, String(process.pid));
  const old = (Date.now() - STALE_LOCK_MS - 5000) / 1000;
  utimesSync(lock, old, old);
  const release = acquireLock(lock, 50);
  t.not(release, undefined);
  release?.();
});

/**
 * The race that lost records under load: process B finds the lock taken; before B has looked at
 * it, its owner A releases it and C takes it. B must see C's lock as C's, not break it as
 * abandoned because A's file was gone when B looked.
 */
test("a lock released and taken again by another process while it is looked at is not broken", (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  writeFileSync(lock, "111111"); // A's lock (a pid that is never checked: A releases first)
  let raced = false;
  const race = <T>(read: () => T): T => {
    if (raced) return read();
    raced = true;
    unlinkSync(lock); // A releases…
    try {
      return read(); // …so B finds nothing…
    } finally {
      writeFileSync(lock, String(process.pid)); // …and C (alive) takes the lock.
    }
  };
  const fs: LockFileSystem = {
    ...NODE_LOCK_FILE_SYSTEM,
    readFileSync: (path, encoding) => race(() => NODE_LOCK_FILE_SYSTEM.readFileSync(path, encoding)),
    statSync: (path) => race(() => NODE_LOCK_FILE_SYSTEM.statSync(path)),
  };
  const release = acquireLock(lock, 50, fs);
  t.true(raced);
  t.is(release, undefined, "B must wait for C, not take the lock as well");
  t.is(readFileSync(lock, "utf8"), String(process.pid), "C's lock is still there");
});

test("an abandoned lock replaced by a live process's lock before it is deleted is not deleted", (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  const dead = String(deadPid());
  writeFileSync(lock, dead);
  // After B has read the dead owner's pid, another breaker deletes that lock and C takes a new one.
  let deadRead = false;
  let replaced = false;
  const fs: LockFileSystem = {
    ...NODE_LOCK_FILE_SYSTEM,
    readFileSync: (path, encoding) => {
      const text = NODE_LOCK_FILE_SYSTEM.readFileSync(path, encoding);
      if (text === dead) deadRead = true;
      return text;
    },
    statSync: (path) => {
      if (deadRead && !replaced) {
        replaced = true;
        unlinkSync(lock);
        writeFileSync(lock, String(process.pid));
      }
      return NODE_LOCK_FILE_SYSTEM.statSync(path);
    },
  };
  const release = acquireLock(lock, 50, fs);
  t.true(replaced);
  t.is(release, undefined, "C holds the lock");
  t.is(readFileSync(lock, "utf8"), String(process.pid));
});

test("an abandoned lock that cannot be deleted (another user's, in a sticky folder) ends in undefined after the wait", (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  writeFileSync(lock, String(deadPid()));
  let attempts = 0;
  const fs: LockFileSystem = {
    ...NODE_LOCK_FILE_SYSTEM,
    unlinkSync: () => {
      attempts++;
      throw Object.assign(new Error("EPERM: operation not permitted"), { code: "EPERM" });
    },
  };
  t.is(acquireLock(lock, 50, fs), undefined);
  t.true(attempts >= 1);
  t.true(existsSync(lock));
});

test("4 processes taking one lock 300 times each: never two holders at once", async (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  const runs = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [contender, lock, "300"], { stdio: ["ignore", "pipe", "pipe"] });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          child.on("close", (code) => resolve({ code, stdout, stderr }));
        }),
    ),
  );
  for (const run of runs) {
    t.is(run.code, 0, run.stderr);
    t.deepEqual(JSON.parse(run.stdout), { held: 300, shared: 0, missed: 0 });
  }
  t.false(existsSync(lock));
});

test("a FIFO or a symbolic link at the lock's name is refused at once, never read (reading a FIFO would block for ever)", (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, "fifo.lock");
  execFileSync("mkfifo", [fifo]);
  const started = Date.now();
  const refused = tryLock(fifo, 5000);
  t.true(Date.now() - started < 2000, "no wait: it is not a lock another process holds");
  t.deepEqual(refused, { code: "ENOTLOCK", message: `${fifo} is a FIFO (named pipe), not a lock file; remove it` });
  const target = join(dir, "elsewhere");
  writeFileSync(target, "1");
  const link = join(dir, "link.lock");
  symlinkSync(target, link);
  t.deepEqual(tryLock(link, 5000), { code: "ENOTLOCK", message: `${link} is a symbolic link, not a lock file; remove it` });
  t.is(readFileSync(target, "utf8"), "1", "the link's target is untouched");
});

test("a lock held for the whole wait says by whom", (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  writeFileSync(lock, String(process.pid));
  t.deepEqual(tryLock(lock, 50), { code: "ETIMEDOUT", message: `the lock ${lock} was held by another process (pid ${process.pid}) for the whole wait of 50 ms` });
});

test("a lock that other live processes take one after another for the whole wait is reported as contended (EBUSY), not as held by one (ETIMEDOUT)", (t) => {
  const lock = join(tempDir(t), "audit.log.lock");
  writeFileSync(lock, String(process.pid));
  // Each look finds another holder's lock file (another inode): the lock changes hands.
  let ino = 1;
  const fs: LockFileSystem = {
    ...NODE_LOCK_FILE_SYSTEM,
    statSync: (path) => ({ ...NODE_LOCK_FILE_SYSTEM.statSync(path), ino: ino++, mtimeMs: Date.now() }),
  };
  const result = tryLock(lock, 50, fs, 1);
  t.not(typeof result, "function");
  t.is((result as { code: string }).code, "EBUSY");
  t.is((result as { message: string }).message, `the lock ${lock} was taken by other processes one after another for the whole wait of 50 ms (last pid ${process.pid})`);
  t.true(ino > 2, "looked more than once");
  t.is(readFileSync(lock, "utf8"), String(process.pid), "the lock is untouched");
});
