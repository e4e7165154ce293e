/**
 * Misspelt keys: the known key a misspelt name or prefix was probably meant to be, for the
 * "did you mean …?" of a configuration problem.
 *
 * @module
 */
import { CONFIG_KEYS, KEY_PREFIX } from "./keys.js";

const KNOWN_LOWER = new Map(CONFIG_KEYS.map((k) => [k.name.toLowerCase(), k.name]));

/**
 * The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each cost 1 (so `slfj4` is one edit from `slf4j`).
 *
 * @example
 * ```ts
 * editDistance("--versoin", "--version"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  // Three rows: two back (for a swap), one back, and the current one.
  let before = Array.from({ length: b.length + 1 }, () => 0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known key name closest to `name` (case-insensitive), if it is close enough to be a typo of it. */
export function closestName(name: string): string | undefined {
  // A key far longer than any known one is no typo of one (and would make this quadratic).
  if (name.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of CONFIG_KEYS) {
    const d = editDistance(name.toLowerCase(), spec.name.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = spec.name;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** ` (did you mean <key>?)` for a misspelt key name, or "". */
export function suggestion(name: string): string {
  const best = closestName(name);
  return best !== undefined ? ` (did you mean ${KEY_PREFIX}${best}?)` : "";
}

/** How many edits a prefix may be away from {@link KEY_PREFIX} and still count as a typo of it. */
const PREFIX_TYPO_EDITS = 2;

/**
 * The key that `key` (which does not start with {@link KEY_PREFIX}) was probably meant to be,
 * when its prefix is a typo of ours: the same letters in another case, or at most
 * {@link PREFIX_TYPO_EDITS} characters missing, extra, wrong or swapped. Keys with clearly other
 * prefixes (`com.openexchange.mail.…`) give `undefined`.
 *
 * Two ways to split the key are tried: a known key name (or `target.`) at its end, whatever is
 * before it (this also finds a missing dot); and a prefix of about our prefix's length that ends
 * in a dot, whatever follows (the name may have a typo of its own).
 *
 * @example
 * ```ts
 * intendedKey("com.openexchange.log.audit.slf4J.integrity.mode"); // "com.openexchange.log.audit.slf4j.integrity.mode"
 * intendedKey("com.openexchange.log.audit.slfj4.enabled"); // "com.openexchange.log.audit.slf4j.enabled"
 * intendedKey("com.openexchange.mail.foo"); // undefined: someone else's key
 * ```
 */
export function intendedKey(key: string): string | undefined {
  // Bounded work: the longest known key is far shorter.
  if (key.length > KEY_PREFIX.length + 80) return undefined;
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = PREFIX_TYPO_EDITS + 1;
  const consider = (prefixLength: number, intended: () => string): void => {
    if (prefixLength < KEY_PREFIX.length - PREFIX_TYPO_EDITS || prefixLength > KEY_PREFIX.length + PREFIX_TYPO_EDITS) return;
    const d = editDistance(lower.slice(0, prefixLength), KEY_PREFIX);
    if (d < bestDistance) {
      bestDistance = d;
      best = intended();
    }
  };
  for (const spec of CONFIG_KEYS) {
    if (lower.endsWith(spec.name.toLowerCase())) consider(key.length - spec.name.length, () => KEY_PREFIX + spec.name);
  }
  for (let at = lower.indexOf("target."); at >= 0; at = lower.indexOf("target.", at + 1)) {
    consider(at, () => KEY_PREFIX + "target." + key.slice(at + "target.".length));
  }
  for (let length = KEY_PREFIX.length - PREFIX_TYPO_EDITS; length <= KEY_PREFIX.length + PREFIX_TYPO_EDITS; length++) {
    if (key.charAt(length - 1) !== ".") continue;
    const name = key.slice(length);
    consider(length, () => KEY_PREFIX + (KNOWN_LOWER.get(name.toLowerCase()) ?? closestName(name) ?? name));
  }
  return best;
}

