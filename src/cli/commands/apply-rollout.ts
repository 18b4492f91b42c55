// `reconcile apply` when the desired state has a rollout.yaml: the rollout
// (src/run/rollout.ts) decides which sites run now; this prints its
// progress and where it stands. `reconcile promote` opens a manual gate.
import { InputError, UsageError } from '../../errors.js';
import { loadDesiredState } from '../../desired/load.js';
import { tagsAt } from '../../desired/tags.js';
import type { DesiredState } from '../../desired/types.js';
import { rolloutLines } from '../../rollout/describe.js';
import { promote } from '../../rollout/progress.js';
import type { RolloutPolicy } from '../../rollout/types.js';
import { driveRollout, type RolloutRun, type RolloutWork } from '../../run/rollout.js';
import type { SiteEvent } from '../../run/context.js';
import type { ReviewedSitePlan } from '../../run/reconcile-site.js';
import type { StateStore } from '../../state/store.js';
import { confirmed, planForReview, reviewedPlans } from '../review.js';
import { readRollout, writeRollout } from '../../state/rollout-file.js';
import { flag, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredOptions, loggerFromArgs, saidStateFailure, stateDirFromArgs, withState } from '../common.js';
import type { CommandResult, Io } from '../io.js';
import { progressPrinter } from '../progress.js';
import { heldSites, parseConcurrency, queueNotifications } from './apply.js';
import { runGate } from '../gate.js';
import { deferredSummary } from '../../windows/summary.js';

export async function applyRollout(
  args: ParsedArgs,
  io: Io,
  head: DesiredState,
  policy: RolloutPolicy,
): Promise<CommandResult> {
  const json = flag(args, 'json');
  // The rollout picks the sites: --since (the post-receive hook) only says that something changed.
  if (stringOpt(args, 'since') !== undefined && !json) io.out('rollout.yaml: the rollout decides which sites run now');
  const { emit, started } = progressPrinter(io, head.sites.length, json, loggerFromArgs(args));
  let stateFailed = false;
  const ask = io.confirm && !flag(args, 'yes') && !flag(args, 'dry-run');
  const run = await withState(args, async (state) => {
    const r = await rolloutRun(args, io, state, head, policy, {
      emit,
      say: (line) => json || io.out(line),
      started,
      ...(ask ? { review: (work, desired) => reviewWork(args, io, work, desired) } : {}),
    });
    stateFailed = saidStateFailure(state, io);
    return r;
  });
  if (run.cancelled) {
    io.out('Apply cancelled; nothing was changed.');
    return { exitCode: 1 };
  }
  const { results, summary } = run;
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const failed = count('failed');
  if (json) io.out(JSON.stringify({ revision: summary?.revision ?? head.revision, rollout: summary, results }));
  else {
    if (summary) for (const line of rolloutLines(summary)) io.out(line);
    io.out(
      `Apply: ${count('changed')} changed, ${count('in-sync')} in sync${count('held') ? `, ${count('held')} held` : ''}${count('deferred') ? `, ${count('deferred')} deferred` : ''}${count('dry-run') ? `, ${count('dry-run')} dry-run` : ''}, ${failed} failed of ${results.length} site${results.length === 1 ? '' : 's'} run in ${((Date.now() - started) / 1000).toFixed(1)}s.`,
    );
  }
  if (!json) for (const line of deferredSummary(results)) io.out(line);
  // A halted rollout needs a person: every run says so until a new revision starts another.
  return { exitCode: failed > 0 || stateFailed || summary?.status === 'halted' ? 1 : 0 };
}

/**
 * One run of the rollout, as `apply` and `serve --interval` make it: the
 * rollout carried as far as it goes now, then the events of its
 * transactions and of the rollout itself queued for the receivers.
 */
