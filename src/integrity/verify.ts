/**
 * Verifying the hash chain and checkpoints of a dedicated-mode audit log (its archives, gzip
 * too, and its active file), for `slf4ts-audit verify`.
 *
 * The files are read once, oldest first, in a stream: memory grows with the number of
 * sessions, checkpoints (what a session may link to) and anomalies, not with the number of
 * records.
 *
 * Beyond each session's own chain, the log is checked as a whole: every checkpoint is bound to
 * the log's identity (the first verified one sets it; another is `spliced`); a session begins
 * with the log's genesis (only once, first) or links to the last verified checkpoint before it;
 * a closing checkpoint (`shutdown`, `reload`, `integrity-off`) ends its session; with one
 * writer at a time (`mode` `s`) nothing of a session may follow the next one's start; a
 * session whose process was killed is sealed by a `recovered` checkpoint that the next start
 * wrote in its chain (a warning, not a finding: its records were unprotected until then); and
 * a line without chain field is explained only by the genesis after it or a signed
 * `integrity-off` checkpoint before it.
 *
 * This file stays one piece (about 700 lines): the scan is one streaming pass whose state (the
 * open sessions, the checkpoints a session may link to, the holes and the log's identity) every
 * step reads and changes, and the rules above are how those steps interlock. What stands apart
 * is elsewhere: the report's shapes (`findings.ts`), which files are read and the evolved HMAC
 * keys (`verify-files.ts`), the line format (`token.ts`).
 *
 * @module
 */
import { createHmac, timingSafeEqual, verify as verifySignature } from "node:crypto";
import { basename } from "node:path";
import { readAuditLines, type AuditFile, type AuditLogFiles } from "../logfile/files.js";
import { epochWindow } from "./keys.js";
import { chainHash, checkpointRecordsMax, checkpointRepairedBytes, parseChainToken, signedMessage, splitChainField, ZERO_HASH, type ChainToken, type CheckpointFields } from "./token.js";
import type { Finding, FindingKind, LogReport, VerifyOptions, WarningKind } from "./findings.js";
import { FUTURE_SLACK_MS, HmacKeyring, resolveTwins } from "./verify-files.js";
export type { Finding, FindingKind, LogReport, SessionReport, VerifyOptions, WarningKind } from "./findings.js";

/**
 * Reasons that end a session: nothing of it may follow. `recovered` is written in a session's
 * chain by the next start, after the session's process ended without its closing checkpoint.
 */
const CLOSING = new Set(["stop", "shutdown", "reload", "integrity-off", "recovered"]);
/** Reasons that say integrity was turned off after them. */
const OFF = new Set(["stop", "integrity-off"]);
const STARTS = new Set(["genesis", "resume", "repaired"]);

interface Loc {
  readonly file: number;
  readonly line: number;
}
interface Entry {
  readonly seq: number;
  readonly hash: string;
  readonly loc: Loc;
}
interface Hole {
  from: number;
  to: number;
  before: Entry;
  /** What the record after the hole says the last record of the hole hashed to. */
  afterPrev: string;
  after: Loc;
}
interface Session {
  readonly id: string;
  readonly first: Entry & { readonly prev: string };
  max: Entry;
  readonly holes: Hole[];
  records: number;
  checkpoints: number;
  verified: number;
  sealedThrough: number;
  lastSealLoc: Loc | undefined;
  /** The `records.max` of its last verified checkpoint (how many records a kill can leave unsealed). */
  recordsMax: number | undefined;
  lastTime: number;
  lastEpoch: number;
  resumedFrom: string | undefined;
  /** seq 0 resumed from a hash that is not the end of any earlier session. */
  resumeMissing: boolean;
  readonly mode: "s" | "m";
  /** A closing checkpoint (shutdown, reload, integrity-off) ended it. */
  closedAt: Loc | undefined;
  /** Another session started after it (single process): its unsealed records can no longer be sealed. */
  succeeded: boolean;
  /** Lines of it were found where it was over (reported once). */
  stray: boolean;
}

/** A verified checkpoint, as a later session's link target. */
interface Anchor {
  readonly hash: string;
  readonly session: string;
  readonly seq: number;
  readonly reason: string;
  readonly loc: Loc;
}

/**
 * Verifies one audit log. Never throws for what it finds; throws an `Error` when a file cannot
 * be read.
 *
 * @example
 * ```ts
 * const [log] = findAuditLogs("/var/log/app/audit.log");
 * const report = await verifyAuditLog(log, { publicKey: readEd25519PublicKey("audit.pub.pem") });
 * if (report.findings.length > 0) process.exitCode = 1;
 * ```
 */
