/**
 * How checkpoints are signed and checked by the writer: HMAC-SHA256 with a key that may evolve
 * by epochs (forward security), Ed25519, or nothing (a chain without a key file).
 *
 * @module
 */
import { createHmac, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import { Level } from "../facade/level.js";
import { StatusChannel } from "../status/status.js";
import { epochAt, evolveSecret, formatMode, hmacKeyFromSecretFile, MAX_EPOCH, readSecretFile, writeHmacKeyFile, type SecretFile } from "./keys.js";
import type { CheckpointAlgorithm } from "./token.js";


/** Signs checkpoints, and evolves its key when it has epochs. */
export interface Signer {
  readonly alg: CheckpointAlgorithm;
  /** The epoch label of a checkpoint now, or `undefined` when the key does not evolve. */
  readonly epoch: number | undefined;
  /** When the current epoch ends (`Infinity` without evolution). */
  readonly epochEndsAt: number;
  /** Evolves the key to the epoch of `now` (erasing the old key). */
  evolveTo(now: number): void;
  sign(message: Buffer): string;
  /** Checks a signature made with this key: `undefined` when it cannot (another algorithm, or an older epoch whose key is gone). */
  check(message: Buffer, signature: string, alg: CheckpointAlgorithm, epoch: number | undefined): boolean | undefined;
  /** Erases the key from memory. */
  close(): void;
}

export class HmacSigner implements Signer {
  readonly alg = "hs256";
  private secret: Buffer;
  private current: number;
  private readonly start: number | undefined;
  private readonly recordedSeconds: number | undefined;

  constructor(
    private readonly path: string,
    private readonly seconds: number,
    now: number,
  ) {
    const key = hmacKeyFromSecretFile(path, readKeyFile(path));
    this.secret = key.secret;
    this.current = key.epoch;
    this.start = key.start;
    this.recordedSeconds = key.seconds;
    if (seconds > 0 && this.start === undefined) {
      this.secret.fill(0);
      throw new Error(`the key file ${path} has no start= line, which key evolution needs`);
    }
    if (seconds > 0) {
      this.evolveTo(now);
      // The first use records the epoch length, so that the verifier's copy can say it too.
      if (this.recordedSeconds === undefined) this.save();
    }
  }

  get epoch(): number | undefined {
    return this.seconds > 0 ? this.current : undefined;
  }

  get epochEndsAt(): number {
    return this.seconds > 0 ? (this.start as number) + (this.current + 1) * this.seconds * 1000 : Infinity;
  }

  evolveTo(now: number): void {
    if (this.seconds === 0) return;
    const target = Math.min(epochAt(this.start as number, this.seconds, now), MAX_EPOCH);
    if (target <= this.current) return;
    let secret = this.secret;
    for (let i = this.current; i < target; i++) {
      const next = evolveSecret(secret);
      secret.fill(0);
      secret = next;
    }
    this.secret = secret;
    this.current = target;
    this.save();
  }

  private save(): void {
    try {
      writeHmacKeyFile(this.path, { secret: this.secret, start: this.start, seconds: this.seconds, epoch: this.current });
    } catch (error) {
      // The key still evolves in memory; a restart would derive forward from the older file.
      StatusChannel.report(
        "INTEGRITY_FAILED",
        Level.ERROR,
        `could not save the evolved key (epoch ${this.current}) to ${this.path} (${error instanceof Error ? error.message : String(error)}): the older key stays on the disk`,
      );
    }
  }

  sign(message: Buffer): string {
    return createHmac("sha256", this.secret).update(message).digest("base64url");
  }

  check(message: Buffer, signature: string, alg: CheckpointAlgorithm, epoch: number | undefined): boolean | undefined {
    // A checkpoint of the other algorithm is not one this key could have signed: it is no link
    // (treating it as "cannot check" made the logger a signing oracle for forged records).
    if (alg !== "hs256") return false;
    if (epoch !== this.epoch) return undefined;
    const expected = createHmac("sha256", this.secret).update(message).digest();
    const given = Buffer.from(signature, "base64url");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  close(): void {
    this.secret.fill(0);
  }
}

/** Reads a key file as a secret (see `readSecretFile`), warning when others can read it. */
export function readKeyFile(path: string): SecretFile {
  const file = readSecretFile(path);
  if (file.readableByOthers) {
    StatusChannel.report(
      "INTEGRITY_KEY_READABLE",
      Level.WARN,
      `the key file ${path} has mode ${formatMode(file.mode)}: users other than its owner can read the key (and ${file.mode & 0o004 ? "everyone" : "its group"} could forge checkpoints with it); chmod 600 ${path}`,
    );
  }
  return file;
}

export class Ed25519Signer implements Signer {
  readonly alg = "ed25519";
  readonly epoch = undefined;
  readonly epochEndsAt = Infinity;
  private readonly publicKey: KeyObject;
  constructor(private readonly key: KeyObject) {
    this.publicKey = createPublicKey(key);
  }
  evolveTo(): void {
    // Ed25519 keys do not evolve (documented): the verifier holds only the public key.
  }
  sign(message: Buffer): string {
    return sign(null, message, this.key).toString("base64url");
  }
  check(message: Buffer, signature: string, alg: CheckpointAlgorithm): boolean | undefined {
    if (alg !== "ed25519") return false;
    try {
      return verify(null, message, this.publicKey, Buffer.from(signature, "base64url"));
    } catch {
      return false;
    }
  }
  close(): void {
    // A KeyObject cannot be wiped; it is dropped with the chain.
  }
}

/** Used when the key cannot be read: the chain goes on, checkpoints say they are not signed. */
export const UNSIGNED: Signer = {
  alg: "none",
  epoch: undefined,
  epochEndsAt: Infinity,
  evolveTo: () => undefined,
  sign: () => "-",
  check: () => undefined,
  close: () => undefined,
};

