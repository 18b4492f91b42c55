// `reconcile plan`: what apply would do, per site, and why. Sites are planned
// one after another and printed as they are done, so a thousand sites with
// thousands of packages each never sit in memory together.
import { CatalogCache } from '../../catalog/load.js';
import { checkObservedDir, readObservedSite } from '../../observed/observed-dir.js';
import { readInventory } from '../../observed/store.js';
import type { Inventory } from '../../observed/types.js';
import { planSite } from '../../plan/plan-site.js';
import { readHold } from '../../rollback/holds.js';
import { renderSitePlan, renderSummary } from '../../plan/render.js';
import type { SitePlan } from '../../plan/types.js';
import { addToSummary, emptySummary } from '../../plan/types.js';
import { flag, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredFromArgs, selectSites, stateDirFromArgs } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function planCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const desired = await desiredFromArgs(args, io);
  const sites = selectSites(desired, args);
  const observedDir = stringOpt(args, 'observed');
  if (observedDir) await checkObservedDir(observedDir);
  const stateDir = stateDirFromArgs(args);
  const observe = (site: string): Promise<Inventory | undefined> =>
    observedDir ? readObservedSite(observedDir, site) : readInventory(stateDir, site);
  const catalogs = new CatalogCache();
  const catalogOverride = stringOpt(args, 'catalog');
  // A catalog named on the command line that cannot be read is bad input, not a site failure.
  if (catalogOverride) await catalogs.get(catalogOverride);
  const catalogFor = (pkgPath: string) => catalogs.getOrError(catalogOverride ?? pkgPath);
  const json = flag(args, 'json');
  const verbose = flag(args, 'verbose');

  // Only counts are kept: a plan's strings can pin its whole inventory file in memory.
  const summary = emptySummary();
  if (json) io.out(`{"format":"vo-reconcile-plan/1","revision":${JSON.stringify(desired.revision)},"sites":[`);
  // Read the next site's inventory while this one is planned.
  let next = sites.length > 0 ? observe(sites[0]!.name) : undefined;
  for (let i = 0; i < sites.length; i++) {
    const site = sites[i]!;
    const inventory = await next!;
    next = i + 1 < sites.length ? observe(sites[i + 1]!.name) : undefined;
    next?.catch(() => undefined);
    const plan = planSite(site, inventory, await catalogFor(site.pkg_path), { kept: verbose ? 'full' : 'counts' });
    addToSummary(summary, plan);
    const hold = await readHold(stateDir, site.name);
    const held = hold ? { tag: hold.tag, txid: hold.txid, at: hold.at } : undefined;
    if (json)
      io.out(
        `${i > 0 ? ',' : ''}${JSON.stringify({ ...(verbose ? plan : withKeptCounts(plan)), ...(held ? { held } : {}) })}`,
      );
    else {
      for (const line of renderSitePlan(plan, verbose)) io.out(line);
      if (held)
        io.out(
          `  (held since the rollback to ${held.tag}, ${held.txid}: apply leaves it alone until the desired state equals ${held.tag}'s or 'reconcile release ${site.name}')`,
        );
    }
  }
  if (json) io.out(`],"summary":${JSON.stringify(summary)}}`);
  else io.out(renderSummary(summary));

  if (summary.failed > 0) return { exitCode: 1 };
  if (flag(args, 'detailed-exitcode') && summary.changed > 0) return { exitCode: 3 };
  return { exitCode: 0 };
}

/** Without -v, kept packages are counts by reason: the full list is large at big sites. */
function withKeptCounts(p: SitePlan): Omit<SitePlan, 'kept'> {
  const { kept: _kept, ...rest } = p;
  return rest;
}
