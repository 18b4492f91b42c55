// The order actions run in. Installs and upgrades come first, dependencies
// before what needs them; removals last, dependants before what they need
// ("never remove before the replacement is in; leaves first"). Ties break
// by name so plans are deterministic.
import { matcherFor } from '../catalog/catalog.js';
import { patternKey } from '../pkgsrc/name-index.js';
import type { PlanAction } from './types.js';

type DependsOf = (pkgname: string) => readonly string[];

/** Installs/upgrades/downgrades: what a package depends on goes first. */
export function orderChanges(changes: PlanAction[], dependsOf: DependsOf): PlanAction[] {
  return topological(changes, dependsOf, 'dependency-first');
}

/**
 * Removals: a package goes before the packages it depends on. `late` ones
 * (autoremovals) go after the others whenever dependencies allow.
 */
export function orderRemovals(
  removals: PlanAction[],
  dependsOf: DependsOf,
  late: (a: PlanAction) => boolean = () => false,
): PlanAction[] {
  return topological(removals, dependsOf, 'dependant-first', late);
}

function topological(
  items: PlanAction[],
  dependsOf: DependsOf,
  direction: 'dependency-first' | 'dependant-first',
  late: (a: PlanAction) => boolean = () => false,
): PlanAction[] {
  const sorted = [...items].sort(
    (a, b) => Number(late(a)) - Number(late(b)) || (a.pkgname < b.pkgname ? -1 : a.pkgname > b.pkgname ? 1 : 0),
  );
  if (sorted.length < 2) return sorted;
  const index = sorted.map((_, i) => i);
  const after: number[][] = index.map(() => []);
  const indegree = index.map(() => 0);
  for (const [owner, dep] of dependencyPairs(sorted, dependsOf)) {
    const [first, second] = direction === 'dependency-first' ? [dep, owner] : [owner, dep];
    after[first]!.push(second);
    indegree[second]!++;
  }
  const ready = index.filter((i) => indegree[i] === 0);
  const out: PlanAction[] = [];
  const placed = new Set<number>();
  while (out.length < sorted.length) {
    // A cycle (pkgsrc forbids them, data may not) leaves nothing ready: take the first left by name.
    const next = ready.length > 0 ? ready.shift()! : index.find((i) => !placed.has(i))!;
    if (placed.has(next)) continue;
    placed.add(next);
    out.push(sorted[next]!);
    for (const j of after[next]!) {
      if (--indegree[j]! === 0 && !placed.has(j)) insertSorted(ready, j);
    }
  }
  return out;
}

/** [owner index, dependency index] for every DEPENDS of an item matched by another item. */
function dependencyPairs(items: PlanAction[], dependsOf: DependsOf): [number, number][] {
  const byKey = new Map<string, number[]>();
  items.forEach((it, i) => {
    for (let dash = it.pkgname.indexOf('-'); dash !== -1; dash = it.pkgname.indexOf('-', dash + 1)) {
      const key = it.pkgname.slice(0, dash);
      const list = byKey.get(key);
      if (list) list.push(i);
      else byKey.set(key, [i]);
    }
  });
  const pairs: [number, number][] = [];
  items.forEach((owner, o) => {
    for (const pattern of dependsOf(owner.pkgname)) {
      const key = patternKey(pattern);
      const candidates = key === undefined ? items.map((_, i) => i) : (byKey.get(key) ?? []);
      for (const d of candidates) if (d !== o && matcherFor(pattern)(items[d]!.pkgname)) pairs.push([o, d]);
    }
  });
  return pairs;
}

function insertSorted(list: number[], value: number): void {
  let i = 0;
  while (i < list.length && list[i]! < value) i++;
  list.splice(i, 0, value);
}
