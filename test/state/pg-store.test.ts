// The PostgreSQL store answers as the file store does, and its site locks
// hold across connections (as across controller machines), against a real
// server. The same seeded sequences of journal records and holds go into
// both stores; every question the run and the reports ask of a store must
// get the same answer from both.
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hold } from '../../src/rollback/holds.js';
import { FileState } from '../../src/state/file-stores.js';
import { initSchema } from '../../src/state/pg/pg-schema.js';
import { openPgState } from '../../src/state/pg/pg-state.js';
import { pgTarget } from '../../src/state/pg/pg-connect.js';
import type { JournalRecord, TransactionStatus } from '../../src/state/records.js';
import type { StateStore } from '../../src/state/store.js';
import { tempDir } from '../helpers/tmp.js';
import { pgServer } from './pg-server.js';

const server = await pgServer();
afterAll(() => server?.close());

async function freshPg(): Promise<{ url: string; state: StateStore }> {
  const url = await server!.newDatabase();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await initSchema(c, pgTarget(url));
  await c.end();
  return { url, state: await openPgState(url, tempDir()) };
}

const SITES = ['A', 'B', 'C'];
const STATUSES: TransactionStatus[] = ['succeeded', 'failed', 'stale'];

/** A journal as controllers write it: per transaction begin, maybe submitted and finished, maybe end. */
const journal = fc
  .array(
    fc.record({
      site: fc.constantFrom(...SITES),
      kind: fc.constantFrom('apply' as const, 'probe' as const, 'rollback' as const),
      revision: fc.constantFrom('r1', 'r2', 'r3'),
      tags: fc.subarray(['v1', 'v2']),
      stage: fc.nat(3),
      status: fc.constantFrom(...STATUSES),
    }),
    { maxLength: 25 },
  )
  .map((txs) =>
    txs.flatMap((t, i): JournalRecord[] => {
      const txid = `tx-${i}-${t.site}`;
      const at = `2026-12-01T00:${String(i).padStart(2, '0')}:00.000Z`;
      const out: JournalRecord[] = [
        {
          type: 'begin',
          txid,
          at,
          site: t.site,
          kind: t.kind,
          revision: t.revision,
          tags: t.tags,
          plan: { site: t.site, status: 'ok', actions: [], kept: [], errors: [] },
          nonce: 'n',
          controller: 'c',
          timeLimit: 60,
          ...(t.kind === 'rollback' ? { rollback: { tag: 'v1', commit: 'c1', restores: [], desired: 'd' } } : {}),
        },
      ];
      if (t.stage >= 1) out.push({ type: 'submitted', txid, at, job: { backend: 'local', id: txid, site: t.site, submittedAt: at } });
      if (t.stage >= 2) out.push({ type: 'finished', txid, at, results: [], audit: [], notes: [] });
      if (t.stage >= 3) out.push({ type: 'end', txid, at, site: t.site, status: t.status });
      return out;
    }),
  );

async function answers(s: StateStore) {
  return {
    all: await s.journal.readAll(),
    transactions: await s.journal.transactions(),
    open: await Promise.all(SITES.map((x) => s.journal.openTransactions(x))),
    last: await Promise.all(SITES.map((x) => s.journal.lastAppliedRevision(x))),
    holds: await s.holds.list(),
    held: await Promise.all(SITES.map((x) => s.holds.read(x))),
  };
}

describe.skipIf(!server)('the PostgreSQL store', () => {
  it('answers every store question as the file store does', { timeout: 120_000 }, async () => {
    const { state: db } = await freshPg();
    try {
      await fc.assert(
        fc.asyncProperty(journal, fc.subarray(SITES), async (records, heldSites) => {
          const files = new FileState(tempDir());
          await (db as unknown as { pool: pg.Pool }).pool.query(
            'TRUNCATE vo_reconcile_journal, vo_reconcile_holds',
          );
          // Appended in the batches a driver uses (one to three records at a time).
          for (let i = 0; i < records.length; i += 2) {
            await files.journal.append(...records.slice(i, i + 2));
            await db.journal.append(...records.slice(i, i + 2));
          }
          for (const site of heldSites) {
            const hold: Hold = { kind: 'manual', site, at: '2026-12-01T00:00:00Z', reason: `why ${site}` };
            await files.holds.write(hold);
            await db.holds.write(hold);
          }
          expect(await answers(db)).toEqual({ ...(await answers(files)), all: { records, problems: [] } });
          for (const site of heldSites) expect(await db.holds.lift(site)).toBe(await files.holds.lift(site));
          expect(await db.holds.lift('A')).toBe(false);
        }),
        { numRuns: 25, seed: 20261203 },
      );
    } finally {
      await db.close();
    }
  });

  it('keeps a site to one holder across connections, and frees it when the holder dies', { timeout: 60_000 }, async () => {
    const { url, state: one } = await freshPg();
    const two = await openPgState(url, tempDir());
    try {
      const release = await one.locks.acquire('A', 'apply', { timeoutMs: 1000 });
      expect(release).toBeDefined();
      expect((await two.locks.holder('A'))?.command).toBe('apply');
      const busy: unknown[] = [];
      // Another controller waits, is told who holds it, and gives up at its timeout.
      expect(await two.locks.acquire('A', 'apply', { timeoutMs: 600, onBusy: (h) => busy.push(h) })).toBeUndefined();
      expect(busy).toHaveLength(1);
      expect(busy[0]).toMatchObject({ command: 'apply', pid: process.pid });
      // Other sites are not held up.
      const b = await two.locks.acquire('B', 'observe', { timeoutMs: 1000 });
      expect(b).toBeDefined();
      await b!();
      await release!();
      expect(await two.locks.holder('A')).toBeUndefined();
      const again = await two.locks.acquire('A', 'apply', { timeoutMs: 1000 });
      expect(again).toBeDefined();

      // The holder's session ends (a killed controller, a dropped connection): the lock is lost to it, free for others.
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(
        `SELECT pg_terminate_backend(backend_pid) FROM vo_reconcile_locks WHERE site = 'A'`,
      );
      await c.end();
      for (let i = 0; i < 100 && !two.locks.lost('A'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(two.locks.lost('A')).toBe(true);
      expect(again!.lost()).toBe(true);
      const taken = await one.locks.acquire('A', 'apply', { timeoutMs: 2000 });
      expect(taken).toBeDefined();
      await taken!();
      await again!();
      // The database still answers: only that lock was lost, not the state.
      expect(two.failure()).toBeUndefined();
    } finally {
      await one.close();
      await two.close();
    }
  });
});
