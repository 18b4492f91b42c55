// Who needs whom at a site, from the DEPENDS of pkg_summary. An installed
// version the catalog no longer offers is taken to depend on what its
// package's newest offered version depends on (DEPENDS rarely change
// between revisions); autoremove still treats such a package as unknown.
import type { Catalog } from '../catalog/catalog.js';
import { matcherFor } from '../catalog/catalog.js';
import { NameIndex } from '../pkgsrc/name-index.js';

/**
 * Who requires what at a site. "Which of these staying packages requires
 * X" is answered from the catalog's reverse DEPENDS index (built once for
 * all sites) filtered by what the site has.
 */
export class DependencyIndex {
  constructor(private readonly catalog: Catalog) {}

  knows(pkgname: string): boolean {
    return this.catalog.get(pkgname) !== undefined;
  }

  dependsOf = (pkgname: string): readonly string[] =>
    (this.catalog.get(pkgname) ?? this.standInFor(pkgname))?.depends ?? [];

  /** The offered package whose DEPENDS stand in for an installed version no longer offered. */
  private standInFor(pkgname: string) {
    const base = pkgname.slice(0, pkgname.lastIndexOf('-'));
    return base ? this.catalog.resolve(base, [base]) : undefined;
  }

  staying(pkgnames: Iterable<string>): Staying {
    const s = new Staying(this.catalog, (p) => this.standInFor(p)?.pkgname);
    for (const p of pkgnames) s.add(p);
    return s;
  }

  /** Which staying package requires `pkgname`, if any. */
  requiredBy(pkgname: string, staying: Staying): string | undefined {
    for (const o of this.catalog.requirers(pkgname)) {
      const who = staying.owner(o);
      if (who !== undefined && who !== pkgname) return who;
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
  catalog: Catalog,
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
    private readonly catalog: Catalog,
    private readonly standIn: (pkgname: string) => string | undefined,
  ) {}

  add(pkgname: string): void {
    this.names.add(pkgname);
    if (this.catalog.get(pkgname)) return;
    const s = this.standIn(pkgname);
    if (s !== undefined) this.standIns.set(s, pkgname);
  }

  /** The staying package a catalog owner stands for, if it stays. */
  owner(catalogPkgname: string): string | undefined {
    return this.names.has(catalogPkgname) ? catalogPkgname : this.standIns.get(catalogPkgname);
  }
}
