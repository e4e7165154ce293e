/**
 * The pipeline of an audit service, assembled from a resolved configuration: in dedicated mode
 * the rolling file writer, its retry buffer and the chain sealer; in standard mode the facade
 * logger; in both the named targets. Also the hand-over from the old pipeline to the new on a
 * reload (the open file, the waiting records and the chain go on when they can), retiring a
 * pipeline, and the reports of the writer's failures.
 *
 * A pipeline is a union on its mode, so each mode's fields exist exactly where they apply.
 */
import { Level } from "../facade/level.js";
import { LoggerFactory, type Logger } from "../facade/logger.js";
import { currentMdc } from "../facade/mdc.js";
import type { ConfigProblem } from "../config/errors.js";
import { KEY_PREFIX, type AuditConfig, type FileSettings } from "../config/schema.js";
import { NOT_A_REGULAR_FILE, RollingFileWriter, type FileSystemError, type WriterFailure, type WriterFileSystem } from "../output/rolling-file.js";
import { RetryBuffer, type DropReport } from "../output/retry-buffer.js";
import { checkLocation, type LocationProblem } from "../output/location.js";
import { ChainSealer, type CheckpointRenderer } from "../integrity/chain.js";
import { CHECKPOINT_EVENT_ID } from "../integrity/token.js";
import { StatusChannel } from "../status/status.js";
import { TargetSet, type TargetContext } from "../targets/targets.js";
import { compileRecordBuilder, type AttributesRead, type RecordBuilder } from "../record/builder.js";
import { compileRecordRenderer, type RecordRenderer } from "../record/render.js";
import { renderOther } from "../record/values.js";
import { AUDIT_EVENT_ID_KEY, AUDIT_LOGGER_NAME, AUDIT_MARKER_NAME, DROPPED_EVENT_ID } from "./names.js";

export { AUDIT_EVENT_ID_KEY, AUDIT_LOGGER_NAME, AUDIT_MARKER_NAME, DROPPED_EVENT_ID };

/** Dedicated mode: the service's own rotated file. */
export interface DedicatedPipeline {
  readonly mode: "dedicated";
  readonly config: AuditConfig;
  /** `config.file`, known to be there. */
  readonly file: FileSettings;
  readonly build: RecordBuilder;
  readonly writer: RollingFileWriter;
  readonly buffer: RetryBuffer;
  /** The hash chain, with integrity on. */
  readonly chain: ChainSealer | undefined;
  /** The named targets, when there are any. */
  readonly targets: TargetSet | undefined;
  /** With targets: the one rendering that the targets and the file (or standard mode) share. */
  readonly renderRecord: RecordRenderer | undefined;
  /** With targets: what `build` read from the last record's attributes (the targets get the same values). */
  readonly read: AttributesRead | undefined;
}

/** Standard mode: records go to the host's logging through the facade. */
export interface StandardPipeline {
  readonly mode: "standard";
  readonly config: AuditConfig;
  readonly build: RecordBuilder;
  /** The facade logger of the audit records. */
  readonly logger: Logger;
  /** The named targets, when there are any. */
  readonly targets: TargetSet | undefined;
  /** The one rendering the targets share; without targets it renders the record's key–values when the binding reads them. */
  readonly renderRecord: RecordRenderer;
}

/** Nothing is logged: not configured yet, shut down, or `enabled=false` (then with its configuration). */
export interface OffPipeline {
  readonly mode: "off";
  readonly config: AuditConfig | undefined;
  readonly build: RecordBuilder | undefined;
}

/** What an audit service logs through, by mode. */
export type Pipeline = DedicatedPipeline | StandardPipeline | OffPipeline;

/** The pipeline before any configuration and after shutdown. */
export const OFF: OffPipeline = { mode: "off", config: undefined, build: undefined };

