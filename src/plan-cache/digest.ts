// Content digests for the plan cache: every part of a key is the SHA-256 of
// what decides it, so equal digests mean equal inputs.
import { createHash } from 'node:crypto';
import type { DesiredPackage, ResolvedSite } from '../desired/types.js';

export function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    // Length-prefixed, so ('ab', 'c') and ('a', 'bc') differ.
    h.update(`${Buffer.byteLength(p)}:`);
    h.update(p);
  }
  return h.digest('hex');
}

// Sites with the same profiles share one packages array, and profiles share
// package objects, so each is digested once (both are read-only after loading).
const packageDigests = new WeakMap<DesiredPackage, string>();
const listDigests = new WeakMap<readonly DesiredPackage[], string>();

function packageDigest(p: DesiredPackage): string {
  let d = packageDigests.get(p);
  if (d === undefined) packageDigests.set(p, (d = sha256(JSON.stringify(p))));
  return d;
}

export function packagesDigest(list: readonly DesiredPackage[]): string {
  let d = listDigests.get(list);
  if (d === undefined) listDigests.set(list, (d = sha256(...list.map(packageDigest))));
  return d;
}

/** The digest of a site's whole resolved desired state (everything planSite is given of it). */
export function siteDigest(site: ResolvedSite): string {
  return siteDigestWith(site, packagesDigest(site.packages));
}

/**
 * siteDigest from the digest of its packages (packagesDigest), known
 * already: the packages themselves are not read (they may not be loaded).
 */
export function siteDigestWith(site: ResolvedSite, packages: string): string {
  return sha256('site', JSON.stringify(withoutPackages(site)), packages);
}

/** The site's other fields, in their order, without reading `packages`. */
export function withoutPackages(site: ResolvedSite): Omit<ResolvedSite, 'packages'> {
  const rest: Record<string, unknown> = {};
  for (const k of Object.keys(site)) if (k !== 'packages') rest[k] = (site as unknown as Record<string, unknown>)[k];
  return rest as Omit<ResolvedSite, 'packages'>;
}
