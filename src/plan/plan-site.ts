// planSite: (desired site, observed inventory, catalog) → SitePlan. Pure and
// deterministic. Desired and installed are paired by package name with
// explicit absence on either side; the action follows from the pair.
import type { Catalog, CatalogLookup, CatalogPackage } from '../catalog/catalog.js';
import { matcherFor, matchesAll, SiteCatalog } from '../catalog/catalog.js';
import { formatLocation } from '../errors.js';
import type { DesiredPackage, ResolvedSite } from '../desired/types.js';
import type { InstalledPackage, Inventory } from '../observed/types.js';
import { cachedPatternBase, patternKey } from '../pkgsrc/name-index.js';
import { compareParsed, parseVersionCached } from '../pkgsrc/version.js';
import { DependencyIndex, pulledBy, type Staying } from './dependencies.js';
import { findConflicts, pulledButUnwanted } from './conflicts.js';
import { fitDependants, mobilityOf } from './dependants.js';
import { orderChanges, orderRemovals } from './order.js';
import { sequenceActions } from './sequence.js';
import type { KeepReason, KeptPackage, PlanAction, PlanProblem, Replacement, SitePlan } from './types.js';

/**
 * With `kept: 'counts'` the plan lists no kept packages, only how many were
 * kept for each reason (keptCounts): what `plan` prints without -v, and far
 * cheaper at sites with thousands of packages.
 */
export function planSite(
  site: ResolvedSite,
  inventory: Inventory | undefined,
  catalog: Catalog | Error,
  opts: {
    kept?: 'full' | 'counts';
    replace?: ReadonlyMap<string, Replacement>;
    /** What the catalog offers for each installed package (inventory order), when already known: saves the look-ups. */
    offered?: readonly (CatalogPackage | null)[];
  } = {},
): SitePlan {
  if (!inventory) {
    return {
      site: site.name,
      status: 'unobserved',
      actions: [],
      kept: [],
      errors: [{ message: `no observation of ${site.name}; run 'reconcile observe' or plan with --observed DIR` }],
    };
  }
  const observed = { at: inventory.observedAt, source: inventory.source };
  if (catalog instanceof Error) {
    return {
      site: site.name,
      status: 'error',
      actions: [],
      kept: [],
      errors: [{ message: catalog.message }],
      observed,
    };
  }
  const p = new SitePlanner(
    site,
    inventory,
    new SiteCatalog(catalog, opts.offered ? { packages: inventory.packages, offered: opts.offered } : undefined),
    opts.kept !== 'counts',
    opts.replace,
  );
  p.plan();
  const actions = p.actions();
  const notes = p.notes();
  const bootstrap = bootstrapOf(site, inventory, actions.length > 0 || site.checks.length > 0);
  if (bootstrap.error) p.errors.push(bootstrap.error);
  return {
    site: site.name,
    status: p.errors.length > 0 ? 'error' : 'ok',
    actions,
    kept: p.kept,
    keptCounts: p.keptCounts,
    errors: p.errors,
    ...(notes.length > 0 ? { notes } : {}),
    ...(bootstrap.kit !== undefined ? { bootstrap: bootstrap.kit } : {}),
    observed,
  };
}

/**
 * A job found no pkg_install in the prefix: every job records the tools'
 * version when they are there (an import or a listing cannot tell).
 */
function toolsAbsent(inventory: Inventory): boolean {
  return inventory.source === 'job' && inventory.pkgToolsVersion === undefined && inventory.packages.length === 0;
}

/** The job bootstraps pkgsrc first from the site's kit; without one, a job that must run cannot. */
function bootstrapOf(
  site: ResolvedSite,
  inventory: Inventory,
  jobNeeded: boolean,
): { kit?: string; error?: PlanProblem } {
  if (!toolsAbsent(inventory)) return {};
  if (site.bootstrap !== undefined) return { kit: site.bootstrap };
  if (!jobNeeded) return {};
  return {
    error: {
      kind: 'bootstrap',
      message: `bootstrap: no pkg_install in ${site.prefix} and no bootstrap kit configured for this site (the job of ${inventory.origin} found none); set 'bootstrap:' for it in sites.yaml, or install pkgsrc there`,
      sources: [formatLocation(site.source)],
    },
  };
}

