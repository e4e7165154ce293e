import test from "ava";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { readLines, tempDir } from "./lib/helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

test("the packed tarball installs into a project and works: ESM import, types, log4js shared with the host", async (t) => {
  const dir = tempDir(t, "slf4ts-pack-");
  // --ignore-scripts: dist/ is already built by the test build; rebuilding while other test files run would race.
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: root, encoding: "utf8" })) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const entry = packed[0];
  if (entry === undefined) return t.fail("npm pack printed nothing");
  const shipped = entry.files.map((f) => f.path);
  t.true(shipped.includes("dist/src/index.js"));
  t.true(shipped.includes("dist/src/index.d.ts"));
  t.true(shipped.includes("etc/slf4j-auditlog.properties"));
  t.true(shipped.includes("LICENSE"), "the license text ships");
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { license?: string };
  t.is(manifest.license, "MIT");
  t.regex(readFileSync(join(root, "LICENSE"), "utf8"), /^MIT License\n\nCopyright \(c\) \d{4} .+\n[\s\S]*THE SOFTWARE IS PROVIDED "AS IS"/, "the LICENSE is the MIT text that package.json names");
  // The console's page ships whole: slf4ts-audit serve loads nothing from the network.
  for (const asset of ["console/index.html", "console/console.js", "console/console.css"]) t.true(shipped.includes(asset), asset);
  t.false(shipped.some((p) => p.startsWith("test/") || p.startsWith("dist/test/") || p.startsWith("dist/examples/")), "no tests or demo in the package");

  const project = join(dir, "host");
  execFileSync("mkdir", ["-p", project]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "host", private: true, type: "module" }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error", join(dir, entry.filename), "log4js@^6.9.1"], { cwd: project, encoding: "utf8" });

  writeFileSync(
    join(project, "main.mjs"),
    `import log4js from "log4js";
import { AuditLogService, LoggerFactory, MDC } from "slf4ts";
log4js.configure({
  appenders: { f: { type: "fileSync", filename: "host.log", layout: { type: "pattern", pattern: "%p %c %X{req} %m" } } },
  categories: { default: { appenders: ["f"], level: "info" } },
});
await AuditLogService.configure({ properties: {
  "com.openexchange.log.audit.slf4j.enabled": "true",
  "com.openexchange.log.audit.slf4j.delimiter": '"|"',
}, watch: false });
MDC.run({ req: "r1" }, () => {
  LoggerFactory.getLogger("host.app").info("hello {}", "world");
  AuditLogService.log("ox.login", { login: "thorben", ip: "::1" });
});
log4js.shutdown(() => {});
`,
  );
  execFileSync(process.execPath, ["main.mjs"], { cwd: project, encoding: "utf8" });
  const lines = readLines(join(project, "host.log")).filter((l) => !l.includes(" slf4ts "));
  t.deepEqual(lines, ["INFO host.app r1 hello world", "INFO com.openexchange.log.audit.AuditLogService r1 ox.login|login=thorben|ip=::1"]);

  // The declarations type-check a consumer under NodeNext resolution.
  writeFileSync(
    join(project, "typed.ts"),
    `import { AuditLogService, LoggerFactory, MDC, ConfigError, parseAuditLine, type AuditStats, type LoggerBinding } from "slf4ts";
const stats: AuditStats = AuditLogService.stats();
const mode: "disabled" | "standard" | "dedicated" = stats.mode;
const binding: LoggerBinding = { name: "x", getLogger: () => ({ isEnabled: () => true, log: () => undefined }) };
LoggerFactory.setBinding(binding);
MDC.put("k", "v");
const parsed = parseAuditLine("a|b=c", { delimiter: "|", includeAttributeNames: true });
const first: string | null | undefined = parsed.attributes[0]?.[1];
void [mode, first, ConfigError];
`,
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ["typed.ts"] }),
  );
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  t.notThrows(() => execFileSync(process.execPath, [tsc, "-p", project], { cwd: project, encoding: "utf8" }));
  t.is(JSON.parse(readFileSync(join(project, "node_modules", "slf4ts", "package.json"), "utf8")).name, "slf4ts");
  // Internals stay out of the published declarations (stripInternal): no member a user sees is marked internal.
  const declarations = (readdirSync(join(project, "node_modules", "slf4ts", "dist", "src"), { recursive: true }) as string[]).filter((f) => f.endsWith(".d.ts"));
  t.true(declarations.length > 20);
  const internal = declarations.filter((f) => readFileSync(join(project, "node_modules", "slf4ts", "dist", "src", f), "utf8").includes("@internal"));
  t.deepEqual(internal, [], "no @internal in the published .d.ts files");

  // The command is installed as a bin and runs from the project.
  const help = execFileSync(join(project, "node_modules", ".bin", "slf4ts-audit"), ["--help"], { cwd: project, encoding: "utf8" });
  t.regex(help, /^Usage: slf4ts-audit <command>/);
  const version = execFileSync(join(project, "node_modules", ".bin", "slf4ts-audit"), ["--version"], { cwd: project, encoding: "utf8" });
  t.is(version, `slf4ts-audit ${(JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version}\n`);
  t.regex(help, /verify .*\n.*query .*\n.*tail /s);

  // The installed console serves its page from the package's own files (nothing from the network).
  mkdirSync(join(project, "logs"));
  writeFileSync(join(project, "logs", "audit.log"), "ox.login, login=anna\n");
  const child = spawn(join(project, "node_modules", ".bin", "slf4ts-audit"), ["serve", "--port", "0", "logs"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => void child.kill());
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`serve printed no address in 10 s: ${out}`)), 10_000);
    child.stdout.on("data", (data: Buffer) => {
      out += data.toString();
      const m = /(http:\/\/\S+\/) /.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.on("exit", (code) => reject(new Error(`serve ended with ${code}`)));
  });
  for (const [path, file, type] of [["/", "index.html", "text/html"], ["/console.js", "console.js", "text/javascript"], ["/console.css", "console.css", "text/css"]] as const) {
    const res = await fetch(new URL(path, url));
    t.is(res.status, 200, path);
    t.true((res.headers.get("content-type") ?? "").startsWith(type), path);
    t.is(await res.text(), readFileSync(join(root, "console", file), "utf8"), path);
  }
  const found = (await (await fetch(new URL("/api/search", url))).json()) as { records: Array<{ event: string }> };
  t.deepEqual(found.records.map((r) => r.event), ["ox.login"]);
});

