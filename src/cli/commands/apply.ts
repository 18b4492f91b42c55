// `reconcile apply` (the default command): plan and carry out, site by
// site, printing a line per site state change. `apply FILE` carries out a
// reviewed plan instead (apply-plan-file.ts). On a terminal the plan is
// shown and confirmed first, unless --yes.
import { UsageError } from '../../errors.js';
import { parseConcurrency } from '../concurrency.js';
import {
  busySummary,
  applySites,
  closeRemovedSiteTransactions,
  removedSitesSummary,
  type RemovedSiteTx,
} from '../../run/apply.js';
import { progressPrinter } from '../progress.js';
import { colourOn, statusPaint } from '../colour.js';
import { flag, listOpt, stringOpt, type ParsedArgs } from '../args.js';
import {
  desiredFromArgs,
  desiredOptions,
  selectSites,
  loggerFromArgs,
  stateDirFromArgs,
  saidStateFailure,
  withState,
  tagsFromArgs,
} from '../common.js';
import { changedSites } from '../../desired/changes.js';
import { loadDesiredState } from '../../desired/load.js';
import type { DesiredState, ResolvedSite } from '../../desired/types.js';
import type { CommandResult, Io } from '../io.js';
import { confirmed, planForReview, reviewedPlans } from '../review.js';
import type { ReviewedSitePlan, SiteResult } from '../../run/reconcile-site.js';
import type { JournalStore } from '../../run/ports.js';
import { notifyRun, type RolloutTransition } from '../../notify/notify-run.js';
import { runGate } from '../gate.js';
import { deferredSummary } from '../../windows/summary.js';

export async function applyCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals.length > 1)
    throw new UsageError(
      `apply takes at most one plan file, got '${args.positionals[1]}' (see reconcile apply --help)`,
    );
  if (args.positionals[0] !== undefined)
    return (await import('./apply-plan-file.js')).applyPlanFile(args, io, args.positionals[0]);
  parseConcurrency(stringOpt(args, 'concurrency')); // refused before anything is read
  const desired = await desiredFromArgs(args, io);
  // A rollout policy decides which sites run now, unless --site names them by hand.
  if (desired.rollout && listOpt(args, 'site').length === 0)
    return (await import('./apply-rollout.js')).applyRollout(args, io, desired, desired.rollout);
  const sites = await changedOnly(args, io, desired, selectSites(desired, args));
  const stateDir = stateDirFromArgs(args);
  const tags = await tagsFromArgs(args, desired);
  const catalogOverride = stringOpt(args, 'catalog');
  let reviewed: Map<string, ReviewedSitePlan> | undefined;
  // Someone at a terminal sees what will happen and says yes first; cron and hooks are not asked.
  if (io.confirm && !flag(args, 'yes') && !flag(args, 'dry-run') && desired.commit) {
    const plan = await planForReview(
      sites,
      {
        revision: desired.commit,
        rev: stringOpt(args, 'rev') ?? 'HEAD',
        tags,
        ...(catalogOverride ? { catalogOverride } : {}),
      },
      stateDir,
      await heldSites(args),
    );
    if (!('format' in plan)) {
      io.err(`reconcile: ${plan.observedMeanwhile.join(', ')} observed while planning; nothing was changed; run again`);
      return { exitCode: 1 };
    }
    if (!(await confirmed(io, plan, 'probed, then planned and carried out without another question', false))) {
      io.out('Apply cancelled; nothing was changed.');
      return { exitCode: 1 };
    }
    // What was shown is what runs; an unobserved site is planned once probed, as without a terminal.
    reviewed = reviewedPlans(plan, new Set(plan.sites.filter((s) => s.observation).map((s) => s.site)));
  }
  return runApply(args, io, sites, {
    desired,
    revision: desired.revision,
    tags,
    inSitesYaml: desired.sites,
    ...(catalogOverride ? { catalogOverride } : {}),
    ...(reviewed ? { reviewed } : {}),
  });
}

/** The sites held now, by the state the run uses (what apply FILE compares a plan's holds with). */
export async function heldSites(args: ParsedArgs): Promise<Set<string>> {
  return new Set((await withState(args, (state) => state.holds.list())).map((h) => h.site));
}