class SitePlanner {
  readonly kept: KeptPackage[] = [];
  readonly keptCounts: Partial<Record<KeepReason, number>> = {};
  readonly errors: PlanProblem[] = [];
  private readonly changes: PlanAction[] = [];
  private readonly removals: PlanAction[] = [];
  private readonly installed = new Map<string, InstalledPackage[]>();
  private readonly protect: Set<string>;
  /** Installed packages nobody declared that are candidates for removal. */
  private readonly undeclared: InstalledPackage[] = [];
  private readonly automaticUndeclared: InstalledPackage[] = [];
  private readonly absentRemovals: { pkg: InstalledPackage; action: PlanAction }[] = [];
  /** Installed packages the catalog does not offer (worked out when first needed). */
  private unoffered: InstalledPackage[] | undefined;
  private deps: DependencyIndex | undefined;
  /** What pkg_add will pull in for the changes. */
  private pulled: string[] = [];

  constructor(
    private readonly site: ResolvedSite,
    private readonly inventory: Inventory,
    private readonly catalog: CatalogLookup,
    private readonly full: boolean,
    private readonly replace: ReadonlyMap<string, Replacement> | undefined,
  ) {
    this.protect = new Set(site.protect);
    for (const pkg of inventory.packages) {
      const list = this.installed.get(pkg.name);
      if (list) list.push(pkg);
      else this.installed.set(pkg.name, [pkg]);
    }
  }

  private readonly declared = new Map<string, DesiredPackage>();

  plan(): void {
    for (const d of this.site.packages) {
      this.declared.set(d.name, d);
      this.planDesired(d, this.installed.get(d.name) ?? []);
    }
    for (const pkg of this.inventory.packages) {
      if (!this.declared.has(pkg.name)) this.planUndeclared(pkg);
    }
    this.deps = new DependencyIndex(this.catalog, this.inventory.packages);
    const fit = fitDependants(
      {
        catalog: this.catalog,
        installed: this.inventory.packages,
        declared: this.declared,
        mobility: (p) =>
          mobilityOf(p, this.declared.get(p.name), {
            protect: this.protect,
            userListKnown: this.inventory.userListKnown,
            autoremove: this.site.autoremove,
            userpkgs: this.site.userpkgs,
          }),
        dependsOf: this.deps.dependsOf,
        notFromCatalog: this.deps.notFromCatalog,
      },
      this.changes,
    );
    this.errors.push(...fit);
    this.planRemovals();
    this.errors.push(...pulledButUnwanted(this.catalog, this.changes, this.pulled, this.declared), ...this.conflicts());
  }

  /** CONFLICTS between what the plan brings in and what the site will have. */
  private conflicts(): PlanProblem[] {
    const leaving = new Set([...this.removals.map((r) => r.pkgname), ...this.changes.flatMap((c) => c.from ?? [])]);
    const byTarget = new Map(this.changes.map((c) => [c.pkgname, c]));
    return findConflicts({
      catalog: this.catalog,
      incoming: [...this.changes.map((c) => c.pkgname), ...this.pulled],
      staying: this.inventory.packages.map((p) => p.pkgname).filter((p) => !leaving.has(p)),
      declared: this.declared,
      actionFor: (p) => byTarget.get(p),
    });
  }

  /** What the plan should say besides its actions: where it fell back on the catalog for installed packages' DEPENDS. */
  notes(): string[] {
    const guessed = this.deps?.fromCatalog(3) ?? { count: 0, first: [] };
    if (guessed.count === 0) return [];
    const which = `${guessed.first.join(', ')}${guessed.count > 3 ? ` and ${guessed.count - 3} more` : ''}`;
    return [
      `the observation does not record what ${which} depend${guessed.count === 1 ? 's' : ''} on (pkg_info -n); taken from the catalog instead: observe the site again to plan from the site's own package database`,
    ];
  }

