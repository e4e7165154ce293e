/**
 * What `verify` reports: the kinds of findings (evidence of tampering or damage, exit code 1)
 * and warnings, a session's and a log's report, and the options of a verification.
 *
 * @module
 */
import type { KeyObject } from "node:crypto";
import type { HmacKeyFile } from "./keys.js";

/** Kinds of evidence of tampering or damage (exit code 1). */
export type FindingKind =
  | "modified"
  | "inserted"
  | "deleted"
  | "reordered"
  | "truncated"
  | "missing-archive"
  | "replaced-archive"
  | "bad-signature"
  | "epoch-out-of-time"
  | "time-out-of-order"
  | "spliced"
  | "unverified";

/** Kinds of warnings: what cannot be proven, but is no evidence of tampering. */
export type WarningKind = "unsealed" | "unchained" | "history-incomplete" | "older-version" | "recovered" | "interrupted" | "duplicate-archive";

/** One finding or warning. */
export interface Finding<K extends string = FindingKind | WarningKind> {
  readonly kind: K;
  /** The file (absolute path), when the finding is about a place. */
  readonly file: string | undefined;
  /** The 1-based line in `file`. */
  readonly line: number | undefined;
  /** The chain session concerned. */
  readonly session: string | undefined;
  /** The record number concerned. */
  readonly seq: number | undefined;
  /** What was found, for people. */
  readonly message: string;
}

/** One chain session as found in the files. */
export interface SessionReport {
  readonly id: string;
  /** The first and last record numbers present. */
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly records: number;
  readonly checkpoints: number;
  /** Checkpoints whose signature (and epoch time) checked out. */
  readonly verifiedCheckpoints: number;
  /** The last record number covered by a good checkpoint (-1: none). */
  readonly sealedThrough: number;
  /** The session this one resumed from (single process: the previous run). */
  readonly resumedFrom: string | undefined;
  /** How the session shared the log: `s` one process at a time, `m` several (`file.multiprocess`). */
  readonly mode: "s" | "m";
}

/** The result for one audit log. */
export interface LogReport {
  /** The active file's path. */
  readonly active: string;
  readonly files: ReadonlyArray<{ readonly path: string; readonly lines: number; readonly records: number; readonly checkpoints: number }>;
  readonly sessions: readonly SessionReport[];
  readonly findings: ReadonlyArray<Finding<FindingKind>>;
  readonly warnings: ReadonlyArray<Finding<WarningKind>>;
  /** Chained lines (records and checkpoints). */
  readonly records: number;
  readonly checkpoints: number;
  readonly verifiedCheckpoints: number;
  /** Lines without a chain field. */
  readonly unchained: number;
  /** The log's identity (chosen at its genesis and bound into every signed checkpoint), when a checkpoint of this format was found. */
  readonly logId: string | undefined;
}

/** The keys and settings a verification uses. */
export interface VerifyOptions {
  /** The HMAC key file: its initial copy when the key evolves. */
  readonly hmacKey?: HmacKeyFile | undefined;
  /** The Ed25519 public key. */
  readonly publicKey?: KeyObject | undefined;
  /** The epoch length when the HMAC key file does not say (`seconds=`). */
  readonly epochSeconds?: number | undefined;
  /** Check the chain only, not the signatures (anyone can recompute a chain: weak). */
  readonly chainOnly?: boolean | undefined;
  /** `file.count` of the logger: fewer archives with a chain that does not begin in the oldest one means archives were deleted. */
  readonly fileCount?: number | undefined;
  /**
   * `integrity.checkpoint.records` of the logger, used only for sessions whose checkpoints do not
   * say it (`records.max`, written by older versions): a `recovered` checkpoint sealing more
   * records than that is a finding (a closed session reopened).
   */
  readonly checkpointRecords?: number | undefined;
  /** The log's expected identity (kept elsewhere): a verified checkpoint of any other log is `spliced`. */
  readonly logId?: string | undefined;
  /** "Now" for checkpoints from the future (tests). */
  readonly now?: number | undefined;
  /** Called now and then during a long scan. */
  readonly onProgress?: ((file: string, lines: number) => void) | undefined;
}

