// Who needs whom at a site. An installed package depends on what the site's
// package database says it depends on (`pkg_info -n`, kept in the
// observation); only what is still to be installed is taken from the
// catalog's DEPENDS. For an observation that did not record them (older
// ones), an installed package's DEPENDS fall back to the catalog: its own
// entry, or its package's newest offered version (DEPENDS rarely change
// between revisions), and the plan says so; autoremove still treats a
// package known only that way as unknown.
import type { CatalogLookup } from '../catalog/catalog.js';
import { matcherFor } from '../catalog/catalog.js';
import type { InstalledPackage } from '../observed/types.js';
import { NameIndex, PatternIndex } from '../pkgsrc/name-index.js';

/**
 * Who requires what at a site. "Which of these staying packages requires
 * X" is answered from the site's recorded DEPENDS (indexed per site) and,
 * for packages without them, from the catalog's reverse DEPENDS index
 * (built once for all sites) filtered by what the site has.
 */
export class DependencyIndex {
  /** Installed pkgnames with the DEPENDS the site recorded for them. */
  private readonly recorded = new Map<string, readonly string[]>();
  private readonly installed = new Set<string>();
  private siteReverse: PatternIndex<{ pattern: string; owner: string }> | undefined;
  /** Whether any question was answered (then unrecorded DEPENDS were taken from the catalog). */
  private asked = false;

  constructor(
    private readonly catalog: CatalogLookup,
    installed: readonly InstalledPackage[] = [],
  ) {
    for (const p of installed) {
      this.installed.add(p.pkgname);
      if (p.depends) this.recorded.set(p.pkgname, p.depends);
    }
  }

  knows(pkgname: string): boolean {
    return this.recorded.has(pkgname) || this.catalog.get(pkgname) !== undefined;
  }

  dependsOf = (pkgname: string): readonly string[] => {
    const own = this.recorded.get(pkgname);
    if (own) return own;
    this.asked ||= this.installed.has(pkgname);
    return (this.catalog.get(pkgname) ?? this.standInFor(pkgname))?.depends ?? [];
  };

  /**
   * Those of `packages` (installed ones) whose dependsOf is not the DEPENDS
   * of their catalog entry: recorded ones, and those the catalog does not
   * offer. The same answer, and the same note in the plan, as asking
   * dependsOf of each, without working out the stand-ins.
   */
  notFromCatalog = (packages: readonly InstalledPackage[]): InstalledPackage[] => {
    const out: InstalledPackage[] = [];
    for (const p of packages) {
      const own = this.recorded.get(p.pkgname);
      if (own === undefined) this.asked ||= this.installed.has(p.pkgname);
      const offered = this.catalog.get(p.pkgname);
      // dependsOf gives `own` when recorded, else the offered package's DEPENDS, else a stand-in's (never those).
      if (own !== undefined ? own !== offered?.depends : offered === undefined) out.push(p);
    }
    return out;
  };

  /** The offered package whose DEPENDS stand in for an installed version no longer offered. */
  private standInFor(pkgname: string) {
    const base = pkgname.slice(0, pkgname.lastIndexOf('-'));
    return base ? this.catalog.resolve(base, [base]) : undefined;
  }

  staying(pkgnames: Iterable<string>): Staying {
    const s = new Staying(this.catalog, (p) => (this.recorded.has(p) ? undefined : this.standInFor(p)?.pkgname));
    for (const p of pkgnames) s.add(p);
    return s;
  }

  /**
   * How many installed packages' DEPENDS the site did not record and were
   * (or may have been) answered for from the catalog, and the first `first`
   * of them in sorted order: none when no question about installed
   * packages' dependencies came up. One pass keeping the few smallest, as a
   * site can have thousands and the plan names only a few.
   */
  fromCatalog(first: number): { count: number; first: string[] } {
    // recorded's keys are installed pkgnames: the rest are the unrecorded ones.
    const count = this.asked ? this.installed.size - this.recorded.size : 0;
    if (count === 0) return { count: 0, first: [] };
    const least: string[] = [];
    for (const p of this.installed) {
      if (this.recorded.has(p) || (least.length === first && !(p < least[first - 1]!))) continue;
      let i = Math.min(least.length, first - 1);
      for (; i > 0 && p < least[i - 1]!; i--) least[i] = least[i - 1]!;
      least[i] = p;
    }
    return { count, first: least };
  }

