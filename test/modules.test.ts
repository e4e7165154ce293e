/**
 * CommonJS and ESM from the packed tarball: `require("slf4ts")` and `import "slf4ts"` load the
 * same ES module files (the `require` condition of the exports map points at them, and Node
 * 20.19+ loads ESM with `require`), so a process has one module state whichever way its modules
 * load the package. Each test is a user's project: a CommonJS app, an ESM app, a process that
 * mixes both, and a TypeScript CommonJS build under NodeNext, run as child processes. A
 * top-level await anywhere in the package's module graph would make `require` refuse it
 * (ERR_REQUIRE_ASYNC_MODULE): the CommonJS tests are what would catch one.
 */
import test from "ava";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packAndInstall } from "./lib/doc-examples.js";
import { readLines, tempDir } from "./lib/helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

// One unpacked `npm pack`, shared by every project of this file.
let installed = "";
test.before("pack the package and install it as a user's project would have it", () => {
  installed = packAndInstall(root, "slf4ts-modules-pack-");
});
test.after.always("remove the installed package", () => {
  if (installed !== "") rmSync(dirname(installed), { recursive: true, force: true });
});

/** A project folder with the installed `node_modules`, a package.json of `type` and the given files. */
function project(t: Parameters<typeof tempDir>[0], type: "commonjs" | "module", files: Readonly<Record<string, string>>): string {
  const dir = tempDir(t, "slf4ts-modules-");
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "app", private: true, type })}\n`);
  symlinkSync(join(installed, "node_modules"), join(dir, "node_modules"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Runs `node file` in `dir` (killed after 30 s); its stdout, stderr and status. */
function node(dir: string, file: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env["NODE_OPTIONS"];
  delete env["SLF4TS_AUDIT_PROPERTIES"];
  const r = spawnSync(process.execPath, [file], { cwd: dir, env, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PROPERTIES = `{
  "com.openexchange.log.audit.slf4j.enabled": "true",
  "com.openexchange.log.audit.slf4j.file.location": "audit.log",
}`;

test.serial("a CommonJS app requires slf4ts: the facade and the audit logger work, no warning on stderr", (t) => {
  t.timeout(120_000);
  const dir = project(t, "commonjs", {
    "main.js": `const { AuditLogService, LoggerFactory, MDC, AuditLogger, createConsoleBinding } = require("slf4ts");
LoggerFactory.setBinding(createConsoleBinding({ stream: process.stdout }));
MDC.run({ req: "r1" }, () => LoggerFactory.getLogger("app").info("hello {}", "cjs"));
AuditLogService.configure({ properties: ${PROPERTIES}, watch: false }).then(async () => {
  AuditLogService.log("ox.login", { login: "thorben" });
  await AuditLogService.shutdown();
  console.log(AuditLogService instanceof AuditLogger);
});
`,
  });
  const r = node(dir, "main.js");
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, "", "require(esm) of the package prints no ExperimentalWarning");
  t.regex(r.stdout, /hello cjs/);
  t.regex(r.stdout, /true\n$/);
  t.deepEqual(readLines(join(dir, "audit.log")), ["ox.login, login=thorben"]);
});

test.serial("an ESM app imports slf4ts", (t) => {
  t.timeout(120_000);
  const dir = project(t, "module", {
    "main.js": `import { AuditLogService } from "slf4ts";
await AuditLogService.configure({ properties: ${PROPERTIES}, watch: false });
AuditLogService.log("ox.login", { login: "esm" });
await AuditLogService.shutdown();
`,
  });
  const r = node(dir, "main.js");
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, "");
  t.deepEqual(readLines(join(dir, "audit.log")), ["ox.login, login=esm"]);
});

/** What the ESM module and the CommonJS module of the mixed process compare. */
const SHARED = ["AuditLogService", "LoggerFactory", "MDC", "StatusChannel", "AuditLogger", "ConfigError"];

test.serial("one process, a CommonJS module and an ESM module: the same objects, one configure() seen by both", (t) => {
  t.timeout(120_000);
  const files = {
    "cjs-part.cjs": `const slf4ts = require("slf4ts");
