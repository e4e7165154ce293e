/**
 * The witness check (`slf4ts-audit verify --witness`): compares a host's audit files with the
 * central copy of the same lines, carried by a target with `integrity=on` and written by the
 * receiver one line each (rsyslog: `template(name="slf4tsWitness" type="string" string="%msg%\n")`).
 * Each line is keyed by its session and `seq`; the centre's own chain and checkpoints are checked
 * first, so a forged central line is said to be forged rather than blamed on the host.
 *
 * @module
 */
import { createHmac, timingSafeEqual, verify as verifySignature, type KeyObject } from "node:crypto";
import { basename } from "node:path";
import type { AuditLogFiles } from "../logfile/files.js";
import { readAuditLines } from "../logfile/files.js";
import { DEFAULT_READ_LIMITS, type ReadLimits } from "../logfile/read.js";
import type { HmacKeyFile } from "./keys.js";
import { chainHash, parseChainToken, signedMessage, splitChainField, type ChainToken } from "./token.js";
import { FUTURE_SLACK_MS, HmacKeyring } from "./verify-files.js";
import { CentralFileError, listCentralFiles, readCentralLines } from "./witness-files.js";

/** What the witness check reports: findings (exit 1) and warnings. */
export type WitnessFindingKind = "witness-missing" | "witness-differs" | "witness-forged" | "witness-unreadable";
/** Warnings of the witness check (exit 0). */
export type WitnessWarningKind = "witness-undelivered" | "witness-unsealed" | "witness-cut";

/** One finding or warning of the witness check. */
export interface WitnessFinding<K extends string = WitnessFindingKind | WitnessWarningKind> {
  readonly kind: K;
  readonly session: string;
  readonly seq: number;
  readonly message: string;
}

/** A central file that could not be read to its end (`witness-unreadable`, a finding): a truncated or corrupt archive, one past a bound. */
export interface WitnessFileFinding {
  readonly kind: "witness-unreadable";
  /** The central file. */
  readonly file: string;
  /** The last line read from it (0: none). */
  readonly line: number;
  readonly message: string;
}

/** The result of {@link compareWithWitness}. */
export interface WitnessReport {
  /** The central files read, in the order read (oldest first, see `listCentralFiles`). */
  readonly files: readonly string[];
  /** Entries of the central folder that are not regular files (sub-folders, symbolic links, FIFOs): not read. */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly what: string }>;
  /** Central lines of the host's log(s) (duplicates counted once). */
  readonly lines: number;
  /** Central lines that repeat an earlier one byte for byte (a resend after a lost acknowledgement or a broken connection): not a finding. */
  readonly duplicates: number;
  /** Central lines of other logs or hosts, and lines without a chain field: not compared. */
  readonly other: number;
  readonly findings: ReadonlyArray<WitnessFinding<Exclude<WitnessFindingKind, "witness-unreadable">> | WitnessFileFinding>;
  readonly warnings: ReadonlyArray<WitnessFinding<WitnessWarningKind>>;
}

/** The keys the centre's checkpoints are checked with (as for `verify`). */
export interface WitnessKeys {
  readonly hmacKey?: HmacKeyFile | undefined;
  readonly publicKey?: KeyObject | undefined;
}

interface Line {
  readonly text: string;
  readonly body: string;
  readonly token: ChainToken;
  readonly where: string;
}

/**
 * The central line as the chain sealed it: rsyslog escapes control characters on receipt by
 * default, so the TAB before `chain=` may arrive as `#011`; a leading UTF-8 BOM and a CR are dropped.
 */
function carried(raw: string): string {
  let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.startsWith("\uFEFF")) line = line.slice(1);
  if (!line.includes("\tchain=")) {
    const at = line.lastIndexOf("#011chain=");
    if (at >= 0) line = line.slice(0, at) + "\t" + line.slice(at + 4);
  }
  return line;
}

function parse(text: string, where: string): Line | undefined {
  const { body, token } = splitChainField(text);
  if (token === undefined) return undefined;
  const parsed = parseChainToken(token);
  if (parsed === undefined || parsed.version !== 2) return undefined;
  return { text, body, token: parsed, where };
}

