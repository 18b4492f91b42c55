// The rule for a commit pushed while a rollout goes on: the rollout in
// progress finishes (or halts) at its own revision first; only then does a
// newer revision start a rollout of its own, from the first wave. Until
// then sites of finished waves stay at the rollout's revision and the
// later waves get that same revision: a later diff never reaches every
// site at once (Argo CD's progressive syncs do that), and no wave ever
// mixes two revisions.
import { nextStep } from './progress.js';
import type { Rollout } from './types.js';

export type RevisionDecision =
  | { action: 'start' }
  /** Carry on with the current rollout; `waiting` is the newer revision that has to wait for it. */
  | { action: 'continue'; waiting?: string };

export function decideRevision(current: Rollout | undefined, head: string, now: number): RevisionDecision {
  if (!current) return { action: 'start' };
  if (current.revision === head) return { action: 'continue' };
  // A halted rollout whose failed sites are still to be restored restores them first.
  const busy = current.status === 'running' || nextStep(current, now).kind === 'rollback';
  return busy ? { action: 'continue', waiting: head } : { action: 'start' };
}
