// The plan knows (issue 17 part 3): every install, upgrade or downgrade
// (rollbacks included) whose target the run's list marks is flagged with
// the advisories; with `vulnerabilities.policy: refuse` the site's plan is an
// error naming the package and advisory, and that site alone stops. Risks
// the VO accepted do not count. A pass over a finished plan, so cached
// plans stay what the planner made. Pure.
import type { SiteVulnConfig } from '../desired/vulnerabilities.js';
import type { PlanAction, SitePlan } from '../plan/types.js';
import type { VulnIndex } from './audit.js';
import { auditSite } from './site-audit.js';

export function flagVulnerable(plan: SitePlan, config: SiteVulnConfig, index: VulnIndex, now: Date): SitePlan {
  const targets = plan.actions.filter((a) => a.action !== 'remove').map((a) => a.pkgname);
  if (targets.length === 0) return plan;
  const audit = auditSite(plan.site, { pkgnames: targets, observedAt: '' }, index, config.ignore, now);
  const open = audit.findings.filter((f) => !f.accepted || f.accepted.expired);
  if (open.length === 0) return plan;
  const byPkg = new Map<string, { kind: string; url: string }[]>();
  for (const f of open) {
    const list = byPkg.get(f.pkgname) ?? [];
    list.push({ kind: f.kind, url: f.url });
    byPkg.set(f.pkgname, list);
  }
  const actions: PlanAction[] = plan.actions.map((a) => {
    const v = a.action === 'remove' ? undefined : byPkg.get(a.pkgname);
    return v ? { ...a, vulnerable: v } : a;
  });
  if (config.policy !== 'refuse') return { ...plan, actions };
  const errors = actions.flatMap((a) =>
    a.vulnerable
      ? [
          {
            kind: 'vulnerable' as const,
            name: a.name,
            message: `refusing to ${a.action} ${a.pkgname}: ${a.vulnerable.map((v) => `${v.kind} ${v.url}`).join(', ')} (vulnerabilities.policy: refuse; accept the risk under vulnerabilities.ignore, or pin another version)`,
            packages: [a.pkgname],
            ...(a.sources ? { sources: a.sources } : {}),
          },
        ]
      : [],
  );
  return { ...plan, status: 'error', actions, errors: [...plan.errors, ...errors] };
}
