// The GOCDB get_downtime fixture (test/fixtures/gocdb/get_downtime.xml, in
// the public format) and the instant it is written around.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURE = fileURLToPath(new URL('../fixtures/gocdb/get_downtime.xml', import.meta.url));
/** 2026-03-10 12:00 UTC: DESY-HH is in OUTAGE 35101 until 18:00, UKI-LT2-QMUL in WARNING 35102 until 15:00. */
export const T0 = Date.parse('2026-03-10T12:00:00Z');

/** The fixture with every unix time moved by `shiftMs` (rounded to seconds): the same downtimes around another instant. */
export function fixtureAround(t: number): string {
  const shift = Math.round((t - T0) / 1000);
  return readFileSync(FIXTURE, 'utf8').replace(
    /<(START_DATE|END_DATE|INSERT_DATE)>([0-9]+)</g,
    (_, tag: string, v: string) => `<${tag}>${Number(v) + shift}<`,
  );
}
