import test, { type ExecutionContext } from "ava";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { createAuditLogService, parseAuditLine } from "../src/index.js";
import { NODE_FILE_SYSTEM, RollingFileWriter, type RotationPolicy, type WriterFailure, type WriterFileSystem } from "../src/output/rolling-file.js";
import { resolveConfig } from "../src/config/schema.js";
import { captureStatus, listDir, P, readLines, tempDir, waitFor } from "./lib/helpers.js";

const line = (i: number): string => `record-${String(i).padStart(4, "0")}\n`; // 12 bytes
const records = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => `record-${String(from + k).padStart(4, "0")}`);
const DAY = 86_400_000;

/** The lines of an archive, decompressing `.gz` (which must be one complete gzip stream). */
function linesOf(path: string): string[] {
  const bytes = readFileSync(path);
  const text = path.endsWith(".gz") ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

/** Every record of the log, oldest archive first, the active file last. */
function allLines(dir: string, base = "audit.log"): string[] {
  const names = listDir(dir).filter((n) => n === base || /^audit\.log\.\d+(\.gz)?$/.test(n));
  names.sort((a, b) => Number(b.split(".")[2] ?? 0) - Number(a.split(".")[2] ?? 0));
  return names.flatMap((n) => linesOf(join(dir, n)));
}

function writer(t: ExecutionContext, path: string, policy: RotationPolicy, fs: WriterFileSystem = NODE_FILE_SYSTEM): { writer: RollingFileWriter; failures: WriterFailure[] } {
  const failures: WriterFailure[] = [];
  const w = new RollingFileWriter(path, policy, (f) => failures.push(f), fs);
  t.teardown(() => w.close());
  return { writer: w, failures };
}

test("compressed archives are complete gzip files holding exactly the records; no temporary file stays", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const { writer: w, failures } = writer(t, path, { maxSize: 48, maxArchives: 10, compress: true });
  for (let i = 0; i < 14; i++) t.true(w.write(line(i))); // 4 per file
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2.gz", "audit.log.3.gz"]);
  t.deepEqual(linesOf(`${path}.3.gz`), records(0, 4));
  t.deepEqual(linesOf(`${path}.2.gz`), records(4, 8));
  t.deepEqual(linesOf(`${path}.1.gz`), records(8, 12));
  t.deepEqual(readLines(path), records(12, 14));
  // Byte for byte, not only line for line.
  t.is(gunzipSync(readFileSync(`${path}.1.gz`)).toString("utf8"), records(8, 12).map((l) => l + "\n").join(""));
  t.deepEqual(failures, []);
});

test("a compressed archive keeps the age and permissions of the original", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const { writer: w } = writer(t, path, { maxSize: 12, maxArchives: 3 });
  w.write(line(0));
  w.write(line(1)); // audit.log.1 now
  const old = (Date.now() - 3 * DAY) / 1000;
  utimesSync(`${path}.1`, old, old);
  chmodSync(`${path}.1`, 0o604);
  w.setPolicy({ maxSize: 12, maxArchives: 3, compress: true });
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz"]);
  t.is(Math.round(statSync(`${path}.1.gz`).mtimeMs / 1000), Math.round(old));
  t.is(statSync(`${path}.1.gz`).mode & 0o777, 0o604);
});

test("rotation shifts a mix of plain and compressed archives: one file per number, none lost, the count covers both", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  // As left by a reload that switched compression on and off: .1 plain, .2 compressed, .3 plain, .4 compressed.
  writeFileSync(`${path}.4.gz`, gzipSync(line(0)));
  writeFileSync(`${path}.3`, line(1));
  writeFileSync(`${path}.2.gz`, gzipSync(line(2)));
  writeFileSync(`${path}.1`, line(3));
  writeFileSync(path, line(4));
  const { writer: w, failures } = writer(t, path, { maxSize: 12, maxArchives: 6 });
  w.write(line(5));
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3.gz", "audit.log.4", "audit.log.5.gz"]);
  t.deepEqual(allLines(dir), records(0, 6));
  // Two more rotations pass the count of 6: the oldest go, whichever their kind.
  w.write(line(6));
  w.write(line(7));
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3", "audit.log.4", "audit.log.5.gz", "audit.log.6"]);
  t.deepEqual(allLines(dir), records(1, 8));
  w.write(line(8));
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3", "audit.log.4", "audit.log.5", "audit.log.6.gz"]);
  t.deepEqual(allLines(dir), records(2, 9));
  await w.compressionIdle();
  t.deepEqual(failures, []);
});

