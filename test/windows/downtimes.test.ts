// GOCDB get_downtime XML (a fixture in the public format) → downtimes, and
// what they mean for a site at an instant: an ongoing OUTAGE defers it with
// the downtime's end, ID and description; a WARNING lets it run, noted.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGocdbDowntimes } from '../../src/windows/gocdb.js';
import { ceHost, downtimesFor } from '../../src/windows/downtimes.js';
import { describeGate, siteGate } from '../../src/windows/gate.js';
import type { Downtime, GatedSite } from '../../src/windows/types.js';
import { FIXTURE, T0 } from './fixture.js';

const H = 3600_000;

function fixture(): Downtime[] {
  const r = parseGocdbDowntimes(readFileSync(FIXTURE, 'utf8'));
  if (!r.ok) throw new Error(r.error);
  return r.downtimes;
}
const desy: GatedSite = { name: 'DESY-HH', tags: [], backend: 'local' };
const qmul: GatedSite = { name: 'QMUL', gocdb_name: 'UKI-LT2-QMUL', tags: [], backend: 'local' };
const byHost: GatedSite = { name: 'EX', tags: [], backend: 'arc', endpoint: 'https://CE01.example.org:443/arex' };

describe('parseGocdbDowntimes', () => {
  it('reads every DOWNTIME element of the public format', () => {
    const ds = fixture();
    expect(ds).toHaveLength(6);
    expect(ds[0]).toEqual({
      id: '35101',
      primaryKey: '135101G0',
      classification: 'SCHEDULED',
      severity: 'OUTAGE',
      description: 'dCache upgrade to 9.2 & CE reinstallation',
      start: T0 - 2 * H,
      end: T0 + 6 * H,
      site: 'DESY-HH',
      hostname: 'grid-arcce0.desy.de',
      serviceType: 'org.nordugrid.arex',
      endpoint: 'grid-arcce0.desy.deorg.nordugrid.arex',
    });
  });

  it('takes SITENAME for a site-level downtime, and skips what it cannot use with the reason', () => {
    const xml = `<?xml version="1.0"?><ROOT>
      <DOWNTIME ID="1" PRIMARY_KEY="1G0" CLASSIFICATION="SCHEDULED"><SITENAME>GRISU-ENEA-GRID</SITENAME><SEVERITY>OUTAGE</SEVERITY>
        <DESCRIPTION>Software problems</DESCRIPTION><START_DATE>1276360500</START_DATE><END_DATE>1276878660</END_DATE></DOWNTIME>
      <DOWNTIME ID="2"><SITENAME>X</SITENAME><SEVERITY>AT_RISK</SEVERITY><START_DATE>1</START_DATE><END_DATE>2</END_DATE></DOWNTIME>
      <DOWNTIME ID="3"><SITENAME>X</SITENAME><SEVERITY>OUTAGE</SEVERITY><START_DATE>2026-01-01</START_DATE><END_DATE>2</END_DATE></DOWNTIME>
    </ROOT>`;
    const r = parseGocdbDowntimes(xml);
    expect(r).toMatchObject({
      ok: true,
      downtimes: [{ id: '1', site: 'GRISU-ENEA-GRID', start: 1276360500_000 }],
      skipped: [
        "DOWNTIME #2: downtime 2: SEVERITY 'AT_RISK' is neither OUTAGE nor WARNING",
        'DOWNTIME #3: downtime 3: START_DATE and END_DATE must be unix seconds',
      ],
    });
  });

  it('refuses what is not XML, and an error answer, with the reason', () => {
    expect(parseGocdbDowntimes('<results><DOWNTIME ID="1"></results>')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^not XML: .*\(line 1\)$/),
    });
    expect(parseGocdbDowntimes('<results><error>Unknown method</error></results>')).toEqual({
      ok: false,
      error: 'GOCDB answered with an error: Unknown method',
    });
    expect(parseGocdbDowntimes('<results/>')).toEqual({ ok: true, downtimes: [], skipped: [] });
  });
});

describe('downtimes for a site', () => {
  it('match by GOCDB site name (gocdb_name, default the name) or by the CE host of an ARC site', () => {
    const ds = fixture();
    expect(new Set(downtimesFor(ds, desy).map((d) => d.id))).toEqual(new Set(['35101', '35099']));
    expect(downtimesFor(ds, qmul).map((d) => d.id)).toEqual(['35102', '35103']);
    expect(downtimesFor(ds, byHost).map((d) => d.id)).toEqual(['35104']);
    expect(downtimesFor(ds, { ...byHost, backend: 'slurm', endpoint: 'ce01.example.org' })).toEqual([]);
    expect(ceHost({ backend: 'arc', endpoint: 'ce01.example.org:2811/jobs' })).toBe('ce01.example.org');
  });

  it('an ongoing OUTAGE defers the site until it ends, naming the downtime', () => {
    const g = siteGate({ windows: [], downtimes: fixture() }, desy, T0);
    expect(g).toEqual({
      open: false,
      reason:
        'in scheduled downtime until 2026-03-10T18:00:00Z (GOCDB 35101: dCache upgrade to 9.2 & CE reinstallation)',
      until: '2026-03-10T18:00:00Z',
      by: { kind: 'downtime', id: '35101' },
      notes: [],
    });
    expect(siteGate({ windows: [], downtimes: fixture() }, desy, T0 + 6 * H).open).toBe(true);
    expect(siteGate({ windows: [], downtimes: fixture() }, byHost, T0).open).toBe(false);
  });

  it('a WARNING lets the site run, noted once per downtime; the next outage is announced', () => {
    const g = siteGate({ windows: [], downtimes: fixture() }, qmul, T0);
    expect(g).toEqual({
      open: true,
      notes: ['GOCDB 35102 WARNING until 2026-03-10T15:00:00Z: At risk: core router firmware upgrade'],
      next: { at: '2026-03-11T12:00:00Z', what: 'GOCDB 35103 OUTAGE: Storage migration' },
    });
    expect(describeGate(g)).toBe(
      'open; next: GOCDB 35103 OUTAGE: Storage migration from 2026-03-11T12:00:00Z; GOCDB 35102 WARNING until 2026-03-10T15:00:00Z: At risk: core router firmware upgrade',
    );
  });

  it('outages that touch run on as one, and a deny window after them keeps the site closed', () => {
    const base = fixture()[0]!;
    const next = { ...base, id: '9', start: base.end, end: base.end + 2 * H };
    const g = siteGate({ windows: [], downtimes: [base, next] }, desy, T0);
    expect(g).toMatchObject({ open: false, until: '2026-03-10T20:00:00Z' });
    const evening = {
      name: 'evening',
      kind: 'deny' as const,
      schedule: '0 20 * * *',
      durationSeconds: 3 * 3600,
      timezone: 'UTC',
      sites: [],
      tags: [],
      location: { file: 'w' },
    };
    expect(siteGate({ windows: [evening], downtimes: [base, next] }, desy, T0)).toMatchObject({
      open: false,
      reason: expect.stringMatching(/^in scheduled downtime until 2026-03-10T20:00:00Z \(GOCDB 35101/),
      until: '2026-03-10T23:00:00Z',
    });
  });
});
