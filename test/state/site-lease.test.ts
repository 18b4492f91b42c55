// The lease behind the site locks is the controller's: while it lives, every
// lock it holds stays live however long it holds them (one lease file kept
// fresh, not each lock); once it dies, all of them go stale together and
// another controller takes them.
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

process.env.RECONCILE_LOCK_LEASE_MS = '2000';
const { readSiteLock, tryLockSite } = await import('../../src/state/site-lock.js');

const SITES = ['S1', 'S2', 'S3'];

function holder(state: string) {
  const code = `import { tryLockSite } from ${JSON.stringify(path.join(repoRoot, 'dist/state/site-lock.js'))};
for (const s of ${JSON.stringify(SITES)}) if (!(await tryLockSite(process.argv[1], s, { command: 'child' }))) process.exit(3);
console.log('locked');
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, state], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RECONCILE_LOCK_LEASE_MS: '2000' },
  });
  return new Promise<typeof child>((resolve) => child.stdout.once('data', () => resolve(child)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the controller lease behind site locks', () => {
  it('keeps every lock of a live controller past the lease, and frees all of a dead one’s after it', async () => {
    const state = tempDir();
    const child = await holder(state);
    // Held three leases' worth of time: still busy, and the locks themselves were never touched.
    const before = SITES.map((s) => lstatSync(path.join(state, 'locks', `${s}.lock`)).mtimeMs);
    await sleep(3000);
    for (const s of SITES) expect(await tryLockSite(state, s, { command: 'test' })).toBeUndefined();
    expect(SITES.map((s) => lstatSync(path.join(state, 'locks', `${s}.lock`)).mtimeMs)).toEqual(before);
    expect(await readSiteLock(state, 'S2')).toMatchObject({ command: 'child', pid: child.pid });
    // One lease file per controller (this test process made its own while trying), whatever the sites held.
    expect(readdirSync(path.join(state, 'locks', '.leases'))).toHaveLength(2);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Dead: busy until its lease runs out, then every site can be taken.
    expect(await tryLockSite(state, 'S1', { command: 'test' })).toBeUndefined();
    await sleep(2200);
    expect(await readSiteLock(state, 'S3')).toBeUndefined();
    const mine = await Promise.all(SITES.map((s) => tryLockSite(state, s, { command: 'successor' })));
    for (const r of mine) {
      expect(r).toBeDefined();
      expect(r!.lost()).toBe(false);
    }
    expect(await readSiteLock(state, 'S1')).toMatchObject({ command: 'successor', pid: process.pid });
    for (const r of mine) await r!();
    expect(await readSiteLock(state, 'S1')).toBeUndefined();
  }, 20_000);
});
