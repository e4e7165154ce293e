/**
 * The audit logger: `log(eventId, attributes)` in standard mode (through the facade) or
 * dedicated mode (its own rotated files), configured by a reloadable .properties file.
 *
 * This file holds the `AuditLogService` class and its public API; where its configuration comes
 * from is in `sources.ts`, the pipeline it assembles (and the hand-over on a reload) in
 * `pipeline.ts`, the process exit hooks in `exit-hooks.ts`.
 */
import { Level, levelName } from "../facade/level.js";
import { LoggerFactory } from "../facade/logger.js";
import { currentMdc } from "../facade/mdc.js";
import { ConfigError, formatProblem, type ConfigProblem } from "../config/errors.js";
import { KEY_PREFIX, resolveConfig, type AuditConfig } from "../config/schema.js";
import type { FileSnapshot } from "../config/watcher.js";
import { riskyChange } from "../config/change.js";
import type { WriterFileSystem } from "../output/rolling-file.js";
import { StatusChannel } from "../status/status.js";
import type { TargetSet } from "../targets/targets.js";
import type { TargetStats } from "../targets/stats.js";
import { collectAttributes, readsAgain, type AuditAttributes, type CollectedAttributes } from "../record/attributes.js";
import type { AttributesRead, RecordInput } from "../record/builder.js";
import { describerFor, type RecordRenderer, type RenderedRecord } from "../record/render.js";
import { renderOther } from "../record/values.js";
import { ConfigSource } from "./sources.js";
import {
  AUDIT_LOGGER_NAME,
  OFF,
  TARGET_FLUSH_MS,
  assemblePipeline,
  describePipeline,
  drainPipelineForExit,
  renderLine,
  retirePipeline,
  retireReplaced,
  targetsOf,
  writerOf,
  type DedicatedPipeline,
  type Pipeline,
  type PipelineHost,
  type StandardPipeline,
} from "./pipeline.js";
import { handOff } from "./target-handoff.js";
import { drainAtExit, exiting, forgetAtExit } from "./exit-hooks.js";
import type { AuditCapture, CapturedAuditRecord } from "./capture.js";
import { CaptureRenderer, defaultConfig } from "./capture-renderer.js";
import { StandardRecord } from "./standard-record.js";

export { AUDIT_EVENT_ID_KEY, AUDIT_LOGGER_NAME, AUDIT_MARKER_NAME, DROPPED_EVENT_ID } from "./names.js";

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
  /**
   * Records handed to the operating system (dedicated; the `slf4ts.audit.dropped` records that
   * state drops included) or to the binding (standard).
   */
  readonly written: number;
  /** Records waiting in memory now, because the file cannot be written. */
  readonly buffered: number;
  /**
   * Records dropped: because the buffer was full (stated in the file by a drop record once it
   * can be written), or still waiting for a file that could not be written when it was closed
   * (`shutdown()`, a reload to standard mode or `enabled=false`; reported as `RECORDS_DROPPED`).
   */
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
export class AuditLogger {
  private pipeline: Pipeline = OFF;
  private readonly filters: AuditLogFilter[] = [];
  private readonly source = new ConfigSource((snapshot, confirmed) => this.loadAndApply(false, snapshot, confirmed));
  private lastApplied: string | undefined;
  private unreadableReported = false;
  private pendingEnvironment: boolean;
  private shutDown = false;
  private levelDisabledReported = false;
  /** `enabled=false` was reported for the configuration in force (said once, not on every reload that stays off). */
  private disabledReported = false;
  /** The properties file came from the environment variable, not from configure(). */
  private fromEnvironment = false;
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
  /** The captures of {@link captureAuditRecords}; empty but for a user's tests. */
  private readonly captures: Array<(record: CapturedAuditRecord) => void> = [];
  private captureRenderer: CaptureRenderer | undefined;
  /** What the pipeline counts into and reads back of this service. */
  private readonly host: PipelineHost;

