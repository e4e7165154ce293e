/**
 * Key files handled as secrets: who may write or read them, what may stand at their path, and
 * the names key evolution writes under. Attacks are real: planted links and files, a FIFO, a
 * device, and another user (setpriv, which needs root, as CI has).
 */
import test, { type ExecutionContext } from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, createAuditLogService } from "../src/index.js";
import { parseHmacKeyFile, writeHmacKeyFile } from "../src/integrity/keys.js";
import { captureStatus, P, readLines, tempDir, writeProperties } from "./lib/helpers.js";

const configureChild = fileURLToPath(new URL("./programs/configure-child.js", import.meta.url));
const HOUR = 3600;

function requireRoot(t: ExecutionContext): void {
  if (process.getuid?.() !== 0) t.fail("this test plants files as another user (setpriv) and makes devices (mknod): it needs root, as CI has");
}

interface Setup {
  readonly dir: string;
  readonly props: string;
  readonly key: string;
  readonly secret: Buffer;
}

/** A folder with a properties file (integrity on) and an HMAC key file of the given mode. */
function setup(t: ExecutionContext, mode: number, settings: Record<string, string> = {}, keyText?: (secret: Buffer) => string): Setup {
  const dir = tempDir(t, "slf4ts-keys-");
  const key = join(dir, "audit.key");
  const secret = randomBytes(32);
  writeFileSync(key, keyText?.(secret) ?? `secret=${secret.toString("hex")}\n`);
  chmodSync(key, mode);
  const props = join(dir, "audit.properties");
  const all = { enabled: "true", "file.location": "logs/audit.log", "integrity.mode": "hmac", "integrity.key": "audit.key", ...settings };
  writeProperties(props, all);
  return { dir, props, key, secret };
}

/** An HMAC key file with evolution whose epoch 0 began `epochsAgo` hours ago. */
function evolvingKey(epochsAgo: number): (secret: Buffer) => string {
  const start = Math.floor(Date.now() / 1000) * 1000 - Math.round((epochsAgo + 0.5) * HOUR * 1000);
  return (secret) => `secret=${secret.toString("hex")}\nstart=${new Date(start).toISOString()}\nseconds=${HOUR}\n`;
}

async function problems(props: string): Promise<string[]> {
  const audit = createAuditLogService();
  try {
    await audit.configure({ propertiesFile: props, watch: false });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.key?.slice(P.length)} = ${p.value}: ${p.expected}`);
  } finally {
    await audit.shutdown();
  }
}

async function logAndShutdown(props: string, count: number): Promise<void> {
  const audit = createAuditLogService();
  await audit.configure({ propertiesFile: props, watch: false });
  for (let i = 0; i < count; i++) audit.log("ox.login", { seq: i });
  await audit.shutdown();
}

/** Configures in a child process (a key path that could block it must not block the test). */
function configureInChild(props: string): { problems: string[] | undefined; events: Array<{ code: string; message: string }> } {
  const result = spawnSync(process.execPath, [configureChild, props], { encoding: "utf8", timeout: 30_000 });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`the child did not finish within 30 s or failed (${String(result.error ?? result.status)}; signal ${String(result.signal)}): ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as { problems: string[] | undefined; events: Array<{ code: string; message: string }> };
}

const unprivileged = ["--reuid=65534", "--regid=65534", "--clear-groups"];

