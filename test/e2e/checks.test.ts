// Install → validate → publish end to end: a profile's checks run at the
// emulated sites after the actions; a failing or overrunning check fails the
// transaction though its packages are installed, `status` tells installed
// from validated, and a rollback restores a validated package set rather
// than a later one that never passed its checks.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { git } from '../helpers/tmp.js';

const SLOW = 240_000;

const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

const runner =
  (f: Fleet) =>
  (...args: string[]) =>
    bin([...args, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });

/** The journal's end records, oldest first. */
const ends = (f: Fleet) =>
  readFileSync(path.join(f.state, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as {
          type: string;
          txid: string;
          site: string;
          status: string;
          reason?: string;
          installed?: boolean;
          validated?: boolean;
        },
    )
    .filter((r) => r.type === 'end');

const profile = (pkgs: string[], checks: string[]) =>
  `packages:\n${pkgs.map((p) => `  - ${p}\n`).join('')}checks:\n${checks.map((c) => `  - ${c}\n`).join('')}`;

describe('checks at the sites', () => {
  it(
    'a passing check validates; a failing one fails the transaction, installed but not validated, until it passes',
    async () => {
      const good =
        '{ name: foo-in-prefix, run: "test -d \\"$PREFIX/pkgdb/foo-1.4\\" && echo \\"foo at $PREFIX\\"", timeout: 30 }';
      const f = makeFleet(['A'], profile(['foo-1.4'], [good]));
      const run = runner(f);

      const first = await run('apply');
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/1 changed/);
      expect(ends(f).at(-1)).toMatchObject({ status: 'succeeded', installed: true, validated: true });
      const history = JSON.parse((await run('history', '--json')).stdout);
      expect(history[0]).toMatchObject({
        status: 'succeeded',
        installed: true,
        validated: true,
        checks: [{ name: 'foo-in-prefix', outcome: 'passed', rc: 0, output: [`foo at ${f.sites.A!.prefix}`] }],
      });
      expect((await run('status')).stdout).toMatch(/^A: .*; installed and validated [0-9a-f]{12}$/m);

      // A new package and a check it fails: the package is installed, the set is not live.
      const bad = '{ name: tool-works, run: "echo \\"tool: cannot open display\\" >&2; exit 4" }';
      f.commit(profile(['foo-1.4', 'tool'], [good, bad]), 'tool, checked');
      const second = await run('apply');
      expect(second.code).toBe(1);
      expect(second.stdout).toMatch(/A: FAILED: check 'tool-works' exited 4: tool: cannot open display/);
      expect(installed(f, 'A')).toEqual(['foo-1.4', 'tool-2.0']);
      expect(ends(f).at(-1)).toMatchObject({ status: 'failed', installed: true, validated: false });
      const status = (await run('status')).stdout;
      expect(status).toMatch(
        /^A: .*last apply failed .*; installed [0-9a-f]{12} NOT VALIDATED \(last validated [0-9a-f]{12} by tx-/m,
      );
      expect(JSON.parse((await run('status', '--json')).stdout).sites[0]).toMatchObject({
        installed: { txid: expect.any(String) },
        validated: { txid: history[0].txid },
      });
      expect((await run('history')).stdout).toMatch(/ A apply failed \(installed, not validated\) /);

      // Nothing left to install, yet the revision is not validated: the next apply runs the checks again.
      const again = await run('apply');
      expect(again.code).toBe(1);
      expect(again.stdout).toMatch(/A: FAILED: check 'tool-works' exited 4/);

      // Fixed: a job with no actions validates the site.
      f.commit(profile(['foo-1.4', 'tool'], [good, '{ name: tool-works, run: "true" }']), 'tool check fixed');
      const third = await run('apply');
      expect(third.code).toBe(0);
      expect(third.stdout).toMatch(/A: in sync \(2 packages\); 2 checks passed/);
      expect(ends(f).at(-1)).toMatchObject({ status: 'succeeded', installed: true, validated: true });
      expect((await run('status')).stdout).toMatch(/; installed and validated [0-9a-f]{12}$/m);
      // Validated at this revision: no further job.
      expect((await run('apply')).stdout).toMatch(/A: in sync \(2 packages\)$/m);
    },
    SLOW,
  );

  it(
    'stops a check past its time limit and fails the transaction with that reason',
    async () => {
      const f = makeFleet(['A'], profile(['foo-1.4'], ['{ name: hangs, run: "echo waiting; sleep 60", timeout: 1 }']));
      const r = await runner(f)('apply');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/A: FAILED: check 'hangs' exceeded its time limit of 1s: waiting/);
      expect(ends(f).at(-1)).toMatchObject({ installed: true, validated: false });
    },
    SLOW,
  );

  it(
    'rollback restores the validated transaction of a tag, not a later unvalidated one, and says when only an unvalidated one exists',
    async () => {
      // Each site's check fails while its software area holds a file "broken".
      const check = '{ name: not-broken, run: "test ! -e \\"$SW_AREA/broken\\"" }';
      const f = makeFleet(['A', 'B'], profile(['foo-1.2'], [check]));
      const run = runner(f);
      const broken = (site: string, on: boolean) =>
        on
          ? writeFileSync(path.join(f.sites[site]!.swArea, 'broken'), '')
          : rmSync(path.join(f.sites[site]!.swArea, 'broken'), { force: true });

      git(f.repo, 'tag', 'v1');
      broken('B', true);
      expect((await run('apply')).code).toBe(1);
      const v1 = ends(f);
      const validatedA = v1.filter((e) => e.site === 'A').at(-1)!;
      const unvalidatedB = v1.filter((e) => e.site === 'B').at(-1)!;
      expect(validatedA).toMatchObject({ validated: true });
      expect(unvalidatedB).toMatchObject({ status: 'failed', installed: true, validated: false });

      f.commit(profile(['tool'], [check]), 'v2');
      git(f.repo, 'tag', 'v2');
      broken('B', false);
      expect((await run('apply')).code).toBe(0);

      // A rollback to v1 that fails its checks at A: a later, unvalidated transaction that applied v1 there.
      broken('A', true);
      const first = await run('--rollback', 'v1');
      expect(first.code).toBe(1);
      expect(first.stdout).toMatch(new RegExp(`A: FAILED: check 'not-broken' exited 1`));
      expect(first.stdout).toMatch(
        new RegExp(
          `B: rolled back to v1 \\(restoring the package set of ${unvalidatedB.txid}, which was never validated: no transaction that applied v1 here passed its checks\\)`,
        ),
      );
      expect(installed(f, 'A')).toEqual(['foo-1.2']);
      const unvalidatedA = ends(f)
        .filter((e) => e.site === 'A')
        .at(-1)!;
      expect(unvalidatedA).toMatchObject({ status: 'failed', installed: true, validated: false });
      expect((await run('status')).stdout).toMatch(
        /^A: .*; installed [0-9a-f]{12} \[v1\] NOT VALIDATED \(last validated [0-9a-f]{12} \[v2\]/m,
      );

      broken('A', false);
      const second = await run('--rollback', 'v1', '--site', 'A');
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(
        new RegExp(`A: rolled back to v1 \\(restoring the package set of ${validatedA.txid}\\)`),
      );
      expect(second.stdout).not.toContain(unvalidatedA.txid);
    },
    SLOW,
  );
});
