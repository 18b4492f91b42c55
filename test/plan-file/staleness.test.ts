// The staleness rule of reviewed plans, cause by cause: each change of what
// a plan was made from is one reason naming the site, and nothing else is.
import { describe, expect, it } from 'vitest';
import type { PlanFile, PlanFileSite } from '../../src/plan-file/plan-file.js';
import { staleness, type CurrentSite } from '../../src/plan-file/staleness.js';
import { emptySummary } from '../../src/plan/types.js';

const D = (c: string) => c.repeat(64);
const site = (name: string): PlanFileSite => ({
  site: name,
  desired: D('d'),
  observation: { digest: D('o'), at: '2026-12-01T00:00:00Z', source: 'job' },
  catalog: { location: '/pkgs', digest: D('c') },
  held: false,
  plan: { site: name, status: 'ok', actions: [], errors: [] },
});
const plan = (sites: PlanFileSite[]): PlanFile => ({
  format: 'vo-reconcile-planfile/1',
  createdAt: '2026-12-01T00:00:00Z',
  revision: 'a'.repeat(40),
  rev: 'HEAD',
  plannerVersion: 4,
  sites,
  summary: emptySummary(),
});
const same = (s: PlanFileSite): CurrentSite => ({
  desired: s.desired,
  observation: s.observation,
  catalog: s.catalog.digest,
  held: s.held,
});

describe('staleness', () => {
  const p = plan([site('A'), site('B')]);
  const now = (changes: Partial<Record<'A' | 'B', Partial<CurrentSite>>>, revision = p.revision) => ({
    revision,
    sites: new Map(p.sites.map((s) => [s.site, { ...same(s), ...changes[s.site as 'A' | 'B'] }])),
  });

  it('finds nothing when nothing changed', () => {
    expect(staleness(p, now({}))).toEqual([]);
  });

  it.each([
    [{ held: true }, 'hold', 'A: held since the plan was made'],
    [{ inFlight: 'tx-A-1' }, 'in-flight', 'A: transaction tx-A-1 is open'],
    [{ desired: undefined }, 'desired', 'A: no longer in sites.yaml'],
    [{ desired: D('e') }, 'desired', 'A: its desired state resolves differently'],
    [{ observation: null }, 'observation', 'A: its observation (job at 2026-12-01T00:00:00Z) is gone'],
    [{ catalog: null }, 'catalog', 'A: its catalog /pkgs cannot be read now'],
  ] as const)('%o is stale for %s', (change, what, message) => {
    const reasons = staleness(p, now({ A: change }));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ site: 'A', what });
    expect(reasons[0]!.message.startsWith(message)).toBe(true);
  });

  it('a moved revision is the whole plan, named without a site', () => {
    expect(staleness(p, now({}, 'b'.repeat(40)))).toEqual([
      {
        what: 'revision',
        message: `the desired state moved: HEAD is now bbbbbbbbbbbb, the plan was made at aaaaaaaaaaaa`,
      },
    ]);
  });
});
