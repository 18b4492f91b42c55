// The transaction state machine as a table: every state × every event, with
// the records it appends and the command it gives next. A pair a row does
// not name must leave the state as it is (no records, the same command): the
// test checks that too, so every pair is decided here. Then the crash
// points of test/hardening/crash.test.ts, folded from their journals.
import { describe, expect, it } from 'vitest';
import type { JobHandle } from '../../src/backends/types.js';
import type { Inventory } from '../../src/observed/types.js';
import type { BeginRecord, FinishedRecord, JournalRecord, Transaction } from '../../src/state/records.js';
import { POLICY } from '../../src/run/tx/policy.js';
import {
  commandOf,
  foldTx,
  newTx,
  step,
  type TxEvent,
  type TxEventBody,
  type TxEventType,
  type TxOutcome,
  type TxState,
} from '../../src/run/tx/machine.js';

const AT = '2026-12-03T10:00:00.000Z';
const LATER = '2026-12-03T10:00:05.000Z';
const begin: BeginRecord = {
  type: 'begin',
  txid: 'tx-1',
  at: AT,
  site: 'S',
  kind: 'apply',
  revision: 'abc',
  tags: [],
  plan: { site: 'S', status: 'ok', actions: [], kept: [], errors: [] },
  nonce: 'n',
  controller: 'c:1',
  timeLimit: 60,
};
const rbBegin: BeginRecord = {
  ...begin,
  kind: 'rollback',
  rollback: { tag: 'v1', commit: 'c1', restores: ['tx-0'], desired: '{}' },
};
const hold = { site: 'S', tag: 'v1', commit: 'c1', txid: 'tx-1', at: LATER, desired: '{}' };
const rbEnd = {
  type: 'end',
  txid: 'tx-1',
  at: LATER,
  site: 'S',
  status: 'succeeded',
  installed: true,
  validated: true,
} as const;
const job: JobHandle = { backend: 'local', id: 'tx-1', site: 'S', submittedAt: '2026-12-03T10:00:01.000Z' };
const deadline = Date.parse(job.submittedAt) + 60_000;
const finished: FinishedRecord = { type: 'finished', txid: 'tx-1', at: LATER, results: [], audit: [], notes: [] };
const done: TxOutcome = { kind: 'ended', txid: 'tx-1', status: 'succeeded', cause: 'already-ended' };

const waiting = (polls: number, pollErrors: number, fin = false): TxState => ({
  phase: 'waiting',
  begin,
  job,
  deadline,
  polls,
  pollErrors,
  finished: fin,
});
const last = POLICY.backendAttempts;

const STATES: Record<string, TxState> = {
  new: newTx(begin),
  begun: { phase: 'begun', begin },
  'submitting 1': { phase: 'submitting', begin, attempt: 1 },
  'submitting last': { phase: 'submitting', begin, attempt: last },
  'finding on resume': { phase: 'finding', begin, attempt: 1, after: 'resume', error: '' },
  'finding after unclear 1': { phase: 'finding', begin, attempt: 1, after: 'unclear-submit', error: 'timeout' },
  'finding after unclear last': { phase: 'finding', begin, attempt: last, after: 'unclear-submit', error: 'timeout' },
  'waiting first': waiting(0, 0),
  'waiting polled': waiting(3, 0),
  'waiting errors at limit': waiting(9, POLICY.pollErrorsTolerated),
  'waiting finished': waiting(0, 0, true),
  'stopping deadline': { phase: 'stopping', begin, job, stop: { why: 'deadline' }, finished: false },
  'stopping lost': { phase: 'stopping', begin, job, stop: { why: 'lost', poll: { state: 'lost' } }, finished: false },
  'fetching 1': { phase: 'fetching', begin, job, wait: { state: 'done', exitCode: 0 }, attempt: 1, finished: false },
  'fetching last': { phase: 'fetching', begin, job, wait: 'timed-out', attempt: last, finished: false },
  verifying: { phase: 'verifying', begin, job, wait: { state: 'done' }, output: { text: 'x' }, finished: false },
  'verifying finished': {
    phase: 'verifying',
    begin,
    job,
    wait: { state: 'done' },
    output: { text: '' },
    finished: true,
  },
  'verifying rollback': {
    phase: 'verifying',
    begin: rbBegin,
    job,
    wait: { state: 'done' },
    output: { text: 'x' },
    finished: false,
  },
  holding: {
    phase: 'holding',
    begin: rbBegin,
    hold,
    end: rbEnd,
    outcome: { kind: 'ended', txid: 'tx-1', status: 'succeeded', cause: 'verdict' },
  },
  done: { phase: 'done', outcome: done },
};

