/**
 * SLF4J's message formatting (`org.slf4j.helpers.MessageFormatter`, 2.x rules) for JavaScript
 * values.
 */
import { inspect } from "node:util";

/** The result of {@link formatMessage}: the text and the throwable, if the last argument was one. */
export interface FormattedMessage {
  readonly message: string;
  readonly error: Error | undefined;
}

const objectToString = Object.prototype.toString;

/**
 * Renders one argument the way SLF4J's `deeplyAppendParameter` does, translated to
 * JavaScript values: `null` is `null`, arrays are `[a, b]` (recursively, a cycle is `[...]`),
 * a Date is its ISO-8601 text, an object with its own `toString` uses it, other objects are
 * shown on one line by `util.inspect`, and a `toString` that throws gives
 * `[FAILED toString()]`.
 *
 * @example
 * ```ts
 * renderArgument([1, [2, null]]); // "[1, [2, null]]"
 * ```
 */
export function renderArgument(value: unknown): string {
  return render(value, new Set());
}

function render(value: unknown, seen: Set<unknown>): string {
  try {
    if (value === null) {
      return "null";
    }
    switch (typeof value) {
      case "string":
        return value;
      case "number":
      case "bigint":
      case "boolean":
      case "undefined":
      case "symbol":
        return String(value);
      case "function":
        return `[Function ${value.name || "anonymous"}]`;
      default:
        break;
    }
    if (Array.isArray(value)) {
      if (seen.has(value)) {
        return "[...]";
      }
      seen.add(value);
      const parts: string[] = [];
      for (const item of value) {
        parts.push(render(item, seen));
      }
      seen.delete(value);
      return `[${parts.join(", ")}]`;
    }
    if (value instanceof Date) {
      return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    }
    const obj = value as { toString?: unknown };
    if (typeof obj.toString === "function" && obj.toString !== objectToString) {
      return String(obj.toString());
    }
    return inspect(value, { depth: 4, breakLength: Infinity, compact: true });
  } catch {
    return "[FAILED toString()]";
  }
}

/**
 * Fills `{}` placeholders in order, as SLF4J's `MessageFormatter.arrayFormat` does:
 * - a trailing `Error` argument is taken out and returned as the throwable (SLF4J ≥ 1.8 rule);
 * - `\{}` is a literal `{}`, `\\{}` is a literal backslash followed by an argument;
 * - surplus arguments are ignored; placeholders without an argument stay as `{}`;
 * - with no arguments, the pattern is returned untouched (escapes included), as SLF4J does.
 *
 * @example
 * ```ts
 * formatMessage("user {} from {}", ["ann", "::1"]).message; // "user ann from ::1"
 * formatMessage("failed {}", ["x", new Error("boom")]).error?.message; // "boom"
 * ```
 */
export function formatMessage(pattern: string, args: readonly unknown[]): FormattedMessage {
  let count = args.length;
  let error: Error | undefined;
  if (count > 0 && args[count - 1] instanceof Error) {
    error = args[count - 1] as Error;
    count--;
  }
  if (count === 0) {
    return { message: pattern, error };
  }
  let out = "";
  let from = 0;
  for (let argIndex = 0; argIndex < count; argIndex++) {
    const at = pattern.indexOf("{}", from);
    if (at < 0) {
      break;
    }
    if (at > 0 && pattern.charCodeAt(at - 1) === 0x5c /* \ */) {
      if (at > 1 && pattern.charCodeAt(at - 2) === 0x5c) {
        // "\\{}": the backslash is escaped; keep one and substitute.
        out += pattern.slice(from, at - 1) + renderArgument(args[argIndex]);
        from = at + 2;
      } else {
        // "\{}": a literal "{}"; this argument is still unused.
        out += pattern.slice(from, at - 1) + "{";
        from = at + 1;
        argIndex--;
      }
    } else {
      out += pattern.slice(from, at) + renderArgument(args[argIndex]);
      from = at + 2;
    }
  }
  return { message: out + pattern.slice(from), error };
}
