// One transaction: journal its begin, submit the job, journal the job id
// *before* waiting, wait (resumable), read and verify the outcome, journal
// it, and keep the site's observed state. The journal says at every instant
// what a successor controller must do.
import { TransientBackendError, type Backend, type JobHandle, type JobPoll } from '../backends/types.js';
import { jobVulnList } from '../vuln/job-list.js';
import type { DesiredCheck, ResolvedSite } from '../desired/types.js';
import type { JobCheck } from '../jobs/job-spec.js';
import { parseJobOutput, type JobOutput } from '../jobs/parse-output.js';
import { renderJobScript } from '../jobs/render-script.js';
import { inventoryFromEntries } from '../observed/inventory.js';
import { writeInventory } from '../observed/store.js';
import type { Inventory } from '../observed/types.js';
import type { SitePlan } from '../plan/types.js';
import type {
  ActionResult,
  BeginRecord,
  CheckResult,
  EndRecord,
  FinishedRecord,
  TransactionKind,
  TransactionStatus,
} from '../state/records.js';
import { checkResults, checksVerdict } from './check-results.js';
import type { RunContext } from './context.js';
import { newNonce, newTxid } from './txid.js';
import { verifyOutcome } from './verify.js';

export interface TxOutcome {
  txid: string;
  status: TransactionStatus;
  reason?: string;
  inventory?: Inventory;
  /** Not ended in the journal: a job may exist that the controller could neither see nor stop; the next run resumes it. */
  leftOpen?: boolean;
}

/** A submission failed in a way that may have gone through, and the backend cannot tell whether it did. */
class SubmissionUnknown extends Error {}

/** The checks a job runs as the job spec carries them (no source locations). */
export function jobChecks(checks: readonly DesiredCheck[]): JobCheck[] {
  return checks.map((c) => ({ name: c.name, run: c.run, timeout: c.timeout }));
}

type Verdict = Pick<EndRecord, 'status' | 'reason' | 'installed' | 'validated'>;

/** Tries of a backend call that fails transiently (submit, fetching output), and the pause unit between them. */
const BACKEND_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 1000;
/** Polls in a row that may fail transiently before the job counts as lost. */
const POLL_ERRORS_TOLERATED = 5;

export async function startTransaction(
  ctx: RunContext,
  site: ResolvedSite,
  plan: SitePlan,
  kind: TransactionKind,
  expected?: string[],
  extra: Partial<BeginRecord> = {},
): Promise<TxOutcome> {
  const vulns = await jobVulnList(ctx.vulnLists, site, expected);
  const begin: BeginRecord = {
    type: 'begin',
    txid: newTxid(site.name),
    at: new Date().toISOString(),
    site: site.name,
    kind,
    revision: ctx.revision,
    tags: ctx.tags,
    plan,
    nonce: newNonce(),
    ...(expected ? { expected } : {}),
    controller: ctx.controller,
    timeLimit: site.job_time_limit,
    ...(kind !== 'probe' && site.checks.length > 0 ? { checks: jobChecks(site.checks) } : {}),
    ...(vulns ? { vulnerabilities: vulns.record } : {}),
    ...extra,
  };
  const backend = ctx.backend(site.backend);
  if (backend instanceof Error) return endWithout(ctx, begin, backend.message, false);
  await ctx.journal.append(begin);
  if (ctx.lockLost(site.name))
    return endWithout(ctx, begin, 'this controller lost the site lock to another one; no job was submitted', true);
  let handle: JobHandle;
  try {
    handle = await submit(backend, site, begin, vulns?.text);
  } catch (e) {
    if (e instanceof SubmissionUnknown)
      return { txid: begin.txid, status: 'failed', reason: e.message, leftOpen: true };
    return endWithout(ctx, begin, `submitting the job failed: ${(e as Error).message}`, true);
  }
  await ctx.journal.append({ type: 'submitted', txid: begin.txid, at: new Date().toISOString(), job: handle });
  ctx.emit({ site: site.name, kind: 'submitted', detail: `${kind} job ${handle.id} (${handle.backend})` });
  return finishTransaction(ctx, site, begin, handle);
}

/**
 * A transaction that needed no job (the site was already as wanted):
 * journalled so the journal knows which commit the site is at, which is
 * what a later rollback to that commit restores.
 */
