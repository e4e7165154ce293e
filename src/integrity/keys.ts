/**
 * Checkpoint keys: the HMAC key file (with optional one-way evolution per epoch, as journald's
 * forward-secure sealing) and Ed25519 key pairs.
 *
 * HMAC key file (UTF-8 text; `#` starts a comment):
 *
 * ```
 * secret=<at least 64 hex digits (32 bytes)>
 * start=2026-11-21T00:00:00Z      # beginning of epoch 0 (needed for key evolution)
 * seconds=3600                    # epoch length (written by the logger if absent)
 * epoch=0                         # the epoch this secret belongs to (written by the logger)
 * ```
 *
 * A file holding nothing but the hex secret (`openssl rand -hex 32 > audit.key`) is accepted
 * too. With evolution the key of epoch i+1 is SHA-256 of the key of epoch i; the logger
 * overwrites the file with the evolved key and erases the old one, so a key stolen in epoch j
 * cannot produce checkpoints that verify for an earlier epoch.
 *
 * The logger reads its key files as secrets ({@link readSecretFile}): never through a symbolic
 * link, never from anything but a regular file (a FIFO would block the process), never when
 * users other than the owner can write them. The verifier's own copy (`slf4ts-audit verify
 * --key`) is read plainly, so that `--key <(pass show audit-key)` works.
 *
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { describeKind, describeType } from "../output/file-lock.js";
import { NotRegularFileError, openRegularFile, type OpenedFile } from "../logfile/read.js";

/** The contents of an HMAC key file. */
export interface HmacKeyFile {
  /** The secret of epoch {@link HmacKeyFile.epoch}. */
  readonly secret: Buffer;
  /** Beginning of epoch 0 (epoch milliseconds), or `undefined` when the file does not say. */
  readonly start: number | undefined;
  /** Epoch length in seconds, or `undefined` when the file does not say. */
  readonly seconds: number | undefined;
  /** The epoch the secret belongs to (0 when the file does not say). */
  readonly epoch: number;
}

/** The longest derivation the verifier and the logger accept (about 114 years of hourly epochs). */
export const MAX_EPOCH = 1_000_000;

/**
 * Parses the text of an HMAC key file. Throws an `Error` whose message says what is wrong
 * (never the secret).
 *
 * @example
 * ```ts
 * parseHmacKeyFile("secret=" + "ab".repeat(32) + "\nstart=2026-01-01T00:00:00Z\n").start; // 1767225600000
 * ```
 */
export function parseHmacKeyFile(text: string): HmacKeyFile {
  const lines = text.split(/\r?\n/);
  const values = new Map<string, { value: string; line: number }>();
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq < 0) {
      if (/^[0-9a-fA-F]+$/.test(line) && !values.has("secret")) {
        values.set("secret", { value: line, line: i + 1 });
        return;
      }
      throw new Error(`line ${i + 1}: expected name=value (secret, start, seconds, epoch) or a hex secret`);
    }
    const name = line.slice(0, eq).trim();
    if (!["secret", "start", "seconds", "epoch"].includes(name)) throw new Error(`line ${i + 1}: unknown name "${name.slice(0, 40)}"; expected secret, start, seconds or epoch`);
    if (values.has(name)) throw new Error(`line ${i + 1}: ${name} is given twice`);
    values.set(name, { value: line.slice(eq + 1).trim(), line: i + 1 });
  });
  const secret = values.get("secret");
  if (secret === undefined) throw new Error("no secret: expected a line secret=<at least 64 hex digits>");
  if (!/^(?:[0-9a-fA-F]{2}){32,}$/.test(secret.value)) throw new Error(`line ${secret.line}: the secret must be at least 64 hex digits (32 bytes), an even number of them`);
  let start: number | undefined;
  const startText = values.get("start");
  if (startText !== undefined) {
    start = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(startText.value) ? Date.parse(startText.value) : NaN;
    if (Number.isNaN(start)) throw new Error(`line ${startText.line}: start must be an ISO-8601 time with its zone, e.g. 2026-11-21T00:00:00Z`);
  }
  let seconds: number | undefined;
  const secondsText = values.get("seconds");
  if (secondsText !== undefined) {
    seconds = /^[0-9]{1,8}$/.test(secondsText.value) ? Number(secondsText.value) : NaN;
    if (!(seconds >= 1 && seconds <= 31_536_000)) throw new Error(`line ${secondsText.line}: seconds must be a whole number from 1 to 31536000`);
  }
  let epoch = 0;
  const epochText = values.get("epoch");
  if (epochText !== undefined) {
    epoch = /^[0-9]{1,7}$/.test(epochText.value) ? Number(epochText.value) : NaN;
    if (!(epoch >= 0 && epoch <= MAX_EPOCH)) throw new Error(`line ${epochText.line}: epoch must be a whole number from 0 to ${MAX_EPOCH}`);
  }
  return { secret: Buffer.from(secret.value, "hex"), start, seconds, epoch };
}

