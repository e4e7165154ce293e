import { createRequire } from "node:module";
import type { Level } from "../level.js";
import { NO_PAIRS, type BackendLogger, type LoggerBinding, type LogRecord } from "../binding.js";
import { renderArgument } from "../format.js";

// The parts of log4js this binding uses (log4js 6.x).
interface Log4jsLevel {
  readonly levelStr: string;
}
interface Log4jsLogger {
  context: Record<string, unknown>;
  isLevelEnabled(level: Log4jsLevel): boolean;
  log(level: Log4jsLevel, ...data: unknown[]): void;
}
/** The parts of the log4js module that {@link createLog4jsBinding} needs. */
export interface Log4jsModule {
  getLogger(category: string): unknown;
  /** Whether log4js was configured (log4js 6.4 and later); see {@link createLog4jsBinding}. */
  isConfigured?(): boolean;
  readonly levels: Readonly<Record<"TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR", unknown>>;
}

const EMPTY_CONTEXT: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** The name of the log4js context entry that holds a call's markers (names joined by ","). */
const LOG4JS_MARKER_KEY = "marker";

/**
 * The log4js event context of a record: the MDC, then the markers as one entry
 * ({@link LOG4JS_MARKER_KEY}), then the key–values, each value rendered as a `{}` argument is (a
 * string, like an MDC value, so `%X{key}` pads and truncates as it does for the MDC). A later
 * entry wins over an earlier one of the same name: the call's own key–values over the MDC.
 */
function contextOf(record: LogRecord): Record<string, unknown> {
  // An audit record's fields are in its message already (and reading them would render them).
  const keyValues = record.messageHasKeyValues === true ? NO_PAIRS : record.keyValues;
  if (keyValues.length === 0 && record.markers.length === 0) {
    return record.mdc.size === 0 ? EMPTY_CONTEXT : Object.fromEntries(record.mdc);
  }
  const context: Record<string, unknown> = Object.fromEntries(record.mdc);
  if (record.markers.length > 0) context[LOG4JS_MARKER_KEY] = record.markers.map((m) => m.name).join(",");
  for (const { key, value } of keyValues) {
    // defineProperty: a key named "__proto__" is an entry like any other.
    Object.defineProperty(context, key, { value: renderArgument(value), enumerable: true, writable: true, configurable: true });
  }
  return context;
}

/** The notice that log4js discards everything, once per process (several bindings share it). */
let unconfiguredAnnounced = false;

function unconfiguredText(loggerName: string): string {
  return (
    `SLF4TS: log4js is not configured, so it discards every record (its default level is OFF); a call to logger ${JSON.stringify(loggerName)} was not logged.\n` +
    "SLF4TS: call log4js.configure(...) before logging, or choose another binding, e.g. LoggerFactory.setBinding(createConsoleBinding()); " +
    "audit records can have a file of their own (com.openexchange.log.audit.slf4j.file.location).\n"
  );
}

/**
 * Where log4js announces a new configuration and changes a category's level: its internal
 * modules `lib/configuration` and `lib/categories`, loaded from the same copy of log4js.
 */
export interface Log4jsInternals {
  readonly configuration: { addListener(listener: (config: unknown) => void): void };
  readonly categories: { setLevelForCategory: (category: string, level: unknown) => void };
}

/** Hooks `listener` to every change of log4js's levels; false if that is not possible. */
function hookLevelChanges(internals: Log4jsInternals | undefined, listener: () => void): boolean {
  if (internals === undefined) return false;
  try {
    const { configuration, categories } = internals;
    if (typeof configuration.addListener !== "function" || typeof categories.setLevelForCategory !== "function") return false;
    // log4js's own listeners (registered when it loaded) run first, so the new levels are in place.
    configuration.addListener(() => listener());
    const setLevel = categories.setLevelForCategory;
    categories.setLevelForCategory = (category: string, level: unknown): void => {
      setLevel(category, level);
      listener();
    };
    return true;
  } catch {
    return false;
  }
}

/**
 * A binding onto log4js: each facade logger is the log4js logger of the same name (its
 * category), so a host's `log4js.configure(...)` decides where facade output goes. The MDC of
 * the call, its key–values and its markers (the entry `marker`, names joined by ",") become
 * the log4js event context (`%X{key}` in log4js patterns; a key–value wins over an MDC entry
 * of the same name), and a throwable reaches log4js as an `Error` argument (and
 * `loggingEvent.error`).
 *
 * By default it uses the `log4js` module that `import "log4js"` resolves to from this package,
 * which is the host's own copy when the host depends on a compatible log4js 6. With
 * `internals` (see {@link loadLog4jsInternals}) it also learns of every `log4js.configure()` and
 * `logger.level = …`, so the facade decides each level once and a disabled level costs nothing;
 * and while log4js runs on the level-OFF default it gave itself (nobody configured it), the
 * first call it would discard says so once per process on stderr.
 *
 * @example
 * ```ts
 * import log4js from "log4js";
 * LoggerFactory.setBinding(createLog4jsBinding(log4js));
 * ```
 */
