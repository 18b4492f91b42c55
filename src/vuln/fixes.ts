// fix_vulnerable (issue 17 part 3): an installed package that the list marks,
// whose catalog offers a newer version that still matches what its profile
// wants and that the list does not mark, is to be upgraded, with the
// advisories as the reason. Which packages: all of a site with
// `vulnerabilities.fix_vulnerable: true`, else those of profiles that say so.
// Decides the replacements the planner is given; pure.
import type { Catalog, CatalogPackage } from '../catalog/catalog.js';
import { matchesAll } from '../catalog/catalog.js';
import type { ResolvedSite } from '../desired/types.js';
import type { Inventory } from '../observed/types.js';
import type { Replacement } from '../plan/types.js';
import { compareParsed, parseVersionCached } from '../pkgsrc/version.js';
import type { VulnIndex } from './audit.js';
import { openAdvisories } from './plan-flags.js';

/** Whether fix_vulnerable applies to any package of the site. */
export function fixesAnything(site: ResolvedSite): boolean {
  return !!site.vulnerabilities && (site.vulnerabilities.fix || site.packages.some((p) => p.vulnPolicy?.fix));
}

/** The replacements, keyed by the installed PKGNAME; empty when nothing is to be fixed. */
export function vulnerableFixes(
  site: ResolvedSite,
  inventory: Inventory,
  catalog: Catalog,
  index: VulnIndex,
  now: Date,
): Map<string, Replacement> {
  const out = new Map<string, Replacement>();
  const config = site.vulnerabilities;
  if (!config || !fixesAnything(site)) return out;
  const installed = new Map(inventory.packages.map((p) => [p.pkgname, p]));
  const wanted = site.packages.filter((d) => d.state === 'present' && (config.fix || d.vulnPolicy?.fix));
  const current = wanted.flatMap((d) =>
    inventory.packages.filter((p) => p.name === d.name && matchesAll(d.patterns, p.pkgname)).map((p) => ({ d, p })),
  );
  const marked = openAdvisories(
    current.map((c) => c.p.pkgname),
    config,
    index,
    now,
  );
  for (const { d, p } of current) {
    const advisories = marked.get(p.pkgname);
    if (!advisories) continue;
    const newer = catalog
      .versionsOf(d.name)
      .filter((c) => matchesAll(d.patterns, c.pkgname) && newerThan(c, p.version) && !installed.has(c.pkgname));
    const dirty = openAdvisories(
      newer.map((c) => c.pkgname),
      config,
      index,
      now,
    );
    const best = newer.filter((c) => !dirty.has(c.pkgname)).sort(byVersionDescending)[0];
    if (best) out.set(p.pkgname, { pkgname: best.pkgname, advisories });
  }
  return out;
}

function newerThan(c: CatalogPackage, version: string): boolean {
  return compareParsed(parseVersionCached(c.version), parseVersionCached(version)) > 0;
}

function byVersionDescending(a: CatalogPackage, b: CatalogPackage): number {
  return (
    compareParsed(parseVersionCached(b.version), parseVersionCached(a.version)) || (a.pkgname < b.pkgname ? -1 : 1)
  );
}