  /** @internal Use {@link createAuditLogService} or the default `AuditLogService`. */
  constructor(options: AuditLogServiceOptions & { readonly fromEnvironment?: boolean } = {}) {
    this.pendingEnvironment = options.fromEnvironment === true;
    this.host = {
      counters: this.counters,
      retired: this.retired,
      fileSystem: options.fileSystem,
      failing: false,
      current: () => this.pipeline,
      stats: () => this.stats(),
    };
  }

  /**
   * Reads, validates and applies a configuration, then watches the file. Rejects with a
   * {@link ConfigError} listing every problem when it is invalid; whatever was in force before
   * stays in force.
   */
  async configure(options: AuditLogServiceOptions = {}): Promise<void> {
    // Checked first (by use()): a bad option (a programmer error) changes nothing.
    this.source.use(options);
    this.pendingEnvironment = false;
    this.fromEnvironment = false;
    this.shutDown = false;
    try {
      this.loadAndApply(true);
    } finally {
      this.source.watch();
    }
  }

  /**
   * Re-reads the configuration now. Rejects with a {@link ConfigError} when the file is
   * invalid (and reports it); the last good configuration stays.
   */
  async reload(): Promise<void> {
    this.source.cancelConfirmation();
    this.loadAndApply(true);
  }

  /**
   * Resolves when every record accepted so far has reached the operating system, or, while the
   * file cannot be written, after one more attempt to write the records waiting in memory.
   */
  async flush(): Promise<void> {
    if (this.pipeline.mode === "dedicated") this.pipeline.buffer.drain();
    await targetsOf(this.pipeline)?.flush(TARGET_FLUSH_MS);
    // Archives waiting to be compressed are compressed (or have failed and were reported).
    await writerOf(this.pipeline)?.compressionIdle();
  }

