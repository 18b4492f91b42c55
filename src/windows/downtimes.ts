// Which GOCDB downtimes concern a site, and what they mean at an instant:
// a site is in a downtime when the downtime names its GOCDB site
// (gocdb_name, default its name) or the host of its CE. An ongoing OUTAGE
// closes the site until it ends (outages that touch run on as one); an
// ongoing WARNING lets it be touched, noted. Pure.
import type { Downtime, GatedSite } from './types.js';

export interface DowntimeState {
  /** The ongoing outage that ends last, and when the outages that run on from it end. */
  outage?: { downtime: Downtime; until: number };
  /** Ongoing warnings, each downtime once. */
  warnings: Downtime[];
  /** The next outage to start after the instant. */
  nextOutage?: Downtime;
}

export function downtimesFor(downtimes: readonly Downtime[], site: GatedSite): Downtime[] {
  const gocdb = site.gocdb_name ?? site.name;
  const host = ceHost(site);
  return downtimes.filter((d) => d.site === gocdb || (host !== undefined && d.hostname === host));
}

export function downtimeState(downtimes: readonly Downtime[], site: GatedSite, now: number): DowntimeState {
  const mine = downtimesFor(downtimes, site);
  const ongoing = (d: Downtime, t: number) => d.start <= t && t < d.end;
  const outages = mine.filter((d) => d.severity === 'OUTAGE');
  const state: DowntimeState = { warnings: once(mine.filter((d) => d.severity === 'WARNING' && ongoing(d, now))) };
  const now_ = outages.filter((d) => ongoing(d, now)).sort((a, b) => b.end - a.end);
  if (now_.length > 0) {
    let until = now_[0]!.end;
    // An outage that starts before (or as) this one ends keeps the site closed.
    for (let grew = true; grew;) {
      grew = false;
      for (const d of outages)
        if (d.start <= until && d.end > until) {
          until = d.end;
          grew = true;
        }
    }
    state.outage = { downtime: now_[0]!, until };
  }
  const next = outages.filter((d) => d.start > now).sort((a, b) => a.start - b.start)[0];
  if (next) state.nextOutage = next;
  return state;
}

/** The host of an ARC site's CE (its endpoint is a URL or a host), lower case; other backends have none GOCDB knows. */
export function ceHost(site: Pick<GatedSite, 'backend' | 'endpoint'>): string | undefined {
  if (site.backend !== 'arc' || !site.endpoint) return undefined;
  const e = site.endpoint;
  try {
    if (e.includes('://')) return new URL(e).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  return e.split(/[:/]/)[0]!.toLowerCase() || undefined;
}

/** One entry per downtime ID: GOCDB repeats a downtime for every endpoint it affects. */
function once(ds: Downtime[]): Downtime[] {
  const seen = new Set<string>();
  return ds.filter((d) => !seen.has(d.id) && Boolean(seen.add(d.id)));
}
