// Issue 18, item 4: plan says exactly what apply will do. An empty prefix
// without a bootstrap kit cannot take a job (plan and apply --dry-run say
// so, before any job); with a kit the plan says it bootstraps first; a new
// revision at a site with checks gets a job that only runs them, and plan
// says so; the summary counts only what will run (not at held sites, not at
// sites that cannot be planned).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeBootstrapKit } from '../emulator/index.js';
import { bin } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { commitDesired, desiredRepo } from '../helpers/tmp.js';
import { addCounts } from '../../src/plan-cache/site-counts.js';
import { renderSummary } from '../../src/plan/render.js';
import { emptySummary } from '../../src/plan/types.js';

describe('plan says what apply will do', () => {
  it(
    'an empty prefix: refused without a kit (plan and apply --dry-run alike), bootstrapped first with one',
    { timeout: 60_000 },
    async () => {
      const f = makeFleet([], 'packages: []\n');
      const kit = makeBootstrapKit(path.join(f.root, 'bootstrap.tar.gz'));
      const area = (n: string) => {
        const d = path.join(f.root, 'sites', n);
        mkdirSync(d, { recursive: true });
        return d;
      };
      const yaml = (kitLine: string) =>
        `sites:\n  - { name: EMPTY, sw_area: ${area('EMPTY')}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p]${kitLine} }\n`;
      const repo = desiredRepo({ 'sites.yaml': yaml(''), 'profiles/p.yaml': 'packages: []\n' });
      const desired = path.join(repo, 'desired-state');
      const run = (...a: string[]) => bin([...a, '--desired', desired, '--state', f.state]);
      // Nothing wanted: a probe finds the prefix empty, and nothing needs a job.
      expect((await run('observe')).code).toBe(0);
      expect((await run('plan')).stdout).toMatch(/^EMPTY: in sync/m);

      commitDesired(repo, { 'sites.yaml': yaml(''), 'profiles/p.yaml': 'packages:\n  - tool\n' }, 'tool');
      const plan = await run('plan');
      expect(plan.code).toBe(1);
      expect(plan.stdout).toMatch(
        /^EMPTY: ERROR, nothing will be done here\n {2}! bootstrap: no pkg_install in .*EMPTY\/pkg and no bootstrap kit configured for this site/m,
      );
      expect(plan.stdout).toMatch(
        /^Plan: 0 to install, 0 to upgrade, 0 to downgrade, 0 to remove at 0 of 1 site \(0 in sync; 1 site cannot be planned\)\.$/m,
      );
      const dry = await run('apply', '--dry-run');
      expect(dry.code).toBe(1);
      expect(dry.stdout).toMatch(/EMPTY: FAILED: bootstrap: no pkg_install/);
      expect(existsSync(path.join(f.state, 'jobs', 'dry-run', 'EMPTY.sh'))).toBe(false);

      commitDesired(
        repo,
        { 'sites.yaml': yaml(`, bootstrap: ${kit}`), 'profiles/p.yaml': 'packages:\n  - tool\n' },
        'kit',
      );
      const withKit = await run('plan', '--json');
      expect(JSON.parse(withKit.stdout).sites[0]).toMatchObject({ status: 'ok', bootstrap: kit });
      expect((await run('plan')).stdout).toMatch(
        /^EMPTY: 1 change\n {2}\* bootstrap pkgsrc into the empty prefix from .*bootstrap\.tar\.gz first\n {2}\+ install tool-2\.0/m,
      );
      expect((await run('apply')).code).toBe(0);
      expect((await run('plan')).stdout).toMatch(/^EMPTY: in sync/m);
    },
  );

  it(
    'a new revision at a site with checks: a checks-only job, said by plan and counted',
    { timeout: 60_000 },
    async () => {
      const profile = (extra: string) => `packages:\n  - tool\nchecks:\n  - { name: tool-runs, run: 'true' }\n${extra}`;
      const f = makeFleet(['A'], profile(''));
      const run = (...a: string[]) =>
        bin([...a, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
      expect((await run('apply')).code).toBe(0);
      expect((await run('plan', '--detailed-exitcode')).code).toBe(0);

      f.commit(profile('description: a new revision, the same packages\n'), 'new revision');
      const plan = await run('plan', '--detailed-exitcode');
      expect(plan.code).toBe(3);
      expect(plan.stdout).toMatch(
        /^A: in sync .*\n {2}\* apply runs a job with no actions for its check \(tool-runs\): this revision is not validated here yet$/m,
      );
      expect(plan.stdout).toMatch(/at 0 of 1 site \(0 in sync; 1 site only runs checks\)\.$/m);
      expect(JSON.parse((await run('plan', '--json')).stdout)).toMatchObject({
        sites: [{ checksOnly: true }],
        summary: { checksOnly: 1 },
      });
      const apply = await run('apply');
      expect(apply.stdout).toMatch(/A: in sync \(\d+ packages\); 1 checks passed/);
      expect((await run('plan', '--detailed-exitcode')).code).toBe(0);
    },
  );

  it('counts no action at a held site or one that cannot be planned', () => {
    const s = emptySummary();
    addCounts(s, { status: 'ok', actions: { install: 3 } }, { held: true });
    addCounts(s, { status: 'error', actions: { install: 2, remove: 1 } });
    addCounts(s, { status: 'ok', actions: { upgrade: 1 } });
    addCounts(s, { status: 'ok', actions: {} }, { checksOnly: true });
    addCounts(s, { status: 'ok', actions: {} });
    expect(renderSummary(s)).toBe(
      'Plan: 0 to install, 1 to upgrade, 0 to downgrade, 0 to remove at 1 of 5 sites (1 in sync; 1 site only runs checks; 1 site held; 1 site cannot be planned).',
    );
  });
});