test.serial("a key file its group or everyone can write is refused, naming the key, the path, the mode and what is expected", async (t) => {
  captureStatus(t);
  const s = setup(t, 0o666);
  t.deepEqual(await problems(s.props), [
    `integrity.key = audit.key: expected a key file only its owner can write (mode 0600 or 0400): the key file ${s.key} has mode 0666: its group and everyone can write it, and whoever can replace the key can forge checkpoints (chmod 600 ${s.key})`,
  ]);
  chmodSync(s.key, 0o620);
  t.deepEqual(await problems(s.props), [
    `integrity.key = audit.key: expected a key file only its owner can write (mode 0600 or 0400): the key file ${s.key} has mode 0620: its group can write it, and whoever can replace the key can forge checkpoints (chmod 600 ${s.key})`,
  ]);
  chmodSync(s.key, 0o602);
  t.regex((await problems(s.props))[0] ?? "", /has mode 0602: everyone can write it/);
  // Ed25519 private keys are secrets too.
  const pem = join(s.dir, "ed.pem");
  writeFileSync(pem, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
  chmodSync(pem, 0o666);
  writeFileSync(s.props, `${P}enabled=true\n${P}file.location=logs/audit.log\n${P}integrity.mode=ed25519\n${P}integrity.key=ed.pem\n`);
  t.regex((await problems(s.props))[0] ?? "", /^integrity\.key = ed\.pem: expected a key file only its owner can write .*has mode 0666/);
  chmodSync(pem, 0o600);
  t.deepEqual(await problems(s.props), []);
});

test.serial("a key file others can read is used, with a warning (INTEGRITY_KEY_READABLE) naming the path and the mode; 0600 and 0400 without", async (t) => {
  const events = captureStatus(t);
  const s = setup(t, 0o644);
  await logAndShutdown(s.props, 3);
  const warnings = events.filter((e) => e.code === "INTEGRITY_KEY_READABLE");
  t.is(warnings.length, 1);
  t.is(warnings[0]?.message, `the key file ${s.key} has mode 0644: users other than its owner can read the key (and everyone could forge checkpoints with it); chmod 600 ${s.key}`);
  t.false(events.some((e) => e.code === "INTEGRITY_FAILED"));
  t.true(readLines(join(s.dir, "logs", "audit.log")).some((l) => l.includes("slf4ts.audit.checkpoint")));
  for (const mode of [0o600, 0o400, 0o640]) {
    events.length = 0;
    chmodSync(s.key, mode);
    await logAndShutdown(s.props, 1);
    t.is(events.filter((e) => e.code === "INTEGRITY_KEY_READABLE").length, mode === 0o640 ? 1 : 0, mode.toString(8));
  }
});

test.serial("a symbolic link, a socket or a folder at the key path is a clear configuration error", async (t) => {
  captureStatus(t);
  const s = setup(t, 0o600);
  const real = join(s.dir, "real.key");
  writeFileSync(real, readFileSync(s.key), { mode: 0o600 });
  const link = join(s.dir, "link.key");
  symlinkSync(real, link);
  const write = (key: string): void => writeFileSync(s.props, `${P}enabled=true\n${P}file.location=logs/audit.log\n${P}integrity.mode=hmac\n${P}integrity.key=${key}\n`);
  write("link.key");
  t.deepEqual(await problems(s.props), [
    `integrity.key = link.key: expected a regular file: the key file ${link} is a symbolic link (whoever controls the link chooses the file read; name the file itself)`,
  ]);
  const socketPath = join(s.dir, "sock.key");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => server.close());
  write("sock.key");
  t.deepEqual(await problems(s.props), [`integrity.key = sock.key: expected a regular file: the key file ${socketPath} is a socket`]);
  mkdirSync(join(s.dir, "folder.key"));
  write("folder.key");
  t.deepEqual(await problems(s.props), [`integrity.key = folder.key: expected a regular file: the key file ${join(s.dir, "folder.key")} is a folder`]);
  write("real.key");
  t.deepEqual(await problems(s.props), []);
});

test.serial("a FIFO or a device at the key path is refused at once, never a hang (in a child process, bounded)", (t) => {
  requireRoot(t);
  const s = setup(t, 0o600);
  const fifo = join(s.dir, "fifo.key");
  execFileSync("mkfifo", ["-m", "600", fifo]);
  writeFileSync(s.props, `${P}enabled=true\n${P}file.location=logs/audit.log\n${P}integrity.mode=hmac\n${P}integrity.key=fifo.key\n`);
  t.deepEqual(configureInChild(s.props).problems, [`${P}integrity.key: expected a regular file: the key file ${fifo} is a FIFO (named pipe)`]);
  // /dev/zero's twin: an old reader would read forever.
  const device = join(s.dir, "zero.key");
  execFileSync("mknod", ["-m", "600", device, "c", "1", "5"]);
  writeFileSync(s.props, `${P}enabled=true\n${P}file.location=logs/audit.log\n${P}integrity.mode=ed25519\n${P}integrity.key=zero.key\n`);
  t.deepEqual(configureInChild(s.props).problems, [`${P}integrity.key: expected a regular file: the key file ${device} is a character device`]);
});

