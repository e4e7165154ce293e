/**
 * The console's benchmark (issue 14): how long `slf4ts-audit serve` takes to answer over a log
 * set of a million records, laid out two ways: (a) as dedicated mode leaves it after rotations
 * at about 10 MB (`audit.log` and `audit.log.1` … `audit.log.N`, the oldest two gzipped) and
 * (b) all in one active file (as with a large `file.size`). Asked: the first page newest first
 * (what the page asks when it opens), oldest first, narrow searches, searches that match nothing
 * (every line read), the counts, and the whole export newest first (records a second, and how
 * far the process's RSS rose above what it was before the export: the export streams).
 *
 *   npm run build:test && node dist/bench/console.js        (BENCH_RECORDS, default 1000000)
 *
 * The records are in the logger's default format (`event, name=value, …`). Each question is
 * asked three times over HTTP (one process, the server in it); the median is printed, as
 * markdown tables for bench/CONSOLE.md.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DEFAULT_READ_SETTINGS } from "../src/logfile/records.js";
import { DEFAULT_READ_LIMITS } from "../src/logfile/read.js";
import { parseJavaTimeZone } from "../src/java/zone.js";
import { startConsole } from "../src/cli/serve/server.js";

const records = Number(process.env["BENCH_RECORDS"] ?? 1_000_000);
const FILE_BYTES = 10 * 1024 * 1024;
const EVENTS = ["ox.login", "ox.login", "ox.login", "ox.logout", "ox.logout", "smtp.primary.sent", "imap.primary.login", "ox.login.failed"];

function recordLine(i: number, start: number): string {
  const event = EVENTS[i % EVENTS.length] as string;
  const time = new Date(start + i * 2_000).toISOString().replace(".000Z", "Z");
  return `${event}, login=user${i % 5000}, ip=192.0.${(i >> 8) & 255}.${i & 255}, client=web, timestamp=${time}\n`;
}

/** The log set in `dir`/logs: rotated at 10 MB (the oldest two gzipped), or one active file. */
function writeLogSet(dir: string, layout: "rotated" | "single"): { files: number; bytes: number } {
  const logs = join(dir, "logs");
  mkdirSync(logs);
  const start = Date.UTC(2026, 10, 1);
  if (layout === "single") {
    const fd = openSync(join(logs, "audit.log"), "w");
    let bytes = 0;
    let batch: string[] = [];
    for (let i = 0; i < records; i++) {
      batch.push(recordLine(i, start));
      if (batch.length === 10_000 || i === records - 1) {
        const text = batch.join("");
        bytes += writeSync(fd, text);
        batch = [];
      }
    }
    closeSync(fd);
    return { files: 1, bytes };
  }
  const chunks: string[][] = [[]];
  let size = 0;
  let bytes = 0;
  for (let i = 0; i < records; i++) {
    const line = recordLine(i, start);
    if (size + line.length > FILE_BYTES) {
      chunks.push([]);
      size = 0;
    }
    (chunks.at(-1) as string[]).push(line);
    size += line.length;
    bytes += line.length;
  }
  // Oldest first: the first chunk is the highest archive number, the last the active file.
  const n = chunks.length;
  chunks.forEach((lines, i) => {
    const index = n - 1 - i;
    const text = lines.join("");
    if (index === 0) writeFileSync(join(logs, "audit.log"), text);
    else if (index >= n - 2) writeFileSync(join(logs, `audit.log.${index}.gz`), gzipSync(text));
    else writeFileSync(join(logs, `audit.log.${index}`), text);
  });
  return { files: n, bytes };
}

