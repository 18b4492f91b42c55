// pkgsrc package patterns, matched exactly like pkg_install's opattern.c
// `pkg_match` (what `pkg_admin pmatch` runs) and ordered like `pkg_order`;
// see test/fixtures/pkgsrc/SEMANTICS.md §3 and "Best match".
//
// Evaluation order: quick reject on the first two characters, csh `{a,b}`
// alternatives (each expansion re-runs the whole algorithm), dewey
// comparison when `<` or `>` occurs, fnmatch(3) with FNM_PERIOD, exact
// string compare, then `pattern-[0-9]*`. Patterns are compiled once:
// alternatives expanded, dewey bounds parsed, bracket expressions turned
// into per-byte lookup tables. The glob engine follows glibc's fnmatch in
// the C locale (the oracle was captured on Linux) and, like C, sees bytes.

import { PatternError } from '../errors.js';
import { bestVersion, deweyMatch, parseDeweyPattern } from './version.js';
import type { DeweyPattern } from './version.js';
import { compileGlob, globMatch, isAlpha, isDigit, type Glob } from './fnmatch.js';

export type Matcher = (pkgname: string) => boolean;

/** ispkgpattern(): does s use any pattern syntax at all? */
export function isPkgPattern(s: string): boolean {
  return /[<>[\]?*{]/.test(s);
}

// ---- csh-style alternatives (opattern.c alternate_match) ----

/**
 * Offset of the first `{` that is never closed, or -1. A stray `}` outside a
 * group is plain text. Checking the whole pattern up front is equivalent to
 * alternate_match's group-by-group check, since every alternative is itself
 * balanced.
 */
function unclosedBrace(pattern: string): number {
  if (!pattern.includes('{')) return -1;
  const open: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '{') open.push(i);
    else if (pattern[i] === '}') open.pop();
  }
  return open.length > 0 ? open[0]! : -1;
}

/** The first `{...}` group: text before, the alternatives, text after; null if none. */
function firstGroup(pattern: string): { head: string; alts: string[]; tail: string } | null {
  const open = pattern.indexOf('{');
  if (open < 0) return null;
  const alts: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = start; ; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (depth === 0 && (c === ',' || c === '}')) {
      alts.push(pattern.slice(start, i));
      start = i + 1;
      if (c === '}') return { head: pattern.slice(0, open), alts, tail: pattern.slice(i + 1) };
    }
  }
}

const EXPANSION_LIMIT = 4096;

/** Every brace-free expansion, or null past EXPANSION_LIMIT distinct intermediate patterns. */
function expand(pattern: string): string[] | null {
  // Most patterns have no alternatives: no set, no search for a group.
  if (!pattern.includes('{')) return [pattern];
  const seen = new Set<string>(); // `{,}{,}...` must not cost 2^n
  const leaves: string[] = [];
  for (const todo = [pattern]; todo.length > 0;) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    if (seen.add(p).size > EXPANSION_LIMIT) return null;
    const g = firstGroup(p);
    if (!g) leaves.push(p);
    else for (const alt of g.alts) todo.push(g.head + alt + g.tail);
  }
  return leaves;
}

// ---- one brace-free pattern ----

const isSimple = (c: number): boolean => isDigit(c) || isAlpha(c) || c === 45;

/** quick_pkg_match: a leading alphanumeric or '-' must be equal in the name. */
function quickOk(e: string, name: string): boolean {
  const c0 = e.charCodeAt(0);
  if (!isSimple(c0)) return true;
  if (c0 !== name.charCodeAt(0)) return false;
  const c1 = e.charCodeAt(1);
  return !isSimple(c1) || c1 === name.charCodeAt(1);
}

/**
 * A brace-free pattern, as data so one monomorphic function matches them all.
 * `prefix` (literal text every match starts with) also covers quick_pkg_match:
 * the characters it checks are always literal.
 */
interface Leaf {
  e: string;
  prefix: string;
  dewey?: DeweyPattern;
  glob?: Glob;
  fallback?: Glob;
}

