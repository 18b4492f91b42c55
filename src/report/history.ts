// How a transaction reads in history: one shape for `history --json` and
// `/api/history` (HistoryEntry), its line in `history`, and the full account
// `history <txid>` prints. A rollback is filed under what it brought the site
// to (the tag's commit and the tag), not the HEAD it ran at. Pure.
import type { JobHandle } from '../backends/types.js';
import type { PlanAction } from '../plan/types.js';
import {
  isInstalled,
  isValidated,
  type ActionResult,
  type CheckResult,
  type FinishedRecord,
  type FlagResult,
  type Transaction,
  type TransactionKind,
} from '../state/records.js';

/** What a transaction brought its site to: for a rollback, the tag's commit and the tag. */
export function txTarget(t: Transaction): { revision: string; tags: string[] } {
  return t.begin.rollback
    ? { revision: t.begin.rollback.commit, tags: [t.begin.rollback.tag] }
    : { revision: t.begin.revision, tags: t.begin.tags };
}

/** One transaction in `history --json` and `/api/history` (README: "History"). */
export interface HistoryEntry {
  txid: string;
  site: string;
  kind: TransactionKind;
  /** When it began, and ended (absent while unfinished). */
  at: string;
  endedAt?: string;
  /** The desired-state commit (or "worktree") the site was brought to, and its tags. */
  revision: string;
  tags: string[];
  /** A rollback: its tag and commit, and the HEAD it ran at. */
  rollback?: { tag: string; commit: string; ranAt: string };
  actions: PlanAction[];
  job?: JobHandle;
  results: ActionResult[];
  checks?: CheckResult[];
  installed: boolean;
  validated: boolean;
  observedAfter?: FinishedRecord['observedAfter'];
  /** Failed replacements that removed the old version, and whether the job put it back. */
  restores?: FinishedRecord['restores'];
  status: string;
  reason?: string;
}

export function historyEntry(t: Transaction): HistoryEntry {
  const target = txTarget(t);
  const rb = t.begin.rollback;
  return {
    txid: t.txid,
    site: t.site,
    kind: t.begin.kind,
    at: t.begin.at,
    ...(t.end ? { endedAt: t.end.at } : {}),
    revision: target.revision,
    tags: target.tags,
    ...(rb ? { rollback: { tag: rb.tag, commit: rb.commit, ranAt: t.begin.revision } } : {}),
    actions: t.begin.plan.actions,
    ...(t.submitted ? { job: t.submitted.job } : {}),
    results: t.finished?.results ?? [],
    ...(t.finished?.checks ? { checks: t.finished.checks } : {}),
    installed: isInstalled(t),
    validated: isValidated(t),
    ...(t.finished?.observedAfter ? { observedAfter: t.finished.observedAfter } : {}),
    ...(t.finished?.restores?.length ? { restores: t.finished.restores } : {}),
    status: t.end?.status ?? 'unfinished',
    ...(t.end?.reason ? { reason: t.end.reason } : {}),
  };
}

/** Newest first; transactions begun at the same instant keep the journal's order. */
export function newestFirst(txs: readonly Transaction[]): Transaction[] {
  return [...txs].sort((a, b) => (a.begin.at < b.begin.at ? 1 : a.begin.at > b.begin.at ? -1 : 0));
}

const short = (rev: string) => (rev === 'worktree' ? 'worktree' : rev.slice(0, 12));
const sign = (a: PlanAction) => (a.action === 'remove' ? '-' : a.action === 'install' ? '+' : '~');

function statusText(t: Transaction): string {
  const unvalidated = t.begin.kind !== 'probe' && isInstalled(t) && !isValidated(t);
  return `${t.end?.status ?? 'unfinished'}${unvalidated ? ' (installed, not validated)' : ''}`;
}

/** A transaction's line in `history`. */
export function historyLine(t: Transaction): string {
  const { revision, tags } = txTarget(t);
  const tagText = tags.length ? ` [${tags.join(', ')}]` : '';
  const actions = t.begin.plan.actions.map((a) => `${sign(a)}${a.pkgname}`).join(' ');
  return `${t.begin.at} ${t.site} ${t.begin.kind} ${statusText(t)} ${short(revision)}${tagText} ${t.txid}${actions ? ` ${actions}` : ''}${t.end?.reason ? ` — ${t.end.reason}` : ''}`;
}

