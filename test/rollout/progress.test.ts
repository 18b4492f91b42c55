// The next step of a rollout from its recorded progress and the clock, and
// the rule for a revision pushed mid-rollout: tables over real values, no
// mocks (the clock is a number).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rolloutLines, summarizeRollout } from '../../src/rollout/describe.js';
import { nextStep, promote, recordRollback, recordSite, startRollout, startWave } from '../../src/rollout/progress.js';
import { decideRevision } from '../../src/rollout/revision.js';
import type { PlannedWave, Rollout, SiteRecord } from '../../src/rollout/types.js';
import { rolloutMetrics } from '../../src/report/rollout-metrics.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const S = 1000;
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

/** Run a wave to its end with these outcomes, at time t. */
function runWave(r: Rollout, wave: number, outcomes: Record<string, SiteRecord>, t: number): Rollout {
  let x = startWave(r, wave, t);
  for (const [site, rec] of Object.entries(outcomes)) x = recordSite(x, wave, site, rec, t);
  return x;
}

const rollout = () =>
  startRollout(
    'a'.repeat(40),
    [
      W('canary', ['A'], { soakSeconds: 60 }),
      W('t2', ['B', 'C', 'D'], { allowedFailures: 1, gate: true }),
      W('rest', ['E']),
    ],
    T0,
  );

