// Reading the ARC client's answers (arcsub, arcstat) and writing the job
// description it submits. Pure text in, values out; the ARC backend does the running.
import type { JobPoll } from './types.js';

export interface ArcJobStatus {
  id: string;
  name?: string;
  /** The general state: Accepted, Preparing, Submitting, Hold, Queuing, Running, Finishing, Finished, Killed, Failed, Deleted, Other. */
  state?: string;
  exitCode?: number;
  error?: string;
}

/** `Job submitted with jobid: <url>` */
export function parseSubmitted(stdout: string): string | undefined {
  return /^Job submitted with jobid:\s*(\S+)\s*$/m.exec(stdout)?.[1];
}

/** arcstat prints one block per job: "Job: <id>", then indented "Key: value" lines. */
export function parseArcstat(text: string): ArcJobStatus[] {
  const jobs: ArcJobStatus[] = [];
  let job: ArcJobStatus | undefined;
  for (const line of text.split('\n')) {
    const start = /^Job:\s*(\S+)/.exec(line);
    if (start) {
      job = { id: start[1]! };
      jobs.push(job);
      continue;
    }
    const kv = /^\s+([A-Za-z ]+):\s*(.*)$/.exec(line);
    if (!job || !kv) continue;
    const [, key, value] = kv;
    if (key === 'Name') job.name = value!.trim();
    else if (key === 'State') job.state = value!.trim().split(/\s/)[0];
    else if (key === 'Exit Code' && /^-?\d+$/.test(value!.trim())) job.exitCode = Number(value);
    else if (key === 'Job Error') job.error = value!.trim();
  }
  return jobs;
}

const QUEUED = new Set(['Accepted', 'Preparing', 'Submitting', 'Hold', 'Queuing']);
const ENDED = new Set(['Finished', 'Failed', 'Killed']);

/** What an ARC state means for the controller. "Other" and anything unknown keep it waiting, up to the time limit. */
export function pollFromArc(s: ArcJobStatus): JobPoll {
  const state = s.state ?? 'Undefined';
  if (QUEUED.has(state)) return { state: 'queued', detail: state };
  if (state === 'Deleted') return { state: 'lost', detail: `the CE deleted the job${s.error ? `: ${s.error}` : ''}` };
  if (!ENDED.has(state)) return { state: 'running', detail: state };
  const exitCode = s.exitCode ?? (state === 'Finished' ? 0 : undefined);
  return {
    state: 'done',
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(state === 'Finished' ? {} : { detail: `ARC job ${state}${s.error ? `: ${s.error}` : ''}` }),
  };
}

/** One xRSL string literal; a double quote is written twice. */
function lit(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\x00-\x1f\x7f]/.test(value))
    throw new Error(`cannot put a control character into an xRSL value: ${JSON.stringify(value)}`);
  return `"${value.replace(/"/g, '""')}"`;
}

export interface XrslJob {
  jobName: string;
  /** Absolute path of the job script on this host; staged in as the executable. */
  script: string;
  walltimeMinutes: number;
}

/** The job script runs as the executable; stdout and stderr come back joined in one "output" file. */
export function renderXrsl(job: XrslJob): string {
  return (
    `&(executable="job.sh")` +
    `(inputfiles=("job.sh" ${lit(job.script)}))` +
    `(stdout="output")(join="yes")` +
    `(jobname=${lit(job.jobName)})` +
    `(walltime=${lit(`${job.walltimeMinutes} minutes`)})\n`
  );
}
