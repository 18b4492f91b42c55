// What a job takes of the run's vulnerability list: the verified text (the
// site-side `pkg_admin audit` reads it), and what the controller's audit
// says of the package set the job will find, journalled in the transaction
// so the two can be compared when the job's audit comes back.
import { readFile } from 'node:fs/promises';
import type { ResolvedSite } from '../desired/types.js';
import type { AuditFinding } from '../observed/types.js';
import { EOL_URL, VulnIndex } from './audit.js';
import type { ListCache, ListState } from './list-store.js';

/** Kept in the transaction's begin record. */
export interface JobVulnRecord {
  location: string;
  sha256: string;
  /** The central audit of the package set the plan was made from, as the tool prints it (accepted risks included). */
  central?: AuditFinding[];
}

const indexes = new WeakMap<ListState['current'] & object, VulnIndex>();

export async function jobVulnList(
  lists: ListCache | undefined,
  site: ResolvedSite,
  expected: readonly string[] | undefined,
): Promise<{ record: JobVulnRecord; text: string } | undefined> {
  const v = site.vulnerabilities;
  if (!v || !lists) return undefined;
  const cur = (await lists.get(v.list, v.maxAgeDays)).current;
  if (!cur) return undefined;
  const text = await readFile(cur.file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let index = indexes.get(cur);
  if (!index) indexes.set(cur, (index = new VulnIndex(cur.entries)));
  const central = expected?.flatMap((p) => index.auditDefault(p)).map(asPrinted);
  return { record: { location: v.list, sha256: cur.meta.sha256, ...(central ? { central } : {}) }, text };
}

/** A finding as the job's parsed `pkg_admin audit` line gives it back (eol lines name the tool's page). */
export function asPrinted(f: AuditFinding): AuditFinding {
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
