/**
 * The memory binding: keeps every record as a plain snapshot, so a user's tests can assert on
 * what their code logged (message, throwable, MDC, key–values, markers) without parsing text.
 */
import { Level } from "../level.js";
import type { BackendLogger, LoggerBinding, LogRecord } from "../binding.js";

/** One record kept by {@link createMemoryBinding}: a plain, frozen copy, taken when the call was made. */
export interface MemoryRecord {
  /** The level of the call. */
  readonly level: Level;
  /** The facade logger's name. */
  readonly loggerName: string;
  /** The message with every `{}` filled in. */
  readonly message: string;
  /** The throwable, if the call had one. */
  readonly error: Error | undefined;
  /** The MDC as it was during the call (a copy: later changes of the MDC do not show here). */
  readonly mdc: Readonly<Record<string, string>>;
  /**
   * The call's key–values (`addKeyValue`), as given (not rendered). A key added twice keeps its
   * last value; the pairs in their order, repeats included, are in {@link MemoryRecord.keyValuePairs}.
   */
  readonly keyValues: Readonly<Record<string, unknown>>;
  /** The call's key–values as a list, in the order they were added. */
  readonly keyValuePairs: ReadonlyArray<{ readonly key: string; readonly value: unknown }>;
  /** The names of the call's markers, in the order they were added. */
  readonly markers: readonly string[];
  /** When the call was made, in epoch milliseconds. */
  readonly timestamp: number;
}

/** Options of {@link createMemoryBinding}. */
export interface MemoryBindingOptions {
  /** The lowest level kept (default `Level.TRACE`: everything). Lower levels are disabled. */
  readonly level?: Level;
}

/** What {@link createMemoryBinding} returns: the binding, the records it keeps, and `clear()`. */
export interface MemoryBinding {
  /** The binding to give to `LoggerFactory.setBinding`. */
  readonly binding: LoggerBinding;
  /** The records kept so far, oldest first (this array is kept up to date; `clear()` empties it). */
  readonly records: readonly MemoryRecord[];
  /** Forgets every record (empties {@link MemoryBinding.records} in place). */
  clear(): void;
}

// Frozen, as captureAuditRecords's records are: a test cannot change what was logged by accident.
function snapshot(record: LogRecord): MemoryRecord {
  const keyValuePairs = Object.freeze(record.keyValues.map(({ key, value }) => Object.freeze({ key, value })));
  return Object.freeze({
    level: record.level,
    loggerName: record.loggerName,
    message: record.message,
    error: record.error,
    // Object.fromEntries defines each key as an own entry, "__proto__" included.
    mdc: Object.freeze(Object.fromEntries(record.mdc)),
    keyValues: Object.freeze(Object.fromEntries(keyValuePairs.map(({ key, value }) => [key, value]))),
    keyValuePairs,
    markers: Object.freeze(record.markers.map((m) => m.name)),
    timestamp: record.timestamp,
  });
}

/**
 * A binding that keeps every record in memory, for tests: each facade call at or above the
 * threshold adds a {@link MemoryRecord} (a plain snapshot with the MDC copied at call time) to
 * `records`. Levels never change, so a disabled level costs nothing, as with the other bindings.
 *
 * @example
 * ```ts
 * import test from "ava";
 * import { LoggerFactory, createMemoryBinding } from "slf4ts";
 * const memory = createMemoryBinding();
 * LoggerFactory.setBinding(memory.binding);
 * test.afterEach(() => memory.clear());
 * test("login logs the user", (t) => {
 *   login("ann");
 *   t.like(memory.records[0], { message: "user ann logged in", keyValues: { user: "ann" } });
 * });
 * ```
 */
export function createMemoryBinding(options: MemoryBindingOptions = {}): MemoryBinding {
  const threshold = options.level ?? Level.TRACE;
  const records: MemoryRecord[] = [];
  const logger: BackendLogger = {
    isEnabled: (level) => level >= threshold,
    log: (record) => {
      records.push(snapshot(record));
    },
  };
  return {
    binding: { name: "memory", getLogger: () => logger, onLevelsChanged: () => undefined },
    records,
    clear: () => {
      records.length = 0;
    },
  };
}
