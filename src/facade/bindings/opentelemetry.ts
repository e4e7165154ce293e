/**
 * The OpenTelemetry binding: facade output as OpenTelemetry log records, through the Logs Bridge
 * API (`@opentelemetry/api-logs`). The API is loaded only when no provider is given, and only
 * then (it is an optional peer dependency).
 */
import { createRequire } from "node:module";
import type { Level } from "../level.js";
import type { BackendLogger, LoggerBinding, LogRecord } from "../binding.js";
import { renderArgument } from "../format.js";
import { errorProperty, markerNames, recordFields } from "./fields.js";

/** An OpenTelemetry attribute value (the Logs API's `AnyValue`). */
type AnyValue = string | number | boolean | Uint8Array | null | undefined | AnyValue[] | { [key: string]: AnyValue };

/** The parts of an OpenTelemetry `Logger` (`@opentelemetry/api-logs`) that the binding uses. */
export interface OpenTelemetryLogger {
  emit(record: {
    timestamp?: Date;
    severityNumber?: number;
    severityText?: string;
    body?: string;
    attributes?: Record<string, AnyValue>;
  }): void;
  /** Newer versions of the Logs API (0.200 on) only. */
  enabled?(options?: { severityNumber?: number }): boolean;
}

/** The parts of an OpenTelemetry `LoggerProvider` that the binding uses (the SDK's `LoggerProvider` is one). */
export interface OpenTelemetryLoggerProvider {
  getLogger(name: string, version?: string): OpenTelemetryLogger;
}

/** Options of {@link createOpenTelemetryBinding}. */
export interface OpenTelemetryBindingOptions {
  /** The provider to log through (default: the global one, `logs.getLoggerProvider()`). */
  readonly loggerProvider?: OpenTelemetryLoggerProvider;
  /** The instrumentation scope's name (default `slf4ts`). */
  readonly name?: string;
  /** The instrumentation scope's version (default none). */
  readonly version?: string;
}

/** SeverityNumber of TRACE, DEBUG, INFO, WARN and ERROR (the first of each range). */
const SEVERITY = [1, 5, 9, 13, 17] as const;
const SEVERITY_TEXT = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] as const;

/** The attribute of the facade logger's name. */
const OTEL_LOGGER_NAME_ATTRIBUTE = "logger.name";
const OWNED = [OTEL_LOGGER_NAME_ATTRIBUTE, "markers", "exception.type", "exception.message", "exception.stacktrace"];

/** Nesting deeper than this is written as text. */
const MAX_DEPTH = 8;

/**
 * A value as an attribute value: the SDK drops a Date, an Error, a class instance or a circular
 * object whole, so they become text (dates in ISO 8601), plain objects and arrays are converted
 * member by member, and nothing a getter throws escapes.
 */
function anyValue(value: unknown, seen: Set<object>, depth: number): AnyValue {
  if (typeof value !== "object" || value === null) {
    const kind = typeof value;
    return value === undefined || value === null || kind === "string" || kind === "number" || kind === "boolean" ? (value as AnyValue) : renderArgument(value);
  }
  if (value instanceof Uint8Array) return value;
  try {
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    if (seen.has(value) || depth >= MAX_DEPTH) return seen.has(value) ? "[Circular]" : renderArgument(value);
    if (Array.isArray(value)) {
      seen.add(value);
      const items = value.map((item) => anyValue(item, seen, depth + 1));
      seen.delete(value);
      return items;
    }
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return renderArgument(value);
    seen.add(value);
    const map: { [key: string]: AnyValue } = {};
    for (const key of Object.keys(value)) {
      let member: AnyValue;
      try {
        member = anyValue((value as Record<string, unknown>)[key], seen, depth + 1);
      } catch (error) {
        member = `[unreadable: ${renderArgument(error)}]`;
      }
      Object.defineProperty(map, key, { value: member, enumerable: true, writable: true, configurable: true });
    }
    seen.delete(value);
    return map;
  } catch (error) {
    return `[unreadable: ${renderArgument(error)}]`;
  }
}

const toAnyValue = (value: unknown): AnyValue => anyValue(value, new Set(), 0);


