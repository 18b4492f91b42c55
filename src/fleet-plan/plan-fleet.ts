// The plan of a fleet, site by site in order, on every core: sites whose
// plan is in the cache under the digests of their inputs are answered from
// it; the others are planned by worker threads (or in this thread, with one
// worker or only a few sites to plan). Results come back in site order with
// a bounded number in flight, so a thousand plans never sit in memory at once.
import { availableParallelism } from 'node:os';
import { readCatalogFile } from '../catalog/load.js';
import type { ResolvedSite } from '../desired/types.js';
import { InputError } from '../errors.js';
import { CacheIndex } from '../plan-cache/cache-index.js';
import { siteDigest } from '../plan-cache/digest.js';
import { catalogDigest } from '../plan-file/digests.js';
import { stampNow } from '../plan-cache/file-stamp.js';
import { readPlanEntrySync } from '../plan-cache/plan-store.js';
import { nowNs } from '../plan-cache/stat-index.js';
import { inventoryFiles, inventoryKey, type FileRead, type InventoryOrigin } from './inventory-input.js';
import { startPool } from './pool.js';
import {
  planKey,
  SitePlanning,
  type CatalogInput,
  type FleetInputs,
  type Kept,
  type SiteOutcome,
} from './plan-task.js';

export interface FleetPlanOptions {
  sites: readonly ResolvedSite[];
  origin: InventoryOrigin;
  /** Plan every site against this PKG_PATH instead of its own. */
  catalogOverride?: string;
  kept: Kept;
  /** Where cached plans live (state/plan-cache); no cache when undefined. */
  cacheDir?: string;
  /** Threads that plan; 1 plans in this thread. Default: one per core. */
  workers?: number;
  /** Each site's digest (siteDigest), when the caller knows it already. */
  digestOf?: (site: ResolvedSite) => string;
  /** Load the packages of the sites that must be planned (they may be deferred: plan-load.ts). */
  loadPackages?: (sites: readonly ResolvedSite[]) => Promise<void>;
}

export interface PlannedSite {
  site: ResolvedSite;
  json: string;
  counts: import('../plan-cache/site-counts.js').SiteCounts;
  cached: boolean;
  /** The digest of the catalog it was planned against; undefined when that could not be read. */
  catalogDigest: string | undefined;
}

/** Fewer sites to plan than this per worker are planned here: starting threads would cost more. */
const SITES_PER_WORKER = 8;
/** Sites in flight ahead of the one being printed. */
const WINDOW = 64;

export async function* planFleet(opts: FleetPlanOptions): AsyncGenerator<PlannedSite> {
  const runStarted = nowNs();
  const inputs = await fleetInputs(opts);
  const index = opts.cacheDir !== undefined ? await CacheIndex.load(opts.cacheDir) : undefined;
  // The sites whose plan is in the cache under keys known from file stamps alone are answered
  // first: what is left decides whether threads are worth starting, and which packages to load.
  const hits = inputs.sites.map((_, i) => cachedOutcome(inputs, i, index));
  const toPlan = hits.flatMap((h, i) => (h ? [] : [i]));
  await opts.loadPackages?.(toPlan.map((i) => inputs.sites[i]!));
  const planning = subset(inputs, toPlan);
  // Asked for, the threads are started for any work; by default only when there is enough.
  const workers =
    opts.workers !== undefined
      ? Math.min(opts.workers, toPlan.length)
      : Math.min(availableParallelism(), Math.floor(toPlan.length / SITES_PER_WORKER));
  const local = toPlan.length > 0 ? new SitePlanning(planning) : undefined;
  const pool = workers > 1 ? startPool(WORKER, workers, planning) : undefined;
  const planAt = (j: number): Promise<SiteOutcome> => (pool ? (pool.run(j) as Promise<SiteOutcome>) : local!.plan(j));
  const position = new Map(toPlan.map((i, j) => [i, j]));
  const start = (i: number): Promise<SiteOutcome> => {
    const hit = hits[i];
    return hit ? Promise.resolve(hit) : planAt(position.get(i)!);
  };
  const pending = new Map<number, Promise<SiteOutcome>>();
  let scheduled = 0;
  let changed = false;
  try {
    for (let i = 0; i < inputs.sites.length; i++) {
      for (; scheduled < inputs.sites.length && scheduled < i + WINDOW; scheduled++) {
        const p = start(scheduled);
        p.catch(() => undefined);
        pending.set(scheduled, p);
      }
      const outcome = await pending.get(i)!;
      pending.delete(i);
      hits[i] = undefined;
      if ('problems' in outcome) throw new InputError(outcome.problems);
      if (index && !outcome.cached) changed = true;
      if (index && (await remember(index, inputs.sites[i]!.name, outcome.files, outcome.key, runStarted)))
        changed = true;
      const catalog = inputs.catalogs[inputs.catalogOf[i]!]!;
      yield {
        site: inputs.sites[i]!,
        json: outcome.json,
        counts: outcome.counts,
        cached: outcome.cached,
        catalogDigest: 'digest' in catalog ? catalog.digest : undefined,
      };
    }
    // Nothing new learnt (a warm run): the index on disk is already this one.
    if (changed) await index?.save().catch(() => undefined);
  } finally {
    await pool?.destroy();
  }
}

