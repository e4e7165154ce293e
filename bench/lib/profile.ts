/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and names the functions with the most
 * self time, mapped back to the TypeScript source through the source maps in dist/.
 */
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
}
interface CpuProfile {
  readonly startTime: number;
  readonly nodes: readonly CpuProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One line of the summary. */
export interface ProfileEntry {
  /** Function name and where it is (src/… for slf4ts, a package or node: module otherwise). */
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly percent: number;
}

/** Self time grouped by where the code lives. */
export interface ProfileSummary {
  readonly totalMs: number;
  readonly top: readonly ProfileEntry[];
  /**
   * The same without the file-system calls, percentages of what remains. `--cpu-prof`
   * attributes to the native write most samples whose signal arrived during the system call,
   * so the rest is under-sampled; this ranking shows how the rest divides.
   */
  readonly topWithoutSyscalls: readonly ProfileEntry[];
  /** slf4ts (dist/src), the benchmark harness, node_modules, Node's own code, GC, native/other. */
  readonly byArea: ReadonlyArray<{ readonly area: string; readonly selfMs: number; readonly percent: number }>;
}

/** Native bindings behind node:fs's synchronous calls (writeSync → writeString, …). */
const SYSCALLS = new Set(["writeString", "writeBuffer", "writeBuffers", "writeFileUtf8", "open", "close", "fstat", "rename", "unlink", "readdir", "mkdir", "lstat", "stat"]);

const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    try {
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
    } catch {
      map = undefined;
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

function locate(frame: CpuProfileNode["callFrame"], root: string): { where: string; area: string } {
  const { url, lineNumber, columnNumber } = frame;
  if (url === "") {
    const name = frame.functionName;
    const area = name === "(garbage collector)" ? "garbage collector" : SYSCALLS.has(name) ? "file system calls (native)" : "native / VM";
    return { where: SYSCALLS.has(name) ? "native binding of node:fs" : "", area };
  }
  if (url.startsWith("node:")) return { where: `${url}:${lineNumber + 1}`, area: "Node.js internals" };
  let file = url;
  if (url.startsWith("file://")) file = fileURLToPath(url);
  const rel = relative(root, file);
  const nm = rel.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = rel.slice(nm + "node_modules/".length);
    return { where: `${rest}:${lineNumber + 1}`, area: "node_modules (log4js, …)" };
  }
  let where = `${rel}:${lineNumber + 1}`;
  const map = sourceMapOf(file);
  const entry = map?.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
    const source = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : entry.originalSource;
    where = `${relative(root, isAbsolute(source) ? source : resolve(dirname(file), source))}:${entry.originalLine + 1}`;
  }
  const area = rel.startsWith("dist/src/") ? "slf4ts (src/)" : rel.startsWith("dist/bench/") ? "benchmark harness" : "other";
  return { where, area };
}

/**
 * Summarises a profile; `root` is the repository (paths are shown relative to it). With
 * `windowUs` (the measured loop on the same monotonic clock) only samples inside it count,
 * so start-up and configuration do not show.
 */
export function summarizeProfile(path: string, root: string, windowUs?: readonly [number, number], top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const self = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (windowUs !== undefined && (t < windowUs[0] || t > windowUs[1])) continue;
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  const byKey = new Map<string, { name: string; where: string; us: number; syscall: boolean }>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const { where, area } = locate(node.callFrame, root);
    const name = node.callFrame.functionName === "" ? "(anonymous)" : node.callFrame.functionName;
    const key = `${name}@${where}`;
    const entry = byKey.get(key) ?? { name, where, us: 0, syscall: area === "file system calls (native)" || name === "(idle)" };
    entry.us += us;
    byKey.set(key, entry);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const pct = (us: number): number => (total === 0 ? 0 : (100 * us) / total);
  const sorted = [...byKey.values()].sort((a, b) => b.us - a.us);
  const rest = sorted.filter((e) => !e.syscall);
  const restTotal = rest.reduce((sum, e) => sum + e.us, 0);
  return {
    totalMs: total / 1000,
    top: sorted.slice(0, top).map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, percent: pct(e.us) })),
    topWithoutSyscalls: rest
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, percent: restTotal === 0 ? 0 : (100 * e.us) / restTotal })),
    byArea: [...byArea.entries()].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, selfMs: us / 1000, percent: pct(us) })),
  };
}
