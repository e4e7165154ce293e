/**
 * Attacks on "nothing lost silently" (review): status listeners that log, reloads and shutdown
 * while records wait for a failing disk, counting, a compressed archive dated in the future. Each
 * test failed on 814a2c0 (before the fixes) and states the documented promise it checks.
 */
import test, { type ExecutionContext } from "ava";
import { join } from "node:path";
import { utimesSync, writeFileSync } from "node:fs";
import { createAuditLogService, parseAuditLine, StatusChannel, type AuditLogger } from "../src/index.js";
import { NODE_FILE_SYSTEM, type WriterFileSystem } from "../src/output/rolling-file.js";
import { captureStatus, P, readLines, tempDir } from "./lib/helpers.js";

const format = { delimiter: "|", includeAttributeNames: true };

/** A file system whose writes fail with EIO while `state.broken`. */
function flakyFs(state: { broken: boolean }): WriterFileSystem {
  return {
    ...NODE_FILE_SYSTEM,
    writeSync: (fd, data) => {
      if (state.broken) throw Object.assign(new Error("input/output error"), { code: "EIO" });
      return NODE_FILE_SYSTEM.writeSync(fd, data);
    },
  };
}

function props(location: string, extra: Record<string, string> = {}) {
  return {
    properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: location, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [P + k, v])) },
    watch: false,
  };
}

async function service(t: ExecutionContext, location: string, extra: Record<string, string>, fs: WriterFileSystem): Promise<AuditLogger> {
  const audit = createAuditLogService({ fileSystem: fs });
  await audit.configure(props(location, extra));
  t.teardown(() => audit.shutdown());
  return audit;
}

const ids = (path: string): string[] => readLines(path).map((l) => {
  const r = parseAuditLine(l, format);
  return r.eventId === "ev" || r.eventId === "note" ? `${r.eventId}:${r.attributes[0]?.[1]}` : r.eventId;
});

/**
 * A listener that writes an audit record of its own on a status event (an alert about the outage):
 * a plausible host, and nothing in docs/configuration.md ("The status channel") forbids log() there.
 */
function logOn(t: ExecutionContext, audit: AuditLogger, codes: readonly string[]): void {
  let n = 0;
  const stop = StatusChannel.subscribe((e) => {
    if (codes.includes(e.code)) audit.log("note", { n: n++, code: e.code });
  });
  t.teardown(stop);
}

test.serial("a status listener that logs on WRITE_RECOVERED and RECORDS_DROPPED (recovery by the retry timer): every record once, the drops stated once, written <= logged", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const state = { broken: false };
  const path = join(dir, "audit.log");
  const audit = await service(t, path, { "buffer.size": "5" }, flakyFs(state));
  logOn(t, audit, ["WRITE_RECOVERED", "RECORDS_DROPPED"]);
  state.broken = true;
  for (let i = 0; i < 12; i++) audit.log("ev", { i });
  t.like(audit.stats(), { buffered: 5, dropped: 7 });
  // The disk answers again before the buffer's own retry (100 ms) comes.
  state.broken = false;
  await new Promise((r) => setTimeout(r, 400));
  await audit.flush();
  const records = readLines(path).map((l) => parseAuditLine(l, format));
  const evs = records.filter((r) => r.eventId === "ev").map((r) => r.attributes[0]?.[1]);
  t.deepEqual(evs, ["0", "1", "2", "3", "4"], "each waiting record written once");
  const drops = records.filter((r) => r.eventId === "slf4ts.audit.dropped");
  const stated = drops.reduce((sum, r) => sum + Number(r.attributes[0]?.[1]), 0);
  const stats = audit.stats();
  t.is(drops.length, 1, `${drops.length} drop records`);
  t.is(stated, stats.dropped, `the drop records state ${stated} dropped, stats().dropped is ${stats.dropped}`);
  t.true(stats.written <= stats.logged + drops.length, `written ${stats.written} > logged ${stats.logged} + ${drops.length} drop record(s)`);
});

