// Prometheus lines for vulnerabilities: per site the installed packages with
// an open finding (central audit, or the job's audit for a site without a
// list) and the accepted findings; per list its age, its limit and whether
// its newest copy was refused.
import type { FleetStatus } from './fleet-status.js';

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function vulnMetrics(status: FleetStatus): string[] {
  const lines = [
    '# HELP vo_reconcile_vulnerable_packages Installed packages with an open vulnerability finding, per site.',
    '# TYPE vo_reconcile_vulnerable_packages gauge',
    ...status.sites.map((s) => {
      const n = s.audit ? s.audit.vulnerable : new Set(s.vulnerabilities.map((v) => v.pkgname)).size;
      return `vo_reconcile_vulnerable_packages{site="${label(s.name)}"} ${n}`;
    }),
  ];
  const audited = status.sites.filter((s) => s.audit);
  if (audited.length)
    lines.push(
      '# HELP vo_reconcile_accepted_vulnerabilities Findings covered by an accepted risk that has not expired, per site.',
      '# TYPE vo_reconcile_accepted_vulnerabilities gauge',
      ...audited.map((s) => `vo_reconcile_accepted_vulnerabilities{site="${label(s.name)}"} ${s.audit!.accepted}`),
      '# HELP vo_reconcile_site_unaudited 1 when a site with a vulnerability list could not be audited (no verified copy).',
      '# TYPE vo_reconcile_site_unaudited gauge',
      ...audited.map(
        (s) => `vo_reconcile_site_unaudited{site="${label(s.name)}"} ${s.audit!.status === 'no-list' ? 1 : 0}`,
      ),
    );
  const lists = status.vulnerabilities?.lists ?? [];
  if (lists.length)
    lines.push(
      '# HELP vo_reconcile_vulnerability_list_age_seconds Age of the verified vulnerability list in use.',
      '# TYPE vo_reconcile_vulnerability_list_age_seconds gauge',
      ...lists
        .filter((l) => l.ageDays !== undefined)
        .map(
          (l) =>
            `vo_reconcile_vulnerability_list_age_seconds{list="${label(l.location)}"} ${Math.round(l.ageDays! * 86400)}`,
        ),
      '# HELP vo_reconcile_vulnerability_list_stale 1 when the list in use is older than its max_age_days (or there is none).',
      '# TYPE vo_reconcile_vulnerability_list_stale gauge',
      ...lists.map(
        (l) =>
          `vo_reconcile_vulnerability_list_stale{list="${label(l.location)}"} ${l.stale || l.entries === undefined ? 1 : 0}`,
      ),
      '# HELP vo_reconcile_vulnerability_list_refused 1 when the newest copy of the list failed its check.',
      '# TYPE vo_reconcile_vulnerability_list_refused gauge',
      ...lists.map((l) => `vo_reconcile_vulnerability_list_refused{list="${label(l.location)}"} ${l.refused ? 1 : 0}`),
    );
  return lines;
}
