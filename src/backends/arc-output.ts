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

/** What one arcsub of several descriptions said: the ids in the order submitted, and the names of the jobs it did not submit. */
export interface ArcSubmission {
  ids: string[];
  notSubmitted: string[];
}

/**
 * arcsub prints "Job submitted with jobid: <id>" as each job goes in, in
 * the order of the descriptions, then (for more than one) a summary whose
 * list of jobs not submitted names each by its JobName: ARC 6.17 as
 * " * Job nr. 1:" and a "JobName: <name>" line, later clients as
 * "Job nr. 2: <name>".
 */
export function parseSubmission(stdout: string): ArcSubmission {
  const ids: string[] = [];
  const notSubmitted: string[] = [];
  let inFailures = false;
  for (const line of stdout.split('\n')) {
    const id = /^Job submitted with jobid:\s*(\S+)\s*$/.exec(line)?.[1];
    if (id) ids.push(id);
    else if (/^The following .*not submitted/.test(line)) inFailures = true;
    else if (inFailures) {
      const name = (/^\s*JobName:\s*(.*\S)\s*$/.exec(line) ?? /^\s*\*?\s*Job nr\.\s*\d+:\s*(.*\S)\s*$/.exec(line))?.[1];
      if (name) notSubmitted.push(name);
    }
  }
  return { ids, notSubmitted };
}

export type SubmitMatch = { outcome: 'submitted'; id: string } | { outcome: 'failed' | 'unclear'; id?: undefined };

/**
 * Which id is whose, for descriptions submitted in one call under distinct
 * names: the jobs named as not submitted failed, and the others took the
 * ids in order, but only when the counts add up. Otherwise no job's id is
 * certain (unclear): the caller must look for them by name.
 */
export function matchSubmitted(names: readonly string[], answer: ArcSubmission): SubmitMatch[] {
  const failed = new Set(answer.notSubmitted);
  const known = answer.notSubmitted.every((n) => names.includes(n)) && failed.size === answer.notSubmitted.length;
  const submitted = names.filter((n) => !failed.has(n));
  const certain = known && new Set(names).size === names.length && submitted.length === answer.ids.length;
  let next = 0;
  return names.map((n): SubmitMatch => {
    if (failed.has(n) && known) return { outcome: 'failed' };
    if (!certain) return { outcome: 'unclear' };
    return { outcome: 'submitted', id: answer.ids[next++]! };
  });
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

/** What one `arcstat -J` call said, job by job. */
export interface ArcstatAnswer {
  jobs: ArcJobStatus[];
  /** Ids the job list does not hold ("Job not found in job list"). */
  notInList: string[];
  /** Ids whose CE could not be asked this time ("Failed to process job"). */
  unreachable: string[];
  /** False when no job array could be read at all. */
  readable: boolean;
}

/**
 * `arcstat -J` (ARC 6.17) writes its warnings, then `"jobs": [...]` without
 * the enclosing braces (a later client may add them): both are read.
 * Problems with single jobs come as lines on stdout or stderr.
 */
export function parseArcstatJson(stdout: string, stderr = ''): ArcstatAnswer {
  const lines = `${stdout}\n${stderr}`.split('\n');
  const idsAfter = (re: RegExp) => lines.map((l) => re.exec(l)?.[1]).filter((x): x is string => x !== undefined);
  const notInList = idsAfter(/Job not found in job list:\s*(\S+)/);
  const unreachable = idsAfter(/Failed to process job:\s*(\S+)/);
  const start = stdout.search(/^\s*(\{|"jobs"\s*:)/m);
  let jobs: ArcJobStatus[] = [];
  let readable = false;
  if (start >= 0) {
    const body = stdout.slice(start).trim();
    try {
      const parsed = JSON.parse(body.startsWith('{') ? body : `{${body}}`) as { jobs?: unknown };
      if (Array.isArray(parsed.jobs)) {
        jobs = parsed.jobs.flatMap((j) => statusFromJson(j));
        readable = true;
      }
    } catch {
      readable = false;
    }
  }
  return { jobs, notInList, unreachable, readable };
}

function statusFromJson(j: unknown): ArcJobStatus[] {
  if (typeof j !== 'object' || j === null) return [];
  const o = j as Record<string, unknown>;
  if (typeof o.id !== 'string') return [];
  const errors = Array.isArray(o.jobError) ? o.jobError.filter((e): e is string => typeof e === 'string') : [];
  return [
    {
      id: o.id,
      ...(typeof o.name === 'string' ? { name: o.name } : {}),
      ...(typeof o.state === 'string' ? { state: o.state.split(/\s/)[0] } : {}),
      ...(typeof o.exitCode === 'number' && Number.isInteger(o.exitCode) ? { exitCode: o.exitCode } : {}),
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    },
  ];
}

/** The CE's endpoint a job id belongs to: https://ce:443/arex/rest/1.0/jobs/X is at https://ce:443/arex. */
export function endpointOfJob(id: string): string {
  const rest = id.indexOf('/rest/');
  if (rest > 0) return id.slice(0, rest);
  const slash = id.lastIndexOf('/');
  return slash > 0 ? id.slice(0, slash) : id;
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
