// The state in PostgreSQL, for VOs that run more than one controller: the
// journal as rows (each record's JSON text kept as written), holds, and the
// site locks (pg-locks.ts). Same answers as the file state for the same
// records; a commit is durable when append() resolves.
import type pg from 'pg';
import type { Hold } from '../../rollback/holds.js';
import { appliedRevision } from '../open-transactions.js';
import { foldTransactions, type BeginRecord, type JournalRecord, type Transaction } from '../records.js';
import type { StateFailure, StateHolds, StateJournal, StateStore } from '../store.js';
import { describePgError, isConnectionError, newPool, pgTarget, type PgTarget } from './pg-connect.js';
import { PgSiteLocks } from './pg-locks.js';
import { checkSchema } from './pg-schema.js';
import { bySite } from '../store.js';

/** Connect and check the schema version: a StateFailure (exit 2, one line) when either fails. */
export async function openPgState(url: string, localDir: string): Promise<PgState> {
  const target = pgTarget(url);
  const pool = newPool(target);
  // An idle connection the server drops must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    await checkSchema(pool, target);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw (e as Error).name === 'StateFailure' ? e : describePgError(target, e);
  }
  return new PgState(target, pool, localDir);
}

export class PgState implements StateStore {
  readonly kind = 'postgres';
  readonly journal: PgJournal;
  readonly holds: PgHolds;
  readonly locks: PgSiteLocks;
  private broken: StateFailure | undefined;

  constructor(
    readonly target: PgTarget,
    readonly pool: pg.Pool,
    readonly localDir: string,
  ) {
    const fail = (e: unknown) => this.fail(e);
    this.journal = new PgJournal(pool, fail);
    this.holds = new PgHolds(pool, fail);
    this.locks = new PgSiteLocks(target, pool, fail);
  }

  get where(): string {
    return this.target.where;
  }

  /** The first connection failure is the run's: it is said once, and the run exits non-zero. */
  private fail(e: unknown): StateFailure {
    const failure = describePgError(this.target, e);
    if (isConnectionError(e)) this.broken ??= failure;
    return failure;
  }

  failure(): StateFailure | undefined {
    return this.broken;
  }

  async changeStamp(): Promise<string | undefined> {
    const r = await this.pool.query<{ seq: string | null; holds: string | null }>(
      `SELECT (SELECT max(seq) FROM vo_reconcile_journal)::text AS seq,
              (SELECT md5(string_agg(site || hold::text, ',' ORDER BY site)) FROM vo_reconcile_holds) AS holds`,
    );
    return `${r.rows[0]?.seq ?? 0}/${r.rows[0]?.holds ?? ''}/${await this.locks.holders()}`;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

type Fail = (e: unknown) => StateFailure;

/** A query whose failure becomes the one-line StateFailure (and, for a lost connection, the run's failure). */
async function run<T extends pg.QueryResultRow>(
  pool: pg.Pool,
  fail: Fail,
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<T>> {
  try {
    return await pool.query<T>(sql, params);
  } catch (e) {
    throw fail(e);
  }
}

export class PgJournal implements StateJournal {
  constructor(
    private readonly pool: pg.Pool,
    private readonly fail: Fail,
  ) {}

  async append(...records: JournalRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One statement: all of the records are committed, or none.
    const values = records.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`).join(', ');
    const params = records.flatMap((r) => [r.txid, r.type, 'site' in r ? r.site : null, JSON.stringify(r)]);
    await run(this.pool, this.fail, `INSERT INTO vo_reconcile_journal (txid, type, site, record) VALUES ${values}`, params);
  }

  async openTransactions(site: string): Promise<Transaction[]> {
    const r = await run<{ record: JournalRecord }>(
      this.pool,
      this.fail,
      `SELECT record FROM vo_reconcile_journal WHERE txid IN (
         SELECT b.txid FROM vo_reconcile_journal b WHERE b.site = $1 AND b.type = 'begin'
           AND NOT EXISTS (SELECT 1 FROM vo_reconcile_journal e WHERE e.txid = b.txid AND e.type = 'end'))
       ORDER BY seq`,
      [site],
    );
    return foldTransactions(r.rows.map((x) => x.record));
  }

  async lastAppliedRevision(site: string): Promise<string | undefined> {
    // As the file state folds it: the begin of the site's last succeeded apply or rollback.
    const r = await run<{ begin: BeginRecord }>(
      this.pool,
      this.fail,
      `SELECT (SELECT b.record FROM vo_reconcile_journal b WHERE b.txid = e.txid AND b.type = 'begin' ORDER BY b.seq LIMIT 1) AS begin
       FROM vo_reconcile_journal e
       WHERE e.site = $1 AND e.type = 'end' AND e.record->>'status' = 'succeeded'
         AND EXISTS (SELECT 1 FROM vo_reconcile_journal b WHERE b.txid = e.txid AND b.type = 'begin' AND b.record->>'kind' <> 'probe')
       ORDER BY e.seq DESC LIMIT 1`,
      [site],
    );
    const begin = r.rows[0]?.begin;
    return begin ? appliedRevision(begin) : undefined;
  }

  async transactions(): Promise<Transaction[]> {
    return foldTransactions((await this.readAll()).records);
  }

  async readAll(): Promise<{ records: JournalRecord[]; problems: string[] }> {
    const r = await run<{ record: JournalRecord }>(this.pool, this.fail, 'SELECT record FROM vo_reconcile_journal ORDER BY seq');
    return { records: r.rows.map((x) => x.record), problems: [] };
  }

  async count(): Promise<number> {
    const r = await run<{ n: string }>(this.pool, this.fail, 'SELECT count(*)::text AS n FROM vo_reconcile_journal');
    return Number(r.rows[0]?.n ?? 0);
  }
}

export class PgHolds implements StateHolds {
  constructor(
    private readonly pool: pg.Pool,
    private readonly fail: Fail,
  ) {}

  async read(site: string): Promise<Hold | undefined> {
    const r = await run<{ hold: Hold }>(this.pool, this.fail, 'SELECT hold FROM vo_reconcile_holds WHERE site = $1', [site]);
    return r.rows[0]?.hold;
  }

  async write(hold: Hold): Promise<boolean> {
    await run(
      this.pool,
      this.fail,
      `INSERT INTO vo_reconcile_holds (site, hold) VALUES ($1, $2) ON CONFLICT (site) DO UPDATE SET hold = excluded.hold`,
      [hold.site, JSON.stringify(hold)],
    );
    return true;
  }

  async release(site: string): Promise<void> {
    await this.lift(site);
  }

  async lift(site: string): Promise<boolean> {
    const r = await run(this.pool, this.fail, 'DELETE FROM vo_reconcile_holds WHERE site = $1', [site]);
    return (r.rowCount ?? 0) > 0;
  }

  async list(): Promise<Hold[]> {
    const r = await run<{ hold: Hold }>(this.pool, this.fail, 'SELECT hold FROM vo_reconcile_holds');
    return bySite(r.rows.map((x) => x.hold));
  }
}
