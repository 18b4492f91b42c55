// What apply does at a site whose plan has no actions, decided in one place
// for apply (which acts on it) and plan (which must say it): a revision's
// package set is live only once its checks passed there, so a site with
// checks gets one job per new revision that only runs them; a site without
// checks has the revision journalled, no job; one at the revision already
// gets nothing. Pure.

/** What the journal keeps as the revision a site was last brought to: the commit and its tags. */
export function appliedKey(revision: string, tags: readonly string[]): string {
  return `${revision}${tags.length ? ` ${[...tags].sort().join(',')}` : ''}`;
}

export type IdleWork = 'in-sync' | 'record' | 'checks-only';

export function idleWork(checks: number, lastApplied: string | undefined, here: string): IdleWork {
  if (lastApplied === here) return 'in-sync';
  return checks === 0 ? 'record' : 'checks-only';
}
