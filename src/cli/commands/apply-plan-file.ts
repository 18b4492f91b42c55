// `reconcile apply FILE`: carry out a reviewed plan (plan --out) exactly, or
// refuse it as stale — the whole plan by default, naming each site and what
// changed — when anything it was made from changed: the commit its rev
// names, a site's observation, catalog or hold, a transaction in flight.
// With --skip-stale only the stale sites are left out.
import { UsageError } from '../../errors.js';
import { loadDesiredState } from '../../desired/load.js';
import { currentInputs } from '../../plan-file/current.js';
import { readPlanFile } from '../../plan-file/plan-file.js';
import { staleness } from '../../plan-file/staleness.js';
import { emptySummary } from '../../plan/types.js';
import { addCounts, countsOf } from '../../plan-cache/site-counts.js';
import { flag, type OptionName, type ParsedArgs } from '../args.js';
import { desiredOptions, stateDirFromArgs, tagsFromArgs, withState } from '../common.js';
import type { CommandResult, Io } from '../io.js';
import { confirmed, reviewedPlans } from '../review.js';
import { runApply } from './apply.js';

/** A stale plan was refused (or, with --skip-stale, some of it): the documented exit code. */
export const EXIT_STALE_PLAN = 4;

/** What the plan itself decides; the command line may not say otherwise. */
const DECIDED_BY_PLAN: [OptionName, string][] = [
  ['site', 'its sites'],
  ['rev', 'its revision'],
  ['worktree', 'its revision'],
  ['catalog', 'its catalogs'],
  ['since', 'its sites'],
];

export async function applyPlanFile(args: ParsedArgs, io: Io, file: string): Promise<CommandResult> {
  for (const [option, what] of DECIDED_BY_PLAN)
    if (args.values[option] !== undefined)
      throw new UsageError(
        `--${option} does not go with a plan file: the plan names ${what} (plan again with --${option})`,
      );
  const plan = await readPlanFile(file);
  const stateDir = stateDirFromArgs(args);
  const desired = await loadDesiredState(desiredOptions(args, plan.rev));
  const byName = new Map(desired.sites.map((s) => [s.name, s]));
  const now = await withState(args, (state) =>
    currentInputs(plan, desired.commit ?? desired.revision, byName, stateDir, state),
  );
  const reasons = staleness(plan, now);
  const whole = reasons.some((r) => r.site === undefined);
  const stale = new Set(reasons.flatMap((r) => (r.site ? [r.site] : [])));
  const json = flag(args, 'json');
  if (reasons.length > 0 && (whole || !flag(args, 'skip-stale'))) {
    if (json) io.out(JSON.stringify({ plan: file, stale: reasons }));
    io.err(`reconcile: the plan in ${file} is stale; nothing was changed:`);
    for (const r of reasons) io.err(`  ${r.message}`);
    io.err(
      `Plan again ('reconcile plan --out ${file}'), review it, and apply that${whole ? '' : ', or apply the rest with --skip-stale'}.`,
    );
    return { exitCode: EXIT_STALE_PLAN };
  }
  for (const r of reasons) io.err(`reconcile: skipped, stale: ${r.message}`);
  const sites = plan.sites.filter((s) => !stale.has(s.site));
  const summary = sites.reduce(
    (sum, s) => addCounts(sum, countsOf({ ...s.plan, kept: [] }), { held: s.held }),
    emptySummary(),
  );
  const fresh = { ...plan, sites, summary };
  if (!(await confirmed(io, fresh, 'left alone: a reviewed plan has nothing to carry out there', flag(args, 'yes')))) {
    io.out('Apply cancelled; nothing was changed.');
    return { exitCode: 1 };
  }
  const { exitCode } = await runApply(
    args,
    io,
    fresh.sites.map((s) => byName.get(s.site)!),
    {
      desired,
      revision: desired.revision,
      tags: await tagsFromArgs(args, desired),
      ...(plan.catalogOverride ? { catalogOverride: plan.catalogOverride } : {}),
      reviewed: reviewedPlans(fresh),
    },
  );
  return { exitCode: exitCode === 0 && stale.size > 0 ? EXIT_STALE_PLAN : exitCode };
}
