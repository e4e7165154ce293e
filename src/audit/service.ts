/**
 * The audit logger: `log(eventId, attributes)` in standard mode (through the facade) or
 * dedicated mode (its own rotated files), configured by a reloadable .properties file.
 */
import { dirname, resolve } from "node:path";
import { Level, levelName } from "../facade/level.js";
import { LoggerFactory, type Logger } from "../facade/logger.js";
import { currentMdc } from "../facade/mdc.js";
import { decodePropertiesFile, parseProperties } from "../java/properties.js";
import { ConfigError, formatProblem, type ConfigProblem } from "../config/errors.js";
import { KEY_PREFIX, resolveConfig, type AuditConfig, type PropertySource } from "../config/schema.js";
import { FileSettler, readSnapshot, sameSnapshot, watchPath, type FileSnapshot } from "../config/watcher.js";
import { riskyChange } from "../config/change.js";
import { NOT_A_REGULAR_FILE, RollingFileWriter, type FileSystemError, type WriterFailure, type WriterFileSystem } from "../output/rolling-file.js";
import { RetryBuffer, type DropReport } from "../output/retry-buffer.js";
import { ChainSealer, type CheckpointRenderer } from "../integrity/chain.js";
import { CHECKPOINT_EVENT_ID } from "../integrity/token.js";
import { StatusChannel } from "../status/status.js";
import { TargetSet, type TargetContext } from "../targets/targets.js";
import type { TargetStats } from "../targets/stats.js";
import { collectAttributes, type AuditAttributes, type CollectedAttributes } from "../record/attributes.js";
import { compileRecordBuilder, type RecordBuilder, type RecordInput } from "../record/builder.js";
import { compileRecordRenderer, type RecordRenderer } from "../record/render.js";
import { renderOther } from "../record/values.js";

/** The logger name of audit records in standard mode (and `%logger` in dedicated mode). */
export const AUDIT_LOGGER_NAME = "com.openexchange.log.audit.AuditLogService";

/** The environment variable naming a properties file for the default service. */
export const PROPERTIES_ENV = "SLF4TS_AUDIT_PROPERTIES";

/**
 * A filter may veto an event by returning false (as the original's `AuditLogFilter`). A filter
 * that throws is reported on the status channel and the event is kept.
 */
export type AuditLogFilter = (eventId: string, attributes: ReadonlyArray<readonly [unknown, unknown]>) => boolean;

/** How an audit service is set up. */
export interface AuditLogServiceOptions {
  /** A .properties file to read, validate, apply and then watch for changes. */
  readonly propertiesFile?: string;
  /** Properties given in code (full keys), instead of a file. */
  readonly properties?: Readonly<Record<string, string>>;
  /** Watch the properties file for changes (default true). */
  readonly watch?: boolean;
  /** Polling interval of the watcher in milliseconds (default 500). */
  readonly pollIntervalMs?: number;
  /**
   * A changed file is applied only once it has read the same (size, times and bytes) for this
   * many milliseconds (default 500, at most 600000), so a file still being written is not applied.
   */
  readonly reloadSettleMs?: number;
  /**
   * A change that would cost records or protection if it came from a half-written file (it
   * switches the mode, moves the file, turns integrity off, deletes archives, weakens masking,
   * drops a target, …) waits this many milliseconds more and is applied only if the file is
   * still the same (default 2000, at most 600000; 0: no second look).
   */
  readonly reloadConfirmMs?: number;
  /** @internal The file system of dedicated mode, for fault-injection tests. */
  readonly fileSystem?: WriterFileSystem;
}

/** Counters of a service, since it was created. */
export interface AuditStats {
  /** `disabled`, `standard` or `dedicated`. */
  readonly mode: "disabled" | "standard" | "dedicated";
  /** The active file in dedicated mode. */
  readonly file: string | undefined;
  /** Events accepted by `log()` while enabled (after filters and, in standard mode, the level). */
  readonly logged: number;
  /** Records handed to the operating system (dedicated) or to the binding (standard). */
  readonly written: number;
  /** Records waiting in memory now, because the file cannot be written. */
  readonly buffered: number;
  /** Records dropped because the buffer was full (each drop is also stated in the file). */
  readonly dropped: number;
  /** Failed attempts to open, write or rotate (a buffered record may fail several times). */
  readonly errors: number;
  /** Events vetoed by a filter. */
  readonly filtered: number;
  /** Standard-mode events not passed on because the host's logging has the level disabled. */
  readonly levelDisabled: number;
  /** Rotations done. */
  readonly rotations: number;
  /** Archives this process compressed (`file.compress`). */
  readonly compressed: number;
  /** Configurations applied (the first one included). */
  readonly reloads: number;
  /** Configurations rejected as invalid. */
  readonly rejectedConfigurations: number;
  /** Events logged after `shutdown()`, which are not written. */
  readonly afterShutdown: number;
  /** Counters of each named target (`target.<name>.*`), in name order. */
  readonly targets: readonly TargetStats[];
}

