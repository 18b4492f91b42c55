// Issue 17 part 3: the policy per profile (a profile that says `refuse`
// refuses vulnerable targets of its own packages only) and fix_vulnerable
// (an installed vulnerable package is upgraded to the best newer catalog
// version that still matches and that the list does not mark, with the
// advisories as the reason).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResolvedSite } from '../../src/desired/types.js';
import type { SiteVulnConfig } from '../../src/desired/vulnerabilities.js';
import { matchPattern } from '../../src/pkgsrc/pattern.js';
import { compareVersions } from '../../src/pkgsrc/version.js';
import { planSite } from '../../src/plan/plan-site.js';
import { VulnIndex } from '../../src/vuln/audit.js';
import { vulnerableFixes } from '../../src/vuln/fixes.js';
import { flagVulnerable } from '../../src/vuln/plan-flags.js';
import { cat, inv, site, want } from '../helpers/builders.js';

const FOO = { pattern: 'foo<1.4', kind: 'information-leak', url: 'https://e.org/FOO', line: 2 };
const index = new VulnIndex([FOO, { pattern: 'foo-1.6', kind: 'eol', url: 'https://e.org/EOL', line: 3 }]);
const now = new Date('2026-12-01T00:00:00Z');
const config = (over: Partial<SiteVulnConfig> = {}): SiteVulnConfig => ({
  list: '/l',
  maxAgeDays: 7,
  ignore: [],
  policy: 'warn',
  fix: false,
  ...over,
});
const withList = (s: ResolvedSite, over: Partial<SiteVulnConfig> = {}) => ({ ...s, vulnerabilities: config(over) });
const lines = (actions: { action: string; from?: string; pkgname: string }[]) =>
  actions.map((a) => `${a.action} ${a.from ? `${a.from} -> ` : ''}${a.pkgname}`);

