// The journal's vocabulary. A transaction is begin → submitted → finished →
// end; a controller that finds begin/submitted without end resumes it.
import type { JobHandle } from '../backends/types.js';
import type { JobCheck } from '../jobs/job-spec.js';
import type { RestoreOutcome } from '../jobs/parse-output.js';
import type { AuditFinding } from '../observed/types.js';
import type { JobVulnRecord } from '../vuln/job-list.js';
import type { ActionKind, SitePlan } from '../plan/types.js';

export type TransactionKind = 'apply' | 'probe' | 'rollback';
export type TransactionStatus = 'succeeded' | 'failed' | 'busy' | 'stale' | 'timed-out' | 'cancelled';

export interface BeginRecord {
  type: 'begin';
  txid: string;
  at: string;
  site: string;
  kind: TransactionKind;
  /** The desired-state commit (or "worktree") and the tags pointing at it. */
  revision: string;
  tags: string[];
  plan: SitePlan;
  /** Framing nonce of the job script and the pkgnames the plan assumed. */
  nonce: string;
  expected?: string[];
  controller: string;
  /** Seconds, queue time included. */
  timeLimit: number;
  /** The checks the job runs after its actions (absent: none). */
  checks?: JobCheck[];
  /** The verified vulnerability list the job carried, and the controller's findings for the set it expected. */
  vulnerabilities?: JobVulnRecord;
  /** What the controller knew of the site when it began, such as an ongoing GOCDB WARNING downtime. */
  notes?: string[];
  /** For a rollback: the tag, its commit, and the transactions whose package sets it restores. */
  rollback?: { tag: string; commit: string; restores: string[]; /** desiredFingerprint at the tag, for the hold. */ desired: string };
}

export interface SubmittedRecord {
  type: 'submitted';
  txid: string;
  at: string;
  job: JobHandle;
}

export interface ActionResult {
  action: ActionKind;
  pkgname: string;
  outcome: 'done' | 'failed' | 'skipped';
  rc?: number;
  /** The last lines the tool printed. */
  output?: string[];
  /** The job's pkg_admin step that set the package's automatic flag as the plan means (only when the plan had one). */
  flag?: FlagResult;
}

export interface FlagResult {
  /** What the step made the package: user-installed (unset automatic) or automatic. */
  to: 'user' | 'automatic';
  /** skipped: an earlier step failed, or the job ended before it. */
  outcome: 'done' | 'failed' | 'skipped';
  rc?: number;
  output?: string[];
}

export interface CheckResult {
  name: string;
  /** not-run: the actions failed, or the job ended before the check. */
  outcome: 'passed' | 'failed' | 'timed-out' | 'not-run';
  rc?: number;
  /** The last lines the check printed. */
  output?: string[];
}

export interface FinishedRecord {
  type: 'finished';
  txid: string;
  at: string;
  exitCode?: number;
  jobStatus?: string;
  results: ActionResult[];
  checks?: CheckResult[];
  /** The site's packages after the job: pkgnames, and which are automatic. */
  observedAfter?: { packages: string[]; automatic: string[]; comments?: Record<string, string> };
  audit: AuditFinding[];
  /** Exit code of the job's `pkg_admin audit` step (absent: it did not run to its end). */
  auditExit?: number;
  pkgToolsVersion?: string;
  /**
   * Replacements that failed after pkg_add -U had removed the old version,
   * and whether the job put it back (restored) or the site lost it (lost).
   * Absent when none did.
   */
  restores?: RestoreOutcome[];
  notes: string[];
}

export interface EndRecord {
  type: 'end';
  txid: string;
  at: string;
  site: string;
  status: TransactionStatus;
  reason?: string;
  /**
   * Written since checks exist: whether the site got the planned package set
   * (installed), and whether its checks then passed too (validated). A
   * transaction whose checks failed is failed, yet installed.
   */
  installed?: boolean;
  validated?: boolean;
}

export type JournalRecord = BeginRecord | SubmittedRecord | FinishedRecord | EndRecord;

/** A transaction folded from its records. */
export interface Transaction {
  txid: string;
  site: string;
  begin: BeginRecord;
  submitted?: SubmittedRecord;
  finished?: FinishedRecord;
  end?: EndRecord;
}

export function foldTransactions(records: readonly JournalRecord[]): Transaction[] {
  const byId = new Map<string, Transaction>();
  for (const r of records) {
    if (r.type === 'begin') {
      if (!byId.has(r.txid)) byId.set(r.txid, { txid: r.txid, site: r.site, begin: r });
      continue;
    }
    const tx = byId.get(r.txid);
    if (!tx) continue;
    if (r.type === 'submitted') tx.submitted ??= r;
    else if (r.type === 'finished') tx.finished ??= r;
    else if (r.type === 'end') tx.end ??= r;
  }
  return [...byId.values()];
}

/** The transaction left the site with its planned package set, whatever its checks said. */
export function isInstalled(t: Transaction): boolean {
  // Records from before checks existed: success meant installed.
  return t.end?.installed ?? t.end?.status === 'succeeded';
}

/** The transaction succeeded and its checks, if it had any, passed: the package set is live. */
export function isValidated(t: Transaction): boolean {
  return t.end?.status === 'succeeded' && (t.end.validated ?? true);
}
