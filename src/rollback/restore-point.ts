// What a tag produced at a site: the package set after the last successful
// transaction that applied the tag's commit (an apply at that revision, or
// an earlier rollback to it). Exact PKGNAMEs, read from the journal.
import type { Transaction } from '../state/records.js';

export interface RestorePoint {
  txid: string;
  packages: string[];
  automatic: string[];
}

export function restorePoint(txs: readonly Transaction[], site: string, commit: string): RestorePoint | undefined {
  let best: Transaction | undefined;
  for (const t of txs) {
    if (t.site !== site || t.end?.status !== 'succeeded' || !t.finished?.observedAfter) continue;
    const applied = (t.begin.kind === 'apply' && t.begin.revision === commit) || (t.begin.kind === 'rollback' && t.begin.rollback?.commit === commit);
    if (applied && (!best || t.end.at > best.end!.at)) best = t;
  }
  if (!best) return undefined;
  const after = best.finished!.observedAfter!;
  return { txid: best.txid, packages: after.packages, automatic: after.automatic };
}
