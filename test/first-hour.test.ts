/**
 * No silent first hour (issue 12): what a new user sees on stderr when nothing would be logged
 * (log4js never configured, `enabled=false`), and the locations configure() refuses at once
 * instead of accepting a file that can never be written. Every case runs a real child process
 * (test/programs/first-hour-child.ts) killed after a time limit: a hang is a failure.
 */
import test, { type ExecutionContext } from "ava";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { P, readLines, tempDir } from "./lib/helpers.js";

const child = fileURLToPath(new URL("./programs/first-hour-child.js", import.meta.url));
const LIMIT_MS = 20_000;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a scenario; killed after {@link LIMIT_MS} (the test then fails). */
async function run(t: ExecutionContext, args: readonly string[], options: { env?: NodeJS.ProcessEnv; prefix?: readonly string[] } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.env?.["SLF4TS_AUDIT_PROPERTIES"] === undefined) delete env["SLF4TS_AUDIT_PROPERTIES"];
  delete env["LOG4JS_CONFIG"];
  const [command, ...prefix] = options.prefix ?? [process.execPath];
  const argv = options.prefix === undefined ? [child, ...args] : [...prefix, process.execPath, child, ...args];
  const proc = spawn(command as string, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, LIMIT_MS);
  // A command that cannot be started (setpriv missing) is a failure naming it, not a wait.
  const status = await new Promise<number | null>((resolve) => {
    proc.on("close", (code) => resolve(code));
    proc.on("error", (error) => {
      stderr += `cannot start ${String(command)}: ${error.message}\n`;
      resolve(null);
    });
  });
  clearTimeout(timer);
  t.false(timedOut, `${args.join(" ")} did not end within ${LIMIT_MS} ms\n--- stdout\n${stdout}--- stderr\n${stderr}`);
  return { status, stdout, stderr };
}

const LOG4JS_NOTICE =
  'SLF4TS: log4js is not configured, so it discards every record (its default level is OFF); a call to logger "com.example.App" was not logged.\n' +
  "SLF4TS: call log4js.configure(...) before logging, or choose another binding, e.g. LoggerFactory.setBinding(createConsoleBinding()); " +
  "audit records can have a file of their own (com.openexchange.log.audit.slf4j.file.location).\n";

