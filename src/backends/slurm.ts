// The Slurm backend: sbatch, then scontrol (or the completion log once
// Slurm has forgotten the job), scancel. The controller runs on a submit
// host as the VO software manager's account; the job's output file lands
// in the state directory, which the job (same account) can write.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSite } from '../desired/types.js';
import { complaint, runTool, type ToolResult } from './client-tool.js';
import { TransientBackendError, type Backend, type JobHandle, type JobPoll, type JobRequest, type JobState } from './types.js';

export class SlurmBackend implements Backend {
  readonly name = 'slurm' as const;
  readonly minPollMs = 2000;

  constructor(private readonly jobsDir: string) {}

  private file(jobName: string, ext: 'sh' | 'out'): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(jobName)) throw new Error(`invalid job name ${JSON.stringify(jobName)}`);
    return path.resolve(this.jobsDir, 'slurm', `${jobName}.${ext}`);
  }

  async submit(req: JobRequest): Promise<JobHandle> {
    const script = this.file(req.jobName, 'sh');
    await mkdir(path.dirname(script), { recursive: true });
    await writeFile(script, req.script, { mode: 0o755 });
    const r = await runTool('sbatch', sbatchArgs(req, script, this.file(req.jobName, 'out')));
    const id = /^(\d+)(;\S*)?\s*$/.exec(r.stdout)?.[1];
    if (r.exitCode !== 0 || !id) throw failure(`sbatch refused the job for site ${req.site.name}`, r);
    return { backend: 'slurm', id, site: req.site.name, submittedAt: new Date().toISOString(), name: req.jobName };
  }

  async poll(job: JobHandle): Promise<JobPoll> {
    const r = await runTool('scontrol', ['-o', 'show', 'job', job.id]);
    if (r.exitCode === 0) return pollFromScontrol(r.stdout);
    if (!/Invalid job id/i.test(r.stderr)) throw failure(`scontrol could not report job ${job.id}`, r);
    // Finished longer ago than MinJobAge: the completion log still knows it.
    const done = await this.fromCompletionLog((row) => row.id === job.id);
    return done ?? { state: 'lost', detail: `Slurm no longer knows job ${job.id} (not in scontrol nor in the completion log)` };
  }

  async fetchOutput(job: JobHandle): Promise<string> {
    if (!job.name) throw new Error(`job ${job.id} was recorded without its name, so its output file is unknown`);
    return readFile(this.file(job.name, 'out'), 'utf8').catch(() => '');
  }

  async cancel(job: JobHandle): Promise<void> {
    const r = await runTool('scancel', [job.id]);
    if (r.exitCode !== 0 && !/already completing or completed|Invalid job id/i.test(r.stderr)) throw failure(`scancel of job ${job.id} failed`, r);
  }

  async find(jobName: string, site: ResolvedSite): Promise<JobHandle | undefined> {
    const r = await runTool('squeue', ['-h', '-t', 'all', `--name=${jobName}`, '-o', '%i']);
    if (r.exitCode !== 0) throw failure(`squeue could not look for job ${jobName}`, r);
    const id = r.stdout.split('\n').map((l) => l.trim()).find(Boolean);
    const found = id ?? (await this.completionRows()).find((row) => row.name === jobName)?.id;
    return found ? { backend: 'slurm', id: found, site: site.name, submittedAt: new Date().toISOString(), name: jobName } : undefined;
  }

  private async fromCompletionLog(match: (row: CompletionRow) => boolean): Promise<JobPoll | undefined> {
    const row = (await this.completionRows()).find(match);
    return row ? pollFromState(row.state, row.exitCode, 'completion log') : undefined;
  }

  private async completionRows(): Promise<CompletionRow[]> {
    const r = await runTool('sacct', ['-c', '-n', '-P', '-o', 'JobID,JobName,State,ExitCode']);
    if (r.exitCode !== 0) return [];
    return parseCompletionLog(r.stdout);
  }
}

export function sbatchArgs(req: JobRequest, script: string, output: string): string[] {
  const { site } = req;
  return [
    '--parsable',
    // The job gets the site account's own login environment, not the controller's.
    '--export=NONE',
    `--job-name=${req.jobName}`,
    `--output=${output}`,
    `--chdir=${path.dirname(output)}`,
    `--time=${Math.max(1, Math.ceil(req.timeLimit / 60))}`,
    ...(site.endpoint ? [`--partition=${site.endpoint}`] : []),
    ...(site.account ? [`--account=${site.account}`] : []),
    ...(site.qos ? [`--qos=${site.qos}`] : []),
    script,
  ];
}

interface CompletionRow {
  id: string;
  name: string;
  state: string;
  exitCode: string;
}

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
  const reason = field('Reason');
  return poll.state === 'done' && reason && reason !== 'None' && poll.detail ? { ...poll, detail: `${poll.detail}, reason ${reason}` } : poll;
}

const QUEUED = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESV_DEL_HOLD']);
const ENDED = new Set(['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT', 'REVOKED']);

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

const TRANSIENT = /Unable to contact slurm controller|Socket timed out|Zero Bytes were transmitted|Connection refused|temporarily unable|Resource temporarily unavailable|gave no answer/i;

function failure(what: string, r: ToolResult): Error {
  const message = `${what}: ${complaint(r)}`;
  return TRANSIENT.test(`${r.stderr}\n${r.stdout}`) ? new TransientBackendError(message) : new Error(message);
}
