// The journal protocol of one transaction as an explicit state machine:
// begin → submit → job id journalled → wait → output → verify → end.
// `step(state, event)` is pure: it returns the records to append (before
// anything else happens) and the one command the driver carries out next,
// whose result comes back as the next event. A state folded from the
// journal (`foldTx`) resumes exactly where a dead controller stopped, so
// starting and resuming are the same path. A rollback that succeeded holds
// its site before its end is journalled (finished → hold → end): a crash
// can leave it open, to be resumed and held, never ended and unheld.
import type { JobHandle, JobPoll } from '../../backends/types.js';
import type { Inventory } from '../../observed/types.js';
import type { RollbackHold } from '../../rollback/holds.js';
import type {
  BeginRecord,
  EndRecord,
  FinishedRecord,
  JournalRecord,
  Transaction,
  TransactionStatus,
} from '../../state/records.js';
import { POLICY, retryPauseMs } from './policy.js';
import type { JobOutputText, TransactionVerdict, WaitResult } from './verdict.js';

/** Why the controller stopped watching a job before it ended by itself. */
export type StopWhy = { why: 'deadline' } | { why: 'lost'; poll: JobPoll };

export type TxState =
  /** Nothing journalled yet: the begin record is ready. */
  | { phase: 'new'; begin: BeginRecord }
  /** Begin journalled by an earlier controller, no job id: its job may or may not exist. */
  | { phase: 'begun'; begin: BeginRecord }
  /** Submission number `attempt` is due. */
  | { phase: 'submitting'; begin: BeginRecord; attempt: number }
  /** Looking for the job by name: after a submission that may have gone through, or on resuming a begun one. */
  | { phase: 'finding'; begin: BeginRecord; attempt: number; after: 'resume' | 'unclear-submit'; error: string }
  /** The job id is journalled; polls so far, and transient poll failures in a row. */
  | {
      phase: 'waiting';
      begin: BeginRecord;
      job: JobHandle;
      deadline: number;
      polls: number;
      pollErrors: number;
      finished: boolean;
    }
  /** No longer watching the job (time limit, or lost): it must be stopped before its output is read. */
  | { phase: 'stopping'; begin: BeginRecord; job: JobHandle; stop: StopWhy; finished: boolean }
  /** Fetch of the job's output number `attempt` is due. */
  | { phase: 'fetching'; begin: BeginRecord; job: JobHandle; wait: WaitResult; attempt: number; finished: boolean }
  | {
      phase: 'verifying';
      begin: BeginRecord;
      job: JobHandle;
      wait: WaitResult;
      output: JobOutputText;
      finished: boolean;
    }
  /** A rollback verified as succeeded (its finished record journalled): the hold is due, then the end record. */
  | {
      phase: 'holding';
      begin: BeginRecord;
      hold: RollbackHold;
      end: EndRecord;
      outcome: Extract<TxOutcome, { kind: 'ended' }>;
    }
  | { phase: 'done'; outcome: TxOutcome };

/** What happened, as the driver tells the machine. */
export type TxEventBody =
  | { type: 'lock-taken' }
  | { type: 'lock-lost' }
  | { type: 'executor-missing'; message: string }
  | { type: 'submitted'; job: JobHandle }
  /** The dry-run executor wrote the job script and submitted nothing. */
  | { type: 'script-recorded'; file: string }
  /** The submission certainly did not go through. */
  | { type: 'submit-failed'; message: string }
  /** The submission failed in a way that may have gone through (a timeout, a busy CE). */
  | { type: 'submit-unclear'; message: string }
  | { type: 'job-found'; job: JobHandle | undefined }
  | { type: 'find-failed'; message: string }
  | { type: 'poll-result'; poll: JobPoll }
  | { type: 'poll-error'; message: string; transient: boolean }
  | { type: 'deadline-passed' }
  | { type: 'cancelled' }
  | { type: 'cancel-failed'; message: string }
  | { type: 'output-fetched'; text: string }
  | { type: 'output-unreadable'; message: string; transient: boolean }
  | { type: 'verified'; finished: FinishedRecord; verdict: TransactionVerdict; inventory?: Inventory }
  /** The hold is written (kept: false when the hold store keeps nothing). */
  | { type: 'held'; kept: boolean }
  /** The site of a transaction left open is no longer in sites.yaml: the transaction is closed, its job not followed. */
  | { type: 'site-removed'; reason: string };

/** Every event carries the time it happened (records are stamped with it). */
export type TxEvent = { at: string } & TxEventBody;

export type TxEventType = TxEvent['type'];

