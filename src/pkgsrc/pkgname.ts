// Package names (PKGNAME = BASE-VERSION) as pkg_install understands them:
// split at the LAST '-', because bases may themselves contain '-' and digits
// (py311-requests-2.31.0). Parsers use `diagnosePkgName` to point at the
// exact offending character; everything else only needs the boolean.
// This is the one rule for a name: the listings a site sends, the catalog
// and the job renderer (jobs/shell.ts) all ask it, so a name a job would
// refuse to carry is refused where it enters, with its location.

/** Why a string is not a valid PKGNAME, and where (0-based offset). */
export interface PkgNameDiagnosis {
  offset: number;
  expected: string;
}

// Names are directory names in PKG_DBDIR and tokens in whitespace-separated
// tool output, so any whitespace or control character makes them unusable.
function isBadChar(c: number): boolean {
  if (c <= 0x20 || (c >= 0x7f && c <= 0xa0)) return true;
  if (c < 0x1680) return false;
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

// 1: may be in a name; 2: may also start one. Letters, digits and . _ + - :
// what pkgsrc names are made of, and all a job script can carry without
// quoting mattering (no $ ; ` | & ( ) ' " \\ or space). A table: millions
// of names go through it.
const NAME_CHARS = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') NAME_CHARS[c.charCodeAt(0)] = 2;
for (const c of '._+-') NAME_CHARS[c.charCodeAt(0)] = 1;

/** May `c` (a UTF-16 code unit or a byte) be part of a package name? */
export function isPkgNameChar(c: number): boolean {
  return c < 128 && NAME_CHARS[c] !== 0;
}

/** A name starts with a letter or digit (never '-', so it cannot pass for an option). */
export function isPkgNameStart(c: number): boolean {
  return c < 128 && NAME_CHARS[c] === 2;
}

function describeChar(c: number): string {
  if (c === 0x20) return 'a space';
  if (c === 0x09) return 'a tab';
  return `character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Null when `s` is a valid PKGNAME, else what was expected and where. */
export function diagnosePkgName(s: string): PkgNameDiagnosis | null {
  if (s.length === 0) {
    return { offset: 0, expected: 'expected a package name BASE-VERSION, got nothing' };
  }
  let dash = -1;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && NAME_CHARS[c] === 2) continue;
    if (c === 0x2d) dash = i;
    else if (isPkgNameChar(c)) continue;
    else if (isBadChar(c)) {
      return {
        offset: i,
        expected: `expected a package name BASE-VERSION without whitespace or control characters, got ${describeChar(c)} in '${s}'`,
      };
    } else {
      return {
        offset: i,
        expected: `expected a package name of letters, digits and '.', '_', '+', '-', got ${describeOther(c)} in '${s}'`,
      };
    }
  }
  if (dash < 0) {
    return { offset: 0, expected: `expected a package name BASE-VERSION, '${s}' has no '-' before a version` };
  }
  if (dash === 0) {
    return { offset: 0, expected: `expected a package name BASE-VERSION, '${s}' has an empty base before '-'` };
  }
  if (dash === s.length - 1) {
    return { offset: dash + 1, expected: `expected a version after the last '-' of '${s}'` };
  }
  const v = s.charCodeAt(dash + 1);
  if (v < 0x30 || v > 0x39) {
    return { offset: dash + 1, expected: `expected the version after the last '-' of '${s}' to start with a digit` };
  }
  if (!isPkgNameStart(s.charCodeAt(0))) {
    return { offset: 0, expected: `expected a package name that starts with a letter or digit, got '${s}'` };
  }
  return null;
}

function describeOther(c: number): string {
  return c < 0x7f ? `'${String.fromCharCode(c)}'` : describeChar(c);
}

/** True for BASE-VERSION with a non-empty base and a version starting with a digit. */
export function isValidPkgName(s: string): boolean {
  return diagnosePkgName(s) === null;
}

/** Splits a valid PKGNAME at its last '-'; null for anything isValidPkgName rejects. */
export function splitPkgName(s: string): { base: string; version: string } | null {
  if (!isValidPkgName(s)) return null;
  const dash = s.lastIndexOf('-');
  return { base: s.slice(0, dash), version: s.slice(dash + 1) };
}
