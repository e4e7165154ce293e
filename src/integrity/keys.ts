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
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";

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
 * Replaces the key file with `key` (mode 0600): a new file is written, synced and renamed over
 * the old one (readers never see half a key), then the old file's bytes are overwritten with
 * zeros and synced, so the old key does not stay on the disk (on a plain file system; copy-on-
 * write file systems and snapshots may keep old blocks). Throws on failure.
 *
 * @example
 * ```ts
 * writeHmacKeyFile("/etc/app/audit.key", { ...key, secret: evolveSecret(key.secret), epoch: key.epoch + 1 });
 * ```
 */
export function writeHmacKeyFile(path: string, key: HmacKeyFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, formatHmacKeyFile(key));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  let old: number | undefined;
  try {
    old = openSync(path, "r+");
  } catch {
    old = undefined;
  }
  try {
    renameSync(tmp, path);
    if (old !== undefined) {
      const size = fstatSync(old).size;
      if (size > 0) writeSync(old, Buffer.alloc(size), 0, size, 0);
      fsyncSync(old);
    }
  } finally {
    if (old !== undefined) closeSync(old);
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
