// Installed dependants constrain upgrades (issue 20, case 1). pkg_add -U
// refuses to replace a package while an installed package has a DEPENDS
// the old version fulfils and the new one does not; and a package to be
// installed needs each DEPENDS fulfilled by what the site will have, not by
// another version of it that stays. Each such package is replaced too, by
// the best catalog version that fits (within its declared patterns, any
// version for an automatic one), or the site's plan is an error naming it
// and its pattern. Packages about to be removed constrain nothing here: the
// sequencing puts their removal first.
import type { CatalogLookup, CatalogPackage } from '../catalog/catalog.js';
import { matcherFor, matchesAll } from '../catalog/catalog.js';
import type { DesiredPackage } from '../desired/types.js';
import { formatLocation } from '../errors.js';
import type { InstalledPackage } from '../observed/types.js';
import { cachedPatternBase, OwnerPatternIndex, patternKey, patternKeys } from '../pkgsrc/name-index.js';
import { compareParsed, parseVersionCached } from '../pkgsrc/version.js';
import type { PlanAction, PlanProblem } from './types.js';

/** Whether an installed package may be replaced to fit ('fit'), must stay as it is (why), or is leaving. */
export type Mobility = { kind: 'fit' } | { kind: 'fixed'; why: string } | { kind: 'leaves' };

/** Whether an installed package may be replaced so that what depends on it, or what it depends on, fits. */
export function mobilityOf(
  p: InstalledPackage,
  d: DesiredPackage | undefined,
  site: { protect: ReadonlySet<string>; userListKnown: boolean; autoremove: boolean; userpkgs: boolean },
): Mobility {
  if (d?.state === 'present') return { kind: 'fit' };
  if (d?.state === 'frozen') return { kind: 'fixed', why: `${p.name} is frozen at ${formatLocation(d.sources[0]!)}` };
  if (site.protect.has(p.name)) return { kind: 'fixed', why: `${p.name} is protected` };
  if (d?.state === 'absent') return { kind: 'leaves' };
  if (!site.userListKnown)
    return { kind: 'fixed', why: `${p.name} is not declared, and without a pkg_info -u listing it is left alone` };
  if (p.automatic) return site.autoremove ? { kind: 'leaves' } : { kind: 'fit' };
  if (site.userpkgs) return { kind: 'fixed', why: `${p.name} is not declared, and userpkgs leaves it alone` };
  return { kind: 'leaves' };
}

export interface FitContext {
  catalog: CatalogLookup;
  installed: readonly InstalledPackage[];
  declared: ReadonlyMap<string, DesiredPackage>;
  mobility: (p: InstalledPackage) => Mobility;
  dependsOf: (pkgname: string) => readonly string[];
  /** Those of `installed` whose dependsOf is not their catalog entry's DEPENDS (DependencyIndex.notFromCatalog). */
  notFromCatalog: (installed: readonly InstalledPackage[]) => InstalledPackage[];
}

type Final = { pkgname: string; installed?: InstalledPackage; change?: PlanAction };

/** The replacements `changes` need besides themselves (appended to it), and the problems that stop the site. */
export function fitDependants(ctx: FitContext, changes: PlanAction[]): PlanProblem[] {
  const errors: PlanProblem[] = [];
  const final = new Map<string, Final>();
  for (const p of ctx.installed)
    if (!final.has(p.name) && ctx.mobility(p).kind !== 'leaves')
      final.set(p.name, { pkgname: p.pkgname, installed: p });
  for (const c of changes) final.set(c.name, { pkgname: c.pkgname, change: c });
  const fitter = new Fitter(ctx, final, changes, errors);
  for (let i = 0; i < changes.length && i < 10_000; i++) fitter.visit(changes[i]!);
  return errors;
}

class Fitter {
  private reverse: InstalledDependants | undefined;
  private readonly refused = new Set<string>();
  private unoffered: string[] | undefined;

  constructor(
    private readonly ctx: FitContext,
    private readonly final: Map<string, Final>,
    private readonly changes: PlanAction[],
    private readonly errors: PlanProblem[],
  ) {}

