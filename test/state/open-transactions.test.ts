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

  /** A journal whose reads, once they have read the file, wait for `release` before answering; it counts them. */
  class HeldJournal extends Journal {
    reads = 0;
    private gate: Promise<void> = Promise.resolve();
    private open: () => void = () => undefined;
    hold(): void {
      this.gate = new Promise((r) => (this.open = r));
    }
    release(): void {
      this.open();
    }
    override async readNew() {
      this.reads++;
      const r = await super.readNew();
      await this.gate;
      return r;
    }
  }

  it('a look-up made after an append sees it, though a read that began before the append is still under way', async () => {
    const journal = new HeldJournal(tempDir());
    const open = new OpenTransactions(journal);
    await journal.append(begin('tx-A', 'A'));
    journal.hold();
    const early = open.forSite('A');
    // The early read has read the file; B begins only now.
    await new Promise((r) => setTimeout(r, 20));
    await journal.append(begin('tx-B', 'B'));
    const late = open.forSite('B');
    journal.release();
    expect((await early).map((t) => t.txid)).toEqual(['tx-A']);
    expect((await late).map((t) => t.txid)).toEqual(['tx-B']);
  });

  it('look-ups made while a read is under way share one further read, however many sites ask', async () => {
    const journal = new HeldJournal(tempDir());
    const sites = Array.from({ length: 500 }, (_, i) => `S${i}`);
    await journal.append(...sites.map((s) => begin(`tx-${s}`, s)));
    const open = new OpenTransactions(journal);
    journal.hold();
    const first = open.forSite('S0');
    const rest = sites.map((s) => open.forSite(s));
    journal.release();
    const answers = await Promise.all([first, ...rest]);
    expect(answers.slice(1).map((t) => t.map((x) => x.txid))).toEqual(sites.map((s) => [`tx-${s}`]));
    expect(journal.reads).toBe(2);
  });

  it('a read that fails fails its own callers only; the next look-up reads again', async () => {
    const journal = new HeldJournal(tempDir());
    await journal.append(begin('tx-A', 'A'));
    const open = new OpenTransactions(journal);
    const real = journal.readNew.bind(journal);
    journal.readNew = () => Promise.reject(new Error('EIO: journal unreadable'));
    await expect(open.forSite('A')).rejects.toThrow('EIO');
    journal.readNew = real;
    expect((await open.forSite('A')).map((t) => t.txid)).toEqual(['tx-A']);
  });
});