const e = (ev: TxEventBody): TxEvent => ({ at: LATER, ...ev });
const EVENTS: Record<string, TxEvent> = {
  'lock-taken': e({ type: 'lock-taken' }),
  'lock-lost': e({ type: 'lock-lost' }),
  'executor-missing': e({ type: 'executor-missing', message: 'no slurm backend in this run' }),
  submitted: e({ type: 'submitted', job }),
  'script-recorded': e({ type: 'script-recorded', file: '/s/jobs/dry-run/S.sh' }),
  'submit-failed': e({ type: 'submit-failed', message: 'sbatch: invalid partition' }),
  'submit-unclear': e({ type: 'submit-unclear', message: 'timed out' }),
  'job-found': e({ type: 'job-found', job: { ...job, submittedAt: LATER } }),
  'job-not-found': e({ type: 'job-found', job: undefined }),
  'find-failed': e({ type: 'find-failed', message: 'squeue: connection refused' }),
  'poll running': e({ type: 'poll-result', poll: { state: 'running' } }),
  'poll done': e({ type: 'poll-result', poll: { state: 'done', exitCode: 0 } }),
  'poll lost': e({ type: 'poll-result', poll: { state: 'lost', detail: 'gone' } }),
  'poll-error transient': e({ type: 'poll-error', message: 'busy', transient: true }),
  'poll-error fatal': e({ type: 'poll-error', message: 'no such job list', transient: false }),
  'deadline-passed': e({ type: 'deadline-passed' }),
  cancelled: e({ type: 'cancelled' }),
  'cancel-failed': e({ type: 'cancel-failed', message: 'scancel: timeout' }),
  'output-fetched': e({ type: 'output-fetched', text: 'out' }),
  'output-unreadable transient': e({ type: 'output-unreadable', message: 'busy', transient: true }),
  'output-unreadable fatal': e({ type: 'output-unreadable', message: 'gone', transient: false }),
  verified: e({ type: 'verified', finished, verdict: { status: 'succeeded', installed: true, validated: true } }),
  held: e({ type: 'held', kept: true }),
  'site-removed': e({ type: 'site-removed', reason: 'S is no longer in sites.yaml' }),
};

/** "phase [record types] command" for the pairs that change something; every other pair changes nothing. */
const submitRow = {
  submitted: 'waiting [submitted] poll',
  'script-recorded': 'done [] stop',
  'submit-failed': 'done [end] stop',
  'submit-unclear': 'finding [] find',
  'lock-lost': 'done [end] stop',
  'executor-missing': 'done [end] stop',
};
const findRow = {
  'job-found': 'waiting [submitted] poll',
  'job-not-found': 'done [end] stop',
  'find-failed': 'done [] stop',
  'executor-missing': 'done [end] stop',
};
const waitRow = {
  'poll running': 'waiting [] poll',
  'poll done': 'fetching [] fetch-output',
  'poll lost': 'stopping [] cancel',
  'poll-error transient': 'waiting [] poll',
  'poll-error fatal': 'stopping [] cancel',
  'deadline-passed': 'stopping [] cancel',
  'executor-missing': 'done [end] stop',
  // The states a journal's open transaction folds into (begun, waiting) can be closed when its site is gone.
  'site-removed': 'done [end] stop',
};
const stopRow = { cancelled: 'fetching [] fetch-output', 'cancel-failed': 'done [] stop' };
const fetchRow = {
  'output-fetched': 'verifying [] verify',
  'output-unreadable transient': 'fetching [] fetch-output',
  'output-unreadable fatal': 'verifying [] verify',
};
const TABLE: Record<keyof typeof STATES, Partial<Record<keyof typeof EVENTS, string>>> = {
  new: {
    'lock-taken': 'submitting [begin] submit',
    'lock-lost': 'done [begin end] stop',
    'executor-missing': 'done [] stop',
  },
  begun: {
    'lock-taken': 'finding [] find',
    'lock-lost': 'finding [] find',
    'executor-missing': 'done [end] stop',
    'site-removed': 'done [end] stop',
  },
  'submitting 1': submitRow,
  'submitting last': submitRow,
  'finding on resume': findRow,
  'finding after unclear 1': { ...findRow, 'job-not-found': 'submitting [] submit' },
  'finding after unclear last': findRow,
  'waiting first': waitRow,
  'waiting polled': waitRow,
  'waiting errors at limit': { ...waitRow, 'poll-error transient': 'stopping [] cancel' },
  'waiting finished': waitRow,
  'stopping deadline': stopRow,
  'stopping lost': stopRow,
  'fetching 1': fetchRow,
  'fetching last': { ...fetchRow, 'output-unreadable transient': 'verifying [] verify' },
  verifying: { verified: 'done [finished end] stop' },
  'verifying finished': { verified: 'done [end] stop' },
  // A rollback that succeeded holds its site between its finished and its end record.
  'verifying rollback': { verified: 'holding [finished] hold' },
  holding: { held: 'done [end] stop' },
  done: {},
};

