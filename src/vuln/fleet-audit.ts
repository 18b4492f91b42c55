// The central audit of a fleet: each site's latest observation against the
// verified list its desired state names (fetched once per run per location,
// indexed once), no job needed, so sites that only report themselves are
// audited too. Returns data: per list its freshness and what was wrong with
// it, and per site its findings (vulnMatrix turns them into the advisory ×
// site matrix for the reports that show it).
import path from 'node:path';
import type { ResolvedSite } from '../desired/types.js';
import type { VulnIndex } from './audit.js';
import { readFindingsMemo, writeFindingsMemo } from './findings-memo.js';
import { vulnIndexOf } from './job-list.js';
import type { ListCache, ListState } from './list-store.js';
import { auditSite, type AuditInput, type SiteAudit } from './site-audit.js';

/** A list as the report shows it. */
export interface ListSummary {
  location: string;
  sites: string[];
  entries?: number;
  verified: string[];
  fetchedAt?: string;
  checkedAt?: string;
  modifiedAt?: string;
  rcsId?: string;
  ageDays?: number;
  maxAgeDays: number;
  stale: boolean;
  refused?: string;
  unreachable?: string;
  /** Malformed entries and other warnings, `location:line: message`. */
  warnings: string[];
}

export interface FleetAudit {
  generatedAt: string;
  lists: ListSummary[];
  sites: SiteAudit[];
  /** One line per problem for stderr: refusals, unreachable lists, stale lists, malformed lines. */
  problems: string[];
}

export async function auditFleet(
  sites: readonly ResolvedSite[],
  inventory: (site: ResolvedSite) => Promise<AuditInput | undefined>,
  lists: ListCache,
  now: Date,
): Promise<FleetAudit> {
  const states = new Map<string, { state: ListState; index?: VulnIndex; sites: string[] }>();
  const audits: SiteAudit[] = [];
  // Read a few inventories ahead while auditing the current one.
  const ahead: Promise<AuditInput | undefined>[] = [];
  const READ_AHEAD = 8;
  const read = (s: ResolvedSite) => {
    const p = inventory(s);
    p.catch(() => undefined); // its error is thrown when the site's turn comes, not as an unhandled rejection before
    ahead.push(p);
  };
  // Every list is fetched, checked and indexed before the first inventory is asked for: asking may
  // make this thread read inventories itself (audit-input.ts), which must not delay the lists.
  for (const s of sites) {
    const v = s.vulnerabilities;
    if (!v || states.has(v.list)) continue;
    const state = await lists.get(v.list, v.maxAgeDays);
    const index = state.current ? vulnIndexOf(state.current) : undefined;
    if (state.current) index!.remember(await readFindingsMemo(...memoOf(state.current)));
    states.set(v.list, { state, sites: [], ...(index ? { index } : {}) });
  }
  for (let i = 0; i < Math.min(READ_AHEAD, sites.length); i++) read(sites[i]!);
  for (const [i, s] of sites.entries()) {
    const v = s.vulnerabilities;
    const inv = await ahead[i]!;
    delete ahead[i];
    if (i + READ_AHEAD < sites.length) read(sites[i + READ_AHEAD]!);
    if (!v) {
      audits.push(auditSite(s.name, inv, undefined, [], now, 'not-configured'));
      continue;
    }
    const entry = states.get(v.list)!;
    entry.sites.push(s.name);
    audits.push(auditSite(s.name, inv, entry.index, v.ignore, now));
  }
  for (const { state, index } of states.values()) {
    const keep = index?.memoToKeep();
    if (keep) await writeFindingsMemo(memoOf(state.current!)[0], state.current!.meta.sha256, keep);
  }
  const summaries = [...states.values()].map(({ state, sites }) => summarise(state, sites));
  return {
    generatedAt: now.toISOString(),
    lists: summaries,
    sites: audits,
    problems: summaries.flatMap(listProblems),
  };
}

/** Where a verified copy's findings memo lives, and what it is keyed by. */
function memoOf(cur: NonNullable<ListState['current']>): [dir: string, sha256: string, entries: number] {
  return [path.dirname(cur.file), cur.meta.sha256, cur.entries.length];
}

function summarise(s: ListState, sites: string[]): ListSummary {
  const m = s.current?.meta;
  return {
    location: s.location,
    sites,
    ...(m
      ? {
          entries: m.entries,
          fetchedAt: m.fetchedAt,
          checkedAt: m.checkedAt,
          ...(m.modifiedAt ? { modifiedAt: m.modifiedAt } : {}),
          ...(m.rcsId ? { rcsId: m.rcsId } : {}),
        }
      : {}),
    verified: m?.verified ?? [],
    ...(s.ageDays !== undefined ? { ageDays: Number(s.ageDays.toFixed(2)) } : {}),
    maxAgeDays: s.maxAgeDays,
    stale: s.stale,
    ...(s.refused ? { refused: s.refused } : {}),
    ...(s.unreachable ? { unreachable: s.unreachable } : {}),
    warnings: (s.current?.warnings ?? []).map((w) => `${s.location}${w.line ? `:${w.line}` : ''}: ${w.message}`),
  };
}

function listProblems(l: ListSummary): string[] {
  return [
    ...(l.refused ? [l.refused] : []),
    ...(l.unreachable
      ? [`${l.unreachable}; ${l.entries !== undefined ? 'using the last verified copy' : 'no verified copy yet'}`]
      : []),
    ...(l.stale
      ? [`${l.location}: the list is ${Math.floor(l.ageDays!)} days old (limit ${l.maxAgeDays}); update it`]
      : []),
    ...l.warnings,
  ];
}
