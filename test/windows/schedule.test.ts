// Maintenance windows as a pure function of (windows, site, instant): deny
// beats allow, allow windows confine a site, time zones and DST are the
// cron library's, and the next change is where the state really changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activeUntil, scheduleProblem, windowState, windowsFor } from '../../src/windows/schedule.js';
import { siteGate } from '../../src/windows/gate.js';
import type { GatedSite, MaintenanceWindow } from '../../src/windows/types.js';

const at = (s: string) => Date.parse(s);
const site = (name: string, tags: string[] = []): GatedSite => ({ name, tags, backend: 'local' });
function win(
  over: Partial<MaintenanceWindow> & Pick<MaintenanceWindow, 'name' | 'kind' | 'schedule'>,
): MaintenanceWindow {
  return { durationSeconds: 3600, timezone: 'UTC', sites: [], tags: [], location: { file: 'windows.yaml' }, ...over };
}

// Fridays 18:00 Berlin for 62 h: the weekend freeze.
const freeze = win({
  name: 'weekend-freeze',
  kind: 'deny',
  schedule: '0 18 * * 5',
  durationSeconds: 62 * 3600,
  timezone: 'Europe/Berlin',
  tags: ['t2'],
});
// Weekdays 08:00-18:00 London.
const office = win({
  name: 'office-hours',
  kind: 'allow',
  schedule: '0 8 * * 1-5',
  durationSeconds: 10 * 3600,
  timezone: 'Europe/London',
  sites: ['UKI-*'],
});

describe('windowState', () => {
  it.each([
    // 2026-03-13 is a Friday; Berlin is UTC+1 in March (before the 29th).
    ['DESY-HH', ['t2'], '2026-03-13T16:59:59Z', true],
    ['DESY-HH', ['t2'], '2026-03-13T17:00:00Z', false],
    ['DESY-HH', ['t2'], '2026-03-16T06:59:59Z', false],
    ['DESY-HH', ['t2'], '2026-03-16T07:00:00Z', true],
    ['DESY-HH', [], '2026-03-14T12:00:00Z', true], // not tagged t2: the freeze is not its
    // London is UTC+0 until 2026-03-29, UTC+1 after: the window follows the wall clock.
    ['UKI-LT2-QMUL', [], '2026-03-10T07:59:00Z', false],
    ['UKI-LT2-QMUL', [], '2026-03-10T08:00:00Z', true],
    ['UKI-LT2-QMUL', [], '2026-03-31T07:30:00Z', true],
    ['UKI-LT2-QMUL', [], '2026-03-31T17:30:00Z', false],
    ['UKI-LT2-QMUL', [], '2026-03-14T12:00:00Z', false], // Saturday: outside every allow window
  ])('%s %j at %s: open %s', (name, tags, t, open) => {
    expect(windowState([freeze, office], site(name, tags), at(t)).open).toBe(open);
  });

  it('deny beats allow: a site inside both is closed, until the deny window ends', () => {
    const both = site('UKI-LT2-QMUL', ['t2']);
    const s = windowState([freeze, office], both, at('2026-03-13T17:30:00Z'));
    expect(s).toEqual({ open: false, window: 'weekend-freeze', kind: 'deny', until: at('2026-03-16T08:00:00Z') });
  });

  it('says when an open site closes next, and which window closes it', () => {
    expect(windowState([freeze], site('A', ['t2']), at('2026-03-10T12:00:00Z'))).toEqual({
      open: true,
      closes: { at: at('2026-03-13T17:00:00Z'), window: 'weekend-freeze', kind: 'deny' },
    });
    expect(windowState([office], site('UKI-X'), at('2026-03-10T12:00:00Z'))).toEqual({
      open: true,
      inside: { window: 'office-hours', until: at('2026-03-10T18:00:00Z') },
      closes: { at: at('2026-03-10T18:00:00Z'), window: 'office-hours', kind: 'allow' },
    });
  });

  it('runs overlapping occurrences on as one window', () => {
    // 09:00 for 90 minutes and 10:00 for 90 minutes: one window, 09:00 to 11:30.
    const twice = win({ name: 'h', kind: 'deny', schedule: '0 9,10 * * *', durationSeconds: 5400 });
    expect(activeUntil(twice, at('2026-03-10T09:10:00Z'))).toBe(at('2026-03-10T11:30:00Z'));
    expect(windowState([twice], site('A'), at('2026-03-10T09:10:00Z'))).toMatchObject({
      open: false,
      until: at('2026-03-10T11:30:00Z'),
    });
    expect(activeUntil(twice, at('2026-03-10T11:30:00Z'))).toBeUndefined();
  });

  it('selects sites with the rollout selector: names, globs, tags, or all', () => {
    const ws = [
      win({ name: 'a', kind: 'deny', schedule: '0 0 * * *', sites: ['DESY-*'] }),
      win({ name: 'b', kind: 'deny', schedule: '0 0 * * *', tags: ['uk'] }),
      win({ name: 'c', kind: 'deny', schedule: '0 0 * * *' }),
    ];
    expect(windowsFor(ws, site('DESY-ZN')).map((w) => w.name)).toEqual(['a', 'c']);
    expect(windowsFor(ws, site('RAL', ['uk'])).map((w) => w.name)).toEqual(['b', 'c']);
  });

  it('the next change it names is a real change, and nothing changes before it', () => {
    const ws = [
      freeze,
      office,
      win({ name: 'patch', kind: 'deny', schedule: '30 2 * * 2', durationSeconds: 7200, timezone: 'America/Chicago' }),
    ];
    const s = site('UKI-A', ['t2']);
    fc.assert(
      fc.property(fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-01-01T00:00:00Z') }), (t0) => {
        const t = Math.floor(t0 / 1000) * 1000;
        const now = windowState(ws, s, t);
        const next = now.open ? now.closes?.at : now.until;
        if (next === undefined) return;
        expect(windowState(ws, s, next).open).toBe(!now.open);
        // Sampled instants between: the same state.
        for (let k = 1; k < 8; k++) {
          const mid = t + Math.floor(((next - t) * k) / 8);
          if (mid < next) expect(windowState(ws, s, mid).open).toBe(now.open);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('scheduleProblem', () => {
  it('accepts a cron expression and an IANA zone, and says what is wrong otherwise', () => {
    expect(scheduleProblem('0 18 * * 5', 'Europe/Berlin')).toBeUndefined();
    expect(scheduleProblem('61 * * * *', 'UTC')).toMatch(/^invalid cron schedule '61 \* \* \* \*': .*minute/);
    expect(scheduleProblem('0 0 31 2 *', 'UTC')).toMatch(/never fires/);
    expect(scheduleProblem('0 0 * * *', 'Mars/Olympus')).toMatch(/^unknown time zone 'Mars\/Olympus'/);
  });
});

describe('siteGate over windows', () => {
  it('words a deny window and an allow window the same way everywhere', () => {
    const g = siteGate({ windows: [freeze], downtimes: [] }, site('A', ['t2']), at('2026-03-14T00:00:00Z'));
    expect(g).toMatchObject({
      open: false,
      reason: "in deny window 'weekend-freeze' until 2026-03-16T07:00:00Z",
      until: '2026-03-16T07:00:00Z',
    });
    const o = siteGate({ windows: [office], downtimes: [] }, site('UKI-A'), at('2026-03-14T00:00:00Z'));
    expect(o).toMatchObject({
      open: false,
      reason: "outside its allow windows ('office-hours') until 2026-03-16T08:00:00Z",
    });
  });
});
