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

/**
 * Count one more site into a summary, as apply will treat it: the actions
 * of a site that is held or cannot be planned never run, so they are not
 * counted; a site with no actions may still get a job for its checks.
 */
export function addCounts(
  s: PlanSummary,
  c: SiteCounts,
  how: { held?: boolean; checksOnly?: boolean } = {},
): PlanSummary {
  s.sites++;
  if (how.held) s.held++;
  else if (c.status !== 'ok') s.failed++;
  else if (Object.keys(c.actions).length === 0) s[how.checksOnly ? 'checksOnly' : 'inSync']++;
  else {
    s.changed++;
    for (const [kind, k] of Object.entries(c.actions) as [ActionKind, number][]) s[kind] += k;
  }
  return s;
}
