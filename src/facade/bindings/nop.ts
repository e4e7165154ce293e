import type { BackendLogger, LoggerBinding } from "../binding.js";

const NOP_LOGGER: BackendLogger = {
  isEnabled: () => false,
  log: () => undefined,
};

/**
 * A binding that discards everything; every level is disabled, so facade calls cost only the
 * level check.
 *
 * @example
 * ```ts
 * LoggerFactory.setBinding(nopBinding);
 * ```
 */
export const nopBinding: LoggerBinding = {
  name: "nop",
  getLogger: () => NOP_LOGGER,
  // Levels never change: every level is decided once.
  onLevelsChanged: () => undefined,
};
