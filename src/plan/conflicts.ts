// What the plan brings in that clashes with what else the site must have.
// Conflicts known before a job runs (issue 20, case 5). pkg_add refuses a
// package whose CONFLICTS match an installed one, or that an installed
// one's CONFLICTS match; a job would install the first of two such wanted
// packages and fail on the second, leaving the site half-way. So every
// package the plan brings in is checked, both ways, against everything
// the site will have; each clash is an error of the site naming both
// packages and the profiles that want them.
import type { CatalogLookup } from '../catalog/catalog.js';
import { matcherFor } from '../catalog/catalog.js';
import type { DesiredPackage } from '../desired/types.js';
import { formatLocation } from '../errors.js';
import type { PlanAction, PlanProblem } from './types.js';

/** A package declared absent, or frozen and not installed, that pkg_add would pull in for what the plan installs. */
export function pulledButUnwanted(
  catalog: CatalogLookup,
  changes: readonly PlanAction[],
  pulled: readonly string[],
  declared: ReadonlyMap<string, DesiredPackage>,
): PlanProblem[] {
  const incoming = [...changes.map((c) => c.pkgname), ...pulled];
  return pulled.flatMap((p): PlanProblem[] => {
    const d = declared.get(nameOf(p));
    if (d?.state !== 'absent' && d?.state !== 'frozen') return [];
    const by = incoming.find((o) => catalog.get(o)?.depends.some((dep) => matcherFor(dep)(p)));
    const sources = d.sources.map(formatLocation);
    return [
      {
        kind: 'required',
        name: d.name,
        message: `${d.name} is ${d.state === 'absent' ? 'declared absent' : 'frozen'} at ${sources.join(', ')}, but ${by ?? 'a package the plan installs'} requires it (pkg_add would pull in ${p})`,
        sources: [...sources, ...(changes.find((c) => c.pkgname === by)?.sources ?? [])],
        packages: by ? [p, by] : [p],
      },
    ];
  });
}

export interface ConflictInputs {
  catalog: CatalogLookup;
  /** What the plan installs: its installs, upgrades and downgrades, and what pkg_add pulls in for them. */
  incoming: readonly string[];
  /** Installed packages that stay as they are. */
  staying: readonly string[];
  declared: ReadonlyMap<string, DesiredPackage>;
  /** The action that brings a package in, when one does (a pulled dependency has none). */
  actionFor: (pkgname: string) => PlanAction | undefined;
}

export function findConflicts(c: ConflictInputs): PlanProblem[] {
  if (c.incoming.length === 0) return []; // all already there together: not this plan's doing
  const withConflicts = [...c.incoming, ...c.staying].filter((p) => (c.catalog.get(p)?.conflicts.length ?? 0) > 0);
  if (withConflicts.length === 0) return [];
  const everything = [...new Set([...c.incoming, ...c.staying])];
  const incoming = new Set(c.incoming);
  // The incoming packages lead `everything`: a staying package's CONFLICTS matter only against them,
  // so its patterns are tried on those few, not on the whole site.
  const incomingFirst = everything.slice(0, incoming.size);
  const problems: PlanProblem[] = [];
  const seen = new Set<string>();
  for (const owner of withConflicts) {
    const others = incoming.has(owner) ? everything : incomingFirst;
    for (const pattern of c.catalog.get(owner)!.conflicts) {
      const m = matcherFor(pattern);
      for (const other of others) {
        if (other === owner || !m(other) || sameBase(owner, other)) continue;
        const key = [owner, other].sort().join('\0');
        if (seen.has(key)) continue;
        seen.add(key);
        problems.push(conflictProblem(c, owner, other, pattern));
      }
    }
  }
  return problems;
}

function conflictProblem(c: ConflictInputs, owner: string, other: string, pattern: string): PlanProblem {
  const a = describe(c, owner);
  const b = describe(c, other);
  return {
    kind: 'conflict',
    name: nameOf(owner),
    message: `${owner} (${a.why}) conflicts with ${other} (${b.why}): its CONFLICTS=${pattern}; pkg_add would install one and refuse the other`,
    sources: [...a.sources, ...b.sources],
    packages: [owner, other],
  };
}

/** Who wants a package: the profiles and places that declare it, what pulls it in, or that it is installed. */
function describe(c: ConflictInputs, pkgname: string): { why: string; sources: string[] } {
  const d = c.declared.get(nameOf(pkgname));
  if (d && d.state === 'present') {
    const sources = d.sources.map(formatLocation);
    return { why: `wanted by profile ${d.via.join(' → ') || '?'} at ${sources.join(', ')}`, sources };
  }
  const action = c.actionFor(pkgname);
  if (action) return { why: action.reason, sources: action.sources ?? [] };
  return { why: c.incoming.includes(pkgname) ? 'pulled in as a dependency' : 'installed and staying', sources: [] };
}

function nameOf(pkgname: string): string {
  return pkgname.slice(0, pkgname.lastIndexOf('-'));
}

function sameBase(a: string, b: string): boolean {
  return nameOf(a) === nameOf(b);
}
