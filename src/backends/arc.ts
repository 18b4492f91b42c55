// The ARC backend: the NorduGrid ARC client against a CE's REST interface.
// arcsub records each job in this controller's job list under
// state/jobs/arc/; arcstat gives state and exit code; arcget brings the
// output back (and cleans the job on the CE); arckill + arcclean cancel.
// Polls are batched: one arcstat per CE per cycle, whatever the jobs in flight.
// Every submission first checks the grid proxy against the job's time limit.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSite } from '../desired/types.js';
import {
  endpointOfJob,
  matchSubmitted,
  parseArcstat,
  parseArcstatJson,
  parseSubmission,
  pollFromArc,
  renderXrsl,
} from './arc-output.js';
import { BatchPoller, type BatchAnswer, type PollSchedule } from './batch-poller.js';
import { CallQueue, type CallLimits } from './call-queue.js';
import { complaint, runTool, toolFailure, type ToolResult } from './client-tool.js';
import { checkProxy, proxyPath } from './grid-proxy.js';
import { checkedJobName } from './job-name.js';
import { ARC_CALL_LIMITS, requirePollSchedule } from './poll-settings.js';
import { TransientBackendError, type Backend, type JobHandle, type JobPoll, type JobRequest } from './types.js';

interface ArcSubmit {
  req: JobRequest;
  xrsl: string;
}

interface ArcFetch {
  job: JobHandle;
  download: string;
}

/** A job the CE does not know yet may just not have reached its information system. */
const UNKNOWN_GRACE_MS = 120_000;
/** How long (in 2 s polls) a cancel waits for the CE to report the job ended, so it can be cleaned. */
const CANCEL_WAIT_POLLS = 20;

export class ArcBackend implements Backend {
  readonly name = 'arc' as const;
  readonly pollsOnOwnSchedule = true;
  readonly poller: BatchPoller;
  /** Jobs seen without fetched output (looked for once: 2,000 jobs would cost 2,000 stats a cycle). */
  private readonly notFetched = new Set<string>();
  private readonly dir: string;
  private readonly jobList: string;
  /** Submissions per CE, many descriptions a call. */
  readonly submits: CallQueue<ArcSubmit, string>;
  /** Output retrievals per CE and job list, many jobs a call. */
  readonly fetches: CallQueue<ArcFetch, true>;
  /** What the arcget that fetched a job said, for the error when it brought nothing. */
  private readonly lastGet = new Map<string, ToolResult>();
  private getSeq = 0;

  constructor(
    jobsDir: string,
    controller: string,
    schedule: PollSchedule = requirePollSchedule('arc'),
    limits: { submit: CallLimits; fetch: CallLimits } = ARC_CALL_LIMITS,
  ) {
    this.dir = path.resolve(jobsDir, 'arc');
    this.jobList = path.join(this.dir, `joblist-${controller.replace(/[^A-Za-z0-9._-]/g, '_')}.dat`);
    this.poller = new BatchPoller((group, jobs) => this.pollMany(group, jobs), schedule);
    this.submits = new CallQueue((endpoint, jobs) => this.submitMany(endpoint, jobs), limits.submit);
    this.fetches = new CallQueue((group, jobs) => this.fetchMany(group, jobs), limits.fetch);
  }

  private jobDir(jobName: string): string {
    return path.join(this.dir, checkedJobName(jobName));
  }

  async submit(req: JobRequest): Promise<JobHandle> {
    const endpoint = req.site.endpoint;
    if (!endpoint)
      throw new Error(
        `site ${req.site.name} uses backend arc but names no endpoint (the CE's URL, e.g. https://ce.example.org:443/arex)`,
      );
    const proxy = await checkProxy(proxyPath(), req.timeLimit);
    if (!proxy.ok) throw new Error(proxy.message);
    const dir = this.jobDir(req.jobName);
    await mkdir(dir, { recursive: true });
    const script = path.join(dir, 'job.sh');
    await writeFile(script, req.script, { mode: 0o755 });
    const xrsl = path.join(dir, 'job.xrsl');
    await writeFile(
      xrsl,
      renderXrsl({ jobName: req.jobName, script, walltimeMinutes: Math.max(1, Math.ceil(req.timeLimit / 60)) }),
    );
    const id = await this.submits.call(endpoint, { req, xrsl });
    return {
      backend: 'arc',
      id,
      site: req.site.name,
      submittedAt: new Date().toISOString(),
      name: req.jobName,
      jobList: this.jobList,
      endpoint,
    };
  }