/** The service side of a pipeline: its counters, the pipeline in force, and what a failure changes. */
export interface PipelineHost {
  /** Records handed on, and failed attempts, of the service. */
  readonly counters: { written: number; errors: number };
  /** What retired pipelines counted (added to the service's stats). */
  readonly retired: { rotations: number; dropped: number; compressed: number };
  /** @internal The file system of dedicated mode, for fault-injection tests. */
  readonly fileSystem: WriterFileSystem | undefined;
  /** True while the file cannot be written (reported once, until it works again). */
  failing: boolean;
  /** The pipeline in force now. */
  current(): Pipeline;
  /** Records waiting and dropped in all, for the report of a recovery. */
  stats(): { readonly buffered: number; readonly dropped: number };
}

/** The writer of a pipeline, if it has one. */
export function writerOf(pipeline: Pipeline): RollingFileWriter | undefined {
  return pipeline.mode === "dedicated" ? pipeline.writer : undefined;
}

/** The named targets of a pipeline, if it has any. */
export function targetsOf(pipeline: Pipeline): TargetSet | undefined {
  return pipeline.mode === "off" ? undefined : pipeline.targets;
}

/** How long flush() and shutdown() wait for a remote target to send what waits. */
export const TARGET_FLUSH_MS = 5000;

/** What decides whether a chain goes on across a reload (anything else may change under it). */
function chainKey(config: AuditConfig | undefined): string | undefined {
  const integrity = config?.enabled === true && config.file !== undefined ? config.integrity : undefined;
  return integrity === undefined ? undefined : JSON.stringify([integrity, config?.multiprocess]);
}

/** Batched durability writes once this many characters wait (back-pressure beyond). */
const BATCH_BYTES = 64 * 1024;
/** …and its queue holds at least this many records, whatever buffer.size says. */
const BATCH_RECORDS = 4096;

// Errors that may clear by themselves: a configuration is not rejected for them.
const TRANSIENT = new Set(["ENOSPC", "EIO", "EMFILE", "ENFILE", "EAGAIN", "EBUSY", "EDQUOT"]);

function errorCode(error: Error & { readonly code?: string | undefined }): string {
  return error.code ?? error.name;
}

function describeOpenError(error: FileSystemError): string {
  switch (error.code) {
    case "EISDIR":
      return "it is a folder (EISDIR)";
    case "ELOOP":
      return "it is a symbolic link, and the audit file is never opened through one (ELOOP)";
    case "EACCES":
    case "EPERM":
      return `permission denied (${error.code})`;
    case "ENOTDIR":
      return "a part of the path is not a folder (ENOTDIR)";
    case "EROFS":
      return "the file system is read-only (EROFS)";
    case NOT_A_REGULAR_FILE:
      return `${error.message} (${NOT_A_REGULAR_FILE})`;
    default:
      return `${errorCode(error)}: ${error.message}`;
  }
}

/** Why a location was refused, as the `expected` part of its configuration problem. */
function describeLocationProblem(problem: LocationProblem): string {
  if (problem.kind === "unusable") return `cannot be the audit file: ${problem.reason}`;
  const target = `${KEY_PREFIX}target.<name>`;
  return (
    `cannot be the audit file: it is the process's standard ${problem.stream === "stdout" ? "output" : "error"}, and the audit file is a regular file (rotated, locked, read back); ` +
    `to write audit records to ${problem.stream} (as in a container), use a console target: ${target}.type=console with ${target}.stream=${problem.stream}`
  );
}

/**
 * The line of one record in dedicated mode.
 *
 * @example
 * ```ts
 * buffer.offer(renderLine(pipeline.file, config.level, build(eventId, attributes), Date.now()));
 * ```
 */
export function renderLine(file: FileSettings, level: Level, message: string, now: number): string {
  // The default pattern: no event object, no clock, no MDC lookup.
  if (file.messageOnly) return message + "\n";
  try {
    return file.layout({ timestamp: now, level, loggerName: AUDIT_LOGGER_NAME, message, mdc: currentMdc() });
  } catch (error) {
    // A layout converter that throws (it should not) must not lose the record.
    StatusChannel.report("RECORD_UNRENDERABLE", Level.ERROR, `layout failed (${renderOther(error)}); writing the bare message`);
    return message + "\n";
  }
}

