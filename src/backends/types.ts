// The one small interface every backend implements: submit a job script to
// a site, poll it, fetch its output, cancel it. One file per backend.
import type { BackendName, ResolvedSite } from '../desired/types.js';

export interface JobRequest {
  txid: string;
  /** Used as the job's name at the site, so a lost job id can be found again. */
  jobName: string;
  site: ResolvedSite;
  script: string;
  /** Seconds the job may take, queue time included. */
  timeLimit: number;
}

/** What the journal keeps to find a job again after a controller restart. */
export interface JobHandle {
  backend: BackendName;
  id: string;
  site: string;
  submittedAt: string;
  /** The name it was submitted under (the txid), where the backend files output by it. */
  name?: string;
  /** ARC: the client job list that holds the job (arcstat and arcget need it). */
  jobList?: string;
  /** Where it was submitted (ARC: the CE; Slurm: the partition): jobs of one endpoint are polled together. */
  endpoint?: string;
}

export type JobState = 'queued' | 'running' | 'done' | 'lost';

export interface JobPoll {
  state: JobState;
  /** The script's exit code, when done and known. */
  exitCode?: number;
  detail?: string;
}

export interface Backend {
  readonly name: BackendName;
  submit(req: JobRequest): Promise<JobHandle>;
  /** The job's state; `by` (ms since the epoch, the job's deadline): a batching backend asks no later than then. */
  poll(job: JobHandle, opts?: { by?: number }): Promise<JobPoll>;
  fetchOutput(job: JobHandle): Promise<string>;
  cancel(job: JobHandle): Promise<void>;
  /**
   * Find a job by the name it was submitted under, for a controller that
   * died between submitting and journalling the id (or whose submission
   * failed in a way that may have gone through). Undefined only when no
   * such job can have run; throws when the backend cannot tell.
   */
  find(jobName: string, site: ResolvedSite): Promise<JobHandle | undefined>;
  /**
   * poll() waits for the backend's next poll cycle, shared by all its jobs
   * at one endpoint (batch-poller.ts): the caller polls again at once rather
   * than pausing between polls itself.
   */
  readonly pollsOnOwnSchedule?: boolean;
  /** The shortest sensible poll interval: each poll runs a client program, and a CE refreshes its job states only every few seconds. */
  readonly minPollMs?: number;
  /** When the backend can tell the moment a job ends (a local child), wait for it instead of polling. */
  waitFor?(job: JobHandle): Promise<JobPoll> | undefined;
}

/** A backend failure that may pass (network, a busy CE): retried within a bound. */
export class TransientBackendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientBackendError';
  }
}
