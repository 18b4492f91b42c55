// The Slurm backend: sbatch, then scontrol (or the completion log once
// Slurm has forgotten the job), scancel. The controller runs on a submit
// host as the VO software manager's account; the job's output file lands
// in the state directory, which the job (same account) can write.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSite } from '../desired/types.js';
import { runTool, toolFailure, type ToolResult } from './client-tool.js';
import { checkedJobName } from './job-name.js';
import type { Backend, JobHandle, JobPoll, JobRequest, JobState } from './types.js';

export class SlurmBackend implements Backend {
  readonly name = 'slurm' as const;
  readonly minPollMs = 2000;

  constructor(private readonly jobsDir: string) {}

  private get dir(): string {
    return path.resolve(this.jobsDir, 'slurm');
  }

  /** `<name>.sh`; the output is `<name>.<job id>.out`, so a second job of one name could never overwrite the first one's. */
  private file(jobName: string, ext: 'sh' | 'out', id = '%j'): string {
    checkedJobName(jobName);
    return path.join(this.dir, ext === 'sh' ? `${jobName}.sh` : `${jobName}.${id}.out`);
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
    // Finished longer ago than MinJobAge: accounting, or the completion log, still knows it.
    const row = (await this.finishedRows({ id: job.id })).find((x) => x.id === job.id);
    return row
      ? pollFromState(row.state, row.exitCode, 'accounting')
      : {
          state: 'lost',
          detail: `Slurm no longer knows job ${job.id} (not in scontrol, accounting or the completion log)`,
        };
  }

  async fetchOutput(job: JobHandle): Promise<string> {
    if (!job.name) throw new Error(`job ${job.id} was recorded without its name, so its output file is unknown`);
    return readFile(this.file(job.name, 'out', job.id), 'utf8').catch(() => '');
  }

  async cancel(job: JobHandle): Promise<void> {
    const r = await runTool('scancel', [job.id]);
    if (r.exitCode !== 0 && !/already completing or completed|Invalid job id/i.test(r.stderr))
      throw failure(`scancel of job ${job.id} failed`, r);
  }

  async find(jobName: string, site: ResolvedSite): Promise<JobHandle | undefined> {
    const r = await runTool('squeue', ['-h', '-t', 'all', `--name=${jobName}`, '-o', '%i']);
    if (r.exitCode !== 0) throw failure(`squeue could not look for job ${jobName}`, r);
    const id =
      r.stdout
        .split('\n')
        .map((l) => l.trim())
        .find(Boolean) ?? (await this.finishedRows({ name: jobName })).find((row) => row.name === jobName)?.id;
    if (id) return { backend: 'slurm', id, site: site.name, submittedAt: new Date().toISOString(), name: jobName };
    // Slurm has forgotten it, but a job that ran left its output file: it did run, under an id no longer known.
    const ran = (await readdir(this.dir).catch(() => [] as string[])).find(
      (f) => f.startsWith(`${jobName}.`) && f.endsWith('.out'),
    );
    if (ran)
      throw new Error(
        `Slurm no longer knows job ${jobName}, yet it ran (${path.join(this.dir, ran)}); read that output, then remove it to let the site go on`,
      );
    return undefined;
  }

  /** Finished jobs: from accounting (slurmdbd) where there is one, else from the completion log. */
  private async finishedRows(which: { id?: string; name?: string }): Promise<CompletionRow[]> {
    const select = which.id ? ['-j', which.id] : [`--name=${which.name}`, '-S', 'now-7days'];
    const db = await runTool('sacct', ['-X', '-n', '-P', ...select, '-o', 'JobID,JobName,State,ExitCode']);
    const rows = db.exitCode === 0 ? parseCompletionLog(db.stdout) : [];
    if (rows.length > 0) return rows;
    const log = await runTool('sacct', ['-c', '-n', '-P', '-o', 'JobID,JobName,State,ExitCode']);
    return log.exitCode === 0 ? parseCompletionLog(log.stdout) : [];
  }
}

export function sbatchArgs(req: JobRequest, script: string, output: string): string[] {
  const { site } = req;
  return [
    '--parsable',
    // The job gets the site account's own login environment, not the controller's.
    '--export=NONE',
    // A requeued job would run its script again from the top, as a second job of one transaction.
    '--no-requeue',
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

const TRANSIENT =
  /Unable to contact slurm controller|Socket timed out|Zero Bytes were transmitted|Connection refused|temporarily unable|Resource temporarily unavailable|gave no answer/i;

function failure(what: string, r: ToolResult): Error {
  return toolFailure(what, r, TRANSIENT);
}