/**
 * Assembles the pipeline of `config`, taking over from `old` what can go on: the open file (when
 * it stays the same), its waiting records and its chain (when the integrity settings stay the
 * same), the targets. A new file that cannot be opened (a folder, a symbolic link, no
 * permission) is refused through `refuse` (which throws) when another configuration is in force,
 * and always when it is not a regular file; with none in force it is used and its records wait
 * in memory until the file can be written.
 *
 * The caller then puts the result in force and calls {@link retireReplaced}.
 *
 * @example
 * ```ts
 * const next = assemblePipeline(host, old, config, (problem) => reject([problem]));
 * this.pipeline = next;
 * retireReplaced(host, old, next);
 * ```
 */
export function assemblePipeline(host: PipelineHost, old: Pipeline, config: AuditConfig, refuse: (problem: ConfigProblem) => never): Pipeline {
  // Only with targets: what the builder read, for them (without, the builder does no extra work).
  const read: AttributesRead | undefined = config.enabled && config.targets.length > 0 ? { input: undefined, source: undefined, keys: undefined, values: undefined, cut: undefined, settled: undefined, names: undefined } : undefined;
  const build = compileRecordBuilder(config, config.formatDate, config.datePattern.includes("S") ? 1 : 1000, read);
  const was = old.mode === "dedicated" ? old : undefined;
  let dedicated: { writer: RollingFileWriter; buffer: RetryBuffer; chain: ChainSealer | undefined } | undefined;
  let logger: Logger | undefined;
  const file = config.enabled ? config.file : undefined;
  if (file !== undefined) {
    const policy = {
      maxSize: file.maxSize,
      maxArchives: file.maxArchives,
      fsync: config.fsync,
      shared: config.multiprocess,
      compress: file.compress,
      maxAgeDays: file.maxAgeDays,
    };
    const sameBatching = old.config?.batchDelayMs === config.batchDelayMs;
    const kept = was !== undefined && was.writer.path === file.location ? was : undefined;
    const sameChain = kept !== undefined && chainKey(old.config) === chainKey(config);
    if (kept !== undefined && !sameChain && kept.chain !== undefined) {
      // The chain ends before anything is written under the new settings; a new one resumes from it.
      kept.chain.close(config.integrity === undefined ? "integrity-off" : "reload");
    }
    if (kept !== undefined && sameBatching && sameChain) {
      const { writer, buffer, chain } = kept;
      chain?.setRenderer(checkpointRenderer(file, config, build));
      writer.setPolicy(policy);
      buffer.setCapacity(capacityFor(config));
      dedicated = { writer, buffer, chain };
    } else if (kept !== undefined) {
      // Only the batching or the integrity settings changed: keep the open file, and hand the waiting records on.
      const writer = kept.writer;
      writer.setPolicy(policy);
      const chain = sameChain ? kept.chain : createChain(writer, file, config, build);
      chain?.setRenderer(checkpointRenderer(file, config, build));
      const buffer = createBuffer(host, writer, config, chain);
      handOver(host, kept.buffer, buffer);
      dedicated = { writer, buffer, chain };
    } else {
      // A location that can never work is refused before anything is created, first configuration or reload.
      const unusable = checkLocation(file.location);
      if (unusable !== undefined) {
        refuse({ key: KEY_PREFIX + "file.location", value: file.source.value, line: file.source.line, expected: describeLocationProblem(unusable) });
      }
      const writer = new RollingFileWriter(file.location, policy, (f) => reportWriterFailure(host, f), host.fileSystem, (code, message) =>
        // Both are worth an operator's eye: another writer nobody announced, a crash in a rotation.
        StatusChannel.report(code, Level.WARN, message),
      );
      const error = writer.tryOpen();
      if (error !== undefined) {
        const inForce = old.config !== undefined && old.config.enabled;
        // A FIFO, socket or device is refused even as the first configuration: it never becomes the audit file.
        if ((inForce && !TRANSIENT.has(error.code ?? "")) || error.code === NOT_A_REGULAR_FILE) {
          refuse({ key: KEY_PREFIX + "file.location", value: file.source.value, line: file.source.line, expected: `cannot open ${file.location}: ${describeOpenError(error)}` });
        }
        reportWriterFailure(host, { operation: "open", path: file.location, error });
      }
      const chain = createChain(writer, file, config, build);
      const buffer = createBuffer(host, writer, config, chain);
      // Records still waiting for the old file go to the new one, in order.
      handOver(host, was?.buffer, buffer);
      dedicated = { writer, buffer, chain };
    }
  } else if (config.enabled) {
    logger = LoggerFactory.getLogger(AUDIT_LOGGER_NAME);
  }
  let targets: TargetSet | undefined;
  const oldTargets = targetsOf(old);
  if (config.enabled && config.targets.length > 0) {
    const context: TargetContext = { level: config.level, loggerName: AUDIT_LOGGER_NAME };
    targets = oldTargets ?? new TargetSet([], context);
    targets.reconfigure(config.targets, context);
  } else {
    void oldTargets?.close();
  }
  // Targets with integrity=on carry the chain's lines as they are sealed (the configuration
  // refuses integrity=on without a chain).
  const chain = dedicated?.chain;
  if (chain !== undefined) {
    const carriers = targets !== undefined && targets.carriesChain ? targets : undefined;
    chain.setWitness(carriers === undefined ? undefined : (line) => carriers.carry(line));
  }
  // Standard mode always renders (the binding takes the attributes as key–values); dedicated mode only for targets.
  const renderRecord = targets !== undefined || logger !== undefined ? compileRecordRenderer(config, config.formatDate) : undefined;
  if (file !== undefined && dedicated !== undefined) return { mode: "dedicated", config, file, build, ...dedicated, targets, renderRecord, read };
  if (logger !== undefined) return { mode: "standard", config, build, logger, targets, renderRecord: renderRecord ?? compileRecordRenderer(config, config.formatDate) };
  return { mode: "off", config, build };
}

