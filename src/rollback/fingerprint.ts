// What "the desired state at HEAD equals what it was rolled back to" means
// for one site: the same packages, patterns and states after resolution
// (where they were declared does not matter).
import type { ResolvedSite } from '../desired/types.js';

export function desiredFingerprint(site: ResolvedSite): string {
  return JSON.stringify(site.packages.map((p) => [p.name, p.patterns, p.state]));
}
