// A rollback's plan: the desired state becomes "exactly these PKGNAMEs"
// (downgrades included), planned by the ordinary planner so the same rules
// hold (protected, frozen and — under userpkgs — unmanaged packages stay).
// Pure.
import type { Catalog } from '../catalog/catalog.js';
import type { DesiredPackage, ResolvedSite } from '../desired/types.js';
import type { Inventory } from '../observed/types.js';
import { planSite } from '../plan/plan-site.js';
import type { SitePlan } from '../plan/types.js';
import type { RestorePoint } from './restore-point.js';

export type RollbackPlan = { ok: true; plan: SitePlan } | { ok: false; missing: string[]; reason: string };

export function planRestore(
  site: ResolvedSite,
  point: RestorePoint,
  inventory: Inventory,
  catalog: Catalog,
): RollbackPlan {
  const installed = new Set(inventory.packages.map((p) => p.pkgname));
  // Only what must be (re)installed has to be on offer; what is there already stays as it is.
  const missing = point.packages.filter((p) => !installed.has(p) && !catalog.get(p));
  if (missing.length > 0)
    return { ok: false, missing, reason: `no longer in ${catalog.location}: ${missing.join(', ')}` };
  const auto = new Set(point.automatic);
  // Frozen stays frozen, even against the tag's package set.
  const frozen = site.packages.filter((d) => d.state === 'frozen');
  const frozenNames = new Set(frozen.map((f) => f.name));
  const packages: DesiredPackage[] = point.packages
    .map((pkgname): DesiredPackage => {
      const name = pkgname.slice(0, pkgname.lastIndexOf('-'));
      return { name, patterns: [pkgname], state: 'present', sources: [{ file: `transaction ${point.txid}` }], via: [] };
    })
    .filter((p) => !frozenNames.has(p.name));
  // What HEAD declares but the tag did not have is managed, so it goes even
  // under userpkgs; an exact restore also takes away dependencies the tag
  // did not have (autoremove).
  const restoredNames = new Set(packages.map((p) => p.name));
  const gone: DesiredPackage[] = site.packages
    .filter((d) => d.state !== 'frozen' && !restoredNames.has(d.name))
    .map((d) => ({ ...d, patterns: [d.name], state: 'absent' }));
  const restored: ResolvedSite = {
    ...site,
    autoremove: true,
    packages: [...packages, ...gone, ...frozen].sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
  const plan = planSite(restored, inventory, catalog);
  if (plan.status !== 'ok') return { ok: false, missing: [], reason: plan.errors.map((e) => e.message).join('; ') };
  // Installed with -A, it ends automatic whatever pkg_add would otherwise leave: no flag step is needed.
  for (const a of plan.actions)
    if (a.action !== 'remove' && auto.has(a.pkgname)) {
      a.automatic = true;
      delete a.flag;
    }
  return { ok: true, plan };
}