/**
 * After {@link assemblePipeline}, once `next` is the service's pipeline: closes the old
 * pipeline's file unless the new one goes on writing it (its waiting records were handed on when
 * the new one has a file), and writes the records handed on.
 */
export function retireReplaced(host: PipelineHost, old: Pipeline, next: Pipeline): void {
  if (old.mode === "dedicated" && next.mode === "dedicated" && old.buffer !== next.buffer) {
    // What reached the old buffer after the hand-over (a status listener that logged while the
    // new pipeline was being assembled) follows the rest.
    handOver(host, old.buffer, next.buffer);
  }
  if (old.mode === "dedicated" && old.writer !== writerOf(next)) retirePipeline(host, old, next.mode === "dedicated", "reload");
  // The records handed over are written now that the new pipeline is in place: a record that a
  // status listener logs during those writes goes behind them, into the new pipeline.
  if (next.mode === "dedicated" && (next.buffer.size > 0 || next.buffer.dropsToState > 0)) next.buffer.drain();
}

/** What a pipeline does, for the report of an applied configuration. */
export function describePipeline(pipeline: Pipeline): string {
  const mode =
    pipeline.mode === "off"
      ? "disabled"
      : pipeline.mode === "standard"
        ? "standard mode"
        : `dedicated mode, writing ${pipeline.file.location} (rotated at ${pipeline.file.maxSize} bytes, ${pipeline.file.maxArchives} archives kept)`;
  const targets = targetsOf(pipeline);
  const targetText = targets === undefined ? "" : `; targets: ${targets.stats().map((t) => `${t.name} (${t.type} ${t.destination})`).join(", ")}`;
  return mode + targetText;
}

/** Moves what waits in `from` (records, and the count of dropped ones still to be stated) to `to`. */
function handOver(host: PipelineHost, from: RetryBuffer | undefined, to: RetryBuffer): void {
  if (from === undefined) return;
  const { lines, drops, dropped } = from.handOver();
  host.retired.dropped += dropped - (drops?.count ?? 0);
  if (drops !== undefined) to.inheritDrops(drops);
  // Written by retireReplaced(), once the new pipeline is the service's.
  to.adopt(lines);
}

