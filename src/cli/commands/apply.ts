// `reconcile apply` (the default command): plan and carry out, site by
// site, printing a line per site state change.
import { UsageError } from '../../errors.js';
import { tagsAt } from '../../desired/tags.js';
import { applySites } from '../../run/apply.js';
import { progressPrinter } from '../progress.js';
import { flag, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredFromArgs, selectSites, stateDirFromArgs } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function applyCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const concurrency = parseConcurrency(stringOpt(args, 'concurrency'));
  const desired = await desiredFromArgs(args, io);
  const sites = selectSites(desired, args);
  const json = flag(args, 'json');
  const { emit, started } = progressPrinter(io, sites.length, json);
  const results = await applySites(sites, {
    stateDir: stateDirFromArgs(args),
    revision: desired.revision,
    tags: await tagsAt(desired.dir, desired.commit),
    concurrency,
    dryRun: flag(args, 'dry-run'),
    ...(stringOpt(args, 'catalog') ? { catalogOverride: stringOpt(args, 'catalog')! } : {}),
    emit,
  });
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const failed = count('failed');
  if (json) io.out(JSON.stringify({ revision: desired.revision, results }));
  else {
    io.out(
      `Apply: ${count('changed')} changed, ${count('in-sync')} in sync${count('held') ? `, ${count('held')} held` : ''}${count('dry-run') ? `, ${count('dry-run')} dry-run` : ''}, ${failed} failed of ${results.length} site${results.length === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(1)}s.`,
    );
  }
  return { exitCode: failed > 0 ? 1 : 0 };
}

export function parseConcurrency(v: string | undefined): number {
  if (v === undefined) return 8;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--concurrency must be a whole number from 1 to 1024, got '${v}'`);
  return n;
}
