// Site locks across controller machines, held by the database: a session
// advisory lock on a connection of its own per site. The server drops it
// the moment that connection ends (a killed controller's socket closes at
// once; a vanished machine's within the keepalive lease), so a dead holder
// never blocks a site for long. The lease on our side: the connection is
// asked every quarter lease; an answer missing for half a lease, or the
// connection ending, marks the lock lost, and no job is submitted under it.
// The job's own site-side lock still guards the site itself.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { LockOwner, Release } from '../site-lock.js';
import { controllerId, LOCK_LEASE_MS } from '../site-lock.js';
import type { StateLocks } from '../store.js';
import { clientConfig, describePgError, type PgTarget } from './pg-connect.js';
import { LOCK_NAMESPACE } from './pg-schema.js';
import { scrub } from '../redact-url.js';

const LOCK_SQL = 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok';
const UNLOCK_SQL = 'SELECT pg_advisory_unlock($1, hashtext($2))';

export class PgSiteLocks implements StateLocks {
  private readonly held = new Map<string, { lost: boolean }>();

  constructor(
    private readonly target: PgTarget,
    private readonly pool: pg.Pool,
    /** Told when the database went away under a held lock. */
    private readonly onFailure: (e: unknown) => void,
  ) {}

  async acquire(
    site: string,
    command: string,
    opts: { timeoutMs: number; onBusy?: (holder: LockOwner | undefined) => void },
  ): Promise<Release | undefined> {
    const client = new pg.Client({ ...clientConfig(this.target), query_timeout: LOCK_LEASE_MS / 2 });
    const entry = { lost: false };
    const lose = (e: unknown) => {
      if (entry.lost) return;
      entry.lost = true;
      // The database gone as a whole is said once, at the end of the run (cli/common.ts saidStateFailure);
      // only a lock lost while the database still answers is worth a line of its own.
      this.pool.query('SELECT 1').then(
        () =>
          process.stderr.write(
            `reconcile: lost the lock of site ${site}: its session with ${this.target.where} ended (${scrub((e as Error)?.message ?? String(e), this.target.password)}); no further job is submitted there\n`,
          ),
        (down: unknown) => this.onFailure(down),
      );
    };
    client.on('error', lose);
    try {
      await client.connect();
      // The server's side of the lease: a peer that stops answering is dropped (and its locks with it) in ~25 s.
      await client.query(
        `SELECT set_config('tcp_keepalives_idle', '10', false), set_config('tcp_keepalives_interval', '5', false), set_config('tcp_keepalives_count', '3', false)`,
      );
    } catch (e) {
      await client.end().catch(() => undefined);
      throw describePgError(this.target, e, 'lock a site in');
    }
    const deadline = Date.now() + opts.timeoutMs;
    let told = false;
    try {
      for (;;) {
        const r = await client.query<{ ok: boolean }>(LOCK_SQL, [LOCK_NAMESPACE, site]);
        if (r.rows[0]?.ok) break;
        if (!told) {
          opts.onBusy?.(await this.holder(site));
          told = true;
        }
        if (Date.now() >= deadline) {
          await client.end().catch(() => undefined);
          return undefined;
        }
        await sleep(250);
      }
      const owner: LockOwner = { controller: controllerId(), pid: process.pid, command, since: new Date().toISOString() };
      await client.query(
        `INSERT INTO vo_reconcile_locks (site, owner, backend_pid) VALUES ($1, $2, pg_backend_pid())
         ON CONFLICT (site) DO UPDATE SET owner = excluded.owner, backend_pid = excluded.backend_pid`,
        [site, JSON.stringify(owner)],
      );
    } catch (e) {
      await client.end().catch(() => undefined);
      throw describePgError(this.target, e, 'lock a site in');
    }
    client.on('end', () => lose(new Error('the connection holding the lock ended')));
    const beat = setInterval(() => {
      client.query('SELECT 1').catch(lose);
    }, LOCK_LEASE_MS / 4);
    beat.unref();
    this.held.set(site, entry);
    const release = async () => {
      clearInterval(beat);
      this.held.delete(site);
      client.removeAllListeners('end');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      if (!entry.lost) {
        await client
          .query(`DELETE FROM vo_reconcile_locks WHERE site = $1 AND backend_pid = pg_backend_pid()`, [site])
          .then(() => client.query(UNLOCK_SQL, [LOCK_NAMESPACE, site]))
          .catch(() => undefined);
      }
      // Ending the session drops the advisory lock in any case.
      await client.end().catch(() => undefined);
    };
    return Object.assign(release, { lost: () => entry.lost });
  }

  lost(site: string): boolean {
    return this.held.get(site)?.lost ?? false;
  }

  async holder(site: string): Promise<LockOwner | undefined> {
    const r = await this.pool.query<{ owner: LockOwner }>(
      `SELECT owner FROM vo_reconcile_locks l WHERE site = $1 AND EXISTS (
         SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted AND k.pid = l.backend_pid
           AND k.classid = $2 AND k.objsubid = 2)`,
      [site, LOCK_NAMESPACE],
    );
    return r.rows[0]?.owner;
  }

  /** The live holders, for the change stamp. */
  async holders(): Promise<string> {
    const r = await this.pool.query<{ s: string | null }>(
      `SELECT string_agg(l.site || ':' || l.owner::text, ',' ORDER BY l.site) AS s FROM vo_reconcile_locks l
       WHERE EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted AND k.pid = l.backend_pid
         AND k.classid = $1 AND k.objsubid = 2)`,
      [LOCK_NAMESPACE],
    );
    return r.rows[0]?.s ?? '';
  }
}
