/**
 * The facade: `Logger` and `LoggerFactory`. No I/O happens here; a binding does it.
 */
import { NO_MARKERS, NO_PAIRS, type BackendLogger, type KeyValuePair, type LoggerBinding } from "./binding.js";
import { DefaultLoggingEventBuilder, NOP_EVENT_BUILDER, type LoggingEventBuilder } from "./event-builder.js";
import { formatMessage } from "./format.js";
import { Level } from "./level.js";
import type { Marker } from "./marker.js";
import { currentMdc } from "./mdc.js";
import { nopBinding } from "./bindings/nop.js";
import { createLog4jsBinding, loadLog4js, loadLog4jsInternals, log4jsLoadedOrAbsent } from "./bindings/log4js.js";

/** A logging method: an SLF4J message pattern and its arguments (a trailing `Error` is the throwable). */
export type LogMethod = (message: string, ...args: unknown[]) => void;

const NOOP: LogMethod = () => undefined;

/**
 * A named logger. Messages use SLF4J's `{}` placeholders; a trailing `Error` argument is the
 * throwable. Nothing is formatted when the level is disabled. With a binding that announces
 * level changes (log4js, console, nop), each level is decided once per change and a disabled
 * level's method *is* an empty function.
 *
 * @example
 * ```ts
 * const log = LoggerFactory.getLogger("com.example.Login");
 * log.info("user {} logged in from {}", user, ip);
 * log.error("login failed for {}", user, err); // err reaches the backend as an error
 * if (log.isDebugEnabled()) log.debug("state {}", expensiveDump());
 * log.atInfo().addKeyValue("user", user).log("logged in"); // SLF4J 2's fluent API
 * ```
 */
export class Logger {
  /** @internal */
  backend: BackendLogger;
  /** @internal Whether the binding announces level changes (levels decided once). */
  cached = false;
  private enabled = [false, false, false, false, false];
  /** What a call at a disabled level does: nothing, or once the binding's notice (see BackendLogger.unconfiguredNotice). */
  private off: LogMethod = NOOP;
  /** Logs at TRACE. */
  trace: LogMethod = NOOP;
  /** Logs at DEBUG. */
  debug: LogMethod = NOOP;
  /** Logs at INFO. */
  info: LogMethod = NOOP;
  /** Logs at WARN. */
  warn: LogMethod = NOOP;
  /** Logs at ERROR. */
  error: LogMethod = NOOP;

  /** @internal Use {@link LoggerFactory.getLogger}. */
  constructor(
    /** The logger's name (log4js category). */
    readonly name: string,
    backend: BackendLogger,
    cached: boolean,
  ) {
    this.backend = backend;
    this.bind(backend, cached);
  }

  /** @internal Points the logger at a backend and decides (or not) its levels. */
  bind(backend: BackendLogger, cached: boolean): void {
    this.backend = backend;
    this.cached = cached;
    this.refresh();
  }

  /** @internal Decides every level again (the binding said levels changed). */
  refresh(): void {
    const methods: LogMethod[] = [];
    let notice: (() => void) | undefined;
    try {
      notice = this.cached ? this.backend.unconfiguredNotice?.() : undefined;
    } catch {
      notice = undefined;
    }
    const off: LogMethod = notice === undefined ? NOOP : () => notice();
    this.off = off;
    for (let level = Level.TRACE; level <= Level.ERROR; level++) {
      const l = level as Level;
      if (this.cached) {
        let on: boolean;
        try {
          on = this.backend.isEnabled(l);
        } catch {
          on = false; // a backend that cannot answer logs nothing at that level, and never throws here
        }
        this.enabled[l] = on;
        methods.push(on ? (message, ...args) => this.emit(l, message, args) : off);
      } else {
        methods.push((message, ...args) => {
          if (this.backend.isEnabled(l)) this.emit(l, message, args);
        });
      }
    }
    [this.trace, this.debug, this.info, this.warn, this.error] = methods as [LogMethod, LogMethod, LogMethod, LogMethod, LogMethod];
  }

  /** Whether `level` is enabled. */
  isEnabled(level: Level): boolean {
    return this.cached ? this.enabled[level] === true : this.backend.isEnabled(level);
  }
  /** Whether TRACE is enabled for this logger in the current binding. */
  isTraceEnabled(): boolean {
    return this.isEnabled(Level.TRACE);
  }
  /** Whether DEBUG is enabled. */
  isDebugEnabled(): boolean {
    return this.isEnabled(Level.DEBUG);
  }
  /** Whether INFO is enabled. */
  isInfoEnabled(): boolean {
    return this.isEnabled(Level.INFO);
  }
  /** Whether WARN is enabled. */
  isWarnEnabled(): boolean {
    return this.isEnabled(Level.WARN);
  }
  /** Whether ERROR is enabled. */
  isErrorEnabled(): boolean {
    return this.isEnabled(Level.ERROR);
  }
  /** Logs at `level`. */
  log(level: Level, message: string, ...args: unknown[]): void {
    if (this.isEnabled(level)) this.emit(level, message, args);
    else this.off(message);
  }

  /**
   * A {@link LoggingEventBuilder} at `level` (SLF4J 2's fluent API). Whether the level is enabled
   * is decided here, once: a disabled level (or a value that is not a {@link Level}) gives the
   * shared no-op builder, on which nothing is called or formatted.
   *
   * @example
   * ```ts
   * log.atLevel(Level.WARN).addKeyValue("attempts", 3).log("login of {} refused", user);
   * ```
   */
  atLevel(level: Level): LoggingEventBuilder {
    if (!Number.isInteger(level) || level < Level.TRACE || level > Level.ERROR) return NOP_EVENT_BUILDER;
    return this.builder(level);
  }

