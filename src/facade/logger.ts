/**
 * The facade: `Logger` and `LoggerFactory`. No I/O happens here; a binding does it.
 */
import type { BackendLogger, LoggerBinding } from "./binding.js";
import { formatMessage } from "./format.js";
import { Level } from "./level.js";
import { currentMdc } from "./mdc.js";
import { nopBinding } from "./bindings/nop.js";
import { createLog4jsBinding, loadLog4js } from "./bindings/log4js.js";

/**
 * A named logger. Messages use SLF4J's `{}` placeholders; a trailing `Error` argument is the
 * throwable. Nothing is formatted when the level is disabled.
 *
 * @example
 * ```ts
 * const log = LoggerFactory.getLogger("com.example.Login");
 * log.info("user {} logged in from {}", user, ip);
 * log.error("login failed for {}", user, err); // err reaches the backend as an error
 * if (log.isDebugEnabled()) log.debug("state {}", expensiveDump());
 * ```
 */
export class Logger {
  /** @internal */
  backend: BackendLogger;

  /** @internal Use {@link LoggerFactory.getLogger}. */
  constructor(
    /** The logger's name (log4js category). */
    readonly name: string,
    backend: BackendLogger,
  ) {
    this.backend = backend;
  }

  /** Whether TRACE is enabled for this logger in the current binding. */
  isTraceEnabled(): boolean {
    return this.backend.isEnabled(Level.TRACE);
  }
  /** Whether DEBUG is enabled. */
  isDebugEnabled(): boolean {
    return this.backend.isEnabled(Level.DEBUG);
  }
  /** Whether INFO is enabled. */
  isInfoEnabled(): boolean {
    return this.backend.isEnabled(Level.INFO);
  }
  /** Whether WARN is enabled. */
  isWarnEnabled(): boolean {
    return this.backend.isEnabled(Level.WARN);
  }
  /** Whether ERROR is enabled. */
  isErrorEnabled(): boolean {
    return this.backend.isEnabled(Level.ERROR);
  }
  /** Whether `level` is enabled. */
  isEnabled(level: Level): boolean {
    return this.backend.isEnabled(level);
  }

  /** Logs at TRACE. */
  trace(message: string, ...args: unknown[]): void {
    if (this.backend.isEnabled(Level.TRACE)) this.emit(Level.TRACE, message, args);
  }
  /** Logs at DEBUG. */
  debug(message: string, ...args: unknown[]): void {
    if (this.backend.isEnabled(Level.DEBUG)) this.emit(Level.DEBUG, message, args);
  }
  /** Logs at INFO. */
  info(message: string, ...args: unknown[]): void {
    if (this.backend.isEnabled(Level.INFO)) this.emit(Level.INFO, message, args);
  }
  /** Logs at WARN. */
  warn(message: string, ...args: unknown[]): void {
    if (this.backend.isEnabled(Level.WARN)) this.emit(Level.WARN, message, args);
  }
  /** Logs at ERROR. */
  error(message: string, ...args: unknown[]): void {
    if (this.backend.isEnabled(Level.ERROR)) this.emit(Level.ERROR, message, args);
  }
  /** Logs at `level`. */
  log(level: Level, message: string, ...args: unknown[]): void {
    if (this.backend.isEnabled(level)) this.emit(level, message, args);
  }

  private emit(level: Level, pattern: unknown, args: readonly unknown[]): void {
    const { message, error } = formatMessage(typeof pattern === "string" ? pattern : String(pattern), args);
    try {
      this.backend.log({ level, loggerName: this.name, message, error, mdc: currentMdc(), timestamp: Date.now() });
    } catch {
      // A backend must not break the caller's code path.
    }
  }
}

const loggers = new Map<string, Logger>();
let binding: LoggerBinding | undefined;

function defaultBinding(): LoggerBinding {
  const log4js = loadLog4js();
  if (log4js !== undefined) {
    return createLog4jsBinding(log4js);
  }
  process.stderr.write(
    "SLF4TS: log4js could not be loaded; defaulting to the no-operation (NOP) binding.\n" +
      "SLF4TS: install log4js or call LoggerFactory.setBinding(...) to see facade output.\n",
  );
  return nopBinding;
}

function currentBinding(): LoggerBinding {
  binding ??= defaultBinding();
  return binding;
}

/**
 * Hands out loggers and holds the binding. The default binding is log4js; with log4js absent
 * it is the no-operation binding, announced once on stderr (as SLF4J does).
 *
 * @example
 * ```ts
 * import { LoggerFactory, createConsoleBinding } from "slf4ts";
 * LoggerFactory.setBinding(createConsoleBinding());
 * LoggerFactory.getLogger("app").info("hello {}", "world");
 * ```
 */
export const LoggerFactory = {
  /** The logger of this name; the same object for the same name. */
  getLogger(name: string): Logger {
    let logger = loggers.get(name);
    if (logger === undefined) {
      logger = new Logger(name, currentBinding().getLogger(name));
      loggers.set(name, logger);
    }
    return logger;
  },
  /** Replaces the binding; loggers handed out before follow the new binding at once. */
  setBinding(newBinding: LoggerBinding): void {
    binding = newBinding;
    for (const logger of loggers.values()) {
      logger.backend = newBinding.getLogger(logger.name);
    }
  },
  /** The binding in use (loaded on first use). */
  getBinding(): LoggerBinding {
    return currentBinding();
  },
};
