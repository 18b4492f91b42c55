// How the grid backends read their clients' failures, with stand-in client
// programs on PATH (real processes, canned answers from the real tools):
// what is lost, what is transient and retried, what is still to come.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArcBackend } from '../../src/backends/arc.js';
import { SlurmBackend } from '../../src/backends/slurm.js';
import { TransientBackendError, type JobHandle } from '../../src/backends/types.js';
import { site } from '../helpers/builders.js';
import { tempDir } from '../helpers/tmp.js';

let bin: string;
const savedPath = process.env.PATH;
beforeEach(() => {
  bin = path.join(tempDir(), 'bin');
  mkdirSync(bin);
  process.env.PATH = `${bin}:${savedPath}`;
});
afterEach(() => {
  process.env.PATH = savedPath;
});

/** A stand-in for a client program: prints `out`/`err`, exits `rc`. */
function tool(name: string, out: string, err = '', rc = 0): void {
  const file = path.join(bin, name);
  writeFileSync(
    file,
    `#!/bin/sh\nprintf '%s' '${out.replace(/'/g, `'\\''`)}'\nprintf '%s' '${err.replace(/'/g, `'\\''`)}' >&2\nexit ${rc}\n`,
  );
  chmodSync(file, 0o755);
}

/** Polls at once in tests: the schedule itself is tested in batch-poller.test.ts. */
const FAST = { intervalMs: 20, jitter: 0, gatherMs: 0 };
const arc = (state: string) => new ArcBackend(state, 'c', FAST);
const slurm = (state: string) => new SlurmBackend(state, FAST);

const arcJob = (state: string, submittedAt = new Date().toISOString()): JobHandle => ({
  backend: 'arc',
  id: 'https://ce/arex/rest/1.0/jobs/J1',
  site: 'A',
  submittedAt,
  name: 'tx-1',
  jobList: path.join(state, 'jobs.dat'),
});

describe('arc backend, client answers', () => {
  it('a job missing from the job list is lost, never a success', async () => {
    const state = tempDir();
    tool(
      'arcstat',
      'Warning: Job not found in job list: https://ce/arex/rest/1.0/jobs/J1\nNo jobs found, try later\n',
      '',
      1,
    );
    expect(await arc(state).poll(arcJob(state))).toMatchObject({
      state: 'lost',
      detail: expect.stringContaining('is not in the ARC job list'),
    });
  });

  it('a CE that cannot be reached is a transient error (retried within a bound by the caller)', async () => {
    const state = tempDir();
    tool(
      'arcstat',
      '"jobs": [\n]\n',
      'ERROR: Failed to establish connection: TCP: GENERIC_ERROR (Failed to connect to localhost(IPv4):443)\nWARNING: Failed to process job: https://ce/arex/rest/1.0/jobs/J1\n',
      0,
    );
    await expect(arc(state).poll(arcJob(state))).rejects.toBeInstanceOf(TransientBackendError);
    tool(
      'arcsub',
      '',
      'ERROR: Failed to establish connection: TCP: GENERIC_ERROR (Failed to connect to localhost(IPv4):8443)\nERROR: Job submission aborted because no resource returned any information\n',
      1,
    );
    const proxy = path.join(tempDir(), 'proxy');
    process.env.X509_USER_PROXY = proxy;
    try {
      // No proxy at all: refused before arcsub runs, and not retried.
      const refused = new ArcBackend(state, 'c').submit({
        txid: 'tx-1',
        jobName: 'tx-1',
        site: site([], { name: 'A', backend: 'arc', endpoint: 'https://localhost:8443/arex' }),
        script: '#!/bin/sh\n',
        timeLimit: 60,
      });
      await expect(refused).rejects.toThrow(/no usable grid proxy at .*proxy \(there is no such file\)/);
      await expect(refused).rejects.not.toBeInstanceOf(TransientBackendError);
    } finally {
      delete process.env.X509_USER_PROXY;
    }
  });

  it('a job the CE does not know yet is queued for a while after submission, then lost', async () => {
    const state = tempDir();
    tool('arcstat', '"jobs": [\n]\n', 'Job information not found in the information system\n', 0);
    expect((await arc(state).poll(arcJob(state))).state).toBe('queued');
    expect((await arc(state).poll(arcJob(state, new Date(Date.now() - 600_000).toISOString()))).state).toBe('lost');
  });

  it('keeps the verdict and output once fetched, for a successor: arcget cleans the job at the CE', async () => {
    const state = tempDir();
    tool(
      'arcstat',
      '"jobs": [\n{\n "id": "https://ce/arex/rest/1.0/jobs/J1",\n "name": "tx-1",\n "state": "Failed",\n "exitCode": 1,\n "jobError": [\n"LRMS error: (1) Job finished with wrong exit code - 1 != 0"\n]\n}\n]\n',
    );
    const b = arc(state);
    const first = await b.poll(arcJob(state));
    expect(first).toMatchObject({ state: 'done', exitCode: 1 });
    writeFileSync(
      path.join(bin, 'arcget'),
      `#!/bin/sh\n# arcget -j LIST -D DIR ID\nmkdir -p "$4/J1" && echo 'the output' > "$4/J1/output"\n`,
      { mode: 0o755 },
    );
    expect(await b.fetchOutput(arcJob(state))).toBe('the output\n');
    // The CE and job list have forgotten it now.
    tool(
      'arcstat',
      'Warning: Job not found in job list: https://ce/arex/rest/1.0/jobs/J1\nNo jobs found, try later\n',
      '',
      1,
    );
    tool('arcget', '', 'Job not found in job list\n', 1);
    expect(await b.poll(arcJob(state))).toEqual(first);
    expect(await b.fetchOutput(arcJob(state))).toBe('the output\n');
  });
});

