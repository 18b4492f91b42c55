// The Slurm and ARC clients' answers, as captured from the real servers
// (Slurm 22.05, ARC 6.17 on Debian 12), read into the backend interface.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  endpointOfJob,
  parseArcstat,
  parseArcstatJson,
  parseSubmitted,
  pollFromArc,
  renderXrsl,
} from '../../src/backends/arc-output.js';
import { parseSqueue, pollFromSqueue, squeueKnowsNone } from '../../src/backends/slurm-output.js';
import { checkProxy, secondsLeft } from '../../src/backends/grid-proxy.js';
import { parseCompletionLog, pollFromScontrol, pollFromState, sbatchArgs } from '../../src/backends/slurm.js';
import { tempDir } from '../helpers/tmp.js';
import { site } from '../helpers/builders.js';

const SCONTROL_FAILED =
  'JobId=2 JobName=tx-test1 UserId=vosgm(999) GroupId=vo(995) MCS_label=N/A Priority=4294901758 Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:03 TimeLimit=00:02:00';

describe('Slurm answers', () => {
  it('reads a finished job from scontrol -o: exit code and why', () => {
    expect(pollFromScontrol(SCONTROL_FAILED)).toEqual({
      state: 'done',
      exitCode: 3,
      detail: 'Slurm job state FAILED (scontrol), reason NonZeroExitCode',
    });
    expect(
      pollFromScontrol(
        SCONTROL_FAILED.replace('JobState=FAILED Reason=NonZeroExitCode', 'JobState=COMPLETED Reason=None').replace(
          '3:0',
          '0:0',
        ),
      ),
    ).toEqual({ state: 'done', exitCode: 0 });
  });

  it('maps every Slurm state to queued, running or done', () => {
    expect(pollFromState('PENDING', '0:0', 's').state).toBe('queued');
    expect(pollFromState('RUNNING', '0:0', 's').state).toBe('running');
    expect(pollFromState('COMPLETING', '0:0', 's').state).toBe('running');
    expect(pollFromState('TIMEOUT', '0:15', 's')).toEqual({
      state: 'done',
      exitCode: 0,
      detail: 'Slurm job state TIMEOUT, signal 15 (s)',
    });
    expect(pollFromState('CANCELLED by 0', '0:15', 'completion log').detail).toBe(
      'Slurm job state CANCELLED by 0, signal 15 (completion log)',
    );
    // An unknown state keeps the controller waiting (up to the time limit), it is never success.
    expect(pollFromState('SOMETHING_NEW', '', 's').state).toBe('running');
  });

  it('reads the completion log (sacct -c ignores --name, so rows are filtered by us)', () => {
    const rows = parseCompletionLog('1|setup-probe|COMPLETED|0:0\n2|tx-test1|FAILED|3:0\n\nnot a row\n');
    expect(rows).toEqual([
      { id: '1', name: 'setup-probe', state: 'COMPLETED', exitCode: '0:0' },
      { id: '2', name: 'tx-test1', state: 'FAILED', exitCode: '3:0' },
    ]);
  });

  it('submits with the site account environment, its partition, account, qos and time limit in minutes', () => {
    const s = site([], { name: 'S1', backend: 'slurm', endpoint: 'debug', account: 'vo', qos: 'low' });
    expect(
      sbatchArgs(
        { txid: 'tx-1', jobName: 'tx-1', site: s, script: '', timeLimit: 3601 },
        '/st/jobs/slurm/tx-1.sh',
        '/st/jobs/slurm/tx-1.%j.out',
      ),
    ).toEqual([
      '--parsable',
      '--export=NONE',
      '--no-requeue',
      '--job-name=tx-1',
      '--output=/st/jobs/slurm/tx-1.%j.out',
      '--chdir=/st/jobs/slurm',
      '--time=61',
      '--partition=debug',
      '--account=vo',
      '--qos=low',
      '/st/jobs/slurm/tx-1.sh',
    ]);
  });
});

const ARCSTAT_FAILED = `Job: https://localhost:443/arex/rest/1.0/jobs/zGPLDm
 Name: tx-arc-test1
 State: Failed
 Exit Code: 3
 Job Error: LRMS error: (3) Job finished with wrong exit code - 3 != 0

Status of 1 jobs was queried, 1 jobs returned information
`;

