/**
 * The optional peers, as a user meets them: the packed tarball installed with `npm install
 * <tarball> pino` into a fresh ESM project brings no log4js (nor winston, nor the OpenTelemetry
 * API); the package loads, the facade without a binding falls back to NOP with its one notice,
 * the pino binding writes pino's JSON, and the OpenTelemetry binding without a provider says
 * which package to install.
 */
import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./lib/helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

test("npm install <tarball> pino: no log4js, NOP with one notice until a binding is set, pino's JSON with createPinoBinding", (t) => {
  t.timeout(240_000); // npm pack and npm install; each child process has its own limit too
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };
  t.deepEqual(Object.keys(manifest.peerDependencies).sort(), ["@opentelemetry/api-logs", "log4js", "pino", "winston"]);
  for (const peer of Object.keys(manifest.peerDependencies)) t.true(manifest.peerDependenciesMeta[peer]?.optional, `${peer} is an optional peer`);

  const dir = tempDir(t, "slf4ts-peers-");
  // --ignore-scripts: dist/ is already built by the test build; rebuilding while other test files run would race.
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: root, encoding: "utf8" })) as Array<{ filename: string }>;
  const tarball = packed[0]?.filename;
  if (tarball === undefined) return t.fail("npm pack printed nothing");
  const project = join(dir, "app");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error", join(dir, tarball), "pino@^10"], { cwd: project, encoding: "utf8", timeout: 180_000 });
  const modules = join(project, "node_modules");
  t.true(existsSync(join(modules, "pino")));
  t.false(existsSync(join(modules, "log4js")), "log4js is not installed");
  t.false(existsSync(join(modules, "winston")), "winston is not installed");
  t.false(existsSync(join(modules, "@opentelemetry", "api-logs")), "the OpenTelemetry API is not installed");

  writeFileSync(
    join(project, "main.mjs"),
    `import pino from "pino";
import { AuditLogService, LoggerFactory, createOpenTelemetryBinding, createPinoBinding } from "slf4ts";
const log = LoggerFactory.getLogger("app.Main");
log.info("lost: no binding yet");
LoggerFactory.getLogger("app.Other").warn("lost too");
try {
  createOpenTelemetryBinding();
} catch (error) {
  console.error("otel: " + error.message);
}
LoggerFactory.setBinding(createPinoBinding(pino()));
log.info("hello {}", "pino");
await AuditLogService.configure({ properties: { "com.openexchange.log.audit.slf4j.enabled": "true" }, watch: false });
AuditLogService.log("ox.login", { login: "ann", password: "hunter2" });
`,
  );
  const run = spawnSync(process.execPath, ["main.mjs"], { cwd: project, encoding: "utf8", timeout: 30_000 });
  t.is(run.status, 0, run.stderr);
  const notices = run.stderr.split("\n").filter((l) => l.startsWith("SLF4TS: "));
  t.deepEqual(notices, [
    "SLF4TS: log4js could not be loaded; defaulting to the no-operation (NOP) binding.",
    "SLF4TS: install log4js or call LoggerFactory.setBinding(...) to see facade output.",
  ]);
  t.true(
    run.stderr.includes("otel: createOpenTelemetryBinding() without a loggerProvider needs the package @opentelemetry/api-logs, which is not installed; install it (npm install @opentelemetry/api-logs) or pass { loggerProvider }\n"),
    run.stderr,
  );
  const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  t.false(run.stdout.includes("lost"), "nothing logged before the binding appears");
  t.like(lines[0], { level: 30, logger: "app.Main", msg: "hello pino" });
  const audit = lines.find((l) => l["eventId"] === "ox.login");
  t.like(audit, { logger: "com.openexchange.log.audit.AuditLogService", msg: "ox.login, login=ann, password=****", login: "ann", password: "****", markers: ["AUDIT"] });

  // The README's first example without log4js: dedicated mode needs no binding, so nothing is said.
  writeFileSync(
    join(project, "dedicated.mjs"),
    `import { AuditLogService } from "slf4ts";
await AuditLogService.configure({ properties: {
  "com.openexchange.log.audit.slf4j.enabled": "true",
  "com.openexchange.log.audit.slf4j.file.location": "logs/audit.log",
}, watch: false });
AuditLogService.log("ox.login", { login: "ann" });
await AuditLogService.shutdown();
`,
  );
  const dedicated = spawnSync(process.execPath, ["dedicated.mjs"], { cwd: project, encoding: "utf8", timeout: 30_000 });
  t.is(dedicated.status, 0, dedicated.stderr);
  t.is(dedicated.stderr, "", "dedicated mode without log4js prints nothing");
  t.is(readFileSync(join(project, "logs", "audit.log"), "utf8"), "ox.login, login=ann\n");
  // Standard mode without a binding: the records go nowhere, and that is said.
  writeFileSync(
    join(project, "standard.mjs"),
    `import { AuditLogService } from "slf4ts";
await AuditLogService.configure({ properties: { "com.openexchange.log.audit.slf4j.enabled": "true" }, watch: false });
AuditLogService.log("ox.login", { login: "ann" });
`,
  );
  const standard = spawnSync(process.execPath, ["standard.mjs"], { cwd: project, encoding: "utf8", timeout: 30_000 });
  t.is(standard.status, 0, standard.stderr);
  t.true(standard.stderr.startsWith("SLF4TS: log4js could not be loaded; defaulting to the no-operation (NOP) binding.\n"), standard.stderr);
  t.regex(standard.stderr, /\[LEVEL_DISABLED\] audit records are not written/);
});
