// Version order against the captured pkg_install oracle, the trap-like rules
// of SEMANTICS.md §2, and order properties over generated versions.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compareParsed, compareVersions, deweyTest, parseVersion, type DeweyOp } from '../../src/pkgsrc/version.js';
import { splitPkgName } from '../../src/pkgsrc/pkgname.js';

const FIXTURES = new URL('../fixtures/pkgsrc/', import.meta.url);
const SYMBOL = { '-1': '<', '0': '=', '1': '>' } as const;
const FLIP: Record<string, string> = { '<': '>', '=': '=', '>': '<' };
const sym = (c: -1 | 0 | 1): string => SYMBOL[String(c) as keyof typeof SYMBOL];

function readTsv(name: string): string[][] {
  const lines = readFileSync(new URL(name, FIXTURES), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  return lines.slice(1).map((l) => l.split('\t'));
}

// dewey.c compares components by the sign of `a - b` in C int. When that
// difference is exactly 2^31 it wraps to INT_MIN in BOTH directions, so the
// tool itself answers '<' for (a,b) and for (b,a). These are the oracle rows
// where that happens (a 0 component against 2147483648, which wraps to -2^31,
// or -1 (4294967295) against 2147483647).
const INT_MIN_DIFFERENCE = new Set([
  '0\t2147483648',
  '0.0\t2147483648',
  '0.1\t2147483648',
  '4294967295\t2147483647',
  '4294967296\t2147483648',
  '2147483648\t0.9b',
  '2147483648\t0.9.2',
]);

describe('version-order-oracle.tsv', () => {
  const rows = readTsv('version-order-oracle.tsv');

  it('agrees with every row in both directions', () => {
    const bad: string[] = [];
    let reversedWraps = 0;
    for (const [a = '', b = '', cmp = ''] of rows) {
      const forward = sym(compareVersions(a, b));
      if (forward !== cmp) bad.push(`${a} ? ${b}: got ${forward}, want ${cmp}`);
      const wraps = INT_MIN_DIFFERENCE.has(`${a}\t${b}`);
      const want = wraps ? cmp : FLIP[cmp];
      if (wraps) reversedWraps++;
      const backward = sym(compareVersions(b, a));
      if (backward !== want) bad.push(`${b} ? ${a}: got ${backward}, want ${want}`);
    }
    expect(bad).toEqual([]);
    expect(rows.length).toBe(1063);
    expect(reversedWraps).toBe(INT_MIN_DIFFERENCE.size);
  });
});

describe('parseVersion', () => {
  it('makes separators and modifiers components of their own', () => {
    expect(parseVersion('1.2')).toEqual({ components: [1, 0, 2], nb: 0 });
    expect(parseVersion('1.2a')).toEqual({ components: [1, 0, 2, 0, 1], nb: 0 });
    expect(parseVersion('1.0alpha1')).toEqual({ components: [1, 0, 0, -3, 1], nb: 0 });
    expect(parseVersion('2.0rc1nb1')).toEqual({ components: [2, 0, 0, -1, 1], nb: 1 });
    expect(parseVersion('')).toEqual({ components: [], nb: 0 });
  });

  it('wraps digit runs like a 32-bit C int', () => {
    expect(parseVersion('4294967296').components).toEqual([0]);
    expect(parseVersion('4294967297').components).toEqual([1]);
    expect(parseVersion('2147483648').components).toEqual([-2147483648]);
    expect(parseVersion('99999999999').components).toEqual([1215752191]);
    expect(parseVersion('1nb4294967297').nb).toBe(1);
  });

  it('lets the last nb win and skips junk', () => {
    expect(parseVersion('1.0nb1nb2').nb).toBe(2);
    expect(parseVersion('1.0~rc1')).toEqual(parseVersion('1.0rc1'));
    expect(parseVersion('1.0+git').components).toEqual([1, 0, 0, 0, 7, 0, 9, 0, 20]);
  });
});

describe('compareVersions traps', () => {
  const cases: [string, string, -1 | 0 | 1][] = [
    ['1.2a', '1.2.1', 0],
    ['0.9b', '0.9.2', 0],
    ['1.0.a', '1.0a', -1],
    ['01.2', '1.02', 0],
    ['1_2', '1.2', 0],
    ['1.0pl1', '1.0.1', 0],
    ['1.0pre1', '1.0RC1', 0],
    ['1.0alpha', '1.0', -1],
    ['1.0rc1', '1.0', -1],
    ['1.0nb1', '1.0', 1],
    ['1.0nb1', '1.0.1', -1],
    ['1', '1.0nb0', 0],
    ['1.0p', '1.0pl', 1],
    ['', '0', 0],
    ['4294967296', '0', 0],
    ['1.0alphabeta', '1.0alpha', -1],
    ['1.0NB1', '1.0nb1', 0],
  ];
  it.each(cases)('%s vs %s', (a, b, want) => {
    expect(compareVersions(a, b)).toBe(want);
    expect(compareParsed(parseVersion(a), parseVersion(b))).toBe(want);
  });

  it('deweyTest applies each operator to the comparison', () => {
    const ops: [DeweyOp, boolean, boolean, boolean][] = [
      // op, (1.0 op 1.0), (1.0 op 2.0), (2.0 op 1.0)
      ['<', false, true, false],
      ['<=', true, true, false],
      ['>', false, false, true],
      ['>=', true, false, true],
      ['==', true, false, false],
      ['!=', false, true, true],
    ];
    for (const [op, eq, lt, gt] of ops) {
      expect([deweyTest('1.0', op, '1'), deweyTest('1.0', op, '2.0'), deweyTest('2.0', op, '1.0')]).toEqual([
        eq,
        lt,
        gt,
      ]);
    }
  });
});

describe('splitPkgName', () => {
  it('splits at the last dash', () => {
    expect(splitPkgName('py311-requests-2.31.0')).toEqual({ base: 'py311-requests', version: '2.31.0' });
    expect(splitPkgName('font-adobe-100dpi-1.0.4')).toEqual({ base: 'font-adobe-100dpi', version: '1.0.4' });
    // A name with an empty version is no package name at all.
    expect(splitPkgName('foo-')).toBeNull();
    expect(splitPkgName('foo')).toBeNull();
  });
});

// Every digit run is followed by a non-digit token, so runs have at most 9
// digits and component differences cannot overflow; with larger numbers
// dewey.c's order is genuinely not transitive (see INT_MIN_DIFFERENCE).
const nonDigit = fc.oneof(
  fc.constantFrom('.', '_', 'alpha', 'beta', 'rc', 'pre', 'pl', 'nb', 'NB', 'RC', 'Alpha', 'p'),
  fc.constantFrom('a', 'b', 'c', 'z', 'x', 'E', 'Z'),
  fc.constantFrom('~', '+', '-', ' ', '<', '>', 'é', '#'),
);
const digits = fc.oneof(
  fc.constant(''),
  fc.nat(99).map(String),
  fc.nat(999_999_999).map(String),
  fc.nat(999).map((n) => `0${n}`),
);
const version = fc
  .tuple(fc.array(fc.tuple(digits, nonDigit), { maxLength: 6 }), digits)
  .map(([parts, tail]) => parts.map(([d, t]) => d + t).join('') + tail);

describe('order properties', () => {
  it('is antisymmetric and reflexive', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compareVersions(a, b)).toBe(-compareVersions(b, a) || 0);
        expect(compareVersions(a, a)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('is transitive, and equality is an equivalence', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        const [ab, bc, ac] = [compareVersions(a, b), compareVersions(b, c), compareVersions(a, c)];
        if (ab <= 0 && bc <= 0) expect(ac).toBeLessThanOrEqual(0);
        if (ab === 0 && bc === 0) expect(ac).toBe(0);
        if (ab < 0 && bc <= 0) expect(ac).toBe(-1);
      }),
      { numRuns: 2000 },
    );
  });

  it('is total: any list sorts into a non-decreasing chain', () => {
    fc.assert(
      fc.property(fc.array(version, { maxLength: 12 }), (vs) => {
        const sorted = [...vs].sort(compareVersions);
        for (let i = 1; i < sorted.length; i++) {
          expect(compareVersions(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('compareParsed matches compareVersions', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compareParsed(parseVersion(a), parseVersion(b))).toBe(compareVersions(a, b));
      }),
      { numRuns: 1000 },
    );
  });
});