const slurmJob: JobHandle = {
  backend: 'slurm',
  id: '42',
  site: 'S',
  submittedAt: new Date().toISOString(),
  name: 'tx-42',
};

describe('slurm backend, client answers', () => {
  it('a job Slurm has forgotten is read from the completion log, else lost', async () => {
    const state = tempDir();
    tool('squeue', '', 'slurm_load_jobs error: Invalid job id specified\n', 1);
    tool('sacct', '41|tx-41|COMPLETED|0:0\n42|tx-42|TIMEOUT|0:15\n');
    expect(await slurm(state).poll(slurmJob)).toEqual({
      state: 'done',
      exitCode: 0,
      detail: 'Slurm job state TIMEOUT, signal 15 (accounting)',
    });
    tool('sacct', '41|tx-41|COMPLETED|0:0\n');
    expect(await slurm(state).poll(slurmJob)).toMatchObject({
      state: 'lost',
      detail: expect.stringContaining('Slurm no longer knows job 42'),
    });
  });

  it('a controller that cannot be reached is transient; a refused submission is not', async () => {
    const state = tempDir();
    tool('squeue', '', 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n', 1);
    await expect(slurm(state).poll(slurmJob)).rejects.toBeInstanceOf(TransientBackendError);
    tool('sbatch', '', 'sbatch: error: Batch job submission failed: Invalid partition name specified\n', 1);
    const req = {
      txid: 'tx-1',
      jobName: 'tx-1',
      site: site([], { name: 'S', backend: 'slurm', endpoint: 'nope' }),
      script: '#!/bin/sh\n',
      timeLimit: 60,
    };
    const refused = new SlurmBackend(state).submit(req);
    await expect(refused).rejects.toThrow(
      'sbatch refused the job for site S: sbatch: error: Batch job submission failed: Invalid partition name specified',
    );
    await expect(refused).rejects.not.toBeInstanceOf(TransientBackendError);
  });

  it('finds a job by name among the queued and recently finished, then in the completion log', async () => {
    const state = tempDir();
    tool('squeue', '77\n');
    expect(await new SlurmBackend(state).find('tx-77', site([], { name: 'S' }))).toMatchObject({
      id: '77',
      name: 'tx-77',
    });
    tool('squeue', '');
    tool('sacct', '41|tx-41|COMPLETED|0:0\n');
    expect(await new SlurmBackend(state).find('tx-41', site([], { name: 'S' }))).toMatchObject({ id: '41' });
    expect(await new SlurmBackend(state).find('tx-99', site([], { name: 'S' }))).toBeUndefined();
    // Forgotten by Slurm, but its output file shows it ran: that is not "never submitted".
    mkdirSync(path.join(state, 'slurm'), { recursive: true });
    writeFileSync(path.join(state, 'slurm', 'tx-99.1234.out'), 'partial');
    await expect(new SlurmBackend(state).find('tx-99', site([], { name: 'S' }))).rejects.toThrow(
      /Slurm no longer knows job tx-99, yet it ran .*tx-99\.1234\.out/,
    );
  });

  it('names a missing client program and the PATH it looked in', async () => {
    process.env.PATH = bin;
    await expect(slurm(tempDir()).poll(slurmJob)).rejects.toThrow(
      /'squeue' was not found in PATH: install its client tools/,
    );
  });
});

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'grid', 'clients');
const CE = 'https://localhost:443/arex/rest/1.0/jobs/';

