// Retry and poll policy of a transaction, in one place: how often a backend
// call that fails transiently is tried, how long to pause between tries, how
// many failed polls in a row mean the job is lost, and how often to poll.
// The state machine decides with these numbers; the driver only sleeps.
import { setTimeout as timeout } from 'node:timers/promises';

export const POLICY = {
  /** Tries of a backend call that fails transiently (submit, fetching output). */
  backendAttempts: 3,
  /** Polls in a row that may fail transiently before the job counts as lost. */
  pollErrorsTolerated: 5,
  /** A backend that announces a job's end is still polled this seldom, to notice a job killed from outside. */
  announcedPollMs: 2000,
  /** Never wait less than this between polls, even just before a deadline. */
  minPauseMs: 10,
} as const;

/** The pause before try number `attempt` + 1 of a backend call (growing: 1 s, 2 s, ...). */
export function retryPauseMs(attempt: number): number {
  return 1000 * attempt;
}

/** The pause between polls of one job: the run's interval, the backend's floor, and the announcing backends' slow poll. */
export function pollIntervalMs(configured: number, backendMinMs: number | undefined, announces: boolean): number {
  const base = Math.max(configured, backendMinMs ?? 0);
  return announces ? Math.max(base, POLICY.announcedPollMs) : base;
}

/**
 * Sleep `ms`, or less when `wake` is aborted (a job announced its end, the
 * run is stopping). node:timers/promises removes its abort listener when the
 * timer fires, so one signal shared by every pause of a job polled for hours
 * collects no listeners (the hand-made sleep this replaces added one per poll).
 */
export async function pause(ms: number, wake?: AbortSignal): Promise<void> {
  try {
    await timeout(ms, undefined, wake ? { signal: wake } : {});
  } catch (e) {
    if (!wake?.aborted) throw e;
  }
}