test("log4js never configured: one notice on stderr, at the first call it swallows, then disabled levels are empty functions again", async (t) => {
  const r = await run(t, ["log4js-unconfigured"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, LOG4JS_NOTICE);
  t.deepEqual(JSON.parse(r.stdout), { infoIsEmpty: true });
});

test("log4js never configured, through the fluent API: the same one notice, and the disabled builder stays the shared no-op", async (t) => {
  const r = await run(t, ["log4js-unconfigured-fluent"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, LOG4JS_NOTICE);
  t.deepEqual(JSON.parse(r.stdout), { noop: true });
});

test("log4js configured right after the first getLogger: no notice, the record is shown", async (t) => {
  const r = await run(t, ["log4js-configured-after"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, "");
  t.is(r.stdout, "INFO com.example.App hello world\n");
});

test("log4js configured with level OFF by the host: its choice, no notice", async (t) => {
  const r = await run(t, ["log4js-off-on-purpose"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, "");
  t.is(r.stdout, "");
});

test("a target's spool folder under /proc: reported at once (one mkdir per folder), the service goes on", async (t) => {
  const dir = tempDir(t);
  const r = await run(t, ["spool-under-proc", dir]);
  t.is(r.status, 0, r.stderr);
  t.true((JSON.parse(r.stdout) as { ms: number }).ms < 5000, r.stdout);
  t.true(
    r.stderr.startsWith(
      `SLF4TS ERROR [TARGET_FAILED] audit target "siem": cannot use the spool /proc/nope/spool (Error: cannot create the folder /proc/nope: ENOENT: no such file or directory, mkdir '/proc/nope'); its records are kept in memory only (buffer.size)\n`,
    ),
    r.stderr,
  );
});

const disabledNotice = (value: string, where: string): string =>
  `SLF4TS WARN [AUDIT_DISABLED] audit logging is off: ${P}enabled ${value} in ${where}, so log() writes nothing; set ${P}enabled=true there (and ${P}file.location=<file> for a file of its own)\n`;

test("enabled=false from configure()'s properties: said once, not again on a configure or reload that stays off", async (t) => {
  const r = await run(t, ["disabled-inline"]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, disabledNotice("is not set (its default is false)", "the properties given to configure()"));
  t.is(r.stdout, '"disabled"\n');
});

test("enabled=false in a properties file: names the file and the line; said again only after it was on in between", async (t) => {
  const dir = tempDir(t);
  const r = await run(t, ["disabled-file", dir]);
  t.is(r.status, 0, r.stderr);
  const file = join(dir, "audit.properties");
  t.is(r.stderr, disabledNotice("is false (line 2)", file) + disabledNotice("is false (line 1)", file));
});

test("enabled not set in the file named by SLF4TS_AUDIT_PROPERTIES: says so, naming the variable, once", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "env.properties");
  writeFileSync(file, "# nothing set\n");
  const r = await run(t, ["disabled-env"], { env: { SLF4TS_AUDIT_PROPERTIES: file } });
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, disabledNotice("is not set (its default is false)", `${file} (named by the environment variable SLF4TS_AUDIT_PROPERTIES)`));
  t.is(r.stdout, '"disabled"\n');
});

const refusal = (file: string, value: string, reason: string): string =>
  `ConfigError: Invalid audit configuration in ${file} (1 problem):\n  line 2: ${P}file.location = "${value}": cannot be the audit file: ${reason}`;

const consoleReason = (stream: "stdout" | "stderr"): string =>
  `it is the process's standard ${stream === "stdout" ? "output" : "error"}, and the audit file is a regular file (rotated, locked, read back); ` +
  `to write audit records to ${stream} (as in a container), use a console target: ${P}target.<name>.type=console with ${P}target.<name>.stream=${stream}`;

const KERNEL = (folder: string): string => `it is under ${folder}, a kernel file system: its files are the kernel's interfaces, not storage`;

/** Locations refused at configure(), with the reason each one gives. */
const refused: ReadonlyArray<readonly [string, (dir: string) => string, (dir: string) => string]> = [
  ["/dev/stdout", () => "/dev/stdout", () => consoleReason("stdout")],
  ["/dev/stderr", () => "/dev/stderr", () => consoleReason("stderr")],
  ["/dev/fd/1", () => "/dev/fd/1", () => consoleReason("stdout")],
  ["/dev/fd/2", () => "/dev/fd/2", () => consoleReason("stderr")],
  ["/proc/self/fd/1", () => "/proc/self/fd/1", () => consoleReason("stdout")],
  ["/proc/self/fd/2", () => "/proc/self/fd/2", () => consoleReason("stderr")],
  ["a path under /proc that does not exist (Node's recursive mkdir never returns there)", () => "/proc/nope/a.log", () => KERNEL("/proc")],
  ["a regular file under /proc (writing it would change the kernel's settings)", () => "/proc/sys/kernel/hostname", () => KERNEL("/proc")],
  ["a path under /sys", () => "/sys/kernel/audit.log", () => KERNEL("/sys")],
  ["a parent that is a file", (dir) => join(dir, "notes.txt", "audit.log"), (dir) => `${join(dir, "notes.txt")} is a file, not a folder`],
  ["a parent of a parent that is a file (ENOTDIR on the way)", (dir) => join(dir, "notes.txt", "logs", "audit.log"), (dir) => `${join(dir, "notes.txt")} is a file, not a folder`],
  ["a folder", (dir) => join(dir, "logs"), () => "it is a folder, not a regular file"],
  // Not under /proc by its name: found by the file system's type (statfs).
  ["a path through a symbolic link to a folder of /proc", (dir) => join(dir, "kernel", "nope", "audit.log"), (dir) => `${join(dir, "kernel")} is on a proc file system, whose files are the kernel's interfaces, not storage`],
  // The container idiom (ln -sf /dev/stdout audit.log): a link whose chain ends at the console.
  ["a symbolic link to /dev/stdout", (dir) => join(dir, "stdout.log"), () => consoleReason("stdout")],
  ["a symbolic link to a link to /dev/stderr", (dir) => join(dir, "stderr-again.log"), () => consoleReason("stderr")],
  ["a symbolic link into /proc", (dir) => join(dir, "hostname.log"), () => `it is a symbolic link to /proc/sys/kernel/hostname: ${KERNEL("/proc")}`],
  ["a file on devpts (/dev/pts)", () => "/dev/pts/audit.log", () => "/dev/pts is on a devpts file system, whose files are the kernel's interfaces, not storage"],
];

for (const [what, locationOf, reasonOf] of refused) {
  test(`configure() refuses file.location = ${what}, promptly, naming key, value, line and reason`, async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "notes.txt"), "not a folder\n");
    mkdirSync(join(dir, "logs"));
    symlinkSync("/proc/self", join(dir, "kernel"));
    symlinkSync("/dev/stdout", join(dir, "stdout.log"));
    symlinkSync("/dev/stderr", join(dir, "stderr.log"));
    symlinkSync("stderr.log", join(dir, "stderr-again.log"));
    symlinkSync("/proc/sys/kernel/hostname", join(dir, "hostname.log"));
    const location = locationOf(dir);
    const r = await run(t, ["refuse", dir, location]);
    t.is(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { error?: string; mode: string; ms: number };
    t.is(result.error, refusal(join(dir, "audit.properties"), location, reasonOf(dir)));
    t.is(result.mode, "disabled");
    t.true(result.ms < 5000, `took ${result.ms} ms`);
    t.false(existsSync(join(dir, "notes.txt", "logs")));
  });
}