test("with compression the count limit keeps exactly file.count archives, all compressed, the newest records", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const { writer: w, failures } = writer(t, path, { maxSize: 24, maxArchives: 3, compress: true });
  for (let i = 0; i < 40; i++) {
    w.write(line(i));
    // Now and then let the compression catch up (a busy writer rotates faster than it compresses).
    if (i % 7 === 0) await w.compressionIdle();
  }
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2.gz", "audit.log.3.gz"]);
  t.deepEqual(allLines(dir), records(32, 40));
  t.deepEqual(failures, []);
});

test("a writer that rotates faster than it compresses: every archive ends up compressed, no record lost or doubled", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const { writer: w, failures } = writer(t, path, { maxSize: 4096, maxArchives: 1000, compress: true });
  // ~90 rotations in one synchronous burst: the compression starts only after it, and
  // every archive has moved up many numbers by the time its compression completes.
  for (let i = 0; i < 30_000; i++) w.write(line(i % 10_000));
  await w.compressionIdle();
  const names = listDir(dir);
  t.false(names.some((n) => n.endsWith(".tmp")));
  const archives = names.filter((n) => n !== "audit.log");
  t.is(archives.length, Math.ceil(30_000 / 341) - 1, "341 records of 12 bytes fit in 4096");
  t.true(archives.every((n) => n.endsWith(".gz")), "all compressed");
  t.is(w.stats.compressed, archives.length, "each once");
  const expected = Array.from({ length: 30_000 }, (_, i) => `record-${String(i % 10_000).padStart(4, "0")}`);
  t.deepEqual(allLines(dir), expected);
  t.deepEqual(failures, []);
});

test("a burst of rotations during a compression: the archive being compressed is found under its new number", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const { writer: w } = writer(t, path, { maxSize: 64 * 1024, maxArchives: 50, compress: true });
  const big = (i: number): string => `${String(i).padStart(6, "0")} ${"y".repeat(1000)}\n`;
  let i = 0;
  for (; i < 70; i++) w.write(big(i)); // 1008 bytes: one rotation, .1 holds records 0..64
  // An archive is compressed once it has settled (unchanged for SETTLE_MS): make .1 look settled.
  utimesSync(`${path}.1`, (Date.now() - 5000) / 1000, (Date.now() - 5000) / 1000);
  // Let the compression of .1 start, then rotate twice more before it can finish.
  await new Promise((r) => setImmediate(r));
  t.true(listDir(dir).some((n) => n.endsWith(".gz.tmp")), "the compression is under way");
  for (; i < 200; i++) w.write(big(i));
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2.gz", "audit.log.3.gz"]);
  t.deepEqual(linesOf(`${path}.3.gz`).map((l) => Number(l.slice(0, 6))), Array.from({ length: 65 }, (_, k) => k));
  t.deepEqual(allLines(dir).map((l) => Number(l.slice(0, 6))), Array.from({ length: 200 }, (_, k) => k));
});

test("archives older than maxAge days are deleted at start and after a rotation; the active file never", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const ago = (days: number): number => (Date.now() - days * DAY) / 1000;
  for (const [name, days] of [
    ["audit.log", 30],
    ["audit.log.1", 1],
    ["audit.log.2.gz", 6.9],
    ["audit.log.3", 7.1],
    ["audit.log.4.gz", 20],
  ] as const) {
    writeFileSync(join(dir, name), name.endsWith(".gz") ? gzipSync(line(0)) : line(0));
    utimesSync(join(dir, name), ago(days), ago(days));
  }
  const { writer: w } = writer(t, path, { maxSize: 20, maxArchives: 10, maxAgeDays: 7 });
  t.true(w.open());
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2.gz"], "the old active file stays");
  // After a rotation the age is checked again. An archive's age is that of its last record:
  // the active file, last written 30 days ago, goes as soon as it is an archive.
  utimesSync(`${path}.2.gz`, ago(8), ago(8));
  w.write(line(1)); // 12 + 12 bytes: rotates first
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.2"]);
  t.deepEqual(readLines(path), records(1, 2));
});

