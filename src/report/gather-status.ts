// Gathering what the status report shows: desired state at HEAD, stored
// observations, the journal, holds, locks and tag restorability.
import type { Catalog } from '../catalog/catalog.js';
import { CatalogCache } from '../catalog/load.js';
import type { DesiredState } from '../desired/types.js';
import { lastReports, type ReportRecord } from '../observed/report-history.js';
import { readInventory } from '../observed/store.js';
import type { Inventory } from '../observed/types.js';
import { restorability } from '../rollback/restorability.js';
import { summarizeRollout } from '../rollout/describe.js';
import { readRollout } from '../state/rollout-file.js';
import { foldTransactions, type Transaction } from '../state/records.js';
import type { LockOwner } from '../state/site-lock.js';
import type { StateStore } from '../state/store.js';
import { fleetStatus, type FleetStatus } from './fleet-status.js';
import type { SitePlan } from '../plan/types.js';
import { auditFleet } from '../vuln/fleet-audit.js';
import { planKnowingVulns } from '../vuln/job-list.js';
import { ListCache } from '../vuln/list-store.js';
import { auditInput } from '../vuln/audit-input.js';

export interface GatheredStatus {
  status: FleetStatus;
  journalProblems: string[];
  /** The journal's transactions, oldest first (metrics count them). */
  transactions: Transaction[];
}

/** Where catalogs come from: read afresh (CatalogCache), or kept between scrapes (status-memo.ts). */
export interface CatalogSource {
  getOrError(location: string): Promise<Catalog | Error>;
}

export async function gatherStatus(
  desired: DesiredState,
  state: StateStore,
  catalogOverride?: string,
  catalogs: CatalogSource = new CatalogCache(),
  /** How the vulnerability lists are refreshed (see ListCache); `serve` asks at most hourly. */
  refreshLists: boolean | number = true,
): Promise<GatheredStatus> {
  const inventories = new Map<string, Inventory>();
  const locks = new Map<string, LockOwner>();
  const reports = new Map<string, { count: number; last: ReportRecord[] }>();
  // Observations, site reports and list caches are per machine: under the local directory whichever the store.
  const stateDir = state.localDir;
  for (const s of desired.sites) {
    const { count, reports: last } = await lastReports(stateDir, s.name, 2);
    if (count > 0) reports.set(s.name, { count, last });
    const inv = await readInventory(stateDir, s.name);
    if (inv) inventories.set(s.name, inv);
    const lock = await state.locks.holder(s.name);
    if (lock) locks.set(s.name, lock);
  }
  const { records, problems } = await state.journal.readAll();
  const transactions = foldTransactions(records);
  const tagSites = await Promise.all(
    desired.sites.map(async (s) => ({
      name: s.name,
      catalog: await catalogs.getOrError(catalogOverride ?? s.pkg_path),
      installed: new Set(inventories.get(s.name)?.packages.map((p) => p.pkgname) ?? []),
    })),
  );
  const lists = desired.sites.some((s) => s.vulnerabilities)
    ? new ListCache(stateDir, { refresh: refreshLists })
    : undefined;
  // Drift is what the planner says it is, nothing else (see fleet-status.ts
  // planDrifts), and as `plan` makes it: knowing each site's vulnerability
  // list, so a fix_vulnerable upgrade or a refused target shows here too.
  const plans = new Map<string, SitePlan>();
  for (const [i, s] of desired.sites.entries()) {
    const inv = inventories.get(s.name);
    if (inv) plans.set(s.name, await planKnowingVulns(lists, s, inv, tagSites[i]!.catalog, { kept: 'full' }));
  }
  const audit = lists
    ? await auditFleet(desired.sites, (s) => Promise.resolve(auditInput(inventories.get(s.name))), lists, new Date())
    : undefined;
  const status = fleetStatus({
    revision: desired.revision,
    sites: desired.sites,
    inventories,
    plans,
    reports,
    transactions,
    holds: await state.holds.list(),
    locks,
    tags: transactions.some((t) => t.begin.tags.length > 0) ? restorability(transactions, tagSites) : [],
    ...(audit ? { audit } : {}),
    now: new Date().toISOString(),
  });
  const rollout = await readRollout(stateDir);
  if (rollout) {
    const waiting = rollout.revision !== desired.revision ? desired.revision : undefined;
    status.rollout = summarizeRollout(rollout, Date.now(), rollout.status === 'running' ? waiting : undefined);
  }
  return { status, transactions, journalProblems: problems };
}