  /** Record a package left alone; its explanation is only built when a full plan is wanted. */
  private keep(reason: KeepReason, name: string, pkgname: string | undefined, detail: () => string): void {
    this.keptCounts[reason] = (this.keptCounts[reason] ?? 0) + 1;
    if (!this.full) return;
    this.kept.push(
      pkgname === undefined ? { name, reason, detail: detail() } : { name, pkgname, reason, detail: detail() },
    );
  }

  /** The actions in the order the tools can carry them out; none can be is an error of the site. */
  actions(): PlanAction[] {
    const preferred = [...orderChanges(this.changes, (n) => this.catalog.get(n)?.depends ?? []), ...this.removals];
    if (preferred.length === 0 || this.errors.length > 0) return preferred;
    const deps = this.deps!;
    const installed = this.inventory.packages.map((p) => ({
      pkgname: p.pkgname,
      name: p.name,
      automatic: p.automatic,
      depends: deps.dependsOf(p.pkgname),
    }));
    const { actions, blocked } = sequenceActions(preferred, installed, this.catalog);
    for (const a of actions) {
      const old = a.from === undefined ? undefined : this.installed.get(a.name)?.find((p) => p.pkgname === a.from);
      if (old && this.catalog.get(old.pkgname)) a.undo = { pkgname: old.pkgname, automatic: old.automatic };
    }
    if (blocked) {
      const a = blocked.action;
      this.errors.push({
        kind: 'unorderable',
        name: a.name,
        message: `pkg_add cannot carry out this plan in any order: ${a.action} ${a.pkgname} is refused (${blocked.why})`,
        sources: a.sources ?? [],
        packages: [a.pkgname],
      });
    }
    return actions;
  }

  private planDesired(d: DesiredPackage, installed: InstalledPackage[]): void {
    const sources = d.sources.map(formatLocation);
    if (d.state === 'frozen') {
      if (installed.length === 0)
        this.keep('frozen', d.name, undefined, () => `frozen at ${sources[0]}; not installed, left so`);
      for (const i of installed) this.keep('frozen', d.name, i.pkgname, () => `frozen at ${sources[0]}`);
      return;
    }
    if (d.state === 'absent') {
      for (const i of installed) {
        if (this.protect.has(d.name)) {
          this.keep(
            'protected',
            d.name,
            i.pkgname,
            () => `declared absent at ${sources[0]} but protected; not removed`,
          );
        } else {
          const action: PlanAction = {
            action: 'remove',
            name: d.name,
            pkgname: i.pkgname,
            reason: `declared absent at ${sources.join(', ')}`,
            sources,
          };
          this.absentRemovals.push({ pkg: i, action });
        }
      }
      return;
    }
    const satisfied = installed.find((i) => matchesAll(d.patterns, i.pkgname));
    const replacement = satisfied && this.replace?.get(satisfied.pkgname);
    const to = replacement && this.catalog.get(replacement.pkgname);
    if (satisfied && replacement && to && to.name === d.name && matchesAll(d.patterns, to.pkgname)) {
      this.changes.push(fixFor(d, satisfied, to, replacement, sources));
      return;
    }
    if (satisfied) {
      this.keep('in-sync', d.name, satisfied.pkgname, () => `matches ${d.patterns.join(' and ')}`);
      return;
    }
    const target = this.catalog.resolve(d.name, d.patterns);
    if (!target) {
      this.errors.push({ kind: 'no-match', name: d.name, message: this.noMatchMessage(d), sources });
      return;
    }
    this.changes.push(this.changeFor(d, installed[0], target, sources));
  }

