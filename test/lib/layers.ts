/**
 * The layering rule of docs/architecture.md as code: reads the layer table from that page, the
 * relative imports of every `.ts` file under a source folder, and lists every import against
 * the order and every cycle between files.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** The folders of the layer table, top first. */
export function readLayerTable(markdown: string): string[] {
  const start = markdown.indexOf("<!-- layers:start -->");
  const end = markdown.indexOf("<!-- layers:end -->");
  if (start < 0 || end < start) throw new Error("docs/architecture.md has no layers:start … layers:end table");
  const folders: string[] = [];
  for (const line of markdown.slice(start, end).split("\n")) {
    const match = /^\|\s*(\d+)\s*\|\s*`([a-z0-9-]+)`\s*\|/.exec(line);
    if (match === null) continue;
    if (Number(match[1]) !== folders.length + 1) throw new Error(`layer table: row ${match[1]} out of order`);
    folders.push(match[2] as string);
  }
  return folders;
}

/** Every relative import specifier of a TypeScript source (static, dynamic, re-exports, type-only). */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']+)\1/g;
  for (let m = re.exec(withoutComments); m !== null; m = re.exec(withoutComments)) specs.push(m[2] as string);
  return specs;
}

/** The import graph of a folder: file (relative to it, `/`-separated) → files it imports. */
export function importGraph(srcDir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) {
        const from = relative(srcDir, path).split(sep).join("/");
        const targets = importsOf(readFileSync(path, "utf8")).map((spec) =>
          relative(srcDir, resolve(dirname(path), spec.replace(/\.js$/, ".ts"))).split(sep).join("/"),
        );
        graph.set(from, targets);
      }
    }
  };
  walk(srcDir);
  return graph;
}

/** What is wrong with a graph under a layer order: upward imports, unknown folders, missing files, cycles. */
export function layerViolations(graph: ReadonlyMap<string, readonly string[]>, layers: readonly string[]): string[] {
  const problems: string[] = [];
  const rank = (file: string): number | undefined => {
    const slash = file.indexOf("/");
    if (slash < 0) return -1; // src/index.ts: above every layer
    const index = layers.indexOf(file.slice(0, slash));
    return index < 0 ? undefined : index;
  };
  for (const [from, targets] of graph) {
    const fromRank = rank(from);
    if (fromRank === undefined) {
      problems.push(`${from}: its folder is not in the layer table of docs/architecture.md`);
      continue;
    }
    for (const to of targets) {
      if (!graph.has(to)) {
        problems.push(`${from} imports ${to}, which is not a file of src/`);
        continue;
      }
      const toRank = rank(to);
      if (toRank === undefined) continue; // reported for that file itself
      const sameFolder = from.slice(0, from.indexOf("/")) === to.slice(0, to.indexOf("/"));
      if (toRank === -1) problems.push(`${from} imports ${to}: nothing imports the public surface`);
      else if (!sameFolder && toRank <= fromRank) {
        problems.push(`${from} imports ${to}: layer ${layers[fromRank]} (${fromRank + 1}) may not import layer ${layers[toRank]} (${toRank + 1}), which is not below it`);
      }
    }
  }
  // Cycles between files: Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) problems.push(`import cycle: ${component.sort().join(" → ")}`);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return problems;
}
