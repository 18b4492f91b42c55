// Which events a rollout's run makes (a pure function of its progress before
// and after the run), that they fit schemas/event.schema.json, and how
// receivers filter them by the sites of the wave.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { wants, type Receiver } from '../../src/notify/config.js';
import { outboxJson, outboxLines } from '../../src/notify/render.js';
import { rolloutEvents } from '../../src/notify/rollout-events.js';
import { recordRollback, recordSite, startRollout, startWave } from '../../src/rollout/progress.js';
import type { PlannedWave, Rollout, SiteRecord } from '../../src/rollout/types.js';
import { repoRoot } from '../helpers/cli.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const W = (name: string, sites: string[], w: Partial<PlannedWave> = {}): PlannedWave => ({
  name,
  sites,
  allowedFailures: 0,
  soakSeconds: 0,
  gate: false,
  onFailure: 'halt',
  ...w,
});
const ok: SiteRecord = { outcome: 'ok', detail: 'changed', at: '' };
const bad = (why: string): SiteRecord => ({ outcome: 'failed', detail: why, at: '' });
const REV = 'f'.repeat(40);

function outcomes(r: Rollout, wave: number, recs: Record<string, SiteRecord>, t = T0): Rollout {
  let x = startWave(r, wave, t);
  for (const [s, rec] of Object.entries(recs)) x = recordSite(x, wave, s, rec, t);
  return x;
}

const validate = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  return ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schemas/event.schema.json'), 'utf8')) as object);
})();

describe('rolloutEvents', () => {
  const start = () => startRollout(REV, [W('canary', ['A']), W('t2', ['B', 'C', 'D'], { allowedFailures: 1 })], T0);

  it('wave.halted once, when the run saw the wave go over its budget, with failures and sites not started', () => {
    const before = outcomes(start(), 0, { A: ok });
    const after = outcomes(before, 1, { B: bad('b broke'), C: bad('c broke') });
    const [e, ...more] = rolloutEvents(before, after, ['v2']);
    expect(more).toEqual([]);
    expect(e).toMatchObject({
      type: 'wave.halted',
      revision: REV,
      tags: ['v2'],
      sites: ['B', 'C', 'D'],
      rollout: {
        wave: 2,
        waveName: 't2',
        allowedFailures: 1,
        failures: [
          { site: 'B', detail: 'b broke' },
          { site: 'C', detail: 'c broke' },
        ],
        notStarted: ['D'],
        untouchedWaves: 0,
      },
    });
    expect(e!.summary).toMatch(/halted at wave 2 \(t2\): 2 of 3 sites failed \(1 allowed\); 1 not started/);
    expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    // The next run finds it halted: nothing new to say.
    expect(rolloutEvents(after, after)).toEqual([]);
  });

  it('with on_failure: rollback, wave.halted waits until the restores are done and says how they went', () => {
    const r0 = startRollout(REV, [W('one', ['A', 'B'], { onFailure: 'rollback' }), W('two', ['C'])], T0);
    const halted = outcomes(r0, 0, { A: bad('x'), B: ok });
    expect(rolloutEvents(r0, halted)).toEqual([]);
    const restored = recordRollback(halted, 0, 'A', { outcome: 'ok', detail: 'rolled back to v1', at: '' });
    const [e] = rolloutEvents(halted, restored);
    expect(e!.rollout.rolledBack).toEqual([{ site: 'A', outcome: 'ok', detail: 'rolled back to v1' }]);
    expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rollout.completed when the last wave finished in this run; a new rollout of another revision is new', () => {
    const before = outcomes(start(), 0, { A: ok });
    const after = outcomes(before, 1, { B: ok, C: bad('c'), D: ok });
    const [e] = rolloutEvents(before, after);
    expect(e).toMatchObject({ type: 'rollout.completed', sites: ['A', 'B', 'C', 'D'] });
    expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    expect(rolloutEvents(after, after)).toEqual([]);
    expect(rolloutEvents(before, before)).toEqual([]);
    const other = outcomes(startRollout('e'.repeat(40), [W('all', ['A'])], T0 + 1000), 0, { A: ok });
    expect(rolloutEvents(after, other).map((x) => x.type)).toEqual(['rollout.completed']);
  });

  it('a receiver gets a wave event when it subscribes to it and names a site or tag of the wave', () => {
    const r = (over: Partial<Receiver>): Receiver => ({
      name: 'r',
      url: 'http://h/',
      secretFile: '/s',
      events: ['wave.halted'],
      timeout: 5,
      ...over,
    });
    const wave = [
      { name: 'B', tags: ['t2'] },
      { name: 'C', tags: [] },
    ];
    expect(wants(r({}), 'wave.halted', wave)).toBe(true);
    expect(wants(r({ sites: ['tag:t2'] }), 'wave.halted', wave)).toBe(true);
    expect(wants(r({ sites: ['C*'] }), 'wave.halted', wave)).toBe(true);
    expect(wants(r({ sites: ['A'] }), 'wave.halted', wave)).toBe(false);
    expect(wants(r({ events: ['rollout.completed'] }), 'wave.halted', wave)).toBe(false);
  });

  it('status names an undelivered wave event by its wave and rollout', () => {
    const before = outcomes(start(), 0, { A: ok });
    const [e] = rolloutEvents(before, outcomes(before, 1, { B: bad('b'), C: bad('c') }));
    const receiver = { name: 'ops', url: 'https://u:p@hooks.example/x?token=t', secretFile: '/s', timeout: 5 };
    const o = { waiting: 0, undelivered: [{ event: e!, receiver, attempts: 5, lastError: 'ECONNREFUSED' }] };
    expect(outboxLines(o)).toEqual([
      '',
      'Notifications: 0 being sent, 1 undelivered',
      '  UNDELIVERED wave.halted wave 2 (t2) of the rollout of ffffffffffff to ops (https://hooks.example/x) after 5 attempts: ECONNREFUSED',
    ]);
    expect(outboxJson(o).undelivered).toMatchObject([{ type: 'wave.halted', revision: REV, wave: 2, receiver: 'ops' }]);
  });
});
