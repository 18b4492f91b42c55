// The report history: exclusive by (timestamp, nonce), read back in order,
// and a corrupt record named rather than crashing status.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageChanges } from '../../src/observed/inventory-diff.js';
import { lastReports, storeReport, type ReportRecord } from '../../src/observed/report-history.js';
import { tempDir } from '../helpers/tmp.js';

const record = (reportedAt: string, nonce: string, packages: string[]): ReportRecord => ({
  site: 'S',
  reportedAt,
  receivedAt: reportedAt,
  nonce,
  remote: '127.0.0.1',
  packages,
  automatic: [],
});

describe('report history', () => {
  it('stores a (timestamp, nonce) once and keeps the first', async () => {
    const state = tempDir();
    expect((await storeReport(state, record('2026-01-02T03:04:05.000Z', 'nonce-aaaaaaaaaaaa', ['a-1']))).stored).toBe(
      true,
    );
    const again = await storeReport(state, record('2026-01-02T03:04:05.000Z', 'nonce-aaaaaaaaaaaa', ['b-1']));
    expect(again).toMatchObject({
      stored: false,
      file: path.join(state, 'reports', 'S', '20260102T030405Z-nonce-aaaaaaaaaaaa.json'),
    });
    expect(JSON.parse(readFileSync(again.file, 'utf8')).packages).toEqual(['a-1']);
    expect(readdirSync(path.join(state, 'reports', 'S'))).toEqual(['20260102T030405Z-nonce-aaaaaaaaaaaa.json']);
  });

  it('orders reports of one second by their full timestamps, not by their nonces', async () => {
    const state = tempDir();
    for (const [at, n] of [
      ['2026-01-01T00:00:00.900Z', 'a'],
      ['2026-01-01T00:00:01.100Z', 'z'],
      ['2026-01-01T00:00:01.700Z', 'b'],
      ['2026-01-01T00:00:01.300Z', 'y'],
    ] as const) {
      await storeReport(state, record(at, `${n}`.repeat(16), [`${n}-1`]));
    }
    expect((await lastReports(state, 'S', 2)).reports.map((r) => r.packages[0])).toEqual(['y-1', 'b-1']);
    expect((await lastReports(state, 'S', 3)).reports.map((r) => r.packages[0])).toEqual(['z-1', 'y-1', 'b-1']);
    expect((await lastReports(state, 'S', 9)).reports.map((r) => r.packages[0])).toEqual(['a-1', 'z-1', 'y-1', 'b-1']);
  });

  it('reads the last reports oldest first, and names a corrupt one', async () => {
    const state = tempDir();
    for (const [at, n] of [
      ['2026-01-03T00:00:00.000Z', 'c'],
      ['2026-01-01T00:00:00.000Z', 'a'],
      ['2026-01-02T00:00:00.000Z', 'b'],
    ] as const) {
      await storeReport(state, record(at, `${n}`.repeat(16), [`${n}-1`]));
    }
    const { count, reports } = await lastReports(state, 'S', 2);
    expect([count, reports.map((r) => r.packages[0])]).toEqual([3, ['b-1', 'c-1']]);
    const file = path.join(state, 'reports', 'S', '20260103T000000Z-cccccccccccccccc.json');
    writeFileSync(file, '{"site":');
    await expect(lastReports(state, 'S', 2)).rejects.toThrow(`${file}:1: corrupt report record`);
    expect(await lastReports(state, 'NEVER', 2)).toEqual({ count: 0, reports: [] });
  });

  it('diffs package lists by name: added, removed, changed version', () => {
    expect(
      packageChanges(['py311-foo-1.0', 'bar-2.0nb1', 'gone-1'], ['py311-foo-1.1', 'bar-2.0nb1', 'new-0.1', 'a.b-3']),
    ).toEqual({
      added: ['a.b-3', 'new-0.1'],
      removed: ['gone-1'],
      changed: [{ name: 'py311-foo', from: '1.0', to: '1.1' }],
    });
  });
});
