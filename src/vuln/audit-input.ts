// What the audit reads of a site: its PKGNAMEs and when they were observed,
// from a stored observation or a raw `pkg_info` listing (`--observed DIR`).
// A listing is read for its names only when every line is plainly clean;
// otherwise by the inventory reader, which accepts or reports as `plan` does.
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { pkgnamesFromBytes } from '../observed/inventory-bytes.js';
import { observedSiteFiles, readObservedSite } from '../observed/observed-dir.js';
import { readInventory } from '../observed/store.js';
import type { Inventory } from '../observed/types.js';
import type { AuditInput } from './site-audit.js';

export function auditInput(inv: Inventory | undefined): AuditInput | undefined {
  return inv ? { pkgnames: inv.packages.map((p) => p.pkgname), observedAt: inv.observedAt } : undefined;
}

/** The site's latest observation in state/. */
export async function storedAuditInput(stateDir: string, site: string): Promise<AuditInput | undefined> {
  return auditInput(await readInventory(stateDir, site));
}

/** The site's `<SITE>.pkg_info` in DIR (its mtime is the observation time), or undefined without one. */
export async function listingAuditInput(dir: string, site: string): Promise<AuditInput | undefined> {
  const file = observedSiteFiles(dir, site).pkgInfo;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError({ location: { file }, message: `cannot read: ${(e as Error).message}` });
  }
  const names = pkgnamesFromBytes(bytes);
  if (!names) return auditInput(await readObservedSite(dir, site));
  const st = await stat(file).catch(() => undefined);
  return { pkgnames: names, observedAt: (st?.mtime ?? new Date(0)).toISOString() };
}
