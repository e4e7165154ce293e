import { createRequire } from "node:module";
import type { Level } from "../level.js";
import type { BackendLogger, LoggerBinding, LogRecord } from "../binding.js";

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
  readonly levels: Readonly<Record<"TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR", unknown>>;
}

const EMPTY_CONTEXT: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * A binding onto log4js: each facade logger is the log4js logger of the same name (its
 * category), so a host's `log4js.configure(...)` decides where facade output goes. The MDC of
 * the call becomes the log4js event context (`%X{key}` in log4js patterns), and a throwable
 * reaches log4js as an `Error` argument (and `loggingEvent.error`).
 *
 * By default it uses the `log4js` module that `import "log4js"` resolves to from this package,
 * which is the host's own copy when the host depends on a compatible log4js 6.
 *
 * @example
 * ```ts
 * import log4js from "log4js";
 * LoggerFactory.setBinding(createLog4jsBinding(log4js));
 * ```
 */
export function createLog4jsBinding(log4js: Log4jsModule): LoggerBinding {
  const levels = [
    log4js.levels.TRACE,
    log4js.levels.DEBUG,
    log4js.levels.INFO,
    log4js.levels.WARN,
    log4js.levels.ERROR,
  ] as readonly Log4jsLevel[];
  return {
    name: "log4js",
    getLogger(name: string): BackendLogger {
      const logger = log4js.getLogger(name) as Log4jsLogger;
      return {
        isEnabled: (level: Level) => logger.isLevelEnabled(levels[level] as Log4jsLevel),
        log: (record: LogRecord) => {
          // LoggingEvent copies the logger's context when it is created, so setting it for
          // the duration of this synchronous call is enough.
          logger.context = record.mdc.size === 0 ? EMPTY_CONTEXT : Object.fromEntries(record.mdc);
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