export function createLog4jsBinding(log4js: Log4jsModule, internals?: Log4jsInternals): LoggerBinding {
  const listeners: Array<() => void> = [];
  // log4js configures itself (level OFF) on its first getLogger() when nobody configured it;
  // until someone does (configure(), a level set), this binding says once that records are lost.
  let unconfigured = false;
  let ownGetLogger = false;
  const hooked = hookLevelChanges(internals, () => {
    if (!ownGetLogger) unconfigured = false;
    for (const listener of listeners) listener();
  });
  const announce = (loggerName: string): void => {
    if (unconfiguredAnnounced) return;
    unconfiguredAnnounced = true;
    try {
      process.stderr.write(unconfiguredText(loggerName));
    } catch {
      // Saying it must never break the caller.
    }
    // The facade decides again: a disabled level is an empty function from now on.
    for (const listener of listeners) listener();
  };
  const getLog4jsLogger = (name: string): Log4jsLogger => {
    if (!hooked || typeof log4js.isConfigured !== "function" || log4js.isConfigured()) return log4js.getLogger(name) as Log4jsLogger;
    ownGetLogger = true;
    try {
      return log4js.getLogger(name) as Log4jsLogger;
    } finally {
      ownGetLogger = false;
      // LOG4JS_CONFIG names the configuration log4js gives itself: then it is configured.
      unconfigured = process.env["LOG4JS_CONFIG"] === undefined;
    }
  };
  const levels = [
    log4js.levels.TRACE,
    log4js.levels.DEBUG,
    log4js.levels.INFO,
    log4js.levels.WARN,
    log4js.levels.ERROR,
  ] as readonly Log4jsLevel[];
  const binding: LoggerBinding = {
    name: "log4js",
    getLogger(name: string): BackendLogger {
      const logger = getLog4jsLogger(name);
      return {
        unconfiguredNotice: () => (unconfigured && !unconfiguredAnnounced ? () => announce(name) : undefined),
        isEnabled: (level: Level) => logger.isLevelEnabled(levels[level] as Log4jsLevel),
        log: (record: LogRecord) => {
          // LoggingEvent copies the logger's context when it is created, so setting it for
          // the duration of this synchronous call is enough.
          logger.context = contextOf(record);
          try {
            const level = levels[record.level] as Log4jsLevel;
            if (record.error === undefined) {
              logger.log(level, record.message);
            } else {
              // log4js layouts run util.format(...data): with a second argument, a "%" in the
              // message would be read as a directive, so it is doubled.
              const message = record.message.includes("%") ? record.message.replace(/%/g, "%%") : record.message;
              logger.log(level, message, record.error);
            }
          } finally {
            logger.context = EMPTY_CONTEXT;
          }
        },
      };
    },
  };
  return hooked ? { ...binding, onLevelsChanged: (listener) => listeners.push(listener) } : binding;
}

/**
 * Loads log4js as this package resolves it, or returns `undefined` when it is not installed.
 *
 * @example
 * ```ts
 * const log4js = loadLog4js();
 * ```
 */
export function loadLog4js(): Log4jsModule | undefined {
  try {
    return createRequire(import.meta.url)("log4js") as Log4jsModule;
  } catch {
    return undefined;
  }
}

let log4jsPath: string | null | undefined; // undefined: not looked up yet; null: not installed

/**
 * @internal Whether choosing log4js as the default binding now costs nothing more than it
 * shows: the copy {@link loadLog4js} returns is already loaded (by the application, by a
 * logger of its, or by `LOG4JS_CONFIG`, which log4js reads as it loads), or it is not installed
 * at all (then the default is the NOP binding). A log4js that nobody has loaded is unconfigured
 * and shows nothing (its default level is OFF); loading it only to learn that costs
 * about 3 MB of RSS (its modules and their dependencies).
 */
export function log4jsLoadedOrAbsent(): boolean {
  if (process.env["LOG4JS_CONFIG"] !== undefined) return true;
  const require_ = createRequire(import.meta.url);
  if (log4jsPath === undefined) {
    try {
      log4jsPath = require_.resolve("log4js");
    } catch {
      log4jsPath = null;
    }
  }
  return log4jsPath === null || require_.cache[log4jsPath] !== undefined;
}

/**
 * Loads log4js's internal `configuration` and `categories` modules from the copy that
 * {@link loadLog4js} returns, or `undefined` when their shape is not the expected one.
 *
 * @example
 * ```ts
 * const binding = createLog4jsBinding(loadLog4js()!, loadLog4jsInternals());
 * ```
 */
export function loadLog4jsInternals(): Log4jsInternals | undefined {
  try {
    const main = createRequire(import.meta.url).resolve("log4js");
    const local = createRequire(main);
    return { configuration: local("./configuration") as Log4jsInternals["configuration"], categories: local("./categories") as Log4jsInternals["categories"] };
  } catch {
    return undefined;
  }
}
