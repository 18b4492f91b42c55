// --concurrency bounds the jobs out, each slot held from submission to the
// job's end and no longer: a site journalling its outcome never keeps the
// next site's job waiting, and no more jobs than slots are ever out.
import { describe, expect, it } from 'vitest';
import type { JobHandle, JobPoll, JobRequest } from '../../src/backends/types.js';
import type { SitePlan } from '../../src/plan/types.js';
import type { RunContext } from '../../src/run/context.js';
import { JobSlots } from '../../src/run/job-slots.js';
import type { Executor, JournalStore, Submission } from '../../src/run/ports.js';
import { startTransaction } from '../../src/run/transaction.js';
import { foldTransactions, type JournalRecord } from '../../src/state/records.js';
import { site } from '../helpers/builders.js';

describe('JobSlots', () => {
  it('hands out at most its size, first come first served, and a release twice gives back one slot', async () => {
    const slots = new JobSlots(2);
    const a = await slots.acquire();
    const b = await slots.acquire();
    const got: string[] = [];
    const c = slots.acquire().then((r) => (got.push('c'), r));
    const d = slots.acquire().then((r) => (got.push('d'), r));
    await Promise.resolve();
    expect(got).toEqual([]);
    a();
    a();
    const releaseC = await c;
    expect(got).toEqual(['c']);
    expect(slots.inUse).toBe(2);
    b();
    (await d)();
    releaseC();
    expect(slots.inUse).toBe(0);
  });

  it('refuses a size that bounds nothing', () => {
    expect(() => new JobSlots(0)).toThrow(/whole number/);
  });
});

const PLAN = (s: string): SitePlan => ({ site: s, status: 'ok', actions: [], kept: [], errors: [] });

/** Jobs that run until the test ends them; every step logged in order. */
class GatedExecutor implements Executor {
  readonly name = 'local' as const;
  readonly log: string[] = [];
  private readonly ended = new Set<string>();
  private out = 0;
  maxOut = 0;
  readonly nonces = new Map<string, string>();
  submit(req: JobRequest): Promise<Submission> {
    this.log.push(`submit ${req.site.name}`);
    this.maxOut = Math.max(this.maxOut, ++this.out);
    return Promise.resolve({
      job: { backend: 'local', id: req.site.name, site: req.site.name, submittedAt: new Date().toISOString() },
    });
  }
  end(id: string): void {
    this.ended.add(id);
  }
  poll(job: JobHandle): Promise<JobPoll> {
    if (!this.ended.has(job.id)) return Promise.resolve({ state: 'running' });
    if (this.ended.delete(job.id)) {
      this.out--;
      this.log.push(`ended ${job.id}`);
    }
    return Promise.resolve({ state: 'done', exitCode: 0 });
  }
  fetchOutput(job: JobHandle): Promise<string> {
    const n = this.nonces.get(job.id) ?? '';
    const m = `@@vo:${n}`;
    const lines = [`${m} start`, `${m} begin inventory`, `${m} end inventory 0`, `${m} begin inventory-u`];
    return Promise.resolve([...lines, `${m} end inventory-u 0`, `${m} done ok`, ''].join('\n'));
  }
  cancel(): Promise<void> {
    return Promise.resolve();
  }
  find(): Promise<JobHandle | undefined> {
    return Promise.resolve(undefined);
  }
}

/** A journal whose end records wait for the test to let them through. */
class SlowEndJournal implements JournalStore {
  readonly records: JournalRecord[] = [];
  private open: (() => void) | undefined;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  constructor(private readonly onBegin: (r: JournalRecord) => void) {}
  async append(...records: JournalRecord[]) {
    for (const r of records) if (r.type === 'begin') this.onBegin(r);
    if (records.some((r) => r.type === 'end')) await this.gate;
    this.records.push(...records);
  }
  letEndsThrough(): void {
    this.open?.();
  }
  openTransactions() {
    return Promise.resolve([]);
  }
  lastAppliedRevision() {
    return Promise.resolve(undefined);
  }
  transactions() {
    return Promise.resolve(foldTransactions(this.records));
  }
}

function world(executor: GatedExecutor, journal: JournalStore, slots: JobSlots): RunContext {
  return {
    journal,
    locks: { acquire: () => Promise.resolve(undefined), lost: () => false },
    executors: { get: () => executor },
    observations: { read: () => Promise.resolve(undefined), write: () => Promise.resolve() },
    holds: {
      read: () => Promise.resolve(undefined),
      write: () => Promise.resolve(true),
      release: () => Promise.resolve(),
    },
    clock: { now: () => Date.now() },
    revision: 'r1',
    tags: [],
    controller: 'test:1',
    pollMs: 1,
    emit: () => undefined,
    jobSlots: slots,
  };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(cond()).toBe(true);
};

describe('transactions under job slots', () => {
  it("gives a job's slot to the next site when the job ends, before its end is journalled", async () => {
    const ex = new GatedExecutor();
    const journal = new SlowEndJournal((r) => r.type === 'begin' && ex.nonces.set(r.site, r.nonce));
    const ctx = world(ex, journal, new JobSlots(1));
    const a = startTransaction(ctx, site([], { name: 'A' }), PLAN('A'), 'probe');
    const b = startTransaction(ctx, site([], { name: 'B' }), PLAN('B'), 'probe');
    await until(() => ex.log.includes('submit A'));
    // One slot, A's job in it: B waits.
    await new Promise((r) => setTimeout(r, 20));
    expect(ex.log).toEqual(['submit A']);
    ex.end('A');
    // A's end record is held back, and B's job goes out all the same.
    await until(() => ex.log.includes('submit B'));
    expect(journal.records.some((r) => r.type === 'end')).toBe(false);
    ex.end('B');
    journal.letEndsThrough();
    expect(await a).toMatchObject({ kind: 'ended', status: 'succeeded' });
    expect(await b).toMatchObject({ kind: 'ended', status: 'succeeded' });
    expect(ex.log).toEqual(['submit A', 'ended A', 'submit B', 'ended B']);
  });

  it('never has more jobs out than slots, however many sites start at once', async () => {
    const ex = new GatedExecutor();
    const journal = new SlowEndJournal((r) => r.type === 'begin' && ex.nonces.set(r.site, r.nonce));
    journal.letEndsThrough();
    const slots = new JobSlots(3);
    const ctx = world(ex, journal, slots);
    const names = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7'];
    const runs = names.map((n) => startTransaction(ctx, site([], { name: n }), PLAN(n), 'probe'));
    for (const n of names) {
      await until(() => ex.log.includes(`submit ${n}`));
      ex.end(n);
    }
    const outcomes = await Promise.all(runs);
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
    expect(ex.maxOut).toBe(3);
    expect(slots.inUse).toBe(0);
  });
});
