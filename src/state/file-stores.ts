// The embedded state under state/ behind the run's store interfaces: the
// journal (journal.jsonl), site locks (locks/), observations (observed/)
// and holds (holds/), in the formats they have always had.
import type { Inventory } from '../observed/types.js';
import { readInventory, writeInventory } from '../observed/store.js';
import { listHolds, readHold, releaseHold, writeHold, type Hold } from '../rollback/holds.js';
import { Journal } from './journal.js';
import { OpenTransactions } from './open-transactions.js';
import { foldTransactions, type JournalRecord, type Transaction } from './records.js';
import { lockSite, readSiteLock, type LockOwner, type Release } from './site-lock.js';
import { bySite, type StateFailure, type StateStore } from './store.js';

export class FileJournalStore {
  private readonly journal: Journal;
  private readonly open: OpenTransactions;
  /**
   * Every record read so far, for transactions(): a rollback over a fleet asks
   * once per site, and must not re-read and re-parse the whole journal each
   * time. Its own Journal, as readNew()'s offset is per instance and `open`
   * has the other; the reads are chained so none skips or repeats a record.
   */
  private all: { journal: Journal; records: JournalRecord[]; reading: Promise<void> } | undefined;

  constructor(private readonly stateDir: string) {
    this.journal = new Journal(stateDir);
    this.open = new OpenTransactions(this.journal);
  }

  append(...records: JournalRecord[]): Promise<void> {
    return this.journal.append(...records);
  }
  openTransactions(site: string): Promise<Transaction[]> {
    return this.open.forSite(site);
  }
  lastAppliedRevision(site: string): Promise<string | undefined> {
    return this.open.lastAppliedRevision(site);
  }
  /** The whole journal afresh, with its damaged lines as `file:line: reason`. */
  async readAll(): Promise<{ records: JournalRecord[]; problems: string[] }> {
    const { records, damaged } = await this.journal.read();
    return { records, problems: damaged.map((d) => `${this.journal.file}:${d.line}: ${d.reason}`) };
  }
  async transactions(): Promise<Transaction[]> {
    const all = (this.all ??= { journal: new Journal(this.stateDir), records: [], reading: Promise.resolve() });
    all.reading = all.reading.then(async () => {
      all.records.push(...(await all.journal.readNew()).records);
    });
    await all.reading;
    return foldTransactions(all.records);
  }
}

export class FileSiteLocks {
  /** Locks this process holds, by site: whether each was lost. */
  private readonly held = new Map<string, () => boolean>();

  constructor(private readonly stateDir: string) {}

  async acquire(
    site: string,
    command: string,
    opts: { timeoutMs: number; onBusy?: (holder: LockOwner | undefined) => void },
  ): Promise<Release | undefined> {
    const release = await lockSite(this.stateDir, site, { command }, opts);
    if (!release) return undefined;
    this.held.set(site, release.lost);
    const done = async () => {
      this.held.delete(site);
      await release();
    };
    return Object.assign(done, { lost: release.lost });
  }

  lost(site: string): boolean {
    return this.held.get(site)?.() ?? false;
  }

  holder(site: string): Promise<LockOwner | undefined> {
    return readSiteLock(this.stateDir, site);
  }
}

export class FileObservations {
  constructor(private readonly stateDir: string) {}
  read(site: string): Promise<Inventory | undefined> {
    return readInventory(this.stateDir, site);
  }
  async write(inventory: Inventory): Promise<void> {
    await writeInventory(this.stateDir, inventory);
  }
}

export class FileHolds {
  constructor(private readonly stateDir: string) {}
  read(site: string): Promise<Hold | undefined> {
    return readHold(this.stateDir, site);
  }
  async write(hold: Hold): Promise<boolean> {
    await writeHold(this.stateDir, hold);
    return true;
  }
  async release(site: string): Promise<void> {
    await releaseHold(this.stateDir, site);
  }
  lift(site: string): Promise<boolean> {
    return releaseHold(this.stateDir, site);
  }
  async list(): Promise<Hold[]> {
    return bySite(await listHolds(this.stateDir));
  }
}

/** The embedded state: everything under one directory. */
export class FileState implements StateStore {
  readonly kind = 'files';
  readonly journal: FileJournalStore;
  readonly holds: FileHolds;
  readonly locks: FileSiteLocks;
  constructor(readonly localDir: string) {
    this.journal = new FileJournalStore(localDir);
    this.holds = new FileHolds(localDir);
    this.locks = new FileSiteLocks(localDir);
  }
  get where(): string {
    return this.localDir;
  }
  // The files' own stamps (status-memo.ts) say when they changed.
  changeStamp(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
  // Files do not go away in the middle of a run; a failing write throws where it happens.
  failure(): StateFailure | undefined {
    return undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
