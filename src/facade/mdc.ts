/**
 * Mapped Diagnostic Context: key/value pairs that travel with the current asynchronous
 * context (AsyncLocalStorage), the Node.js counterpart of SLF4J's thread-bound MDC.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const storage = new AsyncLocalStorage<Map<string, string>>();
const EMPTY: ReadonlyMap<string, string> = new Map();

/** The current context's map for reading (an empty one when there is none yet). */
function current(): ReadonlyMap<string, string> {
  return storage.getStore() ?? EMPTY;
}

/**
 * Replaces the current context's map. Maps are never changed once they are in use (copy on
 * write): a context that inherited a map from its parent (a request handler started by a
 * server) gets a new one of its own on its first change (AsyncLocalStorage.enterWith), which
 * lasts for the rest of its synchronous execution and everything it starts asynchronously. So
 * two request handlers that each call MDC.put() never see each other's values, even when both
 * inherited entries from the code that started the server.
 */
function replace(map: Map<string, string>): void {
  storage.enterWith(map);
}

/** Context entries given to {@link MDC.run}: a plain object, a Map or `[key, value]` pairs. */
export type MdcEntries = Readonly<Record<string, unknown>> | Iterable<readonly [string, unknown]>;

function entriesOf(context: MdcEntries): Iterable<readonly [string, unknown]> {
  if (Symbol.iterator in context) {
    return context as Iterable<readonly [string, unknown]>;
  }
  return Object.entries(context);
}

/**
 * The MDC. Values are strings (others are converted with `String()`); `null` or `undefined`
 * removes the key, as SLF4J's `put(key, null)` effectively does.
 *
 * Every {@link MDC.run} starts a new context that inherits a copy of the caller's entries, so
 * concurrent requests never see each other's values and a callee never changes its caller's
 * context. Outside any `run`, the entries are copied on every change, so a request handler's
 * `put` is seen by that handler and what it starts, and never by another handler.
 *
 * @example
 * ```ts
 * import { MDC, LoggerFactory } from "slf4ts";
 * const log = LoggerFactory.getLogger("http");
 * server.on("request", (req, res) =>
 *   MDC.run({ requestId: req.headers["x-request-id"] }, async () => {
 *     MDC.put("user", await authenticate(req));
 *     log.info("{} {}", req.method, req.url); // the binding sees requestId and user
 *   }));
 * ```
 */
export const MDC = {
  /** Sets `key` in the current context; `null`/`undefined` removes it. */
  put(key: string, value: unknown): void {
    if (typeof key !== "string") {
      throw new TypeError("MDC key must be a string");
    }
    const next = new Map(current());
    if (value === null || value === undefined) {
      if (!next.delete(key)) return;
    } else {
      next.set(key, typeof value === "string" ? value : String(value));
    }
    replace(next);
  },
  /** The value of `key` in the current context, or `undefined`. */
  get(key: string): string | undefined {
    return current().get(key);
  },
  /** Removes `key` from the current context. */
  remove(key: string): void {
    if (!current().has(key)) return;
    const next = new Map(current());
    next.delete(key);
    replace(next);
  },
  /** Removes every key from the current context. */
  clear(): void {
    if (current().size > 0) replace(new Map());
  },
  /** A copy of the current context as a plain object. */
  getCopyOfContextMap(): Record<string, string> {
    return Object.fromEntries(current());
  },
  /** Replaces the current context's entries with `entries`. */
  setContextMap(entries: MdcEntries): void {
    const map = new Map<string, string>();
    for (const [key, value] of entriesOf(entries)) {
      if (value !== null && value !== undefined) map.set(key, typeof value === "string" ? value : String(value));
    }
    replace(map);
  },
  /**
   * Runs `fn` in a new context holding a copy of the current entries plus `entries`, and
   * returns what `fn` returns (a promise stays in the context until it settles).
   */
  run<R>(entries: MdcEntries | undefined, fn: () => R): R {
    const map = new Map(current());
    if (entries !== undefined) {
      for (const [key, value] of entriesOf(entries)) {
        if (value === null || value === undefined) {
          map.delete(key);
        } else {
          map.set(key, typeof value === "string" ? value : String(value));
        }
      }
    }
    return storage.run(map, fn);
  },
};

/**
 * The live map of the current context, for bindings and layouts that render the MDC
 * synchronously. Do not keep it or change it.
 *
 * @example
 * ```ts
 * const requestId = currentMdc().get("requestId");
 * ```
 */
export function currentMdc(): ReadonlyMap<string, string> {
  return current();
}
