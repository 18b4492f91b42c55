// Can any version satisfy a two-sided dewey pattern (`name>=1.2<2`)? Decided
// in pkg_install's own order (version.ts), so `validate` refuses exactly the
// ranges dewey_match() would never match, and nothing it would.
//
// One-sided comparisons always have a match (below any version there is one
// with `alpha` appended, above it one with `.1` appended), and so do exact
// versions; globs and alternatives are left to the catalog at plan time.
import { compareParsed, parseDeweyPattern, type DeweyOp, type ParsedVersion } from './version.js';

export type Satisfiability =
  | { satisfiable: true }
  | {
      satisfiable: false;
      /** Why, in words a VO manager can act on (no pattern quoted). */
      reason: string;
      /** A pattern that probably says what was meant, when one is evident. */
      suggestion?: string;
    };

// dewey.c compares components by the sign of their wrapped 32-bit difference,
// which is a total order only below 2^30 (see version.ts). Beyond it a range
// may be satisfiable through wrap-around, so it is never refused.
const EXACT_LIMIT = 2 ** 30;

const WORDS: Record<DeweyOp, string> = {
  '>=': 'at least',
  '>': 'above',
  '<': 'below',
  '<=': 'at most',
  '==': 'equal to',
  '!=': 'other than',
};

/** Whether some version matches a brace-free pattern with `<`/`>` bounds. */
export function deweySatisfiability(pattern: string): Satisfiability {
  if (/[{}]/.test(pattern)) return { satisfiable: true };
  const d = parseDeweyPattern(pattern);
  if (!d || !d.upper || !d.upperOp) return { satisfiable: true };
  if (!inExactRange(d.lower) || !inExactRange(d.upper)) return { satisfiable: true };
  const sep = pattern.search(/[<>]/);
  const lowText = pattern.slice(sep + d.op.length, pattern.indexOf('<', sep + d.op.length));
  const highText = pattern.slice(pattern.indexOf('<', sep + d.op.length) + d.upperOp.length);
  const lowIn = d.op === '>=';
  const highIn = d.upperOp === '<=';
  const cmp = compareParsed(d.lower, d.upper);
  const range = `no version of ${d.name} is ${WORDS[d.op]} ${lowText} and ${WORDS[d.upperOp]} ${highText}`;
  if (cmp > 0) {
    return {
      satisfiable: false,
      reason: `${range}: pkgsrc orders ${highText} before ${lowText}`,
      suggestion: `${d.name}${d.op}${highText}${d.upperOp}${lowText}`,
    };
  }
  if (cmp === 0) {
    if (lowIn && highIn) return { satisfiable: true };
    return {
      satisfiable: false,
      reason: `${range}: pkgsrc orders ${lowText} and ${highText} the same`,
      suggestion: `${d.name}-${lowText}`,
    };
  }
  if (lowIn || highIn || !adjacent(d.lower, d.upper)) return { satisfiable: true };
  // Equal components and nb numbers one apart: there is no nb in between.
  return {
    satisfiable: false,
    reason: `${range}: nothing comes between them in pkgsrc's order`,
    suggestion: `${d.name}>=${lowText}<${highText}`,
  };
}

function adjacent(low: ParsedVersion, high: ParsedVersion): boolean {
  return compareParsed({ ...low, nb: 0 }, { ...high, nb: 0 }) === 0 && high.nb - low.nb === 1;
}

function inExactRange(v: ParsedVersion): boolean {
  return Math.abs(v.nb) < EXACT_LIMIT && v.components.every((c) => Math.abs(c) < EXACT_LIMIT);
}