/** Carry out the sites (planning them, or their reviewed plans) and print the outcome. */
export async function runApply(
  args: ParsedArgs,
  io: Io,
  sites: readonly ResolvedSite[],
  run: {
    desired: DesiredState;
    revision: string;
    tags: string[];
    catalogOverride?: string;
    reviewed?: ReadonlyMap<string, ReviewedSitePlan>;
    /** Every site of sites.yaml: open transactions of any other are closed (not for a reviewed plan file, which decides nothing). */
    inSitesYaml?: readonly ResolvedSite[];
  },
): Promise<{ exitCode: number }> {
  const concurrency = parseConcurrency(stringOpt(args, 'concurrency'));
  const json = flag(args, 'json');
  const { emit, started } = progressPrinter(
    io,
    sites.length,
    json,
    loggerFromArgs(args),
    statusPaint(colourOn(io, args)),
  );
  let stateFailed = false;
  let removed: RemovedSiteTx[] = [];
  const gate = await runGate(run.desired, io, {
    stateDir: stateDirFromArgs(args),
    dryRun: flag(args, 'dry-run'),
    now: Date.now(),
  });
  const results = await withState(args, async (state) => {
    const options = {
      ...(gate ? { gate: gate.gate } : {}),
      state,
      stateDir: stateDirFromArgs(args),
      revision: run.revision,
      tags: run.tags,
      concurrency,
      dryRun: flag(args, 'dry-run'),
      ...(run.catalogOverride ? { catalogOverride: run.catalogOverride } : {}),
      ...(run.reviewed ? { reviewed: run.reviewed } : {}),
      emit,
    };
    const r = await applySites(sites, options);
    // Not a site of the run: what the journal left open at sites sites.yaml no longer has.
    if (run.inSitesYaml && !state.failure()) removed = await closeRemovedSiteTransactions(run.inSitesYaml, options);
    stateFailed = saidStateFailure(state, io);
    if (!flag(args, 'dry-run'))
      await queueNotifications(io, run.desired, state.journal, stateDirFromArgs(args), r, started);
    return r;
  });
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const failed = count('failed');
  if (json) io.out(JSON.stringify({ revision: run.revision, results, ...(removed.length > 0 ? { removed } : {}) }));
  else {
    io.out(
      `Apply: ${count('changed')} changed, ${count('in-sync')} in sync${count('held') ? `, ${count('held')} held` : ''}${count('deferred') ? `, ${count('deferred')} deferred` : ''}${count('dry-run') ? `, ${count('dry-run')} dry-run` : ''}, ${failed} failed of ${results.length} site${results.length === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(1)}s.`,
    );
  }
  if (!json) for (const line of deferredSummary(results)) io.out(line);
  const busy = busySummary(results);
  if (!json && busy) io.out(busy);
  if (!json && removed.length > 0) io.out(removedSitesSummary(removed));
  return { exitCode: failed > 0 || stateFailed ? 1 : 0 };
}

/**
 * The run's events, queued for the receivers of notifications.yaml and sent
 * by a detached deliverer: a receiver never holds up or fails the run, and
 * a failure to queue is one line on stderr.
 */
export async function queueNotifications(
  io: Io,
  desired: DesiredState,
  journal: Pick<JournalStore, 'transactions'>,
  localDir: string,
  results: readonly SiteResult[],
  started: number,
  rollout?: RolloutTransition,
): Promise<void> {
  const txids = new Set(results.flatMap((r) => ('txid' in r && r.txid ? [r.txid] : [])));
  await notifyRun(desired, journal, localDir, txids, new Date(started).toISOString(), rollout).catch((e: Error) =>
    io.err(`reconcile: notifications not queued: ${e.message}`),
  );
}

export { parseConcurrency } from '../concurrency.js';

/** With --since REV: only the sites whose resolved desired state changed since REV (a push's old commit). */
async function changedOnly(
  args: ParsedArgs,
  io: Io,
  desired: DesiredState,
  sites: ResolvedSite[],
): Promise<ResolvedSite[]> {
  const since = stringOpt(args, 'since');
  if (since === undefined) return sites;
  // A new branch has no old commit (all zeros): everything is new.
  const before = /^0+$/.test(since)
    ? undefined
    : await loadDesiredState(desiredOptions(args, since)).catch(() => undefined);
  const changes = new Map(changedSites(before, desired).map((c) => [c.site, c]));
  const picked = sites.filter((s) => changes.has(s.name));
  io.out(
    `Changed since ${since.slice(0, 12)}: ${picked.length === 0 ? 'no site' : picked.map((s) => s.name).join(', ')}`,
  );
  for (const s of picked) for (const line of changes.get(s.name)!.changes) io.out(`  ${s.name}: ${line}`);
  return picked;
}
