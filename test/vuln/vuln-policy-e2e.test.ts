// Issue 17 part 3, end to end with the built CLI and emulated sites: a
// profile that refuses vulnerable versions blocks exactly its site's
// vulnerable install (the other site, whose profile only warns, installs it,
// flagged); fix_vulnerable then upgrades the vulnerable package once its
// pattern lets a clean version in; and a rollback back to the vulnerable
// version is flagged in its plan.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { commitDesired, git } from '../helpers/tmp.js';

const LIST = '#FORMAT 1.1.0\nfoo<1.4\tinformation-leak\thttps://example.org/advisory/FOO\n';
const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

describe('vulnerability policy per profile, fix_vulnerable and rollback, end to end', () => {
  it(
    'refuses exactly the vulnerable install, then fixes it, and flags a rollback to it',
    { timeout: 120_000 },
    async () => {
      const f = makeFleet(['A', 'B'], 'packages: []\n');
      const list = path.join(f.root, 'pkg-vulnerabilities');
      writeFileSync(list, LIST);
      const line = (n: string, profile: string) =>
        `  - { name: ${n}, sw_area: ${f.sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [${profile}] }`;
      const commit = (base: string, dev: string, message: string) =>
        commitDesired(
          f.repo,
          {
            'sites.yaml': `defaults:\n  vulnerabilities: { list: ${list} }\nsites:\n${line('A', 'prod')}\n${line('B', 'dev')}\n`,
            'profiles/base.yaml': base,
            'profiles/prod.yaml': 'extends: [base]\nvulnerabilities: { policy: refuse }\n',
            'profiles/dev.yaml': `extends: [base]\n${dev}`,
          },
          message,
        );
      const run = (...args: string[]) =>
        bin([...args, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });

      commit('packages:\n  - foo-1.2\n  - tool\n', '', 'v1');
      git(f.repo, 'tag', 'v1');
      const first = await run('apply');
      expect(first.code).toBe(1);
      expect(first.stdout).toMatch(
        /A: FAILED: refusing to install foo-1\.2: information-leak https:\/\/example\.org\/advisory\/FOO \(vulnerabilities\.policy: refuse in profile prod;/,
      );
      expect(first.stdout).toMatch(/Apply: 1 changed, 0 in sync, 1 failed of 2 sites/);
      expect(installed(f, 'A')).toEqual([]);
      expect(installed(f, 'B')).toEqual(['foo-1.2', 'tool-2.0']);

      // The pattern now lets foo-1.4 in; only B, whose profile asks for it, is fixed.
      commit('packages:\n  - foo>=1.2\n  - tool\n', 'vulnerabilities: { fix_vulnerable: true }\n', 'v2');
      git(f.repo, 'tag', 'v2');
      const plan = await run('plan', '--site', 'B', '--json');
      expect(plan.code).toBe(0);
      const b = JSON.parse(plan.stdout).sites[0];
      expect(b.actions).toMatchObject([
        {
          action: 'upgrade',
          pkgname: 'foo-1.4',
          from: 'foo-1.2',
          fixes: [{ kind: 'information-leak', url: 'https://example.org/advisory/FOO' }],
        },
      ]);
      expect(b.actions[0].reason).toMatch(
        /^installed foo-1\.2 is vulnerable \(information-leak https:\/\/example\.org\/advisory\/FOO\); fix_vulnerable: foo-1\.4 still matches foo>=1\.2/,
      );
      // status takes drift from the same plan: B's fix is drift there too, not "in sync".
      const status = JSON.parse((await run('status', '--format', 'json')).stdout);
      expect(status.packages.find((p: { name: string }) => p.name === 'foo').cells.B).toMatchObject({
        state: 'drift',
        installed: 'foo-1.2',
      });
      expect(status.sites.find((x: { name: string }) => x.name === 'B').plan).toMatchObject({ actions: 1 });
      expect((await run('apply')).code).toBe(0);
      expect(installed(f, 'A')).toEqual(['foo-1.4', 'tool-2.0']);
      expect(installed(f, 'B')).toEqual(['foo-1.4', 'tool-2.0']);

      // B's profile warns: the rollback goes ahead, its plan flagged; A's refuses it.
      expect((await run('rollback', 'v1', '--site', 'B')).code).toBe(0);
      expect(installed(f, 'B')).toEqual(['foo-1.2', 'tool-2.0']);
      const history = JSON.parse((await run('history', '--site', 'B', '--json')).stdout);
      expect(history[0]).toMatchObject({
        kind: 'rollback',
        actions: [
          {
            action: 'downgrade',
            pkgname: 'foo-1.2',
            vulnerable: [{ kind: 'information-leak', url: 'https://example.org/advisory/FOO' }],
          },
        ],
      });
      const refused = await run('rollback', 'v1', '--site', 'A', '--dry-run');
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/A: .*refusing to downgrade foo-1\.2: .*refuse in profile prod/);
      expect(installed(f, 'A')).toEqual(['foo-1.4', 'tool-2.0']);
    },
  );
});
