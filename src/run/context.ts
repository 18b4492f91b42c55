// What the reconcile loop needs from its surroundings, passed explicitly:
// the stores and executors of ports.ts, the clock, and what this run is.
import type { ResolvedSite } from '../desired/types.js';
import type { ListCache } from '../vuln/list-store.js';
import type { SiteGate } from '../windows/gate.js';
import type { JobSlots } from './job-slots.js';
import type { Clock, Executors, HoldStore, JournalStore, ObservationStore, SiteLocks } from './ports.js';

export type SiteEventKind =
  | 'waiting-lock'
  | 'locked'
  | 'resuming'
  | 'probing'
  | 'planned'
  | 'submitted'
  /** The job's state at the site changed (queued, running), as a poll found it. */
  | 'job-state'
  | 'finished'
  | 'done'
  | 'skipped'
  | 'released'
  /** An open transaction of a site no longer in sites.yaml was closed (or left to the controller that holds it). */
  | 'closed';

/** How a site's run ended: a closed set (the detail is for people). */
export type SiteStatus = 'in-sync' | 'dry-run' | 'held' | 'deferred' | 'changed' | 'failed';

export interface SiteEvent {
  site: string;
  kind: SiteEventKind;
  detail: string;
  /** On 'done': how the site's run ended. */
  status?: SiteStatus;
}

export interface RunContext {
  journal: JournalStore;
  locks: SiteLocks;
  executors: Executors;
  observations: ObservationStore;
  holds: HoldStore;
  clock: Clock;
  revision: string;
  tags: string[];
  controller: string;
  /** How often to poll backends that cannot announce a job's end. */
  pollMs: number;
  emit(e: SiteEvent): void;
  /** The run's vulnerability lists (asked once per run); absent: jobs audit against the site's own list. */
  vulnLists?: ListCache;
  /** Whether a job may go to the site now (windows.yaml windows, GOCDB downtimes); absent: always. Asked before each submission. */
  gate?: (site: ResolvedSite) => SiteGate;
  /** Whether the site may still get a job in this run (a rollout's wave over its budget says no); asked with a job slot in hand. */
  mayStart?(site: string): boolean;
  /** Bounds the jobs out at once (--concurrency), each slot held from submission to the job's end; absent: no bound. */
  jobSlots?: JobSlots;
}
