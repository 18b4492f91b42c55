// What several commands share: reading the desired state the options name,
// and choosing the sites they act on.
import path from 'node:path';
import { UsageError } from '../errors.js';
import { loadDesiredStateWithInfo, type LoadResult } from '../desired/load.js';
import type { DesiredState, ResolvedSite } from '../desired/types.js';
import { flag, listOpt, stringOpt, type ParsedArgs } from './args.js';
import type { Io } from './io.js';
import type { Logger } from 'pino';
import { createLogger } from '../log.js';
import { tagsAt } from '../desired/tags.js';

export async function desiredFromArgs(args: ParsedArgs, io: Io): Promise<DesiredState> {
  return (await desiredWithCacheFromArgs(args, io, { cached: false })).state;
}

/**
 * With `cached`, what each file parses to is kept in state/desired-cache (plan
 * and reports read it often), once the caller calls `keepParsed`.
 */
export async function desiredWithCacheFromArgs(
  args: ParsedArgs,
  io: Io,
  opts: { cached: boolean },
): Promise<LoadResult> {
  const cacheDir = opts.cached ? path.join(stateDirFromArgs(args), 'desired-cache') : undefined;
  const loaded = await loadDesiredStateWithInfo({
    ...desiredOptions(args),
    ...(cacheDir ? { cacheDir } : {}),
  });
  if (loaded.dirty)
    io.err(
      `note: ${loaded.state.dir} has uncommitted changes; using commit ${loaded.state.commit!.slice(0, 12)} (--worktree uses the edited files)`,
    );
  return loaded;
}

/** Where --desired/--rev/--worktree/--git-dir say the desired state is. */
export function desiredOptions(args: ParsedArgs, rev = stringOpt(args, 'rev')) {
  const gitDir = stringOpt(args, 'git-dir');
  return {
    dir: stringOpt(args, 'desired') ?? 'desired-state',
    rev,
    worktree: flag(args, 'worktree'),
    ...(gitDir ? { gitDir } : {}),
  };
}

export function stateDirFromArgs(args: ParsedArgs): string {
  return stringOpt(args, 'state') ?? 'state';
}

/** The sites named by --site (all when none), in sites.yaml order. */
export function selectSites(desired: DesiredState, args: ParsedArgs): ResolvedSite[] {
  const wanted = listOpt(args, 'site');
  if (wanted.length === 0) return desired.sites;
  const known = new Set(desired.sites.map((s) => s.name));
  const unknown = wanted.filter((w) => !known.has(w));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown site${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; sites.yaml has: ${[...known].join(', ')}`,
    );
  }
  const set = new Set(wanted);
  return desired.sites.filter((s) => set.has(s.name));
}

/** The tags pointing at the desired-state commit (from --git-dir when given). */
export function tagsFromArgs(args: ParsedArgs, desired: DesiredState): Promise<string[]> {
  return tagsAt(stringOpt(args, 'git-dir') ?? desired.dir, desired.commit);
}

/** The run's logger, as --log-level and --log-file say. */
export function loggerFromArgs(args: ParsedArgs): Logger {
  return createLogger(stringOpt(args, 'log-level') ?? 'warn', stringOpt(args, 'log-file'));
}