export async function recordWithoutJob(
  ctx: RunContext,
  site: ResolvedSite,
  plan: SitePlan,
  kind: TransactionKind,
  inventory: Inventory,
  extra: Partial<BeginRecord> = {},
): Promise<TxOutcome> {
  const at = new Date().toISOString();
  const txid = newTxid(site.name);
  const begin: BeginRecord = {
    type: 'begin',
    txid,
    at,
    site: site.name,
    kind,
    revision: ctx.revision,
    tags: ctx.tags,
    plan,
    nonce: '',
    controller: ctx.controller,
    timeLimit: site.job_time_limit,
    ...extra,
  };
  const packages = inventory.packages.map((p) => p.pkgname).sort();
  const automatic = inventory.packages
    .filter((p) => p.automatic)
    .map((p) => p.pkgname)
    .sort();
  // No job, so no check ran: the package set is installed but, if the site has checks, not validated.
  const unchecked = (extra.checks ?? site.checks).length > 0;
  const notes = ['nothing to do: no job was run', ...(unchecked ? ['checks not run: no job'] : [])];
  await ctx.journal.append(
    begin,
    { type: 'finished', txid, at, results: [], observedAfter: { packages, automatic }, audit: [], notes },
    {
      type: 'end',
      txid,
      at,
      site: site.name,
      status: 'succeeded',
      reason: 'already as wanted',
      installed: true,
      validated: !unchecked,
    },
  );
  return { txid, status: 'succeeded', inventory };
}

export function jobScriptFor(
  site: ResolvedSite,
  begin: Pick<BeginRecord, 'txid' | 'nonce' | 'plan' | 'expected' | 'kind' | 'controller' | 'checks'>,
  /** The verified vulnerability list the job hands to pkg_admin audit. */
  vulnerabilities?: string,
): string {
  return renderJobScript({
    txid: begin.txid,
    nonce: begin.nonce,
    site: site.name,
    swArea: site.sw_area,
    prefix: site.prefix,
    pkgPath: site.pkg_path,
    ...(site.bootstrap ? { bootstrap: site.bootstrap } : {}),
    lease: site.job_time_limit,
    controller: begin.controller.replace(/[^A-Za-z0-9._:@-]/g, '_'),
    actions: begin.plan.actions,
    ...(begin.expected ? { expected: begin.expected } : {}),
    ...(begin.checks ? { checks: begin.checks } : {}),
    probe: begin.kind === 'probe',
    ...(vulnerabilities !== undefined ? { vulnerabilities } : {}),
  });
}

/**
 * Submit, retrying transient failures. A submission that timed out may still
 * have gone through, so before each retry the job is looked for by name: a
 * second copy of a transaction's job must never run.
 */
async function submit(
  backend: Backend,
  site: ResolvedSite,
  begin: BeginRecord,
  vulnerabilities?: string,
): Promise<JobHandle> {
  const req = {
    txid: begin.txid,
    jobName: begin.txid,
    site,
    script: jobScriptFor(site, begin, vulnerabilities),
    timeLimit: site.job_time_limit,
  };
  return retryTransient(
    () => backend.submit(req),
    async () => {
      const found = await backend.find(req.jobName, site).catch((e: Error) => {
        throw new SubmissionUnknown(
          `submitting the job failed and whether it went through cannot be told (${e.message}); the transaction stays open and the next run looks for its job again`,
        );
      });
      return found && { ...found, submittedAt: begin.at };
    },
  );
}

/**
 * A backend call that fails transiently (a busy CE, the network) is tried
 * again after a growing pause, BACKEND_ATTEMPTS times in all; any other
 * failure, or the last transient one, is the caller's to report.
 */
async function retryTransient<T>(call: () => Promise<T>, alreadyDone?: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof TransientBackendError)) throw e;
      const done = await alreadyDone?.();
      if (done !== undefined) return done;
      if (attempt >= BACKEND_ATTEMPTS)
        throw new TransientBackendError(`${e.message}; gave up after ${BACKEND_ATTEMPTS} attempts`, { cause: e });
      await sleep(RETRY_PAUSE_MS * attempt);
    }
  }
}

async function endWithout(ctx: RunContext, begin: BeginRecord, reason: string, begun: boolean): Promise<TxOutcome> {
  if (begun)
    await ctx.journal.append({
      type: 'end',
      txid: begin.txid,
      at: new Date().toISOString(),
      site: begin.site,
      status: 'failed',
      reason,
      installed: false,
      validated: false,
    });
  return { txid: begin.txid, status: 'failed', reason };
}