test("left-overs of a crash are resolved at start: a partial .gz.tmp is deleted and its archive compressed again, .rotating finished", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(`${path}.2`, line(0));
  const partial = gzipSync(line(1)).subarray(0, 10); // cut short by the crash
  writeFileSync(`${path}.inode-${statSync(`${path}.2`).ino}.gz.tmp`, partial);
  writeFileSync(`${path}.1`, line(1));
  writeFileSync(`${path}.rotating`, line(2));
  writeFileSync(path, line(3));
  const { writer: w, failures } = writer(t, path, { maxSize: 12, maxArchives: 10, compress: true });
  w.write(line(4));
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2.gz", "audit.log.3.gz", "audit.log.4.gz"]);
  t.deepEqual(allLines(dir), records(0, 5));
  t.deepEqual(failures, []);
});

test("a crash between the .gz taking its name and the original's deletion: the original goes when the sizes agree", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(`${path}.1`, line(1));
  writeFileSync(`${path}.1.gz`, gzipSync(line(1)));
  // Two different files under one number (made by hand): both are kept and move together.
  writeFileSync(`${path}.2`, line(0) + line(0));
  writeFileSync(`${path}.2.gz`, gzipSync(line(0)));
  const { writer: w } = writer(t, path, { maxSize: 12, maxArchives: 10 });
  t.true(w.open());
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2", "audit.log.2.gz"]);
  w.write(line(2));
  w.write(line(3));
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2.gz", "audit.log.3", "audit.log.3.gz"]);
  t.deepEqual(linesOf(`${path}.2.gz`), records(1, 2));
});

test("a compression that fails (ENOSPC) keeps the uncompressed archive, reports, leaves no temporary file, and is retried later", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const tmpFds = new Set<number>();
  let full = true;
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    openSync: (p, flags, mode) => {
      const fd = NODE_FILE_SYSTEM.openSync(p, flags, mode);
      if (p.endsWith(".gz.tmp")) tmpFds.add(fd);
      return fd;
    },
    writeSync: (fd, data) => {
      if (full && tmpFds.has(fd)) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      return NODE_FILE_SYSTEM.writeSync(fd, data);
    },
  };
  const { writer: w, failures } = writer(t, path, { maxSize: 24, maxArchives: 5, compress: true }, fs);
  for (let i = 0; i < 5; i++) t.true(w.write(line(i)));
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2"]);
  t.deepEqual(failures.map((f) => `${f.operation}:${f.error.code}`), ["compress:ENOSPC"], "reported once; the next attempt waits a minute");
  t.true(failures[0]?.path.endsWith(".gz.tmp"));
  t.deepEqual(allLines(dir), records(0, 5));
  // Rotations go on meanwhile.
  for (let i = 5; i < 7; i++) t.true(w.write(line(i)));
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]);
  // Space again, and a new start: the archives are compressed.
  full = false;
  w.close();
  t.true(w.open());
  await w.compressionIdle();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2.gz", "audit.log.3.gz"]);
  t.deepEqual(allLines(dir), records(0, 7));
});

test("an archive that cannot be read (EACCES) is reported as COMPRESS_FAILED by the service; log() goes on", async (t) => {
  const events = captureStatus(t);
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const fs: WriterFileSystem = {
    ...NODE_FILE_SYSTEM,
    openSync: (p, flags, mode) => {
      if (/\.log\.\d+$/.test(p)) throw Object.assign(new Error("permission denied"), { code: "EACCES" });
      return NODE_FILE_SYSTEM.openSync(p, flags, mode);
    },
  };
  const audit = createAuditLogService({ fileSystem: fs });
  await audit.configure({
    properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: path, [`${P}file.size`]: "14", [`${P}file.compress`]: "true" },
    watch: false,
  });
  for (let i = 0; i < 6; i++) t.notThrows(() => audit.log("ev", { i }));
  await audit.flush();
  await audit.shutdown();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2"]);
  const failed = events.filter((e) => e.code === "COMPRESS_FAILED");
  t.is(failed.length, 1);
  t.regex(failed[0]?.message ?? "", /^could not compress the archive .*audit\.log\.1 \(EACCES: permission denied\); it stays uncompressed/);
  t.deepEqual(allLines(dir), ["ev|i=0", "ev|i=1", "ev|i=2", "ev|i=3", "ev|i=4", "ev|i=5"]);
});

