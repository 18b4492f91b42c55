// `reconcile rollback <tag>` / `reconcile --rollback <tag>`: bring sites back
// to the package sets a tag produced (`reconcile release`, commands/hold.ts,
// lifts the hold a rollback leaves).
import { UsageError } from '../../errors.js';
import { loadDesiredState } from '../../desired/load.js';
import { busySummary, rollbackSites } from '../../run/apply.js';
import { flag, stringOpt, type ParsedArgs } from '../args.js';
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
import type { CommandResult, Io } from '../io.js';
import { progressPrinter } from '../progress.js';
import { colourOn, statusPaint } from '../colour.js';
import { parseConcurrency, queueNotifications } from './apply.js';

export async function rollbackCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const tag = stringOpt(args, 'rollback') ?? args.positionals[0];
  if (!tag) throw new UsageError('rollback needs a tag: reconcile rollback <tag>');
  if (args.positionals.length > (stringOpt(args, 'rollback') ? 0 : 1))
    throw new UsageError(`rollback takes one tag, got '${args.positionals.join(' ')}'`);
  const desired = await desiredFromArgs(args, io);
  // Read from git at the tag, never from the work tree; an unknown tag is exit 2 before anything runs.
  const atTag = await loadDesiredState(desiredOptions(args, tag));
  const sites = selectSites(desired, args);
  const json = flag(args, 'json');
  const { emit, started } = progressPrinter(
    io,
    sites.length,
    json,
    loggerFromArgs(args),
    statusPaint(colourOn(io, args)),
  );
  let stateFailed = false;
  const results = await withState(args, async (state) => {
    const r = await rollbackSites(
      sites,
      new Map(atTag.sites.map((s) => [s.name, s])),
      { tag, commit: atTag.commit! },
      {
        state,
        stateDir: stateDirFromArgs(args),
        revision: desired.revision,
        tags: await tagsFromArgs(args, desired),
        concurrency: parseConcurrency(stringOpt(args, 'concurrency')),
        dryRun: flag(args, 'dry-run'),
        ...(stringOpt(args, 'catalog') ? { catalogOverride: stringOpt(args, 'catalog')! } : {}),
        emit,
      },
    );
    stateFailed = saidStateFailure(state, io);
    if (!flag(args, 'dry-run'))
      await queueNotifications(io, desired, state.journal, stateDirFromArgs(args), r, started);
    return r;
  });

  const count = (s: string) => results.filter((r) => r.status === s).length;
  const failed = count('failed');
  if (json) io.out(JSON.stringify({ tag, commit: atTag.commit, results }));
  else {
    // A dry run rolled nothing back: it wrote the job scripts, as apply --dry-run does.
    const done = `${count('changed')} rolled back${count('dry-run') ? `, ${count('dry-run')} dry-run (job scripts in state/jobs/dry-run/)` : ''}${count('held') ? `, ${count('held')} held by hand (not touched)` : ''}`;
    io.out(
      `Rollback to ${tag} (${atTag.commit!.slice(0, 12)}): ${done}, ${failed} failed, in ${((Date.now() - started) / 1000).toFixed(1)}s.`,
    );
  }
  const busy = busySummary(results);
  if (!json && busy) io.out(busy);
  return { exitCode: failed > 0 || stateFailed ? 1 : 0 };
}
