// A site's audit as data: its latest observation against its list, with the
// VO's accepted risks applied. An acceptance whose expiry day has passed no
// longer hides its findings: they are open again and say which acceptance
// lapsed. Pure; the list and the observation are read by the caller.
import { formatLocation } from '../errors.js';
import type { Acceptance } from '../desired/vulnerabilities.js';
import { matchPattern } from '../pkgsrc/pattern.js';
import type { Finding, VulnIndex } from './audit.js';

export interface SiteFinding extends Finding {
  /** The acceptance that covers it; `expired` findings are reported as open. */
  accepted?: { reason: string; expires: string; source: string; expired: boolean };
}

/** What the audit needs of an observation. */
export interface AuditInput {
  /** The installed PKGNAMEs in the observation's order: strings, or ids into a table the fleet's sites share. */
  pkgnames: readonly string[] | PkgnameIds;
  observedAt: string;
}

/** PKGNAMEs as ids: `names[ids[i]]` is the i-th (src/observed/inventory-bytes.ts PkgnameTable). */
export interface PkgnameIds {
  ids: Uint32Array;
  names: readonly string[];
}

function packageCount(p: AuditInput['pkgnames']): number {
  return 'ids' in p ? p.ids.length : p.length;
}

export type SiteAuditStatus = 'audited' | 'unobserved' | 'no-list' | 'not-configured';

export interface SiteAudit {
  site: string;
  status: SiteAuditStatus;
  observedAt?: string;
  packages: number;
  /** Open findings (an expired acceptance included), then accepted ones. */
  findings: SiteFinding[];
  /** How many distinct installed packages have an open finding. */
  vulnerable: number;
  accepted: number;
}

/** The last day an acceptance holds is its `expires` date, UTC. */
export function acceptanceExpired(a: Pick<Acceptance, 'expires'>, now: Date): boolean {
  return now.toISOString().slice(0, 10) > a.expires;
}

function covers(a: Acceptance, f: Finding): boolean {
  return (a.url === undefined || a.url === f.url) && (a.pattern === undefined || matchPattern(a.pattern, f.pkgname));
}

export function auditSite(
  site: string,
  inv: AuditInput | undefined,
  index: VulnIndex | undefined,
  acceptances: readonly Acceptance[],
  now: Date,
  status: Exclude<SiteAuditStatus, 'audited' | 'unobserved'> | undefined = undefined,
): SiteAudit {
  const packages = inv ? packageCount(inv.pkgnames) : 0;
  const empty = { site, packages, findings: [], vulnerable: 0, accepted: 0 };
  const at = inv ? { observedAt: inv.observedAt } : {};
  if (status) return { ...empty, ...at, status };
  if (!inv) return { ...empty, status: 'unobserved' };
  if (!index) return { ...empty, ...at, status: 'no-list' };
  const open: SiteFinding[] = [];
  const accepted: SiteFinding[] = [];
  const vulnerable = new Set<string>();
  for (const hits of index.findingsOf(inv.pkgnames)) {
    for (const f of hits) {
      if (acceptances.length === 0) {
        open.push(f);
        vulnerable.add(f.pkgname);
        continue;
      }
      // A still-valid acceptance wins over a lapsed one for the same finding.
      const all = acceptances.filter((a) => covers(a, f));
      const valid = all.find((a) => !acceptanceExpired(a, now));
      const a = valid ?? all[0];
      const finding: SiteFinding = a
        ? {
            ...f,
            accepted: { reason: a.reason, expires: a.expires, source: formatLocation(a.source), expired: !valid },
          }
        : f;
      if (valid) accepted.push(finding);
      else {
        open.push(finding);
        vulnerable.add(f.pkgname);
      }
    }
  }
  return {
    site,
    status: 'audited',
    observedAt: inv.observedAt,
    packages,
    findings: [...open, ...accepted],
    vulnerable: vulnerable.size,
    accepted: accepted.length,
  };
}

/** One advisory (URL and kind) and, per site, the packages it marks there. */
export interface MatrixRow {
  url: string;
  kind: string;
  sites: Record<string, { open: string[]; accepted: string[] }>;
}

/** The vulnerability × site matrix, advisories sorted by how many sites they hit. */
export function vulnMatrix(audits: readonly SiteAudit[]): MatrixRow[] {
  interface Acc {
    url: string;
    kind: string;
    bySite: Map<string, { open: Set<string>; accepted: Set<string> }>;
    openSites: number;
  }
  const rows = new Map<string, Acc>();
  for (const a of audits) {
    for (const f of a.findings) {
      const key = `${f.kind} ${f.url}`;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { url: f.url, kind: f.kind, bySite: new Map(), openSites: 0 }));
      let cell = r.bySite.get(a.site);
      if (!cell) r.bySite.set(a.site, (cell = { open: new Set(), accepted: new Set() }));
      const isOpen = !f.accepted || f.accepted.expired;
      if (isOpen && cell.open.size === 0) r.openSites++;
      (isOpen ? cell.open : cell.accepted).add(f.pkgname);
    }
  }
  return [...rows.values()]
    .sort((x, y) => y.openSites - x.openSites || (x.url < y.url ? -1 : x.url > y.url ? 1 : 0))
    .map((r) => ({
      url: r.url,
      kind: r.kind,
      sites: Object.fromEntries(
        [...r.bySite].map(([site, c]) => [site, { open: [...c.open], accepted: [...c.accepted] }]),
      ),
    }));
}