exports.slf4ts = slf4ts;
exports.logFromCjs = () => slf4ts.AuditLogService.log("ox.from.cjs", { who: "cjs" });
`,
    "esm-part.mjs": `import * as slf4ts from "slf4ts";
export { slf4ts };
export const logFromEsm = () => slf4ts.AuditLogService.log("ox.from.esm", { who: "esm" });
`,
  };
  // ESM entry point: it imports the ESM part and requires the CommonJS one; configures through the ESM copy.
  const fromEsm = project(t, "module", {
    ...files,
    "main.mjs": `import { createRequire } from "node:module";
import { slf4ts as esm, logFromEsm } from "./esm-part.mjs";
const { slf4ts: cjs, logFromCjs } = createRequire(import.meta.url)("./cjs-part.cjs");
console.log(${JSON.stringify(SHARED)}.filter((name) => esm[name] === undefined || esm[name] !== cjs[name]).join(",") || "same");
await esm.AuditLogService.configure({ properties: ${PROPERTIES}, watch: false });
logFromCjs();
logFromEsm();
await cjs.AuditLogService.shutdown();
`,
  });
  const a = node(fromEsm, "main.mjs");
  t.is(a.status, 0, a.stderr);
  t.is(a.stderr, "");
  t.is(a.stdout, "same\n");
  t.deepEqual(readLines(join(fromEsm, "audit.log")), ["ox.from.cjs, who=cjs", "ox.from.esm, who=esm"]);

  // CommonJS entry point: it requires both parts (the ESM one through require(esm)); configures through the CommonJS copy.
  const fromCjs = project(t, "commonjs", {
    ...files,
    "main.cjs": `const { slf4ts: esm, logFromEsm } = require("./esm-part.mjs");
const { slf4ts: cjs, logFromCjs } = require("./cjs-part.cjs");
console.log(${JSON.stringify(SHARED)}.filter((name) => cjs[name] === undefined || esm[name] !== cjs[name]).join(",") || "same");
cjs.AuditLogService.configure({ properties: ${PROPERTIES}, watch: false }).then(async () => {
  logFromEsm();
  logFromCjs();
  await esm.AuditLogService.shutdown();
});
`,
  });
  const b = node(fromCjs, "main.cjs");
  t.is(b.status, 0, b.stderr);
  t.is(b.stderr, "");
  t.is(b.stdout, "same\n");
  t.deepEqual(readLines(join(fromCjs, "audit.log")), ["ox.from.esm, who=esm", "ox.from.cjs, who=cjs"]);
});

test.serial("TypeScript under NodeNext: .ts and .cts of a CommonJS package and an .mts compile against the declarations and run", (t) => {
  t.timeout(120_000);
  const dir = project(t, "commonjs", {
    "main.ts": `import { AuditLogService, LoggerFactory, type AuditStats } from "slf4ts";
import { logTwice } from "./helper.cjs";
async function run(): Promise<void> {
  await AuditLogService.configure({ properties: { "com.openexchange.log.audit.slf4j.enabled": "true", "com.openexchange.log.audit.slf4j.file.location": "audit.log" }, watch: false });
  logTwice("ts");
  const stats: AuditStats = AuditLogService.stats();
  const { fromMts } = await import("./later.mjs");
  fromMts();
  await AuditLogService.shutdown();
  console.log(stats.mode, typeof LoggerFactory.getLogger);
}
void run();
`,
    "helper.cts": `import slf4ts = require("slf4ts");
export function logTwice(who: string): void {
  slf4ts.AuditLogService.log("ox.cts", { who });
  slf4ts.AuditLogService.log("ox.cts", { who: who + "2" });
}
`,
    "later.mts": `import { AuditLogService, AuditLogger } from "slf4ts";
