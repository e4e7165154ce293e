/**
 * The audit logger: `log(eventId, attributes)` in standard mode (through the facade) or
 * dedicated mode (its own rotated files), configured by a reloadable .properties file.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Level } from "../facade/level.js";
import { LoggerFactory } from "../facade/logger.js";
import { currentMdc } from "../facade/mdc.js";
import { decodePropertiesFile, parseProperties } from "../config/properties.js";
import { ConfigError, formatProblem, type ConfigProblem } from "../config/errors.js";
import { resolveConfig, type AuditConfig, type PropertySource } from "../config/schema.js";
import { watchPath } from "../config/watcher.js";
import { RollingFileWriter, type WriterFailure, type WriterFileSystem } from "../output/rolling-file.js";
import { StatusChannel } from "../status/status.js";
import { compileRecordBuilder, type AuditAttributes, type RecordBuilder } from "./record.js";
import { renderOther } from "./values.js";

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
  /** @internal The file system of dedicated mode, for fault-injection tests. */
  readonly fileSystem?: WriterFileSystem;
}

/** Counters of a service, since it was created. */
export interface AuditStats {
  /** `disabled`, `standard` or `dedicated`. */
  readonly mode: "disabled" | "standard" | "dedicated";
  /** The active file in dedicated mode. */
  readonly file: string | undefined;
  /** Events accepted by `log()` while enabled (after filters). */
  readonly logged: number;
  /** Records handed to the operating system (dedicated) or to the binding (standard). */
  readonly written: number;
  /** Events vetoed by a filter. */
  readonly filtered: number;
  /** Standard-mode events not passed on because the host's logging has the level disabled. */
  readonly levelDisabled: number;
  /** Records that could not be written (disk full, permission denied, …). */
  readonly failed: number;
  /** Rotations done. */
  readonly rotations: number;
  /** Configurations applied (the first one included). */
  readonly reloads: number;
  /** Configurations rejected as invalid. */
  readonly rejectedConfigurations: number;
  /** Events logged after `shutdown()`, which are not written. */
  readonly afterShutdown: number;
}

interface Pipeline {
  readonly config: AuditConfig | undefined;
  readonly build: RecordBuilder | undefined;
  readonly writer: RollingFileWriter | undefined;
}

const DISABLED: Pipeline = { config: undefined, build: undefined, writer: undefined };

