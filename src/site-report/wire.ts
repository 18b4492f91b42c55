// The body of a report: JSON carrying the raw `pkg_info`, `pkg_info -u` and
// `pkg_info -n -a` listings exactly as the site's tools printed them, so the
// collector parses them with the same parsers as every other inventory.
// `pkg_info_n` is optional: reporters older than it send none, and their
// sites are planned from the catalog's DEPENDS (the plan says so).
import { InputError } from '../errors.js';
import { inventoryFromPkgInfo } from '../observed/inventory.js';
import type { Inventory } from '../observed/types.js';

export const FORMAT = 'reconcile-report-v1';
/** Thousands of packages are a few hundred kilobytes; anything far larger is not an inventory. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ReportBody {
  format: typeof FORMAT;
  pkg_info: string;
  pkg_info_u: string;
  /** `pkg_info -n -a`: what each installed package depends on, per the site's package database. */
  pkg_info_n?: string;
}

export function encodeReport(pkgInfo: string, pkgInfoU: string, pkgInfoN?: string): Buffer {
  const body: ReportBody = {
    format: FORMAT,
    pkg_info: pkgInfo,
    pkg_info_u: pkgInfoU,
    ...(pkgInfoN !== undefined ? { pkg_info_n: pkgInfoN } : {}),
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * The inventory a body reports. Throws InputError naming the body or, for
 * a bad listing, the listing and its line ('pkg_info:12:1: ...').
 */
export function decodeReport(body: Buffer, site: string, meta: { observedAt: string; origin: string }): Inventory {
  const where = { file: 'body' };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (e) {
    throw new InputError({ location: where, message: `expected a JSON report in UTF-8: ${(e as Error).message}` });
  }
  const v = value as Partial<Record<keyof ReportBody, unknown>> | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v.format !== FORMAT) {
    throw new InputError({ location: where, message: `expected an object with "format": "${FORMAT}"` });
  }
  if (typeof v.pkg_info !== 'string' || typeof v.pkg_info_u !== 'string') {
    throw new InputError({
      location: where,
      message: 'expected "pkg_info" and "pkg_info_u" to be the text of the two listings',
    });
  }
  if (v.pkg_info_n !== undefined && typeof v.pkg_info_n !== 'string') {
    throw new InputError({
      location: where,
      message: 'expected "pkg_info_n", when present, to be the text of the pkg_info -n -a listing',
    });
  }
  return inventoryFromPkgInfo({
    site,
    pkgInfo: { text: v.pkg_info, file: 'pkg_info' },
    userInstalled: { text: v.pkg_info_u, file: 'pkg_info -u' },
    ...(v.pkg_info_n !== undefined ? { depends: { text: v.pkg_info_n, file: 'pkg_info -n' } } : {}),
    observedAt: meta.observedAt,
    source: 'reported',
    origin: meta.origin,
  });
}