/** In batched mode a batch waits in the same queue, so it holds at least one batch. */
function capacityFor(config: AuditConfig): number {
  return config.batchDelayMs === undefined ? config.bufferSize : Math.max(config.bufferSize, BATCH_RECORDS);
}

/** The chain of a file when integrity is on. */
function createChain(writer: RollingFileWriter, file: FileSettings, config: AuditConfig, build: RecordBuilder): ChainSealer | undefined {
  if (config.integrity === undefined) return undefined;
  return new ChainSealer({ writer, settings: config.integrity, shared: config.multiprocess, render: checkpointRenderer(file, config, build) });
}

/** Checkpoints are audit records: built and laid out like every other line of the file. */
function checkpointRenderer(file: FileSettings, config: AuditConfig, build: RecordBuilder): CheckpointRenderer {
  return (attributes, now) => renderLine(file, config.level, build(CHECKPOINT_EVENT_ID, attributes), now);
}

function createBuffer(host: PipelineHost, writer: RollingFileWriter, config: AuditConfig, chain: ChainSealer | undefined): RetryBuffer {
  const batched = config.batchDelayMs !== undefined;
  const counters = host.counters;
  // With integrity on, lines are sealed as they are written; chosen once here, so the
  // path of a record without integrity has no extra branch.
  const writeOne = chain === undefined ? (line: string) => writer.write(line) : (line: string) => chain.write(line);
  const writeMany = chain === undefined ? (lines: readonly string[], start: number, end: number) => writer.writeMany(lines, start, end) : (lines: readonly string[], start: number, end: number) => chain.writeMany(lines, start, end);
  return new RetryBuffer({
    capacity: capacityFor(config),
    ...(batched
      ? {
          batch: { maxDelayMs: config.batchDelayMs as number, maxBytes: BATCH_BYTES },
          writeMany: (lines: readonly string[], start: number, end: number) => {
            const written = writeMany(lines, start, end);
            counters.written += written;
            if (written === end - start) noteRecovered(host, writer);
            return written;
          },
        }
      : {}),
    write: (line) => {
      if (!writeOne(line)) return false;
      counters.written++;
      noteRecovered(host, writer);
      return true;
    },
    dropRecord: (report) => dropLine(host, report),
  });
}

function noteRecovered(host: PipelineHost, writer: RollingFileWriter): void {
  if (host.failing) {
    host.failing = false;
    const { buffered, dropped } = host.stats();
    StatusChannel.report("WRITE_RECOVERED", Level.WARN, `audit file ${writer.path} is writable again; writing ${buffered} waiting record(s); ${dropped} dropped in all`);
  }
}

/** The record that states, in the file, how many records were dropped and when. */
function dropLine(host: PipelineHost, report: DropReport): string {
  const { config, build } = host.current();
  StatusChannel.report("RECORDS_DROPPED", Level.ERROR, `${report.count} audit record(s) were dropped while the file could not be written (buffer.size was reached)`);
  const attributes: Array<[string, unknown]> = [
    ["dropped", report.count],
    ["from", new Date(report.from)],
    ["to", new Date(report.to)],
  ];
  if (config === undefined || build === undefined || config.file === undefined) {
    return `${DROPPED_EVENT_ID}, dropped=${report.count}\n`;
  }
  return renderLine(config.file, config.level, build(DROPPED_EVENT_ID, attributes), Date.now());
}

/**
 * Closes a pipeline's file; with `moved` its waiting records were already handed on. The last
 * checkpoint goes into the file before it is closed.
 */
export function retirePipeline(host: PipelineHost, pipeline: Pipeline, moved = false, reason: "shutdown" | "reload" = "shutdown"): void {
  if (pipeline.mode !== "dedicated") return;
  const { buffer, chain, writer } = pipeline;
  if (!moved) {
    buffer.drain();
    const rest = buffer.close();
    if (rest.length > 0) reportUnwritten(rest.length, writer.path);
    // Lost with the file (reported just now): dropped, as those past the buffer's capacity are.
    // (When moved, handOver() already counted them.)
    host.retired.dropped += buffer.stats().dropped + rest.length;
  }
  // The last checkpoint goes into the file before it is closed.
  chain?.close(reason);
  host.retired.rotations += writer.stats.rotations;
  host.retired.compressed += writer.stats.compressed;
  writer.close();
}

