// A site another controller holds goes back to the queue: its slot goes to
// the next site, and it is tried again after a pause that grows (the holder
// may be a long job, or a dead controller whose lock goes stale within the
// lease), until its job time limit has passed since it was first found busy
// (how long it was waited for in a slot before). Then it stays busy.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedSite } from '../desired/types.js';
import type { SiteEvent } from './context.js';
import type { SiteResult } from './reconcile-site.js';

export const BUSY_RETRY = { firstPauseMs: 1000, maxPauseMs: 30_000 } as const;

/** The pause before retry number `attempt` (1, 2, ...) of a busy site: 1 s, 2 s, 4 s, ... at most 30 s. */
export function busyPauseMs(attempt: number): number {
  return Math.min(BUSY_RETRY.maxPauseMs, BUSY_RETRY.firstPauseMs * 2 ** (attempt - 1));
}

export function isBusy(r: SiteResult): boolean {
  return r.status === 'failed' && r.busy === true;
}

/**
 * Run a site's work through `inSlot` (the run's queue) until it is not busy,
 * waiting between tries outside the queue; the last busy result says for how long.
 */
export async function retryWhileBusy(
  site: ResolvedSite,
  inSlot: () => Promise<SiteResult>,
  emit: (e: SiteEvent) => void,
  now: () => number = Date.now,
): Promise<SiteResult> {
  const first = now();
  for (let attempt = 1; ; attempt++) {
    const r = await inSlot();
    if (!isBusy(r)) return r;
    const waited = now() - first;
    const pause = busyPauseMs(attempt);
    if (waited + pause > site.job_time_limit * 1000)
      return attempt === 1
        ? {
            ...r,
            detail: `${r.detail}; not retried: its job time limit (${site.job_time_limit}s) is shorter than the pause`,
          }
        : { ...r, detail: `${r.detail}; still busy after ${Math.round(waited / 1000)}s and ${attempt} tries` };
    if (attempt === 1)
      emit({
        site: site.name,
        kind: 'waiting-lock',
        detail: `${r.detail.replace(/^busy: /, '')}; back in the queue, its slot goes to the next site`,
      });
    await sleep(pause);
  }
}

/** The sites of a run that stayed busy (for its summary). */
export function stayedBusy(results: readonly SiteResult[]): string[] {
  return results.filter(isBusy).map((r) => r.site);
}

/** The summary's line naming the sites that stayed busy; undefined when none did. */
export function busySummary(results: readonly SiteResult[]): string | undefined {
  const busy = stayedBusy(results);
  return busy.length === 0
    ? undefined
    : `Stayed busy (another controller held the lock; retried until each site's job time limit): ${busy.join(', ')}.`;
}
