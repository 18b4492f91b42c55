// The pass over planned sites that knows the run's vulnerability lists
// (plan and the review before apply share it). Loaded only when some site
// is audited against a list.
import type { PlannedSite } from '../fleet-plan/plan-fleet.js';
import { countsOf, type SiteCounts } from '../plan-cache/site-counts.js';
import type { ResolvedSite } from '../desired/types.js';
import { planKnowingVulns, withVulnFlags } from '../vuln/job-list.js';
import { fixesAnything } from '../vuln/fixes.js';
import { CatalogCache } from '../catalog/load.js';
import { readInventoryInput, type InventoryOrigin } from '../fleet-plan/inventory-input.js';
import { planJson } from '../fleet-plan/plan-task.js';
import { ListCache } from '../vuln/list-store.js';
import type { SitePlan } from '../plan/types.js';

/**
 * The pass over each planned site that knows the run's vulnerability lists:
 * vulnerable targets are flagged after planning, so cached plans stay the
 * planner's own; a site where fix_vulnerable applies is planned again.
 */
export function vulnPass(
  sites: readonly ResolvedSite[],
  opts: { stateDir: string; origin: InventoryOrigin; catalogOverride?: string; kept: 'full' | 'counts' },
): (raw: PlannedSite) => Promise<PlannedSite> {
  const lists = sites.some((s) => s.vulnerabilities) ? new ListCache(opts.stateDir) : undefined;
  if (!lists) return (raw) => Promise.resolve(raw);
  const replan = {
    lists,
    origin: opts.origin,
    catalogs: new CatalogCache(),
    catalogOverride: opts.catalogOverride,
    kept: opts.kept,
  };
  return async (raw) =>
    !raw.site.vulnerabilities ? raw : fixesAnything(raw.site) ? fixed(replan, raw) : flagged(lists, raw);
}

async function flagged<T extends { site: ResolvedSite; json: string; counts: SiteCounts }>(
  lists: ListCache,
  p: T,
): Promise<T> {
  const before = JSON.parse(p.json) as SitePlan;
  const after = await withVulnFlags(lists, p.site, before);
  return after === before ? p : { ...p, json: JSON.stringify(after), counts: countsOf(after) };
}

/**
 * A site where fix_vulnerable applies, planned again here knowing its list
 * (the cached plans know none): rare, and only such sites pay for it.
 */
async function fixed<T extends { site: ResolvedSite; json: string; counts: SiteCounts }>(
  r: {
    lists: ListCache;
    origin: InventoryOrigin;
    catalogs: CatalogCache;
    catalogOverride?: string;
    kept: 'full' | 'counts';
  },
  p: T,
): Promise<T> {
  const inventory = (await readInventoryInput(r.origin, p.site.name)).inventory();
  const catalog = await r.catalogs.getOrError(r.catalogOverride ?? p.site.pkg_path);
  const plan = await planKnowingVulns(r.lists, p.site, inventory, catalog, { kept: r.kept });
  return { ...p, json: planJson(plan, r.kept), counts: countsOf(plan) };
}
