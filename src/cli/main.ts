#!/usr/bin/env node
/**
 * The `slf4ts-audit` command line: `verify`, `query`, `tail` and `serve` over dedicated-mode audit files.
 *
 * @module
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EXIT, type CliCommand, type CliIo } from "./io.js";
import { closestWord } from "./options.js";
import { terminalText } from "./output.js";
import { queryCommand } from "./query.js";
import { serveCommand } from "./serve.js";
import { tailCommand } from "./tail.js";
import { verifyCommand } from "./verify.js";

const COMMANDS: Readonly<Record<string, CliCommand>> = { verify: verifyCommand, query: queryCommand, tail: tailCommand, serve: serveCommand };

/**
 * The package's version, read from its package.json (this file is `dist/src/cli/main.js` in the
 * package); "unknown" when it cannot be read.
 */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
    return manifest.name === "slf4ts" && typeof manifest.version === "string" ? manifest.version : "unknown";
  } catch {
    return "unknown";
  }
}

function overview(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(8)} ${command.summary}`);
  return `Usage: slf4ts-audit <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun slf4ts-audit <command> --help for the options of a command; slf4ts-audit --version prints the version.\n\nExit codes: 0 success, 1 findings (tampering, unparsable lines), 2 bad command line, 3 unreadable input or an unexpected error.\n`;
}

/**
 * Runs the CLI with the arguments after the program name; resolves to the exit code. An
 * unexpected error of a command is reported (`slf4ts-audit: internal error: …`) and gives
 * {@link EXIT}.IO, never {@link EXIT}.FINDINGS: exit code 1 always means findings.
 *
 * @example
 * ```ts
 * const code = await main(["verify", "/var/log/app"], io);
 * ```
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    if (name === "help" && rest[0] !== undefined && COMMANDS[rest[0]] !== undefined) {
      io.out((COMMANDS[rest[0]] as CliCommand).help);
      return EXIT.OK;
    }
    (name === undefined ? io.err : io.out)(overview());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.out(`slf4ts-audit ${packageVersion()}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    const guess = closestWord(name, [...Object.keys(COMMANDS), "--version", "--help"]);
    const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
    io.err(`slf4ts-audit: unknown command "${terminalText(name)}"${hint}\n\n${overview()}`);
    return EXIT.USAGE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.help);
    return EXIT.OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    io.err(`slf4ts-audit ${name}: internal error: ${terminalText(describeError(error))}\n`);
    return EXIT.IO;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The last resort of the process: an error nothing caught ends it with {@link EXIT}.IO, not Node's 1. */
function crash(error: unknown): never {
  try {
    process.stderr.write(`slf4ts-audit: internal error: ${terminalText(describeError(error))}\n`);
  } finally {
    process.exit(EXIT.IO);
  }
}

/** The process's own streams. */
function processIo(): CliIo {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
    outIsTTY: process.stdout.isTTY === true,
    cwd: process.cwd(),
    signal: controller.signal,
  };
}

// Run when executed (also through npm's bin symlink), not when imported by tests.
const invokedAs = process.argv[1] === undefined ? "" : realpathSync(process.argv[1]);
if (invokedAs === fileURLToPath(import.meta.url)) {
  // Node ends an uncaught error with exit code 1, which here means "findings": never let it.
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  // An EPIPE (output piped into `head`) ends the command quietly.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT.OK);
    crash(error);
  });
  main(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  }, crash);
}
