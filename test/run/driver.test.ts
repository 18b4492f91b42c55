// The driver against stand-in stores, a scripted executor and a clock the
// test moves: a job past its deadline is cancelled without any real wait; a
// transaction left open is driven to its end by the same loop that starts
// one, submitting nothing; a lost lock stops a submission; a dry-run world
// writes the job script and keeps nothing.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobHandle, JobPoll, JobRequest } from '../../src/backends/types.js';
import type { SitePlan } from '../../src/plan/types.js';
import type { RunContext } from '../../src/run/context.js';
import { dryRunWorld } from '../../src/run/dry-run.js';
import type { Clock, Executor, JournalStore, Submission } from '../../src/run/ports.js';
import { resumeTransaction, startTransaction } from '../../src/run/transaction.js';
import { foldTransactions, type JournalRecord } from '../../src/state/records.js';
import { site } from '../helpers/builders.js';
import { tempDir } from '../helpers/tmp.js';

const PLAN: SitePlan = { site: 'SITE', status: 'ok', actions: [], kept: [], errors: [] };
const OUTPUT = (nonce: string) =>
  [
    `@@vo:${nonce} start`,
    `@@vo:${nonce} begin inventory`,
    'tool-2.0 A tool',
    `@@vo:${nonce} end inventory 0`,
    `@@vo:${nonce} begin inventory-u`,
    'tool-2.0 A tool',
    `@@vo:${nonce} end inventory-u 0`,
    `@@vo:${nonce} done ok`,
    '',
  ].join('\n');

class MemoryJournal implements JournalStore {
  readonly records: JournalRecord[] = [];
  append(...records: JournalRecord[]) {
    this.records.push(...records);
    return Promise.resolve();
  }
  openTransactions(s: string) {
    return Promise.resolve(foldTransactions(this.records).filter((t) => t.site === s && !t.end));
  }
  lastAppliedRevision() {
    return Promise.resolve(undefined);
  }
  transactions() {
    return Promise.resolve(foldTransactions(this.records));
  }
}

/** A job that is running until `finishAt` on the test's clock, then done with OUTPUT. */
class ScriptedExecutor implements Executor {
  readonly name = 'local' as const;
  calls: string[] = [];
  /** The framing nonce the output is written with. */
  nonce = '';
  constructor(
    private readonly clock: { t: number },
    private readonly finishAt: number,
  ) {}
  submit(req: JobRequest): Promise<Submission> {
    this.calls.push('submit');
    return Promise.resolve({
      job: {
        backend: 'local',
        id: req.jobName,
        site: req.site.name,
        submittedAt: new Date(this.clock.t).toISOString(),
      },
    });
  }
  poll(): Promise<JobPoll> {
    this.calls.push('poll');
    // Each poll is a while later on the test's clock.
    this.clock.t += 10_000;
    return Promise.resolve(this.clock.t >= this.finishAt ? { state: 'done', exitCode: 0 } : { state: 'running' });
  }
  fetchOutput(): Promise<string> {
    this.calls.push('fetch');
    return Promise.resolve(OUTPUT(this.nonce));
  }
  cancel(): Promise<void> {
    this.calls.push('cancel');
    return Promise.resolve();
  }
  find(): Promise<JobHandle | undefined> {
    this.calls.push('find');
    return Promise.resolve(undefined);
  }
}

function world(executor: Executor, clock: { t: number }, lost = false) {
  const journal = new MemoryJournal();
  const written: string[] = [];
  const c: Clock = { now: () => clock.t };
  const ctx: RunContext = {
    journal,
    locks: { acquire: () => Promise.resolve(undefined), lost: () => lost },
    executors: { get: () => executor },
    observations: {
      read: () => Promise.resolve(undefined),
      write: (inv) => {
        written.push(inv.site);
        return Promise.resolve();
      },
    },
    holds: {
      read: () => Promise.resolve(undefined),
      write: () => Promise.resolve(true),
      release: () => Promise.resolve(),
    },
    clock: c,
    revision: 'r1',
    tags: [],
    controller: 'test:1',
    pollMs: 1,
    emit: () => undefined,
  };
  return { ctx, journal, written };
}

describe('transaction driver', () => {
  it('cancels a job whose deadline passed on the clock, and journals it timed out', async () => {
    const clock = { t: Date.parse('2026-12-03T10:00:00Z') };
    const ex = new ScriptedExecutor(clock, Infinity);
    const { ctx, journal } = world(ex, clock);
    const started = Date.now();
    const out = await startTransaction(ctx, site([], { job_time_limit: 60 }), PLAN, 'probe');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out).toMatchObject({ kind: 'ended', status: 'timed-out' });
    // Polled until the clock passed 60 s, then stopped: never a second submission.
    expect(ex.calls).toEqual(['submit', ...Array<string>(6).fill('poll'), 'cancel', 'fetch']);
    expect(journal.records.map((r) => r.type)).toEqual(['begin', 'submitted', 'finished', 'end']);
    expect(journal.records[0]!.at).toBe('2026-12-03T10:00:00.000Z');
  });

  it('resumes a transaction left open through the same loop: no submission, one end, the observation kept', async () => {
    const clock = { t: Date.parse('2026-12-03T10:00:00Z') };
    const ex = new ScriptedExecutor(clock, clock.t + 25_000);
    const first = world(ex, clock);
    await startTransaction(first.ctx, site([]), PLAN, 'probe');
    // As a dead controller leaves it: begin and submitted, nothing after.
    const left = first.journal.records.slice(0, 2);
    const again = world(ex, clock);
    await again.journal.append(...left);
    ex.calls = [];
    // The job's output is framed with its transaction's nonce.
    ex.nonce = left[0]!.type === 'begin' ? left[0]!.nonce : '';
    const [tx] = await again.journal.openTransactions('SITE');
    const out = await resumeTransaction(again.ctx, site([]), tx!);
    expect(out).toMatchObject({ kind: 'ended', status: 'succeeded', cause: 'verdict' });
    expect(ex.calls).toEqual(['poll', 'fetch']);
    expect(again.journal.records.map((r) => r.type)).toEqual(['begin', 'submitted', 'finished', 'end']);
    expect(again.written).toEqual(['SITE']);
  });

  it('submits nothing under a lost lock, and ends the transaction saying so', async () => {
    const clock = { t: 0 };
    const ex = new ScriptedExecutor(clock, 0);
    const { ctx, journal } = world(ex, clock, true);
    const out = await startTransaction(ctx, site([]), PLAN, 'apply');
    expect(out).toMatchObject({ kind: 'ended', status: 'failed', cause: 'lock-lost' });
    expect(ex.calls).toEqual([]);
    expect(journal.records.map((r) => r.type)).toEqual(['begin', 'end']);
  });

  it('in a dry-run world writes the job script and keeps no record', async () => {
    const state = tempDir();
    const clock = { t: 0 };
    const base = world(new ScriptedExecutor(clock, 0), clock);
    const ctx = { ...base.ctx, ...dryRunWorld(base.ctx, state) };
    const out = await startTransaction(ctx, site([]), PLAN, 'apply');
    const file = path.join(state, 'jobs', 'dry-run', 'SITE.sh');
    expect(out).toMatchObject({ kind: 'recorded', status: 'dry-run', file });
    expect(readFileSync(file, 'utf8')).toMatch(/^#!\/bin\/sh/);
    expect(base.journal.records).toEqual([]);
    expect(existsSync(path.join(state, 'journal.jsonl'))).toBe(false);
  });
});