  visit(c: PlanAction): void {
    if (c.from) this.checkDependants(c);
    for (const dep of this.ctx.catalog.get(c.pkgname)?.depends ?? []) {
      if (this.satisfied(dep)) continue;
      const base = cachedPatternBase(dep);
      const holder = base === undefined ? undefined : this.final.get(base);
      if (!holder) continue; // pkg_add pulls it in
      const why = `${c.pkgname} requires ${dep}`;
      if (holder.change)
        this.refuse(holder.pkgname, {
          kind: 'dependant',
          name: c.name,
          message: `${why}, but ${holder.pkgname} is planned (${holder.change.reason})`,
          sources: [...(c.sources ?? []), ...(holder.change.sources ?? [])],
          packages: [c.pkgname, holder.pkgname],
        });
      else this.fit(holder.installed!, c, `${why}, which installed ${holder.pkgname} does not satisfy`, dep);
    }
  }

  /** check_other_installed: staying packages whose DEPENDS match the old version and not the new. */
  private checkDependants(c: PlanAction): void {
    const from = c.from!;
    const m = (pattern: string, pkgname: string) => matcherFor(pattern)(pkgname);
    for (const { owner, pattern } of this.dependants().of(
      from,
      (pattern) => m(pattern, from) && !m(pattern, c.pkgname),
    )) {
      if (this.final.get(owner.name)?.installed !== owner || owner.pkgname === from) continue;
      this.fit(
        owner,
        c,
        `installed ${owner.pkgname} requires ${pattern}, which ${c.pkgname} (replacing ${from}) does not satisfy`,
      );
    }
  }

  private dependants(): InstalledDependants {
    return (this.reverse ??= new InstalledDependants(this.ctx));
  }

  /**
   * Replace `p` by the best catalog version that fits what the site will
   * have (and matches `dep`, when what needs it says so), or record why not.
   */
  private fit(p: InstalledPackage, cause: PlanAction, why: string, dep?: string): void {
    if (this.final.get(p.name)?.installed !== p) return; // already replaced
    const decl = this.ctx.declared.get(p.name);
    const declSources = decl?.sources.map(formatLocation) ?? [];
    const problem = (whyNot: string): void =>
      this.refuse(p.pkgname, {
        kind: 'dependant',
        name: p.name,
        message: `${why}, and ${whyNot}`,
        sources: [...(cause.sources ?? []), ...declSources],
        packages: [p.pkgname, cause.pkgname],
      });
    const mobility = this.ctx.mobility(p);
    if (mobility.kind === 'fixed') return problem(mobility.why);
    const patterns = decl?.patterns ?? [];
    let best: CatalogPackage | undefined;
    for (const v of this.ctx.catalog.versionsOf(p.name)) {
      if (v.pkgname === p.pkgname || !matchesAll(patterns, v.pkgname) || !this.fits(v)) continue;
      if (dep !== undefined && !matcherFor(dep)(v.pkgname)) continue;
      if (!best || compare(v, best) > 0) best = v;
    }
    if (!best) {
      const all = dep !== undefined ? [...patterns, dep] : patterns;
      const within = all.length > 0 ? ` matching ${all.join(' and ')}` : '';
      return problem(`no version of ${p.name}${within} in ${this.ctx.catalog.location} works with it`);
    }
    const change: PlanAction = {
      action:
        compareParsed(parseVersionCached(best.version), parseVersionCached(p.version)) < 0 ? 'downgrade' : 'upgrade',
      name: p.name,
      pkgname: best.pkgname,
      from: p.pkgname,
      reason: `${why} (${cause.action} of ${cause.name})`,
      ...(decl ? { sources: declSources } : { automatic: true }),
    };
    this.changes.push(change);
    this.final.set(p.name, { pkgname: best.pkgname, change });
  }

  /** Every DEPENDS of `v` is met by what the site will have, or can be pulled in without replacing anything. */
  private fits(v: CatalogPackage): boolean {
    return v.depends.every((dep) => {
      if (this.satisfied(dep)) return true;
      const base = cachedPatternBase(dep);
      if (base !== undefined && this.final.has(base)) return false;
      return this.ctx.catalog.best(dep) !== undefined;
    });
  }

