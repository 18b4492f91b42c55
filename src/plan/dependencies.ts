// Who needs whom at a site, from the DEPENDS of pkg_summary. Only packages
// the catalog still offers have known dependencies; callers decide what an
// unknown means (it is never taken as "needs nothing" for autoremove).
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

  dependsOf = (pkgname: string): readonly string[] => this.catalog.get(pkgname)?.depends ?? [];

  /** Which staying package requires `pkgname`, if any. */
  requiredBy(pkgname: string, staying: ReadonlySet<string>): string | undefined {
    return this.catalog.requirers(pkgname).find((o) => o !== pkgname && staying.has(o));
  }

  /**
   * Candidates for removal that must stay because something staying needs
   * them — directly or through another candidate that must stay.
   */
  requiredAmong<T extends { pkgname: string }>(candidates: readonly T[], roots: Iterable<string>): Map<T, string> {
    const kept = new Map<T, string>();
    const staying = new Set(roots);
    for (let changed = candidates.length > 0; changed; ) {
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
    return kept;
  }
}

/**
 * What pkg_add will install on its own for `targets`: each DEPENDS that no
 * installed package satisfies pulls in the catalog's best match, whose own
 * DEPENDS are then followed.
 */
export function pulledBy(catalog: Catalog, targets: readonly string[], satisfiedInstalled: (pattern: string) => boolean): string[] {
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
