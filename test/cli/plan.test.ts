// `reconcile plan` end to end on the shipped example: golden text and JSON,
// exit codes, and refusal of bad inventories.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, cli } from '../helpers/cli.js';
import { expectGolden } from '../helpers/golden.js';
import { tempDir } from '../helpers/tmp.js';

const EXAMPLE = [
  '--worktree',
  '--observed',
  'desired-state/examples/observed',
  '--catalog',
  'desired-state/examples/catalog',
];

describe('reconcile plan on the example', () => {
  it('prints the readable diff (golden)', async () => {
    const r = await cli(['plan', ...EXAMPLE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectGolden('plan-example.txt', r.stdout);
  });

  it('lists kept packages and why with -v (golden)', async () => {
    const r = await cli(['plan', '-v', '--site', 'DESY-HH', ...EXAMPLE]);
    expectGolden('plan-example-verbose.txt', r.stdout);
    expect(r.stdout).toMatch(/emacs-30\.1 \(unmanaged: not declared; userpkgs leaves it alone\)/);
    expect(r.stdout).toMatch(/gcc12-12\.4\.0 \(frozen: frozen at/);
    expect(r.stdout).toMatch(/pkg_install-20250417 \(protected: the package tools are always protected\)/);
  });

  it('emits JSON with an action field per action (golden)', async () => {
    const r = await cli(['plan', '--json', ...EXAMPLE]);
    const plan = JSON.parse(r.stdout);
    expect(plan.format).toBe('vo-reconcile-plan/1');
    expect(plan.summary).toEqual({
      sites: 3,
      changed: 2,
      inSync: 0,
      checksOnly: 1,
      held: 0,
      failed: 0,
      install: 12,
      upgrade: 2,
      downgrade: 0,
      remove: 2,
    });
    for (const s of plan.sites)
      for (const a of s.actions) expect(['install', 'upgrade', 'downgrade', 'remove']).toContain(a.action);
    // Inventory files carry their checkout time; everything else is fixed.
    for (const s of plan.sites) if (s.observed) s.observed.at = '<mtime>';
    expectGolden('plan-example.json', `${JSON.stringify(plan, null, 1)}\n`);
  });

  it('exits 3 with --detailed-exitcode when apply would do something (a checks-only job too)', async () => {
    expect((await cli(['plan', '--detailed-exitcode', ...EXAMPLE])).code).toBe(3);
    // In sync, but its checks never ran at this revision: apply would run a checks-only job
    // (test/plan/plan-says-apply.test.ts has the 0 once they passed).
    expect((await cli(['plan', '--detailed-exitcode', '--site', 'UKI-NORTHGRID-LIV-HEP', ...EXAMPLE])).code).toBe(3);
  });

  it('exits 1 when a site cannot be planned, still planning the others', async () => {
    // The example sites' own pkg_paths do not exist on this machine.
    // (DESY-HH's pkg_path is a URL; leave it out, tests talk to 127.0.0.1 only.)
    const r = await cli([
      'plan',
      '--worktree',
      '--observed',
      'desired-state/examples/observed',
      '--site',
      'UKI-NORTHGRID-LIV-HEP',
      '--site',
      'UNI-ARM-TEST',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^UKI-NORTHGRID-LIV-HEP: ERROR, nothing will be done here\n {2}! \/srv\/packages\/el9\/All: no package summary here/,
    );
    expect(r.stdout).toMatch(/; 2 sites cannot be planned\)\.\n$/);
  });

  it('exits 2 when the --catalog it was given cannot be read', async () => {
    const r = await cli([
      'plan',
      '--worktree',
      '--observed',
      'desired-state/examples/observed',
      '--catalog',
      '/nonexistent/All',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^\/nonexistent\/All: no package summary here/);
    expect(r.stdout).toBe('');
  });

  it('refuses a malformed inventory with its file and line, exit 2', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'DESY-HH.pkg_info'), 'foo-1.0             Foo\nfoo;rm -rf /        evil\n');
    const r = await cli([
      'plan',
      '--worktree',
      '--site',
      'DESY-HH',
      '--observed',
      dir,
      '--catalog',
      'desired-state/examples/catalog',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${dir}/DESY-HH\\.pkg_info:2:4: `));
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('refuses an unknown site with exit 2', async () => {
    const r = await cli(['plan', '--site', 'NOPE', ...EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^reconcile: unknown site 'NOPE'; sites\.yaml has: UKI-NORTHGRID-LIV-HEP, DESY-HH, UNI-ARM-TEST\n$/,
    );
  });

  it('is what npm start shows a newcomer (the built binary at HEAD)', async () => {
    const r = await bin([
      'plan',
      '--observed',
      'desired-state/examples/observed',
      '--catalog',
      'desired-state/examples/catalog',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Plan: 12 to install, 2 to upgrade, 0 to downgrade, 2 to remove at 2 of 3 sites \(0 in sync; 1 site only runs checks\)\.$/m,
    );
  });
});

describe('reconcile observe --import', () => {
  it('stores an inventory with automatic flags, and plan uses it', async () => {
    const state = tempDir();
    const obs = 'desired-state/examples/observed/DESY-HH.pkg_info';
    const r = await cli([
      'observe',
      '--worktree',
      '--site',
      'DESY-HH',
      '--import',
      obs,
      '--import-u',
      `${obs}-u`,
      '--state',
      state,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`DESY-HH: stored 38 packages (19 automatic) in ${state}/observed/DESY-HH.json\n`);
    const p = await cli([
      'plan',
      '--worktree',
      '--site',
      'DESY-HH',
      '--state',
      state,
      '--catalog',
      'desired-state/examples/catalog',
    ]);
    expect(p.stdout).toMatch(/^DESY-HH: 5 changes$/m);
  });

  it("with --import-n keeps each package's DEPENDS from the site, so the plan needs no catalog fallback", async () => {
    const state = tempDir();
    const obs = 'desired-state/examples/observed/DESY-HH.pkg_info';
    const names = readFileSync(obs, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')[0]!);
    // pkg_info -n -a as the site prints it: a block per package, Requires only where it has DEPENDS.
    const depends = path.join(state, 'DESY-HH.pkg_info-n');
    writeFileSync(
      depends,
      names
        .map((n) => `Information for ${n}:\n\n${n.startsWith('python311-') ? 'Requires:\nlibffi>=3.0\n\n' : ''}\n`)
        .join(''),
    );
    const importArgs = ['observe', '--worktree', '--site', 'DESY-HH', '--import', obs, '--import-u', `${obs}-u`];
    const r = await cli([...importArgs, '--import-n', depends, '--state', state]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `DESY-HH: stored 38 packages (19 automatic; DEPENDS recorded for 38) in ${state}/observed/DESY-HH.json\n`,
    );
    const stored = JSON.parse(readFileSync(path.join(state, 'observed', 'DESY-HH.json'), 'utf8'));
    const python = stored.packages.find((p: { name: string }) => p.name === 'python311');
    expect(python.depends).toEqual(['libffi>=3.0']);
    expect(stored.packages.every((p: { depends?: string[] }) => Array.isArray(p.depends))).toBe(true);
    const plan = (state: string) =>
      cli(['plan', '--worktree', '--site', 'DESY-HH', '--state', state, '--catalog', 'desired-state/examples/catalog']);
    expect((await plan(state)).stdout).not.toMatch(/note:/);
    // Without it the plan says where it took DEPENDS from the catalog instead.
    const older = tempDir();
    expect((await cli([...importArgs, '--state', older])).code).toBe(0);
    expect((await plan(older)).stdout).toMatch(
      /note: the observation does not record what .* depend on \(pkg_info -n\)/,
    );
  });

  it('--import-n without --import is a usage error', async () => {
    const r = await cli(['observe', '--worktree', '--site', 'DESY-HH', '--import-n', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--import-n goes with --import/);
  });

  it('stores nothing when the listing is malformed', async () => {
    const state = tempDir();
    const bad = path.join(state, 'bad.txt');
    writeFileSync(bad, 'fine-1.0            ok\n  indented-1.0 no\n');
    const r = await cli(['observe', '--worktree', '--site', 'DESY-HH', '--import', bad, '--state', state]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${bad}:2:1: `));
    const p = await cli([
      'plan',
      '--worktree',
      '--site',
      'DESY-HH',
      '--state',
      state,
      '--catalog',
      'desired-state/examples/catalog',
    ]);
    expect(p.stdout).toMatch(/DESY-HH: not observed/);
  });
});
