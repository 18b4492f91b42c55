// Is a reviewed plan still the plan of what is there now? A pure comparison
// of what the plan was made from with the same things read again: each
// difference is one typed reason, naming the site and what changed.
import type { PlanFile, PlanFileSite } from './plan-file.js';

/** What a site's inputs are now, read the way the plan file recorded them. */
export interface CurrentSite {
  /** siteDigest at the plan's revision; undefined when the site is no longer in sites.yaml. */
  desired: string | undefined;
  observation: { digest: string; at: string; source: string } | null;
  /** The catalog's digest now, or null when it cannot be read. */
  catalog: string | null;
  held: boolean;
  /** A transaction of the site still open in the journal. */
  inFlight?: string;
}

export interface CurrentInputs {
  /** The commit the plan's rev names now. */
  revision: string;
  sites: ReadonlyMap<string, CurrentSite>;
}

export type StaleWhat = 'revision' | 'desired' | 'observation' | 'catalog' | 'hold' | 'in-flight';

export interface StaleReason {
  /** Undefined for the whole plan (the revision). */
  site?: string;
  what: StaleWhat;
  message: string;
}

export function staleness(plan: PlanFile, now: CurrentInputs): StaleReason[] {
  const reasons: StaleReason[] = [];
  if (now.revision !== plan.revision)
    reasons.push({
      what: 'revision',
      message: `the desired state moved: ${plan.rev} is now ${now.revision.slice(0, 12)}, the plan was made at ${plan.revision.slice(0, 12)}`,
    });
  for (const s of plan.sites) reasons.push(...siteStaleness(s, now.sites.get(s.site)));
  return reasons;
}

function siteStaleness(was: PlanFileSite, now: CurrentSite | undefined): StaleReason[] {
  const site = was.site;
  const out: StaleReason[] = [];
  const add = (what: StaleWhat, message: string) => out.push({ site, what, message: `${site}: ${message}` });
  if (now?.desired === undefined) {
    add('desired', 'no longer in sites.yaml');
    return out;
  }
  if (now.desired !== was.desired)
    add('desired', 'its desired state resolves differently than when planned (another version of reconcile?)');
  if (now.inFlight)
    add(
      'in-flight',
      `transaction ${now.inFlight} is open; apply would finish it first, which changes what the plan was made from`,
    );
  const [o, n] = [was.observation, now.observation];
  if (o?.digest !== n?.digest)
    add(
      'observation',
      !o
        ? `observed since the plan was made (${n!.source} at ${n!.at}); it had no observation then`
        : !n
          ? `its observation (${o.source} at ${o.at}) is gone`
          : `observed again since the plan was made: ${o.source} at ${o.at} then, ${n.source} at ${n.at} now`,
    );
  if (was.catalog.digest !== now.catalog)
    add(
      'catalog',
      now.catalog === null
        ? `its catalog ${was.catalog.location} cannot be read now`
        : was.catalog.digest === null
          ? `its catalog ${was.catalog.location} could not be read when planned and can now`
          : `its catalog ${was.catalog.location} changed since the plan was made`,
    );
  if (was.held !== now.held)
    add('hold', now.held ? 'held since the plan was made' : 'its hold was lifted since the plan was made');
  return out;
}
