// Properties of the indexed audit against the captured `pkg_admin pmatch`
// oracle (every pattern of it against every name of it): a list made of any
// oracle patterns (with any classifications, eol and IGNORE_URL settings)
// and a site with any oracle names must give exactly the findings the real
// tool's matches imply, in the list's order, whatever the index does.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VulnIndex } from '../../src/vuln/audit.js';
import { checkVulnerabilityList, type VulnEntry } from '../../src/vuln/list-file.js';

const FIXTURES = new URL('../fixtures/pkgsrc/', import.meta.url);
const rows = readFileSync(new URL('pmatch-oracle.tsv', FIXTURES), 'utf8')
  .split('\n')
  .slice(1)
  .filter(Boolean)
  .map((l) => l.split('\t') as [string, string, string]);
const oracle = new Map(rows.map(([p, n, m]) => [`${p}\t${n}`, m === '1']));
const patterns = [...new Set(rows.map((r) => r[0]))].filter((p) => !/\s/.test(p) && p !== '');
const names = [...new Set(rows.map((r) => r[1]))];

const KINDS = ['eol', 'remote-code-execution', 'denial-of-service'];
const entryArb = fc.record({
  pattern: fc.constantFrom(...patterns),
  kind: fc.constantFrom(...KINDS),
  url: fc.constantFrom('https://a.example/1', 'https://a.example/2', 'https://a.example/3'),
});

describe('audit against the pmatch oracle', () => {
  it('has a full pattern × name oracle to draw from', () => {
    expect(patterns.length).toBeGreaterThan(50);
    for (const p of patterns) for (const n of names) expect(oracle.has(`${p}\t${n}`)).toBe(true);
  });

  it('finds exactly what the real tool matches, in file order', () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { minLength: 1, maxLength: 40 }),
        fc.subarray(names, { minLength: 1 }),
        fc.boolean(),
        fc.subarray(['https://a.example/1', 'https://a.example/2']),
        fc.option(fc.constantFrom(...KINDS), { nil: undefined }),
        (raw, installed, eol, ignoreUrls, kind) => {
          const entries: VulnEntry[] = raw.map((e, i) => ({ ...e, line: i + 1 }));
          const index = new VulnIndex(entries);
          for (const pkg of installed) {
            const want = entries
              .filter((e) => oracle.get(`${e.pattern}\t${pkg}`))
              .filter((e) => !ignoreUrls.includes(e.url) && (kind === undefined || e.kind === kind))
              .filter((e) => eol || e.kind !== 'eol')
              .map((e) => e.line);
            const got = index.audit(pkg, { eol, ignoreUrls, ...(kind ? { kind } : {}) }).map((f) => f.line);
            expect(got).toEqual(want);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads back any list it is given as entries, in order, from a file with a valid SHA512', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 30 }), (raw) => {
        const body = raw.map((e) => `${e.pattern}\t${e.kind}\t${e.url}\n`).join('');
        const head = '# $NetBSD: pkg-vulnerabilities,v 1.2 2026/01/01 $\n#\n#FORMAT 1.1.0\n#\n';
        // The hash covers every line but the $NetBSD, #CHECKSUM and empty ones.
        const hash = createHash('sha512').update(`#\n#FORMAT 1.1.0\n#\n${body}`).digest('hex');
        const file = `${head}#CHECKSUM SHA512 ${hash}\n\n${body}`;
        const r = checkVulnerabilityList(Buffer.from(file, 'latin1'));
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.verified).toEqual(['SHA512']);
          expect(r.entries.map(({ pattern, kind, url }) => ({ pattern, kind, url }))).toEqual(raw);
        }
      }),
      { numRuns: 100 },
    );
  });
});
