/**
 * `slf4ts-audit verify`. (Placeholder until the command lands.)
 *
 * @module
 */
import { EXIT, type CliCommand } from "./io.js";

/** The `verify` command. */
export const verifyCommand: CliCommand = {
  summary: "verify (not implemented yet)",
  help: "Usage: slf4ts-audit verify\n\nNot implemented yet.\n",
  async run(_args, io) {
    io.err("slf4ts-audit verify: not implemented yet\n");
    return EXIT.USAGE;
  },
};