interface Pipeline {
  readonly config: AuditConfig | undefined;
  readonly build: RecordBuilder | undefined;
  /** With targets: the one rendering that the targets and the file (or standard mode) share. */
  readonly renderRecord: RecordRenderer | undefined;
  readonly writer: RollingFileWriter | undefined;
  readonly buffer: RetryBuffer | undefined;
  /** The facade logger of standard mode. */
  readonly logger: Logger | undefined;
  /** The named targets, when there are any. */
  readonly targets: TargetSet | undefined;
  /** The hash chain of dedicated mode with integrity on. */
  readonly chain: ChainSealer | undefined;
}

const DISABLED: Pipeline = { config: undefined, build: undefined, renderRecord: undefined, writer: undefined, buffer: undefined, logger: undefined, targets: undefined, chain: undefined };

/** How the properties file is watched. */
interface WatchOptions {
  readonly watch: boolean;
  readonly pollIntervalMs: number;
  readonly settleMs: number;
  readonly confirmMs: number;
}

const DEFAULT_WATCH: WatchOptions = { watch: true, pollIntervalMs: 500, settleMs: 500, confirmMs: 2000 };

/** A file that keeps changing is reported this often (and applied once it settles). */
const SETTLE_GIVE_UP_MS = 60_000;

function watchOptionsOf(options: AuditLogServiceOptions): WatchOptions {
  const millis = (name: "pollIntervalMs" | "reloadSettleMs" | "reloadConfirmMs", fallback: number, min: number): number => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > 600_000) {
      throw new TypeError(`${name} must be a whole number of milliseconds from ${min} to 600000, got ${String(value)}`);
    }
    return value;
  };
  return {
    watch: options.watch ?? true,
    pollIntervalMs: millis("pollIntervalMs", DEFAULT_WATCH.pollIntervalMs, 1),
    settleMs: millis("reloadSettleMs", DEFAULT_WATCH.settleMs, 0),
    confirmMs: millis("reloadConfirmMs", DEFAULT_WATCH.confirmMs, 0),
  };
}

/** How long flush() and shutdown() wait for a remote target to send what waits. */
const TARGET_FLUSH_MS = 5000;

/** What decides whether a chain goes on across a reload (anything else may change under it). */
function chainKey(config: AuditConfig | undefined): string | undefined {
  const integrity = config?.enabled === true && config.file !== undefined ? config.integrity : undefined;
  return integrity === undefined ? undefined : JSON.stringify([integrity, config?.multiprocess]);
}

/** Batched durability writes once this many characters wait (back-pressure beyond). */
const BATCH_BYTES = 64 * 1024;
/** …and its queue holds at least this many records, whatever buffer.size says. */
const BATCH_RECORDS = 4096;

/** The event id of the record that states how many records were dropped. */
export const DROPPED_EVENT_ID = "slf4ts.audit.dropped";

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

const liveServices = new Set<AuditLogServiceImpl>();
let exitHookInstalled = false;

// Set once the process is exiting: from then on a batch is written at once, so records logged
// by a host's own exit handlers (which run after ours) are not left waiting for a timer.
let exiting = false;

function drainAll(): void {
  exiting = true;
  for (const service of liveServices) service.drainForExit();
}

/**
 * Termination signals end a process without an "exit" event when nobody listens for them. To
 * write what waits in memory (a batch, records for a failing file), the service listens while
 * it has a file, writes, and then, if it was the only listener, raises the signal again so the
 * process ends exactly as it would have.
 */
function onSignal(signal: NodeJS.Signals): void {
  drainAll();
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Records waiting in memory get a last synchronous chance when the process exits.
  process.once("exit", drainAll);
  // First in line: a host's own handler (also a `once` one, which Node removes before calling
  // it) is still registered when ours runs, so we see that the host decides.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.prependListener(signal, onSignal);
}

/**
 * An audit logger. `AuditLogService` is the process's default instance; use
 * {@link createAuditLogService} for an independent one.
 *
 * @example
 * ```ts
 * import { AuditLogService } from "slf4ts";
 * await AuditLogService.configure({ propertiesFile: "/opt/app/etc/slf4j-auditlog.properties" });
 * AuditLogService.log("ox.login", { login: "thorben", ip: "::1", timestamp: new Date() });
 * ```
 */
export class AuditLogServiceImpl {
  private pipeline: Pipeline = DISABLED;
  private readonly filters: AuditLogFilter[] = [];
  private propertiesFile: string | undefined;
  private inlineProperties: Readonly<Record<string, string>> | undefined;
  private stopWatching: (() => void) | undefined;
  private lastApplied: string | undefined;
  private unreadableReported = false;
  private pendingEnvironment: boolean;
  private shutDown = false;
  private failing = false;
  private levelDisabledReported = false;
  private settler: FileSettler | undefined;
  /** A risky change waiting for its second look: the file as it settled, and the timer. */
  private pending: { readonly snapshot: FileSnapshot; readonly timer: NodeJS.Timeout } | undefined;
  private counters = {
    logged: 0,
    written: 0,
    errors: 0,
    filtered: 0,
    levelDisabled: 0,
    reloads: 0,
    rejectedConfigurations: 0,
    afterShutdown: 0,
  };
  private retired = { rotations: 0, dropped: 0, compressed: 0 };
  private readonly fileSystem: WriterFileSystem | undefined;
  private watchOptions: WatchOptions = DEFAULT_WATCH;

