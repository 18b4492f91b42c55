// The emulator's own pkgsrc version order and package-pattern matcher
// (test-only). Written from the behaviour described in pkg_install's
// lib/dewey.c and lib/opattern.c (and checked against the pkg_admin oracles
// in test/fixtures/pkgsrc/), independently of the product's src/pkgsrc/, so
// that the emulated pkg_add does not agree with the planner by construction.
//
// The real tools work on bytes in the C locale; every entry point turns its
// strings into one character per UTF-8 byte first, so `?` in a glob and the
// ASCII-only letter/digit rules see what the C code sees.

/** A pattern pkg_install rejects (pkg_admin prints it and exits 1). */
export class MalformedPattern extends Error {}

const bytes = (s) => Buffer.from(s, 'utf8').toString('latin1');
const isDigit = (c) => c >= '0' && c <= '9';
const isAlpha = (c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

// ---- versions (dewey.c) ----

/** Words that stand for one version component, tried in this order, case-insensitively. */
const MODIFIERS = [
  ['alpha', -3],
  ['beta', -2],
  ['pre', -1],
  ['rc', -1],
  ['pl', 0],
  ['_', 0],
  ['.', 0],
];

const startsWithCi = (s, i, word) => s.slice(i, i + word.length).toLowerCase() === word;

/** The digits at s[i..]: their value as a C int (wrapping, as the real tool's int does) and the end index. */
function readNumber(s, i) {
  let n = 0;
  while (i < s.length && isDigit(s[i])) {
    n = (Math.imul(n, 10) + (s.charCodeAt(i) - 48)) | 0;
    i++;
  }
  return [n, i];
}

/** A version string as { parts, nb }: the list of int components and the "nb" revision. */
export function parseVersion(text) {
  const s = bytes(text);
  const parts = [];
  let nb = 0;
  let i = 0;
  while (i < s.length) {
    if (isDigit(s[i])) {
      const [n, end] = readNumber(s, i);
      parts.push(n);
      i = end;
      continue;
    }
    const mod = MODIFIERS.find(([word]) => startsWithCi(s, i, word));
    if (mod) {
      parts.push(mod[1]);
      i += mod[0].length;
      continue;
    }
    if (startsWithCi(s, i, 'nb')) {
      const [n, end] = readNumber(s, i + 2);
      nb = n; // a later nb replaces an earlier one
      i = end;
      continue;
    }
    if (isAlpha(s[i])) {
      // a lone letter counts as ".N", N its place in the alphabet
      parts.push(0, s[i].toLowerCase().charCodeAt(0) - 96);
    }
    i++; // any other byte is skipped
  }
  return { parts, nb };
}

/** The sign of a - b computed as C int subtraction (which wraps), as the real comparison does. */
const signOfDiff = (a, b) => Math.sign((a - b) | 0);

/** -1, 0 or 1: a before, equal to, or after b. Shorter lists are padded with zeros. */
export function compareVersions(a, b) {
  const x = parseVersion(a);
  const y = parseVersion(b);
  const len = Math.max(x.parts.length, y.parts.length);
  for (let i = 0; i < len; i++) {
    const d = signOfDiff(x.parts[i] ?? 0, y.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  return signOfDiff(x.nb, y.nb);
}

/** Relational operators, tried in this order at the operator's position. */
const OPERATORS = [
  ['<=', (c) => c <= 0],
  ['<', (c) => c < 0],
  ['>=', (c) => c >= 0],
  ['>', (c) => c > 0],
  ['==', (c) => c === 0],
  ['!=', (c) => c !== 0],
];
const operatorAt = (s, i) => OPERATORS.find(([op]) => s.startsWith(op, i));

/** `name<op>version[<op>version]` against a package name (both byte strings). */
function deweyMatch(pattern, pkg) {
  const dash = pkg.lastIndexOf('-');
  if (dash < 0) return false;
  const sep = pattern.search(/[<>]/);
  // the name part is compared byte for byte with the package's base: no globbing
  if (pattern.slice(0, sep) !== pkg.slice(0, dash)) return false;
  const version = pkg.slice(dash + 1);
  const op = operatorAt(pattern, sep);
  if (!op) return false;
  const rest = pattern.slice(sep + op[0].length);
  // only ">…<…" is a range; anything after a "<" is that bound's version text
  const upper = op[0].startsWith('>') ? rest.indexOf('<') : -1;
  if (upper >= 0) {
    const op2 = operatorAt(rest, upper);
    if (!op2[1](compareVersions(version, rest.slice(upper + op2[0].length)))) return false;
    return op[1](compareVersions(version, rest.slice(0, upper)));
  }
  return op[1](compareVersions(version, rest));
}

// ---- fnmatch(3) with FNM_PERIOD, as glibc does it (no FNM_PATHNAME) ----

const CLASSES = {
  alnum: (c) => isAlpha(c) || isDigit(c),
  alpha: isAlpha,
  blank: (c) => c === ' ' || c === '\t',
  cntrl: (c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127,
  digit: isDigit,
  graph: (c) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127,
  lower: (c) => c >= 'a' && c <= 'z',
  print: (c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127,
  punct: (c) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127 && !isAlpha(c) && !isDigit(c),
  space: (c) => ' \t\n\v\f\r'.includes(c),
  upper: (c) => c >= 'A' && c <= 'Z',
  xdigit: (c) => /[0-9A-Fa-f]/.test(c),
};

/**
 * Parse the bracket expression starting at p[i] === '['. Returns
 * { test(c), end } (end = index after the closing ']'), or undefined when
 * it is not closed (then the '[' is an ordinary character).
 */
function parseBracket(p, i) {
  let j = i + 1;
  let negate = false;
  if (p[j] === '!' || p[j] === '^') {
    negate = true;
    j++;
  }
  const tests = [];
  let first = true;
  for (;;) {
    if (j >= p.length) return undefined;
    let c = p[j];
    if (c === ']' && !first) break;
    first = false;
    if (c === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      const cls = close < 0 ? undefined : CLASSES[p.slice(j + 2, close)];
      if (cls) {
        tests.push(cls);
        j = close + 2;
        continue;
      }
    }
    if (c === '\\') {
      j++;
      if (j >= p.length) return undefined;
      c = p[j];
    }
    j++;
    if (p[j] === '-' && p[j + 1] !== undefined && p[j + 1] !== ']') {
      let hi = p[j + 1];
      j += 2;
      if (hi === '\\') {
        if (j >= p.length) return undefined;
        hi = p[j++];
      }
      const lo = c;
      tests.push((x) => x >= lo && x <= hi);
    } else {
      tests.push((x) => x === c);
    }
  }
  return { test: (x) => tests.some((t) => t(x)) !== negate, end: j + 1 };
}

/** fnmatch(pattern, str, FNM_PERIOD) === 0, on byte strings. */
export function fnmatch(p, s) {
  const leadingDot = (si) => si === 0 && s[0] === '.';
  const walk = (pi, si) => {
    while (pi < p.length) {
      const c = p[pi];
      if (c === '*') {
        if (leadingDot(si)) return false;
        while (p[pi] === '*') pi++;
        if (pi === p.length) return true;
        for (let k = si; k <= s.length; k++) if (walk(pi, k)) return true;
        return false;
      }
      if (si >= s.length) return false;
      if (c === '?') {
        if (leadingDot(si)) return false;
        pi++;
        si++;
        continue;
      }
      if (c === '[') {
        const br = parseBracket(p, pi);
        if (br) {
          if (leadingDot(si) || !br.test(s[si])) return false;
          pi = br.end;
          si++;
          continue;
        }
      }
      let lit = c;
      if (c === '\\') {
        pi++;
        if (pi >= p.length) return false;
        lit = p[pi];
      }
      if (s[si] !== lit) return false;
      pi++;
      si++;
    }
    return si === s.length;
  };
  return walk(0, 0);
}

// ---- patterns (opattern.c) ----

const simple = (c) => c !== undefined && (isAlpha(c) || isDigit(c) || c === '-');

/** The first two characters of a plain pattern must equal the package's. */
function quickReject(pattern, pkg) {
  for (let i = 0; i < 2; i++) {
    if (!simple(pattern[i])) return false;
    if (pattern[i] !== pkg[i]) return true;
  }
  return false;
}

/** Expand the first {a,b,...} group (braces may nest) and match each alternative in full. */
function alternativesMatch(pattern, pkg) {
  const open = pattern.indexOf('{');
  let depth = 0;
  let close = -1;
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === '{') depth++;
    else if (pattern[i] === '}' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) throw new MalformedPattern(`Malformed alternate \`${Buffer.from(pattern, 'latin1')}'`);
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const alternatives = [];
  let start = open + 1;
  depth = 0;
  for (let i = open + 1; i <= close; i++) {
    const ch = pattern[i];
    if (ch === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    else if (depth === 0 && (ch === ',' || i === close)) {
      alternatives.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  let found = false; // every alternative is tried: a malformed one fails even after a hit
  for (const alt of alternatives) if (matchBytes(head + alt + tail, pkg)) found = true;
  return found;
}

function matchBytes(pattern, pkg) {
  if (quickReject(pattern, pkg)) return false;
  if (pattern.includes('{')) return alternativesMatch(pattern, pkg);
  if (/[<>]/.test(pattern)) return deweyMatch(pattern, pkg);
  if (/[*?[\]]/.test(pattern) && fnmatch(pattern, pkg)) return true;
  if (pattern === pkg) return true;
  // a base name (or a glob without version) matches any version of it
  return fnmatch(`${pattern}-[0-9]*`, pkg);
}

/** Whether pkgname matches pattern; throws MalformedPattern for unbalanced braces. */
export function pkgMatch(pattern, pkgname) {
  return matchBytes(bytes(pattern), bytes(pkgname));
}

/** ispkgpattern(): true for anything the tools treat as a pattern rather than a name. */
export const isPkgPattern = (s) => /[<>[\]?*{]/.test(s);

/**
 * pkg_order(): 1 if a is the better match for pattern, 2 if b is, 0 if
 * neither matches. Equal versions: the name that sorts first (by bytes) wins.
 */
export function pkgOrder(pattern, a, b) {
  const ok = (n) => n !== undefined && pkgMatch(pattern, n);
  if (!ok(a)) return ok(b) ? 2 : 0;
  if (!ok(b)) return 1;
  const va = a.lastIndexOf('-');
  const vb = b.lastIndexOf('-');
  if (va < 0) return 2;
  if (vb < 0) return 1;
  const c = compareVersions(a.slice(va + 1), b.slice(vb + 1));
  if (c !== 0) return c > 0 ? 1 : 2;
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0 ? 1 : 2;
}

/** The best match for pattern among names (undefined when none matches). */
export function bestMatch(pattern, names) {
  let best;
  for (const n of names) if (pkgOrder(pattern, n, best) === 1) best = n;
  return best;
}