test("a device other than the console (/dev/null) is refused by the writer's open, as before, with what it is", async (t) => {
  const dir = tempDir(t);
  const r = await run(t, ["refuse", dir, "/dev/null"]);
  const result = JSON.parse(r.stdout) as { error?: string };
  t.is(
    result.error,
    `ConfigError: Invalid audit configuration in ${join(dir, "audit.properties")} (1 problem):\n  line 2: ${P}file.location = "/dev/null": cannot open /dev/null: /dev/null is a character device, not a regular file; the audit file is never a FIFO, socket or device (EFTYPE)`,
  );
});

test("a reload to a location that cannot work is refused and the old file goes on being written", async (t) => {
  for (const bad of ["/proc/nope/a.log", "/dev/stdout", "notes.txt/audit.log"]) {
    const dir = tempDir(t);
    writeFileSync(join(dir, "notes.txt"), "not a folder\n");
    const r = await run(t, ["reload-refused", dir, bad]);
    t.is(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { error?: string; file?: string; ms: number };
    t.regex(result.error ?? "", new RegExp(`^ConfigError: Invalid audit configuration in .*audit\\.properties \\(1 problem\\):\\n  line 2: ${P.replace(/\./g, "\\.")}file\\.location = "${bad.replace(/\./g, "\\.")}": cannot be the audit file: `));
    t.is(result.file, join(dir, "good.log"));
    t.true(result.ms < 5000, `took ${result.ms} ms`);
    t.deepEqual(readLines(join(dir, "good.log")), ["before, n=1", "after, n=2"]);
    t.regex(r.stderr, /\[CONFIG_INVALID\].*\nThe last good configuration stays in force\.\n$/s);
  }
});

test("no permission to create the file (EACCES): refused at configure(); run as an unprivileged user when the tests run as root", async (t) => {
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  const logs = join(dir, "logs");
  mkdirSync(logs, { mode: 0o755 });
  // As root, permissions do not bite: the child runs as nobody (setpriv, util-linux), allowed to
  // read any file (the checkout may sit in a folder only root can enter) but not to write. As
  // another user, a folder without write permission does the same.
  const root = process.getuid?.() === 0;
  if (!root) chmodSync(logs, 0o555);
  writeFileSync(join(dir, "audit.properties"), ""); // the child writes it; as nobody it needs the folder or the file writable
  chmodSync(join(dir, "audit.properties"), 0o666);
  const prefix = root ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"] : undefined;
  const r = await run(t, ["refuse", dir, join(logs, "audit.log")], prefix === undefined ? {} : { prefix });
  t.is(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { error?: string; mode: string };
  t.is(result.error, refusal(join(dir, "audit.properties"), join(logs, "audit.log"), `permission denied: this process may not create audit.log in ${logs} (EACCES)`));
  t.is(result.mode, "disabled");
  t.false(existsSync(join(logs, "audit.log")));

  // An existing file this process may not write, in a folder it may write.
  const open = join(dir, "open");
  mkdirSync(open);
  chmodSync(open, 0o777);
  writeFileSync(join(open, "audit.log"), "");
  chmodSync(join(open, "audit.log"), 0o444);
  const second = await run(t, ["refuse", dir, join(open, "audit.log")], prefix === undefined ? {} : { prefix });
  t.is(second.status, 0, second.stderr);
  t.is((JSON.parse(second.stdout) as { error?: string }).error, refusal(join(dir, "audit.properties"), join(open, "audit.log"), "permission denied: this process may not write it (EACCES)"));
});