/** A stand-in that prints a captured real answer and logs each call (its arguments) to calls.log. */
function replay(name: string, out: string, err = '', rc = 0): string {
  const log = path.join(bin, `${name}.calls`);
  writeFileSync(
    path.join(bin, name),
    `#!/bin/sh\necho "$*" >> '${log}'\ncat '${path.join(FIXTURES, out)}'\n${err ? `cat '${path.join(FIXTURES, err)}' >&2\n` : ''}exit ${rc}\n`,
    { mode: 0o755 },
  );
  return log;
}
const calls = (log: string) => readFileSync(log, 'utf8').trim().split('\n');

describe('batched polls against the real clients’ captured answers', () => {
  it('ARC: the jobs of one CE in flight together cost one arcstat, and each gets what a poll of it alone would', async () => {
    const state = tempDir();
    const log = replay('arcstat', 'arc-arcstat-json-ids.out');
    const list = path.join(state, 'jobs.dat');
    const ids = readFileSync(path.join(FIXTURES, 'arc-arcstat-json-list.out'), 'utf8').match(/https:[^"]+/g)!;
    const job = (id: string, i: number): JobHandle => ({
      backend: 'arc',
      id,
      site: `A${i}`,
      submittedAt: new Date().toISOString(),
      name: `tx-${i}`,
      jobList: list,
    });
    const jobs = [...ids, `${CE}NOSUCHJOB`].map(job);
    const b = arc(state);
    const polls = await Promise.all(jobs.map((j) => b.poll(j)));
    expect(polls.map((p) => [p.state, p.exitCode])).toEqual([
      ['done', 0],
      ['done', 3],
      ['running', undefined],
      ['lost', undefined],
    ]);
    expect(calls(log)).toHaveLength(1);
    const [args] = calls(log);
    expect(args).toMatch(new RegExp(`^-J -j ${list} -i \\S+\\.ids$`));
    // The ids went in one file, one a line.
    const idsFile = args!.split(' ').at(-1)!;
    expect(readFileSync(idsFile, 'utf8')).toBe(jobs.map((j) => `${j.id}\n`).join(''));

    // The CE unreachable: every job transient, none lost.
    replay('arcstat', 'arc-arcstat-json-ce-down.out', 'arc-arcstat-json-ce-down.err');
    const down = readFileSync(path.join(FIXTURES, 'arc-arcstat-json-ce-down.err'), 'utf8').match(
      /https:\/\/localhost:8443\S+/g,
    )!;
    const answers = await Promise.allSettled(down.map((id, i) => b.poll(job(id, 10 + i))));
    for (const a of answers) expect((a as PromiseRejectedResult).reason).toBeInstanceOf(TransientBackendError);
  });

  it('Slurm: one squeue for the partition’s jobs; one it no longer knows is read from the completion log, else lost', async () => {
    const state = tempDir();
    const squeueLog = replay('squeue', 'slurm-squeue-jobs.txt');
    const sacctLog = replay('sacct', 'slurm-sacct-completion-log.txt');
    const job = (id: string): JobHandle => ({
      backend: 'slurm',
      id,
      site: `S${id}`,
      submittedAt: new Date().toISOString(),
      name: `tx-${id}`,
      endpoint: 'debug',
    });
    const b = slurm(state);
    const polls = await Promise.all(['124', '125', '126', '127', '123', '999'].map((id) => b.poll(job(id))));
    expect(polls.map((p) => p.state)).toEqual(['done', 'done', 'done', 'queued', 'done', 'lost']);
    expect(polls[1]).toMatchObject({ exitCode: 3 });
    expect(polls[4]).toEqual({ state: 'done', exitCode: 0 });
    expect(polls[5]!.detail).toContain('Slurm no longer knows job 999');
    expect(calls(squeueLog)).toEqual([
      `-h -t all -j 124,125,126,127,123,999 -O ${'JobID:|,Name:|,State:|,Reason:|,exit_code:|'}`,
    ]);
    // Accounting asked about the two squeue left out (the canned answer knows 123), then the completion log for 999.
    expect(calls(sacctLog)).toHaveLength(2);
    expect(calls(sacctLog)[0]).toContain('-j 123,999');
  });
});