/** Wait for a submitted job (also one a previous controller submitted) and record how it went. */
export async function finishTransaction(
  ctx: RunContext,
  site: ResolvedSite,
  begin: BeginRecord,
  handle: JobHandle,
): Promise<TxOutcome> {
  const backend = ctx.backend(handle.backend);
  if (backend instanceof Error) return endWithout(ctx, begin, backend.message, true);
  const deadline = Date.parse(handle.submittedAt) + begin.timeLimit * 1000;
  const poll = await waitForJob(backend, handle, deadline, Math.max(ctx.pollMs, backend.minPollMs ?? 0));
  // A job we stopped watching (out of time, or polls that kept failing) must not go on changing the site
  // unrecorded: if it cannot be stopped either, the transaction stays open for the next run to resume.
  if (poll === 'timed-out' || poll.state === 'lost') {
    const stuck = await backend.cancel(handle).then(
      () => undefined,
      (e: Error) => e.message,
    );
    if (stuck !== undefined) {
      const why =
        poll === 'timed-out'
          ? `the job passed its time limit of ${begin.timeLimit}s`
          : `the controller lost sight of the job (${poll.detail ?? 'lost'})`;
      const reason = `${why} and cancelling it failed (${stuck}); the transaction stays open and the next run resumes it`;
      ctx.emit({ site: site.name, kind: 'finished', detail: `${begin.kind} ${begin.txid}: left open — ${reason}` });
      return { txid: begin.txid, status: 'failed', reason, leftOpen: true };
    }
  }
  const parsed = await retryTransient(() => backend.fetchOutput(handle)).then(
    (output) => parseJobOutput(output, begin.nonce),
    (e: Error): JobOutput => ({
      ...parseJobOutput('', begin.nonce),
      problem: `the job's output could not be fetched: ${e.message}`,
    }),
  );
  const inventory = parsed.inventory
    ? inventoryFromEntries(site.name, parsed.inventory, parsed.userInstalled, {
        observedAt: new Date().toISOString(),
        source: 'job',
        origin: begin.txid,
      })
    : undefined;
  const finished = finishedRecord(begin, parsed, poll === 'timed-out' ? undefined : poll, inventory);
  const verdict = judge(begin, parsed, poll, inventory, finished.checks ?? []);
  const { status, reason } = verdict;
  await ctx.journal.append(finished, {
    type: 'end',
    txid: begin.txid,
    at: new Date().toISOString(),
    site: site.name,
    ...verdict,
  });
  if (inventory)
    await writeInventory(ctx.stateDir, {
      ...inventory,
      ...(parsed.audit.length ? { audit: parsed.audit } : {}),
      ...(parsed.pkgToolsVersion ? { pkgToolsVersion: parsed.pkgToolsVersion } : {}),
    });
  ctx.emit({
    site: site.name,
    kind: 'finished',
    detail: `${begin.kind} ${begin.txid}: ${status}${reason ? ` — ${reason}` : ''}`,
  });
  return { txid: begin.txid, status, ...(reason ? { reason } : {}), ...(inventory ? { inventory } : {}) };
}

async function waitForJob(
  backend: Backend,
  handle: JobHandle,
  deadline: number,
  pollMs: number,
): Promise<JobPoll | 'timed-out'> {
  const announced = backend.waitFor?.(handle);
  if (announced) {
    // The announcement is prompt; a slow poll still notices a job killed from outside.
    const stop = new AbortController();
    try {
      return await Promise.race([announced, pollUntil(backend, handle, deadline, Math.max(pollMs, 2000), stop.signal)]);
    } finally {
      stop.abort();
    }
  }
  return pollUntil(backend, handle, deadline, pollMs);
}

async function pollUntil(
  backend: Backend,
  handle: JobHandle,
  deadline: number,
  pollMs: number,
  stop?: AbortSignal,
): Promise<JobPoll | 'timed-out'> {
  let transientErrors = 0;
  for (;;) {
    try {
      const p = await backend.poll(handle);
      transientErrors = 0;
      if (p.state === 'done' || p.state === 'lost') return p;
    } catch (e) {
      if (!(e instanceof TransientBackendError) || ++transientErrors > POLL_ERRORS_TOLERATED) {
        return {
          state: 'lost',
          detail: `polling failed${transientErrors > POLL_ERRORS_TOLERATED ? ` ${transientErrors} times in a row` : ''}: ${(e as Error).message}`,
        };
      }
    }
    if (Date.now() >= deadline) return 'timed-out';
    await sleep(Math.min(pollMs, Math.max(10, deadline - Date.now())), stop);
    if (stop?.aborted) return new Promise(() => undefined);
  }
}

