/**
 * The winston binding: facade output through the host's own winston logger, with the record's
 * structured data as winston metadata. Nothing of winston is imported: the binding takes the
 * host's logger object.
 */
import type { Level } from "../level.js";
import type { BackendLogger, LoggerBinding, LogRecord } from "../binding.js";
import { renderArgument } from "../format.js";
import { errorProperty, markerNames, recordFields } from "./fields.js";

/** The parts of a winston logger (winston 3) that {@link createWinstonBinding} uses; a winston logger is one. */
export interface WinstonLike {
  log(entry: { level: string; message: string; [field: string]: unknown }): unknown;
  isLevelEnabled(level: string): boolean;
  /** The logger's levels by name (winston's `logger.levels`); checked against the mapping when present. */
  readonly levels?: Readonly<Record<string, number>>;
}

/** Options of {@link createWinstonBinding}. */
export interface WinstonBindingOptions {
  /** The metadata field holding the facade logger's name (default `logger`). */
  readonly nameKey?: string;
  /**
   * winston's level names for TRACE, DEBUG, INFO, WARN and ERROR, in that order (default
   * `["silly", "debug", "info", "warn", "error"]`, winston's npm levels; for
   * `winston.config.syslog.levels` e.g. `["debug", "debug", "info", "warning", "error"]`).
   */
  readonly levels?: readonly [string, string, string, string, string];
}

/** TRACE is below DEBUG in SLF4J, and `silly` is the one npm level below `debug`. */
const NPM_LEVELS = ["silly", "debug", "info", "warn", "error"] as const;

/** What winston owns in an entry, and what this binding writes besides the fields. */
const WINSTON_OWNED = ["level", "message", "error", "markers"];


/** An Error as plain data: winston's JSON format writes an `Error` itself as `{}`. */
function errorFields(error: Error): { name: string; message: string; stack: string | undefined } {
  return { name: errorProperty(error, "name") ?? "Error", message: errorProperty(error, "message") ?? "", stack: errorProperty(error, "stack") };
}

/** A value as text when it is an object or a function (what the second attempt sends). */
function plain(value: unknown): unknown {
  return value !== null && (typeof value === "object" || typeof value === "function") ? renderArgument(value) : value;
}

/**
 * A binding onto winston: a record goes out as `winston.log({ level, message, ...fields })`. The
 * fields are the facade logger's name (`logger`), the call's key–values, each its own metadata
 * field (an object value stays an object; winston's formats serialise it), then the MDC entries,
 * the throwable as `error: { name, message, stack }` and the markers as `markers: ["AUDIT"]`.
 * TRACE is winston's `silly` (npm levels have nothing between `silly` and `debug`; `levels`
 * changes the mapping). A field whose name winston or the binding owns (`level`, `message`,
 * `error`, `markers`, the name field) or that an earlier field has is written with a `_` after
 * its name (`level_`), so nothing is lost.
 *
 * A mapped level the logger does not have (winston's syslog levels have no `warn`) is a
 * `TypeError` here, naming it, rather than records that winston drops silently.
 *
 * `isEnabled` asks winston's `isLevelEnabled` on every call (winston announces no level
 * changes). When winston throws on a value (a getter that throws), the record is sent again with
 * every object value as text; the facade never throws into the caller.
 *
 * @example
 * ```ts
 * import winston from "winston";
 * import { LoggerFactory, createWinstonBinding } from "slf4ts";
 * const host = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Console()] });
 * LoggerFactory.setBinding(createWinstonBinding(host));
 * LoggerFactory.getLogger("com.example.Login").info("user {} logged in", "ann");
 * // {"level":"info","logger":"com.example.Login","message":"user ann logged in"}
 * ```
 */
export function createWinstonBinding(winston: WinstonLike, options: WinstonBindingOptions = {}): LoggerBinding {
  const nameKey = options.nameKey ?? "logger";
  const levels = options.levels ?? NPM_LEVELS;
  // A level winston does not have would be dropped by winston without a word: refuse the mapping now.
  const known = winston.levels;
  if (known !== undefined && known !== null && typeof known === "object") {
    const missing = [...new Set(levels.filter((level) => !Object.prototype.hasOwnProperty.call(known, level)))];
    if (missing.length > 0) {
      throw new TypeError(
        `createWinstonBinding: the winston logger has no level ${missing.map((l) => JSON.stringify(l)).join(", ")} (its levels: ${Object.keys(known).join(", ")}); ` +
          `pass options.levels, winston's names for TRACE, DEBUG, INFO, WARN and ERROR, e.g. ["debug", "debug", "info", "warning", "error"] for winston.config.syslog.levels`,
      );
    }
  }
  const reserved = new Set([...WINSTON_OWNED, nameKey]);
  const send = (record: LogRecord, convert: ((value: unknown) => unknown) | undefined): void => {
    const fields = record.keyValues.length === 0 && record.mdc.size === 0 ? {} : recordFields(record, reserved, convert);
    if (record.error !== undefined) fields["error"] = errorFields(record.error);
    if (record.markers.length > 0) fields["markers"] = markerNames(record);
    winston.log({ level: levels[record.level] as string, message: record.message, [nameKey]: record.loggerName, ...fields });
  };
  return {
    name: "winston",
    getLogger(): BackendLogger {
      return {
        isEnabled: (level: Level) => {
          try {
            return winston.isLevelEnabled(levels[level] as string);
          } catch {
            return false; // asked on every call, outside the facade's guard: never throw into the caller
          }
        },
        log: (record: LogRecord) => {
          try {
            send(record, undefined);
          } catch (error) {
            if (record.keyValues.length === 0) throw error;
            send(record, plain);
          }
        },
      };
    },
  };
}
