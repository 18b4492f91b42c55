// `reconcile apply` (the default command): plan and carry out, site by
// site, printing a line per site state change.
import { UsageError } from '../../errors.js';
import { busySummary, applySites } from '../../run/apply.js';
import { progressPrinter } from '../progress.js';
import { flag, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
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

export async function applyCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const concurrency = parseConcurrency(stringOpt(args, 'concurrency'));
  const desired = await desiredFromArgs(args, io);
  const sites = await changedOnly(args, io, desired, selectSites(desired, args));
  const json = flag(args, 'json');
  const { emit, started } = progressPrinter(io, sites.length, json, loggerFromArgs(args));
  let stateFailed = false;
  const results = await withState(args, async (state) => {
    const r = await applySites(sites, {
      state,
      stateDir: stateDirFromArgs(args),
      revision: desired.revision,
      tags: await tagsFromArgs(args, desired),
      concurrency,
      dryRun: flag(args, 'dry-run'),
      ...(stringOpt(args, 'catalog') ? { catalogOverride: stringOpt(args, 'catalog')! } : {}),
      emit,
    });
    stateFailed = saidStateFailure(state, io);
    return r;
  });

  const count = (s: string) => results.filter((r) => r.status === s).length;
  const failed = count('failed');
  if (json) io.out(JSON.stringify({ revision: desired.revision, results }));
  else {
    io.out(
      `Apply: ${count('changed')} changed, ${count('in-sync')} in sync${count('held') ? `, ${count('held')} held` : ''}${count('dry-run') ? `, ${count('dry-run')} dry-run` : ''}, ${failed} failed of ${results.length} site${results.length === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(1)}s.`,
    );
  }
  const busy = busySummary(results);
  if (!json && busy) io.out(busy);
  return { exitCode: failed > 0 || stateFailed ? 1 : 0 };
}

export function parseConcurrency(v: string | undefined): number {
  if (v === undefined) return 8;
  const n = Number(v);
  // Grid jobs mostly wait in queues, and their polls are batched: a fleet's every site may be in flight at once.
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new UsageError(`--concurrency must be a whole number from 1 to 100000, got '${v}'`);
  return n;
}

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