  /** Which staying package requires `pkgname`, if any. */
  requiredBy(pkgname: string, staying: Staying): string | undefined {
    this.asked = true;
    for (const o of this.catalog.requirers(pkgname)) {
      const who = staying.owner(o);
      if (who === undefined || who === pkgname || this.recorded.has(who)) continue;
      return who;
    }
    if (this.recorded.size === 0) return undefined;
    this.siteReverse ??= new PatternIndex(
      [...this.recorded].flatMap(([owner, deps]) => deps.map((pattern) => ({ pattern, owner }))),
    );
    for (const e of this.siteReverse.candidates(pkgname)) {
      if (e.owner !== pkgname && staying.has(e.owner) && matcherFor(e.pattern)(pkgname)) return e.owner;
    }
    return undefined;
  }

  /**
   * Candidates for removal that must stay because something staying needs
   * them — directly or through another candidate that must stay.
   */
  requiredAmong<T extends { pkgname: string }>(candidates: readonly T[], roots: Iterable<string>): Map<T, string> {
    return this.requiredAmongStaying(candidates, roots).kept;
  }

  /** requiredAmong, and what stays in the end: the roots and the kept candidates, in that order. */
  requiredAmongStaying<T extends { pkgname: string }>(
    candidates: readonly T[],
    roots: Iterable<string>,
  ): { kept: Map<T, string>; staying: Staying } {
    const kept = new Map<T, string>();
    const staying = this.staying(roots);
    for (let changed = candidates.length > 0; changed;) {
      changed = false;
      for (const c of candidates) {
        if (kept.has(c)) continue;
        const by = this.requiredBy(c.pkgname, staying);
        if (by) {
          kept.set(c, by);
          staying.add(c.pkgname);
          changed = true;
        }
      }
    }
    return { kept, staying };
  }
}

/**
 * What pkg_add will install on its own for `targets`: each DEPENDS that no
 * installed package satisfies pulls in the catalog's best match, whose own
 * DEPENDS are then followed.
 */
export function pulledBy(
  catalog: CatalogLookup,
  targets: readonly string[],
  satisfiedInstalled: (pattern: string) => boolean,
): string[] {
  const pulled: string[] = [];
  const present = new NameIndex(targets.map((pkgname) => ({ pkgname })));
  const known = new Set(targets);
  const queue = [...targets];
  while (queue.length > 0) {
    for (const pattern of catalog.get(queue.shift()!)?.depends ?? []) {
      const m = matcherFor(pattern);
      if (satisfiedInstalled(pattern) || present.candidates(pattern).some((p) => m(p.pkgname))) continue;
      const best = catalog.best(pattern);
      if (!best || known.has(best)) continue;
      known.add(best);
      present.add({ pkgname: best });
      pulled.push(best);
      queue.push(best);
    }
  }
  return pulled;
}

/** The packages that stay at a site, answering for catalog packages that stand in for them. */
export class Staying {
  private readonly names = new Set<string>();
  private readonly standIns = new Map<string, string>();

  constructor(
    private readonly catalog: CatalogLookup,
    private readonly standIn: (pkgname: string) => string | undefined,
  ) {}

  add(pkgname: string): void {
    this.names.add(pkgname);
    if (this.catalog.get(pkgname)) return;
    const s = this.standIn(pkgname);
    if (s !== undefined) this.standIns.set(s, pkgname);
  }

  has(pkgname: string): boolean {
    return this.names.has(pkgname);
  }

  /** The staying package a catalog owner stands for, if it stays. */
  owner(catalogPkgname: string): string | undefined {
    return this.names.has(catalogPkgname) ? catalogPkgname : this.standIns.get(catalogPkgname);
  }
}