export type TxCommand =
  /** Say whether this controller still holds the site's lock: lock-taken or lock-lost. */
  | { do: 'check-lock' }
  /** Submit the job (after the pause); the driver says lock-lost instead when the lock went meanwhile. */
  | { do: 'submit'; pauseMs: number }
  | { do: 'find' }
  /** Poll now (first poll) or after the run's interval, never past the deadline. */
  | { do: 'poll'; job: JobHandle; when: 'now' | 'after-interval'; deadline: number }
  | { do: 'cancel'; job: JobHandle }
  | { do: 'fetch-output'; job: JobHandle; pauseMs: number }
  | { do: 'verify'; wait: WaitResult; output: JobOutputText }
  /** Write the hold (replacing any the site has): held. */
  | { do: 'hold'; hold: RollbackHold }
  | { do: 'stop'; outcome: TxOutcome };

/** Why a transaction came to rest where it did: a closed set, for code to decide on (the reason is for people). */
export type TxCause =
  | 'verdict'
  | 'no-executor'
  | 'lock-lost'
  | 'submit-failed'
  | 'never-submitted'
  | 'submission-unknown'
  | 'cancel-failed'
  | 'dry-run'
  | 'site-removed'
  | 'already-ended';

export type TxOutcome =
  /** The journal has its end; `held`: a rollback's hold was written and kept. */
  | {
      kind: 'ended';
      txid: string;
      status: TransactionStatus;
      cause: TxCause;
      reason?: string;
      inventory?: Inventory;
      held?: boolean;
    }
  /** Not ended: a job may exist that the controller could neither see nor stop; the next run resumes it. */
  | { kind: 'left-open'; txid: string; status: 'failed'; cause: 'submission-unknown' | 'cancel-failed'; reason: string }
  /** Nothing was journalled. */
  | { kind: 'not-begun'; txid: string; status: 'failed'; cause: 'no-executor'; reason: string }
  /** A dry run: the job script was written, nothing submitted. */
  | { kind: 'recorded'; txid: string; status: 'dry-run'; cause: 'dry-run'; file: string; reason: string };

export interface Step {
  state: TxState;
  records: JournalRecord[];
  command: TxCommand;
}

/** The hold a rollback that succeeded leaves on its site: the one place it is made. */
export function rollbackHold(begin: BeginRecord, at: string): RollbackHold {
  const rb = begin.rollback!;
  return { site: begin.site, tag: rb.tag, commit: rb.commit, txid: begin.txid, at, desired: rb.desired };
}

/** A transaction about to begin. */
export function newTx(begin: BeginRecord): TxState {
  return { phase: 'new', begin };
}

/** Where a transaction stands by its journal records. */
export function foldTx(tx: Transaction): TxState {
  const { begin } = tx;
  if (tx.end)
    return {
      phase: 'done',
      outcome: {
        kind: 'ended',
        txid: tx.txid,
        status: tx.end.status,
        cause: 'already-ended',
        ...(tx.end.reason ? { reason: tx.end.reason } : {}),
      },
    };
  if (tx.submitted) return waiting(begin, tx.submitted.job, tx.finished !== undefined);
  return { phase: 'begun', begin };
}

function waiting(begin: BeginRecord, job: JobHandle, finished: boolean): TxState {
  const deadline = Date.parse(job.submittedAt) + begin.timeLimit * 1000;
  return { phase: 'waiting', begin, job, deadline, polls: 0, pollErrors: 0, finished };
}

/** The command a state calls for. */
export function commandOf(state: TxState): TxCommand {
  switch (state.phase) {
    case 'new':
    case 'begun':
      // Nothing happens before the site lock is known to be held (lock-taken) or lost.
      return { do: 'check-lock' };
    case 'submitting':
      return { do: 'submit', pauseMs: state.attempt > 1 ? retryPauseMs(state.attempt - 1) : 0 };
    case 'finding':
      return { do: 'find' };
    case 'waiting':
      return {
        do: 'poll',
        job: state.job,
        when: state.polls === 0 ? 'now' : 'after-interval',
        deadline: state.deadline,
      };
    case 'stopping':
      return { do: 'cancel', job: state.job };
    case 'fetching':
      return { do: 'fetch-output', job: state.job, pauseMs: state.attempt > 1 ? retryPauseMs(state.attempt - 1) : 0 };
    case 'verifying':
      return { do: 'verify', wait: state.wait, output: state.output };
    case 'holding':
      return { do: 'hold', hold: state.hold };
    case 'done':
      return { do: 'stop', outcome: state.outcome };
  }
}

/** One transition. Events that do not concern a state leave it as it is (no records, the same command). */
export function step(state: TxState, event: TxEvent): Step {
  const next = transition(state, event);
  if (!next) return { state, records: [], command: commandOf(state) };
  return { state: next.state, records: next.records, command: commandOf(next.state) };
}

