/**
 * Profiles a child with Linux `perf` where it is installed. `--cpu-prof` charges most of the
 * time of a synchronous write to the native call (its timer signal lands when the system call
 * returns), which hides where the rest of a record's time goes; perf samples the CPU itself,
 * kernel included. Samples of the main thread inside the measured window are attributed to
 * the innermost JavaScript function on the stack (with the builtins and runtime it calls), and
 * to "→ kernel" when the CPU was in the kernel below it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Whether `perf record` can be used here. */
export function perfAvailable(): boolean {
  if (process.platform !== "linux" || process.env["BENCH_PERF"] === "never") return false;
  const result = spawnSync("perf", ["--version"], { encoding: "utf8" });
  return result.status === 0;
}

/** The command that wraps `node …` to record a profile into `file`. */
export function perfCommand(file: string): string[] {
  return ["perf", "record", "-q", "-k", "CLOCK_MONOTONIC", "-e", "cpu-clock", "-F", "999", "-g", "-o", file, "--"];
}

/** One line of a perf summary. */
export interface PerfEntry {
  readonly name: string;
  readonly percent: number;
}

/** What {@link summarizePerf} found. */
export interface PerfSummary {
  readonly samples: number;
  /** Main-thread samples by where the CPU was: kernel, V8/Node native code, JIT-compiled JS, libc. */
  readonly byArea: readonly PerfEntry[];
  /** By innermost JavaScript function (inclusive of the native code it calls). */
  readonly byJsFunction: readonly PerfEntry[];
  /** By the sampled symbol itself. */
  readonly bySymbol: readonly PerfEntry[];
  /** Share of all samples taken on other threads (GC helpers, libuv pool). */
  readonly otherThreadsPercent: number;
  /** The profiled process (its /tmp/perf-<pid>.map can be removed). */
  readonly pid: number | undefined;
}

const maps = new Map<string, SourceMap | undefined>();

function mapJs(symbol: string, root: string): string {
  // "JS:*log file:///…/dist/src/audit/service.js:150:8" (the position is the function's start)
  // CommonJS modules appear as plain paths, sometimes without a position.
  const match = /^JS:[*^~]?(\S*) (.+?)(?::(\d+):(\d+))?$/.exec(symbol);
  if (match === null) return symbol.replace(/^JS:[*^~]?/, "");
  const [, name = "", url = "", line = "1", column = "1"] = match;
  const fn = name === "" ? "(anonymous)" : name;
  if (!url.startsWith("file://") && !url.startsWith("/")) return `${fn} ${url}`;
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  const nm = file.lastIndexOf("node_modules/");
  if (nm >= 0) return `${fn} ${file.slice(nm + "node_modules/".length)}`;
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    try {
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
    } catch {
      map = undefined;
    }
    maps.set(file, map);
  }
  const entry = maps.get(file)?.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
    const source = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : entry.originalSource;
    return `${fn} ${relative(root, isAbsolute(source) ? source : resolve(dirname(file), source))}:${entry.originalLine + 1}`;
  }
  return `${fn} ${relative(root, file)}:${line}`;
}

function area(dso: string): string {
  if (dso.includes("kernel")) return "kernel (system calls, page cache)";
  if (dso.startsWith("/tmp/perf-") || dso.startsWith("[JIT]")) return "JIT-compiled JavaScript";
  if (dso.endsWith("/node") || dso === "node") return "V8 and Node native code (builtins, GC, runtime, bindings)";
  if (dso.includes("libc")) return "libc";
  if (dso.includes("vdso")) return "vdso (clock)";
  return "other";
}

function top(counts: Map<string, number>, total: number, n: number): PerfEntry[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, c]) => ({ name, percent: (100 * c) / total }));
}

/** Summarises `perf.data`, counting only samples inside `windowUs` (CLOCK_MONOTONIC µs). */
export function summarizePerf(file: string, root: string, windowUs: readonly [number, number] | undefined, n = 12, onlyPid?: number): PerfSummary {
  const args = ["script", "-i", file, "-F", "pid,tid,time,ip,sym,dso"];
  if (windowUs !== undefined) args.push("--time", `${(windowUs[0] / 1e6).toFixed(6)},${(windowUs[1] / 1e6).toFixed(6)}`);
  const result = spawnSync("perf", args, { encoding: "utf8", maxBuffer: 1024 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`perf script failed: ${result.stderr}`);
  const byArea = new Map<string, number>();
  const byJs = new Map<string, number>();
  const bySymbol = new Map<string, number>();
  let main = 0;
  let other = 0;
  let frames: Array<{ sym: string; dso: string }> = [];
  let isMain = false;
  let pid: number | undefined;
  const flush = (): void => {
    if (frames.length === 0) return;
    if (!isMain) {
      other++;
      frames = [];
      return;
    }
    main++;
    const leaf = frames[0] as { sym: string; dso: string };
    byArea.set(area(leaf.dso), (byArea.get(area(leaf.dso)) ?? 0) + 1);
    const leafName = leaf.sym.startsWith("JS:") ? mapJs(leaf.sym, root) : leaf.sym;
    bySymbol.set(leafName, (bySymbol.get(leafName) ?? 0) + 1);
    const js = frames.find((f) => f.sym.startsWith("JS:"));
    const key = js === undefined ? `(no JavaScript on the stack) ${leaf.sym}` : mapJs(js.sym, root) + (leaf.dso.includes("kernel") ? " → kernel" : "");
    byJs.set(key, (byJs.get(key) ?? 0) + 1);
    frames = [];
  };
  for (const line of result.stdout.split("\n")) {
    const header = /^\s*(\d+)\/(\d+)\s+[\d.]+:/.exec(line);
    if (header !== null) {
      flush();
      // The measured process's main thread only: not its other threads, nor a process it started
      // (scenario 9's receiver), whose samples perf records too.
      isMain = header[1] === header[2] && (onlyPid === undefined || Number(header[1]) === onlyPid);
      if (isMain) pid = Number(header[1]);
      continue;
    }
    const frame = /^\s+[0-9a-f]+ (.*) \(([^)]*)\)\s*$/.exec(line);
    if (frame !== null) frames.push({ sym: frame[1] as string, dso: frame[2] as string });
  }
  flush();
  const total = Math.max(1, main);
  return {
    samples: main,
    byArea: top(byArea, total, 10),
    byJsFunction: top(byJs, total, n),
    bySymbol: top(bySymbol, total, n),
    otherThreadsPercent: main + other === 0 ? 0 : (100 * other) / (main + other),
    pid,
  };
}
