// A fresh site gets pkgsrc from its bootstrap kit; without a kit the failure
// says so; a job past its time limit is cancelled (its process group
// killed) and its transaction ends "timed-out" without holding up others.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { Journal } from '../../src/state/journal.js';
import { foldTransactions } from '../../src/state/records.js';
import { startTransaction } from '../../src/run/transaction.js';
import { runContext } from '../../src/run/world.js';
import { makeBootstrapKit } from '../emulator/index.js';
import { site } from '../helpers/builders.js';
import { bin } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { desiredRepo, tempDir } from '../helpers/tmp.js';

describe('bootstrap', () => {
  it('bootstraps an empty prefix from the kit, and fails clearly without one', async () => {
    const f = makeFleet(['DONOR'], 'packages:\n  - tool\n');
    const kit = makeBootstrapKit(path.join(f.root, 'bootstrap.tar.gz'));
    const fresh = path.join(f.root, 'sites', 'FRESH');
    const nokit = path.join(f.root, 'sites', 'NOKIT');
    mkdirSync(fresh, { recursive: true });
    mkdirSync(nokit, { recursive: true });
    const repo = desiredRepo({
      'sites.yaml': [
        'sites:',
        `  - { name: FRESH, sw_area: ${fresh}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, bootstrap: ${kit}, profiles: [p] }`,
        `  - { name: NOKIT, sw_area: ${nokit}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p] }`,
        '',
      ].join('\n'),
      'profiles/p.yaml': 'packages:\n  - tool\n',
    });
    const state = path.join(f.root, 'state2');
    const r = await bin(['apply', '--desired', path.join(repo, 'desired-state'), '--state', state]);
    expect(r.code).toBe(1);
    expect(readdirSync(path.join(fresh, 'pkg', 'pkgdb')).filter((n) => !n.startsWith('.'))).toEqual(['tool-2.0']);
    expect(r.stdout).toMatch(
      /NOKIT: FAILED: bootstrap: no pkg_install in .*NOKIT\/pkg and no bootstrap kit configured for this site/,
    );
    expect(existsSync(path.join(nokit, 'pkg', 'pkgdb'))).toBe(false);
  });
});

describe('time limits', () => {
  it('cancels a job past its limit and ends its transaction timed-out', async () => {
    const stateDir = tempDir();
    const sw = tempDir();
    mkdirSync(path.join(sw, 'pkg', 'sbin'), { recursive: true });
    const journal = new Journal(stateDir);
    const backend = new LocalBackend(path.join(stateDir, 'jobs'));
    // A "site" whose pkg_info hangs: the probe job never finishes by itself.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(sw, 'pkg', 'sbin', 'pkg_info'), `#!/bin/sh\nsleep 30\n`, { mode: 0o755 });
    const ctx = runContext({
      stateDir,
      backends: { local: backend },
      revision: 'worktree',
      tags: [],
      pollMs: 50,
      dryRun: false,
      emit: () => undefined,
    });
    const s = site([], { name: 'SLOW', sw_area: sw, prefix: path.join(sw, 'pkg'), job_time_limit: 2 });
    const started = Date.now();
    const outcome = await startTransaction(
      ctx,
      s,
      { site: 'SLOW', status: 'ok', actions: [], kept: [], errors: [] },
      'probe',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(outcome.status).toBe('timed-out');
    expect(outcome.reason).toMatch(/exceeded its time limit of 2s \(queue time included\) and was cancelled/);
    const [tx] = foldTransactions((await journal.read()).records);
    expect(tx!.end!.status).toBe('timed-out');
    expect(tx!.submitted!.job.id).toBe(tx!.txid);
  });
});
