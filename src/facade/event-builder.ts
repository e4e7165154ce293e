/**
 * SLF4J 2's fluent API: the `LoggingEventBuilder` that `Logger.atInfo()` and its siblings return,
 * the one shared no-op builder of a disabled level, and the builder of an enabled one (a
 * translation of `org.slf4j.spi.DefaultLoggingEventBuilder`).
 */
import type { KeyValuePair } from "./binding.js";
import { NO_MARKERS, NO_PAIRS } from "./binding.js";
import type { Level } from "./level.js";
import type { Marker } from "./marker.js";

/**
 * One log event under construction (SLF4J 2's `org.slf4j.spi.LoggingEventBuilder`). Each method
 * but `log` returns the builder; `log` sends the event to the binding.
 *
 * The rules, as SLF4J 2.0's `DefaultLoggingEventBuilder` has them:
 * - arguments given to `log(message, ...args)` come after those of `addArgument`;
 * - `setCause(err)` makes `err` the throwable, and a trailing `Error` among the arguments is then
 *   an ordinary argument (it fills a `{}` or is ignored); without `setCause`, a trailing `Error`
 *   argument is the throwable, as in the classic methods;
 * - a **function** given to `addKeyValue`, `addArgument`, `setMessage` or `log` as the message is a
 *   supplier (SLF4J's `Supplier` overloads): it is called once, when it is added, and only at an
 *   enabled level (a disabled level's builder calls nothing). A supplier that throws gives the
 *   value `"[FAILED supplier()]"`; the exception does not reach the caller. Functions among the
 *   arguments of `log(message, ...args)` are values, as in SLF4J (`Object...`).
 * - `log()` without a message logs an empty message.
 *
 * The builder of a disabled level is one shared, frozen object whose methods do nothing, so a
 * disabled `log.atDebug().addKeyValue("k", v).log("…")` allocates and formats nothing.
 *
 * @example
 * ```ts
 * import { LoggerFactory, MarkerFactory } from "slf4ts";
 * const log = LoggerFactory.getLogger("com.example.Login");
 * log.atInfo()
 *   .addMarker(MarkerFactory.getMarker("AUDIT"))
 *   .addKeyValue("user", "thorben")
 *   .addKeyValue("sessions", () => countSessions()) // called only if INFO is enabled
 *   .log("user {} logged in from {}", "thorben", "::1");
 * log.atError().setCause(err).log("login failed");
 * ```
 */
export interface LoggingEventBuilder {
  /** Adds a key–value pair (a function is a supplier, called now if the level is enabled). */
  addKeyValue(key: string, value: unknown): LoggingEventBuilder;
  /** Adds an argument for the next `{}` (a function is a supplier, called now if the level is enabled). */
  addArgument(arg: unknown): LoggingEventBuilder;
  /** Sets the throwable; it wins over a trailing `Error` argument. `undefined` or `null` removes it. */
  setCause(cause: Error | null | undefined): LoggingEventBuilder;
  /** Sets the message pattern (a function is a supplier, called now if the level is enabled). */
  setMessage(message: string | (() => string)): LoggingEventBuilder;
  /** Adds a marker (`MarkerFactory.getMarker(name)`). */
  addMarker(marker: Marker): LoggingEventBuilder;
  /** Logs the event with the message set before (or an empty one). */
  log(): void;
  /** Logs the event with this message; `args` come after those of `addArgument`. */
  log(message: string | (() => string), ...args: unknown[]): void;
}

/** The builder of every disabled level: one frozen object whose methods do nothing. */
export const NOP_EVENT_BUILDER: LoggingEventBuilder = Object.freeze({
  addKeyValue: () => NOP_EVENT_BUILDER,
  addArgument: () => NOP_EVENT_BUILDER,
  setCause: () => NOP_EVENT_BUILDER,
  setMessage: () => NOP_EVENT_BUILDER,
  addMarker: () => NOP_EVENT_BUILDER,
  log: () => undefined,
});

/** Where an enabled builder sends its event: the logger's own path to the binding. */
export type EventSink = (
  level: Level,
  message: unknown,
  args: readonly unknown[],
  keyValues: readonly KeyValuePair[],
  markers: readonly Marker[],
) => void;

/** The text a supplier that threw leaves in place of its value. */
export const FAILED_SUPPLIER = "[FAILED supplier()]";

function resolve(value: unknown): unknown {
  if (typeof value !== "function") return value;
  try {
    return (value as () => unknown)();
  } catch {
    return FAILED_SUPPLIER;
  }
}

/** The builder of an enabled level (`DefaultLoggingEventBuilder`). */
export class DefaultLoggingEventBuilder implements LoggingEventBuilder {
  private message: unknown = "";
  private args: unknown[] | undefined;
  private cause: Error | undefined;
  private pairs: KeyValuePair[] | undefined;
  private markers: Marker[] | undefined;

  constructor(
    private readonly sink: EventSink,
    private readonly level: Level,
  ) {}

  addKeyValue(key: string, value: unknown): LoggingEventBuilder {
    (this.pairs ??= []).push({ key: typeof key === "string" ? key : String(key), value: resolve(value) });
    return this;
  }

  addArgument(arg: unknown): LoggingEventBuilder {
    (this.args ??= []).push(resolve(arg));
    return this;
  }

  setCause(cause: Error | null | undefined): LoggingEventBuilder {
    this.cause = cause ?? undefined;
    return this;
  }

  setMessage(message: string | (() => string)): LoggingEventBuilder {
    this.message = resolve(message) ?? "";
    return this;
  }

  addMarker(marker: Marker): LoggingEventBuilder {
    if (marker !== null && marker !== undefined) (this.markers ??= []).push(marker);
    return this;
  }

  log(...call: unknown[]): void {
    let message = this.message;
    let args: readonly unknown[] = this.args ?? NO_ARGS;
    if (call.length > 0) {
      message = resolve(call[0]) ?? "";
      if (call.length > 1) args = args.length === 0 ? call.slice(1) : [...args, ...call.slice(1)];
    }
    // SLF4J passes the cause as one more argument after all the others, so the formatter takes
    // it as the throwable and a trailing Error before it is only an argument.
    if (this.cause !== undefined) args = [...args, this.cause];
    this.sink(this.level, message, args, this.pairs ?? NO_PAIRS, this.markers ?? NO_MARKERS);
  }
}

const NO_ARGS: readonly unknown[] = Object.freeze([]);
