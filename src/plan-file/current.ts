// Read again what a reviewed plan was made from: the commit its rev names,
// and per site its observation (state/observed, which stays per machine),
// catalog, hold and open transactions (from the run's state store). The run
// checks each observation once more under the site's lock.
import { readCatalogFile } from '../catalog/load.js';
import type { ResolvedSite } from '../desired/types.js';
import { readInventory } from '../observed/store.js';
import { siteDigest } from '../plan-cache/digest.js';
import type { HoldStore, JournalStore } from '../run/ports.js';
import { catalogDigest, observationDigest } from './digests.js';
import type { PlanFile } from './plan-file.js';
import type { CurrentInputs, CurrentSite } from './staleness.js';

export async function currentInputs(
  plan: PlanFile,
  revision: string,
  sites: ReadonlyMap<string, ResolvedSite>,
  stateDir: string,
  state: { journal: JournalStore; holds: HoldStore },
): Promise<CurrentInputs> {
  const catalogs = await catalogDigests([...new Set(plan.sites.map((s) => s.catalog.location))]);
  const out = new Map<string, CurrentSite>();
  for (const s of plan.sites) {
    const site = sites.get(s.site);
    const open = site ? await state.journal.openTransactions(s.site) : [];
    out.set(s.site, {
      desired: site ? siteDigest(site) : undefined,
      observation: site ? await observationNow(stateDir, s.site) : null,
      catalog: catalogs.get(s.catalog.location) ?? null,
      held: site ? (await state.holds.read(s.site)) !== undefined : false,
      ...(open.length > 0 ? { inFlight: open[0]!.txid } : {}),
    });
  }
  return { revision, sites: out };
}

/** The digest, time and source of a site's stored observation, or null. */
export async function observationNow(
  stateDir: string,
  site: string,
): Promise<{ digest: string; at: string; source: string } | null> {
  const inv = await readInventory(stateDir, site);
  return inv ? { digest: observationDigest(inv)!, at: inv.observedAt, source: inv.source } : null;
}

/** Each location's catalog digest, the way the planner keys it; absent when it cannot be read. */
export async function catalogDigests(locations: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    locations.map(async (l) => {
      const read = await readCatalogFile(l).catch(() => undefined);
      if (read) out.set(l, catalogDigest(l, read.name, read.data));
    }),
  );
  return out;
}
