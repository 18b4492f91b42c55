// planSite: (desired site, observed inventory, catalog) → SitePlan. Pure and
// deterministic. Desired and installed are paired by package name with
// explicit absence on either side; the action follows from the pair.
import type { Catalog, CatalogPackage } from '../catalog/catalog.js';
import { matchesAll } from '../catalog/catalog.js';
import { formatLocation } from '../errors.js';
import type { DesiredPackage, ResolvedSite } from '../desired/types.js';
import type { InstalledPackage, Inventory } from '../observed/types.js';
import { compareParsed, parseVersionCached } from '../pkgsrc/version.js';
import { DependencyIndex } from './dependencies.js';
import { orderChanges, orderRemovals } from './order.js';
import type { KeptPackage, PlanAction, PlanProblem, SitePlan } from './types.js';

export function planSite(site: ResolvedSite, inventory: Inventory | undefined, catalog: Catalog | Error): SitePlan {
  if (!inventory) {
    return { site: site.name, status: 'unobserved', actions: [], kept: [], errors: [{ message: `no observation of ${site.name}; run 'reconcile observe' or plan with --observed DIR` }] };
  }
  const observed = { at: inventory.observedAt, source: inventory.source };
  if (catalog instanceof Error) {
    return { site: site.name, status: 'error', actions: [], kept: [], errors: [{ message: catalog.message }], observed };
  }
  const p = new SitePlanner(site, inventory, catalog);
  p.plan();
  return { site: site.name, status: p.errors.length > 0 ? 'error' : 'ok', actions: p.actions(), kept: p.kept, errors: p.errors, observed };
}

class SitePlanner {
  readonly kept: KeptPackage[] = [];
  readonly errors: PlanProblem[] = [];
  private readonly changes: PlanAction[] = [];
  private readonly removals: PlanAction[] = [];
  private readonly installed = new Map<string, InstalledPackage[]>();
  private readonly protect: Set<string>;
  /** Installed packages nobody declared that are candidates for removal. */
  private readonly undeclared: InstalledPackage[] = [];
  private readonly automaticUndeclared: InstalledPackage[] = [];
  private readonly automaticSet = new Set<InstalledPackage>();
  private readonly absentRemovals: { pkg: InstalledPackage; action: PlanAction }[] = [];

  constructor(
    private readonly site: ResolvedSite,
    private readonly inventory: Inventory,
    private readonly catalog: Catalog,
  ) {
    this.protect = new Set(site.protect);
    for (const pkg of inventory.packages) {
      const list = this.installed.get(pkg.name);
      if (list) list.push(pkg);
      else this.installed.set(pkg.name, [pkg]);
    }
  }

  plan(): void {
    const declared = new Set<string>();
    for (const d of this.site.packages) {
      declared.add(d.name);
      this.planDesired(d, this.installed.get(d.name) ?? []);
    }
    for (const pkg of this.inventory.packages) {
      if (!declared.has(pkg.name)) this.planUndeclared(pkg);
    }
    this.planRemovals();
  }

  actions(): PlanAction[] {
    return [...orderChanges(this.changes, (n) => this.catalog.get(n)?.depends ?? []), ...this.removals];
  }

  private planDesired(d: DesiredPackage, installed: InstalledPackage[]): void {
    const sources = d.sources.map(formatLocation);
    if (d.state === 'frozen') {
      if (installed.length === 0) this.kept.push({ name: d.name, reason: 'frozen', detail: `frozen at ${sources[0]}; not installed, left so` });
      for (const i of installed) this.kept.push({ name: d.name, pkgname: i.pkgname, reason: 'frozen', detail: `frozen at ${sources[0]}` });
      return;
    }
    if (d.state === 'absent') {
      for (const i of installed) {
        if (this.protect.has(d.name)) {
          this.kept.push({ name: d.name, pkgname: i.pkgname, reason: 'protected', detail: `declared absent at ${sources[0]} but protected; not removed` });
        } else {
          const action: PlanAction = { action: 'remove', name: d.name, pkgname: i.pkgname, reason: `declared absent at ${sources.join(', ')}`, sources };
          this.absentRemovals.push({ pkg: i, action });
        }
      }
      return;
    }
    const satisfied = installed.find((i) => matchesAll(d.patterns, i.pkgname));
    if (satisfied) {
      this.kept.push({ name: d.name, pkgname: satisfied.pkgname, reason: 'in-sync', detail: `matches ${d.patterns.join(' and ')}` });
      return;
    }
    const target = this.catalog.resolve(d.name, d.patterns);
    if (!target) {
      this.errors.push({ name: d.name, message: this.noMatchMessage(d), sources });
      return;
    }
    this.changes.push(this.changeFor(d, installed[0], target, sources));
  }

  private changeFor(d: DesiredPackage, current: InstalledPackage | undefined, target: CatalogPackage, sources: string[]): PlanAction {
    const wanted = d.patterns.join(' and ');
    if (!current) return { action: 'install', name: d.name, pkgname: target.pkgname, reason: `wanted: ${wanted} (${sources.join(', ')})`, sources };
    const cmp = compareParsed(parseVersionCached(target.version), parseVersionCached(current.version));
    return {
      action: cmp < 0 ? 'downgrade' : 'upgrade',
      name: d.name,
      pkgname: target.pkgname,
      from: current.pkgname,
      reason: `installed ${current.pkgname} does not match ${wanted} (${sources.join(', ')})`,
      sources,
    };
  }

