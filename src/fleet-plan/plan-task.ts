// Planning one site of a fleet: read its inventory, and either find its plan
// in the cache under the digests of everything planSite is given, or plan
// it and keep it there. The same code runs in a worker thread and in the
// main thread, so the path taken never changes the answer. planSite itself
// is a black box here: only its explicit inputs make the key.
import type { Catalog, CatalogPackage } from '../catalog/catalog.js';
import type { Inventory } from '../observed/types.js';
import { catalogFromFile } from '../catalog/load.js';
import type { ResolvedSite } from '../desired/types.js';
import { InputError, type Problem } from '../errors.js';
import { PkgnameTable } from '../observed/pkgname-table.js';
import { planSite } from '../plan/plan-site.js';
import { PLANNER_VERSION } from '../plan/planner-version.js';
import type { SitePlan } from '../plan/types.js';
import { sha256 } from '../plan-cache/digest.js';
import { readPlanEntry, writePlanEntry } from '../plan-cache/plan-store.js';
import { readInventoryInput, type FileRead, type InventoryOrigin } from './inventory-input.js';
import { countsOf, type SiteCounts } from '../plan-cache/site-counts.js';

export type Kept = 'full' | 'counts';

/** A PKG_PATH's pkg_summary as read once for the whole run. */
export type CatalogInput =
  { location: string; digest: string; name: string; data: Uint8Array } | { location: string; error: string };

export interface FleetInputs {
  sites: readonly ResolvedSite[];
  siteDigests: readonly string[];
  /** Per site, which of `catalogs` it is planned against. */
  catalogOf: readonly number[];
  catalogs: readonly CatalogInput[];
  /** The catalog was named on the command line: a bad one is bad input, not a site failure. */
  catalogIsInput: boolean;
  origin: InventoryOrigin;
  kept: Kept;
  /** Where cached plans live; none when undefined. */
  cacheDir: string | undefined;
}

export type SiteOutcome =
  | { json: string; counts: SiteCounts; files: FileRead[]; key?: string; cached: boolean }
  | { problems: Problem[]; files: FileRead[] };

export function planKey(siteDigest: string, inventoryKey: string, catalogDigest: string, kept: Kept): string {
  return sha256('plan', String(PLANNER_VERSION), siteDigest, inventoryKey, catalogDigest, kept);
}

/** The site's plan JSON as `plan --json` prints it, before a hold is added. */
export function planJson(plan: SitePlan, kept: Kept): string {
  if (kept === 'full') return JSON.stringify(plan);
  const { kept: _kept, ...rest } = plan;
  return JSON.stringify(rest);
}

export class SitePlanning {
  private readonly parsed = new Map<string, Promise<Catalog | Error>>();
  /** The installed names of every site this thread reads, made once (the sites share most of them). */
  private readonly names = new PkgnameTable();

  constructor(private readonly inputs: FleetInputs) {}

  async plan(index: number): Promise<SiteOutcome> {
    const { sites, siteDigests, origin, kept, cacheDir } = this.inputs;
    const site = sites[index]!;
    let input;
    try {
      input = await readInventoryInput(origin, site.name);
    } catch (e) {
      if (e instanceof InputError) return { problems: [...e.problems], files: [] };
      throw e;
    }
    const catalog = this.inputs.catalogs[this.inputs.catalogOf[index]!]!;
    const key =
      input.key !== undefined && 'digest' in catalog
        ? planKey(siteDigests[index]!, input.key, catalog.digest, kept)
        : undefined;
    if (key !== undefined && cacheDir !== undefined) {
      const hit = await readPlanEntry(cacheDir, key);
      if (hit) return { ...hit, files: input.files, key, cached: true };
    }
    const parsed = await this.catalog(catalog);
    // From here on synchronous: the names table describes the listing read last.
    let inventory;
    try {
      inventory = input.inventory(this.names);
    } catch (e) {
      if (e instanceof InputError) return { problems: [...e.problems], files: input.files };
      throw e;
    }
    if (parsed instanceof InputError && this.inputs.catalogIsInput)
      return { problems: [...parsed.problems], files: input.files };
    const plan = planSite(site, inventory, parsed, { kept, ...this.offered(inventory, parsed) });
    const json = planJson(plan, kept);
    const counts = countsOf(plan);
    // A cache that cannot be written (a read-only state/) only costs the next run its shortcut.
    if (key !== undefined && cacheDir !== undefined)
      await writePlanEntry(cacheDir, key, json, counts).catch(() => undefined);
    return { json, counts, files: input.files, ...(key !== undefined ? { key } : {}), cached: false };
  }

  /**
   * What the catalog offers for each installed package, from the names
   * table (one look-up per name and thread, not per site), when the table
   * read this very listing.
   */
  private offered(inventory: Inventory | undefined, catalog: Catalog | Error): { offered?: (CatalogPackage | null)[] } {
    const entries = inventory && this.names.entriesOf(inventory.packages);
    if (!entries || catalog instanceof Error) return {};
    return { offered: this.names.offeredIn(catalog, entries, (p) => catalog.get(p)) };
  }

  private catalog(c: CatalogInput): Promise<Catalog | Error> {
    if ('error' in c) return Promise.resolve(new Error(c.error));
    let p = this.parsed.get(c.digest);
    if (!p) {
      p = catalogFromFile(c.location, Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength), c.name).catch(
        (e: Error) => e,
      );
      this.parsed.set(c.digest, p);
    }
    return p;
  }
}