export async function rolloutRun(
  args: ParsedArgs,
  io: Io,
  state: StateStore,
  head: DesiredState,
  policy: RolloutPolicy,
  how: {
    emit(e: SiteEvent): void;
    say(line: string): void;
    started: number;
    review?(
      work: RolloutWork,
      desired: DesiredState,
    ): Promise<ReadonlyMap<string, ReviewedSitePlan> | false | undefined>;
  },
): Promise<RolloutRun> {
  const gitDir = stringOpt(args, 'git-dir') ?? head.dir;
  const known = new Map<string, Promise<DesiredState>>([[head.revision, Promise.resolve(head)]]);
  const desiredAt = (commit: string) => {
    if (!known.has(commit)) known.set(commit, loadDesiredState(desiredOptions(args, commit)));
    return known.get(commit)!;
  };
  const catalog = stringOpt(args, 'catalog');
  // Maintenance windows and downtimes: a site in one is deferred, its wave waits for it.
  const gate = await runGate(head, io, {
    stateDir: stateDirFromArgs(args),
    dryRun: flag(args, 'dry-run'),
    now: Date.now(),
  });
  const r = await driveRollout({
    state,
    ...(gate ? { gate: gate.gate } : {}),
    head,
    policy,
    stateDir: stateDirFromArgs(args),
    concurrency: parseConcurrency(stringOpt(args, 'concurrency')),
    dryRun: flag(args, 'dry-run'),
    ...(catalog ? { catalogOverride: catalog } : {}),
    emit: how.emit,
    say: how.say,
    desiredAt,
    tagsAt: (commit) => tagsAt(gitDir, commit),
    ...(how.review ? { review: how.review } : {}),
  });
  if (!flag(args, 'dry-run') && !r.cancelled)
    await queueNotifications(io, head, state.journal, stateDirFromArgs(args), r.results, how.started, r.transition);
  return r;
}

/** On a terminal: the plan of the sites the rollout touches now, and the question (apply.ts's, for a wave). */
async function reviewWork(
  args: ParsedArgs,
  io: Io,
  work: RolloutWork,
  desired: DesiredState,
): Promise<ReadonlyMap<string, ReviewedSitePlan> | false | undefined> {
  const wave = work.wave === undefined ? 'every site (drift repair)' : `wave ${work.wave + 1}`;
  if (work.kind === 'restore') {
    io.out(
      `The halted ${wave}'s failed sites are restored to their last validated package sets (on_failure: rollback):`,
    );
    io.out(`  ${work.sites.map((s) => s.name).join(', ')}`);
    return (await io.confirm!('Restore them? [y/N] (--yes skips this question) ')) ? new Map() : false;
  }
  if (!desired.commit) return undefined; // the work tree has no commit to review against: not asked, as without a policy
  io.out(`This run carries out ${wave} of the rollout of ${desired.revision.slice(0, 12)}, then stops:`);
  const catalogOverride = stringOpt(args, 'catalog');
  const plan = await planForReview(
    work.sites,
    {
      revision: desired.commit,
      rev: desired.commit,
      tags: await tagsAt(stringOpt(args, 'git-dir') ?? desired.dir, desired.commit),
      ...(catalogOverride ? { catalogOverride } : {}),
    },
    stateDirFromArgs(args),
    await heldSites(args),
  );
  if (!('format' in plan)) {
    io.err(`reconcile: ${plan.observedMeanwhile.join(', ')} observed while planning; nothing was changed; run again`);
    return false;
  }
  if (!(await confirmed(io, plan, 'probed, then planned and carried out without another question', false)))
    return false;
  return reviewedPlans(plan, new Set(plan.sites.filter((s) => s.observation).map((s) => s.site)));
}

/** `reconcile promote`: let the next gated wave of the current rollout start (after its soak). */
export async function promoteCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const stateDir = stateDirFromArgs(args);
  const current = await readRollout(stateDir);
  if (!current)
    throw new UsageError('no rollout in progress; nothing to promote (rollout.yaml starts one at the next apply)');
  const done = promote(current, Date.now());
  if ('error' in done) throw new InputError({ location: { file: stateDir }, message: done.error });
  await writeRollout(stateDir, done.rollout);
  const w = done.rollout.waves[done.wave]!;
  if (flag(args, 'json')) io.out(JSON.stringify({ revision: current.revision, promoted: done.wave + 1, name: w.name }));
  else
    io.out(
      `Promoted wave ${done.wave + 1} (${w.name}, ${w.sites.length} sites) of the rollout of ${current.revision.slice(0, 12)}: the next apply starts it once the wave before has soaked.`,
    );
  return { exitCode: 0 };
}
