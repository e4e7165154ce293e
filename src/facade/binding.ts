/**
 * The small interface between the facade and a logging backend. A binding is all a user
 * writes to send facade output to another logger.
 */
import type { Level } from "./level.js";
import type { Marker } from "./marker.js";

/** One key–value pair of a log call (SLF4J 2's `addKeyValue`), as a binding receives it. */
export interface KeyValuePair {
  /** The key, as the caller gave it. */
  readonly key: string;
  /** The value, as the caller gave it (a binding renders it as its backend prefers). */
  readonly value: unknown;
}

/** The empty list every record without key–values or markers shares. */
export const NO_PAIRS: readonly KeyValuePair[] = Object.freeze([]);
/** The empty marker list every record without markers shares. */
export const NO_MARKERS: readonly Marker[] = Object.freeze([]);

/** One log call that passed the level check, as the facade hands it to a backend. */
export interface LogRecord {
  /** The level of the call. */
  readonly level: Level;
  /** The facade logger's name (log4js uses it as the category). */
  readonly loggerName: string;
  /** The message with every `{}` filled in. */
  readonly message: string;
  /** The throwable: the fluent API's `setCause`, else a trailing `Error` argument of the call, if there was one. */
  readonly error: Error | undefined;
  /** The MDC of the calling context, live: read it during `log()`, do not keep it. */
  readonly mdc: ReadonlyMap<string, string>;
  /** When the call was made, in epoch milliseconds. */
  readonly timestamp: number;
  /**
   * Structured data of the call, in the order given: the fluent API's `addKeyValue`, and in
   * standard mode an audit record's event id and attributes. Empty (shared, frozen) when none.
   */
  readonly keyValues: readonly KeyValuePair[];
  /** The markers of the call (the fluent API's `addMarker`). Empty (shared, frozen) when none. */
  readonly markers: readonly Marker[];
  /**
   * True when the message already says every key–value (an audit record in standard mode: the
   * rendered record is the message). A text binding (console, log4js) then writes the message
   * alone and does not read `keyValues` (which may cost a rendering); a structured binding
   * (pino, winston, OpenTelemetry) still sends them as fields.
   */
  readonly messageHasKeyValues?: boolean;
}

/** A backend's logger for one name. */
export interface BackendLogger {
  /** Whether a call at `level` would be logged; the facade formats nothing when it is not. */
  isEnabled(level: Level): boolean;
  /** Delivers one record. Must not throw; the facade guards it anyway. */
  log(record: LogRecord): void;
  /**
   * Optional, for a binding that announces level changes: while its backend discards every
   * record only because nobody configured it (log4js's own default is level OFF), a function
   * the facade calls instead of nothing on a call at a disabled level, so the binding can say
   * so once. The facade asks when it decides the levels; once the binding has said it, it
   * announces a level change and answers `undefined`, and a disabled level is an empty
   * function again.
   */
  unconfiguredNotice?(): (() => void) | undefined;
}

/**
 * A backend. `getLogger` is called once per facade logger name and again when the binding is
 * replaced, so it may create and keep per-name state.
 *
 * pino, winston and OpenTelemetry have theirs (`createPinoBinding`, `createWinstonBinding`,
 * `createOpenTelemetryBinding`); your own backend is a few lines.
 *
 * @example
 * ```ts
 * import { LoggerFactory, Level, type LoggerBinding } from "slf4ts";
 * const lines: LoggerBinding = {
 *   name: "lines",
 *   getLogger: (name) => ({
 *     isEnabled: (level) => level >= Level.INFO,
 *     log: (record) => console.log(`${name}: ${record.message}`),
 *   }),
 * };
 * LoggerFactory.setBinding(lines);
 * ```
 */
export interface LoggerBinding {
  /** A short name for diagnostics ("log4js", "console", "nop", …). */
  readonly name: string;
  /** Returns the backend logger for a facade logger name. */
  getLogger(name: string): BackendLogger;
  /**
   * Optional: registers a function the binding calls whenever the answers of `isEnabled` may
   * have changed (the backend was reconfigured). A binding that offers it promises that
   * `isEnabled` answers the same until then, so the facade can decide each level once and make
   * a disabled level a call to an empty function. Without it, `isEnabled` is asked on every call.
   */
  onLevelsChanged?(listener: () => void): void;
}
