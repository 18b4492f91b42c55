// The state a controller keeps, as one value behind the run's store
// interfaces (run/ports.ts): the journal, holds and site locks, plus what
// the read-only commands (status, history, hold, rollback) need of them.
// Two implementations: plain files under state/ (file-stores.ts, the
// embedded default) and PostgreSQL (pg/, for VOs with more than one
// controller machine). Which one a command gets is decided once, here.
import type { HoldStore, JournalStore, SiteLocks } from '../run/ports.js';
import type { Hold } from '../rollback/holds.js';
import type { JournalRecord } from './records.js';
import type { LockOwner } from './site-lock.js';

export interface StateJournal extends JournalStore {
  /** Every record in order, and the problems met reading them (`file:line: reason`). */
  readAll(): Promise<{ records: JournalRecord[]; problems: string[] }>;
}

export interface StateHolds extends HoldStore {
  /** Every hold, by site name (code point order, whichever the store). */
  list(): Promise<Hold[]>;
  /** Release the site's hold, saying whether there was one (release, for the run, needs not know). */
  lift(site: string): Promise<boolean>;
}

export interface StateLocks extends SiteLocks {
  /** Who holds the site's lock now, if anyone (for reports). */
  holder(site: string): Promise<LockOwner | undefined>;
}

export interface StateStore {
  /** Where the state is, for messages: the directory, or the database URL without its password. */
  readonly where: string;
  readonly kind: 'files' | 'postgres';
  /**
   * The directory for what stays per controller machine whichever store is
   * used: job scripts and outputs, observations, caches.
   */
  readonly localDir: string;
  readonly journal: StateJournal;
  readonly holds: StateHolds;
  readonly locks: StateLocks;
  /**
   * A string that changes whenever the journal, holds or lock holders do
   * (serve keeps a status while it stays the same); undefined when the
   * caller's file stamps already cover it.
   */
  changeStamp(): Promise<string | undefined>;
  /**
   * Why the store stopped working during the run (the database went away),
   * if it did: the run then submitted nothing more.
   */
  failure(): StateFailure | undefined;
  close(): Promise<void>;
}

/**
 * The state cannot be used (database unreachable, refused login, wrong
 * schema version): exit 2 with this one line, which never holds a password.
 */
export class StateFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateFailure';
  }
}

/** Whether --state (or VO_RECONCILE_STATE) names a PostgreSQL database rather than a directory. */
export function isDatabaseUrl(state: string): boolean {
  return /^postgres(ql)?:\/\//i.test(state);
}

export interface StateSpec {
  /** --state, else VO_RECONCILE_STATE, else "state". */
  state: string;
  /** The local directory (with a database: VO_RECONCILE_LOCAL_STATE, else "state"). */
  localDir: string;
}

export function stateSpec(option: string | undefined, env: NodeJS.ProcessEnv = process.env): StateSpec {
  const state = option ?? (env.VO_RECONCILE_STATE || 'state');
  return { state, localDir: isDatabaseUrl(state) ? env.VO_RECONCILE_LOCAL_STATE || 'state' : state };
}

/** Open the state a spec names; a database is checked (reachable, login, schema version) before this resolves. */
export async function openState(spec: StateSpec): Promise<StateStore> {
  if (!isDatabaseUrl(spec.state)) {
    const { FileState } = await import('./file-stores.js');
    return new FileState(spec.state);
  }
  // Loaded only when asked for: a file-state run never loads the pg client.
  const { openPgState } = await import('./pg/pg-state.js');
  return openPgState(spec.state, spec.localDir);
}

/** Holds in the one order every store lists them in. */
export function bySite(holds: Hold[]): Hold[] {
  return holds.sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
}
