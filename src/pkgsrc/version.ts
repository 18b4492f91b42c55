// pkgsrc package versions, ordered exactly as pkg_install's lib/dewey.c
// orders them (see test/fixtures/pkgsrc/SEMANTICS.md §1–2).
//
// A version becomes a list of C `int` components plus a separate "nb"
// number. dewey.c does all arithmetic in C `int` without overflow checks,
// so digit runs wrap modulo 2^32 and components are compared by the sign of
// their *wrapped difference*. For components 2^31 apart that difference is
// INT_MIN both ways, so `0` < `2147483648` and `2147483648` < `0` both hold,
// and near ±2^31 the order is not transitive. The oracle shows the real tools
// doing exactly this, so it is reproduced on purpose; below 2^30 it is a
// total order.

/** A parsed version. Treat it as immutable: matchers share cached copies. */
export interface ParsedVersion {
  components: number[];
  nb: number;
}

export type DeweyOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

// Component values of dewey.c's modifier table; order matters because the
// table is scanned first-match (`pre` before `pl`, all before single letters).
const ALPHA = -3;
const BETA = -2;
const RC = -1;
const DOT = 0;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** ASCII lower-casing only: the C locale's tolower. */
const lower = (c: number): number => (c >= 65 && c <= 90 ? c | 0x20 : c);

/** strncasecmp(v + i, word, word.length) == 0 for a lower-case ASCII word. */
function hasWordAt(v: string, i: number, word: string): boolean {
  if (i + word.length > v.length) return false;
  for (let k = 0; k < word.length; k++) {
    if (lower(v.charCodeAt(i + k)) !== word.charCodeAt(k)) return false;
  }
  return true;
}

// Scratch outputs of the scanners below; parsing is synchronous, so sharing
// them keeps the hot loop free of per-token allocations.
let scanValue = 0;

/** Length of the modifier at i (its value goes to scanValue), or 0. */
function modifierAt(v: string, i: number): number {
  const c = lower(v.charCodeAt(i));
  scanValue = DOT;
  if (c === 46 || c === 95) return 1; // '.' '_'
  if (c === 97 && hasWordAt(v, i, 'alpha')) {
    scanValue = ALPHA;
    return 5;
  }
  if (c === 98 && hasWordAt(v, i, 'beta')) {
    scanValue = BETA;
    return 4;
  }
  if (c === 112 && hasWordAt(v, i, 'pre')) {
    scanValue = RC;
    return 3;
  }
  if (c === 114 && hasWordAt(v, i, 'rc')) {
    scanValue = RC;
    return 2;
  }
  if (c === 112 && hasWordAt(v, i, 'pl')) return 2;
  return 0;
}

/** Read a digit run as a wrapping C int into scanValue; returns the index after it. */
function readInt(v: string, i: number): number {
  let n = 0;
  for (; i < v.length && isDigit(v.charCodeAt(i)); i++) {
    n = (Math.imul(n, 10) + (v.charCodeAt(i) - 48)) | 0;
  }
  scanValue = n;
  return i;
}

/** Parse a version string with dewey.c's mkversion rules (always a fresh object). */
export function parseVersion(v: string): ParsedVersion {
  const components: number[] = [];
  let nb = 0;
  let i = 0;
  while (i < v.length) {
    const c = v.charCodeAt(i);
    let len: number;
    if (isDigit(c)) {
      i = readInt(v, i);
      components.push(scanValue);
    } else if ((len = modifierAt(v, i)) > 0) {
      components.push(scanValue);
      i += len;
    } else if (hasWordAt(v, i, 'nb')) {
      i = readInt(v, i + 2);
      nb = scanValue; // the last `nb` wins
    } else {
      const l = lower(c);
      if (l >= 97 && l <= 122) components.push(DOT, l - 96);
      i++; // anything else is skipped
    }
  }
  return { components, nb };
}

// Bounded memo: catalogs repeat the same few thousand versions across many
// pattern evaluations, so parsing each once is the main saving.
const CACHE_LIMIT = 100_000;
let cache = new Map<string, ParsedVersion>();

/** Cached parse for hot paths; the result is shared and must not be mutated. */
export function parseVersionCached(v: string): ParsedVersion {
  let p = cache.get(v);
  if (p === undefined) {
    if (cache.size >= CACHE_LIMIT) cache = new Map();
    p = parseVersion(v);
    cache.set(v, p);
  }
  return p;
}

