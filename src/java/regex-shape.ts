/**
 * The static check against catastrophic backtracking of `./regex.ts`: what each part of a
 * translated regex can match (nullable, in how many ways, starting with which code points), so
 * that a repetition of a part that can match the same text in many ways is refused when it is
 * read. See the module comment of `src/layout/pattern.ts` for what is refused and why.
 *
 * @module
 */
import { complementRanges, normalizeRanges, type Range } from "./regex-classes.js";


/**
 * What the check against catastrophic backtracking knows about a part of a regex: whether it
 * can match the empty string, in how many ways it can match from one position (1: one way;
 * Infinity: a variable quantifier without upper bound), what makes that more than one, and the
 * code points it can start with ("any" when not known exactly). `minLength` and `maxLength`
 * (Infinity: unbounded) are Java's `TreeInfo`, which a look-behind must have a finite maximum of.
 */
export interface Shape {
  readonly nullable: boolean;
  readonly minLength: number;
  readonly maxLength: number;
  readonly ways: number;
  readonly why: "quantifier" | "alternation" | undefined;
  readonly first: readonly Range[] | "any";
}

/** Matches nothing, in one way (assertions, lookarounds, flag groups). */
export const EMPTY_SHAPE: Shape = { nullable: true, minLength: 0, maxLength: 0, ways: 1, why: undefined, first: [] };

/**
 * A repeated part may match in at most this many ways in all (ways of one repetition to the
 * power of the most repetitions) before the regex is refused: `(\d{1,3}\.){3}` has 27.
 */
export const MAX_REPEATED_WAYS = 1000;

/** The shape of a character class (`negated` of `ranges` plus Unicode properties). */
export function setShape(negated: boolean, ranges: readonly Range[], props: readonly string[]): Shape {
  if (props.length > 0) return { nullable: false, minLength: 1, maxLength: 1, ways: 1, why: undefined, first: "any" };
  return charShape(negated ? complementRanges(ranges) : normalizeRanges(ranges));
}

/** The shape of one character of the given ranges. */
export function charShape(ranges: readonly Range[]): Shape {
  return { nullable: false, minLength: 1, maxLength: 1, ways: 1, why: undefined, first: ranges };
}

function unionFirst(a: Shape["first"], b: Shape["first"]): Shape["first"] {
  return a === "any" || b === "any" ? "any" : [...a, ...b];
}

function overlaps(a: Shape["first"], b: Shape["first"]): boolean {
  if (a === "any" || b === "any") return a.length !== 0 && b.length !== 0;
  for (const [lo1, hi1] of a) {
    for (const [lo2, hi2] of b) {
      if (lo1 <= hi2 && lo2 <= hi1) return true;
    }
  }
  return false;
}

/** The shape of `a` followed by `b`. */
export function sequenceShape(a: Shape, b: Shape): Shape {
  return {
    nullable: a.nullable && b.nullable,
    minLength: a.minLength + b.minLength,
    maxLength: a.maxLength + b.maxLength,
    ways: a.ways * b.ways,
    why: a.why ?? b.why,
    first: a.nullable ? unionFirst(a.first, b.first) : a.first,
  };
}

/** Alternatives whose first characters overlap (or that can match nothing) give several ways. */
export function alternationShape(branches: readonly Shape[]): Shape {
  let ambiguous = false;
  for (let i = 0; i < branches.length && !ambiguous; i++) {
    const a = branches[i] as Shape;
    for (let j = i + 1; j < branches.length; j++) {
      const b = branches[j] as Shape;
      // An alternative that matches the empty string matches wherever another one does.
      if (a.nullable || b.nullable || overlaps(a.first, b.first)) {
        ambiguous = true;
        break;
      }
    }
  }
  let first: Shape["first"] = [];
  for (const branch of branches) first = unionFirst(first, branch.first);
  return {
    nullable: branches.some((b) => b.nullable),
    minLength: Math.min(...branches.map((b) => b.minLength)),
    maxLength: Math.max(...branches.map((b) => b.maxLength)),
    ways: ambiguous ? branches.reduce((n, b) => n + b.ways, 0) : Math.max(...branches.map((b) => b.ways)),
    why: ambiguous ? "alternation" : branches.find((b) => b.why !== undefined)?.why,
    first,
  };
}

