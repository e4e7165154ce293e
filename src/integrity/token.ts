/**
 * The chain field of a tamper-evident audit line, shared by the writer and `slf4ts-audit verify`.
 *
 * A sealed line is the record exactly as it would be written without integrity (its *body*),
 * then a TAB, `chain=` and a token without white space, then the line feed:
 *
 * ```
 * ox.login, login=thorben, ip=::1\tchain=2.Zk3q0mVh1sQa.41.q9Vb…(43)
 * slf4ts.audit.checkpoint, reason=records, …\tchain=2.Zk3q0mVh1sQa.42.Xr2…(43).hs256.-.1763710000123.records.q9VbX2Zk3q0mVh1s.s.Mf0…(43)
 * ```
 *
 * Record token: `2.<session>.<seq>.<prev>`. Checkpoint token:
 * `2.<session>.<seq>.<prev>.<alg>.<epoch>.<time>.<reason>.<log>.<mode>.<signature>` (`log`: the
 * log's identity, chosen at its genesis; `mode`: `s` or `m`). Tokens of the older format (`1.`,
 * checkpoints without `log` and `mode`) are still parsed. A record built by the
 * library never holds a raw TAB (it is escaped as `\t`), so the last `\tchain=` of a line
 * always starts the field, whatever the layout pattern put before the message.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** What separates the body of a line from its chain token. */
export const CHAIN_FIELD = "\tchain=";

/** The token format this library writes (version 2: checkpoints bind the log's identity and its writer mode). */
export const CHAIN_VERSION = "2";

/** The token format of earlier releases, still parsed so that `verify` can say which lines it is. */
export const LEGACY_CHAIN_VERSION = "1";

/** The `prev` of a session's first record when it resumes from nothing: 32 zero bytes, base64url. */
export const ZERO_HASH = "A".repeat(43);

/** The event id of checkpoint records. */
export const CHECKPOINT_EVENT_ID = "slf4ts.audit.checkpoint";

/** Checkpoint algorithms: HMAC-SHA256, Ed25519, or none (the key could not be read). */
export type CheckpointAlgorithm = "hs256" | "ed25519" | "none";

/** Why a checkpoint was written. */
export type CheckpointReason =
  | "genesis"
  | "start"
  | "resume"
  | "repaired"
  | "records"
  | "timer"
  | "epoch"
  | "rotation"
  | "reload"
  | "shutdown"
  | "exit"
  | "stop"
  | "integrity-off"
  /** Written by the next start in the chain of a session that ended without its closing checkpoint: seals its intact tail. */
  | "recovered";

const REASONS: ReadonlySet<string> = new Set<CheckpointReason>(["genesis", "start", "resume", "repaired", "records", "timer", "epoch", "rotation", "reload", "shutdown", "exit", "stop", "integrity-off", "recovered"]);

/** How the log's writers share it: `s` one process at a time, `m` several processes (`file.multiprocess`). */
export type WriterMode = "s" | "m";

/** A log identity: 16 base64url characters (96 random bits), chosen at the log's genesis. */
const LOG_ID = /^[A-Za-z0-9_-]{16}$/;

/** The checkpoint part of a token. */
export interface CheckpointFields {
  readonly alg: CheckpointAlgorithm;
  /** The key epoch, or `undefined` (`-`) when the key does not evolve. */
  readonly epoch: number | undefined;
  /** When the checkpoint was written, epoch milliseconds. */
  readonly time: number;
  readonly reason: CheckpointReason;
  /** base64url signature (`-` for `none`). */
  readonly signature: string;
  /** The log's identity (version 2; `undefined` in tokens of the older format). */
  readonly log?: string | undefined;
  /** How the log's writers share it (version 2). */
  readonly mode?: WriterMode | undefined;
}

/** A parsed chain token. */
export interface ChainToken {
  /** The token format: 2 (this version) or 1 (written by an older release). */
  readonly version: 1 | 2;
  /** The session (one writer process from its start; RFC 5848's RSID). */
  readonly session: string;
  /** The record's number within its session, from 0. */
  readonly seq: number;
  /** The chain hash of the session's previous record (or what the session resumed from). */
  readonly prev: string;
  /** Present on checkpoints. */
  readonly checkpoint: CheckpointFields | undefined;
}