function finishedRecord(
  begin: BeginRecord,
  parsed: JobOutput,
  poll: JobPoll | undefined,
  inventory: Inventory | undefined,
): FinishedRecord {
  return {
    type: 'finished',
    txid: begin.txid,
    at: new Date().toISOString(),
    ...(poll?.exitCode !== undefined ? { exitCode: poll.exitCode } : {}),
    ...(parsed.status ? { jobStatus: parsed.status } : {}),
    results: actionResults(begin, parsed),
    ...(begin.checks?.length ? { checks: checkResults(begin.checks, parsed) } : {}),
    ...(inventory
      ? {
          observedAfter: {
            packages: inventory.packages.map((p) => p.pkgname).sort(),
            automatic: inventory.packages
              .filter((p) => p.automatic)
              .map((p) => p.pkgname)
              .sort(),
          },
        }
      : {}),
    audit: parsed.audit,
    ...auditExit(parsed),
    ...(parsed.pkgToolsVersion ? { pkgToolsVersion: parsed.pkgToolsVersion } : {}),
    notes: [...parsed.notes, ...(parsed.problem ? [parsed.problem] : [])],
  };
}

/** Whether the site-side audit ran to its end, so its findings can be set beside the controller's. */
function auditExit(parsed: JobOutput): { auditExit?: number } {
  const rc = parsed.steps.find((s) => s.label === 'audit')?.rc;
  return rc === undefined ? {} : { auditExit: rc };
}

function actionResults(begin: BeginRecord, parsed: JobOutput): ActionResult[] {
  return begin.plan.actions.map((a, i) => {
    const step = parsed.steps.find((s) => s.label === `action ${i + 1} ${a.action} ${a.pkgname}`);
    if (!step) return { action: a.action, pkgname: a.pkgname, outcome: 'skipped' };
    const outcome = step.rc === 0 ? 'done' : 'failed';
    return {
      action: a.action,
      pkgname: a.pkgname,
      outcome,
      ...(step.rc !== undefined ? { rc: step.rc } : {}),
      output: step.output.slice(-20),
    };
  });
}

/**
 * The transaction's verdict: the job's word, checked against what the site
 * now has; then its checks decide whether the installed set is validated.
 */
function judge(
  begin: BeginRecord,
  parsed: JobOutput,
  poll: JobPoll | 'timed-out',
  inventory: Inventory | undefined,
  checks: CheckResult[],
): Verdict {
  const installed = installVerdict(begin, parsed, poll, inventory);
  // A probe installs nothing and checks nothing.
  if (begin.kind === 'probe') return installed;
  if (installed.status !== 'succeeded') return { ...installed, installed: false, validated: false };
  const failedCheck = checksVerdict(begin.checks ?? [], checks);
  if (failedCheck) return { status: 'failed', reason: failedCheck, installed: true, validated: false };
  return { status: 'succeeded', installed: true, validated: true };
}

function installVerdict(
  begin: BeginRecord,
  parsed: JobOutput,
  poll: JobPoll | 'timed-out',
  inventory: Inventory | undefined,
): { status: TransactionStatus; reason?: string } {
  if (poll === 'timed-out')
    return {
      status: 'timed-out',
      reason: `the job exceeded its time limit of ${begin.timeLimit}s (queue time included) and was cancelled`,
    };
  if (parsed.status === 'busy')
    return {
      status: 'busy',
      reason: `another job holds the site: ${parsed.notes.find((n) => n.startsWith('busy')) ?? 'owner unknown'}`,
    };
  if (parsed.status === 'stale')
    return { status: 'stale', reason: 'the site changed since it was observed; nothing was done' };
  if (parsed.status === 'unusable') {
    const step = parsed.steps.find((s) => s.rc !== undefined && s.rc !== 0);
    return {
      status: 'failed',
      reason: `${step?.label ?? 'preflight'}: ${step?.output.filter(Boolean).slice(-3).join(' / ') || 'the site cannot run jobs'}`,
    };
  }
  if (parsed.problem) {
    // What the batch system or CE said (cancelled, killed, time limit) explains a cut-off output.
    const said = poll.detail ? ` (${poll.detail})` : '';
    return {
      status: 'failed',
      reason: poll.state === 'lost' ? `job lost: ${poll.detail ?? ''}; ${parsed.problem}` : `${parsed.problem}${said}`,
    };
  }
  const failed = parsed.steps.find((s) => s.label.startsWith('action ') && s.rc !== 0);
  // A failed check alone makes the job say "failed"; whether the actions did is decided here.
  const mismatches = inventory
    ? verifyOutcome(
        begin.plan.actions,
        inventory.packages.map((p) => p.pkgname),
      )
    : ['no package listing after the job'];
  if (failed)
    return {
      status: 'failed',
      reason: `${failed.label} exited ${failed.rc}: ${failed.output.filter(Boolean).slice(-2).join(' / ')}`,
    };
  if (mismatches.length > 0)
    return { status: 'failed', reason: `the job reported success but ${mismatches.join('; ')}` };
  return { status: 'succeeded' };
}

function sleep(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    stop?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