test("reload switches compression on and off and sets the age limit; the service's files follow", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  const configure = (extra: Record<string, string>) =>
    audit.configure({
      properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: path, [`${P}file.size`]: "20", [`${P}file.count`]: "20", ...extra },
      watch: false,
    });
  await configure({});
  let seq = 0;
  const log = (n: number): void => {
    for (let k = 0; k < n; k++) audit.log("ev", { i: String(seq++).padStart(2, "0") }); // "ev|i=00\n": 8 bytes, 2 per file
  };
  log(6);
  await audit.flush();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2"]);
  await configure({ [`${P}file.compress`]: "true" });
  await audit.flush();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2.gz"], "archives made before are compressed too");
  log(4);
  await audit.flush();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1.gz", "audit.log.2.gz", "audit.log.3.gz", "audit.log.4.gz"]);
  await configure({ [`${P}file.compress`]: "false" });
  log(4);
  await audit.flush();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3.gz", "audit.log.4.gz", "audit.log.5.gz", "audit.log.6.gz"]);
  t.deepEqual(
    allLines(dir).map((l) => Number(l.slice("ev|i=".length))),
    Array.from({ length: 14 }, (_, k) => k),
  );
  // The age limit, set by a reload, applies at once.
  const old = (Date.now() - 2 * DAY) / 1000;
  for (const name of ["audit.log.5.gz", "audit.log.6.gz", "audit.log.2"]) utimesSync(join(dir, name), old, old);
  await configure({ [`${P}file.maxAge`]: "1" });
  await audit.flush();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1", "audit.log.3.gz", "audit.log.4.gz"]);
  t.is(audit.stats().mode, "dedicated");
});

test("file.compress and file.maxAge are validated with key, value, line and what was expected", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const file = join(dir, "audit.properties");
  writeFileSync(file, [`${P}enabled=true`, `${P}file.location=audit.log`, `${P}file.compress=zip`, `${P}file.maxAge=1.5`].join("\n") + "\n");
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  const error = await t.throwsAsync(audit.configure({ propertiesFile: file, watch: false }));
  t.is(
    error?.message,
    [
      `Invalid audit configuration in ${file} (2 problems):`,
      `  line 3: ${P}file.compress = "zip": expected gzip or none (true and false are aliases of them)`,
      `  line 4: ${P}file.maxAge = "1.5": expected a whole number of days from 0 (no age limit) to 36500`,
    ].join("\n"),
  );
  writeFileSync(file, [`${P}enabled=true`, `${P}file.location=audit.log`, `${P}file.maxAge=36501`].join("\n") + "\n");
  await t.throwsAsync(audit.configure({ propertiesFile: file, watch: false }), { message: /line 3: .*file\.maxAge = "36501": expected a whole number of days/ });
  writeFileSync(file, [`${P}enabled=true`, `${P}file.location=audit.log`, `${P}file.compress=TRUE`, `${P}file.maxAge=30`].join("\n") + "\n");
  await t.notThrowsAsync(audit.configure({ propertiesFile: file, watch: false }));
  t.is(audit.stats().mode, "dedicated");
});

