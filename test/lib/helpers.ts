/** Shared test helpers: temporary folders, reading files, waiting for conditions. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import { StatusChannel, type StatusEvent } from "../../src/index.js";
import { resetStatusRateLimits } from "../../src/status/status.js";

/** A fresh temporary folder, removed when the test ends. */
export function tempDir(t: ExecutionContext, prefix = "slf4ts-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The lines of a file (without the final empty one). */
export function readLines(path: string): string[] {
  const text = readFileSync(path, "utf8");
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

/** Writes `lines` to a file, each ended by a line feed (what {@link readLines} reads back). */
export function writeLines(path: string, lines: readonly string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(""));
}

/** Sorted names in a folder. */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** Polls `condition` every 25 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (condition()) return true;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The key prefix, shortened for tests. */
export const P = "com.openexchange.log.audit.slf4j.";

/** Writes an audit properties file: each key of `settings` gets the prefix {@link P}. */
export function writeProperties(path: string, settings: Readonly<Record<string, string>>): void {
  writeFileSync(path, Object.entries(settings).map(([k, v]) => `${P}${k}=${v}`).join("\n") + "\n");
}

/**
 * Collects status events for the rest of the test (rate limits reset) and keeps their stderr
 * copies out of the test output: the reports are asserted, not shown.
 */
export function captureStatus(t: ExecutionContext): StatusEvent[] {
  resetStatusRateLimits();
  const events: StatusEvent[] = [];
  const stop = StatusChannel.subscribe((e) => events.push(e));
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  t.teardown(() => {
    stop();
    process.stderr.write = write;
  });
  return events;
}


/** A TCP port free right now on 127.0.0.1 (for a server that takes its port from its configuration). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
