/**
 * The verifier's helpers around the scan itself: which files of a log are read (an archive kept
 * both plain and compressed is read once, or is a finding), and the evolved HMAC keys of a
 * checkpoint's epoch.
 *
 * @module
 */
import { basename } from "node:path";
import type { AuditFile } from "../logfile/files.js";
import { DEFAULT_READ_LIMITS, ReadLimitError } from "../logfile/read.js";
import { compareTwins } from "../logfile/twins.js";
import { epochAt, evolveSecret, MAX_EPOCH, type HmacKeyFile } from "./keys.js";
import type { Finding, FindingKind, WarningKind } from "./findings.js";

/** A checkpoint more than this far in the future is reported (clock skew allowed). */
export const FUTURE_SLACK_MS = 5 * 60 * 1000;

/** Every this many epochs the keyring keeps the derived key, so that an earlier epoch costs at most this many hashes. */
const KEYRING_STRIDE = 64;

/** When the keyring's epochs may end: the verifier's clock and the slack it allows for future times. */
export interface KeyringBounds {
  /** The verifier's time (epoch milliseconds). */
  readonly now: number;
  /** How far in the future a checkpoint's time may be (clock skew). */
  readonly slackMs: number;
  /** The epoch length when the key file has no `seconds=` (`--epoch-seconds`). */
  readonly seconds?: number | undefined;
}

/**
 * Derives evolved HMAC keys from the verifier's copy. Forged checkpoints choose the epoch they
 * claim, so the work is bounded: an epoch that has not begun yet (after `now` plus the slack,
 * by the key file's `start=` and `seconds=`) is refused without hashing, and every
 * {@link KEYRING_STRIDE}th derived key is kept, so that no epoch is derived twice from far
 * away (alternating high epochs once cost up to {@link MAX_EPOCH} hashes per line).
 */
export class HmacKeyring {
  /** The keys of epochs `base.epoch + i * KEYRING_STRIDE`, as far as derived. */
  private readonly kept: Buffer[];
  private epoch: number;
  private secret: Buffer;
  /** The last epoch that may be claimed (its time has begun, with the slack). */
  private readonly maxEpoch: number;
  constructor(
    private readonly base: HmacKeyFile,
    bounds?: KeyringBounds,
  ) {
    this.epoch = base.epoch;
    this.secret = base.secret;
    this.kept = [base.secret];
    const seconds = base.seconds ?? bounds?.seconds;
    this.maxEpoch = base.start === undefined || seconds === undefined || bounds === undefined ? MAX_EPOCH : Math.min(MAX_EPOCH, epochAt(base.start, seconds, bounds.now + bounds.slackMs));
  }
  /** The key of an epoch (`undefined`: no evolution), or why there is none. */
  keyFor(epoch: number | undefined): Buffer | string {
    if (epoch === undefined) return this.base.secret;
    if (epoch < this.base.epoch) return `the key given is of epoch ${this.base.epoch}, later than this checkpoint's epoch ${epoch} (give the initial key file)`;
    if (epoch > MAX_EPOCH) return `epoch ${epoch} is out of range`;
    if (epoch > this.maxEpoch) return `it claims key epoch ${epoch}, which has not begun yet (the key file's start= and seconds= put now, with the allowed clock skew, in epoch ${this.maxEpoch}): a forged checkpoint, or the verifier's clock is wrong`;
    if (epoch < this.epoch || epoch - this.epoch > KEYRING_STRIDE) {
      // Start from the nearest kept key at or below it.
      const index = Math.min(Math.floor((epoch - this.base.epoch) / KEYRING_STRIDE), this.kept.length - 1);
      this.epoch = this.base.epoch + index * KEYRING_STRIDE;
      this.secret = this.kept[index] as Buffer;
    }
    while (this.epoch < epoch) {
      this.secret = evolveSecret(this.secret);
      this.epoch++;
      if ((this.epoch - this.base.epoch) % KEYRING_STRIDE === 0 && (this.epoch - this.base.epoch) / KEYRING_STRIDE === this.kept.length) this.kept.push(this.secret);
    }
    return this.secret;
  }
}

/**
 * An archive present both plain and compressed (`audit.log.3` and `audit.log.3.gz`: a crash
 * between the compressed copy's rename and the plain file's unlink, until the writer's next
 * start removes one) is read once when the `.gz` decompresses to the very bytes of the plain
 * one (a warning); when they differ, or the `.gz` does not decompress, it is a finding and only
 * the compressed one is read (see `compareTwins`). Larger than `maxGunzipBytes`: not compared,
 * a {@link ReadLimitError}.
 */
export async function resolveTwins(files: readonly AuditFile[], findings: Array<Finding<FindingKind>>, warnings: Array<Finding<WarningKind>>): Promise<AuditFile[]> {
  const kept: AuditFile[] = [];
  for (const file of files) {
    const twin = file.index === 0 ? undefined : files.find((f) => f !== file && f.index === file.index);
    if (twin === undefined || file.compressed) {
      kept.push(file);
      continue;
    }
    // `file` is the plain one, `twin` the compressed one; compared within the bound of decompressing.
    const maxBytes = (twin.limits ?? DEFAULT_READ_LIMITS).maxGunzipBytes;
    const verdict = compareTwins(file.path, twin.path, maxBytes);
    if (verdict === "too-large") {
      throw new ReadLimitError(twin.path, undefined, `${basename(file.path)} and ${basename(twin.path)} are the same archive, too large to compare (more than ${maxBytes} bytes; --max-gunzip-bytes)`);
    }
    if (verdict === "same") {
      warnings.push({ kind: "duplicate-archive", file: file.path, line: undefined, session: undefined, seq: undefined, message: `${basename(file.path)} and ${basename(twin.path)} hold the same lines (a crash while the archive was compressed; the logger's next start removes the plain copy): read once` });
    } else {
      findings.push({ kind: "replaced-archive", file: file.path, line: undefined, session: undefined, seq: undefined, message: `${basename(file.path)} and ${basename(twin.path)} are the same archive, but hold different lines: one of them was changed or replaced (only ${basename(twin.path)} was checked)` });
    }
  }
  return kept;
}

