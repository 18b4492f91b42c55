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
import { driveRollout } from '../../run/rollout.js';
import { readRollout, writeRollout } from '../../state/rollout-file.js';
import { flag, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredOptions, loggerFromArgs, saidStateFailure, stateDirFromArgs, withState } from '../common.js';
import type { CommandResult, Io } from '../io.js';
import { progressPrinter } from '../progress.js';
import { parseConcurrency } from './apply.js';
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
  const gitDir = stringOpt(args, 'git-dir') ?? head.dir;
  const known = new Map<string, Promise<DesiredState>>();
  const catalog = stringOpt(args, 'catalog');
  let stateFailed = false;
  const gate = await runGate(head, io, {
    stateDir: stateDirFromArgs(args),
    dryRun: flag(args, 'dry-run'),
    now: Date.now(),
  });
  const run = await withState(args, async (state) => {
    const r = await driveRollout({
      state,
      ...(gate ? { gate: gate.gate } : {}),
      head,
      policy,
      stateDir: stateDirFromArgs(args),
      concurrency: parseConcurrency(stringOpt(args, 'concurrency')),
      dryRun: flag(args, 'dry-run'),
      ...(catalog ? { catalogOverride: catalog } : {}),
      emit,
      say: (line) => json || io.out(line),
      desiredAt: (commit) => {
        if (!known.has(commit)) known.set(commit, loadDesiredState(desiredOptions(args, commit)));
        return known.get(commit)!;
      },
      tagsAt: (commit) => tagsAt(gitDir, commit),
    });
    stateFailed = saidStateFailure(state, io);
    return r;
  });
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
