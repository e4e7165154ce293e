/**
 * Running `slf4ts-audit` in the test's own process: an output capture to hand to a command,
 * and a one-call run of `main` that returns the exit code and what was written.
 */
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";

/** What a command run by {@link runCli} ended with. */
export interface CliResult {
  readonly code: number;
  /** Everything written to standard output. */
  readonly out: string;
  /** Everything written to standard error. */
  readonly err: string;
}

/** Where the command runs and what it is told of the terminal. */
export interface CliOptions {
  /** The working folder (default: the test process's). */
  readonly cwd?: string;
  /** Both streams claim to be a terminal (default false). */
  readonly tty?: boolean;
}

/**
 * A {@link CliIo} that keeps what a command writes, read while it runs (`out()`, `err()`), and
 * an `abort()` that plays the user's Ctrl-C (for `tail -f`).
 */
export function captureIo(options: CliOptions = {}): { io: CliIo; out: () => string; err: () => string; abort: () => void } {
  let out = "";
  let err = "";
  const controller = new AbortController();
  const tty = options.tty ?? false;
  const io: CliIo = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    errIsTTY: tty,
    outIsTTY: tty,
    cwd: options.cwd ?? process.cwd(),
    signal: controller.signal,
  };
  return { io, out: () => out, err: () => err, abort: () => controller.abort() };
}

/** Runs `slf4ts-audit <args>` in this process and returns its exit code and output. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const capture = captureIo(options);
  const code = await main(args, capture.io);
  return { code, out: capture.out(), err: capture.err() };
}
