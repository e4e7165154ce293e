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
import { evolveSecret, MAX_EPOCH, type HmacKeyFile } from "./keys.js";
import type { Finding, FindingKind, WarningKind } from "./findings.js";

/** Derives evolved HMAC keys from the verifier's copy, remembering the last one. */
export class HmacKeyring {
  private epoch: number;
  private secret: Buffer;
  constructor(private readonly base: HmacKeyFile) {
    this.epoch = base.epoch;
    this.secret = base.secret;
  }
  /** The key of an epoch (`undefined`: no evolution), or why there is none. */
  keyFor(epoch: number | undefined): Buffer | string {
    if (epoch === undefined) return this.base.secret;
    if (epoch < this.base.epoch) return `the key given is of epoch ${this.base.epoch}, later than this checkpoint's epoch ${epoch} (give the initial key file)`;
    if (epoch > MAX_EPOCH) return `epoch ${epoch} is out of range`;
    if (epoch < this.epoch) {
      this.epoch = this.base.epoch;
      this.secret = this.base.secret;
    }
    while (this.epoch < epoch) {
      this.secret = evolveSecret(this.secret);
      this.epoch++;
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

