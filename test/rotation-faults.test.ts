import test from "ava";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAuditLogService } from "../src/index.js";
import { NODE_FILE_SYSTEM, RollingFileWriter, type WriterFileSystem } from "../src/output/rolling-file.js";
import { captureStatus, listDir, P, readLines, tempDir } from "./lib/helpers.js";

const line = (i: number): string => `record-${String(i).padStart(4, "0")}\n`; // 12 bytes


test.serial("a rotation that cannot rename the active file touches no archive and the records go on", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  let refuse = false;
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    renameSync: (from, to) => {
      if (refuse && from === path) throw Object.assign(new Error("operation not permitted"), { code: "EPERM" });
      NODE_FILE_SYSTEM.renameSync(from, to);
    },
  };
  const failures: string[] = [];
  const writer = new RollingFileWriter(path, { maxSize: 24, maxArchives: 3 }, (f) => failures.push(`${f.operation}:${f.error.code}`), fs);
  for (let i = 0; i < 8; i++) writer.write(line(i)); // two per file: active + 3 archives
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]);
  refuse = true;
  for (let i = 8; i < 20; i++) t.true(writer.write(line(i)));
  writer.close();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"], "no archive deleted or shifted");
  t.deepEqual(readLines(`${path}.3`), ["record-0000", "record-0001"]);
  t.deepEqual(readLines(path), Array.from({ length: 14 }, (_, k) => `record-${String(k + 6).padStart(4, "0")}`), "the active file grew");
  t.deepEqual(failures, ["rotate:EPERM"], "reported once; the next attempt waits a minute");
});

test.serial("batched mode with a rotation that fails does not loop and writes every record", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    renameSync: (from, to) => {
      if (from === path) throw Object.assign(new Error("busy"), { code: "EBUSY" });
      NODE_FILE_SYSTEM.renameSync(from, to);
    },
  };
  const audit = createAuditLogService({ fileSystem: fs });
  await audit.configure({
    properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: path, [`${P}file.size`]: "64", [`${P}file.durability`]: "batched" },
    watch: false,
  });
  for (let i = 0; i < 50; i++) audit.log("ev", { i });
  await audit.flush();
  await audit.shutdown();
  t.is(readLines(path).length, 50);
  t.is(audit.stats().rotations, 0);
});

test.serial("records written into a deleted file are written again even when a rotation comes first", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const writer = new RollingFileWriter(path, { maxSize: 48, maxArchives: 50 });
  writer.write(line(0));
  rmSync(path);
  for (let i = 1; i < 10; i++) writer.write(line(i)); // rotations happen before the once-a-second check
  writer.close();
  const files = listDir(dir).sort((a, b) => Number(b.split(".")[2] ?? 0) - Number(a.split(".")[2] ?? 0));
  const lines = files.flatMap((f) => readLines(join(dir, f)));
  t.deepEqual(lines, Array.from({ length: 10 }, (_, i) => `record-${String(i).padStart(4, "0")}`));
});

test.serial("a rotation interrupted by a crash (file.rotating left behind) is finished by the next one", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(`${path}.1`, line(0));
  writeFileSync(`${path}.rotating`, line(1)); // renamed aside, then the process died
  writeFileSync(path, line(2));
  const writer = new RollingFileWriter(path, { maxSize: 12, maxArchives: 5 });
  writer.write(line(3));
  writer.close();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]);
  t.deepEqual(["audit.log.3", "audit.log.2", "audit.log.1", "audit.log"].flatMap((f) => readLines(join(dir, f))), ["record-0000", "record-0001", "record-0002", "record-0003"]);
  t.false(existsSync(`${path}.rotating`));
});

test.serial("a crash in the middle of a rotation's shift is finished at the next start: .rotating becomes .1, the one gap closes, order kept", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  // Before the crash: .1 (newest) … .4 (oldest), active file. The rotation renamed the active
  // file aside, moved .4 to .5 and .3 to .4, and died before moving .2 to .3.
  writeFileSync(`${path}.5`, line(0));
  writeFileSync(`${path}.4`, line(1));
  writeFileSync(`${path}.2`, line(2));
  writeFileSync(`${path}.1`, line(3));
  writeFileSync(`${path}.rotating`, line(4));
  const notices: string[] = [];
  const writer = new RollingFileWriter(path, { maxSize: 100, maxArchives: 10 }, () => undefined, NODE_FILE_SYSTEM, (code, message) => notices.push(`${code} ${message}`));
  t.is(writer.tryOpen(), undefined);
  // Finished at open, before anything is written (the integrity chain resumes from the newest file).
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3", "audit.log.4", "audit.log.5"]);
  writer.write(line(5));
  writer.close();
  t.deepEqual(["audit.log.5", "audit.log.4", "audit.log.3", "audit.log.2", "audit.log.1", "audit.log"].flatMap((f) => readLines(join(dir, f))), [0, 1, 2, 3, 4, 5].map((i) => line(i).trim()));
  t.is(writer.stats.recovered, 1);
  t.regex(notices[0] ?? "", /^ROTATION_RECOVERED .*audit\.log\.rotating is now audit\.log\.1, archives 1 to 2 moved up by one/);
});

test.serial("a gap with no .rotating was not made by a rotation: it is left for verify to report", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(`${path}.3`, line(0));
  writeFileSync(`${path}.1`, line(1));
  const writer = new RollingFileWriter(path, { maxSize: 100, maxArchives: 10 });
  writer.write(line(2));
  writer.close();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.3"]);
  t.is(writer.stats.recovered, 0);
});

test.serial("a reload while records are being dropped still writes the drop record", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  let broken = true;
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    writeSync: (fd, data) => {
      if (broken) throw Object.assign(new Error("no space"), { code: "ENOSPC" });
      return NODE_FILE_SYSTEM.writeSync(fd, data);
    },
  };
  const audit = createAuditLogService({ fileSystem: fs });
  const props = (extra: Record<string, string>) => ({
    properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: join(dir, "a.log"), [`${P}buffer.size`]: "5", ...extra },
    watch: false,
  });
  await audit.configure(props({}));
  for (let i = 0; i < 12; i++) audit.log("ev", { i });
  t.like(audit.stats(), { buffered: 5, dropped: 7 });
  await audit.configure(props({ [`${P}file.durability`]: "batched" }));
  t.like(audit.stats(), { buffered: 5, dropped: 7 });
  broken = false;
  await audit.flush();
  await audit.shutdown();
  const lines = readLines(join(dir, "a.log"));
  t.deepEqual(lines.slice(0, 5), ["ev|i=0", "ev|i=1", "ev|i=2", "ev|i=3", "ev|i=4"]);
  t.regex(lines[5] ?? "", /^slf4ts\.audit\.dropped\|dropped=7\|from=.*\|to=/);
  t.is(lines.length, 6);
  t.is(audit.stats().dropped, 7);
});

const crashChild = fileURLToPath(new URL("./programs/crash-child.js", import.meta.url));

test("a host's once SIGTERM handler, registered before configure(), decides; the batch is written", (t) => {
  const dir = tempDir(t);
  const props = join(dir, "audit.properties");
  writeFileSync(props, `${P}enabled=true\n${P}file.location=audit.log\n${P}file.durability=batched\n${P}file.durability.maxDelayMs=1000\n`);
  const result = spawnSync(process.execPath, [crashChild, props, "500", "sigterm", "host-once-handler"], { encoding: "utf8", timeout: 60_000 });
  t.is(result.status, 0, `the host's handler ended the process (${result.signal ?? ""} ${result.stderr})`);
  t.is(readLines(join(dir, "audit.log")).length, 501, "the batch and the record the host logged while shutting down");
});
