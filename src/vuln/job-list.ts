// What a job takes of the run's vulnerability list: the verified text (the
// site-side `pkg_admin audit` reads it), and what the controller's audit
// says of the package set the job will find, journalled in the transaction
// so the two can be compared when the job's audit comes back.
import { readFile } from 'node:fs/promises';
import type { ResolvedSite } from '../desired/types.js';
import type { AuditFinding } from '../observed/types.js';
import { EOL_URL, VulnIndex } from './audit.js';
import type { ListCache, ListState } from './list-store.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Inventory } from '../observed/types.js';
import { planSite } from '../plan/plan-site.js';
import type { SitePlan } from '../plan/types.js';
import { vulnerableFixes } from './fixes.js';
import { flagVulnerable } from './plan-flags.js';

/** Kept in the transaction's begin record. */
export interface JobVulnRecord {
  location: string;
  sha256: string;
  /** The central audit of the package set the plan was made from, as the tool prints it (accepted risks included). */
  central?: AuditFinding[];
}

type Current = NonNullable<ListState['current']>;

// Keyed by the run's verified copy (one per location per run), so a thousand
// sites sharing a list share one index and one read of its text.
const indexes = new WeakMap<Current, VulnIndex>();
const texts = new WeakMap<Current, Promise<string | undefined>>();

/** The index of a verified copy, built once per copy. */
export function vulnIndexOf(cur: Current): VulnIndex {
  let index = indexes.get(cur);
  if (!index) indexes.set(cur, (index = new VulnIndex(cur.entries)));
  return index;
}

function listText(cur: Current): Promise<string | undefined> {
  let text = texts.get(cur);
  if (!text) texts.set(cur, (text = readFile(cur.file, 'utf8').catch(() => undefined)));
  return text;
}

/** The run's verified copy of the site's list, or undefined (no list configured, or no verified copy). */
async function siteList(lists: ListCache | undefined, site: ResolvedSite): Promise<Current | undefined> {
  const v = site.vulnerabilities;
  if (!v || !lists) return undefined;
  return (await lists.get(v.list, v.maxAgeDays)).current;
}

/** The plan with its vulnerable targets flagged (or refused, by policy), when the site has a list. */
export async function withVulnFlags(
  lists: ListCache | undefined,
  site: ResolvedSite,
  plan: SitePlan,
): Promise<SitePlan> {
  const cur = await siteList(lists, site);
  const index = cur && vulnIndexOf(cur);
  return index ? flagVulnerable(plan, site, index, new Date()) : plan;
}

/**
 * planSite knowing the site's list: the vulnerable packages fix_vulnerable
 * replaces are replaced, and the targets flagged (or refused).
 */
export async function planKnowingVulns(
  lists: ListCache | undefined,
  site: ResolvedSite,
  inventory: Inventory | undefined,
  catalog: Catalog | Error,
  opts: { kept?: 'full' | 'counts' } = {},
): Promise<SitePlan> {
  const cur = await siteList(lists, site);
  const index = cur && vulnIndexOf(cur);
  if (!index) return planSite(site, inventory, catalog, opts);
  const now = new Date();
  const replace =
    inventory && !(catalog instanceof Error) ? vulnerableFixes(site, inventory, catalog, index, now) : undefined;
  const plan = planSite(site, inventory, catalog, replace?.size ? { ...opts, replace } : opts);
  return flagVulnerable(plan, site, index, now);
}

export async function jobVulnList(
  lists: ListCache | undefined,
  site: ResolvedSite,
  expected: readonly string[] | undefined,
): Promise<{ record: JobVulnRecord; text: string } | undefined> {
  const cur = await siteList(lists, site);
  if (!cur) return undefined;
  const text = await listText(cur);
  if (text === undefined) return undefined;
  const index = vulnIndexOf(cur);
  const central = expected?.flatMap((p) => index.auditDefault(p)).map(asPrinted);
  return {
    record: { location: site.vulnerabilities!.list, sha256: cur.meta.sha256, ...(central ? { central } : {}) },
    text,
  };
}

/** A finding as the job's parsed `pkg_admin audit` line gives it back (eol lines name the tool's page). */
function asPrinted(f: AuditFinding): AuditFinding {
  return { pkgname: f.pkgname, kind: f.kind, url: f.kind === 'eol' ? EOL_URL : f.url };
}

/** Where the site's own audit and the controller's differ, as `Package ...` keys. */
export function auditDisagreement(
  central: readonly AuditFinding[],
  site: readonly AuditFinding[],
): { onlyCentral: string[]; onlySite: string[] } {
  const key = (f: AuditFinding) => `${f.pkgname} ${f.kind} ${f.url}`;
  const c = new Set(central.map(key));
  const s = new Set(site.map(key));
  return { onlyCentral: [...c].filter((k) => !s.has(k)).sort(), onlySite: [...s].filter((k) => !c.has(k)).sort() };
}
