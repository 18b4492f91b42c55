// Who needs whom at a site, from the DEPENDS of pkg_summary. Only packages
// the catalog still offers have known dependencies; callers decide what an
// unknown means (it is never taken as "needs nothing" for autoremove).
import type { Catalog } from '../catalog/catalog.js';
import { matcherFor } from '../catalog/catalog.js';
import { patternPrefix } from '../pkgsrc/pattern.js';

interface Edge {
  pattern: string;
  owner: string;
}

/** DEPENDS patterns of a set of packages, indexed so "who requires X" is cheap. */
class ReverseDeps {
  private readonly byKey = new Map<string, Edge[]>();
  private readonly anywhere: Edge[] = [];

  constructor(owners: Iterable<string>, dependsOf: (pkgname: string) => readonly string[]) {
    for (const owner of owners) {
      for (const pattern of dependsOf(owner)) {
        const key = indexKey(pattern);
        const edge = { pattern, owner };
        if (key === undefined) this.anywhere.push(edge);
        else {
          const list = this.byKey.get(key);
          if (list) list.push(edge);
          else this.byKey.set(key, [edge]);
        }
      }
    }
  }

  /** The first owner (other than the package itself) whose DEPENDS match `pkgname`. */
  requiredBy(pkgname: string): string | undefined {
    for (let dash = pkgname.indexOf('-'); dash !== -1; dash = pkgname.indexOf('-', dash + 1)) {
      const hit = this.firstMatch(this.byKey.get(pkgname.slice(0, dash)), pkgname);
      if (hit) return hit;
    }
    return this.firstMatch(this.anywhere, pkgname);
  }

  private firstMatch(edges: Edge[] | undefined, pkgname: string): string | undefined {
    for (const e of edges ?? []) if (e.owner !== pkgname && matcherFor(e.pattern)(pkgname)) return e.owner;
    return undefined;
  }
}

/** Every matching package starts with `<key>-`; undefined when no such key is certain. */
export function indexKey(pattern: string): string | undefined {
  const prefix = patternPrefix(pattern);
  const dash = prefix.lastIndexOf('-');
  return dash > 0 ? prefix.slice(0, dash) : undefined;
}

export class DependencyIndex {
  constructor(private readonly catalog: Catalog) {}

  knows(pkgname: string): boolean {
    return this.catalog.get(pkgname) !== undefined;
  }

  dependsOf = (pkgname: string): readonly string[] => this.catalog.get(pkgname)?.depends ?? [];

  /** Which staying package requires `pkg`, if any. */
  requiredBy(pkg: { pkgname: string }, staying: Iterable<string>): string | undefined {
    return new ReverseDeps(staying, this.dependsOf).requiredBy(pkg.pkgname);
  }

  /**
   * Candidates for removal that must stay because something staying needs
   * them — directly or through another candidate that must stay.
   */
  requiredAmong<T extends { pkgname: string }>(candidates: readonly T[], staying: readonly string[]): Map<T, string> {
    const kept = new Map<T, string>();
    if (candidates.length === 0) return kept;
    let frontier: string[] = [...staying];
    while (frontier.length > 0) {
      const reverse = new ReverseDeps(frontier, this.dependsOf);
      frontier = [];
      for (const c of candidates) {
        if (kept.has(c)) continue;
        const by = reverse.requiredBy(c.pkgname);
        if (by) {
          kept.set(c, by);
          frontier.push(c.pkgname);
        }
      }
    }
    return kept;
  }

  /**
   * What pkg_add will install on its own for `targets`: each DEPENDS that no
   * installed package satisfies pulls in the catalog's best match, whose
   * own DEPENDS are then followed.
   */
  pulledBy(targets: readonly string[], satisfiedInstalled: (pattern: string) => boolean): string[] {
    const pulled: string[] = [];
    const present = new Set(targets);
    const queue = [...targets];
    while (queue.length > 0) {
      for (const pattern of this.dependsOf(queue.shift()!)) {
        if (satisfiedInstalled(pattern) || [...present].some((p) => matcherFor(pattern)(p))) continue;
        const best = this.catalog.best(pattern);
        if (!best || present.has(best)) continue;
        present.add(best);
        pulled.push(best);
        queue.push(best);
      }
    }
    return pulled;
  }
}