  /**
   * One arcsub for the job descriptions gathered for a CE. Its answer names
   * the ids in the order of the descriptions and the jobs it did not submit
   * by name (matchSubmitted): a job it did not submit fails; a job whose id
   * cannot be told for sure is unclear (transient), so the transaction looks
   * for it by name before trying again, as after any doubtful submission.
   */
  private async submitMany(endpoint: string, jobs: readonly ArcSubmit[]): Promise<(string | Error)[]> {
    const r = await runTool('arcsub', [
      '-C',
      endpoint,
      '-T',
      'arcrest',
      '-j',
      this.jobList,
      ...jobs.map((j) => j.xrsl),
    ]);
    const names = jobs.map((j) => j.req.jobName);
    return matchSubmitted(names, parseSubmission(r.stdout)).map((m, i) => {
      const site = jobs[i]!.req.site.name;
      if (m.id && (r.exitCode === 0 || jobs.length > 1)) return m.id;
      if (m.outcome === 'unclear' && jobs.length > 1)
        return new TransientBackendError(
          `arcsub to ${endpoint} submitted ${jobs.length} jobs at once and its answer does not say which id is site ${site}'s: ${complaint(r)}`,
        );
      return failure(`arcsub to ${endpoint} failed for site ${site}`, r);
    });
  }

  /** The job's state as of the next arcstat of its CE (one call for all its jobs in flight). */
  async poll(job: JobHandle, opts: { by?: number } = {}): Promise<JobPoll> {
    const kept = await this.keptPoll(job);
    if (kept) return kept;
    return this.poller.poll(`${job.endpoint ?? endpointOfJob(job.id)} ${listOf(job)}`, job, opts.by);
  }

  /**
   * One `arcstat -J` over the jobs (all of one CE and one job list), their
   * ids in a file. Each job is read as a poll of it alone would be: in the
   * answer, its state; not in the job list, lost; its CE unreachable,
   * transient; not (yet) known to the CE, queued within a grace period, then lost.
   */
  async pollMany(group: string, jobs: readonly JobHandle[]): Promise<BatchAnswer> {
    const list = listOf(jobs[0]!);
    await mkdir(this.dir, { recursive: true });
    const idsFile = path.join(this.dir, `poll-${createHash('sha256').update(group).digest('hex').slice(0, 16)}.ids`);
    await writeFile(idsFile, jobs.map((j) => `${j.id}\n`).join(''));
    const r = await runTool('arcstat', ['-J', '-j', list, '-i', idsFile]);
    const answer = parseArcstatJson(r.stdout, r.stderr);
    const byId = new Map(answer.jobs.map((s) => [s.id, s]));
    const notInList = new Set(answer.notInList);
    const unreachable = new Set(answer.unreachable);
    const transient = TRANSIENT.test(`${r.stderr}\n${r.stdout}`);
    const answers = new Map<string, JobPoll | Error>();
    for (const job of jobs) {
      const status = byId.get(job.id);
      if (status) {
        const poll = pollFromArc(status);
        // arcget removes the job from the CE and the list: keep the verdict for a successor.
        if (poll.state === 'done' && job.name) {
          await mkdir(this.jobDir(job.name), { recursive: true });
          await writeFile(path.join(this.jobDir(job.name), 'poll.json'), JSON.stringify(poll));
        }
        answers.set(job.id, poll);
      } else if (notInList.has(job.id))
        answers.set(job.id, {
          state: 'lost',
          detail: `job ${job.id} is not in the ARC job list ${list} (cleaned, or never recorded)`,
        });
      else if (unreachable.has(job.id) || transient)
        answers.set(job.id, failure(`arcstat could not reach the CE for job ${job.id}`, r));
      else if (Date.now() - Date.parse(job.submittedAt) < UNKNOWN_GRACE_MS)
        answers.set(job.id, { state: 'queued', detail: 'not yet known to the CE' });
      else answers.set(job.id, { state: 'lost', detail: `the CE no longer knows job ${job.id}: ${complaint(r)}` });
    }
    return answers;
  }

  async fetchOutput(job: JobHandle): Promise<string> {
    const name = job.name;
    if (!name) throw new Error(`job ${job.id} was recorded without its name, so where its output goes is unknown`);
    const download = path.join(this.jobDir(name), 'download');
    const kept = await readOutput(download);
    if (kept !== undefined) return kept;
    this.notFetched.delete(job.id);
    await mkdir(download, { recursive: true });
    await this.fetches.call(`${job.endpoint ?? endpointOfJob(job.id)} ${listOf(job)}`, { job, download });
    const output = await readOutput(download);
    if (output === undefined)
      throw failure(`arcget of job ${job.id} brought no output`, this.lastGet.get(job.id) ?? NO_ANSWER);
    this.lastGet.delete(job.id);
    return output;
  }

