/**
 * The runner of the documentation's examples (test/docs.test.ts): it finds the marked code blocks
 * of a Markdown file, runs them in order in a scratch folder against the packed package, as a user
 * who copies them would, and compares what they print with the output block that follows them.
 *
 * Markers (the info string of a fenced block; GitHub highlights by its first word and shows
 * nothing of the rest):
 * - `` ```properties file=NAME `` (any language): the block's text is written to NAME in the
 *   scratch folder before the blocks after it run.
 * - `` ```js runnable ``, `` ```ts runnable ``, `` ```sh runnable ``: the block is run (node; the
 *   TypeScript compiler, type-checking against the package's declarations, then node; bash with
 *   `set -euo pipefail` and the project's `node_modules/.bin` on PATH, as npm scripts have it).
 *   `exit=N` expects exit code N (default 0).
 * - `` ```text output ``: what the runnable block before it prints on stdout, exactly, except
 *   that `…` in a line matches any text in that line, a line that is only `…` matches any number
 *   of lines, and trailing white space is ignored.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import ts from "typescript";

/** One fenced code block of a Markdown file. */
export interface DocBlock {
  /** The Markdown file, as given to {@link extractBlocks}. */
  readonly file: string;
  /** The line of the opening fence, from 1. */
  readonly line: number;
  /** The first word of the info string (`js`, `sh`, `properties`, `text`…). */
  readonly lang: string;
  /** The other words of the info string: bare flags map to `""`, `key=value` to the value. */
  readonly options: ReadonlyMap<string, string>;
  /** The block's text, with a final line feed. */
  readonly text: string;
}

/** Every fenced code block of `markdown`, in order (`file` names it in messages). */
export function extractBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*(.*)$/.exec(lines[i] ?? "");
    if (open === null) continue;
    const fence = open[1] ?? "```";
    const words = (open[2] ?? "").trim().split(/\s+/).filter((w) => w !== "");
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? "").startsWith(fence)) body.push(lines[j++] ?? "");
    const options = new Map<string, string>();
    for (const w of words.slice(1)) {
      const eq = w.indexOf("=");
      options.set(eq < 0 ? w : w.slice(0, eq), eq < 0 ? "" : w.slice(eq + 1));
    }
    blocks.push({ file, line: i + 1, lang: words[0] ?? "", options, text: body.length === 0 ? "" : `${body.join("\n")}\n` });
    i = j;
  }
  return blocks;
}

/** Whether the block is run (`runnable`) rather than only shown. */
export const isRunnable = (b: DocBlock): boolean => b.options.has("runnable");

/** Whether the block is the expected output of the runnable block before it. */
const isOutput = (b: DocBlock): boolean => b.options.has("output");

/**
 * Prepares `dir` as a user's project that installed the package: `node_modules/slf4ts` is the
 * unpacked tarball (only what `files` ships), its dependencies and the peers the examples use are
 * linked from this repository's `node_modules`, and its command is in `node_modules/.bin`.
 */
export function installPackage(dir: string, tarball: string, repoNodeModules: string): void {
  const modules = join(dir, "node_modules");
  const pkg = join(modules, "slf4ts");
  mkdirSync(pkg, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", pkg, "--strip-components=1"], dir);
  const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    bin?: Record<string, string>;
  };
  // Node resolves these links to their real paths, so their own dependencies come from the repository.
  // The optional peers (log4js, pino, winston, the OpenTelemetry logs API) are all there, with the
  // OpenTelemetry SDK the examples of docs/bindings.md use.
  const linked = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), "pino", "@opentelemetry/sdk-logs", "@types/node"]);
  for (const name of linked) {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(join(repoNodeModules, name), join(modules, name));
  }
  mkdirSync(join(modules, ".bin"));
  for (const [name, target] of Object.entries(manifest.bin ?? {})) {
    chmodSync(join(pkg, target), 0o755); // as npm does when it links a bin
    symlinkSync(join("..", "slf4ts", target), join(modules, ".bin", name));
  }
}

/**
 * Packs the repository at `root` (`npm pack --ignore-scripts`: dist/ is already built by the test
 * build, and rebuilding while other test files run would race) into a new temporary folder named
 * with `prefix`, and installs the tarball there with {@link installPackage}. Returns the installed
 * project's folder (inside the temporary one: remove `dirname(result)` when done).
 */
export function packAndInstall(root: string, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: root, encoding: "utf8" })) as Array<{ filename: string }>;
  const tarball = packed[0]?.filename;
  if (tarball === undefined) throw new Error("npm pack printed nothing");
  const installed = join(dir, "installed");
  mkdirSync(installed);
  installPackage(installed, join(dir, tarball), join(root, "node_modules"));
  return installed;
}