const show = (s: TxState, records: JournalRecord[], command: { do: string }) =>
  `${s.phase} [${records.map((r) => r.type).join(' ')}] ${command.do}`;

describe('step: every state × every event', () => {
  it('covers every event type the machine knows', () => {
    const types = new Set(Object.values(EVENTS).map((ev) => ev.type));
    const all: TxEventType[] = [
      'lock-taken',
      'lock-lost',
      'executor-missing',
      'submitted',
      'script-recorded',
      'submit-failed',
      'submit-unclear',
      'job-found',
      'find-failed',
      'poll-result',
      'poll-error',
      'deadline-passed',
      'cancelled',
      'cancel-failed',
      'output-fetched',
      'output-unreadable',
      'verified',
      'held',
      'site-removed',
    ];
    expect([...types].sort()).toEqual([...all].sort());
    const phases = new Set(Object.values(STATES).map((s) => s.phase));
    expect([...phases].sort()).toEqual(
      [
        'new',
        'begun',
        'submitting',
        'finding',
        'waiting',
        'stopping',
        'fetching',
        'verifying',
        'holding',
        'done',
      ].sort(),
    );
  });

  for (const [sName, state] of Object.entries(STATES))
    for (const [eName, event] of Object.entries(EVENTS))
      it(`${sName} × ${eName}`, () => {
        const r = step(state, event);
        const want = TABLE[sName]![eName];
        if (want === undefined) {
          expect(r.records).toEqual([]);
          expect(r.state).toBe(state);
          expect(r.command).toEqual(commandOf(state));
        } else expect(show(r.state, r.records, r.command)).toBe(want);
        // Records are stamped with the event's time and belong to the transaction.
        for (const rec of r.records) {
          expect(rec.txid).toBe('tx-1');
          if (rec.type !== 'begin' && rec.type !== 'finished') expect(rec.at).toBe(LATER);
        }
      });
});

