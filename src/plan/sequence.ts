// The order a site's actions run in, as the real pkg_add and pkg_delete
// need it. The planner's preferred order (dependencies first, removals
// last) is tried on a model of the site, action by action; an action the
// tools would refuse at that point waits until an earlier-preferred one
// that can run has changed the site. What the model follows (pkg_install's
// add/perform.c and delete/pkg_delete.c):
// - `pkg_add -U new` replacing `old` refuses while an installed package has
//   a DEPENDS that `old` fulfils and `new` does not (check_other_installed);
//   otherwise it deletes `old` first, then installs the missing
//   dependencies (replacing other versions of them too, marked automatic),
//   then `new`, which keeps `old`'s automatic flag (or takes -A);
// - plain `pkg_add` refuses when another version of the package, or of a
//   dependency it must pull in, is installed; of an installed automatic
//   package it only marks it user-installed;
// - either refuses a package that conflicts with an installed one, or that
//   an installed one conflicts with (CONFLICTS of both, from the catalog);
// - `pkg_delete` refuses a package an installed one still depends on.
// The model also says which packages end with the wrong automatic flag, so
// the job can set it (pkg_admin).
import type { CatalogLookup, CatalogPackage } from '../catalog/catalog.js';
import { matcherFor } from '../catalog/catalog.js';
import { cachedPatternBase, patternKey, patternKeys } from '../pkgsrc/name-index.js';
import type { PlanAction } from './types.js';

export interface ModelPackage {
  pkgname: string;
  name: string;
  automatic: boolean;
  depends: readonly string[];
}

export interface Sequenced {
  actions: PlanAction[];
  /** The first action that no order lets run, and why the tools refuse it. */
  blocked?: { action: PlanAction; why: string };
}

/**
 * `preferred` reordered so that each action can run when its turn comes;
 * actions that cannot run in any order found are left at the end, in
 * preferred order, and the first of them is reported.
 */
export function sequenceActions(
  preferred: readonly PlanAction[],
  installed: readonly ModelPackage[],
  catalog: CatalogLookup,
): Sequenced {
  if (preferred.length === 0) return { actions: [] };
  const site = new ModelSite(installed, catalog);
  const tools = new Tools(site, catalog);
  const remaining = [...preferred];
  const out: PlanAction[] = [];
  let blocked: Sequenced['blocked'];
  while (remaining.length > 0) {
    let firstWhy: string | undefined;
    let gone = false;
    const i = remaining.findIndex((a) => {
      gone = a.action === 'remove' && !site.has(a.pkgname);
      if (gone) return true;
      const why = site.tryOut(() => tools.run(a));
      firstWhy ??= why;
      return why === undefined;
    });
    if (i < 0) {
      blocked = { action: remaining[0]!, why: firstWhy! };
      out.push(...remaining);
      break;
    }
    // A removal whose package an earlier upgrade already replaced (pulled in as a dependency) is done.
    if (gone) remaining.splice(i, 1);
    else out.push(...remaining.splice(i, 1));
  }
  if (!blocked) markFlags(out, site);
  return blocked ? { actions: out, blocked } : { actions: out };
}

/** Each install/upgrade whose package the tools leave with another automatic flag than the plan means gets `flag`. */
function markFlags(actions: PlanAction[], site: ModelSite): void {
  for (const a of actions) {
    if (a.action === 'remove') continue;
    const now = site.get(a.name);
    const wanted = a.automatic === true;
    if (now?.pkgname === a.pkgname && now.automatic !== wanted) a.flag = wanted ? 'automatic' : 'user';
  }
}

/** What the tools do to the model; each returns why they refuse, or undefined. */
class Tools {
  private readonly busy = new Set<string>();
  /** Packages ever on the site whose catalog entry has CONFLICTS (most have none). */
  private readonly conflicting: ModelPackage[] = [];

  constructor(
    private readonly site: ModelSite,
    private readonly catalog: CatalogLookup,
  ) {
    for (const p of site.all()) if (catalog.get(p.pkgname)?.conflicts.length) this.conflicting.push(p);
  }

  run(a: PlanAction): string | undefined {
    if (a.action === 'remove') return this.delete(a.pkgname);
    const pkg = this.catalog.get(a.pkgname);
    if (!pkg) return `no pkg found for '${a.pkgname}'`;
    return this.add(pkg, { replace: a.action !== 'install', automatic: a.automatic === true, top: true });
  }

  private delete(pkgname: string): string | undefined {
    const by = this.site.dependants(pkgname)[0];
    if (by) return `pkg_delete: ${pkgname} is still required by ${by.pkgname}`;
    this.site.remove(pkgname.slice(0, pkgname.lastIndexOf('-')));
    return undefined;
  }