  private changeFor(
    d: DesiredPackage,
    current: InstalledPackage | undefined,
    target: CatalogPackage,
    sources: string[],
  ): PlanAction {
    const wanted = d.patterns.join(' and ');
    if (!current)
      return {
        action: 'install',
        name: d.name,
        pkgname: target.pkgname,
        reason: `wanted: ${wanted} (${sources.join(', ')})`,
        sources,
      };
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
    const listing =
      offered.length === 0
        ? `no version of ${d.name} is offered`
        : `offered: ${offered.slice(0, 6).join(', ')}${offered.length > 6 ? ', …' : ''}`;
    return `no package in ${this.catalog.location} matches ${d.patterns.join(' and ')} (${listing})`;
  }

  private planUndeclared(pkg: InstalledPackage): void {
    if (this.protect.has(pkg.name)) {
      this.keep('protected', pkg.name, pkg.pkgname, () =>
        pkg.name === 'pkg_install' ? 'the package tools are always protected' : 'listed in protect',
      );
    } else if (!this.inventory.userListKnown) {
      this.keep(
        'unmanaged',
        pkg.name,
        pkg.pkgname,
        () => 'not declared; without a pkg_info -u listing it may be a dependency, so it is not removed',
      );
    } else if (pkg.automatic) {
      this.automaticUndeclared.push(pkg);
    } else if (this.site.userpkgs) {
      this.keep('unmanaged', pkg.name, pkg.pkgname, () => 'not declared; userpkgs leaves it alone');
    } else {
      this.undeclared.push(pkg);
    }
  }

  /**
   * Removal must not strand what stays. The packages that stay for certain
   * (declared, protected, unmanaged, the new versions, and what pkg_add will
   * pull in for them) are roots; an undeclared package is kept only when a
   * root needs it, directly or through another kept package. Automatic
   * packages are roots too unless autoremove lets the unneeded ones go.
   */
  private planRemovals(): void {
    // An automatic package replaced so that its dependants fit is neither kept as it is nor removed.
    const replaced = new Set(this.changes.flatMap((c) => (c.from ? [c.from] : [])));
    for (let i = this.automaticUndeclared.length - 1; i >= 0; i--)
      if (replaced.has(this.automaticUndeclared[i]!.pkgname)) this.automaticUndeclared.splice(i, 1);
    const roots = this.rootPackages();
    this.pulled = pulledBy(
      this.catalog,
      this.changes.map((c) => c.pkgname),
      (p) => this.findInstalled(p),
    );
    roots.push(...this.pulled);
    const deps = this.deps!;
    // `staying`: the roots, the automatic packages unless autoremoved, and the needed ones.
    const { autoremove, needed, blocker, staying } = this.decideNeeded(roots, deps);
    const removals: PlanAction[] = [];
    for (const r of this.absentRemovals) {
      const by = deps.requiredBy(r.pkg.pkgname, staying);
      if (by)
        this.errors.push({
          kind: 'required',
          name: r.pkg.name,
          message: `${r.pkg.pkgname} is declared absent but still required by ${by}`,
          sources: r.action.sources ?? [],
        });
      else removals.push(r.action);
    }
    for (const pkg of this.undeclared) {
      const by = needed.get(pkg);
      if (by) this.keep('required', pkg.name, pkg.pkgname, () => `not declared, but required by ${by}`);
      else
        removals.push({ action: 'remove', name: pkg.name, pkgname: pkg.pkgname, reason: 'not in the desired state' });
    }
    const autoremovals: PlanAction[] = [];
    for (const pkg of this.automaticUndeclared) {
      const by = needed.get(pkg);
      if (autoremove && !by)
        autoremovals.push({
          action: 'remove',
          name: pkg.name,
          pkgname: pkg.pkgname,
          reason: 'automatic dependency no longer required (autoremove)',
        });
      else this.keep('automatic', pkg.name, pkg.pkgname, () => automaticDetail(by, this.site.autoremove, blocker));
    }
    // One order for both: an autoremoved dependant must still go before what it needs.
    const auto = new Set(autoremovals);
    this.removals.push(...orderRemovals([...removals, ...autoremovals], deps.dependsOf, (a) => auto.has(a)));
  }

