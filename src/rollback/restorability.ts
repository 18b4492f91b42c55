// Which tags can still be restored where: a tag's package set at a site is
// restorable while every package it needs is either installed or still on
// offer in the site's catalog (binary packages leave PKG_PATH over time).
import type { Catalog } from '../catalog/catalog.js';
import { isInstalled, type Transaction } from '../state/records.js';
import { restorePoint } from './restore-point.js';

export interface SiteRestorability {
  site: string;
  restorable: boolean;
  txid?: string;
  /** Whether the restore point's transaction passed its checks (absent: the tag never reached the site). */
  validated?: boolean;
  missing: string[];
  reason?: string;
}

export interface TagRestorability {
  tag: string;
  commit: string;
  sites: SiteRestorability[];
}

export function restorability(
  txs: readonly Transaction[],
  sites: readonly { name: string; catalog: Catalog | Error; installed: ReadonlySet<string> }[],
): TagRestorability[] {
  const tags = new Map<string, string>();
  for (const t of txs)
    if (t.begin.kind === 'apply' && isInstalled(t)) for (const tag of t.begin.tags) tags.set(tag, t.begin.revision);
  return [...tags]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([tag, commit]) => ({
      tag,
      commit,
      sites: sites.map((s): SiteRestorability => {
        const point = restorePoint(txs, s.name, commit);
        if (!point)
          return {
            site: s.name,
            restorable: true,
            missing: [],
            reason: `${tag} never reached this site: it would be planned from the desired state at ${tag}`,
          };
        if (s.catalog instanceof Error)
          return {
            site: s.name,
            restorable: false,
            txid: point.txid,
            validated: point.validated,
            missing: [],
            reason: s.catalog.message,
          };
        const catalog = s.catalog;
        const missing = point.packages.filter((p) => !s.installed.has(p) && !catalog.get(p));
        return {
          site: s.name,
          restorable: missing.length === 0,
          txid: point.txid,
          validated: point.validated,
          missing,
        };
      }),
    }));
}
