// One status call per poll cycle per (backend, endpoint), however many jobs
// are in flight there. Each transaction still polls its own job (the state
// machine is unchanged); the poller makes every poll wait for its group's
// next cycle and answers all the waiting ones from one batched client call.
// Cycles of a group start at most every interval (jitter only lengthens it,
// so that groups and controllers do not fire in step yet never ask an
// endpoint twice within one interval), and only while someone waits.
// A job whose answer is the one its poller was last given stays waiting for
// the next cycle (up to its deadline): with 2,000 jobs running for an hour,
// a cycle wakes only the transactions whose job changed, not every one.
import type { JobHandle, JobPoll } from './types.js';

export interface PollSchedule {
  /** Time between the starts of two cycles of one group. */
  intervalMs: number;
  /** The interval is longer by up to this fraction (never shorter). */
  jitter: number;
  /** The first cycle of a quiet group waits this long, so jobs submitted together are asked about together. */
  gatherMs: number;
}

/** Per job of a batch: its state, or why the batch could not tell (a TransientBackendError may pass). */
export type BatchAnswer = ReadonlyMap<string, JobPoll | Error>;

/** One batched status call for the jobs of a group. A thrown error answers every job with it. */
export type PollMany = (group: string, jobs: readonly JobHandle[]) => Promise<BatchAnswer>;

interface Waiter {
  job: JobHandle;
  settle: ((answer: JobPoll | Error) => void)[];
  /** The cycle must start by then (the job's deadline): it is brought forward for everyone. */
  by?: number;
}

interface Group {
  waiting: Map<string, Waiter>;
  timer?: NodeJS.Timeout;
  /** When the armed timer fires. */
  due?: number;
  running: boolean;
  lastStart?: number;
  /** The last answer given for each job still being polled (its JSON), to hold back repeats. */
  told: Map<string, string>;
}

export class BatchPoller {
  private readonly groups = new Map<string, Group>();
  /** Status calls made, per group (for the bench and tests). */
  readonly calls = new Map<string, number>();

  constructor(
    private readonly pollMany: PollMany,
    private readonly schedule: PollSchedule,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** The job's state as of its group's next cycle, which starts no later than `by` (ms since the epoch) when given. */
  poll(group: string, job: JobHandle, by?: number): Promise<JobPoll> {
    const g = this.group(group);
    return new Promise<JobPoll>((resolve, reject) => {
      const w: Waiter = g.waiting.get(job.id) ?? { job, settle: [] };
      w.settle.push((a) => (a instanceof Error ? reject(a) : resolve(a)));
      if (by !== undefined) w.by = Math.min(by, w.by ?? Infinity);
      g.waiting.set(job.id, w);
      this.arm(group, g);
    });
  }

  private group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { waiting: new Map(), running: false, told: new Map() };
      this.groups.set(name, g);
    }
    return g;
  }

  private arm(name: string, g: Group): void {
    if (g.running || g.waiting.size === 0) return;
    const now = this.now();
    let due = g.due ?? now + nextCycleDelay(this.schedule, g.lastStart, now, this.random());
    for (const w of g.waiting.values()) if (w.by !== undefined) due = Math.min(due, w.by);
    if (g.timer && due === g.due) return;
    clearTimeout(g.timer);
    g.due = due;
    g.timer = setTimeout(() => void this.cycle(name, g), Math.max(0, due - now));
  }

  private async cycle(name: string, g: Group): Promise<void> {
    g.timer = undefined;
    g.due = undefined;
    g.running = true;
    g.lastStart = this.now();
    const batch = [...g.waiting.values()];
    g.waiting = new Map();
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    let answers: BatchAnswer | Error;
    try {
      answers = await this.pollMany(
        name,
        batch.map((w) => w.job),
      );
    } catch (e) {
      answers = e instanceof Error ? e : new Error(String(e));
    }
    const now = this.now();
    for (const w of batch) {
      const a =
        answers instanceof Error
          ? answers
          : (answers.get(w.job.id) ?? new Error(`the batched poll of ${name} gave no answer for job ${w.job.id}`));
      if (a instanceof Error || a.state === 'done' || a.state === 'lost') g.told.delete(w.job.id);
      else {
        const said = JSON.stringify(a);
        // Nothing new for this job, and its deadline not yet come: its transaction sleeps on.
        if (g.told.get(w.job.id) === said && (w.by === undefined || w.by > now)) {
          keep(g, w);
          continue;
        }
        g.told.set(w.job.id, said);
      }
      for (const settle of w.settle) settle(a);
    }
    g.running = false;
    this.arm(name, g);
  }
}

/** A waiter held back for the next cycle, together with any poll of the same job that came in meanwhile. */
function keep(g: Group, w: Waiter): void {
  const later = g.waiting.get(w.job.id);
  if (later) {
    later.settle.unshift(...w.settle);
    if (w.by !== undefined) later.by = Math.min(w.by, later.by ?? Infinity);
  } else g.waiting.set(w.job.id, w);
}

/** When a group's next cycle starts: an interval (lengthened by jitter) after the last one began, never sooner than the gathering pause. */
export function nextCycleDelay(s: PollSchedule, lastStart: number | undefined, now: number, random: number): number {
  if (lastStart === undefined) return s.gatherMs;
  const interval = s.intervalMs * (1 + s.jitter * random);
  return Math.max(s.gatherMs, lastStart + interval - now);
}
