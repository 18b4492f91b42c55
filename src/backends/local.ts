// The local backend: runs the job script on this machine, detached in its
// own process group so a controller that dies does not take the job with it
// and a successor can pick it up. Output and exit code land in the job's
// directory under state/jobs/.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSite } from '../desired/types.js';
import { checkedJobName } from './job-name.js';
import { Launcher } from './local-launcher.js';
import type { Backend, JobHandle, JobPoll, JobRequest } from './types.js';

export class LocalBackend implements Backend {
  readonly name = 'local' as const;

  /**
   * Jobs this process started: the wrapper's pid, and its exit code once the
   * launcher has announced the end. Polls of them need no file: the end comes
   * as an event, and until then the process is asked directly whether it lives.
   */
  private readonly own = new Map<string, { pid: number; ended: Promise<number>; exitCode?: number }>();

  private readonly launcher = new Launcher();

  constructor(private readonly jobsDir: string) {}

  private dir(id: string): string {
    return path.join(this.jobsDir, checkedJobName(id, 'local job id'));
  }

  async submit(req: JobRequest): Promise<JobHandle> {
    const dir = this.dir(req.jobName);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'job.sh'), req.script, { mode: 0o755 });
    const ended = this.launcher.ended(req.jobName);
    const pid = await this.launcher.launch(req.jobName, path.resolve(dir));
    const job: { pid: number; ended: Promise<number>; exitCode?: number } = { pid, ended };
    void ended.then((exitCode) => (job.exitCode = exitCode));
    this.own.set(req.jobName, job);
    return { backend: 'local', id: req.jobName, site: req.site.name, submittedAt: new Date().toISOString() };
  }

  async poll(job: JobHandle): Promise<JobPoll> {
    const own = this.own.get(job.id);
    if (own?.exitCode !== undefined) return { state: 'done', exitCode: own.exitCode };
    if (own && alive(own.pid)) return { state: 'running' };
    const dir = this.dir(job.id);
    const rc = await readExitCode(dir);
    if (rc !== undefined) return { state: 'done', exitCode: rc };
    const pid = own?.pid ?? (await this.pid(job));
    if (pid !== undefined && alive(pid)) return { state: 'running' };
    // Read again: the job may have finished between the two looks.
    const late = await readExitCode(dir);
    if (late !== undefined) return { state: 'done', exitCode: late };
    return {
      state: 'lost',
      detail: pid === undefined ? 'the job never started' : `process ${pid} ended without an exit code (killed)`,
    };
  }

  async find(jobName: string, site: ResolvedSite): Promise<JobHandle | undefined> {
    const dir = this.dir(jobName);
    const st = await stat(path.join(dir, 'pid')).catch(() => undefined);
    return st ? { backend: 'local', id: jobName, site: site.name, submittedAt: st.mtime.toISOString() } : undefined;
  }

  waitFor(job: JobHandle): Promise<JobPoll> | undefined {
    return this.own.get(job.id)?.ended.then((exitCode): JobPoll => ({ state: 'done', exitCode }));
  }

  async fetchOutput(job: JobHandle): Promise<string> {
    const output = await readFile(path.join(this.dir(job.id), 'output'), 'utf8').catch(() => '');
    // Its output read, the job is over for this controller: a long-running serve must not keep every job's entry.
    if (this.own.get(job.id)?.exitCode !== undefined) this.own.delete(job.id);
    return output;
  }

  /**
   * TERM the job's process group, give its trap time to release the site
   * lock, then KILL what is left. The TERM waits until the wrapper runs
   * (its output file exists): before that there is no group yet, or a
   * wrapper not yet trapping TERM, which would die without recording the
   * exit code. The KILL waits for the wrapper to exit, so it cannot cut off
   * the wrapper's report that the job ended.
   */
  async cancel(job: JobHandle): Promise<void> {
    const pid = await this.pid(job);
    if (pid === undefined) return;
    const output = path.join(this.dir(job.id), 'output');
    for (let i = 0; i < 500 && alive(pid) && !existsSync(output); i++) await sleep(10);
    signalGroup(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    signalGroup(pid, 'SIGKILL');
  }

  private async pid(job: JobHandle): Promise<number | undefined> {
    const text = await readFile(path.join(this.dir(job.id), 'pid'), 'utf8').catch(() => undefined);
    const pid = Number(text?.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }
}

/** The job's exit code from its rc file; undefined while there is none, or it is still empty (being written). */
async function readExitCode(dir: string): Promise<number | undefined> {
  const text = await readFile(path.join(dir, 'rc'), 'utf8').catch(() => undefined);
  const m = text === undefined ? null : /^(\d+)\n?$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Is the job's process still running? A zombie is not: where nothing reaps
 * orphans (some container inits), a killed job lingers as one.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