  private add(pkg: CatalogPackage, f: { replace: boolean; automatic: boolean; top: boolean }): string | undefined {
    const other = this.site.get(pkg.name);
    if (other?.pkgname === pkg.pkgname) {
      // -U reinstalls the same version (keeping its flag); without it pkg_add only marks it user-installed.
      const automatic = f.replace ? other.automatic || f.automatic : other.automatic && f.automatic;
      this.site.put({ ...other, automatic });
      return undefined;
    }
    if (other && !f.replace) return `A different version of ${pkg.pkgname} is already installed: ${other.pkgname}`;
    if (other) {
      for (const d of this.site.dependants(other.pkgname)) {
        const p = d.depends.find((dep) => matcherFor(dep)(other.pkgname) && !matcherFor(dep)(pkg.pkgname));
        if (p !== undefined)
          return `Dependency of ${d.pkgname} fulfilled by ${other.pkgname}, but not by ${pkg.pkgname}`;
      }
    }
    const conflict = this.conflict(pkg, other?.pkgname);
    if (conflict) return conflict;
    if (other) this.site.remove(other.name);
    if (this.busy.has(pkg.pkgname)) return undefined;
    this.busy.add(pkg.pkgname);
    try {
      for (const dep of pkg.depends) {
        if (this.site.satisfies(dep)) continue;
        const best = this.catalog.best(dep);
        const why = best
          ? this.add(this.catalog.get(best)!, { replace: f.replace, automatic: true, top: false })
          : `no pkg found for '${dep}'`;
        if (why) return f.top ? `${why} (while adding ${pkg.pkgname}: Can't install dependency ${dep})` : why;
      }
    } finally {
      this.busy.delete(pkg.pkgname);
    }
    const added = {
      pkgname: pkg.pkgname,
      name: pkg.name,
      automatic: (other?.automatic ?? false) || f.automatic,
      depends: pkg.depends,
    };
    this.site.put(added);
    if (pkg.conflicts.length > 0 && !this.conflicting.some((p) => p.pkgname === added.pkgname))
      this.conflicting.push(added);
    return undefined;
  }

  /** check_explicit_conflict: its CONFLICTS against what is installed, and theirs (as the catalog has them) against it. */
  private conflict(pkg: CatalogPackage, replaced: string | undefined): string | undefined {
    for (const pattern of pkg.conflicts) {
      const hit = this.site.matching(pattern).find((p) => p.pkgname !== replaced);
      if (hit) return `Package \`${pkg.pkgname}' conflicts with \`${pattern}', and \`${hit.pkgname}' is installed.`;
    }
    for (const p of this.conflicting) {
      if (p.pkgname === replaced || this.site.get(p.name)?.pkgname !== p.pkgname) continue;
      const pattern = this.catalog.get(p.pkgname)?.conflicts.find((c) => matcherFor(c)(pkg.pkgname));
      if (pattern !== undefined)
        return `Installed package \`${p.pkgname}' conflicts with \`${pattern}' when trying to install \`${pkg.pkgname}'.`;
    }
    return undefined;
  }
}

/**
 * The site's packages by name, with an undo log so an action can be tried
 * and taken back. Who depends on a package, and which packages a pattern
 * may match, is asked of the catalog's own indexes (shared by every site)
 * for the packages that are what their catalog entry says; only the others
 * (not in the catalog, or with DEPENDS of their own) are indexed here. The
 * local indexes only grow: who still stands is checked on every look-up.
 */
class ModelSite {
  private readonly byName = new Map<string, ModelPackage>();
  private readonly reverse = new Map<string, ModelPackage[]>();
  private readonly anywhere: ModelPackage[] = [];
  /** Packages not in the catalog by each proper '-'-prefix of their name: `foo` finds `foo-bar`. */
  private readonly longer = new Map<string, ModelPackage[]>();
  /** The order packages came in (installed, then put): the order dependants are named in. */
  private readonly seq = new Map<ModelPackage, number>();
  private readonly installed: readonly ModelPackage[];
  private undo: (() => void)[] | undefined;

  constructor(
    installed: readonly ModelPackage[],
    private readonly catalog: CatalogLookup,
  ) {
    this.installed = installed;
    for (const p of installed) {
      if (this.byName.has(p.name)) continue;
      this.index(p);
      this.byName.set(p.name, p);
    }
  }

  get(name: string): ModelPackage | undefined {
    return this.byName.get(name);
  }

  has(pkgname: string): boolean {
    return this.byName.get(pkgname.slice(0, pkgname.lastIndexOf('-')))?.pkgname === pkgname;
  }

  all(): IterableIterator<ModelPackage> {
    return this.byName.values();
  }

