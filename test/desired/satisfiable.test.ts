// "Can any version satisfy this range?" against the real tools: every range
// the captured pkg_admin matched something with is called satisfiable, and
// the answer follows the oracle's version order; over generated versions,
// every satisfiable range has a matching version and no probe version
// matches a range called unsatisfiable.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deweySatisfiability } from '../../src/pkgsrc/satisfiable.js';
import { deweyMatch, parseDeweyPattern, parseVersion } from '../../src/pkgsrc/version.js';

const FIXTURES = new URL('../fixtures/pkgsrc/', import.meta.url);
const rows = (name: string): string[][] =>
  readFileSync(new URL(name, FIXTURES), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .slice(1)
    .map((l) => l.split('\t'));

const sat = (p: string): boolean => deweySatisfiability(p).satisfiable;
// Below 2^30 dewey order is total; the wrap-around rows are not decided.
const small = (v: string): boolean => (v.match(/[0-9]+/g) ?? []).every((d) => Number(d) < 2 ** 30);

describe('deweySatisfiability against version-order-oracle.tsv', () => {
  const order = rows('version-order-oracle.tsv').filter(([a = '', b = '']) => small(a) && small(b));

  it('decides every two-sided range from the oracle order of its bounds', () => {
    const bad: string[] = [];
    for (const [a = '', b = '', cmp = ''] of order) {
      const want: [string, boolean][] = [
        [`p>=${a}<=${b}`, cmp !== '>'],
        [`p>=${a}<${b}`, cmp === '<'],
        [`p>${a}<=${b}`, cmp === '<'],
      ];
      if (cmp !== '<') want.push([`p>${a}<${b}`, false]);
      for (const [p, w] of want) if (sat(p) !== w) bad.push(`${p}: got ${sat(p)}, want ${w}`);
    }
    expect(bad).toEqual([]);
    expect(order.length).toBeGreaterThan(800);
  });
});

describe('deweySatisfiability against the pmatch oracles', () => {
  it('never calls a range unsatisfiable that pkg_admin pmatch matched', () => {
    const matched = [...rows('pmatch-oracle.tsv'), ...rows('peer-pmatch-oracle.tsv')].filter(
      ([p = '', , m]) => m === '1' && /[<>]/.test(p),
    );
    const refuted = matched.filter(([p = '']) => !sat(p)).map(([p, n]) => `${p} matched ${n}`);
    expect(refuted).toEqual([]);
    expect(matched.length).toBeGreaterThan(100);
  });
});

// Versions in the grammar dewey.c reads: numbers, separators, modifiers,
// letters, an optional nbN (a number always after a separator, so digit runs
// stay small).
const part = fc
  .tuple(
    fc.constantFrom('.', '_', 'alpha', 'beta', 'pre', 'rc', 'pl', 'a', 'z'),
    fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
  )
  .map(([sep, n]) => `${sep}${n ?? ''}`);
const version = fc
  .tuple(
    fc.integer({ min: 0, max: 9 }),
    fc.array(part, { maxLength: 5 }),
    fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  )
  .map(([first, rest, nb]) => `${first}${rest.join('')}${nb === undefined ? '' : `nb${nb}`}`);

const matches = (pattern: string, v: string): boolean => deweyMatch(parseDeweyPattern(pattern)!, `p-${v}`);

describe('deweySatisfiability over generated ranges', () => {
  it('has a matching version for every satisfiable range, and none for the others', () => {
    fc.assert(
      fc.property(
        version,
        version,
        fc.constantFrom('>', '>='),
        fc.constantFrom('<', '<='),
        fc.array(version, { maxLength: 8 }),
        (lo, hi, lop, hop, probes) => {
          const pattern = `p${lop}${lo}${hop}${hi}`;
          const witnesses = [lo, hi, `${lo}nb${parseVersion(lo).nb + 1}`];
          const candidates = [...witnesses, ...probes, `${hi}nb${parseVersion(hi).nb + 1}`, `${lo}.1`];
          if (sat(pattern)) expect(witnesses.some((w) => matches(pattern, w))).toBe(true);
          else expect(candidates.filter((c) => matches(pattern, c))).toEqual([]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves one-sided comparisons, exact versions and globs alone', () => {
    fc.assert(fc.property(version, fc.constantFrom('<', '<=', '>', '>=', '-'), (v, op) => sat(`p${op}${v}`)));
    expect(sat('p-{1.0,2.0}')).toBe(true);
  });

  it('suggests the swapped range, which is satisfiable', () => {
    const r = deweySatisfiability('python311>=3.12<3.11');
    expect(r).toMatchObject({ satisfiable: false, suggestion: 'python311>=3.11<3.12' });
    expect(sat('python311>=3.11<3.12')).toBe(true);
    expect(sat('foo>1.0<1.0')).toBe(false);
    expect(sat('foo>=1.0<=1.0')).toBe(true);
    expect(sat('foo>=2<=1')).toBe(false);
    expect(sat('foo>1.0<1.0nb1')).toBe(false);
    expect(sat('foo>1.0<1.0nb2')).toBe(true);
  });
});
