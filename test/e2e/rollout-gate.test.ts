// A manual gate end to end on two emulated sites: the gated wave waits for
// `reconcile promote`, a dry run writes job scripts for the wave that would
// run and records no progress, and a promotion nothing waits for is refused.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { commitDesired } from '../helpers/tmp.js';

const run = (f: Fleet, ...args: string[]) =>
  bin([...args, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
const installed = (f: Fleet, site: string) => readdirSync(f.sites[site]!.dbdir).filter((n) => !n.startsWith('.'));

describe('a manual gate', () => {
  it('holds its wave until reconcile promote', async () => {
    const f = makeFleet(['A', 'B'], 'packages:\n  - foo-1.4\n');
    const sites = ['A', 'B'].map(
      (n) =>
        `  - { name: ${n}, sw_area: ${f.sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p] }`,
    );
    commitDesired(
      f.repo,
      {
        'sites.yaml': ['sites:', ...sites, ''].join('\n'),
        'profiles/p.yaml': 'packages:\n  - foo-1.4\n',
        'rollout.yaml': 'waves:\n  - { name: canary, sites: [A] }\n  - { name: all, percent: 100, gate: manual }\n',
      },
      'gated',
    );
    expect((await run(f, 'promote')).code).toBe(2);

    expect((await run(f, 'observe')).code).toBe(0);
    const dry = await run(f, 'apply', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/A: .*job script written/);
    expect(dry.stdout).not.toMatch(/B: /);
    expect(() => readFileSync(path.join(f.state, 'rollout', 'progress.json'))).toThrow();

    const first = await run(f, 'apply');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/at wave 2 \(all\): waits for 'reconcile promote'/);
    expect(installed(f, 'A')).toEqual(['foo-1.4']);
    expect(installed(f, 'B')).toEqual([]);
    expect((await run(f, 'apply')).stdout).toMatch(/waits for 'reconcile promote'/);
    expect(installed(f, 'B')).toEqual([]);

    const promoted = await run(f, 'promote');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/Promoted wave 2 \(all, 1 sites\)/);
    const second = await run(f, 'apply');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/completed: 2 waves done/);
    expect(installed(f, 'B')).toEqual(['foo-1.4']);
    const again = await run(f, 'promote');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is completed; nothing to promote/);
  }, 120_000);
});