  private builder(level: Level): LoggingEventBuilder {
    let on: boolean;
    if (this.cached) {
      on = this.enabled[level] === true;
    } else {
      try {
        on = this.backend.isEnabled(level);
      } catch {
        on = false; // as in refresh(): a backend that cannot answer logs nothing
      }
    }
    if (on) return new DefaultLoggingEventBuilder(this.sink, level);
    // A disabled level: as its plain method, the binding's notice once (log4js never configured).
    if (this.off !== NOOP) this.off("");
    return NOP_EVENT_BUILDER;
  }
  /**
   * A builder at TRACE: `log.atTrace().addKeyValue("k", v).log("message {}", arg)`. See
   * {@link LoggingEventBuilder} for the rules.
   */
  atTrace(): LoggingEventBuilder {
    return this.builder(Level.TRACE);
  }
  /** A builder at DEBUG (see {@link Logger.atTrace}). */
  atDebug(): LoggingEventBuilder {
    return this.builder(Level.DEBUG);
  }
  /** A builder at INFO (see {@link Logger.atTrace}). */
  atInfo(): LoggingEventBuilder {
    return this.builder(Level.INFO);
  }
  /** A builder at WARN (see {@link Logger.atTrace}). */
  atWarn(): LoggingEventBuilder {
    return this.builder(Level.WARN);
  }
  /** A builder at ERROR (see {@link Logger.atTrace}). */
  atError(): LoggingEventBuilder {
    return this.builder(Level.ERROR);
  }

  // The fluent builders' way to the binding (bound once per logger, not per event).
  private readonly sink = (level: Level, pattern: unknown, args: readonly unknown[], keyValues: readonly KeyValuePair[], markers: readonly Marker[]): void =>
    this.emit(level, pattern, args, keyValues, markers);

  private emit(level: Level, pattern: unknown, args: readonly unknown[], keyValues: readonly KeyValuePair[] = NO_PAIRS, markers: readonly Marker[] = NO_MARKERS): void {
    try {
      const { message, error } = formatMessage(typeof pattern === "string" ? pattern : String(pattern), args);
      this.backend.log({ level, loggerName: this.name, message, error, mdc: currentMdc(), timestamp: Date.now(), keyValues, markers });
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
    return createLog4jsBinding(log4js, loadLog4jsInternals());
  }
  // Said when a logger of the application's is first asked for (not one of the library's own:
  // a program that only writes a dedicated audit file needs no binding and hears nothing).
  nopNoticePending = true;
  return nopBinding;
}

/** Whether the fallback to NOP is still to be announced. */
let nopNoticePending = false;

function announceNop(): void {
  if (!nopNoticePending || binding !== nopBinding) return;
  nopNoticePending = false;
  process.stderr.write(
    "SLF4TS: log4js could not be loaded; defaulting to the no-operation (NOP) binding.\n" +
      "SLF4TS: install log4js or call LoggerFactory.setBinding(...) to see facade output.\n",
  );
}

/** The logger of this name, made on first use. */
function loggerFor(name: string): Logger {
  let logger = loggers.get(name);
  if (logger === undefined) {
    const b = currentBinding();
    logger = new Logger(name, b.getLogger(name), b.onLevelsChanged !== undefined);
    loggers.set(name, logger);
  }
  return logger;
}

/**
 * @internal The library's own logger (the status channel's): as `LoggerFactory.getLogger`, but
 * it does not announce the fallback to NOP, which concerns the application's loggers, and it
 * does not choose the default binding while that would mean loading a log4js nobody has loaded
 * (unconfigured, it would show nothing): then `undefined`, and the caller treats every level as
 * disabled. Asked again later (the application has loaded and configured log4js meanwhile), it
 * binds as usual. A program that only writes a dedicated audit file so never loads log4js.
 */
export function getLibraryLogger(name: string): Logger | undefined {
  if (binding === undefined && !log4jsLoadedOrAbsent()) return undefined;
  return loggerFor(name);
}

// Bindings whose level announcements are already wired to the loggers.
const announcing = new WeakSet<LoggerBinding>();

function install(newBinding: LoggerBinding): void {
  binding = newBinding;
  if (newBinding.onLevelsChanged !== undefined && !announcing.has(newBinding)) {
    announcing.add(newBinding);
    newBinding.onLevelsChanged(() => {
      if (binding !== newBinding) return;
      for (const logger of loggers.values()) {
        try {
          logger.refresh();
        } catch {
          // One logger's failure must not leave the others with stale levels.
        }
      }
    });
  }
}

function currentBinding(): LoggerBinding {
  if (binding === undefined) install(defaultBinding());
  return binding as LoggerBinding;
}

/**
 * Hands out loggers and holds the binding. The default binding is log4js; with log4js absent
 * it is the no-operation binding, announced once on stderr (as SLF4J does) when the application
 * first asks for a logger (the audit logger's standard mode counts; its status reports do not).
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
    const logger = loggerFor(name);
    if (nopNoticePending) announceNop();
    return logger;
  },
  /** Replaces the binding; loggers handed out before follow the new binding at once. */
  setBinding(newBinding: LoggerBinding): void {
    install(newBinding);
    for (const logger of loggers.values()) {
      logger.bind(newBinding.getLogger(logger.name), newBinding.onLevelsChanged !== undefined);
    }
  },
  /**
   * Decides every logger's levels again. Only needed with a binding that announces level
   * changes when its backend was reconfigured in a way the binding cannot see.
   */
  refresh(): void {
    for (const logger of loggers.values()) logger.refresh();
  },
  /** The binding in use (loaded on first use). */
  getBinding(): LoggerBinding {
    return currentBinding();
  },
};