const B64 = /^[A-Za-z0-9_-]+$/;
const HASH = /^[A-Za-z0-9_-]{43}$/;
const SEQ = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The chain hash of a line: SHA-256 over the UTF-8 bytes of `prev + "\n" + session + "\n" + seq + "\n" + body`,
 * base64url without padding (43 characters). `body` is the line before its `\tchain=` field.
 *
 * @example
 * ```ts
 * chainHash(ZERO_HASH, "Zk3q0mVh1sQa", 0, "slf4ts.audit.checkpoint, reason=start"); // 43 characters
 * ```
 */
export function chainHash(prev: string, session: string, seq: number, body: string): string {
  return createHash("sha256").update(`${prev}\n${session}\n${seq}\n`).update(body).digest("base64url");
}

/**
 * The exact bytes a checkpoint's signature (HMAC-SHA256 or Ed25519) covers: the UTF-8 of
 * `slf4ts-checkpoint-2\n<log>\n<mode>\n<session>\n<seq>\n<hash>\n<alg>\n<epoch or ->\n<time>\n<reason>`,
 * where `hash` is the checkpoint line's own chain hash (which covers its body and, through
 * `prev`, every record before it in the session, and for a session's first checkpoint the
 * checkpoint it links to). Without `log` (tokens of the older format) it is
 * `slf4ts-checkpoint-1\n<session>\n<seq>\n<hash>\n<alg>\n<epoch or ->\n<time>\n<reason>`.
 *
 * @example
 * ```ts
 * const message = signedMessage("Zk3q0mVh1sQa", 42, hash, "hs256", undefined, Date.now(), "records", "q9VbX2Zk3q0mVh1s", "s");
 * ```
 */
export function signedMessage(
  session: string,
  seq: number,
  hash: string,
  alg: CheckpointAlgorithm,
  epoch: number | undefined,
  time: number,
  reason: CheckpointReason,
  log?: string,
  mode?: WriterMode,
): Buffer {
  const tail = `${session}\n${seq}\n${hash}\n${alg}\n${epoch === undefined ? "-" : epoch}\n${time}\n${reason}`;
  return Buffer.from(log === undefined ? `slf4ts-checkpoint-1\n${tail}` : `slf4ts-checkpoint-2\n${log}\n${mode ?? "s"}\n${tail}`, "utf8");
}

/**
 * The token of a record.
 *
 * @example
 * ```ts
 * recordToken("Zk3q0mVh1sQa", 41, prev); // "2.Zk3q0mVh1sQa.41.<prev>"
 * ```
 */
export function recordToken(session: string, seq: number, prev: string): string {
  return `${CHAIN_VERSION}.${session}.${seq}.${prev}`;
}

/**
 * The token of a checkpoint.
 *
 * @example
 * ```ts
 * checkpointToken("Zk3q0mVh1sQa", 42, prev, { alg: "hs256", epoch: undefined, time: Date.now(), reason: "records", signature, log, mode: "s" });
 * ```
 */
export function checkpointToken(session: string, seq: number, prev: string, fields: CheckpointFields): string {
  const head = `${session}.${seq}.${prev}.${fields.alg}.${fields.epoch === undefined ? "-" : fields.epoch}.${fields.time}.${fields.reason}`;
  if (fields.log === undefined) return `${LEGACY_CHAIN_VERSION}.${head}.${fields.signature}`;
  return `${CHAIN_VERSION}.${head}.${fields.log}.${fields.mode ?? "s"}.${fields.signature}`;
}

/**
 * Parses a token (the text after `chain=`); `undefined` when it is not a well-formed one.
 *
 * @example
 * ```ts
 * parseChainToken("2.Zk3q0mVh1sQa.41." + "A".repeat(43))?.seq; // 41
 * ```
 */
