// The emulator's own version order and pattern matcher against what the real
// pkg_admin answered (test/fixtures/pkgsrc/: the captured oracles and the peer
// set, see PEER-ORACLE.md), and a guard that the emulator never borrows the
// product's matcher.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedPattern, bestMatch, compareVersions, pkgMatch, pkgOrder } from './tools/lib/pkgmatch.mjs';

const FIXTURES = fileURLToPath(new URL('../fixtures/pkgsrc/', import.meta.url));
const TOOLS = fileURLToPath(new URL('./tools/', import.meta.url));

/** Rows of a raw TSV (no quoting, no trimming), header dropped. */
function rows(name: string): string[][] {
  const lines = readFileSync(path.join(FIXTURES, name), 'utf8').split('\n');
  return lines
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

describe.each([
  ['pmatch-oracle.tsv', 4032],
  ['peer-pmatch-oracle.tsv', 9372],
])('%s', (file, count) => {
  it('every row gives the real pkg_admin pmatch answer', () => {
    const table = rows(file);
    const bad: string[] = [];
    for (const [pattern = '', pkgname = '', want] of table) {
      let got: string;
      try {
        got = pkgMatch(pattern, pkgname) ? '1' : '0';
      } catch (e) {
        got = `threw ${String(e)}`;
      }
      if (got !== want) bad.push(`pmatch '${pattern}' '${pkgname}': got ${got}, want ${want}`);
    }
    expect(bad).toEqual([]);
    expect(table).toHaveLength(count);
  });
});

describe.each([
  ['version-order-oracle.tsv', 1063],
  ['peer-version-order-oracle.tsv', 3574],
])('%s', (file, count) => {
  it('every pair is ordered as the real tool orders it', () => {
    const table = rows(file);
    const bad: string[] = [];
    for (const [a = '', b = '', want] of table) {
      const c = compareVersions(a, b);
      const got = c < 0 ? '<' : c > 0 ? '>' : '=';
      if (got !== want) bad.push(`'${a}' vs '${b}': got ${got}, want ${want}`);
    }
    expect(bad).toEqual([]);
    expect(table).toHaveLength(count);
  });
});

describe('pmatch-oracle-errors.json', () => {
  it('rejects each malformed alternate with the message pkg_admin printed', () => {
    const cases = JSON.parse(readFileSync(path.join(FIXTURES, 'pmatch-oracle-errors.json'), 'utf8')) as {
      pattern: string;
      pkgname: string;
      stderr: string;
    }[];
    expect(cases.length).toBeGreaterThan(50);
    for (const c of cases) {
      let msg = 'no error';
      try {
        pkgMatch(c.pattern, c.pkgname);
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedPattern);
        msg = `pkg_admin: ${(e as Error).message}\n`;
      }
      expect(msg, `${c.pattern} ${c.pkgname}`).toBe(c.stderr);
    }
  });
});

describe('best match (pkg_order)', () => {
  it('takes the greatest version; equal versions go to the name that sorts first', () => {
    expect(bestMatch('foo-[0-9]*', ['foo-1.2', 'foo-2.0rc1', 'foo-1.4nb1', 'foo-1.4'])).toBe('foo-2.0rc1');
    expect(bestMatch('foo>=1.2<2', ['foo-1.2', 'foo-2.0rc1', 'foo-1.4nb1', 'foo-2.0'])).toBe('foo-2.0rc1');
    expect(bestMatch('foo', ['foo-1.0.0', 'foo-1.0'])).toBe('foo-1.0');
    expect(bestMatch('foo', ['foo-1.0', 'foo-1.0.0'])).toBe('foo-1.0');
    expect(bestMatch('bar', ['foo-1.0'])).toBeUndefined();
    expect(pkgOrder('foo', undefined, undefined)).toBe(0);
  });
});

const versionArb = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 30 }).map(String),
      fc.constantFrom('.', '_', 'alpha', 'beta', 'rc', 'pre', 'pl', 'a', 'z', 'nb1', 'nb2'),
    ),
    { maxLength: 6 },
  )
  .map((xs) => xs.join(''));

describe('properties', () => {
  it('the order is a total preorder: antisymmetric and transitive', () => {
    fc.assert(
      fc.property(versionArb, versionArb, versionArb, (a, b, c) => {
        expect(compareVersions(a, b)).toBe(-compareVersions(b, a) || 0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0)
          expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('a dewey range matches exactly the versions the order puts inside it', () => {
    fc.assert(
      fc.property(versionArb, versionArb, versionArb, (v, lo, hi) => {
        fc.pre(!/[<>{]/.test(lo + hi));
        const inside = compareVersions(v, lo) >= 0 && compareVersions(v, hi) < 0;
        expect(pkgMatch(`pkg>=${lo}<${hi}`, `pkg-${v}`)).toBe(inside);
        expect(pkgMatch(`{pkg,other}>=${lo}<${hi}`, `pkg-${v}`)).toBe(inside);
      }),
    );
  });
});

describe('independence from the product', () => {
  it('the emulator program imports only Node builtins and its own modules', () => {
    const files = readdirSync(TOOLS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
    expect(files.length).toBeGreaterThan(5);
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(path.join(TOOLS, f), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        const local = spec.startsWith('./') && !spec.includes('..');
        if (!spec.startsWith('node:') && !local) bad.push(`${f}: ${spec}`);
      }
      if (/\bdist\b|\bsrc\//.test(text.replace(/\/\/.*$/gm, ''))) bad.push(`${f}: mentions dist/ or src/`);
    }
    expect(bad).toEqual([]);
  });
});
