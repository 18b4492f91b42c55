// Which events a run's transactions make (a pure function of the journal),
// and the signature a receiver checks.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { wants, type Receiver } from '../../src/notify/config.js';
import { signature, shownUrl } from '../../src/notify/deliver.js';
import { eventsOf } from '../../src/notify/events.js';
import type { Transaction } from '../../src/state/records.js';

let n = 0;
function tx(
  site: string,
  kind: 'apply' | 'rollback' | 'probe',
  revision: string,
  end: Partial<Transaction['end']> & { status: string },
  actions = 1,
): Transaction {
  const txid = `tx-${site}-${++n}`;
  return {
    txid,
    site,
    begin: {
      type: 'begin',
      txid,
      at: '2026-12-01T00:00:00Z',
      site,
      kind,
      revision,
      tags: [],
      plan: {
        site,
        status: 'ok',
        actions: Array.from({ length: actions }, () => ({
          action: 'install',
          name: 'tool',
          pkgname: 'tool-2.0',
          reason: 'wanted',
        })),
        kept: [],
        errors: [],
      },
      nonce: 'n',
      controller: 'c',
      timeLimit: 60,
      ...(kind === 'rollback' ? { rollback: { tag: 'v1', commit: 'c1', restores: [], desired: 'd' } } : {}),
    },
    end: { type: 'end', txid, at: '2026-12-01T00:01:00Z', site, ...end } as Transaction['end'],
  } as Transaction;
}
const sites = new Map([
  ['A', { name: 'A', tags: ['t2'] }],
  ['B', { name: 'B', tags: [] }],
]);

describe('eventsOf', () => {
  it('names failures, unvalidated installs, rollbacks and drift, and nothing for a plain success', () => {
    const failed = tx('A', 'apply', 'r1', { status: 'failed', reason: 'pkg_add failed', installed: false });
    const unvalidated = tx('B', 'apply', 'r1', { status: 'failed', installed: true, validated: false });
    const rolled = tx('A', 'rollback', 'r1', { status: 'succeeded' });
    const ok = tx('B', 'apply', 'r2', { status: 'succeeded' });
    const events = eventsOf([failed, unvalidated, rolled, ok], [failed, unvalidated, rolled, ok], sites);
    expect(events.map((e) => `${e.type} ${e.site}`)).toEqual([
      'transaction.failed A',
      'transaction.not-validated B',
      'rollback.done A',
    ]);
    expect(events[0]).toMatchObject({
      siteTags: ['t2'],
      reason: 'pkg_add failed',
      id: `${failed.txid}.transaction.failed`,
    });
  });

  it('drift: an apply with actions where the last succeeded apply was at the same revision', () => {
    const first = tx('A', 'apply', 'r1', { status: 'succeeded' });
    const probe = tx('A', 'probe', 'r1', { status: 'succeeded' }, 0);
    const again = tx('A', 'apply', 'r1', { status: 'succeeded' });
    const newCommit = tx('A', 'apply', 'r2', { status: 'succeeded' });
    const history = [first, probe, again, newCommit];
    expect(eventsOf([again], history, sites).map((e) => e.type)).toEqual(['drift.found']);
    expect(eventsOf([newCommit], history, sites)).toEqual([]);
    expect(eventsOf([first], history, sites)).toEqual([]);
  });

  it('drift found by a job: the run whose job went stale on the changed site and replanned', () => {
    // What a scheduled run finds: the observation said in sync, the job found the site changed and did nothing...
    const first = tx('A', 'apply', 'r1', { status: 'succeeded' });
    const stale = tx('A', 'apply', 'r1', { status: 'stale' });
    // ... and the plan made from what the job found brought it back.
    const repair = tx('A', 'apply', 'r1', { status: 'succeeded' });
    expect(eventsOf([repair], [first, stale, repair], sites).map((e) => e.type)).toEqual(['drift.found']);
  });
});

describe('receivers and signatures', () => {
  const r: Receiver = {
    name: 'x',
    url: 'https://u:p@h.example/p?token=t',
    secretFile: '/s',
    events: ['transaction.failed'],
    sites: ['tag:t2'],
    timeout: 5,
  };
  it('filters by event type and site words', () => {
    expect(wants(r, 'transaction.failed', { name: 'A', tags: ['t2'] })).toBe(true);
    expect(wants(r, 'transaction.failed', { name: 'B', tags: [] })).toBe(false);
    expect(wants(r, 'drift.found', { name: 'A', tags: ['t2'] })).toBe(false);
  });
  it('signs as generic-hmac does, and shows URLs without credentials or query', () => {
    const body = '{"a":1}';
    expect(signature('k', body)).toBe(`sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
    expect(shownUrl(r.url)).toBe('https://h.example/p');
  });
});
