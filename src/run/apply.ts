// The reconcile loop over the selected sites: job slots bound how many jobs
// are out (--concurrency), a p-queue how many sites are under way; each
// site runs alone under its lock; a failing, slow or busy (locked by
// another controller) site never holds up the others.
import PQueue from 'p-queue';
import type { Backend } from '../backends/types.js';
import { CatalogCache } from '../catalog/load.js';
import type { BackendName, ResolvedSite } from '../desired/types.js';
import type { StateStore } from '../state/store.js';
import type { SiteEvent } from './context.js';
import { runContext } from './world.js';
import type { Clock } from './ports.js';
import type { GateInput } from '../windows/gate.js';
import { observeSite, reconcileSite, type ReviewedSitePlan, type SiteResult } from './reconcile-site.js';
import { rollbackSite } from './rollback-site.js';
import { isBusy, retryWhileBusy } from './busy-retry.js';
import { closeRemovedSites, type RemovedSiteTx } from './removed-sites.js';

export { busySummary, stayedBusy } from './busy-retry.js';
export { removedSitesSummary, type RemovedSiteTx } from './removed-sites.js';

export interface ApplyOptions {
  /** The local state directory (job scripts, observations, caches). */
  stateDir: string;
  /** Where the journal, holds and locks are (absent: the files under stateDir). */
  state?: StateStore;
  revision: string;
  tags: string[];
  concurrency: number;
  dryRun: boolean;
  /** Read versions from here instead of each site's pkg_path. */
  catalogOverride?: string;
  pollMs?: number;
  /** Use these instead of the built-in backends (how tests inject backend faults). */
  backends?: Partial<Record<BackendName, Backend>>;
  emit(e: SiteEvent): void;
  /** The run's maintenance windows and GOCDB downtimes: a site they close is deferred, decided at each submission. */
  gate?: GateInput;
  clock?: Clock;
  /** Sites whose reviewed plan is carried out as it is instead of planning them (src/plan-file/). */
  reviewed?: ReadonlyMap<string, ReviewedSitePlan>;
  /**
   * Asked as a site is taken up and again with a job slot in hand, before
   * each submission: false leaves it untouched (no job, no result). With
   * `settled`, how a rollout stops a wave over its budget.
   */
  mayStart?(site: string): boolean;
  /** A site's final result, told before its slot goes to the next site (so `mayStart` already knows it). */
  settled?(r: SiteResult): void;
}

export async function applySites(sites: readonly ResolvedSite[], opts: ApplyOptions): Promise<SiteResult[]> {
  const ctx = runContext(opts);
  const catalogs = new CatalogCache();
  const catalogFor = (s: ResolvedSite) => catalogs.getOrError(opts.catalogOverride ?? s.pkg_path);
  return forEachSite(sites, opts, async (s) => reconcileSite(ctx, s, await catalogFor(s), opts.reviewed?.get(s.name)));
}

/** Roll the sites back to what a tag produced (see rollback-site.ts). */
export async function rollbackSites(
  sites: readonly ResolvedSite[],
  atTag: ReadonlyMap<string, ResolvedSite>,
  target: { tag: string; commit: string },
  opts: ApplyOptions,
): Promise<SiteResult[]> {
  const ctx = runContext(opts);
  const catalogs = new CatalogCache();
  const catalogFor = (s: ResolvedSite) => catalogs.getOrError(opts.catalogOverride ?? s.pkg_path);
  return forEachSite(sites, opts, async (s) =>
    rollbackSite(ctx, s, await catalogFor(s), { ...target, siteAtTag: atTag.get(s.name) }),
  );
}

/**
 * Close the open transactions of sites not in `inSitesYaml` (every site of
 * the desired state the run read, whatever it selected): see removed-sites.ts.
 */
export function closeRemovedSiteTransactions(
  inSitesYaml: readonly ResolvedSite[],
  opts: ApplyOptions,
): Promise<RemovedSiteTx[]> {
  return closeRemovedSites(runContext(opts), new Set(inSitesYaml.map((s) => s.name)));
}

/** Probe jobs for the sites, through the same queue, locks and journal as apply. */
export async function observeSites(sites: readonly ResolvedSite[], opts: ApplyOptions): Promise<SiteResult[]> {
  const ctx = runContext(opts);
  return forEachSite(sites, opts, (s) => observeSite(ctx, s));
}

async function forEachSite(
  sites: readonly ResolvedSite[],
  opts: ApplyOptions,
  work: (s: ResolvedSite) => Promise<SiteResult>,
): Promise<SiteResult[]> {
  // The job slots (job-slots.ts) bound the jobs; this bounds the sites locked at once. Twice as many: while
  // a slot's job runs, the site that gets it next is locked and planned, and the one before is finishing.
  const queue = new PQueue({ concurrency: sitesInFlight(opts.concurrency) });
  const attempt = async (s: ResolvedSite): Promise<SiteResult> => {
    let r: SiteResult;
    try {
      r = await work(s);
    } catch (e) {
      // One site's surprise is that site's failure, never the fleet's.
      r = { site: s.name, status: 'failed', detail: `internal error: ${(e as Error).message}` };
    }
    if (!isBusy(r) && r.status !== 'not-started') opts.settled?.(r);
    return r;
  };
  const notStarted = (s: ResolvedSite): SiteResult => ({ site: s.name, status: 'not-started', detail: 'not started' });
  const all = await Promise.all(
    sites.map(async (s) => {
      // A busy site waits outside the queue between tries (busy-retry.ts): it holds no slot then.
      const result = await retryWhileBusy(
        s,
        () =>
          queue.add(() =>
            opts.mayStart && !opts.mayStart(s.name) ? notStarted(s) : attempt(s),
          ) as Promise<SiteResult>,
        opts.emit,
      );
      // Left untouched: no outcome, no line, not in the results (the rollout names the wave's sites not started).
      if (result.status === 'not-started') return undefined;
      if (isBusy(result)) opts.settled?.(result);
      opts.emit({
        site: s.name,
        kind: 'done',
        status: result.status,
        detail:
          result.status === 'failed'
            ? `FAILED: ${result.detail}`
            : result.status === 'deferred'
              ? `DEFERRED: ${result.detail}`
              : result.detail,
      });
      return result;
    }),
  );
  return all.filter((r) => r !== undefined) as SiteResult[];
}

/** Sites under way at once for `concurrency` jobs out: per slot, its job's site and one more, being readied for the slot or finishing. */
export function sitesInFlight(concurrency: number): number {
  return 2 * concurrency;
}