type Transition = { state: TxState; records: JournalRecord[] } | undefined;

function transition(s: TxState, e: TxEvent): Transition {
  switch (s.phase) {
    case 'new':
      if (e.type === 'lock-taken') return to({ phase: 'submitting', begin: s.begin, attempt: 1 }, s.begin);
      if (e.type === 'lock-lost') return ended(s.begin, e.at, 'lock-lost', LOCK_LOST, [s.begin]);
      if (e.type === 'executor-missing') return to({ phase: 'done', outcome: notBegun(s.begin, e.message) });
      return undefined;
    case 'begun':
      // Looking costs nothing at the site: done whether or not this controller still holds the lock.
      if (e.type === 'lock-taken' || e.type === 'lock-lost')
        return to({ phase: 'finding', begin: s.begin, attempt: 1, after: 'resume', error: '' });
      if (e.type === 'executor-missing') return ended(s.begin, e.at, 'no-executor', e.message);
      if (e.type === 'site-removed') return ended(s.begin, e.at, 'site-removed', e.reason);
      return undefined;
    case 'submitting':
      return submitting(s, e);
    case 'finding':
      return finding(s, e);
    case 'waiting':
      return polling(s, e);
    case 'stopping':
      if (e.type === 'cancelled')
        return to({
          phase: 'fetching',
          begin: s.begin,
          job: s.job,
          wait: s.stop.why === 'deadline' ? 'timed-out' : s.stop.poll,
          attempt: 1,
          finished: s.finished,
        });
      if (e.type === 'cancel-failed') {
        const why =
          s.stop.why === 'deadline'
            ? `the job passed its time limit of ${s.begin.timeLimit}s`
            : `the controller lost sight of the job (${s.stop.poll.detail ?? 'lost'})`;
        return leftOpen(
          s.begin,
          'cancel-failed',
          `${why} and cancelling it failed (${e.message}); the transaction stays open and the next run resumes it`,
        );
      }
      return undefined;
    case 'fetching':
      return fetching(s, e);
    case 'verifying': {
      if (e.type !== 'verified') return undefined;
      const outcome: Extract<TxOutcome, { kind: 'ended' }> = {
        kind: 'ended',
        txid: s.begin.txid,
        status: e.verdict.status,
        cause: 'verdict',
        ...(e.verdict.reason ? { reason: e.verdict.reason } : {}),
        ...(e.inventory ? { inventory: e.inventory } : {}),
      };
      // A finished record already journalled (its end line torn by a crash) is not written twice.
      const finished = s.finished ? [] : [e.finished];
      const end = endRecord(s.begin, e.at, e.verdict);
      if (e.verdict.status === 'succeeded' && s.begin.kind === 'rollback' && s.begin.rollback)
        return {
          state: { phase: 'holding', begin: s.begin, hold: rollbackHold(s.begin, e.at), end, outcome },
          records: finished,
        };
      return { state: { phase: 'done', outcome }, records: [...finished, end] };
    }
    case 'holding':
      if (e.type !== 'held') return undefined;
      return to({ phase: 'done', outcome: { ...s.outcome, ...(e.kept ? { held: true } : {}) } }, s.end);
    case 'done':
      return undefined;
  }
}

const LOCK_LOST = 'this controller lost the site lock to another one; no job was submitted';

function submitting(s: Extract<TxState, { phase: 'submitting' }>, e: TxEvent): Transition {
  switch (e.type) {
    case 'submitted':
      return to(waiting(s.begin, e.job, false), submittedRecord(s.begin, e.at, e.job));
    case 'script-recorded':
      return to({
        phase: 'done',
        outcome: {
          kind: 'recorded',
          txid: s.begin.txid,
          status: 'dry-run',
          cause: 'dry-run',
          file: e.file,
          reason: `job script written to ${e.file}; nothing submitted`,
        },
      });
    case 'submit-failed':
      return ended(s.begin, e.at, 'submit-failed', `submitting the job failed: ${e.message}`);
    case 'submit-unclear':
      // A second copy of a transaction's job must never run: look for the first before trying again.
      return to({ phase: 'finding', begin: s.begin, attempt: s.attempt, after: 'unclear-submit', error: e.message });
    case 'lock-lost':
      return ended(s.begin, e.at, 'lock-lost', LOCK_LOST);
    case 'executor-missing':
      return ended(s.begin, e.at, 'no-executor', e.message);
    default:
      return undefined;
  }
}

