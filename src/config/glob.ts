/**
 * Event-id globs for target filters: `*` matches any run of characters (dots included),
 * `?` exactly one; everything else matches itself. `ox.*` matches `ox.login`; `*` matches all.
 *
 * @module
 */

/**
 * Compiles globs into one predicate that holds when any of them matches the whole id. An
 * empty list matches nothing.
 *
 * @example
 * ```ts
 * const matches = compileGlobs(["ox.login", "audit-*"]);
 * matches("audit-api"); // true
 * matches("ox.logout"); // false
 * ```
 */
export function compileGlobs(globs: readonly string[]): (eventId: string) => boolean {
  if (globs.length === 0) return () => false;
  if (globs.includes("*")) return () => true;
  const exact = new Set(globs.filter((g) => !/[*?]/.test(g)));
  const patterns = globs.filter((g) => /[*?]/.test(g));
  if (patterns.length === 0) return (id) => exact.has(id);
  const source = patterns
    .map((g) => g.replace(/[\\^$.|+()[\]{}]/g, "\\$&").replace(/\*+/g, ".*").replace(/\?/g, "."))
    .join("|");
  // The `s` flag lets `*` match a line break inside an event id, as it matches any other character.
  const regex = new RegExp(`^(?:${source})$`, "su");
  return (id) => exact.has(id) || regex.test(id);
}
