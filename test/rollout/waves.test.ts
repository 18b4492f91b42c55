// Which sites belong to which wave, and the budget decision: tables for the
// rules, properties for what must hold of every policy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RolloutPolicy, WaveSpec } from '../../src/rollout/types.js';
import { allowedFailures, overBudget, planWaves, REMAINING_WAVE, takeSites } from '../../src/rollout/waves.js';

const wave = (w: Partial<WaveSpec>): WaveSpec => ({
  name: 'w',
  sites: [],
  tags: [],
  maxFailures: { count: 0 },
  soakSeconds: 0,
  gate: false,
  onFailure: 'halt',
  location: { file: 'rollout.yaml' },
  ...w,
});
const policy = (...waves: Partial<WaveSpec>[]): RolloutPolicy => ({
  file: 'rollout.yaml',
  waves: waves.map((w, i) => wave({ name: `w${i + 1}`, ...w })),
});
const SITES = [
  { name: 'DESY-HH', tags: ['t2', 'de'] },
  { name: 'DESY-ZN', tags: ['t2', 'de'] },
  { name: 'UKI-LT2', tags: ['t2', 'uk'] },
  { name: 'UKI-NO', tags: ['uk'] },
  { name: 'CERN', tags: ['t0'] },
];

describe('takeSites', () => {
  it.each([
    ['a name', { sites: ['CERN'], tags: [] }, ['CERN']],
    ['a glob', { sites: ['DESY-*'], tags: [] }, ['DESY-HH', 'DESY-ZN']],
    ['a tag', { sites: [], tags: ['uk'] }, ['UKI-LT2', 'UKI-NO']],
    ['names and tags together', { sites: ['CERN'], tags: ['de'] }, ['DESY-HH', 'DESY-ZN', 'CERN']],
    ['a percentage of all (rounded up)', { sites: [], tags: [], percent: 30 }, ['DESY-HH', 'DESY-ZN']],
    ['a percentage of a tag', { sites: [], tags: ['t2'], percent: 50 }, ['DESY-HH', 'DESY-ZN']],
    ['1 % of five sites is one site', { sites: [], tags: [], percent: 1 }, ['DESY-HH']],
    ['a glob matching nothing', { sites: ['FNAL*'], tags: [] }, []],
  ] as const)('%s', (_what, spec, want) => {
    expect(takeSites({ ...spec, sites: [...spec.sites], tags: [...spec.tags] }, SITES)).toEqual(want);
  });
});

describe('planWaves', () => {
  it('takes each site once, earlier waves first, and puts the rest in a last wave with no budget', () => {
    const waves = planWaves(policy({ sites: ['CERN'] }, { tags: ['t2'], maxFailures: { percent: 50 } }), SITES);
    expect(waves.map((w) => [w.name, w.sites, w.allowedFailures])).toEqual([
      ['w1', ['CERN'], 0],
      ['w2', ['DESY-HH', 'DESY-ZN', 'UKI-LT2'], 1],
      [REMAINING_WAVE, ['UKI-NO'], 0],
    ]);
  });

  it('a percentage counts only the sites earlier waves left', () => {
    const waves = planWaves(policy({ tags: ['de'] }, { percent: 50 }, { percent: 100 }), SITES);
    expect(waves.map((w) => w.sites)).toEqual([['DESY-HH', 'DESY-ZN'], ['CERN', 'UKI-LT2'], ['UKI-NO']]);
  });

  it('does not depend on the order of sites.yaml', () => {
    const p = policy({ percent: 40 }, { tags: ['uk'] });
    expect(planWaves(p, [...SITES].reverse())).toEqual(planWaves(p, SITES));
  });

  const arbSites = fc.uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[A-Z][A-Z0-9-]{0,6}$/),
      tags: fc.subarray(['a', 'b', 'c']),
    }),
    { selector: (s) => s.name, maxLength: 30 },
  );
  const arbWave = fc.record({
    sites: fc.subarray(['A*', 'B*', 'C', 'Z?']),
    tags: fc.subarray(['a', 'b', 'c']),
    percent: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
  });

  it('every site is in exactly one wave, whatever the policy (property)', () => {
    fc.assert(
      fc.property(arbSites, fc.array(arbWave, { minLength: 1, maxLength: 4 }), (sites, specs) => {
        const waves = planWaves(
          policy(...specs.map((s) => (s.percent === undefined ? { ...s, percent: undefined } : s))),
          sites,
        );
        const all = waves.flatMap((w) => w.sites).sort();
        expect(all).toEqual(sites.map((s) => s.name).sort());
        // The rest wave exists only when something was left, and never lets a site fail.
        const rest = waves.slice(specs.length);
        expect(rest.every((w) => w.name === REMAINING_WAVE && w.allowedFailures === 0 && w.sites.length > 0)).toBe(
          true,
        );
      }),
    );
  });
});

describe('the failure budget', () => {
  it.each([
    [{ count: 0 }, 10, 0],
    [{ count: 2 }, 10, 2],
    [{ percent: 10 }, 10, 1],
    [{ percent: 10 }, 9, 0],
    [{ percent: 50 }, 3, 1],
    [{ percent: 100 }, 7, 7],
  ] as const)('%j of %i sites allows %i failures', (budget, size, allowed) => {
    expect(allowedFailures(budget, size)).toBe(allowed);
  });

  it.each([
    [0, 0, false],
    [0, 1, true],
    [1, 1, false],
    [1, 2, true],
  ])('%i allowed, %i failed: over budget %s', (allowed, failed, over) => {
    expect(overBudget({ allowedFailures: allowed }, failed)).toBe(over);
  });
});