/** The whole export of `path`, read and dropped as it comes: its records, time, and the highest RSS above the start. */
function exportRun(url: string, path: string): Promise<{ records: number; ms: number; rssRiseMb: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(new URL(path, url), (res) => {
      let lines = 0;
      res.on("data", (chunk: Buffer) => {
        for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
      });
      res.on("end", () => {
        clearInterval(sampler);
        peak = Math.max(peak, process.memoryUsage.rss());
        resolve({ records: lines, ms: performance.now() - started, rssRiseMb: (peak - before) / 1e6 });
      });
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

const QUESTIONS: ReadonlyArray<readonly [string, string]> = [
  ["first page, newest first (the page opening)", "/api/search?limit=100"],
  ["first page, oldest first", "/api/search?limit=100&order=asc"],
  ["first page of a rare event (1 in 8), newest first", "/api/search?limit=100&event=ox.login.failed"],
  ["first page of one user (1 in 5000), newest first", "/api/search?limit=100&attr=login%3Duser4242"],
  ["a search that matches nothing (every line read)", "/api/search?limit=100&attr=login%3Dnobody"],
  ["free text that matches nothing (every line read)", "/api/search?limit=100&q=nobody"],
  ["a regex that matches nothing (every line read and decoded)", "/api/search?limit=100&attr=login~%5Enobody"],
  ["counts: histogram, per event id, per ip (every line read)", "/api/stats?buckets=60&by=login"],
];

/** The questions of one layout, as table rows. */
async function measure(layout: "rotated" | "single", questions: ReadonlyArray<readonly [string, string]>): Promise<{ heading: string; rows: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-console-bench-"));
  try {
    const written = writeLogSet(dir, layout);
    const running = await startConsole({
      set: { paths: [join(dir, "logs", "audit.log")], settings: DEFAULT_READ_SETTINGS, limits: DEFAULT_READ_LIMITS, zone: parseJavaTimeZone("UTC"), cwd: dir, timeAttribute: undefined },
      host: "127.0.0.1",
      port: 0,
      token: undefined,
      verify: undefined,
    });
    const rows: string[] = [];
    for (const [what, path] of questions) {
      const times: number[] = [];
      let shown = 0;
      for (let rep = 0; rep < 3; rep++) {
        const started = performance.now();
        const response = await fetch(new URL(path, running.url));
        const body = (await response.json()) as { records?: unknown[]; total?: number };
        times.push(performance.now() - started);
        shown = body.records?.length ?? body.total ?? 0;
      }
      times.sort((a, b) => a - b);
      rows.push(`| ${what} | \`${path}\` | ${shown} | ${Math.round(times[1] as number)} ms |`);
      process.stderr.write(`${layout}: ${what}: ${Math.round(times[1] as number)} ms\n`);
    }
    for (const order of ["desc", "asc"] as const) {
      const path = `/api/export?format=jsonl&order=${order}`;
      const run = await exportRun(running.url, path);
      rows.push(`| whole export, ${order === "desc" ? "newest" : "oldest"} first (once; RSS rise ${run.rssRiseMb.toFixed(0)} MB) | \`${path}\` | ${run.records} | ${Math.round(run.ms)} ms (${Math.round(run.records / (run.ms / 1000))} records/s) |`);
      process.stderr.write(`${layout}: export ${order}: ${Math.round(run.ms)} ms, RSS +${run.rssRiseMb.toFixed(0)} MB\n`);
    }
    await running.close();
    const heading = layout === "rotated" ? `(a) ${records} records in ${written.files} files rotated at 10 MB (${(written.bytes / 1e6).toFixed(0)} MB, the oldest two gzipped)` : `(b) ${records} records in one active file (${(written.bytes / 1e6).toFixed(0)} MB)`;
    return { heading, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  let out = `node ${process.version}, ${cpu} (${cpus().length} cores)\n`;
  for (const layout of ["rotated", "single"] as const) {
    const { heading, rows } = await measure(layout, QUESTIONS);
    out += `\n${heading}\n\n| question | request | records (or total) | median of 3 |\n|---|---|---|---|\n${rows.join("\n")}\n`;
  }
  process.stdout.write(out);
  process.stderr.write(`peak RSS of the whole run: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
}

await main();