function errorCode(error: Error & { readonly code?: string | undefined }): string {
  return error.code ?? error.name;
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
  private failedSinceReport = 0;
  private counters = {
    logged: 0,
    written: 0,
    filtered: 0,
    levelDisabled: 0,
    failed: 0,
    rotations: 0,
    reloads: 0,
    rejectedConfigurations: 0,
    afterShutdown: 0,
  };
  private retiredRotations = 0;
  private readonly fileSystem: WriterFileSystem | undefined;
  private watchOptions: { watch: boolean; pollIntervalMs: number } = { watch: true, pollIntervalMs: 500 };

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
    this.pendingEnvironment = false;
    this.shutDown = false;
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.watchOptions = { watch: options.watch ?? true, pollIntervalMs: options.pollIntervalMs ?? 500 };
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
    this.loadAndApply(true);
  }

  /**
   * Resolves when every record accepted so far has reached the operating system. Records are
   * written synchronously by `log()`, so there is never anything pending.
   */
  async flush(): Promise<void> {
    return;
  }

  /** Stops watching, closes the files and disables the service until `configure()` is called again. */
  async shutdown(): Promise<void> {
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.retire(this.pipeline);
    this.pipeline = DISABLED;
    this.pendingEnvironment = false;
    this.shutDown = true;
  }

  /**
   * Adds a filter; every filter must accept an event for it to be logged.
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
    const { config, writer } = this.pipeline;
    const mode = config === undefined || !config.enabled ? "disabled" : config.file === undefined ? "standard" : "dedicated";
    return {
      ...this.counters,
      rotations: this.retiredRotations + (writer?.stats.rotations ?? 0),
      mode,
      file: mode === "dedicated" ? writer?.path : undefined,
    };
  }

  /**
   * Logs one audit event. Synchronous: in dedicated mode the record is in the operating
   * system when this returns. Never throws for I/O or configuration reasons; a non-string
   * event id (a programmer error) throws a `TypeError`.
   */
  log(eventId: string, attributes?: AuditAttributes): void {
    if (typeof eventId !== "string") {
      throw new TypeError(`audit event id must be a string, got ${eventId === null ? "null" : typeof eventId}`);
    }
    if (this.pendingEnvironment) this.configureFromEnvironment();
    const { config, build, writer } = this.pipeline;
    if (config === undefined || !config.enabled || build === undefined) {
      if (this.shutDown) this.noteAfterShutdown();
      return;
    }
    let input = attributes;
    if (this.filters.length > 0) {
      const pairs = this.toPairs(attributes);
      if (!this.accepts(eventId, pairs)) {
        this.counters.filtered++;
        return;
      }
      input = pairs;
    }
    const now = Date.now();
    if (writer === undefined) {
      this.logStandard(config, build, eventId, input, now);
      return;
    }
    this.counters.logged++;
    const message = build(eventId, input);
    const file = config.file;
    if (file === undefined) return;
    let line: string;
    try {
      line = file.layout({ timestamp: now, level: config.level, loggerName: AUDIT_LOGGER_NAME, message, mdc: currentMdc() });
    } catch (error) {
      // A layout converter that throws (it should not) must not lose the record.
      StatusChannel.report("RECORD_UNRENDERABLE", Level.ERROR, `layout failed (${renderOther(error)}); writing the bare message`);
      line = message + "\n";
    }
    if (writer.write(line)) {
      this.counters.written++;
      if (this.failing) {
        this.failing = false;
        StatusChannel.report(
          "WRITE_RECOVERED",
          Level.WARN,
          `audit file ${writer.path} is writable again; ${this.failedSinceReport} record(s) could not be written meanwhile`,
        );
        this.failedSinceReport = 0;
      }
    } else {
      this.counters.failed++;
      this.failedSinceReport++;
    }
  }

  private logStandard(config: AuditConfig, build: RecordBuilder, eventId: string, input: AuditAttributes | undefined, now: number): void {
    const logger = LoggerFactory.getLogger(AUDIT_LOGGER_NAME);
    if (!logger.isEnabled(config.level)) {
      this.counters.levelDisabled++;
      return;
    }
    this.counters.logged++;
    const message = build(eventId, input);
    try {
      // Straight to the backend: the record is final text, not an SLF4J pattern.
      logger.backend.log({ level: config.level, loggerName: AUDIT_LOGGER_NAME, message, error: undefined, mdc: currentMdc(), timestamp: now });
      this.counters.written++;
    } catch (error) {
      this.counters.failed++;
      StatusChannel.report("WRITE_FAILED", Level.ERROR, `the logging binding threw while writing an audit record: ${renderOther(error)}`);
    }
  }

  private toPairs(attributes: AuditAttributes | undefined): Array<readonly [unknown, unknown]> {
    const pairs: Array<readonly [unknown, unknown]> = [];
    if (attributes === undefined || attributes === null) return pairs;
    if (typeof attributes !== "object") {
      throw new TypeError(`audit attributes must be an object or an iterable of [name, value] pairs, got ${typeof attributes}`);
    }
    try {
      if (typeof (attributes as Partial<Iterable<unknown>>)[Symbol.iterator] === "function") {
        for (const pair of attributes as Iterable<unknown>) {
          pairs.push(Array.isArray(pair) ? [pair[0], pair[1]] : ["", pair]);
        }
      } else {
        for (const key of Object.keys(attributes)) {
          let value: unknown;
          try {
            value = (attributes as Record<string, unknown>)[key];
          } catch (error) {
            value = `[getter threw: ${renderOther(error)}]`;
          }
          pairs.push([key, value]);
        }
      }
    } catch (error) {
      pairs.push(["slf4ts.error", `attributes could not be read: ${renderOther(error)}`]);
    }
    return pairs;
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
    if (this.propertiesFile !== undefined && this.watchOptions.watch && this.stopWatching === undefined) {
      this.stopWatching = watchPath(this.propertiesFile, () => this.onFileChanged(), this.watchOptions.pollIntervalMs);
    }
  }

  private onFileChanged(): void {
    try {
      this.loadAndApply(false);
    } catch {
      // Already reported on the status channel; the last good configuration stays.
    }
  }

  /** Reads the current source; returns its properties and a text to compare with the last one. */
  private readSource(): { properties: PropertySource[]; text: string; baseDir: string } | ConfigProblem[] {
    if (this.propertiesFile === undefined) {
      const properties = Object.entries(this.inlineProperties ?? {}).map(([key, value]) => ({ key, value: String(value), line: undefined }));
      return { properties, text: JSON.stringify(properties), baseDir: process.cwd() };
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.propertiesFile);
    } catch (error) {
      return [{ key: undefined, value: undefined, line: undefined, expected: `cannot read the file (${errorCode(error as NodeJS.ErrnoException)})` }];
    }
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

  /**
   * Reads, validates and applies the configuration. Throws a ConfigError (after reporting it)
   * when it is invalid. With `force` false an unchanged file is not applied again.
   */
  private loadAndApply(force: boolean): void {
    const source = this.readSource();
    if (Array.isArray(source)) {
      const unreadable = source.length === 1 && source[0]?.line === undefined;
      const error = new ConfigError(source, this.propertiesFile);
      if (!(unreadable && this.unreadableReported && !force)) {
        StatusChannel.report(unreadable ? "CONFIG_UNREADABLE" : "CONFIG_INVALID", Level.ERROR, `${error.message}\nThe last good configuration stays in force.`);
      }
      this.unreadableReported = unreadable;
      this.counters.rejectedConfigurations++;
      this.lastApplied = undefined;
      throw error;
    }
    this.unreadableReported = false;
    if (!force && source.text === this.lastApplied) return;
    const result = resolveConfig(source.properties, source.baseDir);
    for (const warning of result.warnings) {
      StatusChannel.report("CONFIG_WARNING", Level.WARN, `${this.propertiesFile ?? "audit configuration"}: ${formatProblem(warning)}`);
    }
    if (!result.ok) {
      const error = new ConfigError(result.problems, this.propertiesFile);
      StatusChannel.report("CONFIG_INVALID", Level.ERROR, `${error.message}\nThe last good configuration stays in force.`);
      this.counters.rejectedConfigurations++;
      this.lastApplied = source.text;
      throw error;
    }
    this.lastApplied = source.text;
    if (this.pipeline.config?.fingerprint === result.config.fingerprint && !force) return;
    this.apply(result.config);
  }

  /** Swaps in a new configuration between two log() calls: no record sees half of each. */
  private apply(config: AuditConfig): void {
    const old = this.pipeline;
    let writer: RollingFileWriter | undefined;
    if (config.enabled && config.file !== undefined) {
      const policy = { maxSize: config.file.maxSize, maxArchives: config.file.maxArchives };
      if (old.writer !== undefined && old.writer.path === config.file.location) {
        writer = old.writer;
        writer.setPolicy(policy);
      } else {
        writer = new RollingFileWriter(config.file.location, policy, (f) => this.onWriterFailure(f), this.fileSystem);
        writer.open();
      }
    }
    const build = compileRecordBuilder(config, config.formatDate);
    this.pipeline = { config, build, writer };
    if (old.writer !== undefined && old.writer !== writer) this.retire(old);
    this.counters.reloads++;
    const mode = !config.enabled
      ? "disabled"
      : config.file === undefined
        ? "standard mode"
        : `dedicated mode, writing ${config.file.location} (rotated at ${config.file.maxSize} bytes, ${config.file.maxArchives} archives kept)`;
    StatusChannel.report("CONFIG_APPLIED", Level.INFO, `audit configuration applied from ${this.propertiesFile ?? "code"}: ${mode}`);
  }

  private retire(pipeline: Pipeline): void {
    if (pipeline.writer !== undefined) {
      this.retiredRotations += pipeline.writer.stats.rotations;
      pipeline.writer.close();
    }
  }

  private onWriterFailure(failure: WriterFailure): void {
    if (failure.operation === "rotate") {
      StatusChannel.report("ROTATE_FAILED", Level.ERROR, `could not rotate ${failure.path} (${errorCode(failure.error)}: ${failure.error.message}); appending to the active file`);
      return;
    }
    if (!this.failing) {
      this.failing = true;
      StatusChannel.report("WRITE_FAILED", Level.ERROR, `cannot ${failure.operation} audit file ${failure.path} (${errorCode(failure.error)}: ${failure.error.message}); records are counted as failed until it works again`);
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