  private satisfied(dep: string): boolean {
    const m = matcherFor(dep);
    const base = cachedPatternBase(dep);
    if (base !== undefined) {
      const f = this.final.get(base);
      return f !== undefined && m(f.pkgname);
    }
    const key = patternKey(dep);
    if (key === undefined) {
      for (const f of this.final.values()) if (m(f.pkgname)) return true;
      return false;
    }
    // A match starts with `<key>-`, and so the name of what holds it is <key> or starts with `<key>-`:
    // a name the catalog offers (its index, shared by every site, has them), or one of the site's few unoffered ones.
    for (const c of this.ctx.catalog.candidates(dep)) {
      const f = this.final.get(c.name);
      if (f !== undefined && m(f.pkgname)) return true;
    }
    const prefix = `${key}-`;
    for (const name of this.unofferedNames()) {
      if (name !== key && !name.startsWith(prefix)) continue;
      const f = this.final.get(name);
      if (f !== undefined && m(f.pkgname)) return true;
    }
    return false;
  }

  /**
   * Names of installed packages whose version the catalog does not offer:
   * among them every name it has no version of at all (each planned change
   * is of an offered one). Asked by PKGNAME, which the site's view of the
   * catalog already knows for installed packages.
   */
  private unofferedNames(): string[] {
    return (this.unoffered ??= [
      ...new Set(this.ctx.installed.filter((p) => !this.ctx.catalog.get(p.pkgname)).map((p) => p.name)),
    ]);
  }

  /** One problem per package: the first reason it cannot be made to fit. */
  private refuse(pkgname: string, problem: PlanProblem): void {
    if (this.refused.has(pkgname)) return;
    this.refused.add(pkgname);
    this.errors.push(problem);
  }
}

function compare(a: CatalogPackage, b: CatalogPackage): number {
  return (
    compareParsed(parseVersionCached(a.version), parseVersionCached(b.version)) || (a.pkgname < b.pkgname ? 1 : -1)
  );
}

/**
 * Which installed packages have a DEPENDS matching a PKGNAME, and which
 * pattern, in the order of the site's packages and then of their DEPENDS
 * (shorter pattern keys first, keyless patterns last: PatternIndex's
 * order). Most installed packages depend on what their catalog entry says:
 * those are found through the catalog's reverse DEPENDS index, shared by
 * every site, so a site indexes only the few whose DEPENDS come from
 * elsewhere (the site's records, or a stand-in version's).
 */
class InstalledDependants {
  /** Site position of each installed PKGNAME. */
  private readonly at = new Map<string, number>();
  private readonly others: OwnerPatternIndex<InstalledPackage>;

  constructor(private readonly ctx: FitContext) {
    // Backwards, so that the first position of a PKGNAME is the one kept.
    for (let i = ctx.installed.length - 1; i >= 0; i--) this.at.set(ctx.installed[i]!.pkgname, i);
    this.others = new OwnerPatternIndex(ctx.notFromCatalog(ctx.installed), (p) => ctx.dependsOf(p.pkgname));
  }

  /** The (owner, pattern) pairs matching `pkgname` that pass `keep`, in site order. */
  of(pkgname: string, keep: (pattern: string) => boolean): { owner: InstalledPackage; pattern: string }[] {
    const found: { owner: InstalledPackage; pattern: string; rank: number; at: number; nth: number }[] = [];
    const add = (owner: InstalledPackage, at: number, patterns: readonly string[]) => {
      const keys = patternKeys(patterns);
      for (let nth = 0; nth < patterns.length; nth++) {
        const pattern = patterns[nth]!;
        // A pattern that matches has a key that is a '-'-prefix of pkgname, or none.
        if (keep(pattern)) found.push({ owner, pattern, rank: keys[nth]?.length ?? Infinity, at, nth });
      }
    };
    for (const q of this.ctx.catalog.requiringPackages(pkgname)) {
      const at = this.at.get(q.pkgname);
      const owner = at === undefined ? undefined : this.ctx.installed[at]!;
      if (owner && this.ctx.dependsOf(owner.pkgname) === q.depends) add(owner, at!, q.depends);
    }
    const seen = new Set<InstalledPackage>();
    for (const { owner } of this.others.candidates(pkgname)) {
      if (seen.has(owner)) continue;
      seen.add(owner);
      add(owner, this.at.get(owner.pkgname)!, this.ctx.dependsOf(owner.pkgname));
    }
    found.sort((a, b) => a.rank - b.rank || a.at - b.at || a.nth - b.nth);
    return found;
  }
}