test("file.compress says gzip or none, as a file target's compress does; true and false stay aliases of them", (t) => {
  const compressOf = (value: string): boolean | undefined => {
    const result = resolveConfig([{ key: `${P}file.location`, value: "/tmp/audit.log", line: 1 }, { key: `${P}file.compress`, value, line: 2 }], "/tmp");
    return result.ok && result.config.file !== undefined ? result.config.file.compress : undefined;
  };
  t.true(compressOf("gzip"));
  t.true(compressOf(" GZIP "));
  t.true(compressOf("true"));
  t.false(compressOf("none"));
  t.false(compressOf("false"));
  t.false(compressOf(""), "empty: the default, none");
  t.is(compressOf("zlib"), undefined, "zlib is for GELF datagrams, not archives");
  // The same words on a file target: gzip/none, and true/false as their aliases.
  const targetCompress = (value: string): boolean | undefined => {
    const result = resolveConfig(
      [
        { key: `${P}target.copy.type`, value: "file", line: 1 },
        { key: `${P}target.copy.path`, value: "/tmp/copy.log", line: 2 },
        { key: `${P}target.copy.compress`, value, line: 3 },
      ],
      "/tmp",
    );
    const target = result.ok ? result.config.targets[0] : undefined;
    return target?.type === "file" ? target.file.compress : undefined;
  };
  t.true(targetCompress("gzip"));
  t.true(targetCompress("true"));
  t.false(targetCompress("none"));
  t.false(targetCompress("false"));
  t.is(targetCompress("zlib"), undefined);
});

const compressChild = fileURLToPath(new URL("./programs/compress-child.js", import.meta.url));
const seqOf = (line: string): number => Number(parseAuditLine(line, { delimiter: "|", includeAttributeNames: true }).attributes[0]?.[1]);

test("SIGKILL during rotations and compressions: every .gz is complete, nothing lost; the next start cleans up and compresses the rest", async (t) => {
  const dir = tempDir(t);
  const logs = join(dir, "logs");
  const props = join(dir, "audit.properties");
  writeFileSync(props, [`${P}enabled=true`, `${P}delimiter="|"`, `${P}file.location=logs/audit.log`, `${P}file.size=64KB`, `${P}file.count=10000`, `${P}file.compress=true`].join("\n") + "\n");
  // Oldest first: archives by number, then a `.rotating` (a kill in the middle of a rotation's shift), then the active file.
  const recordsOnDisk = (): number[] => {
    const names = readdirSync(logs);
    const archives = names.filter((n) => /^audit\.log\.\d+(\.gz)?$/.test(n)).sort((a, b) => Number(b.split(".")[2]) - Number(a.split(".")[2]));
    const rest = ["audit.log.rotating", "audit.log"].filter((n) => names.includes(n));
    return [...archives, ...rest].flatMap((n) => linesOf(join(logs, n))).map(seqOf);
  };
  const child = spawn(process.execPath, [compressChild, props], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  // Kill it while a compression is under way (a temporary file exists) and several are done.
  const busy = await waitFor(() => {
    const names = readdirSync(logs);
    const done = names.filter((n) => n.endsWith(".gz")).length;
    return done >= 5 && (names.some((n) => n.endsWith(".gz.tmp")) || done >= 40);
  }, 30_000);
  child.kill("SIGKILL");
  t.is(await exited, "SIGKILL", stderr);
  t.true(busy, "the child rotated and compressed");

  const names = readdirSync(logs);
  // What counts as an archive is whole: every .gz decompresses completely.
  for (const name of names.filter((n) => n.endsWith(".gz"))) t.notThrows(() => gunzipSync(readFileSync(join(logs, name))), name);
  // A number with both kinds (a kill between the rename and the deletion) repeats records; the next start resolves it.
  const unique = [...new Set(recordsOnDisk())].sort((a, b) => a - b);
  t.deepEqual(unique, Array.from({ length: unique.length }, (_, i) => i), "no record lost");

  // The next start: the left-over temporary file goes, every archive is compressed, once.
  const restart = createAuditLogService();
  await restart.configure({ propertiesFile: props, watch: false });
  await restart.flush();
  await restart.shutdown();
  const after = readdirSync(logs).sort();
  t.false(after.some((n) => n.endsWith(".tmp")), after.join(" "));
  // (A `.rotating` from a kill in the middle of a shift is finished by the next rotation, as without compression.)
  const archives = after.filter((n) => n !== "audit.log" && n !== "audit.log.rotating");
  t.true(archives.every((n) => /^audit\.log\.\d+\.gz$/.test(n)), archives.join(" "));
  const final = recordsOnDisk();
  t.deepEqual(final, Array.from({ length: final.length }, (_, i) => i), "every record exactly once, in order");
  t.is(final.length, unique.length);
});

const clusterWriter = fileURLToPath(new URL("./programs/cluster-writer.js", import.meta.url));

function runWriter(args: string[]): Promise<{ code: number | null; stderr: string; compressed: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [clusterWriter, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SLF4TS_TEST_YIELD: "100" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stderr, compressed: code === 0 ? (JSON.parse(stdout) as { stats: { compressed: number } }).stats.compressed : -1 }));
  });
}

