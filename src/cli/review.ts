// Reviewed plans on the command line: planning the fleet into a plan that
// can be shown and confirmed (the same recorder `plan --out` uses), turning
// a plan file into the run's reviewed site plans, and asking at a terminal.
import path from 'node:path';
import { planFleet } from '../fleet-plan/plan-fleet.js';
import type { ResolvedSite } from '../desired/types.js';
import { addCounts } from '../plan-cache/site-counts.js';
import { emptySummary, type SitePlan } from '../plan/types.js';
import { PlanFileRecorder, type PlanFileMeta } from '../plan-file/make.js';
import type { PlanFile } from '../plan-file/plan-file.js';
import { reviewSummary } from '../plan-file/summary.js';
import type { ReviewedSitePlan } from '../run/reconcile-site.js';
import { vulnPass } from './vuln-pass.js';
import type { Io } from './io.js';

/** The fleet's plan as `plan --out` would write it, kept in memory. */
export async function planForReview(
  sites: readonly ResolvedSite[],
  meta: PlanFileMeta,
  stateDir: string,
  heldSites: ReadonlySet<string>,
): Promise<PlanFile | { observedMeanwhile: string[] }> {
  const recorder = new PlanFileRecorder(meta, stateDir);
  await recorder.start(sites);
  const origin = { kind: 'state', dir: stateDir } as const;
  const over = meta.catalogOverride ? { catalogOverride: meta.catalogOverride } : {};
  const withVulns = vulnPass(sites, { stateDir, origin, ...over, kept: 'counts' });
  const summary = emptySummary();
  for await (const raw of planFleet({
    sites,
    origin,
    ...over,
    kept: 'counts',
    cacheDir: path.join(stateDir, 'plan-cache'),
  })) {
    const p = await withVulns(raw);
    addCounts(summary, p.counts, { held: heldSites.has(p.site.name) });
    recorder.add(p.site, p.json, p.catalogDigest, heldSites.has(p.site.name));
  }
  const made = await recorder.finish(summary);
  return 'plan' in made ? made.plan : made;
}

/** The run's reviewed site plans: every observed site of the plan (an unobserved one has no plan to carry out). */
export function reviewedPlans(plan: PlanFile, only?: ReadonlySet<string>): Map<string, ReviewedSitePlan> {
  const out = new Map<string, ReviewedSitePlan>();
  for (const s of plan.sites) {
    if (only && !only.has(s.site)) continue;
    const sitePlan: SitePlan = { ...s.plan, kept: [] };
    out.set(s.site, { plan: sitePlan, observation: s.observation?.digest ?? null });
  }
  return out;
}

/**
 * Show the plan and ask, when there is someone to ask and --yes was not
 * given; true when the run may go on.
 */
export async function confirmed(io: Io, plan: PlanFile, unobserved: string, yes: boolean): Promise<boolean> {
  if (yes || !io.confirm) return true;
  for (const line of reviewSummary(plan, unobserved)) io.out(line);
  if (plan.summary.changed === 0 && !plan.sites.some((s) => s.plan.status === 'unobserved')) return true;
  return io.confirm(`Carry out this plan? [y/N] (--yes skips this question) `);
}
