// The status report as text: a line per site, then what differs.
import { heldLabel, type FleetStatus, type SiteStatus, type TxRef } from './fleet-status.js';
import { listLine, matrixText } from '../vuln/render-audit.js';
import { rolloutLines } from '../rollout/describe.js';
import { describeGate } from '../windows/gate.js';

export function renderStatusText(s: FleetStatus): string[] {
  const lines = [
    `Fleet status at ${s.generatedAt} (desired state ${s.revision === 'worktree' ? 'work tree' : s.revision.slice(0, 12)})`,
  ];
  if (s.rollout) lines.push(...rolloutLines(s.rollout));
  if (s.downtimes) lines.push(downtimesLine(s.downtimes));
  for (const site of s.sites) {
    const c = site.counts;
    const flags = [
      site.held ? `HELD (${heldLabel(site.held)})` : '',
      site.busy ? `BUSY (${site.busy.command} by ${site.busy.controller})` : '',
      vulnFlag(site),
      site.window ? `window: ${describeGate(site.window)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const last = site.last
      ? `last ${site.last.kind} ${site.last.status} ${site.last.at}${site.last.tags.length ? ` [${site.last.tags.join(', ')}]` : ''}`
      : 'no transaction yet';
    const obs = site.observed
      ? `${c['in-sync']} in sync, ${c.drift} drift, ${c.missing} missing, ${c.extra} extra, ${c.frozen} frozen`
      : 'not observed';
    lines.push(`${site.name}: ${obs}; ${last}${liveness(site)}${reportedSummary(site)}${flags ? `; ${flags}` : ''}`);
  }
  const reporting = s.sites.filter((x) => x.reported?.changes);
  if (reporting.some((x) => changeCount(x) > 0)) lines.push('', 'Changed since the previous report:');
  for (const site of reporting) {
    const c = site.reported!.changes!;
    for (const p of c.added) lines.push(`  ${site.name} + ${p}`);
    for (const p of c.removed) lines.push(`  ${site.name} - ${p}`);
    for (const p of c.changed) lines.push(`  ${site.name} ~ ${p.name} ${p.from} → ${p.to}`);
  }
  const differing = s.packages.filter((p) =>
    Object.values(p.cells).some((c) => c.state === 'drift' || c.state === 'missing' || c.state === 'extra'),
  );
  if (differing.length) lines.push('', 'Differences:');
  for (const p of differing) {
    for (const [site, c] of Object.entries(p.cells)) {
      if (c.state === 'drift' || c.state === 'missing' || c.state === 'extra')
        lines.push(
          `  ${site} ${p.name}: ${c.state} (installed ${c.installed ?? 'none'}, desired ${c.desired ?? 'not declared'})`,
        );
    }
  }
  for (const site of s.sites) {
    const a = site.siteAudit;
    if (!a || (a.onlyCentral.length === 0 && a.onlySite.length === 0)) continue;
    lines.push(
      `${site.name}: the site's pkg_admin audit (${a.txid}, exit ${a.exit}) disagrees with the controller's:`,
      ...a.onlyCentral.map((k) => `  only the controller: ${k}`),
      ...a.onlySite.map((k) => `  only the site: ${k}`),
    );
  }
  if (s.vulnerabilities) {
    lines.push('', ...s.vulnerabilities.lists.map(listLine), ...s.vulnerabilities.problems.map((p) => `warning: ${p}`));
    lines.push(...matrixText(s.vulnerabilities.matrix));
  }
  for (const t of s.tags) {
    const bad = t.sites.filter((x) => !x.restorable);
    if (bad.length)
      lines.push(
        `tag ${t.tag} can no longer be restored at: ${bad.map((b) => `${b.site} (missing ${b.missing.join(', ') || b.reason})`).join('; ')}`,
      );
  }
  return lines;
}

/** Vulnerable packages (central audit) or findings (the job's audit), and accepted ones. */
export function vulnFlag(site: SiteStatus): string {
  const a = site.audit;
  if (!a) return site.vulnerabilities.length ? `${site.vulnerabilities.length} vulnerable` : '';
  if (a.status === 'no-list') return 'NOT AUDITED (no verified vulnerability list)';
  if (a.status !== 'audited') return '';
  const accepted = a.accepted ? `, ${a.accepted} accepted` : '';
  return a.vulnerable
    ? `${a.vulnerable} vulnerable (${site.vulnerabilities.length} findings${accepted})`
    : accepted.slice(2);
}

function changeCount(site: SiteStatus): number {
  const c = site.reported?.changes;
  return c ? c.added.length + c.removed.length + c.changed.length : 0;
}

function reportedSummary(site: SiteStatus): string {
  const r = site.reported;
  if (!r) return '';
  const head = `; reported ${r.at} (${r.reports} report${r.reports === 1 ? '' : 's'})`;
  if (!r.changes) return head;
  const c = r.changes;
  return `${head}: ${changeCount(site) === 0 ? 'no change' : `+${c.added.length} -${c.removed.length} ~${c.changed.length}`} since ${r.previousAt}`;
}

/** Installed vs validated: whether the package set users see has passed its checks. */
export function liveness(site: SiteStatus): string {
  const ref = (r: TxRef) =>
    `${r.revision === 'worktree' ? 'work tree' : r.revision.slice(0, 12)}${r.tags.length ? ` [${r.tags.join(', ')}]` : ''}`;
  if (!site.installed) return '';
  if (site.validated?.txid === site.installed.txid) return `; installed and validated ${ref(site.installed)}`;
  return `; installed ${ref(site.installed)} NOT VALIDATED (${site.validated ? `last validated ${ref(site.validated)} by ${site.validated.txid}` : 'never validated'})`;
}

/** Where the downtimes shown come from: a stale copy is said to be one. */
export function downtimesLine(d: NonNullable<FleetStatus['downtimes']>): string {
  if (d.from === 'none') return `GOCDB downtimes: none known (${d.source} could not be read and no copy is kept)`;
  return `GOCDB downtimes from ${d.source}, ${d.from === 'kept' ? `the last good copy, read ${d.readAt} (the source could not be read now)` : `read ${d.readAt}`}`;
}