describe('nextStep', () => {
  it('walks the waves: run, soak, gate, run, complete', () => {
    let r = rollout();
    expect(nextStep(r, T0)).toEqual({ kind: 'run-wave', wave: 0, sites: ['A'] });
    r = runWave(r, 0, { A: ok }, T0 + 5 * S);
    expect(nextStep(r, T0 + 10 * S)).toEqual({ kind: 'soak', wave: 1, until: new Date(T0 + 65 * S).toISOString() });
    // The soak is never skipped, and the gate is still shut after it.
    expect(nextStep(r, T0 + 65 * S)).toEqual({ kind: 'gate', wave: 1 });
    const p = promote(r, T0 + 70 * S);
    if ('error' in p) throw new Error(p.error);
    expect(p.wave).toBe(1);
    r = p.rollout;
    expect(nextStep(r, T0 + 70 * S)).toEqual({ kind: 'run-wave', wave: 1, sites: ['B', 'C', 'D'] });
    r = runWave(r, 1, { B: ok, C: bad('check failed'), D: ok }, T0 + 80 * S);
    expect(r.status).toBe('running');
    expect(nextStep(r, T0 + 80 * S)).toEqual({ kind: 'run-wave', wave: 2, sites: ['E'] });
    r = runWave(r, 2, { E: ok }, T0 + 90 * S);
    expect(r.status).toBe('completed');
    expect(nextStep(r, T0 + 90 * S)).toEqual({ kind: 'completed' });
  });

  it('a promotion given during the soak still waits out the soak', () => {
    let r = runWave(rollout(), 0, { A: ok }, T0);
    const p = promote(r, T0 + S);
    if ('error' in p) throw new Error(p.error);
    r = p.rollout;
    expect(nextStep(r, T0 + 30 * S).kind).toBe('soak');
    expect(nextStep(r, T0 + 60 * S).kind).toBe('run-wave');
  });

  it('a wave cut short (a killed controller) resumes with the sites that have no outcome yet, not the earlier wave', () => {
    let r = (promote(runWave(rollout(), 0, { A: ok }, T0), T0) as { rollout: Rollout }).rollout;
    r = startWave(r, 1, T0 + 61 * S);
    r = recordSite(r, 1, 'C', ok, T0 + 62 * S);
    // Started: neither soak nor gate applies again.
    expect(nextStep(r, T0 + 61 * S)).toEqual({ kind: 'run-wave', wave: 1, sites: ['B', 'D'] });
  });

  it('over budget halts at that wave, with the failures in wave order; later waves untouched', () => {
    let r = (promote(runWave(rollout(), 0, { A: ok }, T0), T0) as { rollout: Rollout }).rollout;
    r = runWave(r, 1, { D: bad('d broke'), B: bad('b broke'), C: ok }, T0 + 61 * S);
    expect(r).toMatchObject({ status: 'halted', haltedAt: 1 });
    expect(nextStep(r, T0 + 99 * S)).toEqual({
      kind: 'halted',
      wave: 1,
      failures: [
        { site: 'B', detail: 'b broke' },
        { site: 'D', detail: 'd broke' },
      ],
    });
    const s = summarizeRollout(r, T0 + 99 * S);
    expect(s.waves.map((w) => w.state)).toEqual(['done', 'halted', 'untouched']);
    expect(rolloutLines(s)).toEqual([
      'Rollout of aaaaaaaaaaaa halted at wave 2 (t2): 2 of 3 sites failed (1 allowed); 1 later wave untouched',
      '  B: b broke',
      '  D: d broke',
    ]);
    expect(rolloutMetrics(s)).toContain('vo_reconcile_rollout_halted{revision="aaaaaaaaaaaa",wave="2"} 1');
    expect(rolloutMetrics(s)).toContain('vo_reconcile_rollout_failed_site{site="B",wave="2"} 1');
  });

  it('halts as soon as the budget is exceeded: sites of the wave still without an outcome are not started', () => {
    let r = (promote(runWave(rollout(), 0, { A: ok }, T0), T0) as { rollout: Rollout }).rollout;
    r = runWave(r, 1, { B: bad('b broke') }, T0 + 61 * S);
    expect(r.status).toBe('running');
    expect(nextStep(r, T0 + 61 * S)).toEqual({ kind: 'run-wave', wave: 1, sites: ['C', 'D'] });
    r = recordSite(r, 1, 'D', bad('d broke'), T0 + 62 * S);
    expect(r).toMatchObject({ status: 'halted', haltedAt: 1 });
    // C is never run, not by this controller nor by the next.
    expect(nextStep(r, T0 + 99 * S).kind).toBe('halted');
    const s = summarizeRollout(r, T0 + 99 * S);
    expect(s.notStarted).toEqual(['C']);
    expect(rolloutLines(s)).toEqual([
      'Rollout of aaaaaaaaaaaa halted at wave 2 (t2): 2 of 3 sites failed (1 allowed); 1 not started; 1 later wave untouched',
      '  B: b broke',
      '  D: d broke',
      '  not started (left as they are): C',
    ]);
    // A site that was still running when the wave halted keeps its outcome.
    const late = recordSite(r, 1, 'C', ok, T0 + 63 * S);
    expect(late.status).toBe('halted');
    expect(summarizeRollout(late, T0 + 99 * S).notStarted).toBeUndefined();
  });

  it('with on_failure: rollback, a halted wave restores its failed sites before it rests', () => {
    const r0 = startRollout('b'.repeat(40), [W('one', ['A', 'B'], { onFailure: 'rollback' }), W('two', ['C'])], T0);
    let r = runWave(r0, 0, { A: bad('x'), B: ok }, T0);
    expect(nextStep(r, T0)).toEqual({ kind: 'rollback', wave: 0, sites: ['A'] });
    expect(decideRevision(r, 'c'.repeat(40), T0)).toEqual({ action: 'continue', waiting: 'c'.repeat(40) });
    r = recordRollback(r, 0, 'A', { outcome: 'ok', detail: 'rolled back to v1', at: '' });
    expect(nextStep(r, T0).kind).toBe('halted');
    expect(summarizeRollout(r, T0).headline).toMatch(/1 of 1 rolled back; 1 later wave untouched$/);
  });

  it('a wave with no sites ends as it starts', () => {
    const r = startWave(startRollout('d'.repeat(40), [W('none', []), W('all', ['A'])], T0), 0, T0);
    expect(nextStep(r, T0)).toEqual({ kind: 'run-wave', wave: 1, sites: ['A'] });
  });

  it('refuses a promotion nothing waits for', () => {
    const r = startRollout('e'.repeat(40), [W('one', ['A'])], T0);
    expect(promote(r, T0)).toEqual({ error: 'no wave of the rollout of eeeeeeeeeeee waits for promotion' });
  });

  it('never runs a site twice, nor a wave before the one before it has finished (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), (fails) => {
        const names = fails.map((_, i) => `S${i}`);
        const thirds = [names.slice(0, 2), names.slice(2, 6), names.slice(6)];
        let r = startRollout(
          'f'.repeat(40),
          thirds.map((s, i) => W(`w${i}`, s, { allowedFailures: 1 })),
          T0,
        );
        const ran: string[] = [];
        for (let t = T0; ; t += S) {
          const step = nextStep(r, t);
          if (step.kind !== 'run-wave') break;
          expect(r.progress.slice(0, step.wave).every((p) => p.finishedAt)).toBe(true);
          r = startWave(r, step.wave, t);
          const [first] = step.sites;
          if (first === undefined) continue;
          ran.push(first);
          r = recordSite(r, step.wave, first, fails[names.indexOf(first)] ? bad('x') : ok, t);
        }
        expect(new Set(ran).size).toBe(ran.length);
      }),
    );
  });
});

describe('a revision pushed mid-rollout', () => {
  const head = 'c'.repeat(40);
  it.each([
    ['no rollout yet', undefined, { action: 'start' }],
    ['the same revision', rollout(), { action: 'continue' }],
    ['a running rollout of another revision', rollout(), { action: 'continue', waiting: head }],
  ] as const)('%s', (what, r, want) => {
    const current = r && what === 'the same revision' ? { ...r, revision: head } : r;
    expect(decideRevision(current, head, T0)).toEqual(want);
  });

  it('starts a new rollout once the current one has halted or completed', () => {
    const halted = runWave(rollout(), 0, { A: bad('x') }, T0);
    expect(halted.status).toBe('halted');
    expect(decideRevision(halted, head, T0)).toEqual({ action: 'start' });
    const done = runWave(startRollout('a'.repeat(40), [W('one', ['A'])], T0), 0, { A: ok }, T0);
    expect(decideRevision(done, head, T0)).toEqual({ action: 'start' });
  });
});
