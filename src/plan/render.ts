// A plan as a person reads it: one block per site, a line per change, and a
// summary line. With verbose, also the packages left alone and why.
import type { KeptPackage, PlanAction, SitePlan } from './types.js';
import type { PlanSummary } from './types.js';

export function renderSitePlan(p: SitePlan, verbose: boolean): string[] {
  const lines: string[] = [];
  if (p.status === 'unobserved') return [`${p.site}: not observed — ${p.errors[0]?.message ?? ''}`];
  const changes = p.actions.length;
  const keptCount = p.keptCounts ? Object.values(p.keptCounts).reduce((a, b) => a + (b ?? 0), 0) : p.kept.length;
  const head =
    p.status === 'error'
      ? `${p.site}: ERROR, nothing will be done here`
      : changes === 0
        ? `${p.site}: in sync (${keptCount} packages left as they are)`
        : `${p.site}: ${changes} change${changes === 1 ? '' : 's'}`;
  lines.push(head);
  for (const e of p.errors) lines.push(`  ! ${e.message}${e.sources?.length ? ` (${e.sources.join(', ')})` : ''}`);
  for (const n of p.notes ?? []) lines.push(`  note: ${n}`);
  if (p.bootstrap !== undefined && p.status === 'ok' && changes > 0)
    lines.push(`  * bootstrap pkgsrc into the empty prefix from ${p.bootstrap} first`);
  for (const a of p.actions) lines.push(`  ${actionLine(a)}`);
  if (verbose) for (const k of p.kept) lines.push(`  = ${keptLine(k)}`);
  else if (changes > 0 && keptCount > 0)
    lines.push(`  = ${keptCount} package${keptCount === 1 ? '' : 's'} left as they are (-v lists them)`);
  return lines;
}

function actionLine(a: PlanAction): string {
  const v = a.vulnerable?.length ? `    VULNERABLE: ${a.vulnerable.map((x) => `${x.kind} ${x.url}`).join(', ')}` : '';
  const flag = a.flag ? ` (then marked ${a.flag === 'user' ? 'user-installed' : 'automatic'})` : '';
  return actionText(a) + flag + v;
}

function actionText(a: PlanAction): string {
  switch (a.action) {
    case 'install':
      return `+ install ${a.pkgname}    # ${a.reason}`;
    case 'remove':
      return `- remove ${a.pkgname}    # ${a.reason}`;
    default:
      return `~ ${a.action} ${a.name} ${versionOf(a.from!, a.name)} → ${versionOf(a.pkgname, a.name)}    # ${a.reason}`;
  }
}

function versionOf(pkgname: string, name: string): string {
  return pkgname.startsWith(`${name}-`) ? pkgname.slice(name.length + 1) : pkgname;
}

function keptLine(k: KeptPackage): string {
  return `${k.pkgname ?? k.name} (${k.reason}: ${k.detail})`;
}

export function renderSummary(s: PlanSummary): string {
  const parts = [
    `${s.install} to install`,
    `${s.upgrade} to upgrade`,
    `${s.downgrade} to downgrade`,
    `${s.remove} to remove`,
  ];
  const sites = (n: number) => `${n} site${n === 1 ? '' : 's'}`;
  const more = [
    ...(s.checksOnly > 0 ? [`${sites(s.checksOnly)} only run${s.checksOnly === 1 ? 's' : ''} checks`] : []),
    ...(s.held > 0 ? [`${sites(s.held)} held`] : []),
    ...(s.failed > 0 ? [`${sites(s.failed)} cannot be planned`] : []),
  ];
  return `Plan: ${parts.join(', ')} at ${s.changed} of ${sites(s.sites)} (${[`${s.inSync} in sync`, ...more].join('; ')}).`;
}