  /**
   * One arcget for the finished jobs of a CE seen together: each job's files
   * land in <batch dir>/<its id on the CE>/ and move to its own download
   * directory, where a single job's arcget would have put them.
   */
  private async fetchMany(group: string, jobs: readonly ArcFetch[]): Promise<(true | Error)[]> {
    const batch = path.join(
      this.dir,
      `get-${createHash('sha256').update(group).digest('hex').slice(0, 16)}-${process.pid}-${++this.getSeq}`,
    );
    await mkdir(batch, { recursive: true });
    const r = await runTool('arcget', ['-j', listOf(jobs[0]!.job), '-D', batch, ...jobs.map((j) => j.job.id)]);
    const moved = await Promise.all(
      jobs.map(async ({ job, download }) => {
        const ceId = job.id.slice(job.id.lastIndexOf('/') + 1);
        await rename(path.join(batch, ceId), path.join(download, ceId)).catch(() => undefined);
        this.lastGet.set(job.id, r);
        return true as const;
      }),
    );
    await rm(batch, { recursive: true, force: true });
    return moved;
  }

  async cancel(job: JobHandle): Promise<void> {
    const r = await runTool('arckill', ['-j', listOf(job), job.id]);
    if (r.exitCode !== 0 && !/not found in job list/i.test(r.stderr + r.stdout))
      throw failure(`arckill of job ${job.id} failed`, r);
    // The CE cleans a job only once it has ended, which it reports a little later;
    // until then arcclean refuses. Under some LRMSs the payload runs on after the
    // CE says Killed: the job script tolerates that (its site lock has a lease).
    for (let i = 0; i < CANCEL_WAIT_POLLS; i++) {
      const st = parseArcstat((await runTool('arcstat', ['-j', listOf(job), job.id])).stdout).find(
        (s) => s.id === job.id,
      );
      const state = st && pollFromArc(st).state;
      if (state !== 'running' && state !== 'queued') break;
      await new Promise((res) => setTimeout(res, 2000));
    }
    await runTool('arcclean', ['-j', listOf(job), job.id]);
  }

  /** Search every job list under state/ (a successor controller has its own) for a job of this name. */
  async find(jobName: string, site: ResolvedSite): Promise<JobHandle | undefined> {
    const lists = (await readdir(this.dir).catch(() => [] as string[]))
      .filter((f) => /^joblist-.*\.dat$/.test(f))
      .map((f) => path.join(this.dir, f));
    for (const list of lists) {
      const r = await runTool('arcstat', ['-a', '-j', list]);
      const found = parseArcstat(r.stdout).find((s) => s.name === jobName);
      if (found)
        return {
          backend: 'arc',
          id: found.id,
          site: site.name,
          submittedAt: new Date().toISOString(),
          name: jobName,
          jobList: list,
        };
      // Not found is an answer only when arcstat could ask: an empty list, or the CE answered for every job.
      if (r.exitCode !== 0 && !/No jobs found/i.test(r.stdout + r.stderr))
        throw failure(`arcstat could not look for job ${jobName} in ${list}`, r);
    }
    return undefined;
  }

  /** The verdict written before the output was fetched (the CE forgets the job once it is). */
  private async keptPoll(job: JobHandle): Promise<JobPoll | undefined> {
    if (!job.name || this.notFetched.has(job.id)) return undefined;
    const dir = this.jobDir(job.name);
    if (!existsSync(path.join(dir, 'download'))) {
      this.notFetched.add(job.id);
      return undefined;
    }
    const text = await readFile(path.join(dir, 'poll.json'), 'utf8').catch(() => undefined);
    return text ? (JSON.parse(text) as JobPoll) : undefined;
  }
}

function listOf(job: JobHandle): string {
  if (!job.jobList) throw new Error(`ARC job ${job.id} was recorded without its job list`);
  return job.jobList;
}

/** arcget puts each job's files in <download>/<job's id on the CE>/. */
async function readOutput(download: string): Promise<string | undefined> {
  for (const d of await readdir(download).catch(() => [] as string[])) {
    const text = await readFile(path.join(download, d, 'output'), 'utf8').catch(() => undefined);
    if (text !== undefined) return text;
  }
  return undefined;
}

const NO_ANSWER: ToolResult = { exitCode: 1, stdout: '', stderr: '' };

const TRANSIENT =
  /Failed to establish connection|Failed to connect|Connection refused|timed out|Temporarily unavailable|gave no answer|no resource returned any information/i;

function failure(what: string, r: ToolResult): Error {
  return toolFailure(what, r, TRANSIENT);
}
