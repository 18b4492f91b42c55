// The verdict of a transaction whose job ended: what its output says, the
// job's word checked against what the site now has (trust no exit code),
// then whether its checks validate the installed set. Pure: the time of
// the verdict is passed in.
import type { JobPoll } from '../../backends/types.js';
import { parseJobOutput, type JobOutput, restoreNote } from '../../jobs/parse-output.js';
import { actionStepLabel, flagStepLabel } from '../../jobs/render-script.js';
import { inventoryFromEntries } from '../../observed/inventory.js';
import type { Inventory } from '../../observed/types.js';
import type { PlanAction } from '../../plan/types.js';
import type {
  ActionResult,
  BeginRecord,
  CheckResult,
  EndRecord,
  FinishedRecord,
  FlagResult,
} from '../../state/records.js';
import { checkResults, checksVerdict } from '../check-results.js';
import { verifyOutcome } from '../verify.js';

/** How a transaction ended, as its end record says it (not the signature verdict of a site report). */
export type TransactionVerdict = Pick<EndRecord, 'status' | 'reason' | 'installed' | 'validated'>;

/** What the job left: its output, or why it could not be read. */
export type JobOutputText = { text: string } | { problem: string };

/** How the wait for a job ended: a final poll, or its time limit. */
export type WaitResult = JobPoll | 'timed-out';

export interface Verification {
  finished: FinishedRecord;
  verdict: TransactionVerdict;
  /** The site's packages after the job (with its audit findings), when the output had them: the new observation. */
  inventory?: Inventory;
}

export function verifyJob(begin: BeginRecord, output: JobOutputText, wait: WaitResult, at: string): Verification {
  const parsed =
    'text' in output
      ? parseJobOutput(output.text, begin.nonce)
      : { ...parseJobOutput('', begin.nonce), problem: output.problem };
  const listed = parsed.inventory
    ? inventoryFromEntries(begin.site, parsed.inventory, parsed.userInstalled, {
        observedAt: at,
        source: 'job',
        origin: begin.txid,
      })
    : undefined;
  const finished = finishedRecord(begin, parsed, wait === 'timed-out' ? undefined : wait, listed, at);
  const verdict = judge(begin, parsed, wait, listed, finished.checks ?? []);
  const inventory = listed && {
    ...listed,
    ...(parsed.audit.length ? { audit: parsed.audit } : {}),
    ...(parsed.pkgToolsVersion ? { pkgToolsVersion: parsed.pkgToolsVersion } : {}),
  };
  return { finished, verdict, ...(inventory ? { inventory } : {}) };
}

function finishedRecord(
  begin: BeginRecord,
  parsed: JobOutput,
  poll: JobPoll | undefined,
  inventory: Inventory | undefined,
  at: string,
): FinishedRecord {
  return {
    type: 'finished',
    txid: begin.txid,
    at,
    ...(poll?.exitCode !== undefined ? { exitCode: poll.exitCode } : {}),
    ...(parsed.status ? { jobStatus: parsed.status } : {}),
    results: actionResults(begin, parsed),
    ...(begin.checks?.length ? { checks: checkResults(begin.checks, parsed) } : {}),
    ...(inventory ? { observedAfter: packageSets(inventory) } : {}),
    audit: parsed.audit,
    ...auditExit(parsed),
    ...(parsed.pkgToolsVersion ? { pkgToolsVersion: parsed.pkgToolsVersion } : {}),
    ...(parsed.restores.length ? { restores: parsed.restores } : {}),
    notes: [...parsed.notes, ...(parsed.problem ? [parsed.problem] : [])],
  };
}

/** Whether the site-side audit ran to its end, so its findings can be set beside the controller's. */
function auditExit(parsed: JobOutput): { auditExit?: number } {
  const rc = parsed.steps.find((s) => s.label === 'audit')?.rc;
  return rc === undefined ? {} : { auditExit: rc };
}

/** An inventory as the journal keeps it: sorted pkgnames, and which are automatic. */
export function packageSets(inventory: Inventory): { packages: string[]; automatic: string[] } {
  return {
    packages: inventory.packages.map((p) => p.pkgname).sort(),
    automatic: inventory.packages
      .filter((p) => p.automatic)
      .map((p) => p.pkgname)
      .sort(),
  };
}

function actionResults(begin: BeginRecord, parsed: JobOutput): ActionResult[] {
  return begin.plan.actions.map((a, i) => {
    const step = parsed.steps.find((s) => s.label === actionStepLabel(i + 1, a));
    const flag = flagResult(a, i + 1, parsed);
    const also = flag ? { flag } : {};
    if (!step) return { action: a.action, pkgname: a.pkgname, outcome: 'skipped', ...also };
    const outcome = step.rc === 0 ? 'done' : 'failed';
    return {
      action: a.action,
      pkgname: a.pkgname,
      outcome,
      ...(step.rc !== undefined ? { rc: step.rc } : {}),
      output: step.output.slice(-20),
      ...also,
    };
  });
}

/** The pkg_admin step after the actions that sets this action's package's automatic flag, when the plan has one. */
function flagResult(a: PlanAction, n: number, parsed: JobOutput): FlagResult | undefined {
  if (!a.flag || a.action === 'remove') return undefined;
  const step = parsed.steps.find((s) => s.label === flagStepLabel(n, a));
  if (!step) return { to: a.flag, outcome: 'skipped' };
  return {
    to: a.flag,
    outcome: step.rc === 0 ? 'done' : 'failed',
    ...(step.rc !== undefined ? { rc: step.rc } : {}),
    output: step.output.slice(-20),
  };
}

/** The steps that change packages: the actions, then the flag steps; the first that failed explains the failure. */
const PACKAGE_STEP = /^(action|flag) [0-9]+ /;

/**
 * The transaction's verdict: the job's word, checked against what the site
 * now has; then its checks decide whether the installed set is validated.
 */
function judge(
  begin: BeginRecord,
  parsed: JobOutput,
  wait: WaitResult,
  inventory: Inventory | undefined,
  checks: CheckResult[],
): TransactionVerdict {
  const installed = installVerdict(begin, parsed, wait, inventory);
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
  wait: WaitResult,
  inventory: Inventory | undefined,
): TransactionVerdict {
  if (wait === 'timed-out')
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
    const said = wait.detail ? ` (${wait.detail})` : '';
    return {
      status: 'failed',
      reason: wait.state === 'lost' ? `job lost: ${wait.detail ?? ''}; ${parsed.problem}` : `${parsed.problem}${said}`,
    };
  }
  const failed = parsed.steps.find((s) => PACKAGE_STEP.test(s.label) && s.rc !== 0);
  // A failed check alone makes the job say "failed"; whether the actions did is decided here.
  const mismatches = inventory
    ? verifyOutcome(begin.plan.actions, inventory.packages, inventory.userListKnown)
    : ['no package listing after the job'];
  if (failed)
    return {
      status: 'failed',
      // A failed replacement says what became of the version it removed (put back, or lost).
      reason: `${failed.label} exited ${failed.rc}: ${failed.output.filter(Boolean).slice(-2).join(' / ')}${parsed.restores.map((r) => `; ${restoreNote(r)}`).join('')}`,
    };
  if (mismatches.length > 0)
    return { status: 'failed', reason: `the job reported success but ${mismatches.join('; ')}` };
  return { status: 'succeeded' };
}
