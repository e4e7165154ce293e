/**
 * Faults of the output, provoked for real where this machine allows (a small tmpfs for ENOSPC
 * and EROFS, an unprivileged child for EACCES, removing the folder, moving the file away, a
 * planted symbolic link) and through an injected file system for EIO. These tests need root
 * (mount, setpriv), which CI and the development machines have.
 */
import test, { type ExecutionContext } from "ava";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAuditLogService, ConfigError, parseAuditLine, type AuditStats, type StatusEvent } from "../src/index.js";
import { NODE_FILE_SYSTEM, type WriterFileSystem } from "../src/output/rolling-file.js";
import { captureStatus, P, readLines, tempDir, waitFor } from "./lib/helpers.js";

const format = { delimiter: "|", includeAttributeNames: true };
const seqOf = (line: string): number => Number(parseAuditLine(line, format).attributes[0]?.[1]);

function requireRoot(t: ExecutionContext): void {
  if (process.getuid?.() !== 0) {
    t.fail("this test provokes real faults (mount, setpriv) and needs root, as CI has");
  }
}

/** A tmpfs of `kb` KiB mounted on a fresh folder, unmounted when the test ends. */
function tmpfs(t: ExecutionContext, kb: number): string {
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${kb}k`, "tmpfs", dir]);
  t.teardown(() => {
    try {
      execFileSync("umount", [dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}


async function dedicated(t: ExecutionContext, location: string, extra: Record<string, string> = {}, fileSystem?: WriterFileSystem) {
  const audit = createAuditLogService(fileSystem === undefined ? {} : { fileSystem });
  await audit.configure({
    properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: location, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [P + k, v])) },
    watch: false,
  });
  t.teardown(() => audit.shutdown());
  return audit;
}

const payload = "x".repeat(80);

test.serial("disk full (ENOSPC on a real tmpfs): records wait in order, one report each way, all written after space returns", async (t) => {
  requireRoot(t);
  const events = captureStatus(t);
  const dir = tmpfs(t, 64);
  // Leave about 8 KiB free.
  writeFileSync(join(dir, "filler"), Buffer.alloc(56 * 1024));
  const audit = await dedicated(t, join(dir, "audit.log"));
  for (let i = 0; i < 400; i++) t.notThrows(() => audit.log("ev", { seq: i, payload }));
  const during = audit.stats();
  t.true(during.buffered > 0, `buffered ${during.buffered}`);
  t.true(during.errors >= 1);
  t.is(events.filter((e) => e.code === "WRITE_FAILED").length, 1);
  rmSync(join(dir, "filler"));
  await audit.flush();
  for (let i = 400; i < 410; i++) audit.log("ev", { seq: i, payload });
  t.deepEqual(readLines(join(dir, "audit.log")).map(seqOf), Array.from({ length: 410 }, (_, i) => i));
  const after = audit.stats();
  t.like(after, { buffered: 0, dropped: 0, written: 410, logged: 410 });
  t.is(events.filter((e) => e.code === "WRITE_RECOVERED").length, 1);
});

test.serial("past buffer.size records are dropped, counted, and one record states how many and when", async (t) => {
  requireRoot(t);
  const events = captureStatus(t);
  const dir = tmpfs(t, 64);
  writeFileSync(join(dir, "filler"), Buffer.alloc(60 * 1024));
  const audit = await dedicated(t, join(dir, "audit.log"), { "buffer.size": "20" });
  const before = Date.now();
  for (let i = 0; i < 100; i++) audit.log("ev", { seq: i, payload });
  const stats = audit.stats();
  const written = stats.written;
  t.is(stats.buffered, 20);
  t.is(stats.dropped, 100 - written - 20);
  rmSync(join(dir, "filler"));
  await audit.flush();
  audit.log("ev", { seq: 100, payload });
  const lines = readLines(join(dir, "audit.log"));
  t.deepEqual(lines.slice(0, written + 20).map(seqOf), Array.from({ length: written + 20 }, (_, i) => i));
  const drop = parseAuditLine(lines[written + 20] as string, format);
  t.is(drop.eventId, "slf4ts.audit.dropped");
  t.deepEqual(drop.attributes[0], ["dropped", String(100 - written - 20)]);
  const from = Date.parse(drop.attributes[1]?.[1] as string);
  const to = Date.parse(drop.attributes[2]?.[1] as string);
  t.true(from >= Math.floor(before / 1000) * 1000 && to >= from && to <= Date.now());
  t.is(seqOf(lines[written + 21] as string), 100);
  t.is(lines.length, written + 22);
  t.true(events.some((e) => e.code === "RECORDS_DROPPED"));
});

test.serial("a read-only file system (EROFS, a real read-only mount): kept and written once it is writable", async (t) => {
  requireRoot(t);
  const events = captureStatus(t);
  const dir = tmpfs(t, 1024);
  mkdirSync(join(dir, "logs"));
  // A file system cannot turn read-only under an open file, so it is read-only from the start.
  execFileSync("mount", ["-o", "remount,ro", dir]);
  let remounted = false;
  t.teardown(() => {
    if (!remounted) execFileSync("mount", ["-o", "remount,rw", dir]);
  });
  const audit = await dedicated(t, join(dir, "logs", "audit.log"));
  for (let i = 0; i < 50; i++) t.notThrows(() => audit.log("ev", { seq: i }));
  t.is(audit.stats().buffered, 50);
  t.true(events.some((e) => e.code === "WRITE_FAILED" && e.message.includes("EROFS")));
  execFileSync("mount", ["-o", "remount,rw", dir]);
  remounted = true;
  await audit.flush();
  t.deepEqual(readLines(join(dir, "logs", "audit.log")).map(seqOf), Array.from({ length: 50 }, (_, i) => i));
});

test.serial("permission denied (EACCES, an unprivileged process): configure() refuses the location; nothing is created, log() writes nothing", async (t) => {
  requireRoot(t);
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-eacces-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const logs = join(dir, "logs");
  mkdirSync(logs, { mode: 0o755 }); // owned by root: the child (nobody) cannot create files here
  const props = join(dir, "audit.properties");
  writeFileSync(props, `${P}enabled=true\n${P}delimiter="|"\n${P}file.location=logs/audit.log\n`, { mode: 0o644 });
  // Unprivileged (nobody), but allowed to read any file (the checkout may sit in a folder only
  // root can enter); writing stays subject to permissions.
  const child = spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", process.execPath, fileURLToPath(new URL("./programs/audit-child.js", import.meta.url)), props], {
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "advanced",
  });
  t.teardown(() => child.kill("SIGKILL"));
  const replies: Array<Record<string, unknown>> = [];
  child.on("message", (m: Record<string, unknown>) => replies.push(m));
  const reply = async (type: string): Promise<Record<string, unknown>> => {
    await waitFor(() => replies.some((r) => r["type"] === type), 15_000);
    const index = replies.findIndex((r) => r["type"] === type);
    return replies.splice(index, 1)[0] as Record<string, unknown>;
  };
  const refused = await reply("config-error");
  t.is(refused["message"], `Invalid audit configuration in ${props} (1 problem):\n  line 3: ${P}file.location = "logs/audit.log": cannot be the audit file: permission denied: this process may not create audit.log in ${logs} (EACCES)`);
  await reply("ready");
  child.send({ type: "log", eventId: "ev", attributes: { seq: 0 } });
  const logged = (await reply("logged")) as { stats: AuditStats };
  t.like(logged.stats, { mode: "disabled", buffered: 0, written: 0 });
  t.false(existsSync(join(logs, "audit.log")));
});

test.serial("I/O error (EIO, injected): one report, kept, written in order when the device answers again", async (t) => {
  const events = captureStatus(t);
  const dir = tempDir(t);
  let broken = false;
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    writeSync: (fd, data) => {
      if (broken) throw Object.assign(new Error("input/output error"), { code: "EIO" });
      return NODE_FILE_SYSTEM.writeSync(fd, data);
    },
  };
  const audit = await dedicated(t, join(dir, "audit.log"), {}, fs);
  audit.log("ev", { seq: 0 });
  broken = true;
  for (let i = 1; i < 100; i++) audit.log("ev", { seq: i });
  t.is(events.filter((e) => e.code === "WRITE_FAILED").length, 1);
  t.true(events.find((e) => e.code === "WRITE_FAILED")?.message.includes("EIO"));
  broken = false;
  await audit.flush();
  t.deepEqual(readLines(join(dir, "audit.log")).map(seqOf), Array.from({ length: 100 }, (_, i) => i));
  t.is(events.filter((e) => e.code === "WRITE_RECOVERED").length, 1);
});

test.serial("the folder removed while running: noticed, recreated, and the records written into the deleted file are written again", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const logs = join(dir, "logs");
  const audit = await dedicated(t, join(logs, "audit.log"));
  for (let i = 0; i < 10; i++) audit.log("ev", { seq: i });
  rmSync(logs, { recursive: true });
  for (let i = 10; i < 20; i++) audit.log("ev", { seq: i });
  await new Promise((r) => setTimeout(r, 1100)); // the writer checks its path once a second
  audit.log("ev", { seq: 20 });
  t.deepEqual(readLines(join(logs, "audit.log")).map(seqOf), Array.from({ length: 21 }, (_, i) => i));
});

test.serial("the active file moved away by an external logrotate: records follow it, then a new file is started", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const active = join(dir, "audit.log");
  const audit = await dedicated(t, active);
  for (let i = 0; i < 5; i++) audit.log("ev", { seq: i });
  renameSync(active, join(dir, "audit.log-20261121"));
  for (let i = 5; i < 10; i++) audit.log("ev", { seq: i });
  await new Promise((r) => setTimeout(r, 1100));
  audit.log("ev", { seq: 10 });
  const moved = readLines(join(dir, "audit.log-20261121")).map(seqOf);
  const fresh = readLines(active).map(seqOf);
  t.deepEqual([...moved, ...fresh], Array.from({ length: 11 }, (_, i) => i));
  // The path is checked once a second: records after the rename follow the moved file until the
  // next check (5-9 here, unless a busy machine let that second pass while they were logged).
  t.true(moved.length >= 5 && moved.length <= 10, `moved ${moved.join(",")}`);
  t.true(fresh.length >= 1 && fresh[fresh.length - 1] === 10, `fresh ${fresh.join(",")}`);
});

test.serial("a symbolic link planted at the file's path is never followed", async (t) => {
  const events = captureStatus(t);
  const dir = tempDir(t);
  const target = join(dir, "elsewhere.txt");
  writeFileSync(target, "precious\n");
  symlinkSync(target, join(dir, "audit.log"));
  const audit = await dedicated(t, join(dir, "audit.log"));
  audit.log("ev", { seq: 0 });
  t.is(readFileSync(target, "utf8"), "precious\n");
  t.is(audit.stats().buffered, 1);
  t.true(events.some((e) => e.code === "WRITE_FAILED" && e.message.includes("ELOOP")));
  // On a reload, with a good configuration in force, such a location is refused.
  const good = await dedicated(t, join(dir, "good.log"));
  const error = (await t.throwsAsync(
    good.configure({ properties: { [`${P}enabled`]: "true", [`${P}file.location`]: join(dir, "audit.log") }, watch: false }),
    { instanceOf: ConfigError },
  )) as ConfigError;
  t.is(error.problems[0]?.key, `${P}file.location`);
  t.regex(error.problems[0]?.expected ?? "", /symbolic link/);
  good.log("ev", { seq: 1 });
  t.deepEqual(readLines(join(dir, "good.log")), ["ev|seq=1"]);
});

test.serial("a location that is a folder keeps the last good configuration on reload", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  mkdirSync(join(dir, "folder.log"));
  const audit = await dedicated(t, join(dir, "a.log"));
  const error = (await t.throwsAsync(
    audit.configure({ properties: { [`${P}enabled`]: "true", [`${P}file.location`]: join(dir, "folder.log") }, watch: false }),
    { instanceOf: ConfigError },
  )) as ConfigError;
  t.regex(error.message, /folder\.log": cannot be the audit file: it is a folder, not a regular file/);
  audit.log("still", { here: 1 });
  t.deepEqual(readLines(join(dir, "a.log")), ["still|here=1"]);
  t.is(audit.stats().file, join(dir, "a.log"));
  t.false(existsSync(join(dir, "folder.log", "x")));
});

const exitChild = fileURLToPath(new URL("./programs/exit-child.js", import.meta.url));

test.serial("process.exit() with records waiting for a full disk: written by the exit hook once there is space, else reported", (t) => {
  requireRoot(t);
  for (const free of ["free", "keep"] as const) {
    const dir = tmpfs(t, 64);
    const filler = join(dir, "filler");
    writeFileSync(filler, Buffer.alloc(60 * 1024));
    const props = join(dir, "audit.properties");
    writeFileSync(props, `${P}enabled=true\n${P}delimiter="|"\n${P}file.location=audit.log\n`);
    const result = spawnSync(process.execPath, [exitChild, props, filler, "100", free], { encoding: "utf8" });
    t.is(result.status, 0, result.stderr);
    const before = JSON.parse(result.stdout) as AuditStats;
    t.true(before.buffered > 0, `${free}: ${before.buffered} records waited at exit`);
    const lines = existsSync(join(dir, "audit.log")) ? readLines(join(dir, "audit.log")) : [];
    if (free === "free") {
      t.deepEqual(lines.map(seqOf), Array.from({ length: 100 }, (_, i) => i));
      t.false(result.stderr.includes("RECORDS_DROPPED"));
    } else {
      t.is(lines.length, 100 - before.buffered);
      t.true(result.stderr.includes(`SLF4TS ERROR [RECORDS_DROPPED] ${before.buffered} audit record(s) could not be written to ${join(dir, "audit.log")} before exit`), result.stderr);
    }
  }
});

test.serial("file.fsync: never, at rotation and close, or after every record", async (t) => {
  for (const [mode, expected] of [
    ["never", 0],
    ["rotation", 3], // two rotations and the close at shutdown
    ["always", 33], // every record, and again at the two rotations and the close
  ] as const) {
    const dir = tempDir(t);
    let syncs = 0;
    const fs: WriterFileSystem = { ...NODE_FILE_SYSTEM, fsyncSync: (fd) => { syncs++; NODE_FILE_SYSTEM.fsyncSync(fd); } };
    const audit = createAuditLogService({ fileSystem: fs });
    await audit.configure({
      properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: join(dir, "a.log"), [`${P}file.size`]: "100", [`${P}file.fsync`]: mode },
      watch: false,
    });
    for (let i = 0; i < 30; i++) audit.log("e", { i: String(i).padStart(2, "0") }); // 8 bytes: 12 per file
    await audit.shutdown();
    t.is(syncs, expected, mode);
    t.is(audit.stats().rotations, 2);
  }
});

