// The local backend with real processes: output and exit code come back,
// cancel kills the whole process group, a killed job is "lost", and a job
// is found again by its name.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { site } from '../helpers/builders.js';
import { tempDir } from '../helpers/tmp.js';

const req = (jobName: string, script: string) => ({ txid: jobName, jobName, site: site([]), script, timeLimit: 60 });

describe('LocalBackend', () => {
  it('runs a script and reports its output and exit code', async () => {
    const b = new LocalBackend(tempDir());
    const job = await b.submit(req('tx-1', 'echo hello; echo oops >&2; exit 3\n'));
    expect(job).toMatchObject({ backend: 'local', id: 'tx-1', site: 'SITE' });
    expect(await b.waitFor(job)).toEqual({ state: 'done', exitCode: 3 });
    expect(await b.fetchOutput(job)).toBe('hello\noops\n');
    expect(await b.find('tx-1', site([]))).toMatchObject({ id: 'tx-1' });
    expect(await b.find('tx-2', site([]))).toBeUndefined();
  });

  it('cancels the whole process group', async () => {
    const dir = tempDir();
    const b = new LocalBackend(dir);
    const marker = path.join(dir, 'child-survived');
    const job = await b.submit(req('tx-c', `(sleep 2; touch ${marker}) & sleep 30\n`));
    expect((await b.poll(job)).state).toBe('running');
    await b.cancel(job);
    const p = await b.poll(job);
    expect(['done', 'lost']).toContain(p.state);
    await new Promise((r) => setTimeout(r, 2500));
    expect(existsSync(marker)).toBe(false);
  });

  // The job makes itself a process group a moment after its pid is known; a TERM sent before that must not be lost.
  it('cancels a job the moment it was submitted', async () => {
    const dir = tempDir();
    const b = new LocalBackend(dir);
    const marker = path.join(dir, 'finished-anyway');
    const job = await b.submit(req('tx-now', `sleep 1; touch ${marker}\n`));
    await b.cancel(job);
    await b.waitFor(job);
    expect(existsSync(path.join(dir, 'tx-now', 'rc'))).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('polls a job started by another controller (no waitFor) until it ends', async () => {
    const dir = tempDir();
    const job = await new LocalBackend(dir).submit(req('tx-p', 'sleep 0.3; echo done\n'));
    const successor = new LocalBackend(dir);
    expect(successor.waitFor(job)).toBeUndefined();
    expect((await successor.poll(job)).state).toBe('running');
    await new Promise((r) => setTimeout(r, 800));
    expect(await successor.poll(job)).toEqual({ state: 'done', exitCode: 0 });
  });

  // The wrapper writes rc in one short write, no rename: a successor that looks in between must not read exit code 0.
  it('takes an empty rc file as no exit code yet', async () => {
    const dir = tempDir();
    const job = await new LocalBackend(dir).submit(req('tx-e', 'exit 4\n'));
    const successor = new LocalBackend(dir);
    for (let i = 0; i < 200 && !existsSync(path.join(dir, 'tx-e', 'rc')); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await successor.poll(job)).toEqual({ state: 'done', exitCode: 4 });
    writeFileSync(path.join(dir, 'tx-e', 'rc'), '');
    expect(await successor.poll(job)).toMatchObject({ state: 'lost' });
  });

  it('rejects job ids that could leave the jobs directory', async () => {
    const b = new LocalBackend(tempDir());
    await expect(b.submit(req('../x', 'true\n'))).rejects.toThrow(/invalid local job id/);
  });
});