/**
 * The text of an HMAC key file.
 *
 * @example
 * ```ts
 * formatHmacKeyFile({ secret, start: Date.parse("2026-01-01T00:00:00Z"), seconds: 3600, epoch: 5 });
 * ```
 */
export function formatHmacKeyFile(key: HmacKeyFile): string {
  let text = "# slf4ts audit HMAC key (integrity.key). The logger evolves it one way every epoch and erases\n# the old key: keep a copy of the initial file off this host for slf4ts-audit verify --key.\n";
  text += `secret=${key.secret.toString("hex")}\n`;
  if (key.start !== undefined) text += `start=${new Date(key.start).toISOString()}\n`;
  if (key.seconds !== undefined) text += `seconds=${key.seconds}\n`;
  text += `epoch=${key.epoch}\n`;
  return text;
}

/**
 * One step of key evolution: `k(i+1) = SHA-256(k(i))`.
 *
 * @example
 * ```ts
 * const next = evolveSecret(secret);
 * ```
 */
export function evolveSecret(secret: Buffer): Buffer {
  return createHash("sha256").update(secret).digest();
}

/**
 * The epoch a time falls into (0 before `start`).
 *
 * @example
 * ```ts
 * epochAt(Date.parse("2026-01-01T00:00:00Z"), 3600, Date.parse("2026-01-01T05:30:00Z")); // 5
 * ```
 */
export function epochAt(start: number, seconds: number, time: number): number {
  return time < start ? 0 : Math.floor((time - start) / (seconds * 1000));
}

/**
 * The time window of an epoch: `[from, to)` in epoch milliseconds.
 *
 * @example
 * ```ts
 * epochWindow(0, 60, 2); // [120000, 180000]
 * ```
 */
export function epochWindow(start: number, seconds: number, epoch: number): readonly [number, number] {
  return [start + epoch * seconds * 1000, start + (epoch + 1) * seconds * 1000];
}

/** The largest key file read (a key is a few hundred bytes; this stops a mistaken path early). */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * A key file that cannot be used as a secret: `problem` says what was found, `expected` what a
 * key file must be, so that a configuration error can name both.
 */
export class KeyFileError extends Error {
  /** Creates the error; its message is `<problem>; expected <expected>`. */
  constructor(
    /** What was found, naming the path (and the mode, for permissions). */
    readonly problem: string,
    /** What a key file must be. */
    readonly expected: string,
    /** The error code of the failed system call, when one failed. */
    readonly code?: string,
  ) {
    super(`${problem}; expected ${expected}`);
    this.name = "KeyFileError";
  }
}

/** A key file read as a secret. */
export interface SecretFile {
  /** The whole content. */
  readonly bytes: Buffer;
  /** The permission bits (`0o600`, `0o644`, …). */
  readonly mode: number;
  /** Whether users other than the owner (its group or anyone) can read it: worth a warning. */
  readonly readableByOthers: boolean;
}

/** The mode as `ls` users write it: `0644`. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}

const REGULAR = "a regular file";

/**
 * Reads a key file as a secret: opened by `openRegularFile` with `O_NOCTTY` (a symbolic link at the
 * path is refused, and a FIFO or device never blocks), checked with `fstat` on the opened file
 * (a regular file, at most {@link MAX_KEY_FILE_BYTES}), and refused when its group or others can
 * write it (whoever can replace the key can forge checkpoints; group write is refused too, as
 * OpenSSH does for its keys). Throws a {@link KeyFileError} for a file that must not be used,
 * an `Error` (with `code`) for one that cannot be read.
 *
 * @example
 * ```ts
 * const { bytes, readableByOthers } = readSecretFile("/etc/app/audit.key");
 * ```
 */
