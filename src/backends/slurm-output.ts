// Reading the Slurm clients' answers (squeue, sacct, scontrol) into job
// states. Pure text in, values out; the Slurm backend does the running.
import type { JobPoll, JobState } from './types.js';

/**
 * squeue's fields for a batched poll, '|'-separated (job names cannot hold one,
 * see job-name.ts). exit_code is the raw wait status: exit code << 8 | signal.
 */
export const SQUEUE_FORMAT = 'JobID:|,Name:|,State:|,Reason:|,exit_code:|';

export interface SqueueRow {
  id: string;
  name: string;
  state: string;
  reason: string;
  /** "rc:signal", as scontrol and sacct write it. */
  exitCode: string;
}

/** `squeue -h -t all -j id,... -O SQUEUE_FORMAT`: one row per job Slurm still knows. */
export function parseSqueue(text: string): SqueueRow[] {
  const rows: SqueueRow[] = [];
  for (const line of text.split('\n')) {
    const [id, name, state, reason, raw] = line.split('|').map((f) => f.trim());
    if (!id || !/^\d+$/.test(id) || !state) continue;
    const status = Number(raw);
    const exitCode = Number.isInteger(status) && raw !== '' ? `${status >> 8}:${status & 0x7f}` : '';
    rows.push({ id, name: name ?? '', state, reason: reason ?? '', exitCode });
  }
  return rows;
}

/** What one squeue row says about its job, with the reason of a job that ended badly. */
export function pollFromSqueue(row: SqueueRow): JobPoll {
  return withReason(pollFromState(row.state, row.exitCode, 'squeue'), row.reason);
}

/**
 * squeue given only ids it does not know refuses with "Invalid job id"
 * (given several, it just leaves them out): either way, no rows.
 */
export function squeueKnowsNone(stderr: string): boolean {
  return /Invalid job id/i.test(stderr);
}

export interface CompletionRow {
  id: string;
  name: string;
  state: string;
  exitCode: string;
}

/** sacct -n -P -o JobID,JobName,State,ExitCode (accounting or the completion log). */
export function parseCompletionLog(text: string): CompletionRow[] {
  return text
    .split('\n')
    .map((l) => l.split('|'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[0]!))
    .map(([id, name, state, exitCode]) => ({ id: id!, name: name!, state: state!, exitCode: exitCode! }));
}

/** `scontrol -o show job` prints one line of Key=Value pairs. */
export function pollFromScontrol(line: string): JobPoll {
  const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(line)?.[1];
  const poll = pollFromState(field('JobState') ?? 'UNKNOWN', field('ExitCode') ?? '', 'scontrol');
  return withReason(poll, field('Reason'));
}

function withReason(poll: JobPoll, reason: string | undefined): JobPoll {
  return poll.state === 'done' && reason && reason !== 'None' && poll.detail
    ? { ...poll, detail: `${poll.detail}, reason ${reason}` }
    : poll;
}

const QUEUED = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESV_DEL_HOLD']);
const ENDED = new Set([
  'COMPLETED',
  'FAILED',
  'TIMEOUT',
  'CANCELLED',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'SPECIAL_EXIT',
  'REVOKED',
]);

export function pollFromState(rawState: string, exitCode: string, from: string): JobPoll {
  // sacct writes "CANCELLED by 0"; scontrol writes just the state.
  const state = rawState.split(/\s/)[0]!.replace(/\+$/, '');
  if (QUEUED.has(state)) return { state: 'queued', detail: state };
  if (!ENDED.has(state)) return { state: 'running' as JobState, detail: state };
  const [rc, signal] = exitCode.split(':').map(Number);
  const signalled = signal !== undefined && signal > 0 ? `, signal ${signal}` : '';
  return {
    state: 'done',
    ...(rc !== undefined && Number.isInteger(rc) ? { exitCode: rc } : {}),
    ...(state === 'COMPLETED' ? {} : { detail: `Slurm job state ${rawState}${signalled} (${from})` }),
  };
}
