// Windows and downtimes enforced at submission, end to end on emulated
// sites with an injected clock: a site in a GOCDB outage is deferred (not
// failed) and reached by a run after the outage ends; a deny window that
// opens mid-run stops further submissions while the job already submitted
// runs to its end; a WARNING downtime lets the site run, noted in the journal.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import type { ResolvedSite } from '../../src/desired/types.js';
import { applySites } from '../../src/run/apply.js';
import type { SiteEvent } from '../../src/run/context.js';
import { parseGocdbDowntimes } from '../../src/windows/gocdb.js';
import type { GateInput } from '../../src/windows/gate.js';
import type { MaintenanceWindow } from '../../src/windows/types.js';
import { bin } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { FIXTURE, T0 } from '../windows/fixture.js';

const H = 3600_000;
const installed = (f: Fleet, site: string) => readdirSync(f.sites[site]!.dbdir).filter((n) => !n.startsWith('.'));

async function fleet(names: string[]): Promise<{ f: Fleet; sites: ResolvedSite[] }> {
  const f = makeFleet(names, 'packages:\n  - foo-1.4\n');
  const observed = await bin(['observe', '--desired', f.desired, '--state', f.state]);
  expect(observed.code, observed.stderr).toBe(0);
  const desired = await loadDesiredState({ dir: f.desired });
  return { f, sites: desired.sites };
}

function runner(f: Fleet, gate: GateInput, clock: { t: number }, onEvent: (e: SiteEvent) => void = () => {}) {
  const events: SiteEvent[] = [];
  return {
    events,
    run: (sites: ResolvedSite[]) =>
      applySites(sites, {
        stateDir: f.state,
        revision: 'test',
        tags: [],
        concurrency: 1,
        dryRun: false,
        pollMs: 50,
        gate,
        clock: { now: () => clock.t },
        emit: (e) => {
          events.push(e);
          onEvent(e);
        },
      }),
  };
}

describe('windows and downtimes at submission', () => {
  it('defers a site in a GOCDB outage and reaches it once the outage has ended', { timeout: 120_000 }, async () => {
    const { f, sites } = await fleet(['A', 'B']);
    const parsed = parseGocdbDowntimes(readFileSync(FIXTURE, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error);
    // A is DESY-HH in GOCDB (OUTAGE 35101 until 18:00); B is UKI-LT2-QMUL (WARNING 35102).
    const named = sites.map((s) => ({ ...s, gocdb_name: s.name === 'A' ? 'DESY-HH' : 'UKI-LT2-QMUL' }));
    const clock = { t: T0 };
    const r = runner(f, { windows: [], downtimes: parsed.downtimes }, clock);

    const first = await r.run(named);
    expect(first.find((x) => x.site === 'A')).toEqual({
      site: 'A',
      status: 'deferred',
      detail:
        'in scheduled downtime until 2026-03-10T18:00:00Z (GOCDB 35101: dCache upgrade to 9.2 & CE reinstallation)',
      until: '2026-03-10T18:00:00Z',
    });
    expect(first.find((x) => x.site === 'B')?.status).toBe('changed');
    expect(installed(f, 'A')).toEqual([]);
    expect(installed(f, 'B')).toEqual(['foo-1.4']);
    expect(r.events.some((e) => e.site === 'A' && e.kind === 'submitted')).toBe(false);
    expect(r.events).toContainEqual({
      site: 'B',
      kind: 'planned',
      detail: 'note: GOCDB 35102 WARNING until 2026-03-10T15:00:00Z: At risk: core router firmware upgrade',
    });
    const journal = readFileSync(path.join(f.state, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean);
    const begins = journal.map((l) => JSON.parse(l) as { type: string; site: string; kind?: string; notes?: string[] });
    expect(begins.find((b) => b.type === 'begin' && b.site === 'B' && b.notes)?.notes).toEqual([
      'GOCDB 35102 WARNING until 2026-03-10T15:00:00Z: At risk: core router firmware upgrade',
    ]);
    expect(begins.some((b) => b.site === 'A' && b.type === 'begin' && b.kind === 'apply')).toBe(false);

    clock.t = T0 + 6 * H; // 18:00: the outage is over
    const second = await r.run(named);
    expect(second.map((x) => [x.site, x.status])).toEqual([
      ['A', 'changed'],
      ['B', 'in-sync'],
    ]);
    expect(installed(f, 'A')).toEqual(['foo-1.4']);
  });

  it(
    'a deny window opening mid-run stops further submissions; the submitted job runs to its end',
    { timeout: 120_000 },
    async () => {
      const { f, sites } = await fleet(['A', 'B', 'C']);
      const freeze: MaintenanceWindow = {
        name: 'freeze',
        kind: 'deny',
        schedule: '0 13 * * *',
        durationSeconds: 2 * 3600,
        timezone: 'UTC',
        sites: [],
        tags: [],
        location: { file: 'windows.yaml' },
      };
      const clock = { t: T0 + 0.5 * H };
      // The window opens while the first job is at its site. Which site that
      // is depends on which was planned first (two are readied per job slot).
      let firstOut: string | undefined;
      const r = runner(f, { windows: [freeze], downtimes: [] }, clock, (e) => {
        if (e.kind === 'submitted' && firstOut === undefined) {
          firstOut = e.site;
          clock.t = T0 + 1 * H;
        }
      });
      const first = await r.run(sites);
      expect(firstOut).toBeDefined();
      const others = ['A', 'B', 'C'].filter((n) => n !== firstOut);
      expect(first.map((x) => [x.site, x.status])).toEqual(
        ['A', 'B', 'C'].map((n) => [n, n === firstOut ? 'changed' : 'deferred']),
      );
      for (const x of first.filter((x) => x.site !== firstOut))
        expect(x.detail).toBe("in deny window 'freeze' until 2026-03-10T15:00:00Z");
      expect(installed(f, firstOut!)).toEqual(['foo-1.4']);
      for (const n of others) expect(installed(f, n)).toEqual([]);
      expect(r.events.filter((e) => e.kind === 'submitted').map((e) => e.site)).toEqual([firstOut]);

      clock.t = T0 + 3 * H; // 15:00: the window has closed
      const second = await r.run(sites);
      expect(second.map((x) => [x.site, x.status])).toEqual(
        ['A', 'B', 'C'].map((n) => [n, n === firstOut ? 'in-sync' : 'changed']),
      );
    },
  );
});
