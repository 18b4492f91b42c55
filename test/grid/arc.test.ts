// The arc backend against the real ARC CE on localhost (started by
// test/grid/servers/arc-ce-setup.sh): real arcsub, arcstat, arcget, arckill
// through the REST interface; the CE maps the grid identity to vosgm, whose
// jobs write into /srv/vo_sw. The controller runs as root with its proxy.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOverlaps } from '../emulator/index.js';
import { tempDir } from '../helpers/tmp.js';
import { git, journal, makeGridFleet, waitFor } from './grid-fleet.js';
import { ARC_ENDPOINT, serverUp } from './servers.js';

const up = serverUp('arc');
const MINUTES = 60_000;
const submitted = (state: string) => journal(state).filter((r) => r.type === 'submitted');
const applyTx = (state: string, site: string) =>
  journal(state).filter((r) => r.type === 'begin' && r.site === site && r.kind === 'apply');

const arcState = (list: string, id: string) =>
  /State: (\w+)/.exec(execFileSync('arcstat', ['-j', list, id], { encoding: 'utf8' }))?.[1];

// Independent fleets, and the fork LRMS runs any number of jobs at once: the tests run side by side.
describe.skipIf(!up)('arc backend with the real ARC CE', () => {
  it.concurrent(
    'installs, changes and rolls back through real arcsub jobs; the journal keeps the CE job ids',
    { timeout: 8 * MINUTES },
    async () => {
      const f = makeGridFleet({
        backend: 'arc',
        sites: ['A1', 'A2'],
        profile: 'packages:\n  - foo-1.2\n  - tool\n',
        defaults: { endpoint: ARC_ENDPOINT },
      });
      git(f.repo, 'tag', 'v1');
      const first = await f.run(['apply']);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      for (const s of ['A1', 'A2']) expect(f.installed(s)).toEqual(['foo-1.2', 'tool-2.0']);
      const jobs = submitted(f.state);
      expect(jobs).toHaveLength(4);
      for (const r of jobs) {
        expect(r.job).toMatchObject({
          backend: 'arc',
          id: expect.stringMatching(/^https:\/\/localhost:443\/arex\/rest\/1\.0\/jobs\/\w+$/),
          name: r.txid,
          jobList: expect.stringContaining(path.join(f.state, 'jobs', 'arc', 'joblist-')),
        });
        // Output came back (arcget), and the CE was cleaned.
        expect(readFileSync(path.join(f.state, 'jobs', 'arc', r.txid as string, 'job.xrsl'), 'utf8')).toContain(
          `(jobname="${r.txid}")`,
        );
      }
      f.commit('packages:\n  - foo-1.4\n', 'foo 1.4, no tool');
      expect((await f.run(['apply'])).stdout).toMatch(/2 changed/);
      for (const s of ['A1', 'A2']) expect(f.installed(s)).toEqual(['foo-1.4']);

      const rb = await f.run(['--rollback', 'v1']);
      expect(rb.code).toBe(0);
      expect(rb.stdout).toMatch(/A2: rolled back to v1/);
      for (const s of ['A1', 'A2']) {
        expect(f.installed(s)).toEqual(['foo-1.2', 'tool-2.0']);
        expect(readOverlaps(f.sites[s]!.log)).toEqual([]);
      }
    },
  );

  it.concurrent(
    'refuses a too-short or expired proxy before submitting, with the time left; the CE down fails only its site',
    { timeout: 5 * MINUTES },
    async () => {
      const f = makeGridFleet({
        backend: 'arc',
        sites: ['OK', 'DOWN', 'BAD'],
        profile: 'packages:\n  - foo-1.4\n',
        defaults: { endpoint: ARC_ENDPOINT },
        fields: { DOWN: { endpoint: 'https://localhost:8443/arex' } },
      });
      const dir = tempDir();
      const short = path.join(dir, 'short-proxy');
      execFileSync('arcproxy', ['-P', short, '-c', 'validityPeriod=1H'], { stdio: 'ignore' });
      const expired = path.join(dir, 'expired-proxy');
      execFileSync('arcproxy', ['-P', expired, '-c', 'validityStart=2020-01-01T00:00:00Z', '-c', 'validityPeriod=1H'], {
        stdio: 'ignore',
      });

      const refused = await f.run(['observe', '--site', 'OK'], { X509_USER_PROXY: short });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(
        /OK: FAILED: .*the grid proxy at .*short-proxy has (59|60)m\d\ds left, less than the site's job time limit \(1h00m\) plus a 10m00s margin/,
      );
      const gone = await f.run(['observe', '--site', 'OK'], { X509_USER_PROXY: expired });
      expect(gone.stdout).toMatch(/OK: FAILED: .*the grid proxy at .*expired-proxy has expired/);
      // Nothing reached the CE: no job list, no job; and no proxy content anywhere in what the tool wrote.
      expect(submitted(f.state)).toHaveLength(0);
      const proxyBody = readFileSync(short, 'utf8').split('\n')[1]!;
      expect(refused.stdout + refused.stderr + readFileSync(path.join(f.state, 'journal.jsonl'), 'utf8')).not.toContain(
        proxyBody,
      );

      f.setFaults('BAD', { failAdd: ['foo'] });
      const r = await f.run(['apply']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /DOWN: FAILED: .*arcsub to https:\/\/localhost:8443\/arex failed for site DOWN: .*(Failed to connect|connection)/i,
      );
      expect(r.stdout).toMatch(/BAD: FAILED: action 1 install foo-1\.4 exited 1/);
      expect(f.installed('OK')).toEqual(['foo-1.4']);
      const bad = applyTx(f.state, 'BAD')[0]!;
      expect(journal(f.state).find((x) => x.type === 'finished' && x.txid === bad.txid)).toMatchObject({ exitCode: 1 });
    },
  );

  it.concurrent(
    'kills a job past its time limit, reports one killed from outside, and resumes or finds jobs after a controller dies',
    { timeout: 8 * MINUTES },
    async () => {
      const f = makeGridFleet({
        backend: 'arc',
        sites: ['SLOW', 'KILLED', 'R1', 'R2'],
        profile: 'packages:\n  - foo-1.4\n',
        defaults: { endpoint: ARC_ENDPOINT, job_time_limit: '60' },
        fields: { KILLED: { job_time_limit: '600' }, R1: { job_time_limit: '600' }, R2: { job_time_limit: '600' } },
      });
      expect((await f.run(['observe'])).code).toBe(0);
      f.setFaults('SLOW', { delayMs: 150_000 });
      f.setFaults('KILLED', { delayMs: 150_000 });
      f.setFaults('R1', { delayMs: 20_000 });
      f.setFaults('R2', { delayMs: 20_000 });
      const child = f.start(['apply', '--site', 'R1', '--site', 'R2']);
      const run = f.run(['apply', '--site', 'SLOW', '--site', 'KILLED']);

      // KILLED: arckill from outside (keeping the job at the CE) once it runs.
      const killed = await waitFor('KILLED submitted', () =>
        submitted(f.state).find((r) => r.txid === applyTx(f.state, 'KILLED')[0]?.txid),
      );
      await waitFor('KILLED running', () =>
        arcState(killed.job.jobList, killed.job.id) === 'Running' ? true : undefined,
      );
      execFileSync('arckill', ['-k', '-j', killed.job.jobList, killed.job.id], { stdio: 'ignore' });

      // R1 and R2: the controller dies once both jobs are at the CE; R2's id never made it to the journal.
      await waitFor('R1 and R2 submitted', () =>
        ['R1', 'R2'].every((s) => submitted(f.state).some((r) => r.txid === applyTx(f.state, s)[0]?.txid))
          ? true
          : undefined,
      );
      await child.kill();
      const r2 = applyTx(f.state, 'R2')[0]!;
      const file = path.join(f.state, 'journal.jsonl');
      writeFileSync(
        file,
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => !(l.includes('"type":"submitted"') && l.includes(r2.txid as string)))
          .join('\n'),
      );
      const resumed = await f.run(['apply', '--site', 'R1', '--site', 'R2']);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/R1: .*resumed/);
      expect(resumed.stdout).toMatch(/R2: .*resumed/);
      for (const s of ['R1', 'R2']) expect(f.installed(s)).toEqual(['foo-1.4']);
      for (const s of ['R1', 'R2'])
        expect(submitted(f.state).filter((r) => r.txid === applyTx(f.state, s)[0]!.txid)).toHaveLength(1);

      const r = await run;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/KILLED: FAILED: .*ARC job (Killed|Failed)/);
      expect(r.stdout).toMatch(/SLOW: FAILED: timed-out: the job exceeded its time limit of 60s/);
      const slow = submitted(f.state).find((s) => s.txid === applyTx(f.state, 'SLOW')[0]!.txid)!;
      // Cancelled at the CE: arckill, then arcclean once the CE reported it ended, took it out of the job list.
      expect(
        execFileSync('sh', ['-c', `arcstat -j '${slow.job.jobList}' '${slow.job.id}' 2>&1 || true`], {
          encoding: 'utf8',
        }),
      ).toMatch(/not found in job list/);
      expect(existsSync(path.join(f.state, 'jobs', 'arc'))).toBe(true);
      expect(readdirSync(path.join(f.state, 'jobs', 'arc')).filter((n) => n.startsWith('joblist-')).length).toBe(3);
    },
  );
});