describe('ARC answers', () => {
  it('reads the job id arcsub printed', () => {
    expect(parseSubmitted('Job submitted with jobid: https://localhost:443/arex/rest/1.0/jobs/zGPLDm\n')).toBe(
      'https://localhost:443/arex/rest/1.0/jobs/zGPLDm',
    );
    expect(
      parseSubmitted('ERROR: Job submission aborted because no resource returned any information\n'),
    ).toBeUndefined();
  });

  it('reads arcstat blocks, also long ones with many fields', () => {
    const long = `${ARCSTAT_FAILED.split('\n\n')[0]}\n Specific state: FAILED\n Owner: /DC=org/CN=vo-tester\n Queue: fork\n\nJob: https://h/arex/rest/1.0/jobs/B\n Name: tx-2\n State: Running\n`;
    expect(parseArcstat(long)).toEqual([
      {
        id: 'https://localhost:443/arex/rest/1.0/jobs/zGPLDm',
        name: 'tx-arc-test1',
        state: 'Failed',
        exitCode: 3,
        error: 'LRMS error: (3) Job finished with wrong exit code - 3 != 0',
      },
      { id: 'https://h/arex/rest/1.0/jobs/B', name: 'tx-2', state: 'Running' },
    ]);
  });

  it('maps ARC states; Deleted is a lost job, never a success', () => {
    const st = (state: string) => pollFromArc({ id: 'x', state }).state;
    expect(['Accepted', 'Preparing', 'Submitting', 'Hold', 'Queuing'].map(st)).toEqual(Array(5).fill('queued'));
    expect(['Running', 'Finishing', 'Other'].map(st)).toEqual(Array(3).fill('running'));
    expect(pollFromArc({ id: 'x', state: 'Finished', exitCode: 0 })).toEqual({ state: 'done', exitCode: 0 });
    expect(pollFromArc(parseArcstat(ARCSTAT_FAILED)[0]!)).toEqual({
      state: 'done',
      exitCode: 3,
      detail: 'ARC job Failed: LRMS error: (3) Job finished with wrong exit code - 3 != 0',
    });
    expect(pollFromArc({ id: 'x', state: 'Killed', error: 'Job is canceled by external request' }).detail).toBe(
      'ARC job Killed: Job is canceled by external request',
    );
    expect(pollFromArc({ id: 'x', state: 'Deleted' }).state).toBe('lost');
  });

  it('writes an xRSL whose values cannot break out of their literals', () => {
    expect(renderXrsl({ jobName: 'tx-1', script: '/st/jobs/arc/tx-1/job.sh', walltimeMinutes: 60 })).toBe(
      '&(executable="job.sh")(inputfiles=("job.sh" "/st/jobs/arc/tx-1/job.sh"))(stdout="output")(join="yes")(jobname="tx-1")(walltime="60 minutes")\n',
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '"', ')', '(', '&', ' ', '/') }), (dir) => {
        const x = renderXrsl({ jobName: 'tx-1', script: `/s/${dir}/job.sh`, walltimeMinutes: 1 });
        // Exactly the six attributes: inside literals every quote is doubled, so no value ends early.
        const outside = x.replace(/"(?:[^"]|"")*"/g, '""');
        expect(outside).toBe('&(executable="")(inputfiles=("" ""))(stdout="")(join="")(jobname="")(walltime="")\n');
      }),
    );
    expect(() => renderXrsl({ jobName: 'tx-1', script: '/s/a\nb', walltimeMinutes: 1 })).toThrow(/control character/);
  });
});

describe('grid proxy check', () => {
  const pem = readFileSync(path.join(import.meta.dirname, '../fixtures/grid/proxy-chain-certs.pem'), 'utf8');
  // The proxy certificate ends 2026-11-23T05:23:35Z, before the user certificate that signed it.
  const end = Date.parse('2026-11-23T05:23:35Z');

  it('counts the time left of the earliest-ending certificate in the chain', () => {
    expect(secondsLeft(pem, new Date(end - 3600_000))).toBe(3600);
    expect(secondsLeft(pem, new Date(end + 1000))).toBe(-1);
    expect(secondsLeft('no pem here', new Date())).toBeInstanceOf(Error);
  });

  it('refuses a proxy shorter than the job time limit plus a margin, with the time left, and never shows its contents', async () => {
    const file = path.join(tempDir(), 'x509up');
    writeFileSync(file, `${pem}-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n`);
    const short = await checkProxy(file, 3600, new Date(end - 3000_000));
    expect(short).toEqual({
      ok: false,
      message: expect.stringContaining(
        "has 50m00s left, less than the site's job time limit (1h00m) plus a 10m00s margin",
      ),
    });
    expect(await checkProxy(file, 3600, new Date(end + 5))).toEqual({
      ok: false,
      message: expect.stringContaining('has expired'),
    });
    expect(await checkProxy(file, 3600, new Date(end - 5 * 3600_000))).toEqual({
      ok: true,
      secondsLeft: 5 * 3600,
      path: file,
    });
    expect(await checkProxy(path.join(tempDir(), 'none'), 60)).toEqual({
      ok: false,
      message: expect.stringContaining('there is no such file'),
    });
    for (const r of [short, await checkProxy(file, 3600, new Date(end + 5))])
      expect(JSON.stringify(r)).not.toMatch(/SECRETKEY|BEGIN/);
  });
});

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'grid', 'clients');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const CE = 'https://localhost:443/arex/rest/1.0/jobs/';

