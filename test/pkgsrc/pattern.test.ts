// Pattern matching against the captured `pkg_admin pmatch` oracle, the
// trap-like cases of SEMANTICS.md §3, and properties tying dewey patterns,
// alternatives, compilation and best-match selection together.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { PatternError } from '../../src/errors.js';
import {
  bestMatch,
  compilePattern,
  isPkgPattern,
  matchPattern,
  patternBase,
  patternPrefix,
} from '../../src/pkgsrc/pattern.js';
import { compareVersions } from '../../src/pkgsrc/version.js';

const FIXTURES = new URL('../fixtures/pkgsrc/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

describe('pmatch-oracle.tsv', () => {
  it('agrees with every row', () => {
    const rows = fixture('pmatch-oracle.tsv')
      .split('\n')
      .filter((l) => l !== '')
      .slice(1);
    const bad: string[] = [];
    for (const row of rows) {
      const [pattern = '', pkgname = '', match] = row.split('\t');
      let got: string;
      try {
        got = matchPattern(pattern, pkgname) ? '1' : '0';
      } catch (e) {
        got = `threw ${String(e)}`;
      }
      if (got !== match) bad.push(`pmatch '${pattern}' ${pkgname}: got ${got}, want ${match}`);
    }
    expect(bad).toEqual([]);
    expect(rows.length).toBe(4032);
  });
});

describe('pmatch-oracle-errors.json', () => {
  interface ErrorCase {
    pattern: string;
    pkgname: string;
    exit: number;
    stderr: string;
  }
  const cases = JSON.parse(fixture('pmatch-oracle-errors.json')) as ErrorCase[];

  it('throws PatternError for every malformed alternate', () => {
    const bad: string[] = [];
    for (const c of cases) {
      expect(c.exit).toBe(1);
      expect(c.stderr).toContain('Malformed alternate');
      try {
        matchPattern(c.pattern, c.pkgname);
        bad.push(`${c.pattern} ${c.pkgname}: no error`);
      } catch (e) {
        if (!(e instanceof PatternError) || e.pattern !== c.pattern) bad.push(`${c.pattern}: ${String(e)}`);
        else expect(e.message).toMatch(/^Malformed alternate `\{foo,bar': unbalanced '\{'.*expected/);
      }
    }
    expect(bad).toEqual([]);
    expect(cases.length).toBe(63);
  });

  it('rejects unbalanced braces anywhere, but a stray } is plain text', () => {
    for (const p of ['{a,b}{c', 'foo-{1.0', '{foo,{bar}', 'a{b}{']) {
      expect(() => compilePattern(p)).toThrow(PatternError);
    }
    expect(matchPattern('foo}', 'foo}')).toBe(true);
    expect(matchPattern('{foo}}-1.0', 'foo}-1.0')).toBe(true);
  });
});

describe('trap-like cases from SEMANTICS.md', () => {
  const yes = (p: string, n: string): void => expect(matchPattern(p, n), `${p} ~ ${n}`).toBe(true);
  const no = (p: string, n: string): void => expect(matchPattern(p, n), `${p} !~ ${n}`).toBe(false);

  it('== and != never reach dewey', () => {
    no('foo==1.4', 'foo-1.4');
    no('foo!=1.4', 'foo-1.2');
    yes('foo==1.4', 'foo==1.4'); // only the exact-string rule can fire
  });

  it('only `>` then `<` is a range', () => {
    // one `<` test against "2.0>1.0": the '>' is skipped, giving [2,0,0,1,0,0]
    // (SEMANTICS.md says [2,0,0,0,1,0,0]; the oracle has foo-2.0.1 matching)
    yes('foo<2.0>1.0', 'foo-0.5');
    yes('foo<2.0>1.0', 'foo-2.0.1');
    no('foo<2.0>1.0', 'foo-2.01');
    no('foo<2.0>1.0', 'foo-20230101');
    yes('foo>=1.2<2', 'foo-2.0rc1');
    no('foo>=1.2<2', 'foo-2.0');
    yes('foo>=1.0<2<3', 'foo-2.2'); // upper bound text "2<3" = 2.3
    no('foo=>1.0', 'foo-1.0'); // name part is "foo="
    yes('foo><1.0', 'foo-0.5'); // `>` of the empty version, `<` 1.0
  });

  it('dewey names compare byte for byte and need a version', () => {
    no('py3*-requests>=2', 'py311-requests-2.31.0');
    yes('{py311,py312}-requests>=2.32', 'py312-requests-2.32.3');
    no('foo>=0', 'foo');
    no('foo>=1', 'foo-bar-1.0');
    yes('foo>= 1.0', 'foo-1.0');
    // "1.0-2" is [1,0,0,2]: above every 1.0.x, below 1.01 (the oracle agrees)
    yes('foo>=1.0-2', 'foo-1.02');
    no('foo>=1.0-2', 'foo-1.0.9');
  });

  it('wraps big numbers in bounds too', () => {
    yes('foo<4294967297', 'foo-0.5'); // bound is 1
    no('foo<4294967297', 'foo-1.0');
    yes('foo>=4294967296', 'foo-0');
  });

  it('treats 1.2a as 1.2.1', () => {
    yes('foo>=1.2.1', 'foo-1.2a');
    yes('foo<=1.2.1', 'foo-1.2a');
    no('foo>1.2.1', 'foo-1.2a');
  });

  it('honours FNM_PERIOD for a leading dot only', () => {
    no('*', '.foo-1.0');
    no('?foo-1.0', '.foo-1.0');
    no('[.]foo-1.0', '.foo-1.0');
    no('*.foo-1.0', '.foo-1.0');
    yes('.foo-*', '.foo-1.0');
    yes('foo-*', 'foo-.1');
  });

  it('falls back to pattern-[0-9]* with a digit right after the dash', () => {
    yes('foo', 'foo-1.4');
    yes('foo', 'foo-1.0-1');
    yes('font-adobe', 'font-adobe-100dpi-1.0.4');
    no('foo', 'foo-x1.0');
    no('foo', 'foo-');
    no('foo', 'foo-bar-1.0');
    no('foo-1', 'foo-1.4');
    yes('foo-1.?', 'foo-1.4-2'); // the fallback applies to globs as well
    yes('foo', 'foo');
    no('foo-1.4', 'foo-1.4nb0');
  });

  it('quick-rejects on the first two characters, case-sensitively', () => {
    no('Foo', 'foo-1.0');
    no('fo*', 'fa-1.0');
    yes('f*', 'fa-1.0');
  });

  it('expands alternatives, nested and empty ones too', () => {
    yes('{,py311-}requests-[0-9]*', 'requests-2.31.0');
    yes('{,py311-}requests-[0-9]*', 'py311-requests-2.31.0');
    yes('foo-{}1.0', 'foo-1.0');
    yes('{foo{,-bar}}-1.0', 'foo-bar-1.0');
    yes('{foo,bar}-{1.0,2.0nb3}', 'bar-2.0nb3');
  });

  it('copes with repeated and very many alternatives', () => {
    yes('{,}'.repeat(30) + 'foo', 'foo-1.0'); // duplicates are expanded once
    const many = '{a,b}'.repeat(13) + '-[0-9]*'; // 8192 expansions: matched lazily
    yes(many, 'ababababababa-1');
    no(many, 'aaaaaaaaaaaac-1');
    no(many, 'aaaaaaaaaaaa-1');
  });

  it('follows glibc fnmatch for brackets and escapes', () => {
    yes('foo-[!0-9]*', 'foo-x1');
    yes('foo-[^0-9]*', 'foo-x1');
    yes('foo-[]x]1', 'foo-]1');
    yes('foo-[a-]1', 'foo--1');
    yes('foo-[[:digit:]]*', 'foo-1.0');
    no('foo-[[:nosuch:]]*', 'foo-1.0');
    yes('foo-[1', 'foo-[1'); // unterminated bracket: a literal '['
    yes('foo\\-1.*', 'foo-1.0');
    no('foo-1.\\', 'foo-1.\\'.slice(0, -1)); // a trailing backslash never matches
    no('foo-?', 'foo-é'); // `?` is one byte, as in C; é is two in UTF-8
    yes('foo-??', 'foo-é');
    yes('foo-[!a][!a]', 'foo-é');
  });
});

describe('isPkgPattern, patternBase, patternPrefix', () => {
  it('spots pattern syntax', () => {
    for (const p of ['a<1', 'a>1', 'a[1]', 'a?', 'a*', '{a,b}', 'a]']) expect(isPkgPattern(p)).toBe(true);
    for (const p of ['foo', 'foo-1.0', 'foo==1.0', 'foo,bar}']) expect(isPkgPattern(p)).toBe(false);
  });

  it('pins the base only where every match must have it', () => {
    expect(patternBase('foo>=1')).toBe('foo');
    expect(patternBase('{foo,foo}>=1<2')).toBe('foo');
    expect(patternBase('py311-requests>=2.31')).toBe('py311-requests');
    // `*` and the -[0-9]* fallback can reach longer bases (foo-1-x-2 has base foo-1-x)
    for (const p of ['foo', 'foo-[0-9]*', 'foo-1.2*', 'foo-1.2', '{foo,bar}>=1', '{foo', '*']) {
      expect(patternBase(p), p).toBeUndefined();
    }
    expect(matchPattern('font-adobe', 'font-adobe-100dpi-1.0.4')).toBe(true);
  });

  it('gives a prefix every match starts with', () => {
    expect(patternPrefix('foo>=1')).toBe('foo-');
    expect(patternPrefix('foo-[0-9]*')).toBe('foo-');
    expect(patternPrefix('foo-1.2*')).toBe('foo-1.2');
    expect(patternPrefix('foo')).toBe('foo');
    expect(patternPrefix('{py311,py312}-requests>=2')).toBe('py31');
    expect(patternPrefix('*-1.0')).toBe('');
  });
});

describe('bestMatch', () => {
  const site = ['foo-1.4', 'foo-1.2', 'foo-1.4nb1', 'foo-2.0rc1', 'bar-3.0'];
  it('picks what pkg_admin lsbest picked', () => {
    expect(bestMatch('foo-[0-9]*', site)).toBe('foo-2.0rc1');
    expect(bestMatch('foo>=1.2<2', site)).toBe('foo-2.0rc1');
    expect(bestMatch('foo<1.4nb1', site)).toBe('foo-1.4');
    expect(bestMatch('nosuch', site)).toBeUndefined();
  });

  it('breaks version ties by byte order and prefers versioned names', () => {
    expect(bestMatch('foo', ['foo-1.0.0', 'foo-1.0'])).toBe('foo-1.0');
    expect(bestMatch('foo', ['foo-1.0', 'foo-1.0.0'])).toBe('foo-1.0');
    expect(bestMatch('{foo,foo-1.0}', ['foo', 'foo-1.0'])).toBe('foo-1.0');
    expect(bestMatch('{foo,foo-1.0}', ['foo-1.0', 'foo'])).toBe('foo-1.0');
  });
});

// Versions that can follow `name>=` without changing how the pattern parses.
// Each digit run is followed by a non-digit token so runs stay below 2^31.
const version = fc
  .tuple(
    fc.nat(999_999).map(String),
    fc.array(
      fc.tuple(
        fc.constantFrom('.', '_', 'alpha', 'beta', 'rc', 'pre', 'pl', 'nb', 'a', 'z', 'x', '+', '~'),
        fc.oneof(fc.constant(''), fc.nat(999_999).map(String)),
      ),
      { maxLength: 5 },
    ),
  )
  .map(([head, rest]) => head + rest.map(([t, d]) => t + d).join(''));
const base = fc.constantFrom('foo', 'py311-requests', 'font-adobe-100dpi', 'gtk2+', 'x');

describe('properties', () => {
  it('dewey operators agree with compareVersions', () => {
    const ops: [string, (c: number) => boolean][] = [
      ['>=', (c) => c >= 0],
      ['>', (c) => c > 0],
      ['<', (c) => c < 0],
      ['<=', (c) => c <= 0],
    ];
    fc.assert(
      fc.property(base, version, version, (n, v, w) => {
        for (const [op, ok] of ops) {
          expect(matchPattern(`${n}${op}${v}`, `${n}-${w}`)).toBe(ok(compareVersions(w, v)));
        }
      }),
      { numRuns: 1000 },
    );
  });

  const piece = fc.constantFrom('foo', 'fo', 'o', '-', '1', '.', '*', '?', '[0-9]', '>=1', '<2', 'bar', '');
  const text = fc.array(piece, { maxLength: 4 }).map((a) => a.join(''));
  const name = fc.constantFrom('foo-1.0', 'foo-2.0', 'bar-1.0', 'foo', 'foo-bar-1.0', 'foobar-1', 'o-1');

  it('{a,b}x matches exactly when ax or bx does', () => {
    fc.assert(
      fc.property(text, text, text, name, (a, b, x, n) => {
        expect(matchPattern(`{${a},${b}}${x}`, n)).toBe(matchPattern(a + x, n) || matchPattern(b + x, n));
      }),
      { numRuns: 2000 },
    );
  });

  it('compilePattern agrees with matchPattern', () => {
    fc.assert(
      fc.property(text, fc.array(name, { maxLength: 6 }), (p, names) => {
        const m = compilePattern(`{${p},x}${p}`);
        for (const n of names) expect(m(n)).toBe(matchPattern(`{${p},x}${p}`, n));
      }),
      { numRuns: 1000 },
    );
  });

  it('bestMatch returns a match that no other match outranks', () => {
    const pkg = fc.tuple(fc.constantFrom('foo', 'bar'), version).map(([b, v]) => `${b}-${v}`);
    fc.assert(
      fc.property(fc.constantFrom('foo', 'foo>=1', 'foo<5', '{foo,bar}-[0-9]*'), fc.array(pkg), (p, pkgs) => {
        const best = bestMatch(p, pkgs);
        const matches = pkgs.filter((n) => matchPattern(p, n));
        if (best === undefined) {
          expect(matches).toEqual([]);
          return;
        }
        expect(matches).toContain(best);
        const bv = best.slice(best.lastIndexOf('-') + 1);
        for (const n of matches) expect(compareVersions(n.slice(n.lastIndexOf('-') + 1), bv)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });
});
