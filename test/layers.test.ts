import test from "ava";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./lib/helpers.js";
import { importGraph, importsOf, layerViolations, readLayerTable } from "./lib/layers.js";

const root = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const layers = readLayerTable(readFileSync(join(root, "docs", "architecture.md"), "utf8"));

test("the layer table of docs/architecture.md names every folder of src/, top to bottom", (t) => {
  t.true(layers.length >= 10, `only ${layers.length} layers read`);
  t.is(layers[0], "cli");
  t.is(layers.at(-1), "facade");
  const folders = new Set([...importGraph(join(root, "src")).keys()].filter((f) => f.includes("/")).map((f) => f.slice(0, f.indexOf("/"))));
  t.deepEqual([...folders].sort(), [...layers].sort());
});

test("src/ imports only downwards in the layer order and has no import cycle", (t) => {
  const graph = importGraph(join(root, "src"));
  t.true(graph.size > 40, `only ${graph.size} files read`);
  t.true([...graph.values()].reduce((n, imports) => n + imports.length, 0) > 100);
  t.deepEqual(layerViolations(graph, layers), []);
});

test("the check fails on an upward import, an unknown folder and a cycle, in a copy of the tree", (t) => {
  const dir = tempDir(t);
  const file = (path: string, text: string): void => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  file("facade/level.ts", 'export const A = 1;\n');
  file("record/record.ts", 'import { A } from "../facade/level.js";\nexport const B = A;\n');
  t.deepEqual(layerViolations(importGraph(dir), layers), []);
  // facade (bottom) importing record (above it)
  file("facade/level.ts", 'import type { B } from "../record/record.js";\nexport const A = 1;\n');
  const upward = layerViolations(importGraph(dir), layers);
  t.true(upward.some((p) => p.startsWith("facade/level.ts imports record/record.ts: layer facade (14) may not import layer record")), upward.join("\n"));
  t.true(upward.some((p) => p.startsWith("import cycle: facade/level.ts → record/record.ts")), upward.join("\n"));
  // two files of one folder importing each other
  file("facade/level.ts", 'export const A = 1;\n');
  file("record/a.ts", 'export { C } from "./b.js";\n');
  file("record/b.ts", 'import("./a.js");\nexport const C = 1;\n');
  t.deepEqual(layerViolations(importGraph(dir), layers), ["import cycle: record/a.ts → record/b.ts"]);
  // a folder that is not in the table
  file("record/b.ts", 'export const C = 1;\n');
  file("misc/x.ts", 'export const X = 1;\n');
  t.deepEqual(layerViolations(importGraph(dir), layers), ["misc/x.ts: its folder is not in the layer table of docs/architecture.md"]);
});

test("imports are read from every form: named, type-only, re-export, side effect, dynamic; not from comments", (t) => {
  const source = [
    'import { a } from "./a.js";',
    'import type { B } from "../b/b.js";',
    'export { c } from "./c.js";',
    'export * from "./d.js";',
    'import "./e.js";',
    'const f = await import("./f.js");',
    '// import { g } from "./g.js";',
    '/* import { h } from "./h.js"; */',
    'import { readFileSync } from "node:fs";',
  ].join("\n");
  t.deepEqual(importsOf(source), ["./a.js", "../b/b.js", "./c.js", "./d.js", "./e.js", "./f.js"]);
});