function finding(s: Extract<TxState, { phase: 'finding' }>, e: TxEvent): Transition {
  if (e.type === 'job-found' && e.job)
    // Its time limit runs from when the transaction began, not from when it was found.
    return to(
      waiting(s.begin, { ...e.job, submittedAt: s.begin.at }, false),
      submittedRecord(s.begin, e.at, { ...e.job, submittedAt: s.begin.at }),
    );
  if (e.type === 'job-found') {
    if (s.after === 'resume')
      return ended(s.begin, e.at, 'never-submitted', 'the controller stopped before the job was submitted');
    if (s.attempt < POLICY.backendAttempts) return to({ phase: 'submitting', begin: s.begin, attempt: s.attempt + 1 });
    return ended(
      s.begin,
      e.at,
      'submit-failed',
      `submitting the job failed: ${s.error}; gave up after ${POLICY.backendAttempts} attempts`,
    );
  }
  if (e.type === 'find-failed')
    return leftOpen(
      s.begin,
      'submission-unknown',
      s.after === 'resume'
        ? `cannot tell whether the job of ${s.begin.txid} was submitted (${e.message}); it stays open and the next run looks again — nothing new is submitted here until then`
        : `submitting the job failed and whether it went through cannot be told (${e.message}); the transaction stays open and the next run looks for its job again`,
    );
  if (e.type === 'executor-missing') return ended(s.begin, e.at, 'no-executor', e.message);
  return undefined;
}

function polling(s: Extract<TxState, { phase: 'waiting' }>, e: TxEvent): Transition {
  const stop = (why: StopWhy): Transition =>
    to({ phase: 'stopping', begin: s.begin, job: s.job, stop: why, finished: s.finished });
  switch (e.type) {
    case 'poll-result':
      if (e.poll.state === 'done')
        return to({ phase: 'fetching', begin: s.begin, job: s.job, wait: e.poll, attempt: 1, finished: s.finished });
      if (e.poll.state === 'lost') return stop({ why: 'lost', poll: e.poll });
      return to({ ...s, polls: s.polls + 1, pollErrors: 0 });
    case 'poll-error': {
      const errors = s.pollErrors + 1;
      if (e.transient && errors <= POLICY.pollErrorsTolerated)
        return to({ ...s, polls: s.polls + 1, pollErrors: errors });
      const times = errors > POLICY.pollErrorsTolerated ? ` ${errors} times in a row` : '';
      return stop({ why: 'lost', poll: { state: 'lost', detail: `polling failed${times}: ${e.message}` } });
    }
    case 'deadline-passed':
      return stop({ why: 'deadline' });
    case 'executor-missing':
      return ended(s.begin, e.at, 'no-executor', e.message);
    case 'site-removed':
      return ended(s.begin, e.at, 'site-removed', e.reason);
    default:
      return undefined;
  }
}

function fetching(s: Extract<TxState, { phase: 'fetching' }>, e: TxEvent): Transition {
  const verify = (output: JobOutputText): Transition =>
    to({ phase: 'verifying', begin: s.begin, job: s.job, wait: s.wait, output, finished: s.finished });
  if (e.type === 'output-fetched') return verify({ text: e.text });
  if (e.type !== 'output-unreadable') return undefined;
  if (e.transient && s.attempt < POLICY.backendAttempts) return to({ ...s, attempt: s.attempt + 1 });
  const gaveUp = e.transient ? `; gave up after ${POLICY.backendAttempts} attempts` : '';
  return verify({ problem: `the job's output could not be fetched: ${e.message}${gaveUp}` });
}

function to(state: TxState, ...records: JournalRecord[]): Transition {
  return { state, records };
}

function ended(
  begin: BeginRecord,
  at: string,
  cause: TxCause,
  reason: string,
  before: JournalRecord[] = [],
): Transition {
  const verdict: TransactionVerdict = { status: 'failed', reason, installed: false, validated: false };
  return {
    state: { phase: 'done', outcome: { kind: 'ended', txid: begin.txid, status: 'failed', cause, reason } },
    records: [...before, endRecord(begin, at, verdict)],
  };
}

function leftOpen(begin: BeginRecord, cause: 'submission-unknown' | 'cancel-failed', reason: string): Transition {
  return to({ phase: 'done', outcome: { kind: 'left-open', txid: begin.txid, status: 'failed', cause, reason } });
}

function notBegun(begin: BeginRecord, reason: string): Extract<TxOutcome, { kind: 'not-begun' }> {
  return { kind: 'not-begun', txid: begin.txid, status: 'failed', cause: 'no-executor', reason };
}

function submittedRecord(begin: BeginRecord, at: string, job: JobHandle): JournalRecord {
  return { type: 'submitted', txid: begin.txid, at, job };
}

function endRecord(begin: BeginRecord, at: string, verdict: TransactionVerdict): EndRecord {
  return { type: 'end', txid: begin.txid, at, site: begin.site, ...verdict };
}
