// What the two crash tests (files: crash.test.ts; PostgreSQL:
// test/state/pg-crash.test.ts) share: the fleet of a lane, the desired
// package sets the rounds move its sites between, the seeded round
// generator, and the check that each site has what its observation says.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { readInventory } from '../../src/observed/store.js';
import { cli } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { commitDesired } from '../helpers/tmp.js';

export const SITES = 20;
/** Each pkg_add/pkg_delete sleeps this long: kills land while jobs run. */
export const JOB_DELAY_MS = 200;
export const KILL_WINDOW_MS = 1500;

/** Desired package sets the rounds move sites between (dependencies, downgrades, removals). */
export const VARIANTS = [
  'packages: []\n',
  'packages:\n  - foo>=1.2\n  - tool\n',
  'packages:\n  - foo-1.2\n  - app\n',
  'packages:\n  - foo>=1.4\n  - bar\n',
  'packages:\n  - tool\n  - libz\n',
  'packages:\n  - baz\n',
  'packages:\n  - app\n  - tool\n',
];

export interface RoundSpec {
  /** Count from the controller's start, or from its first journal record (most rounds: the interesting part). */
  anchor: 'start' | 'first record';
  killAfterMs: number;
  changes: { site: number; variant: number }[];
}

export const roundSpec: fc.Arbitrary<RoundSpec> = fc.record({
  anchor: fc.constantFrom<RoundSpec['anchor'][]>('start', 'first record', 'first record', 'first record'),
  killAfterMs: fc.integer({ min: 0, max: KILL_WINDOW_MS }),
  changes: fc.array(fc.record({ site: fc.nat(SITES - 1), variant: fc.nat(VARIANTS.length - 1) }), {
    minLength: 1,
    maxLength: 2,
  }),
});

export function commitSites(f: Fleet, variant: readonly number[], message: string): void {
  const names = Object.keys(f.sites);
  const sites = names.map(
    (n, i) =>
      `  - { name: ${n}, sw_area: ${f.sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [v${variant[i]}] }`,
  );
  const profiles = Object.fromEntries(VARIANTS.map((text, i) => [`profiles/v${i}.yaml`, text]));
  commitDesired(f.repo, { 'sites.yaml': ['sites:', ...sites, ''].join('\n'), ...profiles }, message);
}

/**
 * A lane's fleet: SITES empty sites with slow jobs, all on v0, whose empty
 * listings are imported so the controller knows them without probe jobs.
 */
export async function laneFleet(): Promise<{
  f: Fleet;
  names: string[];
  prefixes: Record<string, string>;
  variant: number[];
}> {
  const names = Array.from({ length: SITES }, (_, i) => `S${String(i).padStart(2, '0')}`);
  const f = makeFleet(names, VARIANTS[0]!, { faults: { delayMs: JOB_DELAY_MS } });
  const prefixes = Object.fromEntries(names.map((n) => [n, f.sites[n]!.prefix]));
  const variant = names.map(() => 0);
  commitSites(f, variant, 'every site on v0');
  const empty = path.join(f.root, 'empty.pkg_info');
  writeFileSync(empty, '');
  for (const n of names)
    expect(
      (await cli(['observe', '--desired', f.desired, '--state', f.state, '--site', n, '--import', empty])).code,
    ).toBe(0);
  return { f, names, prefixes, variant };
}

/** Sites whose package database differs from their stored observation. */
export async function observationProblems(f: Fleet): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, site] of Object.entries(f.sites)) {
    const onSite = readdirSync(site.dbdir)
      .filter((n) => !n.startsWith('.'))
      .sort();
    const observed = (await readInventory(f.state, name))?.packages.map((p) => p.pkgname).sort();
    if (JSON.stringify(onSite) !== JSON.stringify(observed))
      problems.push(`${name} has ${onSite.join(' ')} but its observation says ${observed?.join(' ')}`);
  }
  return problems;
}
