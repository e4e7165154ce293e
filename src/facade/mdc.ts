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
 * The current context's map for writing. Code outside any MDC.run() gets a context of its own
 * on its first write (AsyncLocalStorage.enterWith), which lasts for the rest of its
 * synchronous execution and everything it starts asynchronously, so two request handlers that
 * each call MDC.put() do not see each other's values.
 */
function writable(): Map<string, string> {
  let store = storage.getStore();
  if (store === undefined) {
    store = new Map();
    storage.enterWith(store);
  }
  return store;
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
 * context. Code outside any `run` gets a context of its own on its first `put` (it lasts for the
 * rest of that synchronous code and what it starts asynchronously); wrapping each request in
 * `MDC.run` is the strictest form.
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
    if (value === null || value === undefined) {
      storage.getStore()?.delete(key);
    } else {
      writable().set(key, typeof value === "string" ? value : String(value));
    }
  },
  /** The value of `key` in the current context, or `undefined`. */
  get(key: string): string | undefined {
    return current().get(key);
  },
  /** Removes `key` from the current context. */
  remove(key: string): void {
    storage.getStore()?.delete(key);
  },
  /** Removes every key from the current context. */
  clear(): void {
    storage.getStore()?.clear();
  },
  /** A copy of the current context as a plain object. */
  getCopyOfContextMap(): Record<string, string> {
    return Object.fromEntries(current());
  },
  /** Replaces the current context's entries with `entries`. */
  setContextMap(entries: MdcEntries): void {
    const map = writable();
    map.clear();
    for (const [key, value] of entriesOf(entries)) {
      MDC.put(key, value);
    }
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
