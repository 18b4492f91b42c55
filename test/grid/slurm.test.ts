// The slurm backend against the real Slurm on localhost (started by
// test/grid/servers/slurm-setup.sh): real sbatch, scontrol, scancel; jobs run
// as the grid user and write into /srv/vo_sw.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOverlaps } from '../emulator/index.js';
import { git, journal, makeGridFleet, waitFor } from './grid-fleet.js';
import { GRID_USER, serverUp } from './servers.js';

const up = serverUp('slurm');
const MINUTES = 60_000;

const squeue = (name: string) =>
  execFileSync('squeue', ['-h', '-t', 'all', `--name=${name}`, '-o', '%i %T'], { encoding: 'utf8' }).trim();
const submitted = (state: string) => journal(state).filter((r) => r.type === 'submitted');
const ends = (state: string) => journal(state).filter((r) => r.type === 'end');

describe.skipIf(!up)('slurm backend with the real Slurm', () => {
  it(
    'installs, changes and rolls back through real sbatch jobs run as the grid user',
    { timeout: 5 * MINUTES },
    async () => {
      const f = makeGridFleet({
        backend: 'slurm',
        sites: ['S1', 'S2'],
        profile: 'packages:\n  - foo-1.2\n  - tool\n',
        defaults: { endpoint: 'debug' },
      });
      git(f.repo, 'tag', 'v1');
      const first = await f.run(['apply']);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/2 changed/);
      for (const s of ['S1', 'S2']) {
        expect(f.installed(s)).toEqual(['foo-1.2', 'tool-2.0']);
        // Installed by the job as the grid user, group-writable for the VO (umask 002).
        expect(statSync(path.join(f.sites[s]!.dbdir, 'foo-1.2')).uid).toBe(
          Number(execFileSync('id', ['-u', GRID_USER], { encoding: 'utf8' })),
        );
      }
      // The journal holds the real Slurm job ids, and Slurm knows them under the transactions' names.
      const jobs = submitted(f.state);
      expect(jobs.length).toBe(4); // a probe and an apply per site
      for (const r of jobs) {
        expect(r.job).toMatchObject({ backend: 'slurm', id: expect.stringMatching(/^\d+$/), name: r.txid });
        expect(squeue(r.txid as string)).toBe(`${r.job.id} COMPLETED`);
      }

      f.commit('packages:\n  - foo-1.4\n', 'foo 1.4, no tool');
      expect((await f.run(['apply'])).stdout).toMatch(/2 changed/);
      for (const s of ['S1', 'S2']) expect(f.installed(s)).toEqual(['foo-1.4']);
      expect((await f.run(['apply'])).stdout).toMatch(/0 changed, 2 in sync/);

      const rb = await f.run(['--rollback', 'v1']);
      expect(rb.code).toBe(0);
      expect(rb.stdout).toMatch(/S1: rolled back to v1/);
      for (const s of ['S1', 'S2']) {
        expect(f.installed(s)).toEqual(['foo-1.2', 'tool-2.0']);
        expect(readOverlaps(f.sites[s]!.log)).toEqual([]);
      }
      const rollbackJob = journal(f.state).find((r) => r.type === 'begin' && r.kind === 'rollback');
      expect(submitted(f.state).find((r) => r.txid === rollbackJob?.txid)?.job.backend).toBe('slurm');
    },
  );

  it(
    'reports a failed action with the exit code, and an unknown partition fails only its site',
    { timeout: 5 * MINUTES },
    async () => {
      const f = makeGridFleet({
        backend: 'slurm',
        sites: ['OK', 'BAD', 'NOPART'],
        profile: 'packages:\n  - foo-1.4\n',
        defaults: { endpoint: 'debug' },
        fields: { NOPART: { endpoint: 'no-such-partition' } },
      });
      f.setFaults('BAD', { failAdd: ['foo'] });
      const r = await f.run(['apply']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/OK: installed|OK: .*1 to install/);
      expect(r.stdout).toMatch(/BAD: FAILED: action 1 install foo-1\.4 exited 1/);
      expect(r.stdout).toMatch(
        /NOPART: FAILED: .*sbatch refused the job for site NOPART: .*(invalid partition|Invalid partition)/i,
      );
      expect(f.installed('OK')).toEqual(['foo-1.4']);
      const badApply = journal(f.state).find((x) => x.type === 'begin' && x.site === 'BAD' && x.kind === 'apply');
      expect(journal(f.state).find((x) => x.type === 'finished' && x.txid === badApply?.txid)).toMatchObject({
        exitCode: 1,
      });
    },
  );

  it(
    'cancels a job past its time limit, and reports a job cancelled from outside',
    { timeout: 6 * MINUTES },
    async () => {
      const f = makeGridFleet({
        backend: 'slurm',
        sites: ['SLOW', 'CANCELLED'],
        profile: 'packages:\n  - foo-1.4\n',
        defaults: { endpoint: 'debug', job_time_limit: '60' },
      });
      expect((await f.run(['observe'])).code).toBe(0);
      f.setFaults('SLOW', { delayMs: 150_000 });
      f.setFaults('CANCELLED', { delayMs: 150_000 });
      const run = f.run(['apply']);
      const job = await waitFor('the CANCELLED site job', () =>
        submitted(f.state).find(
          (r) =>
            r.job.site === 'CANCELLED' &&
            journal(f.state).some((b) => b.type === 'begin' && b.txid === r.txid && b.kind === 'apply'),
        ),
      );
      await waitFor('the job to run', () => (squeue(job.txid).endsWith('RUNNING') ? true : undefined));
      execFileSync('scancel', [job.job.id]);
      const r = await run;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/CANCELLED: FAILED: .*Slurm job state CANCELLED/);
      expect(r.stdout).toMatch(/SLOW: FAILED: timed-out: the job exceeded its time limit of 60s/);
      const slow = ends(f.state).find((e) => e.site === 'SLOW' && e.status === 'timed-out');
      expect(slow).toBeDefined();
      const slowJob = submitted(f.state).find((s) => s.txid === slow!.txid)!;
      await waitFor(
        'Slurm to end the timed-out job',
        () => (/CANCELLED|TIMEOUT/.test(squeue(slowJob.txid)) ? true : undefined),
        30_000,
      );
    },
  );

  it(
    'after a controller is killed, resumes the recorded job — and finds one it never recorded by its name',
    { timeout: 5 * MINUTES },
    async () => {
      const f = makeGridFleet({
        backend: 'slurm',
        sites: ['R1', 'R2'],
        profile: 'packages:\n  - foo-1.4\n',
        defaults: { endpoint: 'debug' },
      });
      expect((await f.run(['observe'])).code).toBe(0);
      f.setFaults('R1', { delayMs: 8000 });
      f.setFaults('R2', { delayMs: 8000 });
      const child = f.start(['apply']);
      await waitFor('both apply jobs submitted', () =>
        submitted(f.state).filter((r) =>
          journal(f.state).some((b) => b.type === 'begin' && b.txid === r.txid && b.kind === 'apply'),
        ).length === 2
          ? true
          : undefined,
      );
      await child.kill();
      // As if R2's controller had died between sbatch and journalling the id.
      const file = path.join(f.state, 'journal.jsonl');
      const lines = readFileSync(file, 'utf8').split('\n');
      const r2 = journal(f.state).find((r) => r.type === 'begin' && r.site === 'R2' && r.kind === 'apply')!;
      writeFileSync(
        file,
        lines.filter((l) => !(l.includes('"type":"submitted"') && l.includes(r2.txid as string))).join('\n'),
      );
      const again = await f.run(['apply']);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/R1: .*resumed/);
      expect(again.stdout).toMatch(/R2: .*resumed/);
      for (const s of ['R1', 'R2']) expect(f.installed(s)).toEqual(['foo-1.4']);
      // One Slurm job per transaction: nothing was submitted twice.
      for (const b of journal(f.state).filter((r) => r.type === 'begin' && r.kind === 'apply'))
        expect(squeue(b.txid as string).split('\n')).toHaveLength(1);
      expect(submitted(f.state).filter((r) => r.txid === r2.txid)).toHaveLength(1);
    },
  );
});