  /**
   * Stops watching, tries once more to write records waiting in memory, closes the files and
   * disables the service until `configure()` is called again.
   */
  async shutdown(): Promise<void> {
    this.source.stop();
    const old = this.pipeline;
    // While these wait, log() still works: an archive being compressed is finished (one at most;
    // any other waits for the next start) and the targets send what waits.
    await writerOf(old)?.finishCompression();
    await targetsOf(old)?.flush(TARGET_FLUSH_MS);
    // From here on a record is "after shutdown" (counted and reported).
    this.pipeline = OFF;
    this.pendingEnvironment = false;
    this.shutDown = true;
    retirePipeline(this.host, old);
    forgetAtExit(this);
    // The closing checkpoint (and the records written with it) reach the targets that carry the chain.
    if (old.mode === "dedicated" && old.chain !== undefined && old.targets?.carriesChain === true) await old.targets.flush(TARGET_FLUSH_MS);
    await targetsOf(old)?.close();
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
    const pipeline = this.pipeline;
    const mode = pipeline.mode === "off" ? "disabled" : pipeline.mode;
    const writer = writerOf(pipeline);
    const bufferStats = pipeline.mode === "dedicated" ? pipeline.buffer.stats() : undefined;
    return {
      ...this.counters,
      buffered: bufferStats?.buffered ?? 0,
      dropped: this.retired.dropped + (bufferStats?.dropped ?? 0),
      rotations: this.retired.rotations + (writer?.stats.rotations ?? 0),
      compressed: this.retired.compressed + (writer?.stats.compressed ?? 0),
      mode,
      file: writer?.path,
      targets: targetsOf(pipeline)?.stats() ?? [],
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
    const pipeline = this.pipeline;
    let input: RecordInput | undefined = attributes;
    if (this.captures.length > 0) {
      // Read once for the captures and whatever writes the record (an iterator can be read once).
      const captureConfig = pipeline.config ?? defaultConfig();
      const collected = collectAttributes(attributes, captureConfig.maxAttributes, describerFor(captureConfig));
      if (this.filters.length > 0 && !this.accepts(eventId, this.toPairs(collected))) {
        this.counters.filtered++;
        return;
      }
      this.capture(captureConfig, eventId, collected);
      input = collected;
    }
    if (pipeline.mode === "off") {
      if (this.shutDown) this.noteAfterShutdown();
      return;
    }
    const { config, build, targets, renderRecord } = pipeline;
    if (this.filters.length > 0 && input === attributes) {
      const collected = collectAttributes(attributes, config.maxAttributes, describerFor(config));
      if (!this.accepts(eventId, this.toPairs(collected))) {
        this.counters.filtered++;
        return;
      }
      input = collected;
    }
    if (pipeline.mode === "standard") {
      // With targets, one rendering serves them and the host's logging.
      const rendered = targets !== undefined ? this.offerTargets(targets, pipeline.renderRecord, eventId, input) : undefined;
      this.logStandard(config, pipeline, eventId, input, rendered, targets !== undefined);
      return;
    }
    let message: string;
    let at: number | undefined;
    if (targets === undefined || renderRecord === undefined) {
      message = build(eventId, input);
    } else if (targets.defers && !exiting && pipeline.read !== undefined) {
      // The file's line as without targets; the targets' work after the caller's synchronous code.
      // One time for both, taken after the build as without targets (a record logged by a getter
      // while this one is built comes first in the file, with an earlier or equal time).
      message = build(eventId, input);
      at = Date.now();
      this.handOff(pipeline.read, targets, renderRecord, eventId, input, at);
    } else {
      // A console target (in the pipe when log() returns), or the process is exiting: one rendering
      // serves the targets and the file now, after what waits (the order of the log() calls).
      targets.deliverDeferred();
      message = this.offerTargets(targets, renderRecord, eventId, input).message;
    }
    this.counters.logged++;
    const { file, buffer } = pipeline;
    buffer.offer(renderLine(file, config.level, message, file.messageOnly ? 0 : (at ?? Date.now())));
    if (exiting) buffer.drain();
  }

  /** Dedicated mode with targets that may wait, after the build: see `target-handoff.ts`; never throws for a target's sake. */
  private handOff(read: AttributesRead, targets: TargetSet, renderRecord: RecordRenderer, eventId: string, input: RecordInput | undefined, at: number): void {
    try {
      handOff(read, renderRecord, targets, eventId, input, at);
    } catch (error) {
      // A target must never make log() throw (this is the last net); the file still gets its record.
      StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit targets failed on event ${JSON.stringify(eventId)}: ${renderOther(error)}`);
    }
  }

  /** Renders an event once and hands it to the named targets; returns the rendering, for the file or standard mode. */
  private offerTargets(targets: TargetSet, renderRecord: RecordRenderer, eventId: string, input: RecordInput | undefined): RenderedRecord {
    const record = renderRecord(eventId, input);
    try {
      targets.offer(record);
    } catch (error) {
      // A target must never make log() throw (formatting is guarded per target; this is the last net).
      StatusChannel.report("TARGET_FAILED", Level.ERROR, `audit targets failed on event ${JSON.stringify(eventId)}: ${renderOther(error)}`);
    }
    return record;
  }

  /**
   * Standard mode: the record goes to the host's logging, straight to its backend: the rendered
   * record as the message, the event id and the attributes (rendered and masked as in the
   * message) as key–values, made only if the binding reads them, and the marker `AUDIT`. With
   * named targets (a console target in a container, say), a host logging that is off is worth an
   * INFO only: the records do reach the targets.
   */
  private logStandard(
    config: AuditConfig,
    pipeline: StandardPipeline,
    eventId: string,
    attributes: RecordInput | undefined,
    rendered: RenderedRecord | undefined,
    toTargets: boolean,
  ): void {
    const logger = pipeline.logger;
    if (!logger.isEnabled(config.level)) {
      this.counters.levelDisabled++;
      if (!this.levelDisabledReported) {
        this.levelDisabledReported = true;
        StatusChannel.report(
          "LEVEL_DISABLED",
          toTargets ? Level.INFO : Level.WARN,
          `audit records ${toTargets ? "go to the named targets only, not to the host's logging" : "are not written"}: the host's logging (binding "${LoggerFactory.getBinding().name}") has level ${levelName(config.level)} disabled for logger ${AUDIT_LOGGER_NAME}; configure it (for log4js: a category "${AUDIT_LOGGER_NAME}" with level ${levelName(config.level).toLowerCase()} or lower) or set ${KEY_PREFIX}file.location`,
        );
      }
      return;
    }
    this.counters.logged++;
    try {
      // The key-values may be rendered after the message was built: an iterable that reads only once is collected first.
      const input = rendered !== undefined || readsAgain(attributes) ? attributes : collectAttributes(attributes, config.maxAttributes, describerFor(config));
      const message = rendered?.message ?? pipeline.build(eventId, input);
      // Straight to the backend: the record is final text, not an SLF4J pattern.
      logger.backend.log(new StandardRecord(config.level, message, currentMdc(), Date.now(), eventId, input, pipeline.renderRecord, rendered));
      this.counters.written++;
    } catch (error) {
      this.counters.errors++;
      StatusChannel.report("WRITE_FAILED", Level.ERROR, `the logging binding threw while writing an audit record: ${renderOther(error)}`);
    }
  }

  /** Hands an accepted event to every capture, rendered as the configuration's file would write it. */
  private capture(config: AuditConfig, eventId: string, collected: CollectedAttributes): void {
    try {
      if (this.captureRenderer?.config !== config) this.captureRenderer = new CaptureRenderer(config);
      const record = this.captureRenderer.record(eventId, collected, Date.now());
      for (const sink of [...this.captures]) sink(record);
    } catch (error) {
      StatusChannel.report("WRITE_FAILED", Level.ERROR, `an audit capture failed on event ${JSON.stringify(eventId)}: ${renderOther(error)}`);
    }
  }

  /** @internal Adds a capture (see {@link captureAuditRecords}); returns its removal. */
  addCapture(sink: (record: CapturedAuditRecord) => void): () => void {
    this.captures.push(sink);
    return () => {
      const index = this.captures.indexOf(sink);
      if (index >= 0) this.captures.splice(index, 1);
    };
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
    if (!this.source.useEnvironment(PROPERTIES_ENV)) return;
    this.fromEnvironment = true;
    try {
      this.loadAndApply(false);
    } catch {
      // Reported by loadAndApply; the service stays disabled until the file is fixed.
    }
    this.source.watch();
  }

  private reject(problems: readonly ConfigProblem[], code: "CONFIG_INVALID" | "CONFIG_UNREADABLE", report = true): never {
    const error = new ConfigError(problems, this.source.path);
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
    const source = this.source.read(snapshot);
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
    if (result.ok && snapshot !== undefined && !confirmed && this.source.confirmMs > 0 && this.pipeline.config?.fingerprint !== result.config.fingerprint) {
      const risk = riskyChange(this.pipeline.config, result.config);
      if (risk !== undefined) {
        // Warnings and the change itself wait for the second look.
        this.source.awaitConfirmation(snapshot, risk);
        return;
      }
    }
    for (const warning of result.warnings) {
      StatusChannel.report("CONFIG_WARNING", Level.WARN, `${this.source.path ?? "audit configuration"}: ${formatProblem(warning)}`);
    }
    this.lastApplied = source.text;
    if (!result.ok) {
      this.reject(result.problems, "CONFIG_INVALID");
    }
    if (this.pipeline.config?.fingerprint === result.config.fingerprint && !force) return;
    this.apply(result.config);
    this.noteDisabled(result.config, source.properties.find((p) => p.key === KEY_PREFIX + "enabled"));
  }

  /**
   * Says once, on stderr unless the host's logging shows it, that the configuration applied
   * leaves audit logging off (`enabled=false`, the default, and the shipped example file's
   * value), where that comes from and what to set; again only after a configuration that was on.
   */
  private noteDisabled(config: AuditConfig, given: { readonly line: number | undefined } | undefined): void {
    if (config.enabled) {
      this.disabledReported = false;
      return;
    }
    if (this.disabledReported) return;
    this.disabledReported = true;
    const key = KEY_PREFIX + "enabled";
    const path = this.source.path;
    const where =
      path === undefined ? "the properties given to configure()" : this.fromEnvironment ? `${path} (named by the environment variable ${PROPERTIES_ENV})` : path;
    const value = given === undefined ? `${key} is not set (its default is false)` : given.line === undefined ? `${key} is false` : `${key} is false (line ${given.line})`;
    StatusChannel.report(
      "AUDIT_DISABLED",
      Level.WARN,
      `audit logging is off: ${value} in ${where}, so log() writes nothing; set ${key}=true there (and ${KEY_PREFIX}file.location=<file> for a file of its own)`,
    );
  }

  /**
   * Swaps in a new configuration between two log() calls: no record sees half of each. A new
   * file that cannot be opened rejects the configuration when another one is in force (see
   * {@link assemblePipeline}).
   */
  private apply(config: AuditConfig): void {
    const old = this.pipeline;
    const next = assemblePipeline(this.host, old, config, (problem) => {
      this.lastApplied = undefined;
      return this.reject([problem], "CONFIG_INVALID");
    });
    this.pipeline = next;
    retireReplaced(this.host, old, next);
    this.levelDisabledReported = false;
    this.counters.reloads++;
    if (next.mode === "dedicated" || targetsOf(next) !== undefined) drainAtExit(this);
    StatusChannel.report("CONFIG_APPLIED", Level.INFO, `audit configuration applied from ${this.source.path ?? "code"}: ${describePipeline(next)}`);
  }

  /** @internal The last synchronous attempt at process exit. */
  drainForExit(): void {
    drainPipelineForExit(this.pipeline);
  }
}

