/**
 * The harness of the console tests: `slf4ts-audit serve` run in this process on a free port
 * (stopped at the end of the test, as Ctrl-C stops it), and raw HTTP requests that send their
 * path and headers exactly as given (fetch would normalise `..` away).
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { ExecutionContext } from "ava";
import { main } from "../../src/cli/main.js";
import { captureIo } from "./cli.js";

/** A console started by {@link startServe}. */
export interface Served {
  /** Its address, `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** What it printed on stdout and stderr so far. */
  readonly out: () => string;
  readonly err: () => string;
  /** Stops it (Ctrl-C) and resolves to its exit code. */
  readonly stop: () => Promise<number>;
}

/**
 * Runs `slf4ts-audit serve --port 0 <args>` in `cwd`; resolves once it prints its address, or
 * rejects with what it printed when it ends first (or after 10 s).
 */
export async function startServe(t: ExecutionContext, args: readonly string[], cwd: string): Promise<Served> {
  const capture = captureIo({ cwd });
  const done = main(["serve", "--port", "0", ...args], capture.io);
  let stopped = false;
  const stop = async (): Promise<number> => {
    stopped = true;
    capture.abort();
    return done;
  };
  t.teardown(async () => {
    if (!stopped) await stop();
  });
  const deadline = Date.now() + 10_000;
  let ended: number | undefined;
  void done.then((code) => (ended = code));
  for (;;) {
    const m = /(http:\/\/\S+\/) /.exec(capture.out());
    if (m !== null) return { url: m[1] as string, out: capture.out, err: capture.err, stop };
    if (ended !== undefined) throw new Error(`serve ended with ${ended}: ${capture.err()}`);
    if (Date.now() > deadline) throw new Error(`serve printed no address in 10 s: ${capture.out()} ${capture.err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A response as {@link rawRequest} gives it. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP request with the path, method and headers exactly as given; times out after 10 s. */
export function rawRequest(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers = { ...(options.body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(options.body)) }), ...options.headers };
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: options.method ?? "GET", headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${path} in 10 s`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** GET of an API path with JSON back. */
export async function getJson<T = Record<string, unknown>>(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await rawRequest(base, path, { headers });
  return { status: res.status, body: JSON.parse(res.body) as T };
}
