// `reconcile state import --from DIR`: a file state's journal and holds
// into an empty PostgreSQL state, in one transaction (all of it or
// nothing), records in journal order, each record's JSON as it was.
import { listHolds } from '../../rollback/holds.js';
import { Journal } from '../journal.js';
import { StateFailure } from '../store.js';
import { describePgError } from './pg-connect.js';
import type { PgState } from './pg-state.js';

export interface ImportResult {
  records: number;
  holds: number;
  /** Damaged journal lines left behind, as `file:line: reason`. */
  problems: string[];
}

const BATCH = 500;

export async function importFileState(state: PgState, fromDir: string): Promise<ImportResult> {
  const journal = new Journal(fromDir);
  const { records, damaged } = await journal.read();
  const holds = await listHolds(fromDir);
  const client = await state.pool.connect().catch((e: unknown) => {
    throw describePgError(state.target, e);
  });
  try {
    await client.query('BEGIN');
    // Two imports at once must not interleave: the emptiness check holds until commit.
    await client.query('LOCK TABLE vo_reconcile_journal, vo_reconcile_holds IN EXCLUSIVE MODE');
    const n = await client.query<{ n: string }>(
      'SELECT ((SELECT count(*) FROM vo_reconcile_journal) + (SELECT count(*) FROM vo_reconcile_holds))::text AS n',
    );
    if (Number(n.rows[0]!.n) > 0)
      throw new StateFailure(
        `the state database ${state.where} already holds a journal or holds; import only into a new one (reconcile state init)`,
      );
    for (let i = 0; i < records.length; i += BATCH) {
      const batch = records.slice(i, i + BATCH);
      await client.query(
        `INSERT INTO vo_reconcile_journal (txid, type, site, record)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::json[])`,
        [
          batch.map((r) => r.txid),
          batch.map((r) => r.type),
          batch.map((r) => ('site' in r ? r.site : null)),
          batch.map((r) => JSON.stringify(r)),
        ],
      );
    }
    for (const h of holds)
      await client.query('INSERT INTO vo_reconcile_holds (site, hold) VALUES ($1, $2)', [h.site, JSON.stringify(h)]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw (e as Error).name === 'StateFailure' ? e : describePgError(state.target, e, 'import into');
  } finally {
    client.release();
  }
  return {
    records: records.length,
    holds: holds.length,
    problems: damaged.map((d) => `${journal.file}:${d.line}: ${d.reason}`),
  };
}
