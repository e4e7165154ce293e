/**
 * The console's benchmark (issue 14): how long `slf4ts-audit serve` takes to answer over a log
 * set of a million records: the first page newest first (what the page asks when it opens),
 * oldest first, a narrow search, a search that matches nothing (every line read) and the counts.
 *
 *   npm run build:test && node dist/bench/console.js        (BENCH_RECORDS, default 1000000)
 *
 * The log set is written here in the logger's default format (`event, name=value, …`), as
 * dedicated mode leaves it after rotations at about 10 MB: `audit.log` and `audit.log.1` …
 * `audit.log.N`, the oldest two gzipped. Each question is asked three times over HTTP (one
 * process, the server in it); the median is printed, as a markdown table for bench/CONSOLE.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

function writeLogSet(dir: string): { files: number; bytes: number } {
  const logs = join(dir, "logs");
  mkdirSync(logs);
  const start = Date.UTC(2026, 10, 1);
  const chunks: string[][] = [[]];
  let size = 0;
  let bytes = 0;
  for (let i = 0; i < records; i++) {
    const event = EVENTS[i % EVENTS.length] as string;
    const time = new Date(start + i * 2_000).toISOString().replace(".000Z", "Z");
    const line = `${event}, login=user${i % 5000}, ip=192.0.${(i >> 8) & 255}.${i & 255}, client=web, timestamp=${time}\n`;
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "slf4ts-console-bench-"));
  try {
    const written = writeLogSet(dir);
    const running = await startConsole({
      set: { paths: [join(dir, "logs", "audit.log")], settings: DEFAULT_READ_SETTINGS, limits: DEFAULT_READ_LIMITS, zone: parseJavaTimeZone("UTC"), cwd: dir, timeAttribute: undefined },
      host: "127.0.0.1",
      port: 0,
      token: undefined,
      verify: undefined,
    });
    const rows: string[] = [];
    for (const [what, path] of QUESTIONS) {
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
      process.stderr.write(`${what}: ${Math.round(times[1] as number)} ms\n`);
    }
    await running.close();
    const cpu = cpus()[0]?.model ?? "unknown CPU";
    process.stdout.write(
      `${records} records, ${written.files} files (${(written.bytes / 1e6).toFixed(0)} MB, the oldest two gzipped); node ${process.version}, ${cpu} (${cpus().length} cores)\n\n` +
        "| question | request | records (or total) | median of 3 |\n|---|---|---|---|\n" +
        rows.join("\n") +
        "\n",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
