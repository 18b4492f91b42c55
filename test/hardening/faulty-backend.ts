// TEST-ONLY: the local backend with faults injected per site, and every call
// counted. It announces nothing (no waitFor), so the controller polls it as
// it polls a remote batch system.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LocalBackend } from '../../src/backends/local.js';
import {
  TransientBackendError,
  type Backend,
  type JobHandle,
  type JobPoll,
  type JobRequest,
} from '../../src/backends/types.js';
import type { ResolvedSite } from '../../src/desired/types.js';

export type Fault =
  /** submit throws `times` times (Infinity: always), then works. */
  | { kind: 'submit-fails'; transient: boolean; times: number }
  /** poll throws `times` times in a row, then works. */
  | { kind: 'poll-fails'; transient: boolean; times: number }
  /** The job's processes are killed once it holds its site lock: the backend has lost it. */
  | { kind: 'loses-job' }
  /** fetchOutput returns only the first `keep` (0..1) of the output. */
  | { kind: 'truncates-output'; keep: number }
  /** fetchOutput throws `times` times, then works. */
  | { kind: 'fetch-fails'; transient: boolean; times: number }
  /** The first submit creates the job but reports a (transient) timeout, as sbatch can after a socket timeout. */
  | { kind: 'submit-lands-then-fails' }
  /** Every poll is refused and so is the cancel: the job can be neither watched nor stopped. */
  | { kind: 'out-of-reach' };

export type Method = 'submit' | 'poll' | 'fetchOutput' | 'cancel' | 'find';

export class FaultyBackend implements Backend {
  readonly name = 'local' as const;
  private readonly inner: LocalBackend;
  private readonly counts = new Map<string, number>();
  private readonly killed = new Set<string>();

  constructor(
    private readonly jobsDir: string,
    private readonly faults: Readonly<Record<string, Fault>>,
  ) {
    this.inner = new LocalBackend(jobsDir);
  }

  /** How often `method` was called for `site`. */
  calls(site: string, method: Method): number {
    return this.counts.get(`${site} ${method}`) ?? 0;
  }

  async submit(req: JobRequest): Promise<JobHandle> {
    const n = this.count(req.site.name, 'submit');
    const f = this.faults[req.site.name];
    if (f?.kind === 'submit-fails' && n <= f.times)
      throw failure(f.transient, `the CE refused job ${req.jobName} (attempt ${n})`);
    const handle = await this.inner.submit(req);
    if (f?.kind === 'submit-lands-then-fails' && n === 1)
      throw failure(true, `no answer from the CE in time (attempt ${n})`);
    return handle;
  }

  async poll(job: JobHandle): Promise<JobPoll> {
    const n = this.count(job.site, 'poll');
    const f = this.faults[job.site];
    if (f?.kind === 'poll-fails' && n <= f.times) throw failure(f.transient, `the CE did not answer (poll ${n})`);
    if (f?.kind === 'out-of-reach') throw failure(false, `the CE is unreachable (poll ${n})`);
    if (
      f?.kind === 'loses-job' &&
      !this.killed.has(job.id) &&
      (await this.inner.fetchOutput(job)).includes('locked ')
    ) {
      this.killed.add(job.id);
      killGroup(path.join(this.jobsDir, job.id, 'pid'));
    }
    return this.inner.poll(job);
  }

  async fetchOutput(job: JobHandle): Promise<string> {
    const n = this.count(job.site, 'fetchOutput');
    const f = this.faults[job.site];
    if (f?.kind === 'fetch-fails' && n <= f.times)
      throw failure(f.transient, `the output sandbox is unreachable (fetch ${n})`);
    const output = await this.inner.fetchOutput(job);
    return f?.kind === 'truncates-output' ? output.slice(0, Math.floor(output.length * f.keep)) : output;
  }

  async cancel(job: JobHandle): Promise<void> {
    this.count(job.site, 'cancel');
    if (this.faults[job.site]?.kind === 'out-of-reach') throw new Error('the CE is unreachable (cancel)');
    return this.inner.cancel(job);
  }

  async find(jobName: string, site: ResolvedSite): Promise<JobHandle | undefined> {
    this.count(site.name, 'find');
    return this.inner.find(jobName, site);
  }

  private count(site: string, method: Method): number {
    const n = this.calls(site, method) + 1;
    this.counts.set(`${site} ${method}`, n);
    return n;
  }
}

function failure(transient: boolean, message: string): Error {
  return transient ? new TransientBackendError(message) : new Error(message);
}

/** SIGKILL a local job's whole process group: nothing of it is left to report. */
function killGroup(pidFile: string): void {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
