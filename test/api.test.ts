/**
 * The public surface and its documentation agree: every export of the package's declarations
 * (dist/src/index.d.ts, read with the TypeScript compiler, so type-only exports count) has one
 * row in docs/api.md, under one of its groups, with its kind and a stability, and every row names
 * an export. The failure message lists the names missing and extra, so a new export is one row away.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import * as slf4ts from "../src/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const GROUPS = ["Facade", "Bindings", "Audit logger", "Configuration", "Records and parsing", "Formats", "Status"];
const STABILITIES = ["stable", "experimental", "deprecated"];

interface Row {
  readonly name: string;
  readonly kind: string;
  readonly stability: string;
  readonly what: string;
  readonly group: string;
  readonly line: number;
}

/** The rows of the export tables of docs/api.md, with the `## ` heading each is under. */
function documentedRows(): Row[] {
  const rows: Row[] = [];
  let group = "";
  readFileSync(join(root, "docs", "api.md"), "utf8")
    .split("\n")
    .forEach((text, i) => {
      const heading = /^## (.+)$/.exec(text);
      if (heading !== null) group = (heading[1] ?? "").trim();
      const row = /^\| `([^`]+)` \|([^|]*)\|([^|]*)\|(.*)\|\s*$/.exec(text);
      if (row === null) return;
      rows.push({ name: row[1] ?? "", kind: (row[2] ?? "").trim(), stability: (row[3] ?? "").trim(), what: (row[4] ?? "").trim(), group, line: i + 1 });
    });
  return rows;
}

/** Every export of the built declarations, with its kind as docs/api.md writes it. */
function declaredExports(): Map<string, string> {
  const file = join(root, "dist", "src", "index.d.ts");
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`${file}: no module symbol`);
  const F = ts.SymbolFlags;
  const kinds = new Map<string, string>();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const target = exported.flags & F.Alias ? checker.getAliasedSymbol(exported) : exported;
    const f = target.flags;
    const kind =
      f & F.Class ? "class"
      : f & F.Function ? "function"
      : f & F.Variable ? (f & F.TypeAlias ? "const + type" : "const")
      : f & F.Interface ? "interface"
      : f & F.TypeAlias ? "type"
      : `unknown (flags ${f})`;
    kinds.set(exported.name, kind);
  }
  return kinds;
}

test("docs/api.md lists every export of src/index.ts, and only those, with its kind", (t) => {
  const rows = documentedRows();
  const exported = declaredExports();
  t.true(exported.size > 40, `only ${exported.size} exports read from dist/src/index.d.ts`);
  const documented = new Set(rows.map((r) => r.name));
  const missing = [...exported.keys()].filter((name) => !documented.has(name));
  const extra = [...documented].filter((name) => !exported.has(name));
  t.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    [
      missing.length === 0 ? "" : `exported by src/index.ts but without a row in docs/api.md: ${missing.join(", ")}`,
      extra.length === 0 ? "" : `rows of docs/api.md that src/index.ts does not export: ${extra.join(", ")}`,
    ].filter((s) => s !== "").join("\n"),
  );
  const twice = rows.filter((r, i) => rows.findIndex((o) => o.name === r.name) !== i).map((r) => `${r.name} (docs/api.md:${r.line})`);
  t.deepEqual(twice, [], "a name has more than one row");
  const wrongKind = rows.filter((r) => exported.has(r.name) && exported.get(r.name) !== r.kind).map((r) => `${r.name} is a ${exported.get(r.name) ?? "?"}, docs/api.md:${r.line} says ${r.kind}`);
  t.deepEqual(wrongKind, []);
});

test("docs/api.md: every row is in one of the groups, has a stability and says what it is", (t) => {
  const rows = documentedRows();
  const problems = rows.flatMap((r) => [
    ...(GROUPS.includes(r.group) ? [] : [`${r.name} (docs/api.md:${r.line}) is under "${r.group}", not one of ${GROUPS.join(", ")}`]),
    ...(STABILITIES.includes(r.stability) ? [] : [`${r.name} (docs/api.md:${r.line}): stability "${r.stability}", expected one of ${STABILITIES.join(", ")}`]),
    ...(r.what.length >= 10 ? [] : [`${r.name} (docs/api.md:${r.line}): no description`]),
  ]);
  t.deepEqual(problems, []);
  t.deepEqual(GROUPS.filter((g) => !rows.some((r) => r.group === g)), [], "a group without rows");
});

test("the module's runtime exports are exactly the documented values (classes, functions, consts)", (t) => {
  const values = documentedRows()
    .filter((r) => r.kind === "class" || r.kind === "function" || r.kind.startsWith("const"))
    .map((r) => r.name)
    .sort();
  t.deepEqual(Object.keys(slf4ts).sort(), values);
});

test("AuditLogServiceImpl is the deprecated alias of AuditLogger, the same class", (t) => {
  t.is(slf4ts.AuditLogServiceImpl, slf4ts.AuditLogger);
  t.true(slf4ts.AuditLogService instanceof slf4ts.AuditLogger);
  t.true(slf4ts.createAuditLogService() instanceof slf4ts.AuditLogServiceImpl);
  const declarations = readFileSync(join(root, "dist", "src", "audit", "service.d.ts"), "utf8");
  t.regex(declarations, /@deprecated Use \{@link AuditLogger\}[\s\S]{0,300}?\*\/\s*export declare const AuditLogServiceImpl: typeof AuditLogger;/);
  t.regex(declarations, /@deprecated Use \{@link AuditLogger\}[\s\S]{0,300}?\*\/\s*export type AuditLogServiceImpl = AuditLogger;/);
  const row = documentedRows().find((r) => r.name === "AuditLogServiceImpl");
  t.is(row?.stability, "deprecated");
});
