// fnmatch(pattern, string, FNM_PERIOD) as glibc does it in the C locale
// (the pkgsrc oracle was captured on Linux): `*`, `?`, bracket expressions
// with ranges, classes, collating symbols and negation, backslash escapes,
// and an unterminated `[` taken literally. Like C, it sees bytes.

const FAIL = -1;
const LITERAL = -2; // unterminated `[`: glibc retries it as a plain '['
const CLASSES: Record<string, (c: number) => boolean> = {
  alnum: (c) => isAlpha(c) || isDigit(c),
  alpha: (c) => isAlpha(c),
  blank: (c) => c === 32 || c === 9,
  cntrl: (c) => c < 32 || c === 127,
  digit: (c) => isDigit(c),
  graph: (c) => c > 32 && c < 127,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c < 127,
  punct: (c) => c > 32 && c < 127 && !isAlpha(c) && !isDigit(c),
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  upper: (c) => c >= 65 && c <= 90,
  xdigit: (c) => isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 102),
};
const CLASS_NAME_MAX = 2048; // glibc's CHARCLASS_NAME_MAX
export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isAlpha = (c: number): boolean => (c | 32) >= 97 && (c | 32) <= 122;
const at = (p: string, i: number): number => (i < p.length ? p.charCodeAt(i) : 0);

/** A read position in a NUL-terminated pattern, like C's `*p++`. */
class Cursor {
  constructor(
    readonly p: string,
    public i: number,
  ) {}
  peek(k = 0): number {
    return at(this.p, this.i + k);
  }
  next(): number {
    return at(this.p, this.i++);
  }
}

/** Index of the '.' in the `.]` closing a collating symbol opened at i, or FAIL. */
function dotClose(p: string, i: number): number {
  for (let q = i + 1; ; q++) {
    if (at(p, q) === 0) return FAIL;
    if (at(p, q) === 46 && at(p, q + 1) === 93) return q;
  }
}

/** `[:name:]` with i at the ':': [name, index after], or null when it is no class syntax. */
function readClass(p: string, i: number): [string, number] | null {
  for (let q = i + 1; ; q++) {
    if (q - i > CLASS_NAME_MAX) return ['', q]; // glibc rejects it; '' is never valid either
    const c = at(p, q);
    if (c === 58 && at(p, q + 1) === 93) return [p.slice(i + 1, q), q + 2];
    if (c < 97 || c >= 122) return null; // glibc's own test, which excludes 'z'
  }
}

/** glibc's walk over the rest of a bracket after a hit: index after `]`, or FAIL. */
function skipRest(p: string, i: number, negated: boolean): number {
  for (let c = at(p, i++); c !== 93; c = at(p, i++)) {
    if (c === 0) return FAIL;
    if (c === 92) {
      if (at(p, i++) === 0) return FAIL;
    } else if (c === 91 && at(p, i) === 58) {
      for (let q = i + 1; ; q++) {
        if (q - i === CLASS_NAME_MAX) return FAIL;
        if (at(p, q) === 58 && at(p, q + 1) === 93) {
          i = q + 2;
          break;
        }
        if (at(p, q) < 97 || at(p, q) >= 122) break; // rescan from the ':'
      }
    } else if (c === 91 && at(p, i) === 61) {
      if (at(p, i + 1) === 0 || at(p, i + 2) !== 61 || at(p, i + 3) !== 93) return FAIL;
      i += 4;
    } else if (c === 91 && at(p, i) === 46) {
      const q = dotClose(p, i);
      if (q === FAIL) return FAIL;
      i = q + 2;
    }
  }
  return negated ? FAIL : i;
}

const HIT = -3; // element outcomes besides FAIL/LITERAL; >= 0 is the next pattern char

/** Optional `-hi` after element lo (glibc's range branch). */
function rangeTail(cur: Cursor, lo: number, c: number, fn: number): number {
  if (c !== 45 || cur.peek() === 93) return c;
  let hi = cur.next();
  if (hi === 91 && cur.peek() === 46) {
    const q = dotClose(cur.p, cur.i);
    if (q !== cur.i + 2) return FAIL; // C locale: single-character symbols only
    hi = cur.peek(1);
    cur.i = q + 2;
  } else if (hi === 92) hi = cur.next();
  if (hi === 0) return FAIL;
  return lo <= fn && fn <= hi ? HIT : cur.next();
}

/** A plain element; a following `-x` (x not `]`) makes it a range start instead. */
function plainElement(cur: Cursor, lo: number, fn: number): number {
  const isRange = cur.peek() === 45 && cur.peek(1) !== 0 && cur.peek(1) !== 93;
  if (!isRange && lo === fn) return HIT;
  return rangeTail(cur, lo, cur.next(), fn);
}

