// A site whose lock another controller holds goes back to the queue and
// frees its slot: the other sites run meanwhile, it is retried later in the
// run, and one that stays busy is named in the run's summary.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { busySummary, retryWhileBusy } from '../../src/run/busy-retry.js';
import type { SiteEvent } from '../../src/run/context.js';
import type { SiteResult } from '../../src/run/reconcile-site.js';
import { site } from '../helpers/builders.js';
import { readSiteLock } from '../../src/state/site-lock.js';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';

/** Another controller: a process holding the site's lock for `ms`. */
function holdInChild(stateDir: string, siteName: string, ms: number): Promise<{ exited: Promise<void> }> {
  const code = `import { tryLockSite } from ${JSON.stringify(path.join(repoRoot, 'dist/state/site-lock.js'))};
const { HOLD_STATE, HOLD_SITE, HOLD_MS } = process.env;
const r = await tryLockSite(HOLD_STATE, HOLD_SITE, { command: 'apply' });
console.log(r ? 'locked' : 'busy');
setTimeout(async () => { await r?.(); process.exit(0); }, Number(HOLD_MS));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HOLD_STATE: stateDir, HOLD_SITE: siteName, HOLD_MS: String(ms) },
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) =>
      // Wrapped: a promise resolved with a promise would wait for the child to exit.
      d.toString().trim() === 'locked' ? resolve({ exited }) : reject(new Error('the child did not get the lock')),
    );
  });
}

describe('busy sites', () => {
  it(
    'a locked site frees its slot for the others, and is applied once the lock is free',
    { timeout: 60_000 },
    async () => {
      const f = makeFleet(['A', 'B', 'C'], 'packages:\n  - tool\n');
      expect((await bin(['observe', '--desired', f.desired, '--state', f.state])).code).toBe(0);
      const released = await holdInChild(f.state, 'A', 5000);
      expect(await readSiteLock(f.state, 'A')).toMatchObject({ command: 'apply' });
      const r = await bin(['apply', '--desired', f.desired, '--state', f.state, '--concurrency', '1']);
      await released.exited;
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /A: .*held by \S+ \(apply\) since .*; back in the queue, its slot goes to the next site/,
      );
      expect(r.stdout).toMatch(/3 changed/);
      expect(r.stdout).not.toMatch(/Stayed busy/);
      // With one slot, B and C were done while A was busy: A is done last.
      const done = r.stdout
        .split('\n')
        .filter((l) => / [ABC]: 1 to install$/.test(l))
        .map((l) => /([ABC]):/.exec(l)![1]);
      expect(done).toHaveLength(3);
      expect(done.at(-1)).toBe('A');
    },
  );

  it('retries a busy site outside its slot until its job time limit, then says it stayed busy', async () => {
    const busy: SiteResult = {
      site: 'S',
      status: 'failed',
      busy: true,
      detail: 'busy: held by other:1 (apply) since t',
    };
    let tries = 0;
    const events: SiteEvent[] = [];
    const started = Date.now();
    const r = await retryWhileBusy(
      site([], { name: 'S', job_time_limit: 2 }),
      async () => {
        tries++;
        return busy;
      },
      (e) => events.push(e),
    );
    // Tried at once and after 1 s; the next pause (2 s) would pass the 2 s limit.
    expect(tries).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(r).toMatchObject({
      status: 'failed',
      busy: true,
      detail: expect.stringMatching(/still busy after 1s and 2 tries$/),
    });
    expect(events.map((e) => e.kind)).toEqual(['waiting-lock']);
    expect(busySummary([r, { site: 'T', status: 'in-sync', detail: '' }])).toBe(
      "Stayed busy (another controller held the lock; retried until each site's job time limit): S.",
    );
    expect(busySummary([{ site: 'T', status: 'in-sync', detail: '' }])).toBeUndefined();
  });

  it('a site that stops being busy comes back with what its work did', async () => {
    let tries = 0;
    const r = await retryWhileBusy(
      site([], { name: 'S', job_time_limit: 60 }),
      async (): Promise<SiteResult> =>
        ++tries < 2
          ? { site: 'S', status: 'failed', busy: true, detail: 'busy: held by another controller' }
          : { site: 'S', status: 'changed', detail: '1 to install', txid: 'tx' },
      () => undefined,
    );
    expect(r).toEqual({ site: 'S', status: 'changed', detail: '1 to install', txid: 'tx' });
  });
});