/** A site's plan from the cache, when its key is known from file stamps and the entry is intact. */
function cachedOutcome(inputs: FleetInputs, i: number, index: CacheIndex | undefined): SiteOutcome | undefined {
  if (!index || inputs.cacheDir === undefined) return undefined;
  const key = knownKey(inputs, i, index);
  const hit = key !== undefined ? readPlanEntrySync(inputs.cacheDir, key) : undefined;
  return hit ? { ...hit, files: [], key, cached: true } : undefined;
}

/** The inputs of the sites at `at` only: what the threads are given (a deferred site cannot be sent). */
function subset(inputs: FleetInputs, at: readonly number[]): FleetInputs {
  return {
    ...inputs,
    sites: at.map((i) => inputs.sites[i]!),
    siteDigests: at.map((i) => inputs.siteDigests[i]!),
    catalogOf: at.map((i) => inputs.catalogOf[i]!),
  };
}

async function fleetInputs(opts: FleetPlanOptions): Promise<FleetInputs> {
  const locations = [...new Set(opts.sites.map((s) => opts.catalogOverride ?? s.pkg_path))];
  const catalogs = await Promise.all(locations.map(readCatalogInput));
  const override = opts.catalogOverride !== undefined ? catalogs[0] : undefined;
  // A catalog named on the command line that cannot be read is bad input, not a site failure.
  if (override && 'error' in override) await readCatalogFile(override.location);
  const at = new Map(locations.map((l, i) => [l, i]));
  return {
    sites: opts.sites,
    siteDigests: opts.sites.map(opts.digestOf ?? siteDigest),
    catalogOf: opts.sites.map((s) => at.get(opts.catalogOverride ?? s.pkg_path)!),
    catalogs,
    catalogIsInput: opts.catalogOverride !== undefined,
    origin: opts.origin,
    kept: opts.kept,
    cacheDir: opts.cacheDir,
  };
}

/** The summary file as read, in memory every worker can see; its digest covers where it came from. */
async function readCatalogInput(location: string): Promise<CatalogInput> {
  try {
    const { data, name } = await readCatalogFile(location);
    const shared = new Uint8Array(new SharedArrayBuffer(data.length));
    shared.set(data);
    return { location, name, digest: catalogDigest(location, name, data), data: shared };
  } catch (e) {
    return { location, error: (e as Error).message };
  }
}

/** The plan key of a site from file stamps alone, when every file is known unchanged. */
function knownKey(inputs: FleetInputs, i: number, index: CacheIndex): string | undefined {
  const catalog = inputs.catalogs[inputs.catalogOf[i]!]!;
  if (!('digest' in catalog)) return undefined;
  const files: FileRead[] = [];
  let mtimeNs: string | undefined;
  for (const file of inventoryFiles(inputs.origin, inputs.sites[i]!.name)) {
    const stamp = stampNow(file);
    if (stamp === undefined) return undefined;
    if (stamp === 'absent') {
      files.push({ file, digest: 'absent' });
      continue;
    }
    const digest = index.stats.digestOf(file, stamp);
    if (digest === undefined) return undefined;
    mtimeNs ??= stamp.mtimeNs;
    files.push({ file, stamp, digest });
  }
  const inv = inventoryKey(inputs.origin, files, mtimeNs);
  return inv === undefined ? undefined : planKey(inputs.siteDigests[i]!, inv, catalog.digest, inputs.kept);
}

/** Note what a site's planning read and which key it used; whether the index changed. */
async function remember(
  index: CacheIndex,
  site: string,
  files: readonly FileRead[],
  key: string | undefined,
  runStarted: bigint,
): Promise<boolean> {
  let changed = false;
  for (const f of files) {
    if (f.stamp && f.digest !== 'absent')
      changed = index.stats.record(f.file, f.stamp, f.digest, runStarted) || changed;
    else changed = index.stats.forget(f.file) || changed;
  }
  if (key !== undefined) changed = (await index.use(site, key).catch(() => true)) || changed;
  return changed;
}

/** The worker's module, built; without it (the TypeScript sources) sites are planned in this thread. */
const WORKER = new URL('./plan-worker.js', import.meta.url);
