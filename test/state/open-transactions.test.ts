// Many sites ask the journal at once what is open; every record must be
// folded in exactly once, also the ones appended while others were reading.
import { describe, expect, it } from 'vitest';
import { OpenTransactions } from '../../src/state/open-transactions.js';
import { Journal } from '../../src/state/journal.js';
import type { BeginRecord } from '../../src/state/records.js';
import { tempDir } from '../helpers/tmp.js';

const begin = (txid: string, site: string): BeginRecord => ({
  type: 'begin', txid, at: '2026-11-22T00:00:00Z', site, kind: 'apply', revision: 'r1', tags: [],
  plan: { site, status: 'ok', actions: [], kept: [], errors: [] }, nonce: 'n', controller: 'c', timeLimit: 60,
});

describe('OpenTransactions', () => {
  it('sees what was appended after concurrent look-ups (their reads must not skip the journal ahead)', async () => {
    const state = tempDir();
    const journal = new Journal(state);
    const sites = Array.from({ length: 20 }, (_, i) => `S${i}`);
    await journal.append(...sites.map((s) => begin(`tx-${s}`, s)));
    const open = new OpenTransactions(journal);
    const first = await Promise.all(sites.map((s) => open.forSite(s)));
    expect(first.map((t) => t.map((x) => x.txid))).toEqual(sites.map((s) => [`tx-${s}`]));
    // Each site's transaction ends, one after another, while the others keep asking.
    for (const s of sites) {
      await journal.append({ type: 'end', txid: `tx-${s}`, at: '2026-11-22T00:01:00Z', site: s, status: 'succeeded' });
      await Promise.all(sites.map((x) => open.forSite(x)));
    }
    expect(await Promise.all(sites.map((s) => open.lastAppliedRevision(s)))).toEqual(sites.map(() => 'r1'));
    expect((await Promise.all(sites.map((s) => open.forSite(s)))).flat()).toEqual([]);
  });
});
