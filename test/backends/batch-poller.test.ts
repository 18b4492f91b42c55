// The poll coalescer: every poll of a group waits for the group's next
// cycle, and one batched call answers all of them; cycles come an interval
// apart (jittered), only while someone waits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchPoller, nextCycleDelay, type PollSchedule } from '../../src/backends/batch-poller.js';
import { TransientBackendError, type JobHandle, type JobPoll } from '../../src/backends/types.js';

const job = (id: string): JobHandle => ({
  backend: 'slurm',
  id,
  site: `S-${id}`,
  submittedAt: new Date().toISOString(),
});
const schedule: PollSchedule = { intervalMs: 80, jitter: 0, gatherMs: 10 };

describe('BatchPoller', () => {
  it('answers 200 jobs polled together from one call, each with its own state', async () => {
    const calls: string[][] = [];
    const p = new BatchPoller(async (_, jobs) => {
      calls.push(jobs.map((j) => j.id));
      return new Map(jobs.map((j) => [j.id, { state: Number(j.id) % 2 ? 'running' : 'queued' } as JobPoll]));
    }, schedule);
    const ids = Array.from({ length: 200 }, (_, i) => String(i));
    const polls = await Promise.all(ids.map((id) => p.poll('debug', job(id))));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual(ids);
    expect(polls.map((x) => x.state)).toEqual(ids.map((id) => (Number(id) % 2 ? 'running' : 'queued')));
  });

  it('one call per group and cycle; a group polled again waits out the interval', async () => {
    const starts: [string, number][] = [];
    const t0 = Date.now();
    const p = new BatchPoller(async (group, jobs) => {
      starts.push([group, Date.now() - t0]);
      // Each cycle has news for every job (an unchanged answer would not wake its poller).
      const n = starts.filter(([g]) => g === group).length;
      return new Map(jobs.map((j) => [j.id, { state: 'running', detail: `cycle ${n}` } as JobPoll]));
    }, schedule);
    // Three jobs at each of two endpoints, each polled three times in a row, as their drivers do.
    const follow = async (group: string, id: string) => {
      for (let i = 0; i < 3; i++) await p.poll(group, job(id));
    };
    await Promise.all(['a', 'b'].flatMap((g) => ['1', '2', '3'].map((id) => follow(g, `${g}${id}`))));
    expect(starts.filter(([g]) => g === 'a')).toHaveLength(3);
    expect(starts.filter(([g]) => g === 'b')).toHaveLength(3);
    const a = starts.filter(([g]) => g === 'a').map(([, t]) => t);
    expect(a[1]! - a[0]!).toBeGreaterThanOrEqual(schedule.intervalMs - 5);
    expect(p.calls.get('a')).toBe(3);
  });

  it('a failed call answers every job of the batch with its error; a job it left out gets an error of its own', async () => {
    const p = new BatchPoller(async (_, jobs) => {
      if (jobs.some((j) => j.id === 'x')) throw new TransientBackendError('squeue: Socket timed out');
      return new Map([['1', { state: 'done', exitCode: 0 } as JobPoll]]);
    }, schedule);
    const both = await Promise.allSettled([p.poll('g', job('x')), p.poll('g', job('y'))]);
    for (const r of both) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TransientBackendError);
    }
    await expect(p.poll('g', job('1'))).resolves.toEqual({ state: 'done', exitCode: 0 });
    await expect(p.poll('g', job('2'))).rejects.toThrow('the batched poll of g gave no answer for job 2');
  });

  it('a job whose deadline comes before the next cycle brings the cycle forward, for every job waiting', async () => {
    const sizes: number[] = [];
    const p = new BatchPoller(
      async (_, jobs) => {
        sizes.push(jobs.length);
        return new Map(jobs.map((j) => [j.id, { state: 'running', detail: `cycle ${sizes.length}` } as JobPoll]));
      },
      { intervalMs: 60_000, jitter: 0, gatherMs: 10 },
    );
    await p.poll('g', job('1'));
    const t = Date.now();
    // Next cycle due in a minute; job 2 must be asked about within 100 ms.
    await Promise.all([p.poll('g', job('1')), p.poll('g', job('2'), Date.now() + 100)]);
    expect(Date.now() - t).toBeLessThan(1000);
    expect(sizes).toEqual([1, 2]);
  });

  it('a job whose answer did not change stays waiting, until it changes or its deadline comes', async () => {
    const states = ['queued', 'queued', 'queued', 'running', 'running', 'done'];
    let cycle = 0;
    const p = new BatchPoller(async (_, jobs) => {
      const state = states[Math.min(cycle++, states.length - 1)]!;
      return new Map(jobs.map((j) => [j.id, { state } as JobPoll]));
    }, schedule);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push((await p.poll('g', job('1'))).state);
    expect(seen).toEqual(['queued', 'running', 'done']);
    expect(p.calls.get('g')).toBe(6);
    // Unchanged, but the deadline is near: answered by then with the same state.
    const q = new BatchPoller(async (_, jobs) => new Map(jobs.map((j) => [j.id, { state: 'running' } as JobPoll])), {
      intervalMs: 60_000,
      jitter: 0,
      gatherMs: 10,
    });
    await q.poll('g', job('1'));
    const t = Date.now();
    await expect(q.poll('g', job('1'), Date.now() + 150)).resolves.toEqual({ state: 'running' });
    expect(Date.now() - t).toBeLessThan(1000);
    // Errors are always told: the transaction counts them.
    let fail = true;
    const r = new BatchPoller(async (_, jobs) => {
      if (fail) throw new TransientBackendError('squeue: Socket timed out');
      return new Map(jobs.map((j) => [j.id, { state: 'running' } as JobPoll]));
    }, schedule);
    await expect(r.poll('g', job('1'))).rejects.toThrow('Socket timed out');
    await expect(r.poll('g', job('1'))).rejects.toThrow('Socket timed out');
    fail = false;
    await expect(r.poll('g', job('1'))).resolves.toEqual({ state: 'running' });
  });

  it('the same job polled twice in one cycle is asked about once', async () => {
    const seen: number[] = [];
    const p = new BatchPoller(async (_, jobs) => {
      seen.push(jobs.length);
      return new Map(jobs.map((j) => [j.id, { state: 'queued' } as JobPoll]));
    }, schedule);
    await Promise.all([p.poll('g', job('1')), p.poll('g', job('1'))]);
    expect(seen).toEqual([1]);
  });
});

describe('nextCycleDelay', () => {
  it('never comes sooner than the interval after the last start, at most the jitter later, and never below the gathering pause', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 300_000 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 400_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (intervalMs, jitter, gatherMs, elapsed, random) => {
          const s = { intervalMs, jitter, gatherMs };
          const d = nextCycleDelay(s, 0, elapsed, random);
          expect(d).toBeGreaterThanOrEqual(gatherMs);
          expect(elapsed + d).toBeGreaterThanOrEqual(Math.min(elapsed + gatherMs, intervalMs) - 1e-6);
          expect(elapsed + d).toBeGreaterThanOrEqual(intervalMs - 1e-6);
          expect(elapsed + d).toBeLessThanOrEqual(Math.max(elapsed + gatherMs, intervalMs * (1 + jitter)) + 1e-6);
        },
      ),
    );
    expect(nextCycleDelay({ intervalMs: 10_000, jitter: 0.1, gatherMs: 500 }, undefined, 123, 0.5)).toBe(500);
  });
});
