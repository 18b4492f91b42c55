// Which events a run's transactions make: a pure function of the journal.
// A failed transaction whose packages went in but whose checks did not pass
// is `transaction.not-validated` (not also `transaction.failed`); a
// succeeded rollback is `rollback.done`; an apply that had to change a site
// its last succeeded apply had already brought to the same revision is
// `drift.found` (something changed the site outside reconcile: what a
// scheduled run finds).
import type { ResolvedSite } from '../desired/types.js';
import { isInstalled, type Transaction } from '../state/records.js';
import type { TRANSACTION_EVENTS } from './config.js';
import type { RolloutEvent } from './rollout-events.js';

type TransactionEventType = (typeof TRANSACTION_EVENTS)[number];

/** What a receiver is sent: a site's transaction's event, or a rollout's (rollout-events.ts). */
export type NotifyEvent = TransactionEvent | RolloutEvent;

export interface TransactionEvent {
  format: 'vo-reconcile-event/1';
  id: string;
  type: TransactionEventType;
  at: string;
  site: string;
  siteTags: string[];
  revision: string;
  tags?: string[];
  txid: string;
  status?: string;
  reason?: string;
  installed?: boolean;
  validated?: boolean;
  actions?: { action: string; pkgname: string; from?: string }[];
  rollback?: { tag: string; commit: string };
  summary: string;
}

/**
 * The events of `ended` (this run's transactions, ended), given every
 * transaction the journal holds (`history`, in journal order) for drift.
 */
export function eventsOf(
  ended: readonly Transaction[],
  history: readonly Transaction[],
  sites: ReadonlyMap<string, Pick<ResolvedSite, 'name' | 'tags'>>,
): TransactionEvent[] {
  const out: TransactionEvent[] = [];
  for (const tx of ended) {
    if (!tx.end || tx.begin.kind === 'probe') continue;
    const base = (type: TransactionEventType, summary: string): TransactionEvent => ({
      format: 'vo-reconcile-event/1',
      id: `${tx.txid}.${type}`,
      type,
      at: tx.end!.at,
      site: tx.site,
      siteTags: [...(sites.get(tx.site)?.tags ?? [])],
      revision: tx.begin.revision,
      ...(tx.begin.tags.length ? { tags: tx.begin.tags } : {}),
      txid: tx.txid,
      status: tx.end!.status,
      ...(tx.end!.reason ? { reason: tx.end!.reason } : {}),
      ...(tx.end!.installed !== undefined ? { installed: tx.end!.installed } : {}),
      ...(tx.end!.validated !== undefined ? { validated: tx.end!.validated } : {}),
      actions: tx.begin.plan.actions.map((a) => ({
        action: a.action,
        pkgname: a.pkgname,
        ...(a.from ? { from: a.from } : {}),
      })),
      ...(tx.begin.rollback ? { rollback: { tag: tx.begin.rollback.tag, commit: tx.begin.rollback.commit } } : {}),
      summary,
    });
    const why = tx.end.reason ? `: ${tx.end.reason}` : '';
    if (tx.begin.kind === 'apply' && drifted(tx, history))
      out.push(
        base(
          'drift.found',
          `${tx.site} drifted from ${short(tx.begin.revision)}: ${tx.begin.plan.actions.length} actions to bring it back`,
        ),
      );
    if (tx.end.status === 'succeeded') {
      if (tx.begin.kind === 'rollback' && tx.begin.rollback)
        out.push(base('rollback.done', `${tx.site} rolled back to ${tx.begin.rollback.tag}`));
    } else if (isInstalled(tx) && tx.end.validated === false)
      out.push(base('transaction.not-validated', `${tx.site}: installed but NOT VALIDATED${why}`));
    else out.push(base('transaction.failed', `${tx.site}: ${tx.begin.kind} ${tx.end.status}${why}`));
  }
  return out;
}

/** An apply with actions at a site whose previous succeeded apply was at the same revision. */
function drifted(tx: Transaction, history: readonly Transaction[]): boolean {
  if (tx.begin.plan.actions.length === 0) return false;
  let previous: Transaction | undefined;
  for (const t of history) {
    if (t.txid === tx.txid) break;
    // A job that found the site changed (stale) or never ran (busy) did nothing there: it is not the last state reconcile left.
    if (t.site === tx.site && t.end && t.begin.kind !== 'probe' && !DID_NOTHING.has(t.end.status)) previous = t;
  }
  return (
    previous !== undefined &&
    previous.begin.kind === 'apply' &&
    previous.end!.status === 'succeeded' &&
    previous.begin.revision === tx.begin.revision
  );
}

const DID_NOTHING: ReadonlySet<string> = new Set(['stale', 'busy']);
const short = (rev: string) => rev.slice(0, 12);
