// The desired state as `plan` reads it: from the resolve memo when the git
// tree of desired-state/ was read before (no YAML, no schema, no profile
// resolution: none of their modules is even loaded), else loaded with the
// memo so that only package lists whose profiles changed are resolved.
// Either way every site comes with its digest, and its packages are loaded
// only for the sites that must be planned (`loadPackages`).
import type { LoadOptions, LoadResult } from './load.js';
import { deferPackages, hasPackages, ResolveMemo, setPackages, type TreeBody } from './resolve-memo.js';
import { openSource, type DesiredSource } from './source.js';
import type { DesiredPackage, DesiredState, ResolvedSite } from './types.js';

export interface PlanDesired extends LoadResult {
  /** The digest (siteDigest) of each site of `state.sites`. */
  digestOf(site: ResolvedSite): string;
  /** Load the packages of these sites, where they are not loaded yet. */
  loadPackages(sites: readonly ResolvedSite[]): Promise<void>;
}

export async function loadDesiredForPlan(opts: LoadOptions & { cacheDir: string }): Promise<PlanDesired> {
  const source = await openSource(opts);
  const memo = await ResolveMemo.open(opts.cacheDir);
  const body = source.tree ? await memo.tree(ResolveMemo.treeKey(source.tree, opts.dir)) : undefined;
  const known = new Map<ResolvedSite, { digest: string; list: string }>();
  let result: LoadResult;
  if (body) {
    result = {
      state: fromTree(body, source, opts.dir, known),
      dirty: source.dirty ?? false,
      keepParsed: async () => {},
    };
  } else {
    const { loadDesiredStateWithInfo } = await import('./load.js');
    result = await loadDesiredStateWithInfo({ ...opts, source, memo });
    const m = result.memoized!;
    result.state.sites.forEach((s, i) => known.set(s, { digest: m.digests[i]!, list: m.lists[i]! }));
  }
  const digestOf = (site: ResolvedSite): string => {
    const k = known.get(site);
    if (!k) throw new Error(`internal error: no digest for site '${site.name}'`);
    return k.digest;
  };
  const loadPackages = async (sites: readonly ResolvedSite[]): Promise<void> => {
    const missing: ResolvedSite[] = [];
    const byList = new Map<string, DesiredPackage[] | undefined>();
    for (const site of sites) {
      if (hasPackages(site)) continue;
      const { list, digest } = known.get(site)!;
      // Sites of one list share its (read-only) array, as a fresh load gives them.
      if (!byList.has(list)) byList.set(list, memo.packages(list, digest));
      const packages = byList.get(list);
      if (packages) setPackages(site, packages);
      else missing.push(site);
    }
    if (missing.length > 0) await fromFiles(opts, source, memo, missing, known);
  };
  return { ...result, digestOf, loadPackages };
}

/** The state a tree entry holds, each site's packages deferred. */
function fromTree(
  body: TreeBody,
  source: DesiredSource,
  dir: string,
  known: Map<ResolvedSite, { digest: string; list: string }>,
): DesiredState {
  const sites = body.sites.map(({ site, digest, list }) => {
    // The fields in the order a fresh load gives them: packages before checks.
    const s = {} as Record<string, unknown>;
    for (const [k, v] of Object.entries(site)) {
      if (k === 'checks') s.packages = undefined;
      s[k] = v;
    }
    const resolved = s as unknown as ResolvedSite;
    deferPackages(resolved);
    known.set(resolved, { digest, list });
    return resolved;
  });
  const state: DesiredState = { revision: source.revision, dir, ...body.state, sites };
  if (source.commit) state.commit = source.commit;
  return state;
}

/**
 * Packages the memo could not give (a list file gone or damaged): the files
 * are read and resolved again, and must give the digest the site was keyed by.
 */
async function fromFiles(
  opts: LoadOptions,
  source: DesiredSource,
  memo: ResolveMemo,
  sites: readonly ResolvedSite[],
  known: Map<ResolvedSite, { digest: string; list: string }>,
): Promise<void> {
  const { loadDesiredStateWithInfo } = await import('./load.js');
  const fresh = await loadDesiredStateWithInfo({ ...opts, source, memo, resolveAll: true });
  const byName = new Map(fresh.state.sites.map((s, i) => [s.name, { site: s, digest: fresh.memoized!.digests[i]! }]));
  for (const site of sites) {
    const f = byName.get(site.name);
    if (!f || f.digest !== known.get(site)!.digest)
      throw new Error(
        `internal error: the desired-state cache disagrees with the files for site '${site.name}'; remove state/desired-cache and plan again`,
      );
    setPackages(site, f.site.packages);
  }
  await fresh.keepParsed();
}
