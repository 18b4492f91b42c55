// The journal store reads on from where it stopped for transactions() (a
// fleet rollback asks once per site): what was appended since, also by
// others and while sites ask at once, is seen as a fresh read would see it.
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/state/journal.js';
import { FileJournalStore } from '../../src/state/file-stores.js';
import { foldTransactions, type BeginRecord } from '../../src/state/records.js';
import { tempDir } from '../helpers/tmp.js';

const begin = (txid: string, site: string): BeginRecord => ({
  type: 'begin',
  txid,
  at: '2026-11-22T00:00:00Z',
  site,
  kind: 'apply',
  revision: 'r1',
  tags: [],
  plan: { site, status: 'ok', actions: [], kept: [], errors: [] },
  nonce: 'n',
  controller: 'c',
  timeLimit: 60,
});

describe('FileJournalStore.transactions', () => {
  it('sees every record appended since the last call, under concurrent calls', async () => {
    const state = tempDir();
    const store = new FileJournalStore(state);
    const other = new Journal(state);
    expect(await store.transactions()).toEqual([]);
    await store.append(begin('tx-A', 'A'));
    // Another controller's records, appended through another handle.
    await other.append(begin('tx-B', 'B'));
    const sites = Array.from({ length: 10 }, (_, i) => `S${i}`);
    const asked = sites.map(async (s) => {
      await other.append(begin(`tx-${s}`, s), { type: 'end', txid: `tx-${s}`, at: '2026-11-22T00:01:00Z', site: s, status: 'succeeded' });
      return store.transactions();
    });
    await Promise.all(asked);
    const txs = await store.transactions();
    expect(txs.map((t) => t.txid).sort()).toEqual(['tx-A', 'tx-B', ...sites.map((s) => `tx-${s}`)].sort());
    expect(txs.filter((t) => t.end).map((t) => t.txid).sort()).toEqual(sites.map((s) => `tx-${s}`).sort());
    // One more, after the concurrent asks: read on, not answered from what was read before.
    await other.append({ type: 'end', txid: 'tx-A', at: '2026-11-22T00:02:00Z', site: 'A', status: 'failed' });
    expect((await store.transactions()).find((t) => t.txid === 'tx-A')?.end?.status).toBe('failed');
    // The same as folding the whole journal afresh.
    expect(await store.transactions()).toEqual(foldTransactions((await other.read()).records));
  });
});
