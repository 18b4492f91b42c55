// What a plan's summary needs of one site's plan, small enough to keep in
// a cache entry's header: its status and how many actions of each kind.
import type { ActionKind, PlanSummary, SitePlan, SitePlanStatus } from '../plan/types.js';

export interface SiteCounts {
  status: SitePlanStatus;
  actions: Partial<Record<ActionKind, number>>;
}

export function countsOf(p: SitePlan): SiteCounts {
  const actions: Partial<Record<ActionKind, number>> = {};
  for (const a of p.actions) actions[a.action] = (actions[a.action] ?? 0) + 1;
  return { status: p.status, actions };
}

/** As addToSummary (plan/types.ts) does with the whole plan. */
export function addCounts(s: PlanSummary, c: SiteCounts): PlanSummary {
  s.sites++;
  let n = 0;
  for (const [kind, k] of Object.entries(c.actions) as [ActionKind, number][]) {
    s[kind] += k;
    n += k;
  }
  if (c.status !== 'ok') s.failed++;
  else if (n > 0) s.changed++;
  else s.inSync++;
  return s;
}
