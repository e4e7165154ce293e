import test, { type ExecutionContext } from "ava";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAuditLine } from "../src/index.js";
import { P, readLines, tempDir } from "./lib/helpers.js";

const writer = fileURLToPath(new URL("./programs/cluster-writer.js", import.meta.url));
const WORKERS = 4;
const RECORDS = 20_000;
const SIZE = 64 * 1024;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [writer, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function check(t: ExecutionContext, dir: string, records = RECORDS, size = SIZE, slack = WORKERS * 200): void {
  const logs = join(dir, "logs");
  const names = readdirSync(logs);
  t.false(names.includes("audit.log.lock"), "no lock file left behind");
  const archives = names
    .filter((n) => /^audit\.log\.\d+$/.test(n))
    .map((n) => Number(n.split(".")[2]))
    .sort((a, b) => b - a);
  // Archives are numbered 1..N without gaps, and none was rotated twice (a double rotation leaves a small archive).
  t.deepEqual([...archives].sort((a, b) => a - b), Array.from({ length: archives.length }, (_, i) => i + 1));
  for (const n of archives) {
    const bytes = statSync(join(logs, `audit.log.${n}`)).size;
    t.true(bytes > size / 2, `audit.log.${n} has ${bytes} bytes: rotated once, when full`);
    t.true(bytes <= size + slack, `audit.log.${n} has ${bytes} bytes, more than ${size} + ${slack}`);
  }
  const files = [...archives.map((n) => `audit.log.${n}`), "audit.log"];
  const last = new Map<string, number>();
  const seen = new Set<string>();
  let total = 0;
  for (const file of files) {
    for (const line of readLines(join(logs, file))) {
      const parsed = parseAuditLine(line, { delimiter: "|", includeAttributeNames: true }); // a torn line would not parse
      t.is(parsed.eventId, "mp");
      const w = parsed.attributes[0]?.[1] as string;
      const seq = Number(parsed.attributes[1]?.[1]);
      const key = `${w}:${seq}`;
      if (seen.has(key)) t.fail(`duplicate ${key}`);
      seen.add(key);
      const previous = last.get(w) ?? -1;
      if (seq !== previous + 1) t.fail(`worker ${w}: ${seq} after ${previous} in ${file}`);
      last.set(w, seq);
      total++;
    }
  }
  t.true(statSync(join(logs, "audit.log")).size <= size + slack, "the active file too");
  t.is(total, WORKERS * records);
  t.deepEqual([...last.values()], Array.from({ length: WORKERS }, () => records - 1));
}

function properties(dir: string, multiprocess: string | undefined, size = SIZE, name = "audit.properties"): string {
  const props = join(dir, name);
  const lines = [`${P}enabled=true`, `${P}delimiter="|"`, `${P}file.location=logs/audit.log`, `${P}file.size=${size}`, `${P}file.count=1000`];
  if (multiprocess !== undefined) lines.push(`${P}file.multiprocess=${multiprocess}`);
  writeFileSync(props, lines.join("\n") + "\n");
  return props;
}

// The longest record of cluster-writer ("mp|w=3|seq=2999|pad=" and up to 39 p's, and the newline).
const LONGEST_RECORD = 60;
const SMALL = 4096;
const SMALL_RECORDS = 3000;

/**
 * Independent processes nobody told about each other (file.multiprocess left at auto, which
 * only knows cluster and PM2): each must see the others in the file (bytes it did not write)
 * and rotate under the lock. The old writer rotated on its own counts, renamed archives over
 * those another process had just made, and lost a third of the records while counting them written.
 */
for (const mix of ["unset", "true and unset"] as const) {
  test(`4 plain processes with ${mix === "unset" ? "default settings" : "file.multiprocess=true and unset mixed"} and 4 KB files: every record once, in order, no file past its size by more than one record`, async (t) => {
    const dir = tempDir(t);
    const plain = properties(dir, undefined, SMALL);
    const flagged = properties(dir, "true", SMALL, "flagged.properties");
    const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => run([mix === "unset" || i % 2 === 0 ? plain : flagged, "1", String(SMALL_RECORDS), "process", String(i)])));
    for (const result of results) t.is(result.code, 0, result.stderr);
    let written = 0;
    for (const result of results) written += (JSON.parse(result.stdout) as { stats: { written: number; dropped: number } }).stats.written;
    t.is(written, WORKERS * SMALL_RECORDS);
    // Near the limit every write is made under the lock, after a fresh look at the real size.
    check(t, dir, SMALL_RECORDS, SMALL, LONGEST_RECORD);
  });
}

test("4 cluster workers × 20,000 records into one file: every record once, each worker in order, each rotation once", async (t) => {
  const dir = tempDir(t);
  const result = await run([properties(dir, "auto"), String(WORKERS), String(RECORDS), "cluster"]);
  t.is(result.code, 0, result.stderr);
  check(t, dir);
  t.false(existsSync(join(dir, "logs", "audit.log.lock")));
});

test("4 independent processes with file.multiprocess=true: the same guarantees", async (t) => {
  const dir = tempDir(t);
  const props = properties(dir, "true");
  const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => run([props, "1", String(RECORDS), "process", String(i)])));
  for (const result of results) t.is(result.code, 0, result.stderr);
  check(t, dir);
});

test("4 processes with a small file.count: only that many archives remain, whole and in order", async (t) => {
  const dir = tempDir(t);
  const props = join(dir, "audit.properties");
  writeFileSync(
    props,
    [`${P}enabled=true`, `${P}delimiter="|"`, `${P}file.location=logs/audit.log`, `${P}file.size=${SIZE}`, `${P}file.count=3`, `${P}file.multiprocess=true`].join("\n") + "\n",
  );
  const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => run([props, "1", String(RECORDS), "process", String(i)])));
  for (const result of results) t.is(result.code, 0, result.stderr);
  const logs = join(dir, "logs");
  t.deepEqual(readdirSync(logs).sort(), ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]);
  const last = new Map<string, number>();
  const seen = new Set<string>();
  for (const file of ["audit.log.3", "audit.log.2", "audit.log.1", "audit.log"]) {
    for (const line of readLines(join(logs, file))) {
      const parsed = parseAuditLine(line, { delimiter: "|", includeAttributeNames: true });
      const w = parsed.attributes[0]?.[1] as string;
      const seq = Number(parsed.attributes[1]?.[1]);
      if (seen.has(`${w}:${seq}`)) t.fail(`duplicate ${w}:${seq}`);
      seen.add(`${w}:${seq}`);
      if (seq <= (last.get(w) ?? -1)) t.fail(`worker ${w}: ${seq} after ${last.get(w)} in ${file}`);
      last.set(w, seq);
    }
  }
  // The window holds the newest records: the worker that finished last has its final record there
  // (a worker that finished early may have been rotated out entirely).
  t.true([...last.values()].includes(RECORDS - 1));
  t.true(seen.size > 0);
});
