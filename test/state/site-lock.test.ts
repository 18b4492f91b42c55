// Site locks hold across processes: a second process is refused while the
// first holds the lock, and gets it once released.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockSite, readSiteLock, tryLockSite } from '../../src/state/site-lock.js';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function holdInChild(stateDir: string, site: string, ms: number): Promise<() => Promise<number>> {
  const code = `import { tryLockSite } from ${JSON.stringify(path.join(repoRoot, 'dist/state/site-lock.js'))};
const r = await tryLockSite(process.argv[1], process.argv[2], { command: 'child' });
console.log(r ? 'locked' : 'busy');
setTimeout(async () => { await r?.(); process.exit(0); }, Number(process.argv[3]));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, stateDir, site, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exit = new Promise<number>((done) => child.once('exit', (c) => done(c ?? 1)));
  return new Promise((resolve) => {
    child.stdout.once('data', (d: Buffer) => {
      expect(d.toString().trim()).toBe('locked');
      resolve(() => exit);
    });
  });
}

describe('site locks', () => {
  it('refuse a second holder in another process and name the owner', async () => {
    const state = tempDir();
    const exited = await holdInChild(state, 'S1', 1500);
    expect(await tryLockSite(state, 'S1', { command: 'test' })).toBeUndefined();
    expect(await readSiteLock(state, 'S1')).toMatchObject({ command: 'child' });
    const other = await tryLockSite(state, 'S2', { command: 'test' });
    expect(other).toBeDefined();
    await other!();
    const busy: unknown[] = [];
    const release = await lockSite(state, 'S1', { command: 'test' }, { timeoutMs: 10_000, pollMs: 50, onBusy: (h) => busy.push(h) });
    expect(release).toBeDefined();
    expect(busy).toEqual([expect.objectContaining({ command: 'child' })]);
    expect(await exited()).toBe(0);
    await release!();
    expect(await readSiteLock(state, 'S1')).toBeUndefined();
  });

  it('gives up after the timeout', async () => {
    const state = tempDir();
    const exited = await holdInChild(state, 'S1', 1500);
    expect(await lockSite(state, 'S1', { command: 'test' }, { timeoutMs: 200, pollMs: 50 })).toBeUndefined();
    await exited();
  });
});

describe('a lock taken from its holder', () => {
  it('is known to be lost, and its release leaves the new holder alone', async () => {
    const state = tempDir();
    const code = `import { tryLockSite } from ${JSON.stringify(path.join(repoRoot, 'dist/state/site-lock.js'))};
const r = await tryLockSite(process.argv[1], 'S1', { command: 'child' });
console.log('locked');
process.stdin.once('data', async () => { console.log(r.lost() ? 'lost' : 'held'); await r(); process.exit(0); });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, state], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, RECONCILE_LOCK_LEASE_MS: '2000' },
    });
    const lines: string[] = [];
    child.stdout.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
    while (!lines.includes('locked')) await new Promise((r) => setTimeout(r, 20));
    // Another controller breaks the lock (as after a stall past the lease) and takes it.
    const { rmSync } = await import('node:fs');
    rmSync(path.join(state, 'locks', 'S1.lock'), { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 1600));
    const mine = await tryLockSite(state, 'S1', { command: 'successor' });
    expect(mine).toBeDefined();
    child.stdin.write('go\n');
    await new Promise((r) => child.once('exit', r));
    expect(lines).toContain('lost');
    expect(await readSiteLock(state, 'S1')).toMatchObject({ command: 'successor' });
    await mine!();
  });
});
