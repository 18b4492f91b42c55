// What the reconcile loop needs from its surroundings, passed explicitly.
import type { Backend } from '../backends/types.js';
import type { ListCache } from '../vuln/list-store.js';
import type { BackendName } from '../desired/types.js';
import type { Journal } from '../state/journal.js';
import type { Transaction } from '../state/records.js';

export type SiteEventKind =
  | 'waiting-lock'
  | 'locked'
  | 'resuming'
  | 'probing'
  | 'planned'
  | 'submitted'
  | 'finished'
  | 'done'
  | 'skipped'
  | 'released';

export interface SiteEvent {
  site: string;
  kind: SiteEventKind;
  detail: string;
}

export interface RunContext {
  stateDir: string;
  journal: Journal;
  backend(name: BackendName): Backend | Error;
  revision: string;
  tags: string[];
  controller: string;
  /** How often to poll backends that cannot announce a job's end. */
  pollMs: number;
  dryRun: boolean;
  emit(e: SiteEvent): void;
  /** Transactions of a site with no end in the journal, as of now. */
  openTransactions(site: string): Promise<Transaction[]>;
  /** The revision and tags the site's last successful apply brought it to ("rollback:<commit>" after a rollback). */
  lastAppliedRevision(site: string): Promise<string | undefined>;
  /** Whether this controller lost the site's lock to another one (then no job may be submitted). */
  lockLost(site: string): boolean;
  /** Set by the code holding a site's lock. */
  holding(site: string, lost: (() => boolean) | undefined): void;
  /** The run's vulnerability lists (asked once per run); absent: jobs audit against the site's own list. */
  vulnLists?: ListCache;
}