describe('what the transitions say', () => {
  const outcome = (s: TxState) => (s.phase === 'done' ? s.outcome : undefined);

  it('journals the job id of a job found by name with the time limit running from the begin', () => {
    const r = step(STATES['finding on resume']!, EVENTS['job-found']!);
    expect(r.records).toEqual([{ type: 'submitted', txid: 'tx-1', at: LATER, job: { ...job, submittedAt: AT } }]);
    expect(r.command).toEqual({
      do: 'poll',
      job: { ...job, submittedAt: AT },
      when: 'now',
      deadline: Date.parse(AT) + 60_000,
    });
  });

  it('polls at once after submitting, then after the interval', () => {
    const first = step(STATES['submitting 1']!, EVENTS.submitted!);
    expect(first.command).toMatchObject({ do: 'poll', when: 'now', deadline });
    expect(step(first.state, EVENTS['poll running']!).command).toMatchObject({ when: 'after-interval' });
  });

  it('gives up polling after the tolerated transient errors, naming how many', () => {
    let s = STATES['waiting first']!;
    for (let i = 0; i < POLICY.pollErrorsTolerated; i++) s = step(s, EVENTS['poll-error transient']!).state;
    expect(s.phase).toBe('waiting');
    s = step(s, EVENTS['poll-error transient']!).state;
    expect(s).toMatchObject({
      phase: 'stopping',
      stop: {
        why: 'lost',
        poll: { state: 'lost', detail: `polling failed ${POLICY.pollErrorsTolerated + 1} times in a row: busy` },
      },
    });
    // A success in between starts the count again.
    let t = STATES['waiting errors at limit']!;
    t = step(t, EVENTS['poll running']!).state;
    expect(step(t, EVENTS['poll-error transient']!).state.phase).toBe('waiting');
  });

  it('retries an unclear submission only after looking for its job, with growing pauses, and gives up', () => {
    let s = STATES['submitting 1']!;
    const pauses: number[] = [];
    for (let i = 0; i < POLICY.backendAttempts; i++) {
      s = step(s, EVENTS['submit-unclear']!).state;
      expect(commandOf(s)).toEqual({ do: 'find' });
      const r = step(s, EVENTS['job-not-found']!);
      s = r.state;
      if (r.command.do === 'submit') pauses.push(r.command.pauseMs);
    }
    expect(pauses).toEqual([1000, 2000]);
    expect(outcome(s)).toEqual({
      kind: 'ended',
      txid: 'tx-1',
      status: 'failed',
      cause: 'submit-failed',
      reason: `submitting the job failed: timed out; gave up after ${POLICY.backendAttempts} attempts`,
    });
  });

  it('leaves a transaction open, journalling nothing, when its job can be neither seen nor stopped', () => {
    const a = step(STATES['finding after unclear 1']!, EVENTS['find-failed']!);
    expect(a.records).toEqual([]);
    expect(outcome(a.state)).toMatchObject({ kind: 'left-open', cause: 'submission-unknown' });
    const b = step(STATES['stopping deadline']!, EVENTS['cancel-failed']!);
    expect(outcome(b.state)).toEqual({
      kind: 'left-open',
      txid: 'tx-1',
      status: 'failed',
      cause: 'cancel-failed',
      reason:
        'the job passed its time limit of 60s and cancelling it failed (scancel: timeout); the transaction stays open and the next run resumes it',
    });
  });

  it('reads a job stopped at its deadline as timed out, and a lost one with what the poll said', () => {
    expect(step(STATES['stopping deadline']!, EVENTS.cancelled!).state).toMatchObject({ wait: 'timed-out' });
    expect(step(STATES['stopping lost']!, EVENTS.cancelled!).state).toMatchObject({ wait: { state: 'lost' } });
  });

  it('verifies an unreadable output as a problem, after the retries a transient failure gets', () => {
    let s = STATES['fetching 1']!;
    const pauses: number[] = [];
    for (;;) {
      const r = step(s, EVENTS['output-unreadable transient']!);
      s = r.state;
      if (r.command.do !== 'fetch-output') break;
      pauses.push(r.command.pauseMs);
    }
    expect(pauses).toEqual([1000, 2000]);
    expect(commandOf(s)).toEqual({
      do: 'verify',
      wait: { state: 'done', exitCode: 0 },
      output: {
        problem: `the job's output could not be fetched: busy; gave up after ${POLICY.backendAttempts} attempts`,
      },
    });
  });

  it('ends with the verdict and the observation; a lost lock or refused submission ends without a job', () => {
    const inventory: Inventory = {
      site: 'S',
      packages: [],
      userListKnown: true,
      observedAt: LATER,
      source: 'job',
      origin: 'tx-1',
    };
    const verdict = { status: 'succeeded', installed: true, validated: true } as const;
    const r = step(STATES.verifying!, e({ type: 'verified', finished, verdict, inventory }));
    expect(r.records[1]).toEqual({
      type: 'end',
      txid: 'tx-1',
      at: LATER,
      site: 'S',
      status: 'succeeded',
      installed: true,
      validated: true,
    });
    expect(r.command).toEqual({
      do: 'stop',
      outcome: { kind: 'ended', txid: 'tx-1', status: 'succeeded', cause: 'verdict', inventory },
    });
    expect(step(STATES.new!, EVENTS['lock-lost']!).records).toEqual([
      begin,
      {
        type: 'end',
        txid: 'tx-1',
        at: LATER,
        site: 'S',
        status: 'failed',
        reason: 'this controller lost the site lock to another one; no job was submitted',
        installed: false,
        validated: false,
      },
    ]);
    expect(outcome(step(STATES['submitting 1']!, EVENTS['submit-failed']!).state)).toMatchObject({
      cause: 'submit-failed',
      reason: 'submitting the job failed: sbatch: invalid partition',
    });
    expect(outcome(step(STATES.new!, EVENTS['executor-missing']!).state)).toEqual({
      kind: 'not-begun',
      txid: 'tx-1',
      status: 'failed',
      cause: 'no-executor',
      reason: 'no slurm backend in this run',
    });
  });
});

