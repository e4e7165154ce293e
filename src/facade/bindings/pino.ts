/**
 * The pino binding: facade output as pino's structured JSON, through the host's own pino logger.
 * Nothing of pino is imported: the binding takes the host's logger object.
 */
import type { Level } from "../level.js";
import type { BackendLogger, LoggerBinding, LogRecord } from "../binding.js";
import { markerNames, recordFields } from "./fields.js";

type PinoLevel = "trace" | "debug" | "info" | "warn" | "error";
type PinoLogFn = (fields: object, message: string) => void;

/**
 * The parts of a pino logger (pino 7 to 10) that {@link createPinoBinding} uses; a pino logger is
 * one. `on` is the `level-change` event of pino's loggers.
 */
export interface PinoLike {
  child(bindings: Record<string, unknown>): PinoLike;
  isLevelEnabled(level: string): boolean;
  level: string;
  trace: PinoLogFn;
  debug: PinoLogFn;
  info: PinoLogFn;
  warn: PinoLogFn;
  error: PinoLogFn;
  on?(event: "level-change", listener: (label: string, value: number, previousLabel: string, previousValue: number, logger: unknown) => void): unknown;
}

/** Options of {@link createPinoBinding}. */
export interface PinoBindingOptions {
  /** The field holding the facade logger's name (default `logger`). */
  readonly nameKey?: string;
}

const PINO_LEVELS: readonly PinoLevel[] = ["trace", "debug", "info", "warn", "error"];

/** What pino writes itself (with its default keys), and what this binding writes besides the fields. */
const PINO_OWNED = ["level", "time", "msg", "pid", "hostname", "err", "markers"];

/**
 * A binding onto pino: each facade logger is a child of `pino` with its name in the field
 * `nameKey` (`logger`), TRACE to ERROR are pino's `trace` to `error`, and a record goes out as
 * `child[level](fields, message)`. The fields are the call's key–values, each its own JSON key
 * (an object value stays an object; pino serialises it, circular references included), then the
 * MDC entries, the throwable as `err` (pino's error serializer) and the markers as
 * `markers: ["AUDIT"]`. A field whose name pino or the binding owns (`level`, `time`, `msg`,
 * `pid`, `hostname`, `err`, `markers`, the name field) or that an earlier field has is written
 * with a `_` after its name (`level_`), so nothing is lost.
 *
 * The facade loggers follow the level of `pino`: `pino.level = "debug"` applies to every one
 * (the binding listens to pino's `level-change` and passes it on to its children), so the facade
 * decides each level once per change and a disabled level costs nothing.
 *
 * @example
 * ```ts
 * import pino from "pino";
 * import { LoggerFactory, createPinoBinding } from "slf4ts";
 * LoggerFactory.setBinding(createPinoBinding(pino()));
 * LoggerFactory.getLogger("com.example.Login").info("user {} logged in", "ann");
 * // {"level":30,"time":…,"pid":…,"hostname":…,"logger":"com.example.Login","msg":"user ann logged in"}
 * ```
 */
export function createPinoBinding(pino: PinoLike, options: PinoBindingOptions = {}): LoggerBinding {
  const nameKey = options.nameKey ?? "logger";
  const reserved = new Set([...PINO_OWNED, nameKey]);
  // One child per name, kept: getLogger is asked again for every name when the binding is set again.
  const children = new Map<string, PinoLike>();
  const ours = new Set<PinoLike>();
  const listeners: Array<() => void> = [];
  let passingOn = false;
  const levelChanged = (_label: string, _value: number, _previousLabel: string, _previousValue: number, changed: unknown): void => {
    if (passingOn) return;
    if (changed === pino) {
      // A child keeps the level it was made with; the facade's children follow their parent.
      passingOn = true;
      try {
        for (const child of ours) child.level = pino.level;
      } finally {
        passingOn = false;
      }
    } else if (!ours.has(changed as PinoLike)) {
      return; // another child of the host's logger
    }
    for (const listener of listeners) listener();
  };
  let announces = false;
  if (typeof pino.on === "function") {
    try {
      pino.on("level-change", levelChanged);
      announces = true;
    } catch {
      announces = false;
    }
  }
  const binding: LoggerBinding = {
    name: "pino",
    getLogger(name: string): BackendLogger {
      let child = children.get(name);
      if (child === undefined) {
        passingOn = true; // making a child sets its level: not a change
        try {
          child = pino.child({ [nameKey]: name });
        } finally {
          passingOn = false;
        }
        children.set(name, child);
        ours.add(child);
      }
      const logger = child;
      return {
        isEnabled: (level: Level) => logger.isLevelEnabled(PINO_LEVELS[level] as PinoLevel),
        log: (record: LogRecord) => {
          const fields = record.keyValues.length === 0 && record.mdc.size === 0 ? {} : recordFields(record, reserved);
          if (record.error !== undefined) fields["err"] = record.error;
          if (record.markers.length > 0) fields["markers"] = markerNames(record);
          logger[PINO_LEVELS[record.level] as PinoLevel](fields, record.message);
        },
      };
    },
  };
  return announces ? { ...binding, onLevelsChanged: (listener) => listeners.push(listener) } : binding;
}
