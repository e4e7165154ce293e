/**
 * Masking of secrets: whether an attribute name is a secret (it contains a configured word) and
 * what its value becomes (a few visible leading characters, then `****`).
 *
 * @module
 */
import { codePointWidth } from "./escaping.js";

/** What {@link compileMasking} needs: the words and the visible prefix. */
export interface MaskOptions {
  /**
   * Words (matched case-insensitively): an attribute whose name contains one of them has its
   * value masked (also nested keys of objects rendered as JSON). Absent or empty: nothing is masked.
   */
  readonly maskNames?: readonly string[] | undefined;
  /**
   * Leading characters of a masked value that stay visible (default 0), but never more than
   * half of the value's characters; the rest becomes `****` whatever its length.
   */
  readonly maskKeep?: number | undefined;
}

/** What a masked value becomes after its visible prefix. */
export const MASK = "****";

/**
 * The masking of one configuration: whether a name is a secret (cached per name, since the same
 * names come back on every record) and what a secret value becomes; undefined when nothing is masked.
 * @internal
 */
export function compileMasking(options: MaskOptions): { isMaskedName: (name: string) => boolean; mask: (text: string) => string } | undefined {
  const words = (options.maskNames ?? []).map((w) => String(w).toLowerCase()).filter((w) => w !== "");
  if (words.length === 0) return undefined;
  const keep = options.maskKeep ?? 0;
  if (!Number.isInteger(keep) || keep < 0) {
    throw new RangeError(`maskKeep must be a whole number of characters from 0, got ${String(keep)}`);
  }
  const cache = new Map<string, boolean>();
  const isMaskedName = (name: string): boolean => {
    let masked = cache.get(name);
    if (masked === undefined) {
      const lower = name.toLowerCase();
      masked = words.some((w) => lower.includes(w));
      // Names may come from callers' data: keep the cache small, and long names out of it.
      if (name.length > 256) return masked;
      if (cache.size >= 1024) cache.clear();
      cache.set(name, masked);
    }
    return masked;
  };
  const mask = (text: string): string => {
    if (keep === 0) return MASK;
    // Count characters (code points) up to 2 × keep: at most half of them stay visible, so a
    // short secret is never shown whole.
    let count = 0;
    for (let i = 0; i < text.length && count < 2 * keep; count++) i += codePointWidth(text, i);
    const visible = Math.min(keep, Math.floor(count / 2));
    let end = 0;
    for (let c = 0; c < visible; c++) end += codePointWidth(text, end);
    return text.slice(0, end) + MASK;
  };
  return { isMaskedName, mask };
}
