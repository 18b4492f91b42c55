// Whether a site may be touched at an instant by its maintenance windows,
// and when that changes. A window is open from each time its cron schedule
// fires (in its time zone) for its duration, half-open: [start, start + d).
// Deny beats allow: inside any deny window a site is closed; when allow
// windows apply to a site, it is open only inside one of them. Pure: the
// instant is an argument, never the system clock.
import { Cron } from 'croner';
import { takeSites } from '../rollout/waves.js';
import type { GatedSite, MaintenanceWindow, WindowKind } from './types.js';

export type WindowState =
  | {
      open: true;
      /** The allow window the site is in now, when allow windows apply to it. */
      inside?: { window: string; until: number };
      /** When the windows next close the site, and which one does. */
      closes?: { at: number; window: string; kind: WindowKind };
    }
  | {
      open: false;
      /** The deny window the site is in, or the first allow window (kind allow: outside every one of them). */
      window: string;
      kind: WindowKind;
      /** When the site is next open (absent: not within a year). */
      until?: number;
    };

/** How far ahead a next change is looked for: a window that opens later than that is "not within a year". */
const HORIZON_MS = 400 * 86_400_000;
/** Bounds on the steps of one search, so a schedule firing every second cannot stall a run. */
const MAX_STEPS = 5000;
/** Overlapping occurrences followed before a window counts as never closing. */
const MAX_CHAIN = 100;

/** The windows that apply to a site, by the rollout's own selector (names, globs, tags; all sites when none). */
export function windowsFor(windows: readonly MaintenanceWindow[], site: GatedSite): MaintenanceWindow[] {
  return windows.filter((w) => takeSites({ sites: w.sites, tags: w.tags }, [site]).length > 0);
}

export function windowState(windows: readonly MaintenanceWindow[], site: GatedSite, now: number): WindowState {
  const ws = windowsFor(windows, site);
  if (ws.length === 0) return { open: true };
  const closedBy = closer(ws, now);
  if (!closedBy) {
    const at = search(ws, now, false);
    const allow = ws.filter((w) => w.kind === 'allow').find((w) => activeUntil(w, now) !== undefined);
    return {
      open: true,
      ...(allow ? { inside: { window: allow.name, until: activeUntil(allow, now)! } } : {}),
      ...(at !== undefined ? { closes: { at, ...closer(ws, at)! } } : {}),
    };
  }
  const until = search(ws, now, true);
  return { open: false, ...closedBy, ...(until !== undefined ? { until } : {}) };
}

/** Why the windows close the site at `t`, or undefined when they let it be touched. */
function closer(ws: readonly MaintenanceWindow[], t: number): { window: string; kind: WindowKind } | undefined {
  const deny = ws.find((w) => w.kind === 'deny' && activeUntil(w, t) !== undefined);
  if (deny) return { window: deny.name, kind: 'deny' };
  const allows = ws.filter((w) => w.kind === 'allow');
  if (allows.length === 0 || allows.some((w) => activeUntil(w, t) !== undefined)) return undefined;
  return { window: allows[0]!.name, kind: 'allow' };
}

/** The first instant after `from` at which the site is open (wantOpen) or closed, within the horizon. */
function search(ws: readonly MaintenanceWindow[], from: number, wantOpen: boolean): number | undefined {
  let t = from;
  for (let i = 0; i < MAX_STEPS; i++) {
    const next = nextBoundary(ws, t);
    if (next === undefined || next > from + HORIZON_MS) return undefined;
    if ((closer(ws, next) === undefined) === wantOpen) return next;
    t = next;
  }
  return undefined;
}

/** The next instant after `t` at which any window starts or ends. */
function nextBoundary(ws: readonly MaintenanceWindow[], t: number): number | undefined {
  let best: number | undefined;
  for (const w of ws) {
    // While a window is open its next starts change nothing: only its end does.
    const b = activeUntil(w, t) ?? cron(w).nextRun(new Date(t))?.getTime();
    if (b !== undefined && b > t && (best === undefined || b < best)) best = b;
  }
  return best;
}

/**
 * When the window that is open at `t` closes (occurrences that start before
 * an earlier one ends run on as one window), or undefined when it is not open.
 */
export function activeUntil(w: MaintenanceWindow, t: number): number | undefined {
  const d = w.durationSeconds * 1000;
  const c = cron(w);
  // The first start after t - d is the only one that can still be open at t.
  const first = c.nextRun(new Date(t - d))?.getTime();
  if (first === undefined || first > t) return undefined;
  let end = first + d;
  // Jump to the last start before the current end: it extends the window furthest.
  for (let i = 0; i < MAX_CHAIN; i++) {
    const last = c.previousRuns(1, new Date(end + 1))[0]?.getTime();
    if (last === undefined || last + d <= end) return end;
    end = last + d;
  }
  // Occurrences that overlap this often in a row (every minute for an hour, say): open for good.
  return t + HORIZON_MS + 1;
}

const compiled = new WeakMap<MaintenanceWindow, Cron>();

function cron(w: MaintenanceWindow): Cron {
  let c = compiled.get(w);
  if (!c) {
    c = new Cron(w.schedule, { timezone: w.timezone, paused: true });
    compiled.set(w, c);
  }
  return c;
}

/** Why a schedule and time zone cannot be used (what windows.yaml reports at its place), or undefined. */
export function scheduleProblem(schedule: string, timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    return `unknown time zone '${timezone}'; expected an IANA time zone such as UTC, Europe/Berlin or America/Chicago`;
  }
  try {
    const next = new Cron(schedule, { timezone, paused: true }).nextRun(new Date(0));
    if (!next) return `cron schedule '${schedule}' never fires`;
  } catch (e) {
    return `invalid cron schedule '${schedule}': ${(e as Error).message.replace(/^CronPattern: /, '')}; expected minute hour day-of-month month day-of-week, such as '0 18 * * 5'`;
  }
  return undefined;
}
