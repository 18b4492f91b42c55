// Where a failed site of a halted wave goes back to: its last transaction
// whose package set was installed and passed its checks, at a revision other
// than the one being rolled out. The restore itself is the rollback
// machinery's (src/run/rollback-site.ts), aimed at that transaction's commit.
import { isValidated, type Transaction } from '../state/records.js';

export interface RestoreTarget {
  /** The commit whose package set the site had; rollback-site.ts finds the transaction again from it. */
  commit: string;
  /** How the rollback names it: the commit's first tag, else the short commit. */
  label: string;
  txid: string;
}

export function restoreTarget(
  txs: readonly Transaction[],
  site: string,
  rolloutRevision: string,
): RestoreTarget | undefined {
  let best: { t: Transaction; commit: string } | undefined;
  for (const t of txs) {
    if (t.site !== site || !t.end || !t.finished?.observedAfter || !isValidated(t)) continue;
    const commit =
      t.begin.kind === 'apply' ? t.begin.revision : t.begin.kind === 'rollback' ? t.begin.rollback?.commit : undefined;
    if (!commit || commit === rolloutRevision || commit === 'worktree') continue;
    if (!best || t.end.at > best.t.end!.at) best = { t, commit };
  }
  if (!best) return undefined;
  const tags =
    best.t.begin.kind === 'apply' ? best.t.begin.tags : best.t.begin.rollback ? [best.t.begin.rollback.tag] : [];
  return { commit: best.commit, label: tags[0] ?? best.commit.slice(0, 12), txid: best.t.txid };
}