describe('resuming at the crash points of the crash test', () => {
  const tx = (...records: JournalRecord[]): Transaction => {
    const t: Transaction = { txid: 'tx-1', site: 'S', begin };
    for (const r of records) {
      if (r.type === 'submitted') t.submitted = r;
      if (r.type === 'finished') t.finished = r;
      if (r.type === 'end') t.end = r;
    }
    return t;
  };
  const submitted = { type: 'submitted', txid: 'tx-1', at: AT, job } as const;

  it('before any record: a new transaction begins and submits', () => {
    const r = step(newTx(begin), EVENTS['lock-taken']!);
    expect(r.records).toEqual([begin]);
    expect(r.command).toEqual({ do: 'submit', pauseMs: 0 });
  });

  it('begun, job not launched: looks for the job, finds none, ends it; nothing is submitted', () => {
    const s = foldTx(tx());
    expect(commandOf(s)).toEqual({ do: 'check-lock' });
    const look = step(s, EVENTS['lock-taken']!);
    expect(look.command).toEqual({ do: 'find' });
    const r = step(look.state, EVENTS['job-not-found']!);
    expect(r.records).toMatchObject([
      { type: 'end', status: 'failed', reason: 'the controller stopped before the job was submitted' },
    ]);
    expect(r.command).toMatchObject({ do: 'stop', outcome: { kind: 'ended', cause: 'never-submitted' } });
  });

  it('job launched, not journalled: finds it by name, journals it, and waits for it', () => {
    const look = step(foldTx(tx()), EVENTS['lock-taken']!);
    const r = step(look.state, EVENTS['job-found']!);
    expect(r.records.map((x) => x.type)).toEqual(['submitted']);
    expect(r.command.do).toBe('poll');
  });

  it('job running: polls the journalled job, never submits', () => {
    const s = foldTx(tx(submitted));
    expect(commandOf(s)).toEqual({ do: 'poll', job, when: 'now', deadline });
    // Whether or not the lock is still held, a journalled job is followed to its end.
    expect(step(s, EVENTS['lock-lost']!).command.do).toBe('poll');
  });

  it('finished journalled, end torn off: only the end is written again', () => {
    let s = foldTx(tx(submitted, finished));
    s = step(s, EVENTS['poll done']!).state;
    s = step(s, EVENTS['output-fetched']!).state;
    expect(step(s, EVENTS.verified!).records.map((x) => x.type)).toEqual(['end']);
  });

  it('a rollback killed after its finished record, before its hold: resumed, it holds the site, then ends', () => {
    const rb = (...records: JournalRecord[]): Transaction => ({ ...tx(...records), begin: rbBegin });
    let s = foldTx(rb(submitted, finished));
    s = step(s, EVENTS['poll done']!).state;
    s = step(s, EVENTS['output-fetched']!).state;
    const verified = step(s, EVENTS.verified!);
    expect(verified.records).toEqual([]);
    expect(verified.command).toEqual({ do: 'hold', hold: { ...hold, at: LATER } });
    const ended = step(verified.state, EVENTS.held!);
    expect(ended.records).toEqual([{ ...rbEnd, at: LATER }]);
    expect(ended.command).toMatchObject({ do: 'stop', outcome: { status: 'succeeded', held: true } });
    // A failed rollback holds nothing.
    const failed = step(s, {
      ...EVENTS.verified!,
      verdict: { status: 'failed', installed: false, validated: false },
    } as TxEvent);
    expect([failed.state.phase, failed.records.map((r) => r.type)]).toEqual(['done', ['end']]);
  });

  it('after its transaction ended: nothing to do', () => {
    const end = { type: 'end', txid: 'tx-1', at: AT, site: 'S', status: 'busy', reason: 'held' } as const;
    const s = foldTx(tx(submitted, finished, end));
    expect(commandOf(s)).toEqual({
      do: 'stop',
      outcome: { kind: 'ended', txid: 'tx-1', status: 'busy', cause: 'already-ended', reason: 'held' },
    });
  });
});