  /** @internal Use {@link createAuditLogService} or the default `AuditLogService`. */
  constructor(options: AuditLogServiceOptions & { readonly fromEnvironment?: boolean } = {}) {
    this.fileSystem = options.fileSystem;
    this.pendingEnvironment = options.fromEnvironment === true;
  }

  /**
   * Reads, validates and applies a configuration, then watches the file. Rejects with a
   * {@link ConfigError} listing every problem when it is invalid; whatever was in force before
   * stays in force.
   */
  async configure(options: AuditLogServiceOptions): Promise<void> {
    // Checked first: a bad option (a programmer error) changes nothing.
    const watchOptions = watchOptionsOf(options);
    this.cancelConfirmation();
    this.pendingEnvironment = false;
    this.shutDown = false;
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.watchOptions = watchOptions;
    if (options.propertiesFile !== undefined) {
      this.propertiesFile = resolve(options.propertiesFile);
      this.inlineProperties = undefined;
    } else {
      this.propertiesFile = undefined;
      this.inlineProperties = options.properties ?? {};
    }
    try {
      this.loadAndApply(true);
    } finally {
      this.startWatching();
    }
  }

  /**
   * Re-reads the configuration now. Rejects with a {@link ConfigError} when the file is
   * invalid (and reports it); the last good configuration stays.
   */
  async reload(): Promise<void> {
    this.cancelConfirmation();
    this.loadAndApply(true);
  }

  /**
   * Resolves when every record accepted so far has reached the operating system, or, while the
   * file cannot be written, after one more attempt to write the records waiting in memory.
   */
  async flush(): Promise<void> {
    this.pipeline.buffer?.drain();
    await this.pipeline.targets?.flush(TARGET_FLUSH_MS);
    // Archives waiting to be compressed are compressed (or have failed and were reported).
    await this.pipeline.writer?.compressionIdle();
  }

  /**
   * Stops watching, tries once more to write records waiting in memory, closes the files and
   * disables the service until `configure()` is called again.
   */
  async shutdown(): Promise<void> {
    this.stopWatching?.();
    this.stopWatching = undefined;
    const old = this.pipeline;
    // While these wait, log() still works: an archive being compressed is finished (one at most;
    // any other waits for the next start) and the targets send what waits.
    await old.writer?.finishCompression();
    await old.targets?.flush(TARGET_FLUSH_MS);
    // From here on a record is "after shutdown" (counted and reported).
    this.pipeline = DISABLED;
    this.pendingEnvironment = false;
    this.shutDown = true;
    this.retire(old);
    liveServices.delete(this);
    await old.targets?.close();
  }

  /**
   * Adds a filter; every filter must accept an event for it to be logged. Filters see a frozen
   * copy of the attributes.
   * @returns a function that removes the filter.
   */
  addFilter(filter: AuditLogFilter): () => void {
    if (typeof filter !== "function") {
      throw new TypeError("an audit log filter must be a function");
    }
    this.filters.push(filter);
    return () => {
      const index = this.filters.indexOf(filter);
      if (index >= 0) this.filters.splice(index, 1);
    };
  }

  /** Counters and the current mode. */
  stats(): AuditStats {
    if (this.pendingEnvironment) this.configureFromEnvironment();
    const { config, writer, buffer } = this.pipeline;
    const mode = config === undefined || !config.enabled ? "disabled" : config.file === undefined ? "standard" : "dedicated";
    const bufferStats = buffer?.stats();
    return {
      ...this.counters,
      buffered: bufferStats?.buffered ?? 0,
      dropped: this.retired.dropped + (bufferStats?.dropped ?? 0),
      rotations: this.retired.rotations + (writer?.stats.rotations ?? 0),
      compressed: this.retired.compressed + (writer?.stats.compressed ?? 0),
      mode,
      file: mode === "dedicated" ? writer?.path : undefined,
      targets: this.pipeline.targets?.stats() ?? [],
    };
  }

