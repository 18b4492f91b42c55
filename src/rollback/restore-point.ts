// What a tag produced at a site: the package set after the last transaction
// that applied the tag's commit (an apply at that revision, or an earlier
// rollback to it) and whose checks passed there. Only when no such
// transaction exists does one that installed the set without being
// validated serve, and the restore point says so. Exact PKGNAMEs, read from
// the journal.
import { isInstalled, isValidated, type Transaction } from '../state/records.js';

export interface RestorePoint {
  txid: string;
  packages: string[];
  automatic: string[];
  /** False when the set was installed but its checks failed or never ran. */
  validated: boolean;
}

export function restorePoint(txs: readonly Transaction[], site: string, commit: string): RestorePoint | undefined {
  let validated: Transaction | undefined;
  let installed: Transaction | undefined;
  const later = (t: Transaction, than: Transaction | undefined) => !than || t.end!.at > than.end!.at;
  for (const t of txs) {
    if (t.site !== site || !t.end || !t.finished?.observedAfter || !isInstalled(t)) continue;
    const applied =
      (t.begin.kind === 'apply' && t.begin.revision === commit) ||
      (t.begin.kind === 'rollback' && t.begin.rollback?.commit === commit);
    if (!applied) continue;
    if (isValidated(t)) {
      if (later(t, validated)) validated = t;
    } else if (later(t, installed)) installed = t;
  }
  const best = validated ?? installed;
  if (!best) return undefined;
  const after = best.finished!.observedAfter!;
  return { txid: best.txid, packages: after.packages, automatic: after.automatic, validated: best === validated };
}
