/**
 * The console binding: SimpleLogger-style lines on a stream, with the call's markers,
 * key–values and MDC.
 */
import { Level, levelName } from "../level.js";
import type { LoggerBinding, LogRecord } from "../binding.js";
import { renderArgument } from "../format.js";

/** Options of {@link createConsoleBinding}. */
export interface ConsoleBindingOptions {
  /** The lowest level written (default `Level.INFO`). */
  readonly level?: Level;
  /** Where lines go (default: `process.stderr`, as SLF4J's simple logger does). */
  readonly stream?: { write(text: string): unknown };
}

function renderRecord(record: LogRecord): string {
  let line = `${new Date(record.timestamp).toISOString()} ${levelName(record.level)} ${record.loggerName} - `;
  if (record.markers.length > 0) {
    // Before the message, by name, as SLF4J's SimpleLogger puts them; bracketed to stand apart.
    line += `[${record.markers.map((m) => m.name).join(", ")}] `;
  }
  line += record.message;
  for (const { key, value } of record.keyValues) {
    line += ` ${key}=${renderArgument(value)}`;
  }
  if (record.mdc.size > 0) {
    const parts: string[] = [];
    for (const [key, value] of record.mdc) {
      parts.push(`${key}=${value}`);
    }
    line += ` {${parts.join(", ")}}`;
  }
  line += "\n";
  if (record.error !== undefined) {
    line += `${record.error.stack ?? String(record.error)}\n`;
  }
  return line;
}

/**
 * A binding that writes one line per record to a stream, in the manner of SLF4J's
 * SimpleLogger: `2016-06-10T10:31:10.005Z INFO name - [MARKER] message key=value {mdc}` and
 * the stack of a throwable on the following lines. The markers (by name, joined by ", ") stand
 * in brackets before the message; the key–values follow it as `key=value`, each value rendered
 * as a `{}` argument is ({@link renderArgument}), in the order they were added; the MDC comes last.
 *
 * @example
 * ```ts
 * LoggerFactory.setBinding(createConsoleBinding({ level: Level.DEBUG, stream: process.stdout }));
 * ```
 */
export function createConsoleBinding(options: ConsoleBindingOptions = {}): LoggerBinding {
  const threshold = options.level ?? Level.INFO;
  const stream = options.stream ?? process.stderr;
  const logger = {
    isEnabled: (level: Level) => level >= threshold,
    log: (record: LogRecord) => {
      stream.write(renderRecord(record));
    },
  };
  return { name: "console", getLogger: () => logger, onLevelsChanged: () => undefined };
}