/** The global provider of `@opentelemetry/api-logs`, loaded now; a clear Error when it is not installed. */
function globalProvider(): OpenTelemetryLoggerProvider {
  let api: { logs: { getLoggerProvider(): OpenTelemetryLoggerProvider } };
  try {
    api = createRequire(import.meta.url)("@opentelemetry/api-logs") as typeof api;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const why = code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND" ? "which is not installed" : `which could not be loaded (${renderArgument(error).split("\n")[0] ?? ""})`;
    throw new Error(`createOpenTelemetryBinding() without a loggerProvider needs the package @opentelemetry/api-logs, ${why}; install it (npm install @opentelemetry/api-logs) or pass { loggerProvider }`);
  }
  return api.logs.getLoggerProvider();
}

/**
 * A binding onto OpenTelemetry logs: every record is emitted through one OpenTelemetry logger
 * (instrumentation scope `name`, `version`) as `{ timestamp, severityNumber, severityText, body:
 * message, attributes }`. TRACE to ERROR are severity numbers 1, 5, 9, 13 and 17. The
 * attributes are the call's key–values (a Date as ISO 8601 text; an Error, a class instance, a
 * circular reference as text: the SDK would drop them), then the MDC entries, the facade
 * logger's name as `logger.name`, the markers as `markers: ["AUDIT"]` and a throwable as the
 * semantic-convention attributes `exception.type`, `exception.message` and
 * `exception.stacktrace`. A key that one of these or an earlier field has is written with a `_`
 * after its name.
 *
 * `isEnabled` asks the OpenTelemetry logger's `enabled({ severityNumber })` on every call (true
 * with a Logs API older than `enabled`). Without `loggerProvider` the global provider is used
 * (records emitted before the application registers one are dropped by OpenTelemetry's no-op
 * provider); that loads `@opentelemetry/api-logs`, and throws an Error naming it when it is
 * not installed.
 *
 * @example
 * ```ts
 * import { LoggerProvider } from "@opentelemetry/sdk-logs";
 * import { LoggerFactory, createOpenTelemetryBinding } from "slf4ts";
 * const loggerProvider = new LoggerProvider({ processors: [] });
 * LoggerFactory.setBinding(createOpenTelemetryBinding({ loggerProvider }));
 * ```
 */
export function createOpenTelemetryBinding(options: OpenTelemetryBindingOptions = {}): LoggerBinding {
  const provider = options.loggerProvider ?? globalProvider();
  const otel = provider.getLogger(options.name ?? "slf4ts", options.version);
  const reserved = new Set(OWNED);
  const ask = otel.enabled;
  const enabled =
    typeof ask === "function"
      ? (level: Level): boolean => {
          try {
            return ask.call(otel, { severityNumber: SEVERITY[level] });
          } catch {
            return false; // asked on every call, outside the facade's guard: never throw into the caller
          }
        }
      : (): boolean => true;
  return {
    name: "opentelemetry",
    getLogger(): BackendLogger {
      return {
        isEnabled: enabled,
        log: (record: LogRecord) => {
          const attributes = recordFields(record, reserved, toAnyValue) as Record<string, AnyValue>;
          attributes[OTEL_LOGGER_NAME_ATTRIBUTE] = record.loggerName;
          if (record.markers.length > 0) attributes["markers"] = markerNames(record);
          const error = record.error;
          if (error !== undefined) {
            attributes["exception.type"] = errorProperty(error, "name") ?? "Error";
            const message = errorProperty(error, "message");
            if (message !== undefined) attributes["exception.message"] = message;
            const stack = errorProperty(error, "stack");
            if (stack !== undefined) attributes["exception.stacktrace"] = stack;
          }
          // A Date, not epoch milliseconds: older OpenTelemetry versions read a number below the
          // process's time origin as relative to it, which a clock adjustment can make Date.now().
          otel.emit({ timestamp: new Date(record.timestamp), severityNumber: SEVERITY[record.level], severityText: SEVERITY_TEXT[record.level], body: record.message, attributes });
        },
      };
    },
  };
}
