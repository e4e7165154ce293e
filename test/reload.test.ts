import test from "ava";
import { fork, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { AuditStats, StatusEvent } from "../src/index.js";
import { P, readLines, tempDir, waitFor, writeProperties } from "./lib/helpers.js";

const childPath = fileURLToPath(new URL("./programs/audit-child.js", import.meta.url));
const slowWriterPath = fileURLToPath(new URL("./programs/slow-writer.js", import.meta.url));

interface Host {
  child: ChildProcess;
  dir: string;
  props: string;
  hostLog: string;
  statuses: StatusEvent[];
  request<T>(command: object, reply: string): Promise<T>;
  write(settings: Record<string, string>, how?: "inplace" | "rename"): void;
  log(eventId: string, attributes?: Record<string, unknown>): Promise<AuditStats>;
}

const BASE = { enabled: "true", delimiter: '"|"', "file.location": "logs/audit.log" };

/** Starts a host process; with `hostLogging` false its log4js stays at its default (shows nothing). */
async function startHost(t: import("ava").ExecutionContext, settings: Record<string, string>, hostLogging = true): Promise<Host> {
  const dir = tempDir(t);
  const props = join(dir, "slf4j-auditlog.properties");
  const hostLog = join(dir, "host.log");
  const statuses: StatusEvent[] = [];
  const waiting = new Map<string, (message: Record<string, unknown>) => void>();
  const write = (s: Record<string, string>, how: "inplace" | "rename" = "inplace"): void => {
    if (how === "rename") {
      writeProperties(`${props}.tmp`, s);
      renameSync(`${props}.tmp`, props);
    } else {
      writeProperties(props, s);
    }
  };
  write(settings);
  const child = fork(childPath, hostLogging ? [props, hostLog] : [props], { stdio: ["ignore", "inherit", "pipe", "ipc"], serialization: "advanced" });
  child.stderr?.resume(); // status reports also arrive by IPC; a full pipe must not block the child
  t.teardown(() => {
    child.kill("SIGKILL");
  });
  child.on("message", (message: Record<string, unknown>) => {
    if (message["type"] === "status") statuses.push(message["event"] as StatusEvent);
    const resolve = waiting.get(message["type"] as string);
    if (resolve !== undefined) {
      waiting.delete(message["type"] as string);
      resolve(message);
    }
  });
  const request = <T>(command: object | undefined, reply: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${reply} from the child`)), 15_000);
      waiting.set(reply, (m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      if (command !== undefined) child.send(command);
    });
  await request(undefined, "ready");
  const host: Host = {
    child,
    dir,
    props,
    hostLog,
    statuses,
    request: (c, r) => request(c, r),
    write,
    log: async (eventId, attributes) => (await request<{ stats: AuditStats }>({ type: "log", eventId, attributes }, "logged")).stats,
  };
  return host;
}

/**
 * A change that needs confirmation (it switches the mode, moves the file, …) waits until the file
 * has been the same for 0.5 s and then 2 s more; this bound leaves room for a busy machine.
 */
const CONFIRMED_MS = 10_000;

/** Logs a probe event until its line looks like `expected` (or `withinMs` pass). Returns the time it took. */
async function probeUntil(host: Host, read: () => string | undefined, expected: RegExp | string, withinMs = 2000): Promise<number> {
  const start = Date.now();
  let n = 0;
  const matches = (): boolean => {
    const line = read();
    return line !== undefined && (typeof expected === "string" ? line === expected.replace("#", String(n - 1)) : expected.test(line));
  };
  while (Date.now() - start < withinMs) {
    await host.log("probe", { n: n++ });
    if (matches()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Infinity;
}

const lastLine = (path: string) => (): string | undefined => (existsSync(path) ? readLines(path).at(-1) : undefined);

test("every key reloads in a running process: within two seconds, a change that needs confirmation within ten", async (t) => {
  const host = await startHost(t, BASE);
  const active = join(host.dir, "logs", "audit.log");
  const tail = lastLine(active);
  t.true((await probeUntil(host, tail, "probe|n=#")) < 2000);

  const steps: Array<[string, Record<string, string>, (() => string | undefined) | undefined, RegExp | string]> = [
    ["delimiter", { ...BASE, delimiter: '", "' }, tail, "probe, n=#"],
    ["includeAttributeNames", { ...BASE, includeAttributeNames: "false" }, tail, "probe|#"],
    ["file.pattern", { ...BASE, "file.pattern": "[%level] %msg%n" }, tail, "[INFO] probe|n=#"],
    ["level", { ...BASE, "file.pattern": "[%level] %msg%n", level: "error" }, tail, "[ERROR] probe|n=#"],
    [
      "date.pattern, date.locale, date.timezone",
      { ...BASE, "file.pattern": "%msg%n", "date.pattern": "EEEE HH:mm z", "date.locale": "de_DE", "date.timezone": "Europe/Berlin" },
      undefined,
      "",
    ],
  ];
  for (const [name, settings, read, expected] of steps) {
    host.write(settings);
    if (read !== undefined) {
      const took = await probeUntil(host, read, expected);
      t.true(took < 2000, `${name} took effect in ${took} ms`);
    }
  }
  // Dates: log a Date value until it is rendered the German way.
  const start = Date.now();
  let ok = false;
  while (Date.now() - start < 2000 && !ok) {
    await host.log("dated", { at: new Date(Date.UTC(2016, 5, 10, 10, 31, 10)) });
    ok = tail() === "dated|at=Freitag 12:31 MESZ";
    if (!ok) await new Promise((r) => setTimeout(r, 20));
  }
  t.true(ok, `date.pattern, date.locale and date.timezone took effect: ${tail()}`);

  // file.location: a new file; the old one is closed and left as it is.
  host.write({ ...BASE, "file.location": "other/audit2.log" });
  const other = join(host.dir, "other", "audit2.log");
  t.true((await probeUntil(host, lastLine(other), "probe|n=#", CONFIRMED_MS)) < CONFIRMED_MS, "file.location took effect");

  // file.size and file.count: small files, three archives at most (fewer archives: confirmed first).
  host.write({ ...BASE, "file.location": "other/audit2.log", "file.size": "64", "file.count": "3" });
  t.true(await waitFor(() => host.statuses.some((s) => s.code === "CONFIG_APPLIED" && s.message.includes("(rotated at 64 bytes, 3 archives kept)")), CONFIRMED_MS));
  for (let i = 0; i < 20; i++) await host.log("size", { i: String(i).padStart(2, "0") }); // 10 bytes each: 6 fit in 64
  t.deepEqual(readdirSync(join(host.dir, "other")).sort(), ["audit2.log", "audit2.log.1", "audit2.log.2", "audit2.log.3"]);
  for (const name of readdirSync(join(host.dir, "other"))) t.true(statSync(join(host.dir, "other", name)).size <= 64, name);
  const kept = [`${other}.3`, `${other}.2`, `${other}.1`, other].flatMap((f) => readLines(f));
  // Four files of at most six 10-byte records hold the last probe and all twenty records, in order.
  t.deepEqual(
    kept.filter((l) => l.startsWith("size|")),
    Array.from({ length: 20 }, (_, i) => `size|i=${String(i).padStart(2, "0")}`),
  );
  t.true(kept.length <= 24 && kept.length >= 20, `${kept.length} lines kept`);

  // enabled=false and back.
  host.write({ ...BASE, enabled: "false" });
  t.true(await waitFor(() => host.statuses.some((s) => s.code === "CONFIG_APPLIED" && s.message.endsWith(": disabled")), CONFIRMED_MS));
  const before = readLines(active).length;
  await host.log("while.disabled");
  t.is(readLines(active).length, before);
  host.write(BASE, "rename");
  t.true((await probeUntil(host, tail, "probe|n=#", CONFIRMED_MS)) < CONFIRMED_MS, "enabled=true again, saved by rename");
});

test("switching between dedicated and standard mode while running", async (t) => {
  const host = await startHost(t, BASE);
  const active = join(host.dir, "logs", "audit.log");
  t.true((await probeUntil(host, lastLine(active), "probe|n=#")) < 2000);
  host.write({ ...BASE, "file.location": "" });
  const took = await probeUntil(host, lastLine(host.hostLog), "INFO com.openexchange.log.audit.AuditLogService probe|n=#", CONFIRMED_MS);
  t.true(took < CONFIRMED_MS, `standard mode after ${took} ms`);
  host.write(BASE, "rename");
  t.true((await probeUntil(host, lastLine(active), "probe|n=#", CONFIRMED_MS)) < CONFIRMED_MS);
});

test("a bad edit is reported with its line and the last good configuration stays", async (t) => {
  const host = await startHost(t, BASE);
  const active = join(host.dir, "logs", "audit.log");
  await host.log("first");
  host.write({ ...BASE, level: "verbose", delimiter: '";"' });
  t.true(await waitFor(() => host.statuses.some((s) => s.code === "CONFIG_INVALID"), 2000));
  const report = host.statuses.find((s) => s.code === "CONFIG_INVALID");
  t.true(report?.message.includes(`line 4: ${P}level = "verbose": expected one of trace, debug, info, warn, error`), report?.message);
  t.true(report?.message.endsWith("The last good configuration stays in force."));
  await host.log("second", { a: 1 });
  t.deepEqual(readLines(active), ["first", "second|a=1"]);
  const stats = await host.request<{ stats: AuditStats }>({ type: "stats" }, "stats");
  t.is(stats.stats.rejectedConfigurations, 1);
});

test("a bad edit reaches stderr when the host's logging would show nothing", async (t) => {
  const dir = tempDir(t);
  const props = join(dir, "a.properties");
  writeFileSync(props, `${P}enabled=true\n${P}level=verbose\n`);
  // No host log4js file: log4js stays at its default configuration (level OFF).
  const child = fork(childPath, [props], { stdio: ["ignore", "pipe", "pipe", "ipc"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  await new Promise((resolve) => child.on("message", (m: { type: string }) => m.type === "ready" && resolve(undefined)));
  child.kill("SIGKILL");
  await new Promise((resolve) => child.on("close", resolve));
  t.is(
    stderr,
    `SLF4TS ERROR [CONFIG_INVALID] Invalid audit configuration in ${props} (1 problem):\n  line 2: ${P}level = "verbose": expected one of trace, debug, info, warn, error\nThe last good configuration stays in force.\n`,
  );
});

test("no record is lost, duplicated or mixed across reloads of a busy stream", async (t) => {
  const host = await startHost(t, { ...BASE, "file.size": "4KB", "file.count": "1000" });
  await host.request({ type: "stream", intervalMs: 1 }, "streaming");
  const variants: Array<Record<string, string>> = [
    { ...BASE, "file.size": "4KB", "file.count": "1000", "file.pattern": "A %msg%n" },
    { ...BASE, "file.size": "2KB", "file.count": "1000", "file.pattern": "B %msg%n", delimiter: '";"' },
    { ...BASE, "file.size": "2KB", "file.count": "1000", "file.location": "" },
    { ...BASE, "file.size": "4KB", "file.count": "1000", includeAttributeNames: "false" },
    { ...BASE, enabled: "false" },
    { ...BASE, "file.size": "4KB", "file.count": "1000", "file.location": "logs2/audit.log" },
  ];
  let applied = host.statuses.filter((s) => s.code === "CONFIG_APPLIED").length;
  for (const variant of variants) {
    host.write(variant, "rename");
    t.true(await waitFor(() => host.statuses.filter((s) => s.code === "CONFIG_APPLIED").length > applied, CONFIRMED_MS));
    applied++;
    await new Promise((r) => setTimeout(r, 150));
  }
  const { accepted, total } = await host.request<{ accepted: number[]; total: number }>({ type: "stop-stream" }, "stopped");
  t.true(total > 500, `${total} records streamed`);
  t.true(accepted.length < total, "some records were logged while disabled");
  const lines: string[] = [];
  for (const folder of ["logs", "logs2"]) {
    for (const name of readdirSync(join(host.dir, folder))) lines.push(...readLines(join(host.dir, folder, name)));
  }
  lines.push(...readLines(host.hostLog).filter((l) => l.includes(" stream")));
  const formats = [
    /^stream\|seq=(\d+)$/,
    /^A stream\|seq=(\d+)$/,
    /^B stream;seq=(\d+)$/,
    /^INFO com\.openexchange\.log\.audit\.AuditLogService stream\|seq=(\d+)$/,
    /^stream\|(\d+)$/,
  ];
  const seen: number[] = [];
  for (const line of lines) {
    const match = formats.map((f) => f.exec(line)).find((m) => m !== null);
    t.truthy(match, `a line in one complete format: ${line}`);
    if (match) seen.push(Number(match[1]));
  }
  seen.sort((a, b) => a - b);
  t.deepEqual(seen, accepted);
});

test("a file written slowly in pieces is applied only once it is complete", async (t) => {
  const host = await startHost(t, BASE);
  const active = join(host.dir, "logs", "audit.log");
  await host.log("before");
  const applied = host.statuses.filter((s) => s.code === "CONFIG_APPLIED").length;
  // A tool that truncates, pauses, then writes the new content in two parts.
  writeFileSync(host.props, "");
  await new Promise((r) => setTimeout(r, 400));
  await host.log("while.empty");
  writeFileSync(host.props, `${P}enabled=true\n${P}delimiter=";"\n`);
  await new Promise((r) => setTimeout(r, 30));
  writeFileSync(host.props, `${P}enabled=true\n${P}delimiter=";"\n${P}file.location=logs/audit.log\n`);
  t.true(await waitFor(() => host.statuses.filter((s) => s.code === "CONFIG_APPLIED").length > applied, 3000));
  await host.log("after", { a: 1 });
  const appliedNow = host.statuses.filter((s) => s.code === "CONFIG_APPLIED").slice(applied);
  t.is(appliedNow.length, 1, appliedNow.map((s) => s.message).join("; "));
  t.regex(appliedNow[0]?.message ?? "", /dedicated mode/);
  t.deepEqual(readLines(active), ["before", "while.empty", "after;a=1"]);
});


test("a file rewritten in place in two parts with a pause (0.3 s, 1.5 s) never applies the first part: no record lost, never standard mode", async (t) => {
  const start = { ...BASE, "file.size": "1MB", "file.count": "1000" };
  // No host logging: in standard mode every record would be lost (levelDisabled), as reported in issue 10.
  const host = await startHost(t, start, false);
  await host.request({ type: "stream", intervalMs: 1 }, "streaming");
  const line = (key: string, value: string): string => `${P}${key}=${value}\n`;
  const common = line("delimiter", '"|"') + line("file.count", "1000");
  // Each edit changes file.size (to tell when the whole file is applied) and is cut so that its
  // first part alone is a valid configuration that would do harm.
  const edits: Array<{ what: string; pause: number; size: number; first: string; second: string }> = [
    // The first part has no delimiter yet: records in another format (a change that needs no confirmation).
    { what: "default delimiter, 0.3 s", pause: 300, size: 2_000_000, first: line("enabled", "true") + line("file.count", "1000") + line("file.size", "2000000") + line("file.location", "logs/audit.log"), second: line("delimiter", '"|"') },
    // The first part has no file.location yet: standard mode.
    { what: "standard mode, 0.3 s", pause: 300, size: 3_000_000, first: line("enabled", "true") + common + line("file.size", "3000000"), second: line("file.location", "logs/audit.log") },
    { what: "standard mode, 1.5 s", pause: 1500, size: 4_000_000, first: line("enabled", "true") + common + line("file.size", "4000000"), second: line("file.location", "logs/audit.log") },
    // The first part ends in "enabled=": an empty value is the default, false.
    { what: "disabled, 1.5 s", pause: 1500, size: 5_000_000, first: common + line("file.size", "5000000") + line("file.location", "logs/audit.log") + `${P}enabled=`, second: "true\n" },
    // The first part names another file.
    { what: "another file, 1.5 s", pause: 1500, size: 6_000_000, first: line("enabled", "true") + common + line("file.size", "6000000") + `${P}file.location=logs/aud`, second: "it.log\n" },
  ];
  for (const edit of edits) {
    const writer = spawn(process.execPath, [slowWriterPath, host.props, String(edit.pause), Buffer.from(edit.first).toString("base64"), Buffer.from(edit.second).toString("base64")], { stdio: "inherit" });
    const code = await new Promise((resolve) => writer.on("exit", resolve));
    t.is(code, 0, `${edit.what}: the writer ran`);
    t.true(
      await waitFor(() => host.statuses.some((s) => s.code === "CONFIG_APPLIED" && s.message.includes(`(rotated at ${edit.size} bytes`)), CONFIRMED_MS),
      `${edit.what}: the complete file is applied`,
    );
  }
  const { accepted, total } = await host.request<{ accepted: number[]; total: number }>({ type: "stop-stream" }, "stopped");
  const { stats } = await host.request<{ stats: AuditStats }>({ type: "stats" }, "stats");
  const applied = host.statuses.filter((s) => s.code === "CONFIG_APPLIED").map((s) => s.message);
  t.true(applied.every((m) => m.includes(`: dedicated mode, writing ${join(host.dir, "logs", "audit.log")} `)), applied.join("\n"));
  t.is(applied.length, 1 + edits.length, applied.join("\n"));
  t.is(stats.levelDisabled, 0);
  t.is(stats.mode, "dedicated");
  t.false(existsSync(join(host.dir, "logs", "aud")));
  t.true(total > 1000, `${total} records streamed`);
  t.is(accepted.length, total, "every record was accepted: never disabled, never standard mode");
  const seen: number[] = [];
  for (const name of readdirSync(join(host.dir, "logs"))) {
    for (const text of readLines(join(host.dir, "logs", name))) {
      const match = /^stream\|seq=(\d+)$/.exec(text);
      t.truthy(match, text);
      if (match) seen.push(Number(match[1]));
    }
  }
  seen.sort((a, b) => a - b);
  t.deepEqual(seen, accepted, "every record is in the audit file, once");
});
