/**
 * luxon, loaded on first use: only a Java date pattern needs it (IANA time zones, and the week
 * rules of its locale), and loading it costs about 1 MB of heap and 1–3 MB of RSS that dedicated
 * mode with ISO dates (the default) would carry for nothing.
 * `require` (from `createRequire`) keeps the callers synchronous: a configuration is resolved in
 * one synchronous pass.
 *
 * @module
 */
import { createRequire } from "node:module";
import type * as Luxon from "luxon";

let loaded: typeof Luxon | undefined;

/**
 * The luxon module, loaded on the first call.
 *
 * @example
 * ```ts
 * luxon().IANAZone.isValidZone("Europe/Berlin"); // true
 * ```
 */
export function luxon(): typeof Luxon {
  return (loaded ??= createRequire(import.meta.url)("luxon") as typeof Luxon);
}