test.serial("key evolution: a symbolic link planted at the old predictable name does not receive the key, and evolution still works", async (t) => {
  captureStatus(t);
  const s = setup(t, 0o600, { "integrity.epoch": String(HOUR) }, evolvingKey(4));
  const victim = join(s.dir, "victim");
  writeFileSync(victim, "untouched\n", { mode: 0o644 });
  // The name the writer used to take: <key>.<pid>.tmp (ava's workers share the process id).
  symlinkSync(victim, `${s.key}.${process.pid}.tmp`);
  await logAndShutdown(s.props, 3);
  t.is(readFileSync(victim, "utf8"), "untouched\n");
  t.true(lstatSync(s.key).isFile(), "the key path is a regular file, not the planted link");
  t.is(statSync(s.key).mode & 0o777, 0o600);
  const key = parseHmacKeyFile(readFileSync(s.key, "utf8"));
  t.is(key.epoch, 4);
  // Nothing else was left beside it.
  t.deepEqual(readdirSync(s.dir).filter((n) => n.startsWith("audit.key")).sort(), ["audit.key", `audit.key.${process.pid}.tmp`]);
});

test.serial("key evolution: a link or file planted at every name the writer tries is never opened; it uses the next name, or fails clearly leaving the key as it was", (t) => {
  const dir = tempDir(t, "slf4ts-keys-");
  const path = join(dir, "audit.key");
  const secret = randomBytes(32);
  const before = `secret=${secret.toString("hex")}\n`;
  writeFileSync(path, before, { mode: 0o600 });
  const victims = [0, 1, 2].map((i) => {
    const victim = join(dir, `victim${i}`);
    writeFileSync(victim, "untouched\n");
    return victim;
  });
  const planted = [join(dir, "planted-0"), join(dir, "planted-1"), join(dir, "planted-2")];
  symlinkSync(victims[0] as string, planted[0] as string);
  symlinkSync(join(dir, "does-not-exist-yet"), planted[1] as string); // a dangling link: O_CREAT would create its target
  writeFileSync(planted[2] as string, "", { mode: 0o666 }); // a file the attacker can read back
  const key = { secret: randomBytes(32), start: undefined, seconds: undefined, epoch: 1 };

  // Every name taken: a clear error, and nothing written anywhere.
  let n = 0;
  const error = t.throws(() => writeHmacKeyFile(path, key, () => planted[n++ % planted.length] as string));
  t.regex(error?.message ?? "", /every one of 8 new names beside .*audit\.key was already taken/);
  t.is(readFileSync(path, "utf8"), before);
  for (const victim of victims) t.is(readFileSync(victim, "utf8"), "untouched\n");
  t.false(existsSync(join(dir, "does-not-exist-yet")));
  t.is(readFileSync(planted[2] as string, "utf8"), "");

  // The planted names first, then a free one: the key goes there, and only there.
  n = 0;
  const names = [...planted, join(dir, "free.tmp")];
  writeHmacKeyFile(path, key, () => names[n++] as string);
  t.is(parseHmacKeyFile(readFileSync(path, "utf8")).epoch, 1);
  t.is(statSync(path).mode & 0o777, 0o600);
  for (const victim of victims) t.is(readFileSync(victim, "utf8"), "untouched\n");
  t.false(existsSync(join(dir, "does-not-exist-yet")));
  t.is(readFileSync(planted[2] as string, "utf8"), "");
  t.false(existsSync(join(dir, "free.tmp")));

  // The default names are unpredictable: two writes never use the same name (none left behind).
  writeHmacKeyFile(path, { ...key, epoch: 2 });
  writeHmacKeyFile(path, { ...key, epoch: 3 });
  t.deepEqual(readdirSync(dir).filter((f) => f.startsWith("audit.key")), ["audit.key"]);
});

test.serial("key evolution: another user who plants a file at the writer's name in a folder it can write cannot read the evolved key (setpriv)", async (t) => {
  requireRoot(t);
  captureStatus(t);
  const s = setup(t, 0o600, { "integrity.epoch": String(HOUR) }, evolvingKey(2));
  chmodSync(s.dir, 0o777); // a folder the other user can write (not sticky)
  const planted = `${s.key}.${process.pid}.tmp`;
  // The attacker (nobody) prepares a file it owns, readable and writable by everyone.
  execFileSync("setpriv", [...unprivileged, "sh", "-c", 'umask 0; : > "$1"', "sh", planted]);
  t.is(statSync(planted).uid, 65534);
  await logAndShutdown(s.props, 3);
  t.is(parseHmacKeyFile(readFileSync(s.key, "utf8")).epoch, 2, "the key evolved");
  t.is(statSync(s.key).uid, 0, "the key file belongs to the logger's user");
  t.is(readFileSync(planted, "utf8"), "", "the planted file received nothing");
  const read = spawnSync("setpriv", [...unprivileged, "cat", s.key], { encoding: "utf8" });
  t.not(read.status, 0, `the other user read the evolved key: ${read.stdout}`);
  t.regex(read.stderr, /Permission denied/);
});
