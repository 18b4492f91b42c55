// What several commands share: reading the desired state the options name,
// and choosing the sites they act on.
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { LoadResult } from '../desired/load.js';
import type { DesiredState, ResolvedSite } from '../desired/types.js';
import { flag, listOpt, stringOpt, type ParsedArgs } from './args.js';
import type { Io } from './io.js';
import type { Logger } from 'pino';
import { createLogger } from '../log.js';
import type { LogLevel } from '../log-levels.js';
import { siteMatcher } from '../desired/site-words.js';
import { closest } from './did-you-mean.js';
import { isDatabaseUrl, openState, stateSpec, type StateStore } from '../state/store.js';
import { redactUrl } from '../state/redact-url.js';
import type { PlanDesired } from '../desired/plan-load.js';

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
  // Loaded here, not at start-up: plan reads the desired state through its memo (plan-load.ts) instead.
  const { loadDesiredStateWithInfo } = await import('../desired/load.js');
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

/**
 * The desired state through the resolve memo in state/desired-cache (see
 * plan-load.ts): when the desired-state tree was read before, no YAML is
 * parsed and no profile resolved; each site's packages load on demand.
 */
export async function desiredWithMemoFromArgs(args: ParsedArgs, io: Io, stateDir: string): Promise<PlanDesired> {
  const { loadDesiredForPlan } = await import('../desired/plan-load.js');
  const loaded = await loadDesiredForPlan({ ...desiredOptions(args), cacheDir: path.join(stateDir, 'desired-cache') });
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

/**
 * The local state directory: all of the state by default; with a database
 * (--state postgres://…), what stays per machine (job scripts, observations, caches).
 */
export function stateDirFromArgs(args: ParsedArgs): string {
  return stateSpec(stringOpt(args, 'state')).localDir;
}

/** The journal, holds and locks --state (or VO_RECONCILE_STATE) names, opened and checked. */
export function stateFromArgs(args: ParsedArgs): Promise<StateStore> {
  return openState(stateSpec(stringOpt(args, 'state')));
}

/** Run with the state open, and close it after (a database connection must not keep the process alive). */
export async function withState<T>(args: ParsedArgs, work: (state: StateStore) => Promise<T>): Promise<T> {
  const state = await stateFromArgs(args);
  try {
    return await work(state);
  } finally {
    await state.close();
  }
}

/**
 * After a run: if the state went away during it (the database stopped), say
 * so in one line and return true; the run then submitted nothing more, and
 * the next run resumes what was in flight.
 */
export function saidStateFailure(state: StateStore, io: Io): boolean {
  const failure = state.failure();
  if (!failure) return false;
  io.err(`reconcile: ${failure.message}; submitted nothing more; the next run resumes what was in flight`);
  return true;
}

/**
 * --state as a hook script or crontab line should say it: a directory made
 * absolute, a database URL without its password (the password comes from
 * ~/.pgpass or PGPASSWORD there, never from a file we write).
 */
export function stateForScripts(args: ParsedArgs): string {
  const { state } = stateSpec(stringOpt(args, 'state'));
  return isDatabaseUrl(state) ? redactUrl(state) : path.resolve(state);
}

/** The sites named by --site (all when none), in sites.yaml order. */
export function selectSites(desired: DesiredState, args: ParsedArgs): ResolvedSite[] {
  const wanted = listOpt(args, 'site');
  return wanted.length === 0 ? desired.sites : matchSites(desired, wanted);
}

/**
 * The sites that site words name, in sites.yaml order: a name, a glob over
 * names (`DESY-*`, quoted from the shell) or `tag:T` for the sites tagged T.
 * A word that names no site is a usage error (a typo must not select nothing).
 */
export function matchSites(desired: DesiredState, words: string[]): ResolvedSite[] {
  const chosen = new Set<string>();
  const unmatched: string[] = [];
  for (const w of words) {
    const hits = desired.sites.filter(siteMatcher(w)).map((s) => s.name);
    if (hits.length === 0) unmatched.push(w);
    hits.forEach((h) => chosen.add(h));
  }
  if (unmatched.length > 0) {
    const names = desired.sites.map((s) => s.name);
    const what = unmatched
      .map((u) => (/[*?[]/.test(u) || u.startsWith('tag:') ? `'${u}' matches no site` : `unknown site '${u}'`))
      .join(', ');
    const guess = unmatched.length === 1 ? closest(unmatched[0]!, names) : undefined;
    throw new UsageError(`${what}${guess ? `; did you mean '${guess}'?` : ''}; sites.yaml has: ${names.join(', ')}`);
  }
  return desired.sites.filter((s) => chosen.has(s.name));
}

/** The tags pointing at the desired-state commit (from --git-dir when given). */
export async function tagsFromArgs(args: ParsedArgs, desired: DesiredState): Promise<string[]> {
  const { tagsAt } = await import('../desired/tags.js');
  return tagsAt(stringOpt(args, 'git-dir') ?? desired.dir, desired.commit);
}

/** The run's logger, as --log-level and --log-file say. */
export function loggerFromArgs(args: ParsedArgs): Logger {
  // parseCommandLine refused any other --log-level before a command ran.
  const level = stringOpt(args, 'log-level') as LogLevel | undefined;
  const file = stringOpt(args, 'log-file');
  // On stderr the human output already says every warning (a site's failure):
  // by default the log adds only errors there, so a failure is printed once.
  return createLogger(level ?? (file ? 'warn' : 'error'), file);
}