export async function verifyAuditLog(log: AuditLogFiles, options: VerifyOptions = {}): Promise<LogReport> {
  const findings: Array<Finding<FindingKind>> = [];
  const warnings: Array<Finding<WarningKind>> = [];
  const twins = await resolveTwins(log.files, findings, warnings);
  // A file put aside by an interrupted rotation holds the newest records before the active file's.
  const files: readonly AuditFile[] =
    log.rotating === true ? [...twins.filter((f) => f.index > 0), { path: `${log.active}.rotating`, index: 0, compressed: false, ...(twins[0]?.limits === undefined ? {} : { limits: twins[0].limits }) }, ...twins.filter((f) => f.index === 0)] : twins;
  const now = options.now ?? Date.now();
  const epochSeconds = options.hmacKey?.seconds ?? options.epochSeconds;
  const keyring = options.hmacKey === undefined ? undefined : new HmacKeyring(options.hmacKey, { now, slackMs: FUTURE_SLACK_MS, seconds: epochSeconds });
  const sessions = new Map<string, Session>();
  const fileStats = files.map((f) => ({ path: f.path, lines: 0, records: 0, checkpoints: 0 }));
  // Per file: the first and last chained line, and the last line.
  const firstChained: number[] = files.map(() => 0);
  const lastChained: number[] = files.map(() => 0);
  // Per file: its last chained line is a rotation checkpoint (how a single writer closes a file).
  const endsWithRotation: boolean[] = files.map(() => false);
  let records = 0;
  let checkpoints = 0;
  let verified = 0;
  let unchained = 0;
  /** Any line with a chain token of this format seen yet (the log's genesis is behind). */
  let v2Seen = false;
  /** Lines with a token of the older format seen before the first of this format. */
  let legacySeen = false;
  /** The log's identity: that of its first verified checkpoint. */
  let logId: string | undefined = options.logId;
  /** Verified checkpoints of this format, by chain hash: what a session's start may link to. */
  const anchors = new Map<string, Anchor>();
  /** The last verified checkpoint in the order of the files. */
  let lastAnchor: Anchor | undefined;
  /** The last chained line was a verified checkpoint saying integrity is turned off after it. */
  let offAt: Loc | undefined;
  /** The session of the last chained line begun (one writer at a time). */
  let current: Session | undefined;
  /** The last chained line read (to check that a single writer's session leaves a file only by a rotation checkpoint). */
  let lastLine: { readonly loc: Loc; readonly session: string; readonly seq: number; readonly mode: "s" | "m" } | undefined;
  /** The first session start (seq 0) in the files. */
  let firstStart: Loc | undefined;
  /** Lines without a chain field (or with one of the older format) since the last chained line. */
  let pending: Array<{ readonly loc: Loc; readonly legacy: boolean }> = [];

  const name = (loc: Loc | number): string => basename(files[typeof loc === "number" ? loc : loc.file]?.path ?? "?");
  const at = (loc: Loc): string => `${name(loc)}:${loc.line}`;
  const finding = (kind: FindingKind, loc: Loc | undefined, session: string | undefined, seq: number | undefined, message: string): void => {
    findings.push({ kind, file: loc === undefined ? undefined : files[loc.file]?.path, line: loc?.line, session, seq, message });
  };
  const warning = (kind: WarningKind, loc: Loc | undefined, session: string | undefined, seq: number | undefined, message: string): void => {
    warnings.push({ kind, file: loc === undefined ? undefined : files[loc.file]?.path, line: loc?.line, session, seq, message });
  };

  // Archive numbers missing between the oldest archive present and the active file.
  const indexes = new Set(files.map((f) => f.index));
  const missingIndexes: number[] = [];
  const archiveIndexes = files.filter((f) => f.index > 0).map((f) => f.index);
  const oldestIndex = archiveIndexes.length === 0 ? 0 : Math.max(...archiveIndexes);
  for (let i = 1; i < oldestIndex; i++) if (!indexes.has(i)) missingIndexes.push(i);
  const base = basename(log.active);
  for (const note of log.interrupted ?? []) warning("interrupted", undefined, undefined, undefined, note);
  // A rotation renames the full active file aside, so a real `.rotating` holds lines, and with
  // integrity on (the rotation that needs the excuse) chained ones: an empty one, or one of
  // plain lines only, put beside the log excuses no missing number.
  let rotatingExcuses = false;
  if (log.rotating === true && missingIndexes.length === 1) {
    const aside = files.find((f) => f.path === `${log.active}.rotating`);
    if (aside !== undefined) {
      for await (const line of readAuditLines(aside)) {
        const token = splitChainField(line.text).token;
        if (line.complete && token !== undefined && parseChainToken(token)?.version === 2) {
          rotatingExcuses = true;
          break;
        }
      }
    }
  }
  if (log.rotating === true && (missingIndexes.length === 0 || rotatingExcuses)) {
    // A rotation killed while it shifted the archives (from the oldest down) leaves `.rotating`
    // and one free number, the lowest (the next start finishes it). Only the number is
    // explained: the chain must still run unbroken across it, else its hole is reported below
    // as records deleted.
    const gap = missingIndexes.splice(0);
    warning(
      "interrupted",
      undefined,
      undefined,
      undefined,
      `${base}.rotating is there: a rotation was interrupted (the writer's next start finishes it); its records, the newest, are read after the archives${gap.length === 1 ? `, and ${base}.${gap[0]} is the number it had freed` : ""}`,
    );
  }
  for (const i of missingIndexes) {
    const aside = log.rotating === true ? ` (${base}.rotating, which an interrupted rotation leaves, holds no chained line: it does not explain the gap)` : "";
    finding("missing-archive", undefined, undefined, undefined, `${base}.${i} is missing: the archives ${base}.${oldestIndex} … ${base}.1 should follow one another without a gap${aside}`);
  }
  /** Whether archive numbers are missing between two files of the list (positions). */
  const gapBetween = (a: number, b: number): boolean => {
    const ia = files[a]?.index ?? 0;
    const ib = files[b]?.index ?? 0;
    return missingIndexes.some((m) => m < ia && m > ib);
  };

  /**
   * Lines without a chain field (or with a token of the older format) since the last chained
   * line, judged by what came before them and by what follows (`next`): before the log's
   * genesis they are history from before integrity (a warning); after a verified checkpoint
   * saying integrity was turned off, lines written while it was off (a warning); anywhere
   * else no checkpoint covers them (a finding).
   */
  const flushPending = (next: "genesis" | "other" | "end"): void => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    // Runs of consecutive lines of one kind in one file are reported together.
    const runs: Array<{ from: Loc; to: Loc; legacy: boolean }> = [];
    for (const { loc, legacy } of lines) {
      if (!legacy) unchained++;
      const run = runs[runs.length - 1];
      if (run !== undefined && run.legacy === legacy && run.to.file === loc.file && run.to.line + 1 === loc.line) run.to = loc;
      else runs.push({ from: loc, to: loc, legacy });
    }
    for (const run of runs) {
      const count = run.to.line - run.from.line + 1;
      const what = run.from.line === run.to.line ? `line ${at(run.from)}` : `lines ${at(run.from)}–${run.to.line}`;
      if (!v2Seen) {
        if (run.legacy) {
          warning("older-version", run.from, undefined, undefined, `${count} line(s) written by an older version of slf4ts (chain format 1) before this log's genesis (${what}): not checked`);
        } else if (next === "genesis" || (legacySeen && next === "end")) {
          // Only the genesis excuses lines before the chain: an upgrade from format 1 starts
          // format 2 with a genesis too, so format-1 lines do not excuse plain lines before a
          // chain that begins elsewhere (chain fields stripped at the head of the oldest archive).
          warning("unchained", run.from, undefined, undefined, `${count} line(s) before the log's genesis (${what}): written before integrity was turned on, not covered`);
        } else {
          finding(
            "unverified",
            run.from,
            undefined,
            undefined,
            next === "end"
              ? `${count} line(s) without chain field (${what}), and no checkpoint anywhere in the log: no checkpoint covers them (chain fields removed?)`
              : `${count} line(s) without chain field (${what}) before a chain that does not begin with the log's genesis: no checkpoint covers them (chain fields removed?)`,
          );
        }
      } else if (run.legacy) {
        finding("inserted", run.from, undefined, undefined, `${count} line(s) with a chain token of the older format after this log's genesis (${what}): inserted`);
      } else if (offAt !== undefined) {
        warning("unchained", run.from, undefined, undefined, `${count} line(s) without chain field (${what}) after the signed checkpoint that turned integrity off (${at(offAt)}): written while integrity was off, not covered`);
      } else {
        const closed = lastAnchor !== undefined && CLOSING.has(lastAnchor.reason) && lastAnchor.reason !== "recovered" ? lastAnchor : undefined;
        finding(
          "inserted",
          run.from,
          undefined,
          undefined,
          closed !== undefined
            ? `${count} line(s) without chain field after the checkpoint that closed session ${closed.session} (${what}, after ${at(closed.loc)}): inserted (or their chain field removed), or integrity was turned off by a restart: turn it off by a reload (integrity.mode=none), so that a signed integrity-off checkpoint explains the lines written without it`
            : `${count} line(s) without chain field inside the chain (${what}): inserted (or their chain field removed)`,
        );
      }
    }
  };

  const checkCheckpoint = (session: Session, token: ChainToken, cp: CheckpointFields, hash: string, loc: Loc): boolean => {
    session.checkpoints++;
    checkpoints++;
    fileStats[loc.file]!.checkpoints++;
    let problem: string | undefined;
    if (cp.alg === "none") {
      problem = "it is not signed (the logger could not read its key when it wrote it)";
    } else if (options.chainOnly === true) {
      problem = undefined;
    } else {
      const message = signedMessage(token.session, token.seq, hash, cp.alg, cp.epoch, cp.time, cp.reason, cp.log, cp.mode);
      const signature = Buffer.from(cp.signature, "base64url");
      if (cp.alg === "hs256") {
        const key = keyring?.keyFor(cp.epoch);
        if (key === undefined) problem = "it is signed with HMAC (hs256), but no --key was given";
        else if (typeof key === "string") problem = key;
        else {
          const expected = createHmac("sha256", key).update(message).digest();
          if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) problem = "its HMAC does not match (a forged checkpoint, a changed record before it, or the wrong key)";
        }
      } else if (options.publicKey === undefined) {
        problem = "it is signed with Ed25519, but no --public-key was given";
      } else {
        let ok = false;
        try {
          ok = verifySignature(null, message, options.publicKey, signature);
        } catch {
          ok = false;
        }
        if (!ok) problem = "its Ed25519 signature does not verify (a forged checkpoint, a changed record before it, or the wrong key)";
      }
    }
    if (problem !== undefined) {
      finding("bad-signature", loc, token.session, token.seq, `checkpoint ${at(loc)} (session ${token.session}, seq ${token.seq}, ${cp.reason}): ${problem}`);
      return false;
    }
    if (cp.log !== undefined) {
      if (logId === undefined) logId = cp.log;
      else if (cp.log !== logId) {
        finding("spliced", loc, token.session, token.seq, `checkpoint ${at(loc)} (session ${token.session}, ${cp.reason}) is signed for log ${cp.log}, but this log is ${logId}: a session from another log with the same key was spliced in`);
        return false;
      }
    }
    // The CVE-2023-31439 lesson: a key is good only for its own epoch's time.
    let timeProblem = false;
    if (cp.alg === "hs256" && cp.epoch !== undefined && options.chainOnly !== true) {
      const start = options.hmacKey?.start;
      if (start === undefined || epochSeconds === undefined) {
        finding("epoch-out-of-time", loc, token.session, token.seq, `checkpoint ${at(loc)} uses key epoch ${cp.epoch}, but the epoch's time cannot be checked: the key file given has no start= or seconds= (give --epoch-seconds)`);
        timeProblem = true;
      } else {
        const [from, to] = epochWindow(start, epochSeconds, cp.epoch);
        if (cp.time < from || cp.time >= to) {
          finding(
            "epoch-out-of-time",
            loc,
            token.session,
            token.seq,
            `checkpoint ${at(loc)} is signed with the key of epoch ${cp.epoch} (${new Date(from).toISOString()} to ${new Date(to).toISOString()}) but says it was written at ${new Date(cp.time).toISOString()}: a key used out of its time (re-sealed with a later key?)`,
          );
          timeProblem = true;
        }
      }
      if (cp.epoch < session.lastEpoch) {
        finding("epoch-out-of-time", loc, token.session, token.seq, `checkpoint ${at(loc)} uses key epoch ${cp.epoch} after a checkpoint of epoch ${session.lastEpoch}: epochs never go back`);
        timeProblem = true;
      }
      session.lastEpoch = Math.max(session.lastEpoch, cp.epoch);
    }
    if (cp.time < session.lastTime) {
      finding("time-out-of-order", loc, token.session, token.seq, `checkpoint ${at(loc)} says ${new Date(cp.time).toISOString()}, before the previous checkpoint of its session (${new Date(session.lastTime).toISOString()})`);
      timeProblem = true;
    } else if (cp.time > now + FUTURE_SLACK_MS) {
      finding("time-out-of-order", loc, token.session, token.seq, `checkpoint ${at(loc)} says ${new Date(cp.time).toISOString()}, in the future`);
      timeProblem = true;
    }
    session.lastTime = Math.max(session.lastTime, cp.time);
    if (timeProblem) return false;
    session.verified++;
    verified++;
    if (token.seq > session.sealedThrough) {
      session.sealedThrough = token.seq;
      session.lastSealLoc = loc;
    }
    return true;
  };

  /** A chained line of this format. */
  const onChained = (token: ChainToken, hash: string, loc: Loc, body: string): void => {
    const cp = token.checkpoint;
    const isGenesis = token.seq === 0 && cp?.reason === "genesis" && token.prev === ZERO_HASH;
    flushPending(isGenesis ? "genesis" : "other");
    const genesisAfterChain = isGenesis && v2Seen;
    v2Seen = true;
    offAt = undefined;
    records++;
    fileStats[loc.file]!.records++;
    if (lastLine !== undefined && lastLine.loc.file !== loc.file && lastLine.session === token.session && token.seq === lastLine.seq + 1 && lastLine.mode === "s" && !endsWithRotation[lastLine.loc.file] && cp?.reason !== "recovered") {
      // A single writer closes every file it rotates with a rotation checkpoint (a restart that
      // rotates before sealing a killed session's tail writes a `recovered` checkpoint first in
      // the new file): a session going on in the next file without one means the file was cut
      // at its end or split in two.
      finding(
        "truncated",
        lastLine.loc,
        token.session,
        lastLine.seq,
        `${name(lastLine.loc)} ends inside session ${token.session} (seq ${lastLine.seq}, ${at(lastLine.loc)}) without its rotation checkpoint, and the session goes on at ${at(loc)}: its end was cut, or one file was split into several (or it was rotated by a tool other than the logger)`,
      );
    }
    lastLine = { loc, session: token.session, seq: token.seq, mode: sessions.get(token.session)?.mode ?? cp?.mode ?? "s" };
    if (firstChained[loc.file] === 0) firstChained[loc.file] = loc.line;
    lastChained[loc.file] = loc.line;
    endsWithRotation[loc.file] = cp?.reason === "rotation";
    const entry: Entry = { seq: token.seq, hash, loc };
    let session = sessions.get(token.session);
    if (session === undefined) {
      session = {
        id: token.session,
        first: { ...entry, prev: token.prev },
        max: entry,
        holes: [],
        records: 0,
        checkpoints: 0,
        verified: 0,
        sealedThrough: -1,
        lastSealLoc: undefined,
        recordsMax: undefined,
        lastTime: 0,
        lastEpoch: 0,
        resumedFrom: undefined,
        resumeMissing: false,
        mode: cp?.mode ?? "s",
        closedAt: undefined,
        succeeded: false,
        stray: false,
      };
      sessions.set(token.session, session);
      if (token.seq === 0) {
        firstStart ??= loc;
        if (cp === undefined || !STARTS.has(cp.reason)) {
          finding("inserted", loc, token.session, 0, `${at(loc)} claims to be the first record of session ${token.session}, but a session starts with a genesis or resume checkpoint`);
        } else if (token.prev === ZERO_HASH) {
          if (genesisAfterChain) {
            finding(
              "inserted",
              loc,
              token.session,
              0,
              `${at(loc)} starts session ${token.session} from nothing (a genesis) in the middle of the log: a session from elsewhere, or the logger found no checkpoint to link to because the end of the log was removed`,
            );
          }
        } else {
          const anchor = anchors.get(token.prev);
          if (anchor === undefined) {
            session.resumeMissing = true;
          } else {
            session.resumedFrom = anchor.session;
            if (session.mode === "s" && lastAnchor !== undefined && anchor !== lastAnchor) {
              finding(
                "inserted",
                loc,
                token.session,
                0,
                `session ${token.session} links to the checkpoint at ${at(anchor.loc)}, but a later checkpoint (${at(lastAnchor.loc)}) stands before it: the session was moved or copied here`,
              );
            }
          }
        }
      }
      if (session.mode === "s" && current !== undefined) current.succeeded = true;
      current = session;
    } else {
      if (session.stray) {
        // Reported at its first line.
      } else if (session.closedAt !== undefined) {
        session.stray = true;
        finding("inserted", loc, token.session, token.seq, `${at(loc)} is a line of session ${token.session} after the checkpoint that closed it (${at(session.closedAt)}): added after the session ended`);
      } else if (session.mode === "s" && current !== undefined && current !== session && current.mode === "s") {
        session.stray = true;
        finding("inserted", loc, token.session, token.seq, `${at(loc)} is a line of session ${token.session} after session ${current.id} began (${at(current.first.loc)}): one process writes the log at a time, so it was added`);
      }
      const max = session.max;
      if (cp?.reason === "recovered" && token.seq <= max.seq && !session.stray) {
        // The next start adopted the session's tail only up to the line before this seq: the
        // lines from there on broke its chain (changed, inserted or removed after the crash).
        session.stray = true;
        finding(
          "unverified",
          loc,
          token.session,
          token.seq,
          `the next start sealed session ${token.session} only up to seq ${token.seq - 1} (${at(loc)}): its record(s) from seq ${token.seq} to ${max.seq} (up to ${at(max.loc)}) do not continue its chain intact, so no checkpoint covers them: changed, inserted or removed after its process ended`,
        );
      } else if (token.seq === max.seq + 1) {
        if (token.prev !== max.hash) {
          finding("modified", max.loc, token.session, max.seq, `${at(max.loc)} (session ${token.session}, seq ${max.seq}) was changed: the next record, ${at(loc)}, recorded a different hash for it`);
        }
        session.max = entry;
      } else if (token.seq > max.seq + 1) {
        session.holes.push({ from: max.seq + 1, to: token.seq - 1, before: max, afterPrev: token.prev, after: loc });
        session.max = entry;
      } else {
        const hole = session.holes.find((h) => h.from <= token.seq && token.seq <= h.to);
        if (hole === undefined) {
          finding("inserted", loc, token.session, token.seq, `${at(loc)} repeats seq ${token.seq} of session ${token.session}: a record inserted (or copied)`);
        } else {
          finding("reordered", loc, token.session, token.seq, `${at(loc)} (seq ${token.seq}) stands after seq ${max.seq} (${at(max.loc)}): records were moved out of order`);
          if (token.seq === hole.from && token.prev !== hole.before.hash) {
            finding("modified", hole.before.loc, token.session, hole.before.seq, `${at(hole.before.loc)} (session ${token.session}, seq ${hole.before.seq}) was changed: ${at(loc)} recorded a different hash for it`);
          }
          if (token.seq === hole.to && hash !== hole.afterPrev) {
            finding("modified", loc, token.session, token.seq, `${at(loc)} (session ${token.session}, seq ${token.seq}) was changed: ${at(hole.after)} recorded a different hash for it`);
          }
          // Split the hole around the record found.
          const index = session.holes.indexOf(hole);
          const parts: Hole[] = [];
          if (hole.from < token.seq) parts.push({ from: hole.from, to: token.seq - 1, before: hole.before, afterPrev: token.prev, after: loc });
          if (token.seq < hole.to) parts.push({ from: token.seq + 1, to: hole.to, before: entry, afterPrev: hole.afterPrev, after: hole.after });
          session.holes.splice(index, 1, ...parts);
        }
      }
    }
    session.records++;
    const sealedBefore = session.sealedThrough;
    const sealedBeforeLoc = session.lastSealLoc;
    const recordsMax = session.recordsMax ?? options.checkpointRecords;
    if (cp !== undefined && checkCheckpoint(session, token, cp, hash, loc)) {
      const from = Math.max(sealedBefore, session.first.seq - 1) + 1;
      const count = token.seq - from;
      // Where the session's earlier lines could have been rotated out: the head of the oldest file.
      const atOldestHead = session.first.loc.file === 0 && session.first.loc.line === firstChained[0] && session.first.seq > 0;
      if (cp.reason === "recovered" && !session.stray && sealedBefore < 0 && !atOldestHead) {
        // The logger adopts a killed session's tail only after a checkpoint of it that it checked.
        session.stray = true;
        finding(
          "unverified",
          loc,
          token.session,
          token.seq,
          `the \`recovered\` checkpoint ${at(loc)} seals ${count} record(s) of session ${token.session}, but no verified checkpoint of that session stands before them: the logger adopts a killed session's records only after a checkpoint of it that it checked, so these were not written by it (forged records sealed through a forged checkpoint?)`,
        );
      } else if (cp.reason === "recovered" && !session.stray && recordsMax !== undefined && count > recordsMax) {
        session.stray = true;
        finding(
          "unverified",
          loc,
          token.session,
          token.seq,
          `the \`recovered\` checkpoint ${at(loc)} seals ${count} record(s) of session ${token.session}, seq ${from}–${token.seq - 1}, more than its process could have left unsealed when killed (integrity.checkpoint.records=${recordsMax}): the session was closed, its closing checkpoint removed and records added after it`,
        );
      } else if (cp.reason === "recovered" && !session.stray) {
        const after = sealedBeforeLoc === undefined ? "" : ` after its last checkpoint (${at(sealedBeforeLoc)})`;
        warning(
          "recovered",
          loc,
          token.session,
          token.seq,
          `${count} record(s) of session ${token.session}${after}, seq ${from}–${token.seq - 1}, were written by a process that ended without its closing checkpoint (killed, or the machine stopped); the next start found them chained intact and sealed them at ${new Date(cp.time).toISOString()} (${at(loc)}): until then they could have been changed, removed or added to without a trace`,
        );
      }
      if (cp.reason !== "recovered") session.recordsMax = checkpointRecordsMax(body) ?? session.recordsMax;
      const anchor: Anchor = { hash, session: token.session, seq: token.seq, reason: cp.reason, loc };
      anchors.set(hash, anchor);
      lastAnchor = anchor;
      if (CLOSING.has(cp.reason) && session.closedAt === undefined) session.closedAt = loc;
      if (OFF.has(cp.reason)) offAt = loc;
    }
  };

  let progressAt = Date.now();
  /** A complete line, parsed. */
  interface Read {
    readonly loc: Loc;
    readonly body: string;
    /** Undefined: no chain field; null: a damaged one. */
    readonly token: ChainToken | null | undefined;
    /** Its bytes are not valid UTF-8. */
    readonly invalidUtf8: boolean;
    /** Its length in bytes (without its line break). */
    readonly bytes: number;
  }
  const handle = (read: Read): void => {
    if (read.token === undefined) {
      pending.push({ loc: read.loc, legacy: false });
    } else if (read.token === null) {
      flushPending("other");
      finding("modified", read.loc, undefined, undefined, `${at(read.loc)} has a damaged chain field`);
    } else if (read.token.version === 1) {
      if (!v2Seen) legacySeen = true;
      pending.push({ loc: read.loc, legacy: true });
    } else {
      if (read.invalidUtf8) {
        // The logger writes UTF-8 only. Decoded, bytes that are not UTF-8 read as U+FFFD and
        // would hash like a real U+FFFD the logger wrote: the hash alone cannot tell them apart.
        finding("modified", read.loc, read.token.session, read.token.seq, `${at(read.loc)} (session ${read.token.session}, seq ${read.token.seq}) holds bytes that are not valid UTF-8, which the logger never writes: its bytes were changed`);
      }
      onChained(read.token, chainHash(read.token.prev, read.token.session, read.token.seq, read.body), read.loc, read.body);
    }
  };
  for (let fileIndex = 0; fileIndex < files.length; fileIndex++) {
    const file = files[fileIndex]!;
    // Each line is judged once the next one is read: a restart that found the last line cut
    // short ended it and says so in the line that follows (reason=repaired).
    let held: Read | undefined;
    // A line without a valid chain field right before a `recovered` checkpoint: cut short if the
    // session started after that checkpoint says it repaired a line, else judged as it is.
    let cut: Read | undefined;
    // A crash is no finding: SIGKILL can stop a write at a page boundary, leaving the start of a
    // record log() had not returned for. Cutting it by hand is no more than the deletion of an
    // unsealed tail, which the files cannot show either (docs/integrity.md).
    const cutShort = (read: Read, repairing: Read): void => {
      unchained++;
      // The restart signed how many bytes it found cut short: another line there is no crash's.
      const signed = repairing.token?.checkpoint === undefined ? undefined : checkpointRepairedBytes(repairing.body);
      if (signed !== undefined && signed !== read.bytes) {
        finding(
          "modified",
          read.loc,
          undefined,
          undefined,
          `${at(read.loc)} stands where a record was cut short by a crash, but holds ${read.bytes} bytes where the signed checkpoint after it (${at(repairing.loc)}) says ${signed} were cut (repaired.bytes): the line was changed or replaced`,
        );
        return;
      }
      warning("interrupted", read.loc, undefined, undefined, `${at(read.loc)} is a record that was cut short by a crash (its end never reached the disk; log() had not returned for it); the logger ended the line when it restarted`);
    };
    const release = (): void => {
      if (cut !== undefined) handle(cut);
      cut = undefined;
      if (held !== undefined) handle(held);
      held = undefined;
    };
    for await (const line of readAuditLines(file, { checkUtf8: true })) {
      const loc: Loc = { file: fileIndex, line: line.lineNumber };
      fileStats[fileIndex]!.lines++;
      if (options.onProgress !== undefined && (line.lineNumber & 4095) === 0 && Date.now() - progressAt > 200) {
        progressAt = Date.now();
        options.onProgress(file.path, line.lineNumber);
      }
      if (!line.complete) {
        release();
        if (fileIndex === files.length - 1) {
          // The newest file: a write cut short by a crash until the next start ends the line (above).
          warning("interrupted", loc, undefined, undefined, `${name(fileIndex)} ends in the middle of a record (line ${line.lineNumber} has no line feed): a write cut short by a crash, which the next start ends, or the file was cut`);
        } else {
          finding("truncated", loc, undefined, undefined, `${name(fileIndex)} ends in the middle of a record (line ${line.lineNumber} has no line feed): the file was cut`);
        }
        continue;
      }
      const split = splitChainField(line.text);
      const token = split.token === undefined ? undefined : (parseChainToken(split.token) ?? null);
      const read: Read = { loc, body: split.body, token, invalidUtf8: line.invalidUtf8 === true, bytes: line.bytes ?? Buffer.byteLength(line.text) };
      const repairs = token?.seq === 0 && token.checkpoint?.reason === "repaired";
      if (cut !== undefined) {
        // `held` is the recovered checkpoint after `cut`.
        if (repairs) cutShort(cut, read);
        else handle(cut);
        cut = undefined;
        handle(held as Read);
      } else if (held !== undefined) {
        if (repairs) cutShort(held, read);
        else if (token?.checkpoint?.reason === "recovered" && (held.token === null || held.token === undefined)) cut = held;
        else handle(held);
      }
      held = read;
    }
    release();
  }
  flushPending("end");

  const archivesPresent = archiveIndexes.length;
  const archivesShort = options.fileCount !== undefined && archivesPresent < options.fileCount;
  let historyNoted = false;
  const historyIncomplete = (loc: Loc, session: string, seq: number, what: string): void => {
    if (archivesPresent === 0) {
      // A log that never rotated has its whole history in its one file (file.count is at least 1).
      finding("truncated", loc, session, seq, `${what}, and the log has no archives: its beginning was cut off (the file truncated or rewritten)`);
    } else if (archivesShort) {
      finding("missing-archive", loc, session, seq, `${what}, and only ${archivesPresent} of file.count=${options.fileCount} archives are present: older archives were deleted`);
    } else if (!historyNoted) {
      historyNoted = true;
      warning("history-incomplete", loc, session, seq, `${what}: earlier archives were rotated out (file.count) or removed; what came before cannot be checked`);
    }
  };

  for (const session of sessions.values()) {
    const first = session.first;
    if (first.seq !== 0) {
      const previous = first.loc.file - 1;
      const continues = first.loc.file === 0 && (firstChained[0] === first.loc.line || (session.mode === "m" && (firstStart === undefined || firstStart.file > 0 || firstStart.line > first.loc.line)));
      if (continues) {
        historyIncomplete(first.loc, session.id, first.seq, `session ${session.id} begins at seq ${first.seq} in the oldest file ${at(first.loc)}`);
      } else if (gapBetween(previous, first.loc.file)) {
        // Part of the missing archive reported above.
      } else if (firstChained[first.loc.file] === first.loc.line) {
        finding(
          "replaced-archive",
          first.loc,
          session.id,
          first.seq,
          `session ${session.id} appears at the start of ${name(first.loc.file)} at seq ${first.seq}, without its beginning, and ${name(previous)} before it holds none of its records: ${name(first.loc.file)} comes from elsewhere (replaced), or the records before it were removed`,
        );
      } else {
        finding("inserted", first.loc, session.id, first.seq, `${at(first.loc)} begins session ${session.id} at seq ${first.seq}, without its start checkpoint: records inserted (or the session's beginning deleted)`);
      }
    }
    if (session.resumeMissing) {
      const isFirst = firstChained.findIndex((l) => l > 0) === first.loc.file && firstChained[first.loc.file] === first.loc.line;
      if (isFirst) {
        historyIncomplete(first.loc, session.id, 0, `session ${session.id} resumes at ${at(first.loc)} from a record in a file no longer present`);
      } else if (!gapBetween(0, first.loc.file)) {
        finding(
          "deleted",
          first.loc,
          session.id,
          0,
          `session ${session.id} resumed at ${at(first.loc)} from a record that is not the last record of any earlier session: records before the restart were removed (or added)`,
        );
      }
    }
    for (const hole of session.holes) {
      const count = hole.to - hole.from + 1;
      const range = count === 1 ? `seq ${hole.from}` : `seq ${hole.from}–${hole.to}`;
      const between = `between ${at(hole.before.loc)} and ${at(hole.after)}`;
      const a = hole.before.loc.file;
      const b = hole.after.file;
      if (a !== b && gapBetween(a, b)) {
        // Reported as the missing archive; say which records went with it.
        const index = findings.findIndex((f) => f.kind === "missing-archive" && f.file === undefined);
        const existing = findings[index];
        if (existing !== undefined) findings[index] = { ...existing, message: `${existing.message}; session ${session.id} lost ${count} record(s) (${range}) ${between}` };
      } else if (b - a > 1) {
        const middle = files.slice(a + 1, b).map((f) => basename(f.path)).join(", ");
        finding("replaced-archive", { file: a + 1, line: 1 }, session.id, hole.from, `the chain of session ${session.id} jumps over ${middle} (${count} record(s), ${range}, missing ${between}): ${middle} was replaced`);
      } else if (a !== b && lastChained[a] === hole.before.loc.line && firstChained[b] === hole.after.line && !endsWithRotation[a]) {
        // Right at the boundary, and the earlier file lacks the checkpoint that closes a file
        // at its rotation: its end was cut.
        finding("truncated", hole.before.loc, session.id, hole.from, `${name(a)} ends early: ${count} record(s) of session ${session.id} (${range}) are missing at its end, before ${at(hole.after)}`);
      } else {
        finding("deleted", hole.before.loc, session.id, hole.from, `${count} record(s) of session ${session.id} (${range}) were deleted ${between}`);
      }
    }
    if (session.max.seq > session.sealedThrough && !session.stray) {
      const count = session.max.seq - Math.max(session.sealedThrough, first.seq - 1);
      const after = session.lastSealLoc === undefined ? "it has no good checkpoint" : `after its last good checkpoint (${at(session.lastSealLoc)})`;
      if (session.mode === "s" ? session.succeeded : session.closedAt !== undefined) {
        finding(
          "unverified",
          session.max.loc,
          session.id,
          session.max.seq,
          `${count} record(s) of session ${session.id} ${after} (up to ${at(session.max.loc)}) are covered by no checkpoint, and the session is over: its process was killed before it could seal them, or they were added`,
        );
      } else warning(
        "unsealed",
        session.max.loc,
        session.id,
        session.max.seq,
        `${count} record(s) of session ${session.id} ${after} are not yet sealed (up to ${at(session.max.loc)}): they could be changed or removed without a trace until the next checkpoint`,
      );
    }
  }

  findings.sort((x, y) => (x.file === y.file ? (x.line ?? 0) - (y.line ?? 0) : files.findIndex((f) => f.path === x.file) - files.findIndex((f) => f.path === y.file)));
  return {
    active: log.active,
    files: fileStats,
    sessions: [...sessions.values()].map((s) => ({
      id: s.id,
      firstSeq: s.first.seq,
      lastSeq: s.max.seq,
      records: s.records,
      checkpoints: s.checkpoints,
      verifiedCheckpoints: s.verified,
      sealedThrough: s.sealedThrough,
      resumedFrom: s.resumedFrom,
      mode: s.mode,
    })),
    findings,
    warnings,
    records,
    checkpoints,
    verifiedCheckpoints: verified,
    unchained,
    logId,
  };
}