test.serial("batched durability, a status listener that logs on WRITE_RECOVERED: the batch waiting for the retry is written once", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const state = { broken: false };
  const path = join(dir, "audit.log");
  const audit = await service(t, path, { "file.durability": "batched" }, flakyFs(state));
  logOn(t, audit, ["WRITE_RECOVERED"]);
  state.broken = true;
  for (let i = 0; i < 5; i++) audit.log("ev", { i });
  // The batch is tried after maxDelayMs (5 ms) and fails; the retry comes 100 ms later.
  await new Promise((r) => setTimeout(r, 30));
  t.like(audit.stats(), { buffered: 5, written: 0 });
  state.broken = false;
  await new Promise((r) => setTimeout(r, 400));
  await audit.flush();
  t.deepEqual(ids(path), ["ev:0", "ev:1", "ev:2", "ev:3", "ev:4", "note:0"]);
  const stats = audit.stats();
  t.like(stats, { logged: 6, written: 6, buffered: 0, dropped: 0 });
});

test.serial("a record a status listener logs while flush() drains (RECORDS_DROPPED) is not left waiting without a retry while the file is writable", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const state = { broken: false };
  const path = join(dir, "audit.log");
  const audit = await service(t, path, { "buffer.size": "5" }, flakyFs(state));
  logOn(t, audit, ["RECORDS_DROPPED"]);
  state.broken = true;
  for (let i = 0; i < 12; i++) audit.log("ev", { i });
  state.broken = false;
  // Within the 100 ms before the buffer's own retry: flush() drains at once.
  await audit.flush();
  // The file is writable; "retried with backoff (100 ms doubling to 5 s)": give it more than the longest delay.
  await new Promise((r) => setTimeout(r, 5500));
  t.like(audit.stats(), { buffered: 0 }, "the listener's record still waits, and no retry is scheduled");
  t.true(ids(path).includes("note:0"));
});

test.serial("a reload from dedicated to standard mode while records wait for a failing disk: they are not lost without being counted (stats().dropped)", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const state = { broken: false };
  const path = join(dir, "audit.log");
  const audit = await service(t, path, {}, flakyFs(state));
  state.broken = true;
  for (let i = 0; i < 10; i++) audit.log("ev", { i });
  t.like(audit.stats(), { logged: 10, written: 0, buffered: 10, dropped: 0 });
  // configuration.md: "Every key reloads, including the switch between standard and dedicated
  // mode [...] A new configuration is swapped in between two log() calls, so no record is lost".
  await audit.configure({ properties: { [`${P}enabled`]: "true" }, watch: false });
  const stats = audit.stats();
  t.is(stats.mode, "standard");
  const onDisk = readLines(path).length;
  t.is(onDisk + stats.buffered + stats.dropped, 10, `logged 10: ${onDisk} in the file, ${stats.buffered} waiting, ${stats.dropped} counted as dropped`);
});

test.serial("shutdown() while records wait for a failing disk: what it cannot write is counted in stats().dropped", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const state = { broken: false };
  const path = join(dir, "audit.log");
  const audit = createAuditLogService({ fileSystem: flakyFs(state) });
  await audit.configure(props(path));
  state.broken = true;
  for (let i = 0; i < 10; i++) audit.log("ev", { i });
  t.like(audit.stats(), { logged: 10, written: 0, buffered: 10, dropped: 0 });
  await audit.shutdown();
  const stats = audit.stats();
  t.is(stats.written + stats.buffered + stats.dropped, stats.logged, `after shutdown: logged ${stats.logged}, written ${stats.written}, buffered ${stats.buffered}, dropped ${stats.dropped}`);
});

/** A file system whose writes to files opened under `bad` fail with ENOSPC while `state.broken`. */
function fsFailingUnder(bad: string, state: { broken: boolean }): WriterFileSystem {
  const badFds = new Set<number>();
  return {
    ...NODE_FILE_SYSTEM,
    openSync: (path, flags, mode) => {
      const fd = NODE_FILE_SYSTEM.openSync(path, flags, mode);
      if (path.startsWith(bad)) badFds.add(fd);
      else badFds.delete(fd);
      return fd;
    },
    writeSync: (fd, data) => {
      if (state.broken && badFds.has(fd)) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      return NODE_FILE_SYSTEM.writeSync(fd, data);
    },
  };
}

test.serial("flush() with file.compress and an archive whose modification time is in the future (a clock stepped back, a restored file) resolves within a bound", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(`${path}.1`, "old|i=1\n");
  const future = Date.now() / 1000 + 3600;
  utimesSync(`${path}.1`, future, future);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure(props(path, { "file.compress": "true" }));
  audit.log("ev", { i: 1 });
  // guarantees.md: flush() waits for the targets at most 5 s (TARGET_FLUSH_MS); a settling archive is not worth more.
  const outcome = await Promise.race([audit.flush().then(() => "flushed"), new Promise((r) => setTimeout(() => r("still waiting after 10 s"), 10_000))]);
  t.is(outcome, "flushed");
});

