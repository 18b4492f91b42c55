// How often the grid backends poll, per backend: defaults, and the
// environment variables that change them. One batched call per endpoint
// per cycle costs the same for 1 job as for 2,000, so the interval is a
// matter of how soon a finished job is noticed against how often a CE is asked.
import type { PollSchedule } from './batch-poller.js';
import type { CallLimits } from './call-queue.js';

export type PolledBackend = 'slurm' | 'arc';

/** Seconds between two status calls to one endpoint, unless RECONCILE_POLL_<BACKEND> says otherwise. */
export const DEFAULT_POLL_SECONDS: Record<PolledBackend, number> = { slurm: 10, arc: 20 };
export const DEFAULT_JITTER = 0.1;
/** A CE refreshes its job states every few seconds; Slurm answers from memory, but a client call is still a process. */
const MIN_POLL_SECONDS = 1;
const GATHER_MS = 500;

export const POLL_ENV: Record<PolledBackend, string> = { slurm: 'RECONCILE_POLL_SLURM', arc: 'RECONCILE_POLL_ARC' };
export const JITTER_ENV = 'RECONCILE_POLL_JITTER';

/** The schedule of a backend's poll cycles; an Error (naming the variable) for a value that is no number of seconds. */
export function pollSchedule(backend: PolledBackend, env: NodeJS.ProcessEnv = process.env): PollSchedule | Error {
  const name = POLL_ENV[backend];
  const seconds = env[name] === undefined || env[name] === '' ? DEFAULT_POLL_SECONDS[backend] : Number(env[name]);
  if (!Number.isFinite(seconds) || seconds < MIN_POLL_SECONDS)
    return new Error(
      `${name}=${JSON.stringify(env[name])}: give the seconds between two ${backend} status calls, a number of at least ${MIN_POLL_SECONDS} (default ${DEFAULT_POLL_SECONDS[backend]})`,
    );
  const jitter = env[JITTER_ENV] === undefined || env[JITTER_ENV] === '' ? DEFAULT_JITTER : Number(env[JITTER_ENV]);
  if (!Number.isFinite(jitter) || jitter < 0 || jitter >= 1)
    return new Error(
      `${JITTER_ENV}=${JSON.stringify(env[JITTER_ENV])}: give the fraction by which poll intervals vary, from 0 to below 1 (default ${DEFAULT_JITTER})`,
    );
  return { intervalMs: seconds * 1000, jitter, gatherMs: Math.min(GATHER_MS, seconds * 1000) };
}

/** pollSchedule, or throw its error (a backend cannot start without one). */
export function requirePollSchedule(backend: PolledBackend, env: NodeJS.ProcessEnv = process.env): PollSchedule {
  const s = pollSchedule(backend, env);
  if (s instanceof Error) throw s;
  return s;
}

/**
 * How the other client calls go to one endpoint (call-queue.ts). ARC: up to
 * 100 job descriptions in one arcsub and 100 jobs in one arcget, four calls
 * to a CE at a time (a CE stages each job's input in turn, so more calls
 * side by side finish a large submission sooner). Slurm: sbatch takes one
 * job a call; 32 of them side by side per partition keep a submission of
 * hundreds short without flooding slurmctld (it serves RPCs in threads).
 */
export const ARC_CALL_LIMITS: { submit: CallLimits; fetch: CallLimits } = {
  submit: { concurrency: 4, maxBatch: 100, gatherMs: 100 },
  fetch: { concurrency: 4, maxBatch: 100, gatherMs: 50 },
};
export const SLURM_SUBMIT_LIMITS: CallLimits = { concurrency: 32, maxBatch: 1, gatherMs: 0 };
