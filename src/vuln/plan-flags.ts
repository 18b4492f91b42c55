// The plan knows (issue 17 part 3): every install, upgrade or downgrade
// (rollbacks included) whose target the run's list marks is flagged with
// the advisories; where the policy is `refuse` the site's plan is an error
// naming the package and advisory, and that site alone stops. The policy is
// the site's (`vulnerabilities.policy`), made stricter for the packages of a
// profile that says `refuse`. Risks the VO accepted do not count. A pass
// over a finished plan, so cached plans stay what the planner made. Pure.
import type { DesiredPackage, ResolvedSite } from '../desired/types.js';
import type { SiteVulnConfig } from '../desired/vulnerabilities.js';
import type { Advisory, PlanAction, PlanProblem, SitePlan } from '../plan/types.js';
import type { VulnIndex } from './audit.js';
import { auditSite } from './site-audit.js';

/** The advisories that mark each of `pkgnames` and that no acceptance in force covers. */
export function openAdvisories(
  pkgnames: readonly string[],
  config: SiteVulnConfig,
  index: VulnIndex,
  now: Date,
): Map<string, Advisory[]> {
  const byPkg = new Map<string, Advisory[]>();
  if (pkgnames.length === 0) return byPkg;
  const audit = auditSite('', { pkgnames, observedAt: '' }, index, config.ignore, now);
  for (const f of audit.findings) {
    if (f.accepted && !f.accepted.expired) continue;
    const list = byPkg.get(f.pkgname) ?? [];
    list.push({ kind: f.kind, url: f.url });
    byPkg.set(f.pkgname, list);
  }
  return byPkg;
}

export function flagVulnerable(plan: SitePlan, site: ResolvedSite, index: VulnIndex, now: Date): SitePlan {
  const config = site.vulnerabilities;
  if (!config) return plan;
  const byPkg = openAdvisories(
    plan.actions.filter((a) => a.action !== 'remove').map((a) => a.pkgname),
    config,
    index,
    now,
  );
  if (byPkg.size === 0) return plan;
  const actions: PlanAction[] = plan.actions.map((a) => {
    const v = a.action === 'remove' ? undefined : byPkg.get(a.pkgname);
    return v ? { ...a, vulnerable: v } : a;
  });
  const declared = new Map(site.packages.map((p) => [p.name, p]));
  const errors = actions.flatMap((a) => {
    const why = a.vulnerable && refusedBy(config, declared.get(a.name));
    return why ? [refusal(a, a.vulnerable!, why)] : [];
  });
  if (errors.length === 0) return { ...plan, actions };
  return { ...plan, status: 'error', actions, errors: [...plan.errors, ...errors] };
}

/** Which setting refuses a vulnerable target of this package, if any does. */
function refusedBy(config: SiteVulnConfig, declared: DesiredPackage | undefined): string | undefined {
  if (config.policy === 'refuse') return 'vulnerabilities.policy: refuse';
  const profiles = declared?.vulnPolicy?.refuse;
  return profiles
    ? `vulnerabilities.policy: refuse in profile${profiles.length > 1 ? 's' : ''} ${profiles.join(', ')}`
    : undefined;
}

function refusal(a: PlanAction, advisories: Advisory[], why: string): PlanProblem {
  return {
    kind: 'vulnerable',
    name: a.name,
    message: `refusing to ${a.action} ${a.pkgname}: ${advisories.map((v) => `${v.kind} ${v.url}`).join(', ')} (${why}; accept the risk under vulnerabilities.ignore, or pin another version)`,
    packages: [a.pkgname],
    ...(a.sources ? { sources: a.sources } : {}),
  };
}
