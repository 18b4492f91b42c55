// Backend faults (issue 8 §2): submit fails, polls fail, the backend loses
// the job, a job exceeds its time limit, the output is truncated or cannot
// be fetched. Each ends that site's transaction in the journal with a clear
// reason, transient failures are retried a bounded number of times (the
// calls are counted), the other sites of the same run succeed, and a run
// without faults afterwards converges every site.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import type { ResolvedSite } from '../../src/desired/types.js';
import { applySites, type ApplyOptions } from '../../src/run/apply.js';
import type { SiteResult } from '../../src/run/reconcile-site.js';
import { Journal } from '../../src/state/journal.js';
import type { EndRecord } from '../../src/state/records.js';
import { readEmulatorLog, readOverlaps, setFaults } from '../emulator/index.js';
import { cli } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { FaultyBackend, type Fault, type Method } from './faulty-backend.js';

interface Case {
  site: string;
  fault?: Fault;
  /** The site's job time limit in this run (seconds), when not the default. */
  timeLimit?: number;
  /** Slow pkg_add/pkg_delete at this site (ms). */
  delayMs?: number;
  status: EndRecord['status'];
  reason?: RegExp;
  /** Exactly how often each backend method was called for the site. */
  calls: Partial<Record<Method, number>>;
}

const CASES: Case[] = [
  { site: 'OK-1', status: 'succeeded', calls: { submit: 1, cancel: 0 } },
  { site: 'OK-2', status: 'succeeded', calls: { submit: 1, cancel: 0 } },
  {
    site: 'SUBMIT-REFUSED',
    fault: { kind: 'submit-fails', transient: false, times: Infinity },
    status: 'failed',
    reason: /^submitting the job failed: the CE refused job tx-\S+ \(attempt 1\)$/,
    calls: { submit: 1, poll: 0 },
  },
  {
    site: 'SUBMIT-FLAKY',
    fault: { kind: 'submit-fails', transient: true, times: 2 },
    status: 'succeeded',
    calls: { submit: 3 },
  },
  {
    site: 'SUBMIT-DOWN',
    fault: { kind: 'submit-fails', transient: true, times: Infinity },
    status: 'failed',
    reason: /^submitting the job failed: the CE refused job tx-\S+ \(attempt 3\); gave up after 3 attempts$/,
    calls: { submit: 3, poll: 0 },
  },
  {
    site: 'POLL-FLAKY',
    fault: { kind: 'poll-fails', transient: true, times: 5 },
    status: 'succeeded',
    calls: { submit: 1, cancel: 0 },
  },
  {
    site: 'POLL-DOWN',
    fault: { kind: 'poll-fails', transient: true, times: Infinity },
    delayMs: 3000,
    status: 'failed',
    reason:
      /^job lost: polling failed 6 times in a row: the CE did not answer \(poll 6\); (the job was killed during|job output ends inside step) '.+'/,
    calls: { poll: 6, cancel: 1, fetchOutput: 1 },
  },
  {
    site: 'POLL-REFUSED',
    fault: { kind: 'poll-fails', transient: false, times: Infinity },
    delayMs: 3000,
    status: 'failed',
    reason: /^job lost: polling failed: the CE did not answer \(poll 1\); /,
    calls: { poll: 1, cancel: 1 },
  },
  {
    site: 'LOST',
    fault: { kind: 'loses-job' },
    delayMs: 3000,
    status: 'failed',
    reason:
      /^job lost: process \d+ ended without an exit code \(killed\); job output ends inside step '.+' \(killed, timed out or truncated\)$/,
    calls: { submit: 1, cancel: 1 },
  },
  {
    site: 'SLOW',
    delayMs: 4000,
    timeLimit: 1,
    status: 'timed-out',
    reason: /^the job exceeded its time limit of 1s \(queue time included\) and was cancelled$/,
    calls: { submit: 1, cancel: 1 },
  },
  {
    site: 'TRUNCATED',
    fault: { kind: 'truncates-output', keep: 0.5 },
    status: 'failed',
    // Where half the output ends: inside a step, or between two (a framing line cut short is no mark).
    reason:
      /^job output ends (inside step '.+' \(killed, timed out or truncated\)|after step '.+' without a final status \(truncated\))$/,
    calls: { submit: 1, fetchOutput: 1 },
  },
  // A submission that went through but said it failed is found by name, never submitted again.
  {
    site: 'SUBMIT-LANDED',
    fault: { kind: 'submit-lands-then-fails' },
    status: 'succeeded',
    calls: { submit: 1, find: 1, cancel: 0 },
  },
  {
    site: 'FETCH-FLAKY',
    fault: { kind: 'fetch-fails', transient: true, times: 2 },
    status: 'succeeded',
    calls: { fetchOutput: 3 },
  },
  {
    site: 'FETCH-REFUSED',
    fault: { kind: 'fetch-fails', transient: false, times: Infinity },
    status: 'failed',
    reason: /^the job's output could not be fetched: the output sandbox is unreachable \(fetch 1\)$/,
    calls: { fetchOutput: 1 },
  },
];