export function parseChainToken(text: string): ChainToken | undefined {
  const parts = text.split(".");
  const version = parts[0] === CHAIN_VERSION ? 2 : parts[0] === LEGACY_CHAIN_VERSION ? 1 : 0;
  if (version === 0 || (parts.length !== 4 && parts.length !== (version === 2 ? 11 : 9))) return undefined;
  const [, session, seqText, prev] = parts as [string, string, string, string];
  if (!B64.test(session) || session.length > 64 || !SEQ.test(seqText) || !HASH.test(prev)) return undefined;
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq)) return undefined;
  if (parts.length === 4) return { version, session, seq, prev, checkpoint: undefined };
  const [alg, epochText, timeText, reason] = parts.slice(4) as [string, string, string, string];
  const signature = parts[parts.length - 1] as string;
  let log: string | undefined;
  let mode: WriterMode | undefined;
  if (version === 2) {
    log = parts[8] as string;
    const modeText = parts[9];
    if (!LOG_ID.test(log) || (modeText !== "s" && modeText !== "m")) return undefined;
    mode = modeText;
  }
  if (alg !== "hs256" && alg !== "ed25519" && alg !== "none") return undefined;
  if (epochText !== "-" && !SEQ.test(epochText)) return undefined;
  if (!SEQ.test(timeText) || !REASONS.has(reason)) return undefined;
  if (alg === "none" ? signature !== "-" : !B64.test(signature)) return undefined;
  return {
    version,
    session,
    seq,
    prev,
    checkpoint: { alg, epoch: epochText === "-" ? undefined : Number(epochText), time: Number(timeText), reason: reason as CheckpointReason, signature, log, mode },
  };
}

/** A line split into its body and chain token. */
export interface SplitLine {
  /** The line before the chain field (the whole line when it has none). */
  readonly body: string;
  /** The text after `chain=`, or `undefined` when the line has no chain field. */
  readonly token: string | undefined;
}

/**
 * Splits a line (without its line break) at its last `\tchain=` (`query` strips `/\tchain=\S*$/`).
 *
 * @example
 * ```ts
 * splitChainField("ox.login, login=ann\tchain=2.x.0." + "A".repeat(43)).body; // "ox.login, login=ann"
 * ```
 */
export function splitChainField(line: string): SplitLine {
  // Cheap test first: most lines of a log without integrity have no TAB at all.
  const at = line.lastIndexOf(CHAIN_FIELD);
  if (at < 0) return { body: line, token: undefined };
  // A damaged token (white space in it, cut short) is still returned: the verifier reports it.
  return { body: line.slice(0, at), token: line.slice(at + CHAIN_FIELD.length) };
}

/** The `records.max=<n>` attribute of a checkpoint's body. */
const RECORDS_MAX = /(?:^|[^A-Za-z0-9_.])records\.max=([0-9]{1,9})(?![0-9])/;

/**
 * The `integrity.checkpoint.records` setting a checkpoint says its session wrote under (its
 * `records.max` attribute, covered by the checkpoint's hash and so by its signature), or
 * `undefined` when its body has none (written by an older version, or a layout that drops it).
 * A session killed after this checkpoint can have left at most that many records unsealed.
 *
 * @example
 * ```ts
 * checkpointRecordsMax("slf4ts.audit.checkpoint, reason=records, records=10, records.max=10, alg=hs256"); // 10
 * ```
 */
export function checkpointRecordsMax(body: string): number | undefined {
  const match = RECORDS_MAX.exec(body);
  return match === null ? undefined : Number(match[1]);
}

/**
 * The `repaired.bytes` of a `repaired` checkpoint (how many bytes of the last line the restart
 * found cut short, covered by the checkpoint's signature), or `undefined` when its body has none.
 *
 * @example
 * ```ts
 * checkpointRepairedBytes("slf4ts.audit.checkpoint, reason=repaired, repaired.bytes=278, alg=hs256"); // 278
 * ```
 */
export function checkpointRepairedBytes(body: string): number | undefined {
  const match = /(?:^|[^A-Za-z0-9_.])repaired\.bytes=([0-9]{1,12})(?![0-9])/.exec(body);
  return match === null ? undefined : Number(match[1]);
}
