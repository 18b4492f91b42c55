// The executor registry: the backends of a run (local, slurm, arc, or the
// ones a test injects) as executors, looked up by the name a site or a
// journalled job handle gives.
import type { Backend, JobHandle, JobPoll, JobRequest } from '../backends/types.js';
import type { BackendName, ResolvedSite } from '../desired/types.js';
import type { Executor, Executors, Submission } from './ports.js';

/** A real backend: every submission starts a job. */
class BackendExecutor implements Executor {
  readonly name: BackendName;
  readonly minPollMs?: number;
  readonly pollsOnOwnSchedule?: boolean;
  readonly waitFor?: (job: JobHandle) => Promise<JobPoll> | undefined;

  constructor(private readonly backend: Backend) {
    this.name = backend.name;
    if (backend.minPollMs !== undefined) this.minPollMs = backend.minPollMs;
    if (backend.pollsOnOwnSchedule) this.pollsOnOwnSchedule = true;
    if (backend.waitFor) this.waitFor = (job) => backend.waitFor!(job);
  }

  async submit(req: JobRequest): Promise<Submission> {
    return { job: await this.backend.submit(req) };
  }
  poll(job: JobHandle, opts?: { by?: number }): Promise<JobPoll> {
    return this.backend.poll(job, opts);
  }
  fetchOutput(job: JobHandle): Promise<string> {
    return this.backend.fetchOutput(job);
  }
  cancel(job: JobHandle): Promise<void> {
    return this.backend.cancel(job);
  }
  find(jobName: string, site: ResolvedSite): Promise<JobHandle | undefined> {
    return this.backend.find(jobName, site);
  }
}

export function executorRegistry(backends: Partial<Record<BackendName, Backend>>): Executors {
  const executors = new Map<BackendName, Executor>();
  for (const [name, b] of Object.entries(backends) as [BackendName, Backend][])
    executors.set(name, new BackendExecutor(b));
  return { get: (name) => executors.get(name) ?? new Error(`no ${name} backend in this run`) };
}