function compileLeaf(e: string): Leaf {
  const sep = e.search(/[<>]/);
  if (sep >= 0)
    return { e, prefix: `${e.slice(0, sep)}-`, dewey: parseDeweyPattern(e), glob: undefined, fallback: undefined };
  return {
    e,
    prefix: e.slice(0, e.search(/[*?[\\]|$/)),
    dewey: undefined,
    glob: /[*?[\]]/.test(e) ? compileGlob(e) : undefined,
    // a plain-text pattern needs no glob engine for its `-[0-9]*` retry
    fallback: /[*?[\\]/.test(e) ? compileGlob(`${e}-[0-9]*`) : undefined,
  };
}

function matchLeaf(l: Leaf, pkg: string): boolean {
  if (!pkg.startsWith(l.prefix)) return false;
  if (l.dewey) return deweyMatch(l.dewey, pkg);
  if ((l.glob && globMatch(l.glob, pkg)) || pkg === l.e) return true;
  if (l.fallback) return globMatch(l.fallback, pkg);
  const n = l.e.length; // prefix is e itself here
  return pkg.length > n + 1 && pkg.charCodeAt(n) === 45 && isDigit(pkg.charCodeAt(n + 1));
}

/** Straight transcription of pkg_match's recursion, for patterns with huge expansions. */
function matchRecursive(pattern: string, pkg: string): boolean {
  if (!quickOk(pattern, pkg)) return false;
  const g = firstGroup(pattern);
  if (!g) return matchLeaf(compileLeaf(pattern), pkg);
  let found = false;
  for (const alt of g.alts) if (matchRecursive(g.head + alt + g.tail, pkg)) found = true;
  return found;
}

// ---- public API ----

/**
 * A matcher equivalent to `pkg_admin pmatch pattern NAME`. Throws PatternError
 * for unbalanced braces (pkg_admin's "Malformed alternate"; it only reports it
 * when the quick reject lets the name through, but never matches either way).
 */
export function compilePattern(pattern: string): Matcher {
  return compileWithPrefixes(pattern).match;
}

/** Why compilePattern would throw for this pattern (its PatternError), or undefined: without compiling it. */
export function patternMalformation(pattern: string): PatternError | undefined {
  const bad = unclosedBrace(pattern);
  return bad < 0
    ? undefined
    : new PatternError(
        pattern,
        `Malformed alternate \`${pattern}': unbalanced '{' at offset ` +
          `${bad}, expected a matching '}' (pkg_admin exits 1 for this pattern)`,
      );
}

/**
 * compilePattern, and the literal prefix of each alternative (what
 * patternPrefix gives for that alternative alone), or undefined when the
 * expansions are too many to list: for indexes that compile a pattern once
 * and key it by its alternatives, without expanding it again.
 */
export function compileWithPrefixes(pattern: string): { match: Matcher; prefixes: string[] | undefined } {
  const bad = patternMalformation(pattern);
  if (bad) throw bad;
  const leaves = expand(pattern);
  if (!leaves) return { match: (pkg) => matchRecursive(pattern, pkg), prefixes: undefined };
  const compiledLeaves = leaves.map(compileLeaf);
  const prefixes = compiledLeaves.map((l) => l.prefix);
  const [only] = compiledLeaves;
  if (compiledLeaves.length === 1 && only) return { match: (pkg) => matchLeaf(only, pkg), prefixes };
  return {
    match: (pkg) => {
      for (const l of compiledLeaves) if (matchLeaf(l, pkg)) return true;
      return false;
    },
    prefixes,
  };
}

// Callers re-evaluate the same few hundred patterns per site; compile each once.
let compiled = new Map<string, Matcher>();
function cachedMatcher(pattern: string): Matcher {
  let m = compiled.get(pattern);
  if (!m) {
    if (compiled.size >= 10_000) compiled = new Map();
    m = compilePattern(pattern);
    compiled.set(pattern, m);
  }
  return m;
}

export function matchPattern(pattern: string, pkgname: string): boolean {
  return cachedMatcher(pattern)(pkgname);
}

/**
 * pkg_order applied over the candidates in the given order: the matching name
 * with the greatest version; equal versions go to the lower strcmp name.
 */
export function bestMatch(pattern: string, pkgnames: Iterable<string>): string | undefined {
  const m = cachedMatcher(pattern);
  return bestVersion(filter(pkgnames, m));
}

function* filter(names: Iterable<string>, keep: Matcher): Iterable<string> {
  for (const n of names) if (keep(n)) yield n;
}

/** Expansions of a well-formed pattern, or null (malformed or too many). */
export function leavesOf(pattern: string): string[] | null {
  return unclosedBrace(pattern) < 0 ? expand(pattern) : null;
}

/**
 * The one package base every match must have, or undefined. Only dewey
 * patterns pin the base: `*` spans '-' and the `-[0-9]*` fallback lets bare
 * and glob patterns reach longer bases (`font-adobe` matches
 * `font-adobe-100dpi-1.0.4`, `foo-[0-9]*` matches `foo-1-x-2`). Use
 * patternPrefix to narrow a catalog for those.
 */
export function patternBase(pattern: string): string | undefined {
  const leaves = leavesOf(pattern);
  if (!leaves) return undefined;
  let base: string | undefined;
  for (const e of leaves) {
    const sep = e.search(/[<>]/);
    if (sep < 0 || (base !== undefined && base !== e.slice(0, sep))) return undefined;
    base = e.slice(0, sep);
  }
  return base;
}

/** A string every matching package name starts with (possibly ''). */
export function patternPrefix(pattern: string): string {
  const leaves = leavesOf(pattern);
  if (!leaves) return '';
  const prefixes = leaves.map((e) => compileLeaf(e).prefix);
  return prefixes.reduce((acc, p) => {
    let i = 0;
    while (i < acc.length && i < p.length && acc[i] === p[i]) i++;
    return acc.slice(0, i);
  });
}