const names = CASES.map((c) => c.site);
const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

/** Make the job lock at a site look `seconds` older, as if its lease had run out. */
function ageSiteLock(swArea: string, seconds: number): void {
  const owner = path.join(swArea, '.vo-reconcile.lock', 'owner');
  writeFileSync(
    owner,
    readFileSync(owner, 'utf8').replace(/ time=(\d+)/, (_, t: string) => ` time=${Number(t) - seconds}`),
  );
}

function options(f: Fleet, revision: string, extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return {
    stateDir: f.state,
    revision,
    tags: [],
    concurrency: CASES.length,
    dryRun: false,
    pollMs: 50,
    emit: () => undefined,
    ...extra,
  };
}

describe('backend faults', () => {
  let f: Fleet;
  let sites: ResolvedSite[];
  let revision: string;
  let backend: FaultyBackend;
  let results: SiteResult[];
  let ends: Map<string, EndRecord>;

  beforeAll(async () => {
    f = makeFleet(names, 'packages:\n  - tool\n');
    const desired = await loadDesiredState({ dir: f.desired });
    revision = desired.revision;
    sites = desired.sites;
    // The sites are known to be empty, so each one's first job is its apply job.
    const empty = path.join(f.root, 'empty.pkg_info');
    writeFileSync(empty, '');
    for (const n of names)
      expect(
        (await cli(['observe', '--desired', f.desired, '--state', f.state, '--site', n, '--import', empty])).code,
      ).toBe(0);
    for (const c of CASES) if (c.delayMs) setFaults(f.sites[c.site]!.prefix, { delayMs: c.delayMs });

    const faults = Object.fromEntries(CASES.filter((c) => c.fault).map((c) => [c.site, c.fault!]));
    backend = new FaultyBackend(path.join(f.state, 'jobs'), faults);
    const limited = sites.map((s) => ({
      ...s,
      job_time_limit: CASES.find((c) => c.site === s.name)?.timeLimit ?? s.job_time_limit,
    }));
    process.env.VO_EMULATOR_LOG = f.log;
    results = await applySites(limited, options(f, revision, { backends: { local: backend } }));
    const { records } = await new Journal(f.state).read();
    ends = new Map(records.filter((r): r is EndRecord => r.type === 'end').map((r) => [r.site, r]));
  }, 60_000);

  it.each(CASES)('$site: ends $status', (c) => {
    const end = ends.get(c.site);
    expect(end?.status).toBe(c.status);
    if (c.reason) expect(end?.reason).toMatch(c.reason);
    const result = results.find((r) => r.site === c.site)!;
    expect(result.status).toBe(c.status === 'succeeded' ? 'changed' : 'failed');
    for (const [method, n] of Object.entries(c.calls))
      expect({ method, calls: backend.calls(c.site, method as Method) }).toEqual({ method, calls: n });
  });

  it('lets no job of a site it stopped watching run on, and overlaps nothing', () => {
    // Cancelled and lost jobs never finished a package operation.
    const ended = readEmulatorLog(f.log).filter((e) => e.event === 'end');
    for (const site of ['POLL-DOWN', 'POLL-REFUSED', 'LOST', 'SLOW'])
      expect(ended.filter((e) => e.site === f.sites[site]!.prefix)).toEqual([]);
    expect(readOverlaps(f.log)).toEqual([]);
  });

  it("converges every site on the next runs without faults, the lost job's site once its lock lease has run out", async () => {
    for (const c of CASES) if (c.delayMs) setFaults(f.sites[c.site]!.prefix, undefined);
    const again = await applySites(sites, options(f, revision));
    // The lost job was killed outright, so its lock at the site stays until its lease runs out.
    const lost = ends.get('LOST')!;
    expect(again.filter((r) => r.status !== 'changed' && r.status !== 'in-sync')).toEqual([
      {
        site: 'LOST',
        status: 'failed',
        detail: expect.stringMatching(
          new RegExp(`^busy: another job holds the site: busy controller=\\S+ txn=${lost.txid} `),
        ),
        txid: expect.any(String),
      },
    ]);
    ageSiteLock(f.sites.LOST!.swArea, 3600);
    const last = await applySites(sites, options(f, revision));
    expect(last.filter((r) => r.status !== 'changed' && r.status !== 'in-sync')).toEqual([]);
    for (const n of names) expect({ site: n, packages: installed(f, n) }).toEqual({ site: n, packages: ['tool-2.0'] });
    expect(readOverlaps(f.log)).toEqual([]);
  }, 60_000);
});

