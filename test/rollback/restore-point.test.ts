// Restore points and the installed/validated distinction, from journals
// written as records: old records (before checks) count as validated, a
// failed check leaves a transaction installed only, and a validated
// transaction of a tag always wins over a later unvalidated one.
import { describe, expect, it } from 'vitest';
import { fleetStatus } from '../../src/report/fleet-status.js';
import { liveness } from '../../src/report/render-text.js';
import { restorePoint } from '../../src/rollback/restore-point.js';
import { checksVerdict } from '../../src/run/check-results.js';
import {
  foldTransactions,
  isInstalled,
  isValidated,
  type EndRecord,
  type JournalRecord,
  type TransactionKind,
} from '../../src/state/records.js';
import { site, plansFor } from '../helpers/builders.js';

const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);

let clock = 0;
function tx(
  txid: string,
  opts: {
    kind?: TransactionKind;
    commit?: string;
    packages: string[];
    end: Omit<EndRecord, 'type' | 'txid' | 'at' | 'site'>;
  },
): JournalRecord[] {
  const at = new Date(Date.UTC(2026, 10, 1, 0, clock++)).toISOString();
  const kind = opts.kind ?? 'apply';
  const commit = opts.commit ?? C1;
  return [
    {
      type: 'begin',
      txid,
      at,
      site: 'SITE',
      kind,
      revision: kind === 'rollback' ? C2 : commit,
      tags: [],
      nonce: 'n',
      controller: 'c',
      timeLimit: 60,
      plan: { site: 'SITE', status: 'ok', actions: [], kept: [], errors: [] },
      ...(kind === 'rollback' ? { rollback: { tag: 'v1', commit, restores: [], desired: '' } } : {}),
    },
    {
      type: 'finished',
      txid,
      at,
      results: [],
      observedAfter: { packages: opts.packages, automatic: [] },
      audit: [],
      notes: [],
    },
    { type: 'end', txid, at, site: 'SITE', ...opts.end },
  ];
}

const validated = { status: 'succeeded', installed: true, validated: true } as const;
const unvalidated = { status: 'failed', reason: "check 'x' exited 1", installed: true, validated: false } as const;

/** fleetStatus with each observed site planned against an empty catalog, as the report plans them. */
function statusOf(inp: Omit<Parameters<typeof fleetStatus>[0], 'plans'>) {
  return fleetStatus({ ...inp, plans: plansFor(inp.sites, inp.inventories) });
}

describe('restorePoint', () => {
  it('prefers the last validated transaction of the commit over a later unvalidated one', () => {
    const txs = foldTransactions([
      ...tx('t1', { packages: ['foo-1.0'], end: validated }),
      ...tx('t2', { packages: ['foo-1.1'], end: validated }),
      ...tx('t3', { packages: ['foo-1.2'], end: unvalidated }),
      ...tx('t4', { kind: 'rollback', packages: ['foo-1.3'], end: unvalidated }),
      ...tx('t5', { commit: C2, packages: ['foo-2.0'], end: validated }),
    ]);
    expect(restorePoint(txs, 'SITE', C1)).toEqual({
      txid: 't2',
      packages: ['foo-1.1'],
      automatic: [],
      validated: true,
    });
  });

  it('falls back to the last installed-only transaction, and says it was not validated', () => {
    const txs = foldTransactions([
      ...tx('t1', { packages: ['foo-1.0'], end: unvalidated }),
      ...tx('t2', {
        packages: ['foo-1.1'],
        end: { status: 'succeeded', reason: 'already as wanted', installed: true, validated: false },
      }),
      ...tx('t3', {
        packages: ['foo-1.2'],
        end: { status: 'failed', reason: 'action 1 install foo-1.2 exited 1', installed: false, validated: false },
      }),
    ]);
    expect(restorePoint(txs, 'SITE', C1)).toMatchObject({ txid: 't2', validated: false });
  });

  it('reads journals from before checks: succeeded is installed and validated, failed is neither', () => {
    const txs = foldTransactions([
      ...tx('old', { packages: ['foo-1.0'], end: { status: 'succeeded' } }),
      ...tx('bad', { packages: ['foo-1.1'], end: { status: 'failed' } }),
    ]);
    expect(txs.map((t) => [isInstalled(t), isValidated(t)])).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(restorePoint(txs, 'SITE', C1)).toMatchObject({ txid: 'old', validated: true });
  });
});

describe('status: installed vs validated', () => {
  const status = (records: JournalRecord[]) =>
    statusOf({
      revision: C2,
      sites: [site([])],
      inventories: new Map(),
      transactions: foldTransactions(records),
      holds: [],
      locks: new Map(),
      tags: [],
      now: 'now',
    }).sites[0]!;

  it('names the last validated set when the installed one is not', () => {
    const s = status([
      ...tx('t1', { packages: [], end: validated }),
      ...tx('t2', { commit: C2, packages: [], end: unvalidated }),
    ]);
    expect(s.installed).toMatchObject({ txid: 't2', revision: C2 });
    expect(s.validated).toMatchObject({ txid: 't1', revision: C1 });
    expect(liveness(s)).toBe(`; installed ${C2.slice(0, 12)} NOT VALIDATED (last validated ${C1.slice(0, 12)} by t1)`);
  });

  it('a rollback is named by the tag and commit it restored', () => {
    const s = status([...tx('t1', { kind: 'rollback', packages: [], end: validated })]);
    expect(liveness(s)).toBe(`; installed and validated ${C1.slice(0, 12)} [v1]`);
    expect(liveness(status([...tx('t2', { packages: [], end: unvalidated })]))).toBe(
      `; installed ${C1.slice(0, 12)} NOT VALIDATED (never validated)`,
    );
    expect(liveness(status([]))).toBe('');
  });
});

describe('checksVerdict', () => {
  const checks = [
    { name: 'a', run: 'x', timeout: 5 },
    { name: 'b', run: 'y', timeout: 7 },
  ];
  it('names the first check that did not pass, the tail of its output, and the others', () => {
    expect(
      checksVerdict(checks, [
        { name: 'a', outcome: 'passed', rc: 0 },
        { name: 'b', outcome: 'passed', rc: 0 },
      ]),
    ).toBeUndefined();
    expect(
      checksVerdict(checks, [
        {
          name: 'a',
          outcome: 'timed-out',
          rc: 124,
          output: ['one', '', 'two', 'three', 'four', 'check stopped: it exceeded its time limit of 5s'],
        },
        { name: 'b', outcome: 'failed', rc: 2, output: [] },
      ]),
    ).toBe("check 'a' exceeded its time limit of 5s: two / three / four (also not passed: b)");
    expect(
      checksVerdict(checks, [
        { name: 'a', outcome: 'passed', rc: 0 },
        { name: 'b', outcome: 'not-run' },
      ]),
    ).toBe("check 'b' did not run");
  });
});