/** One bracket element starting with c (already read); see the HIT note. */
function element(cur: Cursor, c: number, fn: number): number {
  const { p, i } = cur;
  if (c === 92) return cur.peek() === 0 ? FAIL : plainElement(cur, cur.next(), fn);
  const cls = c === 91 && cur.peek() === 58 ? readClass(p, i) : null;
  if (cls) {
    const test = Object.hasOwn(CLASSES, cls[0]) ? CLASSES[cls[0]] : undefined;
    cur.i = cls[1];
    return !test ? FAIL : test(fn) ? HIT : cur.next();
  }
  if (c === 91 && at(p, i) === 61 && at(p, i + 1) !== 0 && at(p, i + 2) === 61 && at(p, i + 3) === 93) {
    cur.i = i + 4;
    return fn === at(p, i + 1) ? HIT : cur.next();
  }
  if (c === 0) return LITERAL;
  if (c !== 91 || at(p, i) !== 46) return plainElement(cur, c, fn);
  const q = dotClose(p, i);
  if (q !== i + 2) return FAIL; // unclosed, or a multi-character symbol
  cur.i = q + 2;
  const isRange = cur.peek() === 45 && cur.peek(1) !== 0;
  if (!isRange && fn === at(p, i + 1)) return HIT;
  return rangeTail(cur, at(p, i + 1), cur.next(), fn);
}

/**
 * glibc's bracket loop for the body starting at i against byte fn: index after
 * the bracket when fn is accepted, FAIL, or LITERAL when the bracket never closes.
 */
function evalBracket(p: string, i: number, fn: number): number {
  const cur = new Cursor(p, i);
  const negated = cur.peek() === 33 || cur.peek() === 94; // '!' or '^'
  if (negated) cur.i++;
  for (let c = cur.next(); ;) {
    c = element(cur, c, fn);
    if (c === HIT) return skipRest(p, cur.i, negated);
    if (c < 0) return c;
    if (c === 93) return negated ? cur.i : FAIL;
  }
}

export interface Glob {
  p: string; // the pattern, as UTF-8 bytes in a binary string when not ASCII
  tables: (Int32Array | undefined)[]; // bracket outcome per byte, by `[` position
  bytes: boolean; // whether names must be seen as bytes (`?` and `[` count bytes)
}

const NON_ASCII = /[^\0-\x7f]/;
const toBytes = (s: string): string => (NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s);

export function compileGlob(pattern: string): Glob {
  return { p: toBytes(pattern), tables: [], bytes: /[?[]/.test(pattern) || NON_ASCII.test(pattern) };
}

function bracketTable(g: Glob, pi: number): Int32Array {
  let t = g.tables[pi];
  if (!t) {
    t = new Int32Array(256);
    for (let b = 0; b < 256; b++) t[b] = evalBracket(g.p, pi + 1, b);
    g.tables[pi] = t;
  }
  return t;
}

/** One non-`*` token at pi against s[si]: the next pattern index, or FAIL. */
function step(g: Glob, pi: number, s: string, si: number): number {
  const p = g.p;
  const c = p.charCodeAt(pi);
  const ch = s.charCodeAt(si);
  const leadingDot = si === 0 && ch === 46; // FNM_PERIOD: only a literal '.' may match it
  if (c === 63) return leadingDot ? FAIL : pi + 1;
  if (c === 92) return pi + 1 < p.length && p.charCodeAt(pi + 1) === ch ? pi + 2 : FAIL;
  if (c !== 91) return c === ch ? pi + 1 : FAIL;
  if (leadingDot) return FAIL;
  const r = ch < 256 ? bracketTable(g, pi)[ch]! : evalBracket(p, pi + 1, ch);
  return r === LITERAL ? (ch === 91 ? pi + 1 : FAIL) : r;
}

/** fnmatch(g, name, FNM_PERIOD) == 0; backtracking to the last `*` is complete here. */
export function globMatch(g: Glob, name: string): boolean {
  const s = g.bytes ? toBytes(name) : name;
  const p = g.p;
  let pi = 0;
  let si = 0;
  let starP = -1; // resume point after the last `*`, and where its match ends
  let starS = 0;
  for (;;) {
    if (pi < p.length && p.charCodeAt(pi) === 42) {
      if (si === 0 && s.charCodeAt(0) === 46) return false;
      while (p.charCodeAt(pi) === 42) pi++;
      if (pi === p.length) return true;
      starP = pi;
      starS = si;
      continue;
    }
    if (pi === p.length && si === s.length) return true;
    const next = pi < p.length && si < s.length ? step(g, pi, s, si) : FAIL;
    if (next >= 0) {
      pi = next;
      si++;
    } else {
      if (starP < 0 || starS >= s.length) return false;
      pi = starP; // let the last `*` swallow one more character
      si = ++starS;
    }
  }
}
