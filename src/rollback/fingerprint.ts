// What "the desired state at HEAD equals what it was rolled back to" means
// for one site: the same packages, patterns and states after resolution,
// and the same checks (name, command, time limit, in order) — a package set
// is live only once its checks pass, so a changed check is a changed
// desired state. Where either was declared does not matter.
import type { ResolvedSite } from '../desired/types.js';

export function desiredFingerprint(site: ResolvedSite): string {
  return JSON.stringify({
    packages: packagesOnly(site),
    checks: site.checks.map((c) => [c.name, c.run, c.timeout]),
  });
}

/**
 * Whether a hold's fingerprint (taken at the tag) equals the site's now.
 * Holds written before checks were fingerprinted hold a bare package list
 * (a JSON array): those are compared on packages, as when they were made.
 */
export function sameDesired(site: ResolvedSite, held: string): boolean {
  if (held.startsWith('[')) return JSON.stringify(packagesOnly(site)) === held;
  return desiredFingerprint(site) === held;
}

function packagesOnly(site: ResolvedSite): unknown[] {
  return site.packages.map((p) => [p.name, p.patterns, p.state]);
}
