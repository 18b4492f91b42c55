// The audit's JSON is JSON.stringify's text of the FleetAudit, sites first,
// one line per site, whatever the findings share: renderAuditJson makes
// each shared finding's text once, and must give the same bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FleetAudit } from '../../src/vuln/fleet-audit.js';
import { renderAuditJson } from '../../src/vuln/render-audit.js';
import type { SiteAudit, SiteFinding } from '../../src/vuln/site-audit.js';

const text = fc.oneof(fc.string(), fc.constantFrom('"findings":[]', '\\"', '\u2028', 'ü'));
const finding = fc.record({
  pkgname: text,
  kind: text,
  url: text,
  pattern: text,
  line: fc.nat(),
});
const accepted = fc.record({ reason: text, expires: text, source: text, expired: fc.boolean() });

const fleet = fc
  .tuple(
    fc.array(finding, { minLength: 1, maxLength: 5 }),
    fc.array(
      fc.record({
        site: fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/),
        status: fc.constantFrom('audited', 'unobserved', 'no-list', 'not-configured') as fc.Arbitrary<
          SiteAudit['status']
        >,
        observedAt: fc.option(text, { nil: undefined }),
        packages: fc.nat(),
        picks: fc.array(fc.tuple(fc.nat(), fc.option(accepted, { nil: undefined })), { maxLength: 6 }),
      }),
      { maxLength: 5 },
    ),
    fc.array(text, { maxLength: 3 }),
  )
  .map(([shared, sites, problems]): FleetAudit => ({
    generatedAt: '2026-01-01T00:00:00.000Z',
    lists: [],
    problems,
    sites: sites.map(({ picks, observedAt, ...s }) => {
      // Findings are shared objects across sites, as VulnIndex gives them; an accepted one is its own.
      const findings: SiteFinding[] = picks.map(([i, a]) => {
        const f = shared[i % shared.length]!;
        return a ? { ...f, accepted: a } : f;
      });
      return { ...s, ...(observedAt !== undefined ? { observedAt } : {}), findings, vulnerable: 1, accepted: 0 };
    }),
  }));

describe('renderAuditJson', () => {
  it("is JSON.stringify's text, sites first and one per line", () => {
    fc.assert(
      fc.property(fleet, (r) => {
        const { sites, ...rest } = r;
        const expected = `{"sites":[\n${sites.map((s, i) => `${i > 0 ? ',' : ''}${JSON.stringify(s)}\n`).join('')}],${JSON.stringify(rest).slice(1)}`;
        expect([...renderAuditJson(r)].join('\n')).toBe(expected);
        expect(JSON.parse([...renderAuditJson(r)].join('\n'))).toEqual({ sites, ...rest });
      }),
      { numRuns: 500 },
    );
  });
});
