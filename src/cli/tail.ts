/**
 * `slf4ts-audit tail`. (Placeholder until the command lands.)
 *
 * @module
 */
import { EXIT, type CliCommand } from "./io.js";

/** The `tail` command. */
export const tailCommand: CliCommand = {
  summary: "tail (not implemented yet)",
  help: "Usage: slf4ts-audit tail\n\nNot implemented yet.\n",
  async run(_args, io) {
    io.err("slf4ts-audit tail: not implemented yet\n");
    return EXIT.USAGE;
  },
};
