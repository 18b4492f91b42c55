// The one decision every surface shares: may a job be submitted to this site
// at this instant, given its maintenance windows and GOCDB downtimes — and
// if not, why and until when; if so, what changes next. apply asks it for
// each site at submission time, plan and status show it. Pure: the instant
// is an argument (the run injects its clock).
import { downtimeState } from './downtimes.js';
import { windowState } from './schedule.js';
import type { Downtime, GatedSite, MaintenanceWindow, WindowKind } from './types.js';

export interface GateInput {
  windows: readonly MaintenanceWindow[];
  downtimes: readonly Downtime[];
}

export type Closure = { kind: 'window'; window: string; windowKind: WindowKind } | { kind: 'downtime'; id: string };

export type SiteGate =
  | {
      open: true;
      /** Ongoing GOCDB WARNING downtimes: the site is touched, and the run says so. */
      notes: string[];
      /** The allow window the site is in now. */
      inside?: { window: string; until: string };
      /** The next time a window or an outage closes the site. */
      next?: { at: string; what: string };
    }
  | {
      open: false;
      /** "in scheduled downtime until … (GOCDB id: description)", "in deny window 'x' until …" */
      reason: string;
      /** When both the windows and the downtimes next let the site be touched (absent: not within a year). */
      until?: string;
      by: Closure;
      notes: string[];
    };

export function siteGate(input: GateInput, site: GatedSite, now: number): SiteGate {
  const ws = windowState(input.windows, site, now);
  const ds = downtimeState(input.downtimes, site, now);
  const notes = ds.warnings.map((d) => `GOCDB ${d.id} WARNING until ${iso(d.end)}: ${d.description}`);
  if (ds.outage) {
    const { downtime: d, until } = ds.outage;
    const open = reopens(input, site, until);
    return {
      open: false,
      reason: `in scheduled downtime until ${iso(until)} (GOCDB ${d.id}: ${d.description})`,
      ...(open !== undefined ? { until: iso(open) } : {}),
      by: { kind: 'downtime', id: d.id },
      notes,
    };
  }
  if (!ws.open) {
    const open = ws.until === undefined ? undefined : reopens(input, site, ws.until);
    const when = open === undefined ? 'not within a year' : `until ${iso(open)}`;
    const reason =
      ws.kind === 'deny'
        ? `in deny window '${ws.window}' ${when}`
        : `outside its allow windows ('${ws.window}') ${when}`;
    return {
      open: false,
      reason,
      ...(open !== undefined ? { until: iso(open) } : {}),
      by: { kind: 'window', window: ws.window, windowKind: ws.kind },
      notes,
    };
  }
  const closes = ws.closes
    ? {
        at: ws.closes.at,
        what:
          ws.closes.kind === 'deny' ? `deny window '${ws.closes.window}'` : `allow window '${ws.closes.window}' ends`,
      }
    : undefined;
  const outage = ds.nextOutage
    ? { at: ds.nextOutage.start, what: `GOCDB ${ds.nextOutage.id} OUTAGE: ${ds.nextOutage.description}` }
    : undefined;
  const next = [closes, outage].filter((x) => x !== undefined).sort((a, b) => a.at - b.at)[0];
  return {
    open: true,
    notes,
    ...(ws.inside ? { inside: { window: ws.inside.window, until: iso(ws.inside.until) } } : {}),
    ...(next ? { next: { at: iso(next.at), what: next.what } } : {}),
  };
}

/** The first instant from `t` at which neither a window nor an outage closes the site. */
function reopens(input: GateInput, site: GatedSite, t: number | undefined): number | undefined {
  for (let i = 0; i < 50 && t !== undefined; i++) {
    const ws = windowState(input.windows, site, t);
    const ds = downtimeState(input.downtimes, site, t);
    if (ws.open && !ds.outage) return t;
    t = ds.outage ? ds.outage.until : ws.open ? undefined : ws.until;
  }
  return undefined;
}

/** One line for status and plan. */
export function describeGate(g: SiteGate): string {
  if (!g.open) return `deferred: ${g.reason}`;
  const parts = ['open'];
  if (g.inside) parts.push(`in allow window '${g.inside.window}' until ${g.inside.until}`);
  if (g.next) parts.push(`next: ${g.next.what} from ${g.next.at}`);
  return [parts.join('; '), ...g.notes].join('; ');
}

/** Whole seconds, UTC: what people read and machines parse alike. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}
