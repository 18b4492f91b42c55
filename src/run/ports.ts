// What the transaction driver and the site loop need from the world, as
// small interfaces: the journal, the site locks, the executors that move
// jobs to sites, the observations, the holds, and the clock. The embedded
// file state implements them (world.ts); a dry run is the same world with
// executors that only write job scripts and stores that keep nothing.
import type { Backend, JobHandle, JobRequest } from '../backends/types.js';
import type { BackendName } from '../desired/types.js';
import type { Inventory } from '../observed/types.js';
import type { Hold } from '../rollback/holds.js';
import type { JournalRecord, Transaction } from '../state/records.js';
import type { LockOwner, Release } from '../state/site-lock.js';

export interface JournalStore {
  /** Append durably, in order: on disk when this resolves. */
  append(...records: JournalRecord[]): Promise<void>;
  /** A site's transactions with no end, as of now, oldest first. */
  openTransactions(site: string): Promise<Transaction[]>;
  /** The revision and tags the site's last successful apply brought it to ("rollback:<commit>" after a rollback). */
  lastAppliedRevision(site: string): Promise<string | undefined>;
  /** Every transaction the journal holds (history, rollback). */
  transactions(): Promise<Transaction[]>;
}

export interface SiteLocks {
  /** Wait for the site's lock (undefined when another controller held it past the timeout). */
  acquire(
    site: string,
    command: string,
    opts: { timeoutMs: number; onBusy?: (holder: LockOwner | undefined) => void },
  ): Promise<Release | undefined>;
  /** Whether this process held the site's lock and lost it (then no job may be submitted there). */
  lost(site: string): boolean;
}

export interface ObservationStore {
  read(site: string): Promise<Inventory | undefined>;
  write(inventory: Inventory): Promise<void>;
}

export interface HoldStore {
  read(site: string): Promise<Hold | undefined>;
  /** False when nothing was kept (a dry run). */
  write(hold: Hold): Promise<boolean>;
  release(site: string): Promise<void>;
}

/** What a submission did: a job now exists, or (a dry run) only its script was written. */
export type Submission = { job: JobHandle } | { recorded: string };

/** A backend as the driver uses it: the backend interface, with a submission that may only record. */
export interface Executor extends Omit<Backend, 'submit'> {
  submit(req: JobRequest): Promise<Submission>;
}

export interface Executors {
  get(name: BackendName): Executor | Error;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function isoAt(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