export function fromMts(): void {
  const logger: AuditLogger = AuditLogService;
  logger.log("ox.mts", { who: "mts" });
}
`,
    "tsconfig.json": JSON.stringify({
      compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, skipLibCheck: false, types: ["node"], outDir: "out", rootDir: "." },
      files: ["main.ts", "helper.cts", "later.mts"],
    }),
  });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const compiled = spawnSync(process.execPath, [tsc, "-p", dir], { cwd: dir, encoding: "utf8", timeout: 90_000 });
  t.is(compiled.status, 0, compiled.stdout + compiled.stderr);
  // main.ts of a CommonJS package compiles to require("slf4ts"): the require condition is what it uses.
  t.regex(readFileSync(join(dir, "out", "main.js"), "utf8"), /require\("slf4ts"\)/);
  const r = node(dir, "out/main.js");
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, "");
  t.is(r.stdout, "dedicated function\n");
  t.deepEqual(readLines(join(dir, "audit.log")), ["ox.cts, who=ts", "ox.cts, who=ts2", "ox.mts, who=mts"]);
});

test.serial("go to definition in an editor (tsserver) lands in the shipped TypeScript source, through the declaration maps", async (t) => {
  t.timeout(90_000);
  const dir = project(t, "module", {
    "app.ts": `import { AuditLogService } from "slf4ts";\nAuditLogService.log("ox.login", {});\n`,
    "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: [] }, files: ["app.ts"] }),
  });
  const file = join(dir, "app.ts");
  const server = spawn(process.execPath, [join(root, "node_modules", "typescript", "lib", "tsserver.js"), "--disableAutomaticTypingAcquisition"], { cwd: dir, stdio: ["pipe", "pipe", "ignore"] });
  const killer = setTimeout(() => server.kill(), 80_000);
  t.teardown(() => {
    clearTimeout(killer);
    server.kill();
  });
  // tsserver answers with "Content-Length: N" framed JSON; requests are one JSON per line.
  let buffered = "";
  const waiting = new Map<number, (body: unknown) => void>();
  server.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    for (;;) {
      const header = /^Content-Length: (\d+)\r\n\r\n/.exec(buffered);
      if (header === null) return;
      const start = header[0].length;
      const length = Number(header[1]);
      if (Buffer.byteLength(buffered.slice(start)) < length) return;
      const json = Buffer.from(buffered.slice(start)).subarray(0, length).toString("utf8");
      buffered = Buffer.from(buffered.slice(start)).subarray(length).toString("utf8");
      const message = JSON.parse(json) as { type: string; request_seq?: number; body?: unknown };
      if (message.type === "response" && message.request_seq !== undefined) waiting.get(message.request_seq)?.(message.body);
    }
  });
  let seq = 0;
  const request = (command: string, args: object): Promise<unknown> =>
    new Promise((resolve) => {
      const id = ++seq;
      waiting.set(id, resolve);
      server.stdin.write(`${JSON.stringify({ seq: id, type: "request", command, arguments: args })}\n`);
    });
  server.stdin.write(`${JSON.stringify({ seq: 0, type: "request", command: "open", arguments: { file } })}\n`);
  const definitions = (await request("definition", { file, line: 2, offset: 3 })) as Array<{ file: string; start: { line: number } }>;
  t.true(Array.isArray(definitions) && definitions.length > 0, "no definition found");
  const shown = definitions.map((d) => `${d.file}:${d.start.line}`);
  t.true(shown.every((d) => /\/node_modules\/slf4ts\/src\/audit\/service\.ts:\d+$/.test(d)), shown.join(", "));
  const first = definitions[0];
  const source = first === undefined ? [] : readFileSync(first.file, "utf8").split("\n");
  t.regex(source[(first?.start.line ?? 0) - 1] ?? "", /export const AuditLogService\b/);
});