describe('batched Slurm answers (squeue -j with a job list)', () => {
  it('reads the real squeue rows: states, names, raw exit statuses as rc:signal', () => {
    const rows = parseSqueue(fixture('slurm-squeue-jobs.txt'));
    expect(rows.map((r) => [r.id, r.state, r.exitCode])).toEqual([
      ['126', 'CANCELLED', '0:15'],
      ['124', 'COMPLETED', '0:0'],
      ['128', 'COMPLETED', '0:0'],
      ['125', 'FAILED', '3:0'],
      ['127', 'PENDING', '0:0'],
    ]);
    expect(rows[2]!.name).toBe('apply-20261203T124500Z-SITE-0001-averyveryverylongname-abcdef0123456789');
    expect(rows.map(pollFromSqueue)).toEqual([
      { state: 'done', exitCode: 0, detail: 'Slurm job state CANCELLED, signal 15 (squeue)' },
      { state: 'done', exitCode: 0 },
      { state: 'done', exitCode: 0 },
      { state: 'done', exitCode: 3, detail: 'Slurm job state FAILED (squeue), reason NonZeroExitCode' },
      { state: 'queued', detail: 'PENDING' },
    ]);
    expect(squeueKnowsNone(fixture('slurm-squeue-unknown.err'))).toBe(true);
    expect(parseCompletionLog(fixture('slurm-sacct-completion-log.txt')).find((r) => r.id === '125')).toEqual({
      id: '125',
      name: 'cap-fail',
      state: 'FAILED',
      exitCode: '3:0',
    });
  });

  it('any rows squeue can print read back as printed (property)', () => {
    const row = fc.record({
      id: fc.integer({ min: 1, max: 1e9 }).map(String),
      name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/),
      state: fc.constantFrom('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'),
      reason: fc.constantFrom('None', 'Priority', 'NonZeroExitCode', 'JobHeldUser'),
      rc: fc.integer({ min: 0, max: 255 }),
      signal: fc.integer({ min: 0, max: 64 }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        const text = rows.map((r) => `${r.id}|${r.name}|${r.state}|${r.reason}|${(r.rc << 8) | r.signal}|\n`).join('');
        expect(parseSqueue(text)).toEqual(
          rows.map((r) => ({
            id: r.id,
            name: r.name,
            state: r.state,
            reason: r.reason,
            exitCode: `${r.rc}:${r.signal}`,
          })),
        );
      }),
    );
  });
});

describe('batched ARC answers (arcstat -J)', () => {
  it('reads the real JSON (without its braces): states, exit codes, errors', () => {
    const a = parseArcstatJson(fixture('arc-arcstat-json-list.out'));
    expect(a.readable).toBe(true);
    expect(a.jobs.map((j) => [j.name, j.state, j.exitCode])).toEqual([
      ['cap-arc-ok', 'Finished', 0],
      ['cap-arc-fail', 'Failed', 3],
      ['cap-arc-slow', 'Running', undefined],
    ]);
    expect(a.jobs.map(pollFromArc)).toEqual([
      { state: 'done', exitCode: 0 },
      {
        state: 'done',
        exitCode: 3,
        detail: 'ARC job Failed: LRMS error: (3) Job finished with wrong exit code - 3 != 0',
      },
      { state: 'running', detail: 'Running' },
    ]);
    // A later client may write proper JSON: the same answer.
    const braced = `{${fixture('arc-arcstat-json-list.out')}}`;
    expect(parseArcstatJson(braced).jobs).toEqual(a.jobs);
  });

  it('names the ids the job list does not hold, and those whose CE could not be reached', () => {
    const ids = parseArcstatJson(fixture('arc-arcstat-json-ids.out'));
    expect(ids.jobs).toHaveLength(3);
    expect(ids.notInList).toEqual([`${CE}NOSUCHJOB`]);
    const none = parseArcstatJson(fixture('arc-arcstat-json-unknown.out'));
    expect(none).toMatchObject({ jobs: [], notInList: [`${CE}NOSUCHJOB`], readable: false });
    const down = parseArcstatJson(fixture('arc-arcstat-json-ce-down.out'), fixture('arc-arcstat-json-ce-down.err'));
    expect(down.jobs).toEqual([]);
    expect(down.unreachable).toHaveLength(3);
    expect(down.unreachable.every((id) => id.startsWith('https://localhost:8443/arex/rest/1.0/jobs/'))).toBe(true);
    expect(endpointOfJob(`${CE}abc`)).toBe('https://localhost:443/arex');
  });

  it('never throws on any text, and reads what it finds (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (out, err) => {
        const a = parseArcstatJson(out, err);
        expect(Array.isArray(a.jobs)).toBe(true);
      }),
    );
  });
});
