// Builders for pure planner tests: small desired sites, inventories and
// catalogs written the way a person would describe them.
import { Catalog } from '../../src/catalog/catalog.js';
import { plainBase } from '../../src/desired/package-entry.js';
import type { DesiredPackage, PackageState, ResolvedSite } from '../../src/desired/types.js';
import type { InstalledPackage, Inventory } from '../../src/observed/types.js';
import { splitPkgName } from '../../src/pkgsrc/pkgname.js';
import { planSite } from '../../src/plan/plan-site.js';
import type { SitePlan } from '../../src/plan/types.js';

export function site(packages: DesiredPackage[], over: Partial<ResolvedSite> = {}): ResolvedSite {
  return {
    name: 'SITE',
    backend: 'local',
    sw_area: '/srv/vo_sw',
    prefix: '/srv/vo_sw/pkg',
    platform: 'x86_64-el9',
    pkg_path: '/srv/packages/All',
    tags: [],
    profiles: ['p'],
    userpkgs: false,
    autoremove: false,
    protect: ['pkg_install'],
    job_time_limit: 3600,
    packages,
    checks: [],
    filtered: [],
    source: { file: 'sites.yaml', line: 2, column: 5 },
    ...over,
  };
}

/** `want('foo>=1.2')`, `want('bar', 'absent')`; the name is derived like the loader does. */
export function want(pattern: string, state: PackageState = 'present', line = 1): DesiredPackage {
  const m = /^([^<>]+?)(?=[<>])/.exec(pattern);
  const name = m
    ? m[1]!
    : /[*?[{]/.test(pattern)
      ? pattern.slice(0, pattern.lastIndexOf('-', pattern.search(/[*?[{]/)))
      : plainBase(pattern);
  return { name, patterns: [pattern], state, sources: [{ file: 'p.yaml', line, column: 5 }], via: ['p'] };
}

/**
 * Installed packages; a trailing `*` marks one automatic: `inv('foo-1.2', 'libx-1.0*')`.
 * After ' < ' the DEPENDS the site recorded for it (`pkg_info -n`): `inv('app-1.0 < lib>=1<2')`;
 * `'app-1.0 <'` records none.
 */
export function inv(...pkgs: string[]): Inventory {
  const packages = pkgs
    .map((entry) => {
      const [p, deps] = entry.split(/ <(?: |$)/) as [string, string | undefined];
      const automatic = p.endsWith('*');
      const pkgname = automatic ? p.slice(0, -1) : p;
      const s = splitPkgName(pkgname)!;
      const pkg: InstalledPackage = {
        pkgname,
        name: s.base,
        version: s.version,
        comment: `${s.base} comment`,
        automatic,
      };
      if (deps !== undefined) pkg.depends = deps.trim() ? deps.trim().split(/\s+/) : [];
      return pkg;
    })
    .sort((a, b) => (a.pkgname < b.pkgname ? -1 : 1));
  return {
    site: 'SITE',
    packages,
    userListKnown: true,
    observedAt: '2026-11-01T00:00:00.000Z',
    source: 'import',
    origin: 'test',
  };
}

/**
 * A catalog: `cat('foo-1.2', 'foo-1.4 < libx>=1.0 libz-[0-9]*')` — after '<' the DEPENDS,
 * after '!' the CONFLICTS: `cat('a-1.0 ! b-[0-9]*')`.
 */
export function cat(...entries: string[]): Catalog {
  return new Catalog(
    '/srv/packages/All',
    entries.map((e) => {
      const [main, conflicts] = e.split(' ! ');
      const [pkgname, deps] = main!.split(' < ');
      const words = (s: string | undefined) => (s ? s.trim().split(/\s+/) : []);
      return { pkgname: pkgname!.trim(), depends: words(deps), conflicts: words(conflicts) };
    }),
  );
}

/** Each observed site's full plan, as gather-status.ts makes them for the report. */
export function plansFor(
  sites: readonly ResolvedSite[],
  inventories: ReadonlyMap<string, Inventory>,
  catalog: Catalog = cat(),
): Map<string, SitePlan> {
  const out = new Map<string, SitePlan>();
  for (const s of sites) {
    const i = inventories.get(s.name);
    if (i) out.set(s.name, planSite(s, i, catalog, { kept: 'full' }));
  }
  return out;
}