/** Prepares `dir` as a scratch project whose `node_modules` is the one {@link installPackage} made. */
export function scratchProject(dir: string, installed: string): void {
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "docs-example", private: true, type: "module" })}\n`);
  symlinkSync(join(installed, "node_modules"), join(dir, "node_modules"));
}

/** What went wrong with one block; empty when every block did what its documentation says. */
export interface DocFailure {
  readonly where: string;
  readonly message: string;
}

/**
 * Runs the blocks of one Markdown file in order in the scratch project `dir` (files written by
 * one block are there for the next) and returns the failures; it stops at the first one, since
 * the blocks after it usually build on it. With `quiet`, a block that prints anything on stderr
 * fails too (the README: a new user's first run shows only what the page shows).
 */
export async function runBlocks(blocks: readonly DocBlock[], dir: string, options: { readonly quiet?: boolean } = {}): Promise<DocFailure[]> {
  let previous: { block: DocBlock; stdout: string } | undefined;
  let counter = 0;
  for (const block of blocks) {
    const where = `${block.file}:${block.line}`;
    const file = block.options.get("file");
    if (file !== undefined) {
      if (file === "") return [{ where, message: "file= names no file" }];
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), block.text);
      continue;
    }
    if (isOutput(block)) {
      if (previous === undefined) return [{ where, message: "an output block with no runnable block before it" }];
      const mismatch = compareOutput(block.text, previous.stdout);
      if (mismatch !== undefined) return [{ where, message: `the output of ${previous.block.file}:${previous.block.line} differs from this block: ${mismatch}` }];
      previous = undefined;
      continue;
    }
    if (!isRunnable(block)) continue;
    const expectedExit = Number(block.options.get("exit") ?? "0");
    const result = await execute(block, dir, `.example-${++counter}`);
    if ("error" in result) return [{ where, message: result.error }];
    if (result.status !== expectedExit) {
      return [{ where, message: `exited with ${String(result.status)}${result.signal === null ? "" : ` (${result.signal})`}, expected ${expectedExit}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}` }];
    }
    if (options.quiet === true && result.stderr !== "") {
      return [{ where, message: `printed on stderr, which the page does not show:\n${result.stderr}` }];
    }
    previous = { block, stdout: result.stdout };
  }
  return [];
}

interface Executed {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function execute(block: DocBlock, dir: string, name: string): Promise<Executed | { error: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(dir, "node_modules", ".bin")}:${process.env["PATH"] ?? "/usr/bin:/bin"}` };
  delete env["SLF4TS_AUDIT_PROPERTIES"];
  delete env["NODE_OPTIONS"];
  switch (block.lang) {
    case "js":
    case "javascript":
      writeFileSync(join(dir, `${name}.mjs`), block.text);
      return runAsync(process.execPath, [`${name}.mjs`], dir, env);
    case "ts":
    case "typescript": {
      const source = join(dir, `${name}.mts`);
      writeFileSync(source, block.text);
      const errors = compileTypeScript(source);
      if (errors !== "") return { error: `does not compile against the package's types:\n${errors}` };
      return runAsync(process.execPath, [`${name}.mjs`], dir, env);
    }
    case "sh":
    case "bash":
      writeFileSync(join(dir, `${name}.sh`), `set -euo pipefail\n${block.text}`);
      return runAsync("bash", [`${name}.sh`], dir, env);
    default:
      return { error: `"${block.lang}" blocks cannot be run (js, ts or sh)` };
  }
}

/** Type-checks `source` as a strict NodeNext module of the scratch project and emits it beside it; returns the diagnostics. */
function compileTypeScript(source: string): string {
  const program = ts.createProgram([source], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    types: ["node"],
    skipLibCheck: true,
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dirname(source), getNewLine: () => "\n" });
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Executed {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a block's program without blocking the test's event loop (AVA's timeout sees progress), killed after a minute. */
function runAsync(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Executed> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** Whether `actual` is what `expected` shows (see the module comment); a description of the difference when not. */
export function compareOutput(expected: string, actual: string): string | undefined {
  const trim = (s: string): string[] => s.replace(/\s+$/, "").split("\n").map((l) => l.replace(/\s+$/, ""));
  const want = trim(expected);
  const got = trim(actual);
  const pattern = want.map((l) => (l === "…" ? "(?:[^\\n]*\\n)*?" : `${l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/…/g, "[^\\n]*")}\\n`)).join("");
  if (new RegExp(`^${pattern}$`).test(`${got.join("\n")}\n`)) return undefined;
  return `\n--- expected\n${want.join("\n")}\n--- actual\n${got.join("\n")}`;
}