function reportUnwritten(count: number, path: string | undefined): void {
  StatusChannel.report("RECORDS_DROPPED", Level.ERROR, `${count} audit record(s) could not be written to ${path ?? "the audit file"} and are lost`);
}

/** The last synchronous attempt at process exit: what waits is written or said to be lost, on stderr. */
export function drainPipelineForExit(pipeline: Pipeline): void {
  targetsOf(pipeline)?.drainForExit();
  for (const target of targetsOf(pipeline)?.stats() ?? []) {
    if (target.buffered > 0 && !target.spooled) {
      process.stderr.write(`SLF4TS ERROR [RECORDS_DROPPED] ${target.buffered} audit record(s) could not be sent to target "${target.name}" (${target.destination}) before exit\n`);
    }
  }
  if (pipeline.mode !== "dedicated") return;
  const { buffer, writer, chain } = pipeline;
  // No half-written compression is left behind (it would be deleted at the next start anyway).
  writer.abortCompression();
  // Also when only the record that states drops waits (its write failed after the records').
  if ((buffer.size > 0 || buffer.dropsToState > 0) && !buffer.drain()) {
    const waiting = buffer.size > 0 ? `${buffer.size} audit record(s)` : "the record that states them";
    process.stderr.write(`SLF4TS ERROR [RECORDS_DROPPED] ${waiting} could not be written to ${writer.path} before exit${buffer.dropsToState > 0 ? ` (${buffer.dropsToState} more were dropped before)` : ""}\n`);
  }
  // Seal what was written since the last checkpoint.
  chain?.close("exit");
}

/** Reports a failure of the writer on the status channel (a failure to write once, until it recovers). */
function reportWriterFailure(host: PipelineHost, failure: WriterFailure): void {
  host.counters.errors++;
  if (failure.operation === "compress" && failure.lock === true) {
    StatusChannel.report(
      "COMPRESS_FAILED",
      Level.ERROR,
      `archive maintenance (compression, deletion by age) could not take the lock ${failure.path} (${errorCode(failure.error)}: ${failure.error.message}); nothing was compressed or deleted, it is tried again within 30 s`,
    );
    return;
  }
  if (failure.operation === "compress") {
    // The path is the archive's, or the active file's when its archives wait for the rotation lock.
    const what = failure.path === writerOf(host.current())?.path ? `the archives of ${failure.path}` : `the archive ${failure.path}`;
    StatusChannel.report("COMPRESS_FAILED", Level.ERROR, `could not compress ${what} (${errorCode(failure.error)}: ${failure.error.message}); it stays uncompressed and compression is tried again in a minute`);
    return;
  }
  if (failure.operation === "expire") {
    StatusChannel.report("EXPIRE_FAILED", Level.ERROR, `could not delete ${failure.path}, older than file.maxAge (${errorCode(failure.error)}: ${failure.error.message})`);
    return;
  }
  if (failure.operation === "rotate" && failure.lock === true) {
    StatusChannel.report("ROTATE_FAILED", Level.ERROR, `could not take the lock of ${failure.path} (${errorCode(failure.error)}: ${failure.error.message})`);
    return;
  }
  if (failure.operation === "rotate") {
    StatusChannel.report("ROTATE_FAILED", Level.ERROR, `could not rotate ${failure.path} (${errorCode(failure.error)}: ${failure.error.message}); appending to the active file`);
    return;
  }
  if (!host.failing) {
    host.failing = true;
    StatusChannel.report(
      "WRITE_FAILED",
      Level.ERROR,
      `cannot ${failure.operation} audit file ${failure.path} (${errorCode(failure.error)}: ${failure.error.message}); records are kept in memory (buffer.size) and retried until it works again`,
    );
  }
}
