// A repeat audit answers from the findings memo of the last run against the
// same verified copy: its answers must be the ones matching gives, and a memo
// that is damaged, made for other bytes, by another matcher or names entries
// the list does not have is ignored. MATCHER_VERSION is pinned to the
// answers of the pmatch oracle (bump it when they change; UPDATE_GOLDEN=1).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VulnIndex } from '../../src/vuln/audit.js';
import { MATCHER_VERSION, readFindingsMemo, writeFindingsMemo } from '../../src/vuln/findings-memo.js';
import type { VulnEntry } from '../../src/vuln/list-file.js';
import { expectGolden } from '../helpers/golden.js';
import { tempDir } from '../helpers/tmp.js';

const rows = readFileSync(new URL('../fixtures/pkgsrc/pmatch-oracle.tsv', import.meta.url), 'utf8')
  .split('\n')
  .slice(1)
  .filter(Boolean)
  .map((l) => l.split('\t') as [string, string, string]);
const patterns = [...new Set(rows.map((r) => r[0]))].filter((p) => !/\s/.test(p) && p !== '');
const names = [...new Set(rows.map((r) => r[1]))];

const entryArb = fc.record({
  pattern: fc.constantFrom(...patterns),
  kind: fc.constantFrom('eol', 'remote-code-execution'),
  url: fc.constantFrom('https://a.example/1', 'https://a.example/2'),
});
const SHA = 'a'.repeat(64);

describe('findings memo', () => {
  it('gives a later run exactly the findings matching gives, for names it knows and names it does not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { minLength: 1, maxLength: 30 }),
        fc.subarray(names, { minLength: 1 }),
        fc.subarray(names),
        async (raw, first, second) => {
          const entries: VulnEntry[] = raw.map((e, i) => ({ ...e, line: i + 1 }));
          const dir = tempDir();
          const run1 = new VulnIndex(entries);
          run1.findingsOf(first);
          await writeFindingsMemo(dir, SHA, run1.memoToKeep()!);
          const run2 = new VulnIndex(entries);
          run2.remember(await readFindingsMemo(dir, SHA, entries.length));
          const fresh = new VulnIndex(entries);
          for (const pkg of [...first, ...second]) expect(run2.auditDefault(pkg)).toEqual(fresh.audit(pkg));
          // It learnt only the names the first run had not seen.
          const kept = run2.memoToKeep();
          const unseen = second.filter((n) => !first.includes(n));
          expect(kept === undefined).toBe(unseen.length === 0);
          if (kept) expect(new Set(kept.keys())).toEqual(new Set([...first, ...second]));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers from the memo without matching, so a memo must be for this very list', async () => {
    const entries: VulnEntry[] = [{ pattern: 'foo<1', kind: 'eol', url: 'u', line: 5 }];
    const index = new VulnIndex(entries);
    index.remember(new Map([['bar-2.0', [0]]]));
    expect(index.auditDefault('bar-2.0').map((f) => [f.pkgname, f.line])).toEqual([['bar-2.0', 5]]);
    expect(index.auditDefault('foo-0.9').map((f) => f.line)).toEqual([5]);
    expect(index.memoToKeep()).toEqual(
      new Map<string, readonly number[]>([
        ['bar-2.0', [0]],
        ['foo-0.9', [0]],
      ]),
    );
  });

  it('ignores a memo that is damaged, for other bytes, by another matcher, or names an entry the list lacks', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'findings.json');
    const memo = new Map<string, readonly number[]>([
      ['foo-1.0', [0, 2]],
      ['bar-1.0', []],
    ]);
    await writeFindingsMemo(dir, SHA, memo);
    expect(await readFindingsMemo(dir, SHA, 3)).toEqual(memo);
    expect((await readFindingsMemo(dir, 'b'.repeat(64), 3)).size).toBe(0);
    // Index 2 is past a 2-entry list.
    expect((await readFindingsMemo(dir, SHA, 2)).size).toBe(0);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('[0,2]', '[0,1]'));
    expect((await readFindingsMemo(dir, SHA, 3)).size).toBe(0);
    writeFileSync(file, text.slice(0, -5));
    expect((await readFindingsMemo(dir, SHA, 3)).size).toBe(0);
    // Sealed as written, but by another matcher version.
    const other = JSON.parse(text.slice(0, text.indexOf('\n'))) as { matcher: number };
    expect(other.matcher).toBe(MATCHER_VERSION);
    writeFileSync(file, text.replace(`"matcher":${MATCHER_VERSION}`, `"matcher":${MATCHER_VERSION + 1}`));
    expect((await readFindingsMemo(dir, SHA, 3)).size).toBe(0);
  });

  it('MATCHER_VERSION names the answers of the pmatch oracle (bump it when they change)', () => {
    const entries: VulnEntry[] = patterns.map((pattern, i) => ({ pattern, kind: 'k', url: 'u', line: i + 1 }));
    const index = new VulnIndex(entries);
    const h = createHash('sha256');
    for (const n of names)
      h.update(
        `${n}:${index
          .audit(n)
          .map((f) => f.line)
          .join(',')}\n`,
      );
    expectGolden(
      'matcher-version.txt',
      `MATCHER_VERSION ${MATCHER_VERSION}: answers of the oracle ${h.digest('hex')}\n`,
    );
  });
});