  /**
   * Logs one audit event. Synchronous: in dedicated mode the record is in the operating
   * system when this returns (or, while the file cannot be written, kept in memory in order).
   * Never throws for I/O or configuration reasons; a non-string or empty event id or attributes
   * that are neither an object nor an iterable (programmer errors) throw a `TypeError`, whatever
   * the configuration. At most `record.maxAttributes` attributes are read (an iterable lazily, so
   * an endless one ends); a final `slf4ts.cut=N` says how many were left out.
   */
  log(eventId: string, attributes?: AuditAttributes): void {
    if (typeof eventId !== "string") {
      throw new TypeError(`audit event id must be a string, got ${eventId === null ? "null" : typeof eventId}`);
    }
    if (eventId === "") {
      // It would be an empty line, which no reader takes for a record.
      throw new TypeError("audit event id must not be empty");
    }
    if (attributes !== undefined && attributes !== null && typeof attributes !== "object") {
      throw new TypeError(`audit attributes must be an object or an iterable of [name, value] pairs, got ${typeof attributes}`);
    }
    if (this.pendingEnvironment) this.configureFromEnvironment();
    const { config, build, renderRecord, buffer, logger, targets } = this.pipeline;
    if (config === undefined || !config.enabled || build === undefined) {
      if (this.shutDown) this.noteAfterShutdown();
      return;
    }
    let input: RecordInput | undefined = attributes;
    if (this.filters.length > 0) {
      const collected = collectAttributes(attributes, config.maxAttributes);
      if (!this.accepts(eventId, this.toPairs(collected))) {
        this.counters.filtered++;
        return;
      }
      input = collected;
    }
    // With targets, one rendering serves them and the file; without, the fused builder.
    const message = targets !== undefined && renderRecord !== undefined ? this.offerTargets(targets, renderRecord, eventId, input) : undefined;
    if (buffer === undefined) {
      if (logger !== undefined) this.logStandard(config, logger, () => message ?? build(eventId, input));
      return;
    }
    this.counters.logged++;
    buffer.offer(this.render(config, message ?? build(eventId, input), config.file?.messageOnly === true ? 0 : Date.now()));
    if (exiting) buffer.drain();
  }

