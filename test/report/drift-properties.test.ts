// Drift has one definition. Over generated sites, the report (its cells,
// its per-site counts and the site state /metrics exports) says a site
// drifts exactly when its plan would change something or cannot be made,
// and names exactly the packages the plan acts on or fails for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planSite } from '../../src/plan/plan-site.js';
import { fleetStatus, planDrifts } from '../../src/report/fleet-status.js';
import { cat, inv, site, want } from '../helpers/builders.js';

const NAMES = ['app', 'tool', 'libx', 'emacs'];
const VERSIONS = ['1.0', '1.2', '2.0'];

const world = fc.record({
  offered: fc.subarray(NAMES.flatMap((n) => VERSIONS.map((v) => `${n}-${v}`))),
  installed: fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VERSIONS), fc.boolean()), {
    maxLength: 4,
  }),
  desired: fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom('', '>=1.2', '-2.0', 'absent', 'frozen')), {
    maxLength: 4,
  }),
  userpkgs: fc.boolean(),
  userListKnown: fc.boolean(),
});

describe('drift in the report', () => {
  it('is what the plan says, package by package and site by site', () => {
    fc.assert(
      fc.property(world, (w) => {
        const seen = new Set<string>();
        const packages = w.desired
          .filter(([n]) => !seen.has(n) && seen.add(n))
          .map(([n, how]) => (how === 'absent' || how === 'frozen' ? want(n, how) : want(`${n}${how}`)))
          .sort((a, b) => (a.name < b.name ? -1 : 1));
        const s = site(packages, { userpkgs: w.userpkgs });
        const names = new Set<string>();
        const installed = w.installed.filter(([n]) => !names.has(n) && names.add(n));
        const inventory = {
          ...inv(...installed.map(([n, v, auto]) => `${n}-${v}${auto ? '*' : ''}`)),
          userListKnown: w.userListKnown,
        };
        const catalog = cat(...w.offered, 'pkg_install-20250417');
        const plan = planSite(s, inventory, catalog, { kept: 'full' });
        const status = fleetStatus({
          revision: 'r',
          sites: [s],
          inventories: new Map([[s.name, inventory]]),
          plans: new Map([[s.name, plan]]),
          transactions: [],
          holds: [],
          locks: new Map(),
          tags: [],
          now: 't',
        });
        const reported = status.sites[0]!;
        const drifts = plan.status === 'error' || plan.actions.length > 0;
        expect(planDrifts(reported.plan!)).toBe(drifts);
        const changed = status.packages
          .filter((p) => ['drift', 'missing', 'extra'].includes(p.cells[s.name]!.state))
          .map((p) => p.name)
          .sort();
        const acted = [
          ...new Set([...plan.actions.map((a) => a.name), ...plan.errors.flatMap((e) => (e.name ? [e.name] : []))]),
        ]
          // Automatic dependencies are not rows of the report; their removals still make the site drift.
          .filter((n) => status.packages.some((p) => p.name === n))
          .sort();
        expect(changed).toEqual(acted);
        const c = reported.counts;
        if (!drifts) expect(c.drift + c.missing + c.extra).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });
});