test("4 processes sharing a file with compression: each archive compressed once, by one process; every record once and in order", async (t) => {
  const dir = tempDir(t);
  const logs = join(dir, "logs");
  const props = join(dir, "audit.properties");
  writeFileSync(
    props,
    [`${P}enabled=true`, `${P}delimiter="|"`, `${P}file.location=logs/audit.log`, `${P}file.size=64KB`, `${P}file.count=1000`, `${P}file.multiprocess=true`, `${P}file.compress=true`].join("\n") + "\n",
  );
  const results = await Promise.all(Array.from({ length: 4 }, (_, i) => runWriter([props, "1", "20000", "process", String(i)])));
  for (const result of results) t.is(result.code, 0, result.stderr);
  const check = (): void => {
    const names = readdirSync(logs).sort();
    t.false(names.includes("audit.log.lock"));
    t.false(names.some((n) => n.endsWith(".tmp")), "every process finished or removed its compression");
    const numbers = names.filter((n) => n !== "audit.log").map((n) => Number(n.split(".")[2]));
    t.deepEqual(numbers.sort((a, b) => a - b), Array.from({ length: numbers.length }, (_, i) => i + 1), "one file per number");
    const last = new Map<string, number>();
    let total = 0;
    for (const line of allLines(logs)) {
      const parsed = parseAuditLine(line, { delimiter: "|", includeAttributeNames: true });
      const w = parsed.attributes[0]?.[1] as string;
      const seq = Number(parsed.attributes[1]?.[1]);
      if (seq !== (last.get(w) ?? -1) + 1) t.fail(`worker ${w}: ${seq} after ${last.get(w) ?? -1}`);
      last.set(w, seq);
      total++;
    }
    t.is(total, 80_000);
  };
  check();
  const byWorkers = results.reduce((sum, r) => sum + r.compressed, 0);
  t.true(byWorkers > 0, "the processes compressed archives");
  t.is(byWorkers, readdirSync(logs).filter((n) => n.endsWith(".gz")).length, "no archive was compressed twice");
  // Archives left uncompressed when the processes ended are compressed by the next one to start.
  const next = createAuditLogService();
  await next.configure({ properties: { [`${P}enabled`]: "true", [`${P}file.location`]: join(logs, "audit.log"), [`${P}file.multiprocess`]: "true", [`${P}file.compress`]: "true" }, watch: false });
  t.true(await waitFor(() => readdirSync(logs).every((n) => n === "audit.log" || n.endsWith(".gz")), 20_000), readdirSync(logs).join(" "));
  await next.flush();
  await next.shutdown();
  check();
  t.is(byWorkers + next.stats().compressed, readdirSync(logs).length - 1, "every archive compressed once in all");
});