  /** Renders an event once and hands it to the named targets; returns its message, for the file or standard mode. */
  private offerTargets(targets: TargetSet, renderRecord: RecordRenderer, eventId: string, input: RecordInput | undefined): string {
    const record = renderRecord(eventId, input);
    try {
      targets.offer(record);
    } catch (error) {
      // A target must never make log() throw (formatting is guarded per target; this is the last net).
      StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit targets failed on event ${JSON.stringify(eventId)}: ${renderOther(error)}`);
    }
    return record.message;
  }

  /** The line of one record in dedicated mode. */
  private render(config: AuditConfig, message: string, now: number): string {
    const file = config.file as NonNullable<AuditConfig["file"]>;
    // The default pattern: no event object, no clock, no MDC lookup.
    if (file.messageOnly) return message + "\n";
    try {
      return file.layout({ timestamp: now, level: config.level, loggerName: AUDIT_LOGGER_NAME, message, mdc: currentMdc() });
    } catch (error) {
      // A layout converter that throws (it should not) must not lose the record.
      StatusChannel.report("RECORD_UNRENDERABLE", Level.ERROR, `layout failed (${renderOther(error)}); writing the bare message`);
      return message + "\n";
    }
  }

  private logStandard(config: AuditConfig, logger: Logger, messageOf: () => string): void {
    if (!logger.isEnabled(config.level)) {
      this.counters.levelDisabled++;
      if (!this.levelDisabledReported) {
        this.levelDisabledReported = true;
        StatusChannel.report(
          "LEVEL_DISABLED",
          Level.WARN,
          `audit records are not written: the host's logging (binding "${LoggerFactory.getBinding().name}") has level ${levelName(config.level)} disabled for logger ${AUDIT_LOGGER_NAME}; configure it (for log4js: a category "${AUDIT_LOGGER_NAME}" with level ${levelName(config.level).toLowerCase()} or lower) or set ${KEY_PREFIX}file.location`,
        );
      }
      return;
    }
    this.counters.logged++;
    const message = messageOf();
    try {
      // Straight to the backend: the record is final text, not an SLF4J pattern.
      logger.backend.log({ level: config.level, loggerName: AUDIT_LOGGER_NAME, message, error: undefined, mdc: currentMdc(), timestamp: Date.now() });
      this.counters.written++;
    } catch (error) {
      this.counters.errors++;
      StatusChannel.report("WRITE_FAILED", Level.ERROR, `the logging binding threw while writing an audit record: ${renderOther(error)}`);
    }
  }

  /** What filters see: a frozen copy of the pairs read (and the reading error as `slf4ts.error`). */
  private toPairs(collected: CollectedAttributes): ReadonlyArray<readonly [unknown, unknown]> {
    const pairs = collected.pairs.map((pair) => Object.freeze([pair[0], pair[1]]) as readonly [unknown, unknown]);
    if (collected.error !== undefined) pairs.push(Object.freeze(["slf4ts.error", collected.error]) as readonly [unknown, unknown]);
    return Object.freeze(pairs);
  }

  private accepts(eventId: string, pairs: ReadonlyArray<readonly [unknown, unknown]>): boolean {
    for (const filter of this.filters) {
      try {
        if (filter(eventId, pairs) === false) return false;
      } catch (error) {
        StatusChannel.report("FILTER_FAILED", Level.ERROR, `audit filter threw for event ${JSON.stringify(eventId)}; the event is kept: ${renderOther(error)}`);
      }
    }
    return true;
  }

  private noteAfterShutdown(): void {
    this.counters.afterShutdown++;
    if (this.counters.afterShutdown === 1) {
      StatusChannel.report("WRITE_FAILED", Level.WARN, "an audit event was logged after shutdown() and was not written; call configure() to log again");
    }
  }

  private configureFromEnvironment(): void {
    this.pendingEnvironment = false;
    const file = process.env[PROPERTIES_ENV];
    if (file === undefined || file.trim() === "") return;
    this.propertiesFile = resolve(file);
    this.inlineProperties = undefined;
    try {
      this.loadAndApply(false);
    } catch {
      // Reported by loadAndApply; the service stays disabled until the file is fixed.
    }
    this.startWatching();
  }

  private startWatching(): void {
    const path = this.propertiesFile;
    if (path === undefined || !this.watchOptions.watch || this.stopWatching !== undefined) return;
    const { settleMs, pollIntervalMs } = this.watchOptions;
    const settler = new FileSettler(
      path,
      { settleMs, stepMs: Math.min(100, Math.max(10, Math.floor(settleMs / 5))), maxWaitMs: SETTLE_GIVE_UP_MS },
      (snapshot) => this.onFileSettled(snapshot),
      (waited) => StatusChannel.report("CONFIG_WARNING", Level.WARN, `${path} has kept changing for ${Math.round(waited / 1000)} s; not applied yet (it is applied once it stays the same for ${settleMs} ms; the last good configuration stays in force meanwhile)`),
    );
    const stop = watchPath(path, () => this.onFileChanged(), pollIntervalMs);
    this.settler = settler;
    this.stopWatching = () => {
      stop();
      settler.cancel();
      this.cancelConfirmation();
      if (this.settler === settler) this.settler = undefined;
    };
  }

  /** A change was seen: whatever waited for confirmation is void (if the file differs now); wait for the file to settle. */
  private onFileChanged(): void {
    if (this.pending !== undefined) {
      // An event without a change (an access time, say) does not start the wait over.
      if (sameSnapshot(this.pending.snapshot, readSnapshot(this.propertiesFile as string))) return;
      this.cancelConfirmation();
    }
    this.settler?.changed();
  }

  /**
   * The file has read the same for the settle period. An empty file is not applied (a writer
   * that truncates first is the usual cause); anything else is validated, and applied unless
   * it needs confirmation (see {@link riskyChange}).
   */
  private onFileSettled(snapshot: FileSnapshot): void {
    if (snapshot.ok && snapshot.bytes.toString("latin1").trim() === "") {
      StatusChannel.report("CONFIG_WARNING", Level.WARN, `${this.propertiesFile ?? ""} is empty; not applied (the last good configuration stays in force; write enabled=false to turn audit logging off)`);
      return;
    }
    try {
      this.loadAndApply(false, snapshot);
    } catch {
      // Already reported on the status channel; the last good configuration stays.
    }
  }

  /**
   * A settled file would make a risky change: look again after the confirmation delay and apply
   * it only if the file is still exactly the same; any change meanwhile starts over.
   */
  private awaitConfirmation(snapshot: FileSnapshot, risk: string): void {
    this.cancelConfirmation();
    const path = this.propertiesFile as string;
    const { confirmMs } = this.watchOptions;
    StatusChannel.report(
      "CONFIG_PENDING",
      Level.INFO,
      `${path}: the new configuration waits ${confirmMs} ms and is applied only if the file is still the same then, because ${risk} (a file read half-written must not do that; write it by atomic rename)`,
    );
    const timer = setTimeout(() => {
      this.pending = undefined;
      const again = readSnapshot(path);
      if (!sameSnapshot(snapshot, again)) {
        this.settler?.changed();
        return;
      }
      try {
        this.loadAndApply(false, again, true);
      } catch {
        // Already reported on the status channel; the last good configuration stays.
      }
    }, confirmMs);
    timer.unref();
    this.pending = { snapshot, timer };
  }

  private cancelConfirmation(): void {
    if (this.pending !== undefined) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  /** Reads the current source; returns its properties and a text to compare with the last one. */
  private readSource(snapshot?: FileSnapshot): { properties: PropertySource[]; text: string; baseDir: string } | ConfigProblem[] {
    if (this.propertiesFile === undefined) {
      const properties = Object.entries(this.inlineProperties ?? {}).map(([key, value]) => ({ key, value: String(value), line: undefined }));
      return { properties, text: JSON.stringify(properties), baseDir: process.cwd() };
    }
    // Read without blocking (a FIFO there must not stop the process) and checked to be a file.
    const read = snapshot ?? readSnapshot(this.propertiesFile);
    if (!read.ok) {
      const why = read.code === "EFTYPE" ? "EFTYPE: not a regular file (a FIFO, socket, device or folder)" : read.code;
      return [{ key: undefined, value: undefined, line: undefined, expected: `cannot read the file (${why})` }];
    }
    const bytes = read.bytes;
    const decoded = decodePropertiesFile(bytes);
    if ("problem" in decoded) {
      return [{ key: undefined, value: undefined, line: decoded.problem.line, expected: decoded.problem.message }];
    }
    const parsed = parseProperties(decoded.text);
    if (parsed.problems.length > 0) {
      return parsed.problems.map((p) => ({ key: undefined, value: undefined, line: p.line, expected: p.message }));
    }
    const properties = parsed.entries.map((e) => ({ key: e.key, value: e.value, line: e.line }));
    return { properties, text: decoded.text, baseDir: dirname(this.propertiesFile) };
  }

  private reject(problems: readonly ConfigProblem[], code: "CONFIG_INVALID" | "CONFIG_UNREADABLE", report = true): never {
    const error = new ConfigError(problems, this.propertiesFile);
    if (report) StatusChannel.report(code, Level.ERROR, `${error.message}\nThe last good configuration stays in force.`);
    this.counters.rejectedConfigurations++;
    throw error;
  }

  /**
   * Reads, validates and applies the configuration. Throws a ConfigError (after reporting it)
   * when it is invalid. With `force` false an unchanged file is not applied again. With a
   * `snapshot` (a watched file that has settled) it uses those bytes, and a risky change is
   * only applied once `confirmed`.
   */
  private loadAndApply(force: boolean, snapshot?: FileSnapshot, confirmed = false): void {
    const source = this.readSource(snapshot);
    if (Array.isArray(source)) {
      const unreadable = source.length === 1 && source[0]?.line === undefined;
      const report = !(unreadable && this.unreadableReported && !force);
      this.unreadableReported = unreadable;
      this.lastApplied = undefined;
      this.reject(source, unreadable ? "CONFIG_UNREADABLE" : "CONFIG_INVALID", report);
    }
    this.unreadableReported = false;
    if (!force && source.text === this.lastApplied) return;
    const result = resolveConfig(source.properties, source.baseDir);
    if (result.ok && snapshot !== undefined && !confirmed && this.watchOptions.confirmMs > 0 && this.pipeline.config?.fingerprint !== result.config.fingerprint) {
      const risk = riskyChange(this.pipeline.config, result.config);
      if (risk !== undefined) {
        // Warnings and the change itself wait for the second look.
        this.awaitConfirmation(snapshot, risk);
        return;
      }
    }
    for (const warning of result.warnings) {
      StatusChannel.report("CONFIG_WARNING", Level.WARN, `${this.propertiesFile ?? "audit configuration"}: ${formatProblem(warning)}`);
    }
    this.lastApplied = source.text;
    if (!result.ok) {
      this.reject(result.problems, "CONFIG_INVALID");
    }
    if (this.pipeline.config?.fingerprint === result.config.fingerprint && !force) return;
    this.apply(result.config);
  }

  /**
   * Swaps in a new configuration between two log() calls: no record sees half of each. A new
   * file that cannot be opened (a folder, a symbolic link, no permission) rejects the
   * configuration when another one is in force; with none in force yet it is applied and its
   * records wait in memory until the file can be written.
   */
  private apply(config: AuditConfig): void {
    const old = this.pipeline;
    let writer: RollingFileWriter | undefined;
    let buffer: RetryBuffer | undefined;
    let logger: Logger | undefined;
    let chain: ChainSealer | undefined;
    const build = compileRecordBuilder(config, config.formatDate, config.datePattern.includes("S") ? 1 : 1000);
    if (config.enabled && config.file !== undefined) {
      const policy = {
        maxSize: config.file.maxSize,
        maxArchives: config.file.maxArchives,
        fsync: config.fsync,
        shared: config.multiprocess,
        compress: config.file.compress,
        maxAgeDays: config.file.maxAgeDays,
      };
      const sameBatching = old.config?.batchDelayMs === config.batchDelayMs;
      const sameFile = old.writer !== undefined && old.writer.path === config.file.location;
      const sameChain = sameFile && chainKey(old.config) === chainKey(config);
      if (sameFile && !sameChain && old.chain !== undefined) {
        // The chain ends before anything is written under the new settings; a new one resumes from it.
        old.chain.close(config.integrity === undefined ? "integrity-off" : "reload");
      }
      if (old.writer !== undefined && old.buffer !== undefined && sameFile && sameBatching && sameChain) {
        writer = old.writer;
        buffer = old.buffer;
        chain = old.chain;
        chain?.setRenderer(this.checkpointRenderer(config, build));
        writer.setPolicy(policy);
        buffer.setCapacity(this.capacityFor(config));
      } else if (old.writer !== undefined && sameFile) {
        // Only the batching or the integrity settings changed: keep the open file, and hand the waiting records on.
        writer = old.writer;
        writer.setPolicy(policy);
        chain = sameChain ? old.chain : this.createChain(writer, config, build);
        chain?.setRenderer(this.checkpointRenderer(config, build));
        buffer = this.createBuffer(writer, config, chain);
        this.handOver(old.buffer, buffer);
      } else {
        writer = new RollingFileWriter(config.file.location, policy, (f) => this.onWriterFailure(f), this.fileSystem, (code, message) =>
          // Both are worth an operator's eye: another writer nobody announced, a crash in a rotation.
          StatusChannel.report(code, Level.WARN, message),
        );
        const error = writer.tryOpen();
        if (error !== undefined) {
          const inForce = old.config !== undefined && old.config.enabled;
          // A FIFO, socket or device is refused even as the first configuration: it never becomes the audit file.
          if ((inForce && !TRANSIENT.has(error.code ?? "")) || error.code === NOT_A_REGULAR_FILE) {
            this.lastApplied = undefined;
            this.reject(
              [{ key: KEY_PREFIX + "file.location", value: config.file.source.value, line: config.file.source.line, expected: `cannot open ${config.file.location}: ${describeOpenError(error)}` }],
              "CONFIG_INVALID",
            );
          }
          this.onWriterFailure({ operation: "open", path: config.file.location, error });
        }
        chain = this.createChain(writer, config, build);
        buffer = this.createBuffer(writer, config, chain);
        // Records still waiting for the old file go to the new one, in order.
        this.handOver(old.buffer, buffer);
      }
    } else if (config.enabled) {
      logger = LoggerFactory.getLogger(AUDIT_LOGGER_NAME);
    }
    let targets: TargetSet | undefined;
    if (config.enabled && config.targets.length > 0) {
      const context: TargetContext = { level: config.level, loggerName: AUDIT_LOGGER_NAME };
      targets = old.targets ?? new TargetSet([], context);
      targets.reconfigure(config.targets, context);
    } else {
      void old.targets?.close();
    }
    const renderRecord = targets !== undefined ? compileRecordRenderer(config, config.formatDate) : undefined;
    this.pipeline = { config, build, renderRecord, writer, buffer, logger, targets, chain };
    if (old.writer !== undefined && old.writer !== writer) this.retire(old, buffer !== undefined, "reload");
    this.levelDisabledReported = false;
    this.counters.reloads++;
    if (buffer !== undefined || targets !== undefined) {
      liveServices.add(this);
      installExitHook();
    }
    const mode = !config.enabled
      ? "disabled"
      : config.file === undefined
        ? "standard mode"
        : `dedicated mode, writing ${config.file.location} (rotated at ${config.file.maxSize} bytes, ${config.file.maxArchives} archives kept)`;
    const targetText = targets === undefined ? "" : `; targets: ${targets.stats().map((t) => `${t.name} (${t.type} ${t.destination})`).join(", ")}`;
    StatusChannel.report("CONFIG_APPLIED", Level.INFO, `audit configuration applied from ${this.propertiesFile ?? "code"}: ${mode}${targetText}`);
  }

  /** Moves what waits in `from` (records, and the count of dropped ones still to be stated) to `to`. */
  private handOver(from: RetryBuffer | undefined, to: RetryBuffer): void {
    if (from === undefined) return;
    const { lines, drops } = from.handOver();
    this.retired.dropped += from.stats().dropped - (drops?.count ?? 0);
    if (drops !== undefined) to.inheritDrops(drops);
    for (const line of lines) to.offer(line);
  }

  /** In batched mode a batch waits in the same queue, so it holds at least one batch. */
  private capacityFor(config: AuditConfig): number {
    return config.batchDelayMs === undefined ? config.bufferSize : Math.max(config.bufferSize, BATCH_RECORDS);
  }

  /** The chain of a file when integrity is on. */
  private createChain(writer: RollingFileWriter, config: AuditConfig, build: RecordBuilder): ChainSealer | undefined {
    if (config.integrity === undefined) return undefined;
    return new ChainSealer({ writer, settings: config.integrity, shared: config.multiprocess, render: this.checkpointRenderer(config, build) });
  }

  /** Checkpoints are audit records: built and laid out like every other line of the file. */
  private checkpointRenderer(config: AuditConfig, build: RecordBuilder): CheckpointRenderer {
    return (attributes, now) => this.render(config, build(CHECKPOINT_EVENT_ID, attributes), now);
  }

  private createBuffer(writer: RollingFileWriter, config: AuditConfig, chain: ChainSealer | undefined): RetryBuffer {
    const batched = config.batchDelayMs !== undefined;
    // With integrity on, lines are sealed as they are written; chosen once here, so the
    // path of a record without integrity has no extra branch.
    const writeOne = chain === undefined ? (line: string) => writer.write(line) : (line: string) => chain.write(line);
    const writeMany = chain === undefined ? (lines: readonly string[], start: number, end: number) => writer.writeMany(lines, start, end) : (lines: readonly string[], start: number, end: number) => chain.writeMany(lines, start, end);
    return new RetryBuffer({
      capacity: this.capacityFor(config),
      ...(batched
        ? {
            batch: { maxDelayMs: config.batchDelayMs as number, maxBytes: BATCH_BYTES },
            writeMany: (lines: readonly string[], start: number, end: number) => {
              const written = writeMany(lines, start, end);
              this.counters.written += written;
              if (written === end - start) this.noteRecovered(writer);
              return written;
            },
          }
        : {}),
      write: (line) => {
        if (!writeOne(line)) return false;
        this.counters.written++;
        this.noteRecovered(writer);
        return true;
      },
      dropRecord: (report) => this.dropLine(report),
    });
  }

  private noteRecovered(writer: RollingFileWriter): void {
    if (this.failing) {
      this.failing = false;
      const { buffered, dropped } = this.stats();
      StatusChannel.report("WRITE_RECOVERED", Level.WARN, `audit file ${writer.path} is writable again; writing ${buffered} waiting record(s); ${dropped} dropped in all`);
    }
  }

  /** The record that states, in the file, how many records were dropped and when. */
  private dropLine(report: DropReport): string {
    const { config, build } = this.pipeline;
    StatusChannel.report("RECORDS_DROPPED", Level.ERROR, `${report.count} audit record(s) were dropped while the file could not be written (buffer.size was reached)`);
    const attributes: Array<[string, unknown]> = [
      ["dropped", report.count],
      ["from", new Date(report.from)],
      ["to", new Date(report.to)],
    ];
    if (config === undefined || build === undefined || config.file === undefined) {
      return `${DROPPED_EVENT_ID}, dropped=${report.count}\n`;
    }
    return this.render(config, build(DROPPED_EVENT_ID, attributes), Date.now());
  }

  /** Closes a pipeline's file; with `moved` its waiting records were already handed on. */
  private retire(pipeline: Pipeline, moved = false, reason: "shutdown" | "reload" = "shutdown"): void {
    if (pipeline.buffer !== undefined) {
      if (!moved) {
        pipeline.buffer.drain();
        const rest = pipeline.buffer.close();
        if (rest.length > 0) this.reportUnwritten(rest.length, pipeline.writer?.path);
        // (When moved, handOver() already counted them.)
        this.retired.dropped += pipeline.buffer.stats().dropped;
      }
    }
    // The last checkpoint goes into the file before it is closed.
    pipeline.chain?.close(reason);
    if (pipeline.writer !== undefined) {
      this.retired.rotations += pipeline.writer.stats.rotations;
      this.retired.compressed += pipeline.writer.stats.compressed;
      pipeline.writer.close();
    }
  }

  private reportUnwritten(count: number, path: string | undefined): void {
    StatusChannel.report("RECORDS_DROPPED", Level.ERROR, `${count} audit record(s) could not be written to ${path ?? "the audit file"} and are lost`);
  }

  /** @internal The last synchronous attempt at process exit. */
  drainForExit(): void {
    const { buffer, writer, targets, chain } = this.pipeline;
    for (const target of targets?.stats() ?? []) {
      if (target.buffered > 0 && !target.spooled) {
        process.stderr.write(`SLF4TS ERROR [RECORDS_DROPPED] ${target.buffered} audit record(s) could not be sent to target "${target.name}" (${target.destination}) before exit\n`);
      }
    }
    // No half-written compression is left behind (it would be deleted at the next start anyway).
    writer?.abortCompression();
    if (buffer !== undefined && buffer.size > 0 && !buffer.drain()) {
      process.stderr.write(`SLF4TS ERROR [RECORDS_DROPPED] ${buffer.size} audit record(s) could not be written to ${writer?.path ?? "the audit file"} before exit\n`);
    }
    // Seal what was written since the last checkpoint.
    chain?.close("exit");
  }

  private onWriterFailure(failure: WriterFailure): void {
    this.counters.errors++;
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
      const what = failure.path === this.pipeline.writer?.path ? `the archives of ${failure.path}` : `the archive ${failure.path}`;
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
    if (!this.failing) {
      this.failing = true;
      StatusChannel.report(
        "WRITE_FAILED",
        Level.ERROR,
        `cannot ${failure.operation} audit file ${failure.path} (${errorCode(failure.error)}: ${failure.error.message}); records are kept in memory (buffer.size) and retried until it works again`,
      );
    }
  }
}

/**
 * Creates an independent audit logger with the same methods as `AuditLogService`. With
 * `propertiesFile` or `properties` in the options it is configured at once (call
 * `configure()` and await it instead to see configuration errors).
 *
 * @example
 * ```ts
 * const audit = createAuditLogService();
 * await audit.configure({ properties: { "com.openexchange.log.audit.slf4j.enabled": "true", "com.openexchange.log.audit.slf4j.file.location": "/var/log/app/audit.log" } });
 * audit.log("app.export", { user: "ann", rows: 120 });
 * ```
 */
export function createAuditLogService(options: AuditLogServiceOptions = {}): AuditLogServiceImpl {
  const service = new AuditLogServiceImpl(options);
  if (options.propertiesFile !== undefined || options.properties !== undefined) {
    service.configure(options).catch(() => {
      // Reported on the status channel already.
    });
  }
  return service;
}

/**
 * The process's default audit logger. Until `configure()` is called it reads the file named by
 * the `SLF4TS_AUDIT_PROPERTIES` environment variable on first use; without it, it is disabled
 * (as the original is by default).
 */
export const AuditLogService: AuditLogServiceImpl = new AuditLogServiceImpl({ fromEnvironment: true });