export function readSecretFile(path: string): SecretFile {
  let opened: OpenedFile;
  try {
    opened = openRegularFile(path, undefined, constants.O_NOCTTY);
  } catch (error) {
    if (error instanceof NotRegularFileError && error.code === "ENOTREG") throw new KeyFileError(`the key file ${path} is ${describeKind(error.kind)}`, REGULAR);
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (code === "ELOOP" || code === "ENXIO" || code === "EMLINK") {
      let kind = "not a regular file";
      try {
        kind = describeType(lstatSync(path));
      } catch {
        // Gone meanwhile: say what open said.
      }
      const why = kind === "a symbolic link" ? " (whoever controls the link chooses the file read; name the file itself)" : "";
      throw new KeyFileError(`the key file ${path} is ${kind}${why}`, REGULAR, code);
    }
    throw Object.assign(new Error(`cannot read the key file ${path} (${code})`), { code });
  }
  const fd = opened.fd;
  try {
    const stats = opened;
    const mode = stats.mode & 0o7777;
    if ((mode & 0o022) !== 0) {
      const who = (mode & 0o022) === 0o022 ? "its group and everyone" : (mode & 0o020) !== 0 ? "its group" : "everyone";
      throw new KeyFileError(
        `the key file ${path} has mode ${formatMode(mode)}: ${who} can write it, and whoever can replace the key can forge checkpoints (chmod 600 ${path})`,
        "a key file only its owner can write (mode 0600 or 0400)",
      );
    }
    if (stats.size > MAX_KEY_FILE_BYTES) throw new KeyFileError(`the key file ${path} has ${stats.size} bytes`, `a key file of at most ${MAX_KEY_FILE_BYTES} bytes`);
    const bytes = Buffer.alloc(stats.size);
    let length = 0;
    while (length < bytes.length) {
      const n = readSync(fd, bytes, length, bytes.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return { bytes: bytes.subarray(0, length), mode, readableByOthers: (mode & 0o044) !== 0 };
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw Object.assign(new Error(`cannot read the key file ${path} (${code})`), { code });
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses the bytes of an HMAC key file read by {@link readSecretFile}; throws an `Error` naming
 * the file (never the secret). The bytes are wiped.
 *
 * @example
 * ```ts
 * const key = hmacKeyFromSecretFile("/etc/app/audit.key", readSecretFile("/etc/app/audit.key"));
 * ```
 */
export function hmacKeyFromSecretFile(path: string, file: SecretFile): HmacKeyFile {
  const text = file.bytes.toString("utf8");
  file.bytes.fill(0);
  try {
    return parseHmacKeyFile(text);
  } catch (error) {
    throw new Error(`the key file ${path} is not an HMAC key file: ${(error as Error).message}`);
  }
}

/**
 * Parses the bytes of an Ed25519 private key read by {@link readSecretFile}; throws an `Error`
 * naming the file. The bytes are wiped.
 *
 * @example
 * ```ts
 * const key = ed25519KeyFromSecretFile(path, readSecretFile(path));
 * ```
 */
export function ed25519KeyFromSecretFile(path: string, file: SecretFile): KeyObject {
  try {
    return ed25519PrivateKey(path, file.bytes);
  } finally {
    file.bytes.fill(0);
  }
}

/**
 * Reads and parses an HMAC key file; throws an `Error` naming the file.
 *
 * @example
 * ```ts
 * const key = readHmacKeyFile("/etc/app/audit.key");
 * console.log(key.epoch, key.start);
 * ```
 */
export function readHmacKeyFile(path: string): HmacKeyFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read the key file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return parseHmacKeyFile(text);
  } catch (error) {
    throw new Error(`the key file ${path} is not an HMAC key file: ${(error as Error).message}`);
  }
}

/**
 * The name of a new key file beside `path`: unpredictable (96 random bits), so that nobody can
 * plant a link or a file under it beforehand.
 */
export function keyTempName(path: string): string {
  return `${path}.${randomBytes(12).toString("hex")}.tmp`;
}

/** How many names {@link writeHmacKeyFile} tries before it gives up (each taken name is EEXIST). */
const NAME_ATTEMPTS = 8;

/**
 * Replaces the key file with `key`. A new file is created exclusively under an unpredictable
 * name (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600: a link or file planted under the name is
 * never opened, another name is tried), written, synced and renamed over the old one (readers
 * never see half a key), and the folder is synced. Then the old file's bytes are overwritten
 * with zeros and synced, so the old key does not stay on the disk (on a plain file system;
 * copy-on-write file systems and snapshots may keep old blocks); the old file is opened with
 * `O_NOFOLLOW` before the rename and wiped only if it is a regular file. Throws on failure (the
 * old key file is then unchanged, and no new file is left behind).
 *
 * `tempName` is for tests (attacks on the names); the default is {@link keyTempName}.
 *
 * @example
 * ```ts
 * writeHmacKeyFile("/etc/app/audit.key", { ...key, secret: evolveSecret(key.secret), epoch: key.epoch + 1 });
 * ```
 */
export function writeHmacKeyFile(path: string, key: HmacKeyFile, tempName: (path: string) => string = keyTempName): void {
  let tmp: string | undefined;
  let fd: number | undefined;
  for (let attempt = 0; attempt < NAME_ATTEMPTS && fd === undefined; attempt++) {
    tmp = tempName(path);
    try {
      fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  if (fd === undefined || tmp === undefined) {
    throw Object.assign(new Error(`every one of ${NAME_ATTEMPTS} new names beside ${path} was already taken (something plants files there)`), { code: "EEXIST" });
  }
  const created = tmp;
  let old: number | undefined;
  try {
    try {
      const text = Buffer.from(formatHmacKeyFile(key));
      let done = 0;
      while (done < text.length) done += writeSync(fd, text, done, text.length - done);
      text.fill(0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      old = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
      if (!fstatSync(old).isFile()) {
        closeSync(old);
        old = undefined;
      }
    } catch {
      if (old !== undefined) closeSync(old);
      old = undefined;
    }
    renameSync(created, path);
  } catch (error) {
    if (old !== undefined) closeSync(old);
    try {
      unlinkSync(created);
    } catch {
      // Already gone.
    }
    throw error;
  }
  try {
    // Best effort (some file systems refuse to sync a folder): the new key is in place either
    // way, and the old one must be wiped all the same.
    try {
      syncFolder(dirname(path));
    } catch {
      // The rename is durable at the next sync of the file system.
    }
    if (old !== undefined) {
      const size = fstatSync(old).size;
      if (size > 0) writeSync(old, Buffer.alloc(size), 0, size, 0);
      fsyncSync(old);
    }
  } finally {
    if (old !== undefined) closeSync(old);
  }
}

/** Syncs a folder, so that a rename in it survives a crash of the machine. */
function syncFolder(folder: string): void {
  const fd = openSync(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads an Ed25519 private key (PEM, PKCS#8 as `openssl genpkey -algorithm ed25519` writes it).
 * Throws an `Error` naming the file.
 *
 * @example
 * ```ts
 * const key = readEd25519PrivateKey("/etc/app/audit-ed25519.pem");
 * ```
 */
export function readEd25519PrivateKey(path: string): KeyObject {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the key file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return ed25519PrivateKey(path, pem);
}

function ed25519PrivateKey(path: string, pem: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`the key file ${path} is not a private key in PEM format (openssl genpkey -algorithm ed25519 writes one)`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`the key file ${path} holds a ${key.asymmetricKeyType ?? "unknown"} key, not an Ed25519 one`);
  return key;
}

/**
 * Reads an Ed25519 public key (PEM, as `openssl pkey -pubout` writes it). Throws an `Error`
 * naming the file.
 *
 * @example
 * ```ts
 * const key = readEd25519PublicKey("audit-ed25519.pub.pem");
 * ```
 */
export function readEd25519PublicKey(path: string): KeyObject {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the public key ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error(`${path} is not a public key in PEM format (openssl pkey -in private.pem -pubout writes one)`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${path} holds a ${key.asymmetricKeyType ?? "unknown"} key, not an Ed25519 one`);
  return key;
}
