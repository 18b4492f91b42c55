// `reconcile apply` end to end: a real git repository of desired state, the
// built executable as a real process, and sites running the pkg_install
// emulator through the local backend.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEmulatorLog, readOverlaps, setFaults } from '../emulator/index.js';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';

const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

function apply(f: Fleet, ...extra: string[]) {
  return bin(['apply', '--desired', f.desired, '--state', f.state, ...extra], { env: { VO_EMULATOR_LOG: f.log } });
}

describe('reconcile apply', () => {
  it('converges three sites, then finds nothing to do; a committed change converges again', async () => {
    const f = makeFleet(['A', 'B', 'C'], 'packages:\n  - foo>=1.2\n  - baz\n  - tool\n');
    const first = await apply(f);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Apply: 3 changed, 0 in sync, 0 failed of 3 sites/);
    for (const s of ['A', 'B', 'C']) expect(installed(f, s)).toEqual(['bar-1.0', 'baz-3.1', 'foo-1.4', 'tool-2.0']);

    const second = await apply(f);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Apply: 0 changed, 3 in sync, 0 failed/);

    f.commit('packages:\n  - foo-1.2\n  - app\n  - { name: baz, state: absent }\n', 'foo back to 1.2, app in, baz out');
    const third = await apply(f);
    expect(third.code).toBe(0);
    // bar came with baz as a dependency (automatic), so it stays without autoremove; libz came with app.
    for (const s of ['A', 'B', 'C']) expect(installed(f, s)).toEqual(['app-1.0', 'bar-1.0', 'foo-1.2', 'libz-1.3']);
    expect((await apply(f)).stdout).toMatch(/0 changed, 3 in sync/);

    const history = JSON.parse((await bin(['history', '--state', f.state, '--json', '--site', 'B'])).stdout);
    expect(history.map((t: { kind: string; status: string }) => `${t.kind}:${t.status}`)).toEqual([
      'apply:succeeded',
      'apply:succeeded',
      'probe:succeeded',
    ]);
    expect(history[0].actions.map((a: { action: string; pkgname: string }) => `${a.action} ${a.pkgname}`)).toEqual([
      'install app-1.0',
      'downgrade foo-1.2',
      'remove baz-3.1',
      'remove tool-2.0',
    ]);
    expect(history[0].observedAfter.packages).toEqual(['app-1.0', 'bar-1.0', 'foo-1.2', 'libz-1.3']);
    expect(history[0].observedAfter.automatic).toEqual(['bar-1.0', 'libz-1.3']);
    expect(readOverlaps(f.log)).toEqual([]);
  });

  it('fails only the site whose software area is unusable', async () => {
    const f = makeFleet(['A', 'C'], 'packages:\n  - tool\n', { broken: ['BROKEN'] });
    const r = await apply(f);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /BROKEN: FAILED: probe failed: preflight: software area .*BROKEN-not-a-directory does not exist or is not a directory/,
    );
    expect(r.stdout).toMatch(/Apply: 2 changed, 0 in sync, 1 failed of 3 sites/);
    expect(installed(f, 'A')).toEqual(['tool-2.0']);
    expect(installed(f, 'C')).toEqual(['tool-2.0']);
  });

  it('marks a job that exits 0 without doing its work as failed', async () => {
    const f = makeFleet(['A'], 'packages:\n  - tool\n');
    expect((await bin(['observe', '--desired', f.desired, '--state', f.state])).code).toBe(0);
    setFaults(f.sites.A!.prefix, { lieAdd: ['tool-2.0'] });
    const r = await apply(f);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /the job reported success but install of tool-2.0 did not happen \(no tool is installed\)/,
    );
  });

  it('never runs two jobs at one site when two controllers apply at once', async () => {
    const f = makeFleet(['A', 'B', 'C'], 'packages:\n  - foo\n  - baz\n  - tool\n', { faults: { delayMs: 150 } });
    const [x, y] = await Promise.all([apply(f, '--concurrency', '3'), apply(f, '--concurrency', '3')]);
    expect([x.code, y.code]).toEqual([0, 0]);
    const log = readEmulatorLog(f.log);
    expect(new Set(log.map((e) => e.site)).size).toBe(3);
    expect(readOverlaps(f.log)).toEqual([]);
    for (const s of ['A', 'B', 'C']) expect(installed(f, s)).toEqual(['bar-1.0', 'baz-3.1', 'foo-1.4', 'tool-2.0']);
  });

  it('resumes the job of a controller killed while waiting, instead of submitting again', async () => {
    const f = makeFleet(['A'], 'packages:\n  - tool\n  - foo\n');
    expect((await bin(['observe', '--desired', f.desired, '--state', f.state])).code).toBe(0);
    setFaults(f.sites.A!.prefix, { delayMs: 1500 });
    const controller = spawn(
      process.execPath,
      [path.join(repoRoot, 'dist/cli/main.js'), 'apply', '--desired', f.desired, '--state', f.state],
      {
        env: { ...process.env, VO_EMULATOR_LOG: f.log, RECONCILE_LOCK_LEASE_MS: '2000' },
        stdio: 'ignore',
      },
    );
    const journal = path.join(f.state, 'journal.jsonl');
    const submitted = () =>
      readFileSync(journal, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"type":"submitted"')).length;
    while (submitted() < 2) await new Promise((r) => setTimeout(r, 50));
    controller.kill('SIGKILL');
    await new Promise((r) => controller.once('exit', r));

    // The dead controller's lock is broken once its lease (shortened here) runs out.
    const r = await bin(['apply', '--desired', f.desired, '--state', f.state], {
      env: { VO_EMULATOR_LOG: f.log, RECONCILE_LOCK_LEASE_MS: '2000' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/A: resuming: waiting for job tx-/);
    expect(installed(f, 'A')).toEqual(['foo-1.4', 'tool-2.0']);
    const history = JSON.parse((await bin(['history', '--state', f.state, '--json'])).stdout);
    expect(history.map((t: { kind: string; status: string }) => `${t.kind}:${t.status}`)).toEqual([
      'apply:succeeded',
      'probe:succeeded',
    ]);
    // One transaction, one job: each package was added exactly once.
    const adds = readEmulatorLog(f.log).filter((e) => e.event === 'start' && e.cmd.startsWith('pkg_add'));
    expect(adds.map((e) => e.txn)).toEqual([history[0].txid, history[0].txid]);
  });

  it('--dry-run writes the job scripts and submits nothing', async () => {
    const f = makeFleet(['A'], 'packages:\n  - tool\n');
    expect((await bin(['observe', '--desired', f.desired, '--state', f.state])).code).toBe(0);
    const r = await apply(f, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/A: 1 to install; job script written to .*dry-run\/A\.sh/);
    expect(readFileSync(path.join(f.state, 'jobs', 'dry-run', 'A.sh'), 'utf8')).toMatch(/action 1 install tool-2.0/);
    expect(installed(f, 'A')).toEqual([]);
  });
});