test.serial("a real full disk (a small tmpfs) while compressing: COMPRESS_FAILED, the archive stays uncompressed, no temporary file, records go on", async (t) => {
  if (process.getuid?.() !== 0) {
    t.fail("this test mounts a tmpfs and needs root, as CI has");
    return;
  }
  const events = captureStatus(t);
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", dir]);
  t.teardown(() => {
    try {
      execFileSync("umount", [dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const path = join(dir, "audit.log");
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({
    properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: path, [`${P}file.size`]: "300KB", [`${P}file.compress`]: "true" },
    watch: false,
  });
  // Random text compresses to about three quarters: the .gz of a 300 KB archive does not fit in what is left.
  const payload = (): string => randomBytes(600).toString("base64");
  let i = 0;
  for (; i < 400; i++) t.notThrows(() => audit.log("ev", { seq: i, payload: payload() }));
  await audit.flush();
  t.deepEqual(listDir(dir), ["audit.log", "audit.log.1"]);
  const failed = events.filter((e) => e.code === "COMPRESS_FAILED");
  t.is(failed.length, 1);
  t.regex(failed[0]?.message ?? "", /\.gz\.tmp \(ENOSPC: /);
  for (; i < 420; i++) audit.log("ev", { seq: i, payload: payload() });
  await audit.flush();
  t.deepEqual(allLines(dir).map(seqOf), Array.from({ length: 420 }, (_, k) => k));
  t.is(audit.stats().written, 420);
});

test("an edit of the watched properties file turns compression and the age limit on (both are in the fingerprint)", async (t) => {
  captureStatus(t);
  const dir = tempDir(t);
  const props = join(dir, "audit.properties");
  const write = (extra: string[]): void =>
    writeFileSync(props, [`${P}enabled=true`, `${P}delimiter="|"`, `${P}file.location=audit.log`, `${P}file.size=20`, ...extra].join("\n") + "\n");
  write([]);
  const audit = createAuditLogService();
  t.teardown(() => audit.shutdown());
  await audit.configure({ propertiesFile: props, pollIntervalMs: 50 });
  for (let i = 0; i < 6; i++) audit.log("ev", { i: String(i).padStart(2, "0") }); // 2 per file
  t.deepEqual(listDir(dir).filter((n) => n.startsWith("audit.log")), ["audit.log", "audit.log.1", "audit.log.2"]);
  write([`${P}file.compress=true`]);
  // Bounds, not figures: each edit is applied within about 3.5 s (a trail-weakening change waits
  // for the file to stay the same 2 s), and a loaded machine running other test files adds to it.
  t.true(await waitFor(() => listDir(dir).includes("audit.log.2.gz") && listDir(dir).includes("audit.log.1.gz"), 15_000), listDir(dir).join(" "));
  const old = (Date.now() - 3 * DAY) / 1000;
  utimesSync(join(dir, "audit.log.2.gz"), old, old);
  write([`${P}file.compress=true`, `${P}file.maxAge=2`]);
  t.true(await waitFor(() => !listDir(dir).includes("audit.log.2.gz"), 15_000), listDir(dir).join(" "));
  t.deepEqual(listDir(dir).filter((n) => n.startsWith("audit.log")), ["audit.log", "audit.log.1.gz"]);
  t.is(audit.stats().reloads, 3);
});

test("archive maintenance that finds the lock held says so (COMPRESS_FAILED naming the lock and its holder), not that compressing failed", async (t) => {
  const events = captureStatus(t);
  const dir = tempDir(t);
  const path = join(dir, "audit.log");
  writeFileSync(`${path}.1`, "ev|i=0\n");
  const old = new Date(Date.now() - 60_000);
  utimesSync(`${path}.1`, old, old);
  // A live holder: this very process (the lock is not re-entrant).
  writeFileSync(`${path}.lock`, String(process.pid));
  const audit = createAuditLogService();
  await audit.configure({
    properties: { [`${P}enabled`]: "true", [`${P}delimiter`]: '"|"', [`${P}file.location`]: path, [`${P}file.compress`]: "true" },
    watch: false,
  });
  t.notThrows(() => audit.log("ev", { i: 1 }));
  // Other tests of this file run at the same time: only this test's reports.
  const mine = (): typeof events => events.filter((e) => e.code === "COMPRESS_FAILED" && e.message.includes(dir));
  await waitFor(() => mine().length > 0, 10_000);
  rmSync(`${path}.lock`);
  await audit.shutdown();
  const failed = mine();
  t.regex(failed[0]?.message ?? "", new RegExp(`^archive maintenance \\(compression, deletion by age\\) could not take the lock .*audit\\.log\\.lock \\(ETIMEDOUT: the lock .* was held by another process \\(pid ${process.pid}\\)`));
  t.notRegex(failed[0]?.message ?? "", /could not compress the archive/);
});