/** dewey.c vtest: sign of the first non-zero wrapped difference, padding with 0. */
export function compareParsed(a: ParsedVersion, b: ParsedVersion): -1 | 0 | 1 {
  const x = a.components;
  const y = b.components;
  const n = x.length > y.length ? x.length : y.length;
  for (let i = 0; i < n; i++) {
    const d = ((i < x.length ? x[i]! : 0) - (i < y.length ? y[i]! : 0)) | 0;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const d = (a.nb - b.nb) | 0;
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  return compareParsed(parseVersionCached(a), parseVersionCached(b));
}

/** dewey.c `result()`: does comparison result cmp satisfy op? */
export function testCmp(cmp: number, op: DeweyOp): boolean {
  switch (op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '==':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
  }
}

/** dewey_cmp(version, op, bound). */
export function deweyTest(version: string, op: DeweyOp, bound: string): boolean {
  return testCmp(compareVersions(version, bound), op);
}

// ---- dewey_match: `name OP version` patterns, e.g. `foo>=1.2<2` ----

/** A dewey pattern with its bounds parsed once. */
export interface DeweyPattern {
  name: string; // text before the first `<`/`>`, compared byte for byte with the base
  op: DeweyOp;
  lower: ParsedVersion;
  upperOp?: DeweyOp; // only after `>`/`>=`: the first later `<` starts an upper bound
  upper?: ParsedVersion;
}

const OPS: DeweyOp[] = ['<=', '<', '>=', '>']; // dewey.c's table order: `<=` before `<`
const readOp = (e: string, i: number): DeweyOp => OPS.find((op) => e.startsWith(op, i))!;
const PKG_PATTERN_MAX = 1024; // dewey_match copies the lower bound into a buffer this size

/** Parse a brace-free pattern containing `<` or `>`; undefined otherwise. */
export function parseDeweyPattern(pattern: string): DeweyPattern | undefined {
  const sep = pattern.search(/[<>]/);
  if (sep < 0) return undefined;
  const name = pattern.slice(0, sep);
  const op = readOp(pattern, sep);
  const rest = sep + op.length;
  const upperAt = op[0] === '>' ? pattern.indexOf('<', rest) : -1;
  if (upperAt < 0) return { name, op, lower: parseVersion(pattern.slice(rest)) };
  const upperOp = readOp(pattern, upperAt);
  const lower = parseVersion(pattern.slice(rest, Math.min(upperAt, rest + PKG_PATTERN_MAX - 1)));
  return { name, op, lower, upperOp, upper: parseVersion(pattern.slice(upperAt + upperOp.length)) };
}

// Versions of catalog names, keyed by the whole name to skip slicing per test.
let byPkgName = new Map<string, ParsedVersion>();
function versionOf(pkg: string, dash: number): ParsedVersion {
  let v = byPkgName.get(pkg);
  if (v === undefined) {
    if (byPkgName.size >= CACHE_LIMIT) byPkgName = new Map();
    v = parseVersionCached(pkg.slice(dash + 1));
    byPkgName.set(pkg, v);
  }
  return v;
}

/** dewey_match(): a name without '-' never matches. */
export function deweyMatch(d: DeweyPattern, pkgname: string): boolean {
  const dash = pkgname.lastIndexOf('-');
  if (dash !== d.name.length || !pkgname.startsWith(d.name)) return false;
  const v = versionOf(pkgname, dash);
  if (d.upper && !testCmp(compareParsed(v, d.upper), d.upperOp!)) return false;
  return testCmp(compareParsed(v, d.lower), d.op);
}

// ---- pkg_order: picking the best of several matching names ----

/** strcmp order: UTF-8 byte order, i.e. code point order (not UTF-16 unit order). */
function strcmp(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // surrogates sort after U+E000..U+FFFF
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The name pkg_order keeps when fed these (already matching) names in order:
 * greatest version, ties to the lower strcmp name. A name without '-' only
 * wins while nothing else has been seen, and is displaced by any versioned one.
 */
export function bestVersion(pkgnames: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestV: ParsedVersion | undefined;
  for (const name of pkgnames) {
    const dash = name.lastIndexOf('-');
    if (best !== undefined && dash < 0) continue;
    const v = dash < 0 ? undefined : versionOf(name, dash);
    if (best === undefined || bestV === undefined || (v !== undefined && beats(name, v, best, bestV))) {
      best = name;
      bestV = v;
    }
  }
  return best;
}

function beats(a: string, av: ParsedVersion, b: string, bv: ParsedVersion): boolean {
  const c = compareParsed(av, bv);
  return c > 0 || (c === 0 && strcmp(a, b) < 0);
}