/** Whether a checkpoint's signature checks out with the keys given. */
function signed(line: Line, hash: string, keyring: HmacKeyring | undefined, publicKey: KeyObject | undefined): boolean {
  const cp = line.token.checkpoint;
  if (cp === undefined || cp.alg === "none") return false;
  const message = signedMessage(line.token.session, line.token.seq, hash, cp.alg, cp.epoch, cp.time, cp.reason, cp.log, cp.mode);
  const signature = Buffer.from(cp.signature, "base64url");
  if (cp.alg === "hs256") {
    const key = keyring?.keyFor(cp.epoch);
    if (key === undefined || typeof key === "string") return false;
    const expected = createHmac("sha256", key).update(message).digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
  if (publicKey === undefined) return false;
  try {
    return verifySignature(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * Which lines of each session are vouched for: a checkpoint whose signature verifies, and every
 * line before it that the chain links to it without a gap. Also the checkpoints that fail.
 */
function vouch(sessions: Map<string, Map<number, Line>>, keyring: HmacKeyring | undefined, publicKey: KeyObject | undefined): { vouched: Set<string>; broken: Line[] } {
  const vouched = new Set<string>();
  const broken: Line[] = [];
  for (const [session, lines] of sessions) {
    const seqs = [...lines.keys()].sort((a, b) => b - a);
    let nextPrev: string | undefined;
    let nextSeq = -1;
    for (const seq of seqs) {
      const line = lines.get(seq) as Line;
      const hash = chainHash(line.token.prev, session, seq, line.body);
      let ok = nextPrev !== undefined && nextSeq === seq + 1 && nextPrev === hash;
      if (line.token.checkpoint !== undefined) {
        if (signed(line, hash, keyring, publicKey)) ok = true;
        else broken.push(line);
      }
      if (ok) vouched.add(`${session}.${seq}`);
      nextPrev = ok ? line.token.prev : undefined;
      nextSeq = seq;
    }
  }
  return { vouched, broken };
}

function ranges(seqs: number[]): string {
  seqs.sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && (seqs[j + 1] as number) === (seqs[j] as number) + 1) j++;
    out.push(i === j ? `${seqs[i]}` : `${seqs[i]}-${seqs[j]}`);
    i = j + 1;
  }
  return out.join(", ");
}

/**
 * Compares the host's logs with the central copy at `witnessPath` (a file or a folder).
 *
 * Rules: a line is keyed by (session, seq). Several hosts and logs may share the central file:
 * only sessions the host's files hold, or whose central checkpoints name one of the host's log
 * identities, are compared. The same line twice at the centre is a resend (counted). A central
 * line the host lacks is a finding (`witness-missing`) when the centre vouches for it (a
 * verified checkpoint seals it through an unbroken chain), else a warning (`witness-unsealed`).
 * A host line the centre lacks is a warning (`witness-undelivered`: not delivered yet, spooled,
 * or lost on the way). Other bytes at the same (session, seq), or two different central lines
 * there, are `witness-differs`, saying which side's checkpoints vouch for its copy. A central
 * checkpoint that does not verify, or a central line that breaks the chain before a verified
 * checkpoint, is `witness-forged`. A central file that cannot be read to its end (a truncated or
 * corrupt gzip archive, one past `limits`) is `witness-unreadable`, and the other files are still
 * compared.
 *
 * @example
 * ```ts
 * const report = await compareWithWitness(findAuditLogs("/var/log/app/audit.log"), "/srv/central/app.log", { hmacKey });
 * ```
 */
export async function compareWithWitness(logs: readonly AuditLogFiles[], witnessPath: string, keys: WitnessKeys, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<WitnessReport> {
  const keyring = keys.hmacKey === undefined ? undefined : new HmacKeyring(keys.hmacKey, { now: Date.now(), slackMs: FUTURE_SLACK_MS });
  const findings: Array<WitnessFinding<Exclude<WitnessFindingKind, "witness-unreadable">>> = [];
  const warnings: Array<WitnessFinding<WitnessWarningKind>> = [];

  // The host's lines, by session and seq (the host's own verify reports their chain).
  const host = new Map<string, Map<number, Line>>();
  const logIds = new Set<string>();
  for (const log of logs) {
    for (const file of log.files) {
      for await (const line of readAuditLines(file)) {
        const parsed = parse(line.text as string, `${basename(file.path)}:${line.lineNumber}`);
        if (parsed === undefined) continue;
        const log = parsed.token.checkpoint?.log;
        if (log !== undefined) logIds.add(log);
        let lines = host.get(parsed.token.session);
        if (lines === undefined) host.set(parsed.token.session, (lines = new Map()));
        if (!lines.has(parsed.token.seq)) lines.set(parsed.token.seq, parsed);
      }
    }
  }

  // The centre's lines (every file: the host's sessions are picked out below).
  const listing = listCentralFiles(witnessPath);
  const candidates: Line[] = [];
  const unreadable: WitnessFileFinding[] = [];
  let other = 0;
  for (const file of listing.files) {
    try {
      for await (const row of readCentralLines(file, limits)) {
        // A last line without its line feed is still being written (or was cut): not a line yet.
        const parsed = row.complete ? parse(carried(row.text), `${file.name}:${row.lineNumber}`) : undefined;
        if (parsed === undefined) other++;
        else candidates.push(parsed);
      }
    } catch (error) {
      if (!(error instanceof CentralFileError)) throw error;
      // Never skipped: the archive that cannot be read may be the one that holds the evidence.
      unreadable.push({
        kind: "witness-unreadable",
        file: error.path,
        line: error.line,
        message: `central file ${file.name} ${error.why}: its lines after that were not compared, so lines deleted on the host may go unnoticed; restore the file (or raise the bound) and check again`,
      });
    }
  }
  const files = listing.files.map((f) => f.path);
  const centre = new Map<string, Map<number, Line>>();
  const ours = new Set(host.keys());
  for (const line of candidates) {
    const cp = line.token.checkpoint;
    if (cp?.log !== undefined && logIds.has(cp.log)) ours.add(line.token.session);
  }
  // A receiver killed while writing a line leaves it cut short, without its line feed, and
  // appends the next line it writes to it: one row, the cut bytes and then a whole line (its
  // chain field is the row's last). The whole line is taken out of the row only where the
  // centre's own chain proves it: its hash is the next central line's `prev`, or its checkpoint
  // signature verifies. Anything else stays as it is (and is reported as it is).
  const prevOf = new Map<string, string>();
  for (const line of candidates) {
    const key = `${line.token.session}.${line.token.seq}`;
    if (!prevOf.has(key)) prevOf.set(key, line.token.prev);
  }
  const proven = (line: Line, text: string): boolean => {
    const { body } = splitChainField(text);
    const { session, seq } = line.token;
    const hash = chainHash(line.token.prev, session, seq, body);
    const next = prevOf.get(`${session}.${seq + 1}`);
    if (next !== undefined) return next === hash;
    return line.token.checkpoint !== undefined && signed({ ...line, body }, hash, keyring, keys.publicKey);
  };
  const cut = (line: Line, whole: Line | string): Line | undefined => {
    const text = typeof whole === "string" ? whole : whole.text;
    if (line.text === text || !line.text.endsWith(text) || !proven(line, text)) return undefined;
    warnings.push({
      kind: "witness-cut",
      session: line.token.session,
      seq: line.token.seq,
      message: `central ${line.where} holds ${Buffer.byteLength(line.text.slice(0, line.text.length - text.length))} byte(s) of a line cut short, then the whole line of session ${line.token.session} seq ${line.token.seq}: the receiver stopped while writing (killed, or its disk full) and appended the next line; compared without those bytes (the centre's chain proves the line). The cut line counts as delivered only where it arrived again whole`,
    });
    return { ...line, text, body: splitChainField(text).body };
  };
  // Without the host's copy or a whole resend, the whole line is looked for where a line of the
  // same session begins like it (its first 8 characters), at most 64 places per row.
  const starts = new Map<string, Set<string>>();
  for (const line of candidates) {
    let set = starts.get(line.token.session);
    if (set === undefined) starts.set(line.token.session, (set = new Set()));
    if (set.size < 32 && line.text.length >= 8) set.add(line.text.slice(0, 8));
  }
  const search = (line: Line): Line | undefined => {
    if (proven(line, line.text)) return undefined;
    let tries = 0;
    for (const start of starts.get(line.token.session) ?? []) {
      for (let at = line.text.indexOf(start, 1); at > 0 && tries < 64; at = line.text.indexOf(start, at + 1), tries++) {
        const found = cut(line, line.text.slice(at));
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  let duplicates = 0;
  let lineCount = 0;
  for (const candidate of candidates) {
    const { session, seq } = candidate.token;
    if (!ours.has(session)) {
      other++;
      continue;
    }
    const mine = host.get(session)?.get(seq);
    const line = (mine === undefined ? undefined : cut(candidate, mine)) ?? search(candidate) ?? candidate;
    let lines = centre.get(session);
    if (lines === undefined) centre.set(session, (lines = new Map()));
    const earlier = lines.get(seq);
    if (earlier === undefined) {
      lines.set(seq, line);
      lineCount++;
    } else if (earlier.text === line.text) duplicates++;
    else {
      // A cut row and the same line sent again whole (a resend after the receiver's restart).
      const repaired = cut(earlier, line) ?? cut(line, earlier);
      if (repaired !== undefined) {
        lines.set(seq, repaired.text === line.text ? line : earlier);
        duplicates++;
      } else findings.push({ kind: "witness-differs", session, seq, message: `the centre holds two different lines for session ${session} seq ${seq} (${earlier.where} and ${line.where}): one of them is forged at the centre` });
    }
  }

  const centreVouch = vouch(centre, keyring, keys.publicKey);
  const hostVouch = vouch(host, keyring, keys.publicKey);
  for (const line of centreVouch.broken) {
    findings.push({
      kind: "witness-forged",
      session: line.token.session,
      seq: line.token.seq,
      message: `central checkpoint ${line.where} (session ${line.token.session}, seq ${line.token.seq}) does not verify with the key given: the central copy was changed (or the wrong key); the lines it would seal are not used against the host`,
    });
  }

  for (const [session, lines] of centre) {
    const hostLines = host.get(session);
    const missing: number[] = [];
    const unsealed: number[] = [];
    for (const [seq, line] of lines) {
      const mine = hostLines?.get(seq);
      const key = `${session}.${seq}`;
      if (mine === undefined) {
        (centreVouch.vouched.has(key) ? missing : unsealed).push(seq);
      } else if (mine.text !== line.text) {
        const c = centreVouch.vouched.has(key);
        const h = hostVouch.vouched.has(key);
        const verdict = c && !h ? "the centre's copy is sealed by its checkpoints and the host's is not: the host's line was changed" : h && !c ? "the host's copy is sealed by its checkpoints and the centre's is not: the central line was changed" : c && h ? "both are sealed by verified checkpoints (the key was used on both sides)" : "neither copy is sealed by a verified checkpoint";
        findings.push({ kind: "witness-differs", session, seq, message: `${mine.where} and central ${line.where} (session ${session}, seq ${seq}) differ: ${verdict}` });
      }
    }
    if (missing.length > 0) {
      const first = lines.get(Math.min(...missing)) as Line;
      findings.push({
        kind: "witness-missing",
        session,
        seq: Math.min(...missing),
        message: `${missing.length} line(s) of session ${session} (seq ${ranges(missing)}, first central ${first.where}) are at the centre, sealed by its verified checkpoints, but not in the host's files: deleted on the host${hostLines === undefined ? " (the whole session)" : Math.min(...missing) > Math.max(...hostLines.keys()) ? " (the newest lines: tail truncation)" : ""}`,
      });
    }
    if (unsealed.length > 0) {
      warnings.push({
        kind: "witness-unsealed",
        session,
        seq: Math.min(...unsealed),
        message: `${unsealed.length} line(s) of session ${session} (seq ${ranges(unsealed)}) are at the centre but not on the host, and no verified central checkpoint seals them: removed from the host before they were sealed, or added at the centre`,
      });
    }
  }
  for (const [session, lines] of host) {
    const theirs = centre.get(session);
    const undelivered = [...lines.keys()].filter((seq) => theirs?.has(seq) !== true);
    if (undelivered.length === 0) continue;
    const first = lines.get(Math.min(...undelivered)) as Line;
    // The newest lines of a session only: what a receiver that is down (or behind) has not got yet.
    const newest = theirs === undefined || Math.min(...undelivered) > Math.max(...theirs.keys());
    warnings.push({
      kind: "witness-undelivered",
      session,
      seq: Math.min(...undelivered),
      message: newest
        ? `the newest ${undelivered.length} line(s) of session ${session} (seq ${ranges(undelivered)}, first ${first.where}) are not at the centre${theirs === undefined ? " (none of the session)" : ""}: not delivered yet (still buffered or spooled on the host while the receiver is down or behind: they are sent when it is back), lost on the way, written before the target carried the chain, or removed at the centre`
        : `${undelivered.length} line(s) of session ${session} (seq ${ranges(undelivered)}, first ${first.where}) are not at the centre: not delivered yet (buffered or spooled), lost on the way, written before the target carried the chain, or removed at the centre`,
    });
  }
  return { files, skipped: listing.skipped, lines: lineCount, duplicates, other, findings: [...unreadable, ...findings], warnings };
}
