/**
 * What every `slf4ts-audit` command receives: its output streams and whether they are a
 * terminal, so a command can be run in-process by tests as well as from the shell.
 *
 * @module
 */

/** Where a command writes, and what it knows of the terminal. */
export interface CliIo {
  /** Writes to standard output. */
  readonly out: (text: string) => void;
  /** Writes to standard error. */
  readonly err: (text: string) => void;
  /** Standard error is an interactive terminal (progress may be shown there). */
  readonly errIsTTY: boolean;
  /** Standard output is an interactive terminal. */
  readonly outIsTTY: boolean;
  /** The working folder relative paths are resolved against. */
  readonly cwd: string;
  /** Aborted when the user presses Ctrl-C (for `tail -f`). */
  readonly signal: AbortSignal;
}

/**
 * Exit codes shared by every command.
 *
 * @example
 * ```ts
 * process.exitCode = EXIT.USAGE;
 * ```
 */
export const EXIT = {
  /** Success (verify: everything checked and intact). */
  OK: 0,
  /** verify: tampering or damage was found. query: no error, but lines could not be parsed. */
  FINDINGS: 1,
  /** Bad command line (unknown option, missing argument). */
  USAGE: 2,
  /** Files could not be read, or a key or properties file is invalid; also an unexpected error (a crash is never reported as 1). */
  IO: 3,
} as const;

/** A command of the CLI. */
export interface CliCommand {
  /** The `--help` text of the command. */
  readonly help: string;
  /** One line for the overview. */
  readonly summary: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
