// The tables of the PostgreSQL state, and their version. `reconcile state
// init` creates them; every other command checks the version first and
// refuses a database made by another version of the schema.
import type pg from 'pg';
import { StateFailure } from '../store.js';
import type { PgTarget } from './pg-connect.js';

export const SCHEMA_VERSION = 1;

/** The first key of every advisory lock this tool takes (the second: 0 for init, a site's hash for its lock). */
export const LOCK_NAMESPACE = 0x766f7263; // "vorc"

// The journal keeps each record's JSON text as written (json, not jsonb), so
// history prints the same bytes as from the file journal it was imported from.
const DDL = `
CREATE TABLE vo_reconcile_journal (
  seq    bigserial PRIMARY KEY,
  txid   text NOT NULL,
  type   text NOT NULL,
  site   text,
  record json NOT NULL
);
CREATE INDEX vo_reconcile_journal_txid ON vo_reconcile_journal (txid, type);
CREATE INDEX vo_reconcile_journal_site ON vo_reconcile_journal (site, type);
CREATE TABLE vo_reconcile_holds (
  site text PRIMARY KEY,
  hold json NOT NULL
);
-- Who holds a site's advisory lock (the lock itself is the database's):
-- a row whose backend no longer holds the lock is a leftover, not a holder.
CREATE TABLE vo_reconcile_locks (
  site        text PRIMARY KEY,
  owner       json NOT NULL,
  backend_pid integer NOT NULL
);
`;

/** The version the database's schema has; undefined when it has none yet. */
async function schemaVersion(db: pg.ClientBase | pg.Pool): Promise<number | undefined> {
  try {
    const r = await db.query<{ value: string }>(`SELECT value FROM vo_reconcile_meta WHERE key = 'schema_version'`);
    return r.rows[0] ? Number(r.rows[0].value) : undefined;
  } catch (e) {
    if ((e as { code?: string }).code === '42P01') return undefined; // no such table
    throw e;
  }
}

/** Refuse a database without the schema, or with another version of it. */
export async function checkSchema(db: pg.Pool, t: PgTarget): Promise<void> {
  const v = await schemaVersion(db);
  if (v === undefined)
    throw new StateFailure(
      `the state database ${t.where} has no vo-reconcile schema yet; create it with 'reconcile state init --state ${t.where}'`,
    );
  if (v !== SCHEMA_VERSION) throw versionMismatch(t, v);
}

function versionMismatch(t: PgTarget, v: number): StateFailure {
  return new StateFailure(
    `the state database ${t.where} has schema version ${v}, this reconcile knows version ${SCHEMA_VERSION}; ${v > SCHEMA_VERSION ? 'use the newer reconcile that wrote it' : "run 'reconcile state init' to upgrade it"}`,
  );
}

/** Create the schema if there is none (one transaction, one initialiser at a time); 'exists' if it is current. */
export async function initSchema(client: pg.ClientBase, t: PgTarget): Promise<'created' | 'exists'> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_NAMESPACE]);
    await client.query(`CREATE TABLE IF NOT EXISTS vo_reconcile_meta (key text PRIMARY KEY, value text NOT NULL)`);
    const v = await schemaVersion(client);
    if (v !== undefined && v !== SCHEMA_VERSION) throw versionMismatch(t, v);
    if (v === SCHEMA_VERSION) {
      await client.query('COMMIT');
      return 'exists';
    }
    await client.query(DDL);
    await client.query(`INSERT INTO vo_reconcile_meta (key, value) VALUES ('schema_version', $1)`, [
      String(SCHEMA_VERSION),
    ]);
    await client.query('COMMIT');
    return 'created';
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