describe('policy per profile', () => {
  const prodFoo = { ...want('foo-1.2'), vulnPolicy: { refuse: ['prod'] } };
  const bar = want('bar<1.4');
  it('refuses the vulnerable target of a refusing profile, naming the profile', () => {
    const s = withList(site([prodFoo]));
    const p = flagVulnerable(planSite(s, inv(), cat('foo-1.2')), s, index, now);
    expect(p.status).toBe('error');
    expect(p.errors.map((e) => e.message)).toEqual([
      'refusing to install foo-1.2: information-leak https://e.org/FOO (vulnerabilities.policy: refuse in profile prod; accept the risk under vulnerabilities.ignore, or pin another version)',
    ]);
  });
  it("only flags a vulnerable target of another profile's package", () => {
    const barIndex = new VulnIndex([{ ...FOO, pattern: 'bar<1.4' }]);
    const s = withList(site([prodFoo, bar]));
    const p = flagVulnerable(planSite(s, inv(), cat('foo-1.4', 'foo-1.2', 'bar-1.0')), s, barIndex, now);
    expect(p.status).toBe('ok');
    expect(p.actions.find((a) => a.name === 'bar')!.vulnerable).toEqual([{ kind: FOO.kind, url: FOO.url }]);
  });
  it('a site that refuses refuses whatever its profiles say', () => {
    const s = withList(site([want('foo-1.2')]), { policy: 'refuse' });
    const p = flagVulnerable(planSite(s, inv(), cat('foo-1.2')), s, index, now);
    expect(p.errors[0]!.message).toMatch(/\(vulnerabilities\.policy: refuse; /);
  });
});

describe('fix_vulnerable', () => {
  const catalog = cat('foo-1.2', 'foo-1.3', 'foo-1.5', 'foo-1.6', 'foo-2.0');
  const wanted = want('foo>=1<2');

  it('upgrades an installed vulnerable package to the best clean version that still matches', () => {
    const s = withList(site([wanted]), { fix: true });
    const replace = vulnerableFixes(s, inv('foo-1.2'), catalog, index, now);
    // 1.3 is vulnerable too, 1.6 is end-of-life, 2.0 is outside the profile's range.
    expect([...replace]).toEqual([['foo-1.2', { pkgname: 'foo-1.5', advisories: [{ kind: FOO.kind, url: FOO.url }] }]]);
    const p = planSite(s, inv('foo-1.2'), catalog, { replace });
    expect(lines(p.actions)).toEqual(['upgrade foo-1.2 -> foo-1.5']);
    expect(p.actions[0]!.reason).toBe(
      'installed foo-1.2 is vulnerable (information-leak https://e.org/FOO); fix_vulnerable: foo-1.5 still matches foo>=1<2 (p.yaml:1:5)',
    );
    expect(p.actions[0]!.fixes).toEqual([{ kind: FOO.kind, url: FOO.url }]);
  });

  it('applies to the packages of a profile that asks for it, and to no other', () => {
    const s = withList(site([{ ...wanted, vulnPolicy: { fix: ['prod'] } }, want('bar>=1')]));
    const barIndex = new VulnIndex([FOO, { ...FOO, pattern: 'bar<1.4' }]);
    const replace = vulnerableFixes(s, inv('foo-1.2', 'bar-1.0'), cat('foo-1.5', 'bar-1.5'), barIndex, now);
    expect([...replace.keys()]).toEqual(['foo-1.2']);
  });

  it('leaves alone what no clean newer version can fix, an accepted risk, and a site without fix', () => {
    const s = withList(site([want('foo>=1<1.4')]), { fix: true });
    expect(vulnerableFixes(s, inv('foo-1.2'), catalog, index, now).size).toBe(0);
    const ignore = [{ url: FOO.url, reason: 'r', expires: '2027-01-01', source: { file: 's' } }];
    const accepted = withList(site([wanted]), { fix: true, ignore });
    expect(vulnerableFixes(accepted, inv('foo-1.2'), catalog, index, now).size).toBe(0);
    expect(vulnerableFixes(withList(site([wanted])), inv('foo-1.2'), catalog, index, now).size).toBe(0);
  });

  it('property: a fix is newer, still matches, is offered and clean; a vulnerable package left has no such version', () => {
    const versions = ['1.0', '1.2', '1.3', '1.3nb1', '1.4', '1.4nb2', '1.5', '1.6', '2.0', '2.0rc1'];
    const version = fc.constantFrom(...versions);
    fc.assert(
      fc.property(
        fc.uniqueArray(version, { minLength: 1 }),
        version,
        fc.constantFrom('foo>=1', 'foo>=1<2', 'foo-1.*', 'foo<1.5', 'foo>=1.2<1.6'),
        fc.subarray(['foo<1.4', 'foo-1.5', 'foo>=1.6<2', 'foo-2.0rc1']),
        (offered, installed, pattern, marked) => {
          const idx = new VulnIndex(marked.map((p, line) => ({ pattern: p, kind: 'k', url: `u${line}`, line })));
          const s = withList(site([want(pattern)]), { fix: true });
          const c = cat(...offered.map((v) => `foo-${v}`));
          const i = inv(`foo-${installed}`);
          const fix = vulnerableFixes(s, i, c, idx, now).get(`foo-${installed}`);
          const isVuln = (n: string) => marked.some((p) => matchPattern(p, n));
          const clean = offered.filter(
            (v) => compareVersions(v, installed) > 0 && matchPattern(pattern, `foo-${v}`) && !isVuln(`foo-${v}`),
          );
          if (!matchPattern(pattern, `foo-${installed}`) || !isVuln(`foo-${installed}`) || clean.length === 0) {
            expect(fix).toBeUndefined();
            return;
          }
          const best = clean.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
          expect(fix?.pkgname).toBe(`foo-${best}`);
          const p = planSite(s, i, c, { replace: new Map([[`foo-${installed}`, fix!]]) });
          expect(lines(p.actions)).toEqual([`upgrade foo-${installed} -> foo-${best}`]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