/** The job's pkg_admin step after the actions, under the action whose package it flags. */
function flagDetail(f: FlagResult): string[] {
  const to = f.to === 'user' ? 'user-installed' : 'automatic';
  const head = `      then marked ${to}: ${f.outcome}${f.rc !== undefined ? ` (rc ${f.rc})` : ''}`;
  return f.outcome === 'failed' ? [head, ...(f.output ?? []).map((l) => `      | ${l}`)] : [head];
}

/** `history <txid>`: the whole transaction, as `dnf history info` shows one. */
export function transactionDetail(t: Transaction): string[] {
  const { begin, submitted, finished, end } = t;
  const { revision, tags } = txTarget(t);
  const tagText = tags.length ? ` [${tags.join(', ')}]` : '';
  const what = begin.rollback
    ? `rollback to ${begin.rollback.tag} (${short(begin.rollback.commit)}), run at ${short(begin.revision)}${begin.tags.length ? ` [${begin.tags.join(', ')}]` : ''}`
    : `${begin.kind} of ${short(revision)}${tagText}`;
  const out = [
    `Transaction ${t.txid}`,
    `  site:       ${t.site}`,
    `  what:       ${what}`,
    `  status:     ${statusText(t)}${end?.reason ? ` — ${end.reason}` : ''}`,
    `  began:      ${begin.at} (controller ${begin.controller}, time limit ${begin.timeLimit}s)`,
    `  job:        ${submitted ? `${submitted.job.backend} ${submitted.job.id}, submitted ${submitted.at}` : 'none submitted'}`,
    ...(finished
      ? [
          `  finished:   ${finished.at}${finished.exitCode !== undefined ? `, exit code ${finished.exitCode}` : ''}${finished.jobStatus ? `, job status ${finished.jobStatus}` : ''}`,
        ]
      : []),
    `  ended:      ${end ? end.at : 'not yet (the next run resumes it)'}`,
  ];
  if (begin.rollback?.restores.length) out.push(`  restores:   ${begin.rollback.restores.join(', ')}`);
  const results = new Map((finished?.results ?? []).map((r) => [`${r.action} ${r.pkgname}`, r]));
  out.push(`Actions (${begin.plan.actions.length}):`);
  if (begin.plan.actions.length === 0) out.push('  none');
  for (const a of begin.plan.actions) {
    const r = results.get(`${a.action} ${a.pkgname}`);
    const from = a.from ? `${a.from} → ` : '';
    out.push(
      `  ${sign(a)} ${a.action} ${from}${a.pkgname}: ${r ? `${r.outcome}${r.rc !== undefined ? ` (rc ${r.rc})` : ''}` : 'no result'}    # ${a.reason}`,
    );
    if (a.vulnerable?.length) out.push(`      VULNERABLE: ${a.vulnerable.map((v) => `${v.kind} ${v.url}`).join(', ')}`);
    if (r?.outcome === 'failed') for (const l of r.output ?? []) out.push(`      | ${l}`);
    if (r?.flag) out.push(...flagDetail(r.flag));
  }
  for (const x of finished?.restores ?? [])
    out.push(`  ${x.outcome === 'restored' ? 'RESTORED' : 'LOST'}: ${x.pkgname}, removed by action ${x.action}`);
  if (finished?.checks?.length) {
    out.push(`Checks (${finished.checks.length}):`);
    for (const c of finished.checks) {
      out.push(`  ${c.name}: ${c.outcome}${c.rc !== undefined ? ` (rc ${c.rc})` : ''}`);
      if (c.outcome !== 'passed') for (const l of c.output ?? []) out.push(`      | ${l}`);
    }
  }
  if (finished?.audit.length) {
    out.push(`Audit at the site (${finished.audit.length}):`);
    for (const f of finished.audit) out.push(`  ${f.pkgname}: ${f.kind} ${f.url}`);
  }
  if (finished?.observedAfter) {
    const p = finished.observedAfter.packages;
    out.push(`Packages after: ${p.length}${p.length ? ` (${p.join(', ')})` : ''}`);
  }
  for (const n of [...(begin.plan.notes ?? []), ...(finished?.notes ?? [])]) out.push(`note: ${n}`);
  return out;
}
