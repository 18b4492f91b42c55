// Behaviours a review found missing: a cancelled job releases its site
// lock; a rollback is exact under userpkgs; an inventory without -u removes
// nothing undeclared; bad state and usage are exit 2.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { planSite } from '../../src/plan/plan-site.js';
import { planRestore } from '../../src/rollback/plan-rollback.js';
import { cat, inv, site, want } from '../helpers/builders.js';
import { makeFleet } from '../helpers/fleet.js';
import { bin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('cancelling a job', () => {
  it("lets the job's trap release the site lock", async () => {
    const sw = tempDir();
    const sbin = path.join(sw, 'pkg', 'sbin');
    mkdirSync(sbin, { recursive: true });
    writeFileSync(path.join(sbin, 'pkg_info'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(path.join(sbin, 'pkg_admin'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(path.join(sbin, 'pkg_add'), '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
    const script = renderJobScript({
      txid: 'tx-cancel',
      nonce: 'n0n0n0',
      site: 'S',
      swArea: sw,
      prefix: path.join(sw, 'pkg'),
      pkgPath: '/srv/packages/All',
      lease: 3600,
      controller: 'test:1',
      expected: [],
      actions: [{ action: 'install', name: 'foo', pkgname: 'foo-1.0', reason: 'r' }],
    });
    const jobs = tempDir();
    const b = new LocalBackend(jobs);
    const job = await b.submit({ txid: 'tx-cancel', jobName: 'tx-cancel', site: site([]), script, timeLimit: 60 });
    const lock = path.join(sw, '.vo-reconcile.lock');
    for (let i = 0; i < 100 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(lock)).toBe(true);
    await b.cancel(job);
    expect(existsSync(lock)).toBe(false);
    const output = readFileSync(path.join(jobs, 'tx-cancel', 'output'), 'utf8');
    expect(output).toMatch(/@@vo:n0n0n0 killed/);
    expect(output).toMatch(/@@vo:n0n0n0 unlocked/);
  });
});

describe('planner and rollback rules', () => {
  it('rolls back exactly under userpkgs: what HEAD declares but the tag lacked goes', () => {
    const s = site([want('foo>=2'), want('newtool')], { userpkgs: true });
    const r = planRestore(
      s,
      { txid: 'tx-v1', packages: ['foo-1.0'], automatic: [], validated: true },
      inv('foo-2.0', 'newtool-1.0', 'mine-3.0'),
      cat('foo-1.0', 'foo-2.0', 'newtool-1.0'),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.actions.map((a) => `${a.action} ${a.pkgname}`)).toEqual(['downgrade foo-1.0', 'remove newtool-1.0']);
    expect(r.plan.kept.find((k) => k.pkgname === 'mine-3.0')!.reason).toBe('unmanaged');
  });

  it('removes nothing undeclared when the inventory has no pkg_info -u listing', () => {
    const noU = { ...inv('app-1.0', 'libdep-2.0'), userListKnown: false };
    const p = planSite(site([want('app')]), noU, cat('app-1.0 < libdep>=2', 'libdep-2.0'));
    expect(p.actions).toEqual([]);
    expect(p.kept.find((k) => k.pkgname === 'libdep-2.0')).toMatchObject({
      reason: 'unmanaged',
      detail: expect.stringMatching(/without a pkg_info -u listing/),
    });
  });
});

describe('exit codes for bad state and usage', () => {
  it('answers a --state that is a file, a corrupt hold and an unknown command with --help with exit 2', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const a = await bin([
      'plan',
      '--worktree',
      '--site',
      'DESY-HH',
      '--state',
      file,
      '--catalog',
      'desired-state/examples/catalog',
    ]);
    expect(a.code).toBe(2);
    // Whichever file under it is read first (the rollout's progress, an observation) names the path and the cause.
    expect(a.stderr).toMatch(/not-a-dir\/\S+: cannot read the .*not a directory.*\(is --state a directory\?\)\n$/);
    const state = tempDir();
    mkdirSync(path.join(state, 'holds'));
    writeFileSync(path.join(state, 'holds', 'DESY-HH.json'), '{ torn');
    const b = await bin([
      'plan',
      '--worktree',
      '--site',
      'DESY-HH',
      '--state',
      state,
      '--observed',
      'desired-state/examples/observed',
      '--catalog',
      'desired-state/examples/catalog',
    ]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/holds\/DESY-HH\.json:1: corrupt hold: .*reconcile release DESY-HH/);
    const c = await bin(['bogus', '--help']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/unknown command 'bogus'/);
  });
});

describe('logs', () => {
  it('go to --log-file as pino JSON lines, one per site state change at info', async () => {
    // A site whose software area cannot be used: its probe fails (a real directory like
    // the example's /srv/vo_sw may exist on a machine running the grid servers).
    const f = makeFleet([], 'packages:\n  - foo\n', { broken: ['BROKEN'] });
    const dir = tempDir();
    const log = path.join(dir, 'reconcile.log');
    const r = await bin([
      'apply',
      '--desired',
      f.desired,
      '--state',
      f.state,
      '--log-level',
      'info',
      '--log-file',
      log,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ level: 30, site: 'BROKEN', event: 'probing' });
    expect(lines.at(-1)).toMatchObject({
      level: 40,
      site: 'BROKEN',
      event: 'done',
      msg: expect.stringMatching(
        /^FAILED: probe failed: preflight: software area \S+BROKEN-not-a-directory does not exist/,
      ),
    });
    expect((await bin(['apply', '--worktree', '--log-level', 'loud'])).code).toBe(2);
  });
});
