// The ARC backend: the NorduGrid ARC client against a CE's REST interface.
// arcsub records each job in this controller's job list under
// state/jobs/arc/; arcstat gives state and exit code; arcget brings the
// output back (and cleans the job on the CE); arckill + arcclean cancel.
// Polls are batched: one arcstat per CE per cycle, whatever the jobs in flight.
// Every submission first checks the grid proxy against the job's time limit.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSite } from '../desired/types.js';
import {
  endpointOfJob,
  parseArcstat,
  parseArcstatJson,
  parseSubmitted,
  pollFromArc,
  renderXrsl,
} from './arc-output.js';
import { BatchPoller, type BatchAnswer, type PollSchedule } from './batch-poller.js';
import { complaint, runTool, toolFailure, type ToolResult } from './client-tool.js';
import { checkProxy, proxyPath } from './grid-proxy.js';
import { checkedJobName } from './job-name.js';
import { requirePollSchedule } from './poll-settings.js';
import type { Backend, JobHandle, JobPoll, JobRequest } from './types.js';

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

  constructor(jobsDir: string, controller: string, schedule: PollSchedule = requirePollSchedule('arc')) {
    this.dir = path.resolve(jobsDir, 'arc');
    this.jobList = path.join(this.dir, `joblist-${controller.replace(/[^A-Za-z0-9._-]/g, '_')}.dat`);
    this.poller = new BatchPoller((group, jobs) => this.pollMany(group, jobs), schedule);
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
    const r = await runTool('arcsub', ['-C', endpoint, '-T', 'arcrest', '-j', this.jobList, xrsl]);
    const id = parseSubmitted(r.stdout);
    if (r.exitCode !== 0 || !id) throw failure(`arcsub to ${endpoint} failed for site ${req.site.name}`, r);
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
    const said = `${r.stderr}\n${r.stdout}`;
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
      } else if (answer.notInList.includes(job.id))
        answers.set(job.id, {
          state: 'lost',
          detail: `job ${job.id} is not in the ARC job list ${list} (cleaned, or never recorded)`,
        });
      else if (answer.unreachable.includes(job.id) || TRANSIENT.test(said))
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
    const r = await runTool('arcget', ['-j', listOf(job), '-D', download, job.id]);
    const output = await readOutput(download);
    if (output === undefined) throw failure(`arcget of job ${job.id} brought no output`, r);
    return output;
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

const TRANSIENT =
  /Failed to establish connection|Failed to connect|Connection refused|timed out|Temporarily unavailable|gave no answer|no resource returned any information/i;

function failure(what: string, r: ToolResult): Error {
  return toolFailure(what, r, TRANSIENT);
}