  /**
   * Which removal candidates something staying needs. Under autoremove the
   * automatic packages are candidates too, unless a package that stays has
   * dependencies the catalog does not know (then nothing automatic can be
   * shown unneeded, and they all stay).
   */
  private decideNeeded(
    roots: string[],
    deps: DependencyIndex,
  ): { autoremove: boolean; needed: Map<InstalledPackage, string>; blocker?: string; staying: Staying } {
    const automatic = this.automaticUndeclared;
    if (this.site.autoremove && automatic.length > 0) {
      const { kept: needed, staying } = deps.requiredAmongStaying([...this.undeclared, ...automatic], roots);
      const stayingNames = [...roots, ...[...needed.keys()].map((p) => p.pkgname)];
      const unknown = stayingNames.filter((p) => !deps.knows(p));
      if (unknown.length === 0) return { autoremove: true, needed, staying };
      const blocker = `dependencies of ${unknown[0]}${unknown.length > 1 ? ` and ${unknown.length - 1} more` : ''} are not in the catalog`;
      const rest = deps.requiredAmongStaying(this.undeclared, [...roots, ...automatic.map((p) => p.pkgname)]);
      return { autoremove: false, needed: rest.kept, blocker, staying: rest.staying };
    }
    const { kept: needed, staying } = deps.requiredAmongStaying(this.undeclared, [
      ...roots,
      ...automatic.map((p) => p.pkgname),
    ]);
    return { autoremove: false, needed, staying };
  }

  /** Installed packages that stay whatever the dependencies say, plus the new versions. */
  private rootPackages(): string[] {
    const leaving = new Set<InstalledPackage>([
      ...this.undeclared,
      ...this.automaticUndeclared,
      ...this.absentRemovals.map((r) => r.pkg),
    ]);
    const replaced = new Set(this.changes.flatMap((c) => (c.from ? [c.from] : [])));
    const out = this.inventory.packages
      .filter((p) => !leaving.has(p) && !replaced.has(p.pkgname))
      .map((p) => p.pkgname);
    for (const c of this.changes) out.push(c.pkgname);
    return out;
  }

  /** Whether some installed package (the job runs removals last, so any of them) matches a DEPENDS pattern. */
  private findInstalled(pattern: string): boolean {
    const m = matcherFor(pattern);
    const base = cachedPatternBase(pattern);
    if (base !== undefined) return (this.installed.get(base) ?? []).some((p) => m(p.pkgname));
    const key = patternKey(pattern);
    if (key === undefined) return this.inventory.packages.some((p) => m(p.pkgname));
    // Every match starts with `<key>-`: among the offered ones, the catalog's own index (shared by
    // every site) has them; only the few installed packages the catalog does not offer are looked at here.
    for (const c of this.catalog.candidates(pattern))
      if (m(c.pkgname) && this.installed.get(c.name)?.some((p) => p.pkgname === c.pkgname)) return true;
    this.unoffered ??= this.inventory.packages.filter((p) => !this.catalog.get(p.pkgname));
    const prefix = `${key}-`;
    return this.unoffered.some((p) => p.pkgname.startsWith(prefix) && m(p.pkgname));
  }
}

/** The upgrade fix_vulnerable asks for: the advisories of the installed version are its reason. */
function fixFor(
  d: DesiredPackage,
  current: InstalledPackage,
  to: CatalogPackage,
  r: Replacement,
  sources: string[],
): PlanAction {
  const advisories = r.advisories.map((a) => `${a.kind} ${a.url}`).join(', ');
  return {
    action: 'upgrade',
    name: d.name,
    pkgname: to.pkgname,
    from: current.pkgname,
    reason: `installed ${current.pkgname} is vulnerable (${advisories}); fix_vulnerable: ${to.pkgname} still matches ${d.patterns.join(' and ')} (${sources.join(', ')})`,
    sources,
    fixes: r.advisories,
  };
}

function automaticDetail(by: string | undefined, autoremove: boolean, blocker: string | undefined): string {
  if (by) return `installed as a dependency of ${by}`;
  if (autoremove && blocker) return `installed as a dependency; autoremove skipped: ${blocker}`;
  return 'installed as a dependency';
}
