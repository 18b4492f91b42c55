// A rollback's hold survives a crash at the moment it is written (issue 19,
// item 11c): a real `reconcile rollback` is SIGKILLed just before or just
// after the rename that puts its hold in place (kill-at-rename.mjs), for a
// rollback that runs a job and for one that needs none. Whatever the kill
// left, the next `apply` must not find a rollback in the journal with its
// site unheld: it resumes the rollback and holds, or sees it never happened.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { git } from '../helpers/tmp.js';

const PRELOAD = pathToFileURL(path.join(repoRoot, 'test/hardening/kill-at-rename.mjs')).href;
/** The killed controller's site lock is broken after this (the shortest lease allowed). */
const ENV = { RECONCILE_LOCK_LEASE_MS: '2000' };
// Each case runs the real command four or five times (jobs, a lease to wait out): longer than one step's default.

const installed = (f: Fleet) =>
  readdirSync(f.sites.A!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

function journal(f: Fleet): JournalRecord[] {
  const file = path.join(f.state, 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as JournalRecord);
}

/** The rollback transactions' end statuses, in journal order. */
function rollbackEnds(f: Fleet): string[] {
  const records = journal(f);
  const rollbacks = new Set(records.filter((r) => r.type === 'begin' && r.kind === 'rollback').map((r) => r.txid));
  return records
    .filter((r) => r.type === 'end' && rollbacks.has(r.txid))
    .map((r) => (r.type === 'end' ? r.status : ''));
}

/** `reconcile rollback v1`, SIGKILLed at the rename of A's hold; the signal it died of. */
function killedRollback(f: Fleet, when: 'before' | 'after'): Promise<string | null> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      PRELOAD,
      path.join(repoRoot, 'dist/cli/main.js'),
      'rollback',
      'v1',
      '--desired',
      f.desired,
      '--state',
      f.state,
    ],
    {
      env: { ...process.env, ...ENV, VO_EMULATOR_LOG: f.log, VO_KILL_RENAME: '/holds/A\\.json$', VO_KILL_WHEN: when },
      stdio: 'ignore',
    },
  );
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

describe('a rollback killed as it writes its hold', () => {
  for (const when of ['before', 'after'] as const) {
    it(
      `with a job, killed just ${when} the hold is in place: the next apply resumes it and the site is held`,
      { timeout: 90_000 },
      async () => {
        const f = makeFleet(['A'], 'packages:\n  - tool\n');
        const run = (...args: string[]) =>
          bin([...args, '--desired', f.desired, '--state', f.state], { env: { ...ENV, VO_EMULATOR_LOG: f.log } });
        git(f.repo, 'tag', 'v1');
        expect((await run('apply')).code).toBe(0);
        f.commit('packages:\n  - foo-1.4\n', 'v2');
        expect((await run('apply')).code).toBe(0);

        expect(await killedRollback(f, when)).toBe('SIGKILL');
        // The job had run: the site has v1's set, whatever the journal got.
        expect(installed(f)).toEqual(['tool-2.0']);

        const next = await run('apply');
        expect(next.stdout).toMatch(/A: held since the rollback to v1/);
        expect(installed(f)).toEqual(['tool-2.0']);
        // Ended once, succeeded: the resumed transaction, not a second rollback.
        expect(rollbackEnds(f)).toEqual(['succeeded']);
        expect(existsSync(path.join(f.state, 'holds', 'A.json'))).toBe(true);
      },
    );

    it(
      `needing no job, killed just ${when} the hold is in place: a rollback in the journal always has its hold`,
      { timeout: 90_000 },
      async () => {
        const f = makeFleet(['A'], 'packages:\n  - tool\n');
        const run = (...args: string[]) =>
          bin([...args, '--desired', f.desired, '--state', f.state], { env: { ...ENV, VO_EMULATOR_LOG: f.log } });
        git(f.repo, 'tag', 'v1');
        expect((await run('apply')).code).toBe(0);
        // HEAD moves on, but the site is still at v1's set: the rollback has nothing to change.
        f.commit('packages:\n  - tool\n  - foo-1.4\n', 'v2');

        expect(await killedRollback(f, when)).toBe('SIGKILL');
        const rolledBack = rollbackEnds(f);
        const next = await run('apply');
        if (when === 'after' || rolledBack.length > 0) expect(next.stdout).toMatch(/A: held since the rollback to v1/);
        else expect(next.stdout).toMatch(/A: 1 to install/);
        expect(rollbackEnds(f)).toEqual(rolledBack);
      },
    );
  }
});
