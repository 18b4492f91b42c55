// Runs one transaction's state machine against the world: appends the
// records each step asks for before doing anything else, carries out its
// command, and feeds the result back as the next event. A new transaction
// and one left open by a dead controller go through this same loop; only
// their first state differs.
import { TransientBackendError, type JobHandle } from '../../backends/types.js';
import type { ResolvedSite } from '../../desired/types.js';
import { holdAfterRollback } from '../../rollback/holds.js';
import type { RunContext } from '../context.js';
import type { SlotRelease } from '../job-slots.js';
import { isoAt, type Executor } from '../ports.js';
import { jobRequest } from './job-request.js';
import { commandOf, step, type TxCommand, type TxEventBody, type TxOutcome, type TxState } from './machine.js';
import { pause, pollIntervalMs, POLICY } from './policy.js';
import { verifyJob } from './verdict.js';

/** What a new job needs beside its begin record: the vulnerability list its audit is given (not journalled in full). */
export interface JobExtras {
  vulnerabilities?: string;
  /** The job slot the caller already holds for it (job-slots.ts); without one the driver waits for one before submitting. */
  slot?: SlotRelease;
}

export async function driveTransaction(
  ctx: RunContext,
  site: ResolvedSite,
  first: TxState,
  extras: JobExtras = {},
): Promise<TxOutcome> {
  const resumed = first.phase !== 'new';
  let state = first;
  let command = commandOf(state);
  const jobBackend = state.phase === 'waiting' ? state.job.backend : site.backend;
  const executor = first.phase === 'done' ? undefined : ctx.executors.get(jobBackend);
  const watch = new JobWatch();
  let event: TxEventBody | undefined =
    executor instanceof Error ? { type: 'executor-missing', message: executor.message } : undefined;
  if (state.phase === 'waiting') announceResume(ctx, site, state);
  let jobState: string | undefined;
  // The run's job slot, held from this transaction's submission to its job's end (job-slots.ts).
  let slot: SlotRelease | undefined = extras.slot;
  try {
    for (;;) {
      if (event?.type === 'poll-result' && event.poll.state !== jobState) {
        jobState = event.poll.state;
        if (jobState === 'queued' || jobState === 'running')
          ctx.emit({
            site: site.name,
            kind: 'job-state',
            detail: `job ${jobState}${event.poll.detail ? `: ${event.poll.detail}` : ''}`,
          });
      }
      if (event) {
        const r = step(state, { ...event, at: isoAt(ctx.clock) });
        if (r.records.length > 0) await ctx.journal.append(...r.records);
        if (r.state.phase === 'waiting' && state.phase !== 'waiting') {
          if (resumed) announceResume(ctx, site, r.state);
          else
            ctx.emit({
              site: site.name,
              kind: 'submitted',
              detail: `${r.state.begin.kind} job ${r.state.job.id} (${r.state.job.backend})`,
            });
        }
        state = r.state;
        command = r.command;
      }
      if (slot && !JOB_OUT.has(state.phase)) {
        slot();
        slot = undefined;
      }
      if (command.do === 'stop') return await settle(ctx, site, first, command.outcome);
      if (command.do === 'submit' && !slot && ctx.jobSlots) slot = await ctx.jobSlots.acquire();
      event = await carryOut(ctx, site, state, command, executor as Executor, watch, extras);
    }
  } finally {
    slot?.();
    watch.close();
  }
}

/**
 * The phases in which this controller's submission is due or may have a job
 * out: its slot is kept through them. Fetching the output, verifying,
 * holding and journalling the end need no slot; a job left by another
 * controller (resumed) takes none either: it is out already, whatever this
 * run's bound.
 */
const JOB_OUT: ReadonlySet<TxState['phase']> = new Set(['new', 'submitting', 'finding', 'waiting', 'stopping']);

function announceResume(ctx: RunContext, site: ResolvedSite, s: Extract<TxState, { phase: 'waiting' }>): void {
  ctx.emit({
    site: site.name,
    kind: 'resuming',
    detail: `waiting for job ${s.job.id} of ${s.begin.txid}, left by ${s.begin.controller}`,
  });
}

/** The end of the loop: keep the new observation, and say how it went. */
async function settle(ctx: RunContext, site: ResolvedSite, first: TxState, outcome: TxOutcome): Promise<TxOutcome> {
  const kind = first.phase === 'done' ? undefined : first.begin.kind;
  if (outcome.kind === 'ended' && outcome.cause === 'verdict') {
    if (outcome.inventory) await ctx.observations.write(outcome.inventory);
    const { status, reason } = outcome;
    ctx.emit({
      site: site.name,
      kind: 'finished',
      detail: `${kind} ${outcome.txid}: ${status}${reason ? ` — ${reason}` : ''}`,
    });
  }
  if (outcome.kind === 'left-open' && outcome.cause === 'cancel-failed')
    ctx.emit({ site: site.name, kind: 'finished', detail: `${kind} ${outcome.txid}: left open — ${outcome.reason}` });
  return outcome;
}