test("the tarball ships src/ only because its maps point there: every .d.ts has a declaration map, every map's sources ship, every shipped source is a map's source", (t) => {
  const packed = JSON.parse(execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" })) as Array<{ files: Array<{ path: string }> }>;
  const shipped = new Set((packed[0]?.files ?? []).map((f) => f.path));
  const declarations = [...shipped].filter((p) => p.endsWith(".d.ts"));
  const maps = [...shipped].filter((p) => p.endsWith(".map"));
  const sources = [...shipped].filter((p) => p.startsWith("src/"));
  t.true(declarations.length > 20 && sources.length > 20, `${declarations.length} declarations, ${sources.length} sources`);
  t.deepEqual(declarations.filter((d) => !shipped.has(`${d}.map`)), [], "a declaration file without its map");
  const pointedAt = new Set<string>();
  const dangling: string[] = [];
  for (const map of maps) {
    const { sources: mapped } = JSON.parse(readFileSync(join(root, map), "utf8")) as { sources: string[] };
    for (const source of mapped) {
      const target = posix.normalize(posix.join(posix.dirname(map), source));
      if (shipped.has(target)) pointedAt.add(target);
      else dangling.push(`${map} -> ${source}`);
    }
  }
  t.deepEqual(dangling, [], "a map points at a file the package does not ship");
  t.deepEqual(sources.filter((s) => !pointedAt.has(s)), [], "a source file that no map points at");
});
