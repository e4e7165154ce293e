/**
 * The tamper-evidence settings as the chain sealer consumes them; `config/` builds them from the
 * `integrity.*` keys.
 *
 * @module
 */

/** The tamper-evidence settings (present when `integrity.mode` is not off). */
export interface IntegritySettings {
  /** How checkpoints are authenticated. */
  readonly mode: "hmac" | "ed25519";
  /** Absolute path of the key file. */
  readonly keyPath: string;
  /** A checkpoint after this many records. */
  readonly checkpointRecords: number;
  /** A checkpoint at most this many seconds after an unsealed record (0: no timer). */
  readonly checkpointSeconds: number;
  /** Epoch length of key evolution in seconds (0: the key does not evolve). */
  readonly epochSeconds: number;
}
