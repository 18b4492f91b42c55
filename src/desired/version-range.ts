// Can two patterns for one package be satisfied by one version? Decided
// exactly for what can be written as a dewey interval (ranges, comparisons,
// exact versions, bare names); globs and alternatives are never declared
// disjoint here — the catalog decides those at plan time.
import { compareVersions } from '../pkgsrc/version.js';

interface Bound {
  v: string;
  inclusive: boolean;
}
interface Interval {
  lo?: Bound;
  hi?: Bound;
}

const DEWEY = /^(>=?)([^<>]*)(?:(<=?)([^<>]*))?$|^(<=?)([^<>]*)$/;

export function patternInterval(pattern: string, base: string): Interval | undefined {
  if (pattern === base) return {};
  if (!pattern.startsWith(base)) return undefined;
  const tail = pattern.slice(base.length);
  const m = DEWEY.exec(tail);
  if (m) {
    if (m[5] !== undefined) return { hi: { v: m[6]!, inclusive: m[5] === '<=' } };
    const lo = { v: m[2]!, inclusive: m[1] === '>=' };
    return m[3] === undefined ? { lo } : { lo, hi: { v: m[4]!, inclusive: m[3] === '<=' } };
  }
  if (tail.startsWith('-') && !/[*?[\]{}]/.test(tail)) {
    const v = tail.slice(1);
    return { lo: { v, inclusive: true }, hi: { v, inclusive: true } };
  }
  return undefined;
}

/** False only when no version can match both patterns. */
export function mayIntersect(a: string, b: string, base: string): boolean {
  const x = patternInterval(a, base);
  const y = patternInterval(b, base);
  if (!x || !y) return true;
  return !below(x.hi, y.lo) && !below(y.hi, x.lo) && !emptyInterval(x) && !emptyInterval(y);
}

/** Is every version under `hi` also under `lo` (nothing fits between)? */
function below(hi: Bound | undefined, lo: Bound | undefined): boolean {
  if (!hi || !lo) return false;
  const c = compareVersions(hi.v, lo.v);
  return c < 0 || (c === 0 && !(hi.inclusive && lo.inclusive));
}

function emptyInterval(i: Interval): boolean {
  return below(i.hi, i.lo);
}
