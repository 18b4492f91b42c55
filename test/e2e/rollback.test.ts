// Rollback by tag end to end: tags v1, v2, v3 applied in turn; rollback to
// v1 restores v1's exact package sets, plans sites v1 never reached from the
// desired state at v1, refuses a site whose packages left its catalog, and
// holds the sites it touched until released.
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSummary } from '../emulator/index.js';
import { bin } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { git } from '../helpers/tmp.js';

const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

describe('reconcile --rollback <tag>', () => {
  it(
    'restores exact package sets, plans unreached sites from the tag, refuses what it cannot restore, and holds',
    { timeout: 120_000 },
    async () => {
      const f = makeFleet(['A', 'B', 'C'], 'packages:\n  - foo-1.2\n');
      const run = (...args: string[]) =>
        bin([...args, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
      const sitesYaml = (pkgPathB: string) =>
        [
          'sites:',
          ...['A', 'B', 'C'].map(
            (n) =>
              `  - { name: ${n}, sw_area: ${f.sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${n === 'B' ? pkgPathB : f.pkgPath}, profiles: [p] }`,
          ),
          '',
        ].join('\n');

      git(f.repo, 'tag', 'v1');
      expect((await run('apply', '--site', 'A', '--site', 'B')).code).toBe(0);
      f.commit('packages:\n  - foo-1.4\n  - tool\n', 'v2');
      git(f.repo, 'tag', 'v2');
      expect((await run('apply')).code).toBe(0);
      f.commit('packages:\n  - tool\n', 'v3');
      git(f.repo, 'tag', 'v3');
      expect((await run('apply')).code).toBe(0);
      for (const s of ['A', 'B', 'C']) expect(installed(f, s)).toEqual(['tool-2.0']);

      // B's packages move to a PKG_PATH that no longer offers foo-1.2.
      const thinner = path.join(f.root, 'packages', 'B');
      cpSync(f.pkgPath, thinner, { recursive: true });
      rmSync(path.join(thinner, 'foo-1.2.tgz'));
      writeSummary(thinner);
      f.commit('packages:\n  - tool\n', 'B moves to a thinner PKG_PATH', sitesYaml(thinner));
      expect((await run('apply')).stdout).toMatch(/0 changed, 3 in sync/);

      const tags = await run('history', '--tags');
      expect(tags.stdout).toMatch(
        /^v1 \([0-9a-f]{12}\):\n {2}A: restorable \(tx-[^)]+\)\n {2}B: NOT restorable: no longer on offer: foo-1\.2\n {2}C: restorable — v1 never reached this site/m,
      );

      const unknown = await run('rollback', 'v9');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown revision 'v9'/);

      const rb = await run('--rollback', 'v1');
      expect(rb.code).toBe(1);
      expect(rb.stdout).toMatch(
        /A: rolled back to v1 \(restoring the package set of tx-[^)]+\); 1 to install, 1 to remove; held/,
      );
      expect(rb.stdout).toMatch(
        /B: FAILED: cannot roll back to v1 .* nothing was changed here: no longer in .*packages\/B: foo-1\.2/,
      );
      expect(rb.stdout).toMatch(
        /C: rolled back to v1 \(v1 never reached this site: planned from the desired state at v1\)/,
      );
      expect(installed(f, 'A')).toEqual(['foo-1.2']);
      expect(installed(f, 'B')).toEqual(['tool-2.0']);
      expect(installed(f, 'C')).toEqual(['foo-1.2']);

      const history = JSON.parse((await run('history', '--json', '--site', 'A')).stdout);
      expect(history[0]).toMatchObject({
        kind: 'rollback',
        status: 'succeeded',
        observedAfter: { packages: ['foo-1.2'] },
      });

      const held = await run('apply');
      expect(held.code).toBe(0);
      expect(held.stdout).toMatch(/A: held since the rollback to v1/);
      expect(held.stdout).toMatch(/0 changed, 1 in sync, 2 held/);
      expect(installed(f, 'A')).toEqual(['foo-1.2']);
      expect((await run('plan', '--site', 'A')).stdout).toMatch(/held since the rollback to v1/);

      expect((await run('release', 'A')).stdout).toBe(
        'A: hold released; the next apply brings it to the desired state\n',
      );
      const after = await run('apply');
      expect(after.stdout).toMatch(/1 changed, 1 in sync, 1 held/);
      expect(installed(f, 'A')).toEqual(['tool-2.0']);
      expect(installed(f, 'C')).toEqual(['foo-1.2']);

      // C's hold goes by itself once HEAD's desired state equals v1's.
      f.commit('packages:\n  - foo-1.2\n', 'back to v1 content', sitesYaml(thinner));
      const same = await run('apply');
      expect(same.stdout).toMatch(/C: released: hold from rollback to v1 lifted/);
      expect(installed(f, 'C')).toEqual(['foo-1.2']);
    },
  );
});

describe('a tag added to a commit already applied', () => {
  it('is journalled by the next apply, so it can be rolled back to', async () => {
    const f = makeFleet(['A'], 'packages:\n  - tool\n');
    const run = (...args: string[]) => bin([...args, '--desired', f.desired, '--state', f.state]);
    expect((await run('apply')).code).toBe(0);
    git(f.repo, 'tag', 'late');
    expect((await run('apply')).stdout).toMatch(/0 changed, 1 in sync/);
    const tags = await run('history', '--tags');
    expect(tags.stdout).toMatch(/^late \([0-9a-f]{12}\):\n {2}A: restorable \(tx-/m);
    const history = JSON.parse((await run('history', '--json')).stdout);
    expect(history.filter((t: { tags: string[] }) => t.tags.includes('late'))).toHaveLength(1);
    // Nothing new to record on the next run.
    await run('apply');
    expect(JSON.parse((await run('history', '--json')).stdout)).toHaveLength(history.length);
  });
});

describe("a rollback's hold covers the checks", () => {
  // Six runs of the real command, four of them with jobs: as long as the first test of this file, not one step.
  it(
    'stays while HEAD has the same packages but other checks, and goes once the checks are the same too',
    { timeout: 120_000 },
    async () => {
      const withCheck = (pkgs: string[], run: string) =>
        `packages:\n${pkgs.map((p) => `  - ${p}\n`).join('')}checks:\n  - { name: ok, run: "${run}", timeout: 30 }\n`;
      const f = makeFleet(['A'], withCheck(['tool'], 'true'));
      const run = (...args: string[]) =>
        bin([...args, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
      git(f.repo, 'tag', 'v1');
      expect((await run('apply')).code).toBe(0);
      f.commit(withCheck(['foo-1.4'], 'true'), 'v2');
      expect((await run('apply')).code).toBe(0);
      expect((await run('rollback', 'v1')).stdout).toMatch(/A: rolled back to v1 .*; held/);
      expect(installed(f, 'A')).toEqual(['tool-2.0']);

      // v1's packages, but a check v1 never ran: not what was rolled back to.
      f.commit(withCheck(['tool'], 'test -d \\"$PREFIX\\"'), 'same packages, another check');
      const other = await run('apply');
      expect(other.stdout).toMatch(/A: held since the rollback to v1/);
      expect(other.stdout).not.toMatch(/released/);

      f.commit(withCheck(['tool'], 'true'), "v1's packages and checks again");
      expect((await run('apply')).stdout).toMatch(/A: released: hold from rollback to v1 lifted/);
    },
  );
});