test.serial("a file target that fails a held burst: a TARGET_FAILED listener asking stats() sees the burst as buffered", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  // The target's folder is a file: opening fails (ENOTDIR).
  writeFileSync(join(dir, "json"), "in the way\n");
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({
    properties: { [P + "enabled"]: "true", [P + "file.location"]: join(dir, "audit.log"), [P + "target.json.type"]: "file", [P + "target.json.path"]: join(dir, "json", "audit.json") },
    watch: false,
  });
  const seen: number[] = [];
  const stop = StatusChannel.subscribe((e) => {
    if (e.code === "TARGET_FAILED") seen.push(audit.stats().targets.find((s) => s.name === "json")?.buffered ?? -1);
  });
  t.teardown(stop);
  for (let seq = 0; seq < 10; seq++) audit.log("ox.login", { seq });
  await audit.flush();
  t.like(audit.stats().targets.find((s) => s.name === "json"), { buffered: 10, sent: 0 });
  t.deepEqual(seen, [10], "the listener was told of the outage while 10 records waited");
});

test.serial("process exit while only the drop record waits (its write failed after the records were written): the exit hook's last attempt writes it", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const state = { broken: false, dropRecordFails: false };
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    writeSync: (fd, data) => {
      const text = typeof data === "string" ? data : Buffer.from(data).toString("utf8");
      if (state.broken || (state.dropRecordFails && text.startsWith("slf4ts.audit.dropped"))) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      return NODE_FILE_SYSTEM.writeSync(fd, data);
    },
  };
  const audit = await service(t, path, { "buffer.size": "3" }, fs);
  state.broken = true;
  for (let i = 0; i < 8; i++) audit.log("ev", { i });
  t.like(audit.stats(), { buffered: 3, dropped: 5 });
  // Space comes back for the three records, and is gone again for the drop record.
  state.broken = false;
  state.dropRecordFails = true;
  await audit.flush();
  t.deepEqual(ids(path), ["ev:0", "ev:1", "ev:2"]);
  t.like(audit.stats(), { buffered: 0, dropped: 5 });
  // The disk can be written again; the process exits before the retry timer (what the exit hook does).
  state.dropRecordFails = false;
  audit.drainForExit();
  t.deepEqual(ids(path), ["ev:0", "ev:1", "ev:2", "slf4ts.audit.dropped"], "guarantees.md: the drop record stands where the records would have been; at exit a last attempt is made");
});

test.serial("a reload that moves the file away from a failing disk, with a status listener that logs on WRITE_RECOVERED: the listener's record is written, waiting or counted", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const state = { broken: true };
  const a = join(dir, "a", "audit.log");
  const b = join(dir, "b", "audit.log");
  const audit = createAuditLogService({ fileSystem: fsFailingUnder(join(dir, "a"), state) });
  t.teardown(() => audit.shutdown());
  await audit.configure(props(a));
  logOn(t, audit, ["WRITE_RECOVERED"]);
  for (let i = 0; i < 5; i++) audit.log("ev", { i });
  t.like(audit.stats(), { logged: 5, buffered: 5, written: 0 });
  // The operator moves the audit file to a healthy disk.
  await audit.configure(props(b));
  await audit.flush();
  await new Promise((r) => setTimeout(r, 300));
  const stats = audit.stats();
  const inB = ids(b);
  t.log(JSON.stringify({ inB, inA: ids(a), logged: stats.logged, written: stats.written, buffered: stats.buffered, dropped: stats.dropped }));
  t.true(stats.logged > 5, "the listener's record(s) were accepted by log()");
  t.is(inB.length + stats.buffered + stats.dropped, stats.logged, `logged ${stats.logged}: ${inB.length} in the new file, ${stats.buffered} waiting, ${stats.dropped} dropped`);
  t.true(inB.includes("note:0"));
  // What the exit hook would write: nothing more reaches any file.
  audit.drainForExit();
  t.true(ids(b).includes("note:0") || ids(a).includes("note:0"), "the exit hook's last attempt does not see it either");
});
