// Which sites' resolved desired state differs between two revisions, and
// how (json-diff-ts over each site's resolved record): what a push
// actually changed for the fleet, so only those sites are reconciled.
import { diff, type IChange } from 'json-diff-ts';
import type { DesiredState, ResolvedSite } from './types.js';

export interface SiteChange {
  site: string;
  /** Human-readable lines: "packages.python311: patterns ...". */
  changes: string[];
}

/** What of a site matters to reconciling it (not where things were declared). */
function essence(s: ResolvedSite) {
  const { source: _source, filtered: _filtered, packages, ...rest } = s;
  return {
    ...rest,
    packages: Object.fromEntries(packages.map((p) => [p.name, { patterns: p.patterns, state: p.state }])),
  };
}

export function changedSites(before: DesiredState | undefined, after: DesiredState): SiteChange[] {
  const old = new Map((before?.sites ?? []).map((s) => [s.name, essence(s)]));
  const out: SiteChange[] = [];
  for (const site of after.sites) {
    const prev = old.get(site.name);
    if (!prev) {
      out.push({ site: site.name, changes: ['new site'] });
      continue;
    }
    const d = diff(prev, essence(site));
    if (d.length > 0) out.push({ site: site.name, changes: describe(d, '') });
  }
  return out;
}

function describe(changes: IChange[], at: string): string[] {
  return changes.flatMap((c) => {
    const where = at ? `${at}.${c.key}` : c.key;
    if (c.changes) return describe(c.changes, where);
    const show = (v: unknown) => JSON.stringify(v);
    if (c.type === 'ADD') return [`${where}: added ${show(c.value)}`];
    if (c.type === 'REMOVE') return [`${where}: removed ${show(c.value)}`];
    return [`${where}: ${show(c.oldValue)} → ${show(c.value)}`];
  });
}
