/**
 * `slf4ts-audit query`. (Placeholder until the command lands.)
 *
 * @module
 */
import { EXIT, type CliCommand } from "./io.js";

/** The `query` command. */
export const queryCommand: CliCommand = {
  summary: "query (not implemented yet)",
  help: "Usage: slf4ts-audit query\n\nNot implemented yet.\n",
  async run(_args, io) {
    io.err("slf4ts-audit query: not implemented yet\n");
    return EXIT.USAGE;
  },
};
