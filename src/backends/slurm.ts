// The Slurm backend: sbatch, then squeue for all the jobs of a partition at
// once (or the completion log once Slurm has forgotten a job), scancel. The
// controller runs on a submit host as the VO software manager's account;
// the job's output file lands in the state directory, which the job (same
// account) can write.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSite } from '../desired/types.js';
import { BatchPoller, type BatchAnswer, type PollSchedule } from './batch-poller.js';
import { CallQueue, type CallLimits } from './call-queue.js';
import { runTool, toolFailure, type ToolResult } from './client-tool.js';
import { checkedJobName } from './job-name.js';
import { requirePollSchedule, SLURM_SUBMIT_LIMITS } from './poll-settings.js';
import {
  parseCompletionLog,
  parseSqueue,
  pollFromSqueue,
  pollFromState,
  SQUEUE_FORMAT,
  squeueKnowsNone,
  type CompletionRow,
} from './slurm-output.js';
import type { Backend, JobHandle, JobPoll, JobRequest } from './types.js';

export { parseCompletionLog, pollFromScontrol, pollFromState } from './slurm-output.js';

/** A job submitted without a partition polls with the others of the cluster's default one. */
const DEFAULT_PARTITION = '(default partition)';

export class SlurmBackend implements Backend {
  readonly name = 'slurm' as const;
  readonly pollsOnOwnSchedule = true;
  readonly poller: BatchPoller;
  /** sbatch calls per partition, side by side up to a bound. */
  readonly submits: CallQueue<string[], ToolResult>;

  constructor(
    private readonly jobsDir: string,
    schedule: PollSchedule = requirePollSchedule('slurm'),
    submitLimits: CallLimits = SLURM_SUBMIT_LIMITS,
  ) {
    this.poller = new BatchPoller((_, jobs) => this.pollMany(jobs), schedule);
    this.submits = new CallQueue((_, calls) => Promise.all(calls.map((args) => runTool('sbatch', args))), submitLimits);
  }

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
    const r = await this.submits.call(
      req.site.endpoint ?? DEFAULT_PARTITION,
      sbatchArgs(req, script, this.file(req.jobName, 'out')),
    );
    const id = /^(\d+)(;\S*)?\s*$/.exec(r.stdout)?.[1];
    if (r.exitCode !== 0 || !id) throw failure(`sbatch refused the job for site ${req.site.name}`, r);
    return {
      backend: 'slurm',
      id,
      site: req.site.name,
      submittedAt: new Date().toISOString(),
      name: req.jobName,
      ...(req.site.endpoint ? { endpoint: req.site.endpoint } : {}),
    };
  }

  /** The job's state as of the next squeue of its partition (one call for all its jobs in flight). */
  poll(job: JobHandle, opts: { by?: number } = {}): Promise<JobPoll> {
    return this.poller.poll(job.endpoint ?? DEFAULT_PARTITION, job, opts.by);
  }

  /**
   * One squeue for the jobs; those it no longer knows (finished longer ago
   * than MinJobAge) from accounting or the completion log, one call each;
   * a job none of them knows is lost. A failed squeue answers every job
   * with its error, transient or not, as a single job's poll would.
   */
  async pollMany(jobs: readonly JobHandle[]): Promise<BatchAnswer> {
    const ids = jobs.map((j) => j.id);
    const r = await runTool('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-O', SQUEUE_FORMAT]);
    if (r.exitCode !== 0 && !squeueKnowsNone(r.stderr))
      throw failure(`squeue could not report ${jobs.length === 1 ? `job ${ids[0]}` : `${jobs.length} jobs`}`, r);
    const answers = new Map<string, JobPoll>();
    if (r.exitCode === 0) for (const row of parseSqueue(r.stdout)) answers.set(row.id, pollFromSqueue(row));
    const gone = ids.filter((id) => !answers.has(id));
    if (gone.length > 0) {
      const rows = await this.finishedRows({ ids: gone });
      for (const id of gone) {
        const row = rows.find((x) => x.id === id);
        answers.set(
          id,
          row
            ? pollFromState(row.state, row.exitCode, 'accounting')
            : {
                state: 'lost',
                detail: `Slurm no longer knows job ${id} (not in squeue, accounting or the completion log)`,
              },
        );
      }
    }
    return answers;
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

  /** Finished jobs: from accounting (slurmdbd) where there is one, and the completion log for any it does not know. */
  private async finishedRows(which: { ids?: string[]; name?: string }): Promise<CompletionRow[]> {
    const select = which.ids ? ['-j', which.ids.join(',')] : [`--name=${which.name}`, '-S', 'now-7days'];
    const db = await runTool('sacct', ['-X', '-n', '-P', ...select, '-o', 'JobID,JobName,State,ExitCode']);
    const rows = db.exitCode === 0 ? parseCompletionLog(db.stdout) : [];
    const missing = which.ids ? which.ids.some((id) => !rows.some((r) => r.id === id)) : rows.length === 0;
    if (!missing) return rows;
    const log = await runTool('sacct', ['-c', '-n', '-P', '-o', 'JobID,JobName,State,ExitCode']);
    return [...rows, ...(log.exitCode === 0 ? parseCompletionLog(log.stdout) : [])];
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

const TRANSIENT =
  /Unable to contact slurm controller|Socket timed out|Zero Bytes were transmitted|Connection refused|temporarily unable|Resource temporarily unavailable|gave no answer/i;

function failure(what: string, r: ToolResult): Error {
  return toolFailure(what, r, TRANSIENT);
}