describe('a job that can be neither watched nor stopped', () => {
  it('stays open (no end record, nothing new submitted there) and is resumed by the next run', async () => {
    const f = makeFleet(['REACH', 'AWAY'], 'packages:\n  - tool\n');
    const desired = await loadDesiredState({ dir: f.desired });
    const empty = path.join(f.root, 'empty.pkg_info');
    writeFileSync(empty, '');
    for (const n of ['REACH', 'AWAY'])
      expect(
        (await cli(['observe', '--desired', f.desired, '--state', f.state, '--site', n, '--import', empty])).code,
      ).toBe(0);
    setFaults(f.sites.AWAY!.prefix, { delayMs: 1500 });
    process.env.VO_EMULATOR_LOG = f.log;
    const backend = new FaultyBackend(path.join(f.state, 'jobs'), { AWAY: { kind: 'out-of-reach' } });
    const first = await applySites(desired.sites, {
      ...options(f, desired.revision),
      concurrency: 2,
      backends: { local: backend },
    });
    expect(first.find((r) => r.site === 'REACH')?.status).toBe('changed');
    expect(first.find((r) => r.site === 'AWAY')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(
        /^the controller lost sight of the job \(polling failed: the CE is unreachable \(poll 1\)\) and cancelling it failed \(the CE is unreachable \(cancel\)\); the transaction stays open and the next run resumes it$/,
      ),
    });
    const records = (await new Journal(f.state).read()).records;
    const away = records.find((r) => r.type === 'begin' && r.site === 'AWAY' && r.kind === 'apply')!;
    expect(records.filter((r) => r.txid === away.txid).map((r) => r.type)).toEqual(['begin', 'submitted']);

    // The next run, the CE reachable again: it waits for that same job, and submits nothing new.
    const second = await applySites(desired.sites, options(f, desired.revision));
    // The resumed job installed the package: the site counts as changed by this run.
    expect(second.find((r) => r.site === 'AWAY')).toMatchObject({
      status: 'changed',
      detail: expect.stringContaining(`after resumed ${away.txid}: succeeded`),
    });
    const after = (await new Journal(f.state).read()).records;
    expect(after.filter((r) => r.type === 'begin' && r.site === 'AWAY' && r.kind === 'apply')).toHaveLength(1);
    expect(installed(f, 'AWAY')).toEqual(['tool-2.0']);
    expect(readOverlaps(f.log)).toEqual([]);
  }, 60_000);
});
