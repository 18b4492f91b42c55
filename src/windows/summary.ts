// The lines a run ends with about the sites it deferred: which, why, and
// when a later run can reach them. Deferred is not failed: it does not set
// the exit code, nor count against a rollout wave's failure budget.
import type { SiteResult } from '../run/reconcile-site.js';

export function deferredSummary(results: readonly SiteResult[]): string[] {
  const deferred = results.filter((r) => r.status === 'deferred');
  if (deferred.length === 0) return [];
  return [
    `Deferred (nothing submitted; a later run reaches ${deferred.length === 1 ? 'it' : 'them'} once the window or downtime ends):`,
    ...deferred.map((r) => `  ${r.site}: ${r.detail}`),
  ];
}