async function carryOut(
  ctx: RunContext,
  site: ResolvedSite,
  state: TxState,
  command: Exclude<TxCommand, { do: 'stop' }>,
  executor: Executor,
  watch: JobWatch,
  extras: JobExtras,
): Promise<TxEventBody> {
  const lockLost = () => ctx.locks.lost(site.name);
  switch (command.do) {
    case 'check-lock':
      return { type: lockLost() ? 'lock-lost' : 'lock-taken' };
    case 'submit': {
      if (command.pauseMs > 0) await pause(command.pauseMs);
      if (state.phase !== 'submitting') throw new Error(`submit in state ${state.phase}`);
      if (lockLost()) return { type: 'lock-lost' };
      try {
        const done = await executor.submit(jobRequest(site, state.begin, extras.vulnerabilities));
        return 'job' in done ? { type: 'submitted', job: done.job } : { type: 'script-recorded', file: done.recorded };
      } catch (e) {
        const message = (e as Error).message;
        return e instanceof TransientBackendError
          ? { type: 'submit-unclear', message }
          : { type: 'submit-failed', message };
      }
    }
    case 'find':
      if (state.phase !== 'finding') throw new Error(`find in state ${state.phase}`);
      return executor.find(state.begin.txid, site).then(
        (job): TxEventBody => ({ type: 'job-found', job }),
        (e: Error): TxEventBody => ({ type: 'find-failed', message: e.message }),
      );
    case 'poll': {
      const { wake, announces } = watch.follow(executor, command.job);
      if (command.when === 'after-interval') {
        const now = ctx.clock.now();
        if (now >= command.deadline) return { type: 'deadline-passed' };
        // A batching backend's poll waits for its endpoint's next cycle: that is the pause.
        if (executor.pollsOnOwnSchedule) return pollNow(executor, command.job, command.deadline);
        const interval = pollIntervalMs(ctx.pollMs, executor.minPollMs, announces);
        await pause(Math.min(interval, Math.max(POLICY.minPauseMs, command.deadline - now)), wake);
      }
      return pollNow(executor, command.job);
    }
    case 'cancel':
      return executor.cancel(command.job).then(
        (): TxEventBody => ({ type: 'cancelled' }),
        (e: Error): TxEventBody => ({ type: 'cancel-failed', message: e.message }),
      );
    case 'fetch-output':
      if (command.pauseMs > 0) await pause(command.pauseMs);
      return executor.fetchOutput(command.job).then(
        (text): TxEventBody => ({ type: 'output-fetched', text }),
        (e: Error): TxEventBody => ({
          type: 'output-unreadable',
          message: e.message,
          transient: e instanceof TransientBackendError,
        }),
      );
    case 'hold':
      return { type: 'held', kept: await holdAfterRollback(ctx.holds, command.hold) };
    case 'verify': {
      if (state.phase !== 'verifying') throw new Error(`verify in state ${state.phase}`);
      const v = verifyJob(state.begin, command.output, command.wait, isoAt(ctx.clock));
      return {
        type: 'verified',
        finished: v.finished,
        verdict: v.verdict,
        ...(v.inventory ? { inventory: v.inventory } : {}),
      };
    }
  }
}

/** Poll the job; a batching backend asks by the deadline at the latest, as a pausing driver would have. */
function pollNow(executor: Executor, job: JobHandle, by?: number): Promise<TxEventBody> {
  return executor.poll(job, by === undefined ? undefined : { by }).then(
    (poll): TxEventBody => ({ type: 'poll-result', poll }),
    (e: Error): TxEventBody => ({
      type: 'poll-error',
      message: e.message,
      transient: e instanceof TransientBackendError,
    }),
  );
}

/**
 * A backend that can tell the moment a job ends (a local child) wakes the
 * poll loop then, instead of at the next interval: one signal per job,
 * aborted when the job ends, shared by all its pauses.
 */
class JobWatch {
  private id: string | undefined;
  private wake: AbortController | undefined;

  follow(executor: Executor, job: JobHandle): { wake?: AbortSignal; announces: boolean } {
    if (this.id !== job.id) {
      this.close();
      this.id = job.id;
      const announced = executor.waitFor?.(job);
      if (announced) {
        const wake = new AbortController();
        this.wake = wake;
        void announced.then(
          () => wake.abort(),
          () => wake.abort(),
        );
      }
    }
    const announces = this.wake !== undefined;
    // Once the job has said it ended, pausing on the signal would not pause at all.
    return this.wake && !this.wake.signal.aborted ? { wake: this.wake.signal, announces } : { announces };
  }

  close(): void {
    this.wake = undefined;
    this.id = undefined;
  }
}