/**
 * The former name of {@link AuditLogger}, the same class (`AuditLogServiceImpl === AuditLogger`).
 *
 * @deprecated Use {@link AuditLogger}; this alias is removed in the next major version.
 * @example
 * ```ts
 * import { AuditLogger } from "slf4ts"; // instead of AuditLogServiceImpl
 * ```
 */
export const AuditLogServiceImpl = AuditLogger;
/** @deprecated Use {@link AuditLogger}. */
export type AuditLogServiceImpl = AuditLogger;

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
export function createAuditLogService(options: AuditLogServiceOptions = {}): AuditLogger {
  const service = new AuditLogger(options);
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
export const AuditLogService: AuditLogger = new AuditLogger({ fromEnvironment: true });


/**
 * Captures what an audit service is asked to log, for a user's tests: each event that passes
 * the filters, whatever the mode (also while the service is disabled, as it is unconfigured),
 * with its attributes rendered and masked exactly as the configured file would write them. The
 * records are still written wherever the configuration sends them.
 *
 * @param service the service to watch (default: the process's `AuditLogService`).
 * @example
 * ```ts
 * import { captureAuditRecords } from "slf4ts";
 * const audit = captureAuditRecords();
 * loginHandler({ user: "ann", password: "hunter2" });
 * assert.deepEqual(audit.records.map((r) => [r.eventId, r.attributes]), [["ox.login", { login: "ann", password: "****" }]]);
 * audit.stop();
 * ```
 */
export function captureAuditRecords(service: AuditLogger = AuditLogService): AuditCapture {
  const records: CapturedAuditRecord[] = [];
  let remove: (() => void) | undefined = service.addCapture((record) => records.push(record));
  return {
    records,
    clear: () => {
      records.length = 0;
    },
    stop: () => {
      remove?.();
      remove = undefined;
    },
  };
}