  private noMatchMessage(d: DesiredPackage): string {
    const offered = this.catalog.versionsOf(d.name).map((c) => c.pkgname);
    const listing = offered.length === 0 ? `no version of ${d.name} is offered` : `offered: ${offered.slice(0, 6).join(', ')}${offered.length > 6 ? ', …' : ''}`;
    return `no package in ${this.catalog.location} matches ${d.patterns.join(' and ')} (${listing})`;
  }

  private planUndeclared(pkg: InstalledPackage): void {
    if (this.protect.has(pkg.name)) {
      this.kept.push({ name: pkg.name, pkgname: pkg.pkgname, reason: 'protected', detail: pkg.name === 'pkg_install' ? 'the package tools are always protected' : 'listed in protect' });
    } else if (pkg.automatic) {
      this.automaticUndeclared.push(pkg);
      this.automaticSet.add(pkg);
    } else if (this.site.userpkgs) {
      this.kept.push({ name: pkg.name, pkgname: pkg.pkgname, reason: 'unmanaged', detail: 'not declared; userpkgs leaves it alone' });
    } else {
      this.undeclared.push(pkg);
    }
  }

  /**
   * Removal must not strand what stays: a package still required by one
   * that stays is kept (if undeclared) or is an error (if declared absent).
   * Automatic packages go only under autoremove, and only when nothing left
   * needs them.
   */
  private planRemovals(): void {
    const deps = new DependencyIndex(this.catalog);
    const removing = new Set<InstalledPackage>([...this.undeclared, ...this.absentRemovals.map((r) => r.pkg)]);
    const staying = this.stayingPackages(removing);
    const keepRequired = deps.requiredAmong(this.undeclared, staying);
    for (const [pkg, by] of keepRequired) {
      removing.delete(pkg);
      this.kept.push({ name: pkg.name, pkgname: pkg.pkgname, reason: 'required', detail: `not declared, but required by ${by}` });
    }
    for (const r of this.absentRemovals) {
      const by = deps.requiredBy(r.pkg, staying);
      if (by) {
        this.errors.push({ name: r.pkg.name, message: `${r.pkg.pkgname} is declared absent but still required by ${by}`, sources: r.action.sources ?? [] });
        removing.delete(r.pkg);
      }
    }
    const removals = this.absentRemovals.filter((r) => removing.has(r.pkg)).map((r) => r.action);
    for (const pkg of this.undeclared) {
      if (removing.has(pkg)) removals.push({ action: 'remove', name: pkg.name, pkgname: pkg.pkgname, reason: 'not in the desired state' });
    }
    this.removals.push(...orderRemovals(removals, deps.dependsOf), ...this.autoremovals(deps, removing));
  }

  private autoremovals(deps: DependencyIndex, removing: Set<InstalledPackage>): PlanAction[] {
    if (!this.site.autoremove || this.automaticUndeclared.length === 0) {
      for (const pkg of this.automaticUndeclared) this.kept.push({ name: pkg.name, pkgname: pkg.pkgname, reason: 'automatic', detail: 'installed as a dependency' });
      return [];
    }
    const roots = this.stayingPackages(removing, false);
    const unknown = roots.filter((s) => !deps.knows(s));
    if (unknown.length > 0) {
      const detail = `installed as a dependency; autoremove skipped: dependencies of ${unknown[0]}${unknown.length > 1 ? ` and ${unknown.length - 1} more` : ''} are not in the catalog`;
      for (const pkg of this.automaticUndeclared) this.kept.push({ name: pkg.name, pkgname: pkg.pkgname, reason: 'automatic', detail });
      return [];
    }
    const { remove, keep } = deps.unneeded(this.automaticUndeclared, roots);
    for (const [pkg, by] of keep) this.kept.push({ name: pkg.name, pkgname: pkg.pkgname, reason: 'automatic', detail: `installed as a dependency of ${by}` });
    const actions = remove.map((pkg): PlanAction => ({ action: 'remove', name: pkg.name, pkgname: pkg.pkgname, reason: 'automatic dependency no longer required (autoremove)' }));
    return orderRemovals(actions, deps.dependsOf);
  }

  /** The package names the site will have after the plan; automatic undeclared ones only when asked. */
  private stayingPackages(removing: Set<InstalledPackage>, withAutomatic = true): string[] {
    const replaced = new Set(this.changes.flatMap((c) => (c.from ? [c.from] : [])));
    const out: string[] = [];
    for (const pkg of this.inventory.packages) {
      if (!removing.has(pkg) && !replaced.has(pkg.pkgname) && (withAutomatic || !this.automaticSet.has(pkg))) out.push(pkg.pkgname);
    }
    for (const c of this.changes) out.push(c.pkgname);
    return out;
  }
}