  put(p: ModelPackage): void {
    const before = this.byName.get(p.name);
    this.undo?.push(() => (before ? this.byName.set(p.name, before) : this.byName.delete(p.name)));
    this.byName.set(p.name, p);
    this.seq.set(p, this.installed.length + this.seq.size);
    this.index(p);
  }

  remove(name: string): void {
    const before = this.byName.get(name);
    if (!before) return;
    this.undo?.push(() => this.byName.set(name, before));
    this.byName.delete(name);
  }

  /** Run `attempt`; keep what it did only when it succeeds (returns undefined). */
  tryOut(attempt: () => string | undefined): string | undefined {
    this.undo = [];
    const why = attempt();
    if (why !== undefined) for (const u of this.undo.reverse()) u();
    this.undo = undefined;
    return why;
  }

  satisfies(pattern: string): boolean {
    const m = matcherFor(pattern);
    if (cachedPatternBase(pattern) !== undefined) return this.matching(pattern).length > 0;
    const key = patternKey(pattern);
    if (key === undefined) return this.matching(pattern).length > 0;
    // Every match starts with `<key>-`: the package named key, or one whose name starts with `<key>-`.
    const p = this.byName.get(key);
    if (p && m(p.pkgname)) return true;
    for (const c of this.catalog.candidates(pattern))
      if (this.byName.get(c.name)?.pkgname === c.pkgname && m(c.pkgname)) return true;
    for (const q of this.longer.get(key) ?? []) if (this.byName.get(q.name) === q && m(q.pkgname)) return true;
    return false;
  }

  matching(pattern: string): ModelPackage[] {
    const m = matcherFor(pattern);
    const base = cachedPatternBase(pattern);
    if (base !== undefined) {
      const p = this.byName.get(base);
      return p && m(p.pkgname) ? [p] : [];
    }
    return [...this.byName.values()].filter((p) => m(p.pkgname));
  }

  /**
   * Installed packages with a DEPENDS that `pkgname` fulfils (itself
   * excepted), in the order of a reverse index of every package by the
   * keys of its DEPENDS: shorter keys first, then keyless ones; within a
   * key, in the order the packages came in.
   */
  dependants(pkgname: string): ModelPackage[] {
    const out: ModelPackage[] = [];
    const consider = (owner: ModelPackage) => {
      if (owner.pkgname === pkgname || this.byName.get(owner.name) !== owner) return;
      if (owner.depends.some((d) => matcherFor(d)(pkgname)) && !out.includes(owner)) out.push(owner);
    };
    for (const q of this.catalog.requiringPackages(pkgname)) {
      const owner = this.byName.get(q.name);
      if (owner?.pkgname === q.pkgname && owner.depends === q.depends) consider(owner);
    }
    for (let dash = pkgname.indexOf('-'); dash !== -1; dash = pkgname.indexOf('-', dash + 1))
      for (const owner of this.reverse.get(pkgname.slice(0, dash)) ?? []) consider(owner);
    for (const owner of this.anywhere) consider(owner);
    if (out.length < 2) return out;
    const rank = new Map(out.map((o) => [o, this.rank(o, pkgname)]));
    return out.sort((a, b) => rank.get(a)! - rank.get(b)! || this.seqOf(a) - this.seqOf(b));
  }

  /** Where `owner` comes among the dependants of `pkgname`: the shortest of its keys that prefix it. */
  private rank(owner: ModelPackage, pkgname: string): number {
    let best = Infinity;
    for (const key of patternKeys(owner.depends))
      if (key !== undefined && key.length < best && pkgname.startsWith(key) && pkgname.charCodeAt(key.length) === 45)
        best = key.length;
    return best;
  }

  private seqOf(p: ModelPackage): number {
    return this.seq.get(p) ?? this.installed.indexOf(p);
  }

  /** Local indexes for what the catalog cannot answer for. */
  private index(p: ModelPackage): void {
    const entry = this.catalog.get(p.pkgname);
    if (!entry) {
      const name = p.name;
      for (let dash = name.indexOf('-'); dash !== -1; dash = name.indexOf('-', dash + 1)) {
        const key = name.slice(0, dash);
        const list = this.longer.get(key);
        if (!list) this.longer.set(key, [p]);
        else list.push(p);
      }
    }
    if (entry?.depends === p.depends) return;
    for (const key of patternKeys(p.depends)) {
      if (key === undefined) {
        if (!this.anywhere.includes(p)) this.anywhere.push(p);
        continue;
      }
      const list = this.reverse.get(key);
      if (!list) this.reverse.set(key, [p]);
      else if (list[list.length - 1] !== p) list.push(p);
    }
  }
}
