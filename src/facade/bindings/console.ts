import { Level, levelName } from "../level.js";
import type { LoggerBinding, LogRecord } from "../binding.js";

/** Options of {@link createConsoleBinding}. */
export interface ConsoleBindingOptions {
  /** The lowest level written (default `Level.INFO`). */
  readonly level?: Level;
  /** Where lines go (default: `process.stderr`, as SLF4J's simple logger does). */
  readonly stream?: { write(text: string): unknown };
}

function renderRecord(record: LogRecord): string {
  let line = `${new Date(record.timestamp).toISOString()} ${levelName(record.level)} ${record.loggerName} - ${record.message}`;
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
 * SimpleLogger: `2016-06-10T10:31:10.005Z INFO name - message {mdc}` and the stack of a
 * throwable on the following lines.
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
