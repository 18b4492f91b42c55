// A rollout's next step, given its recorded progress and the clock, and the
// transitions that record what happened. Pure: the caller (src/run/rollout.ts)
// carries a step out, records its outcome here, and writes the result to
// state/rollout/progress.json before the next step, so a controller killed at any
// point resumes from the last recorded step (a finished wave is never run
// again; a soak or gate is never skipped).
import { overBudget } from './waves.js';
import { ROLLOUT_FORMAT, type PlannedWave, type Rollout, type SiteRecord, type WaveProgress } from './types.js';

export interface Failure {
  site: string;
  detail: string;
}

export type Step =
  /** Run these sites of the wave (those without a recorded outcome yet). */
  | { kind: 'run-wave'; wave: number; sites: string[] }
  /** The previous wave soaks: the wave waits until then. */
  | { kind: 'soak'; wave: number; until: string }
  /** The wave waits for `reconcile promote`. */
  | { kind: 'gate'; wave: number }
  /** The halted wave's failed sites still to restore (on_failure: rollback). */
  | { kind: 'rollback'; wave: number; sites: string[] }
  | { kind: 'halted'; wave: number; failures: Failure[] }
  | { kind: 'completed' };

export function startRollout(revision: string, waves: PlannedWave[], now: number): Rollout {
  return {
    format: ROLLOUT_FORMAT,
    revision,
    startedAt: iso(now),
    waves,
    progress: waves.map(() => ({ sites: {} })),
    status: 'running',
  };
}

export function nextStep(r: Rollout, now: number): Step {
  if (r.status === 'completed') return { kind: 'completed' };
  if (r.status === 'halted') {
    const wave = r.haltedAt!;
    const pending = unrestored(r, wave);
    if (pending.length > 0) return { kind: 'rollback', wave, sites: pending };
    return { kind: 'halted', wave, failures: failures(r, wave) };
  }
  const wave = r.progress.findIndex((p) => p.finishedAt === undefined);
  if (wave === -1) return { kind: 'completed' };
  const p = r.progress[wave]!;
  if (p.startedAt === undefined) {
    const prev = wave > 0 ? r.waves[wave - 1]! : undefined;
    if (prev) {
      const until = Date.parse(r.progress[wave - 1]!.finishedAt!) + prev.soakSeconds * 1000;
      if (now < until) return { kind: 'soak', wave, until: iso(until) };
    }
    if (r.waves[wave]!.gate && p.promotedAt === undefined) return { kind: 'gate', wave };
  }
  return { kind: 'run-wave', wave, sites: r.waves[wave]!.sites.filter((s) => !(s in p.sites)) };
}

/** The wave starts (a wave with no sites ends at once). */
export function startWave(r: Rollout, wave: number, now: number): Rollout {
  if (r.progress[wave]!.startedAt !== undefined) return r;
  return settle(
    withProgress(r, wave, (p) => ({ ...p, startedAt: iso(now) })),
    wave,
    now,
  );
}

/** A site's outcome in the wave; the last one settles the wave against its budget. */
export function recordSite(r: Rollout, wave: number, site: string, rec: SiteRecord, now: number): Rollout {
  return settle(
    withProgress(r, wave, (p) => ({ ...p, sites: { ...p.sites, [site]: rec } })),
    wave,
    now,
  );
}

export function recordRollback(r: Rollout, wave: number, site: string, rec: SiteRecord): Rollout {
  return withProgress(r, wave, (p) => ({ ...p, rolledBack: { ...p.rolledBack, [site]: rec } }));
}

/**
 * `reconcile promote`: open the gate of the next gated wave that has not
 * started. It may be given during the soak before it; the soak still runs.
 */
export function promote(r: Rollout, now: number): { rollout: Rollout; wave: number } | { error: string } {
  if (r.status !== 'running')
    return { error: `the rollout of ${short(r.revision)} is ${r.status}; nothing to promote` };
  const wave = r.progress.findIndex((p, i) => p.startedAt === undefined && r.waves[i]!.gate);
  if (wave === -1) return { error: `no wave of the rollout of ${short(r.revision)} waits for promotion` };
  if (r.progress[wave]!.promotedAt !== undefined)
    return { error: `wave ${wave + 1} (${r.waves[wave]!.name}) is already promoted` };
  return { rollout: withProgress(r, wave, (p) => ({ ...p, promotedAt: iso(now) })), wave };
}

/** The sites of a wave with no outcome: not started (or cut short) when the wave halted early. */
export function notStarted(r: Rollout, wave: number): string[] {
  const p = r.progress[wave]!;
  return r.waves[wave]!.sites.filter((s) => !(s in p.sites));
}

/** The failed sites of a wave, in wave order (not the order they ended in). */
export function failures(r: Rollout, wave: number): Failure[] {
  const p = r.progress[wave]!;
  return r.waves[wave]!.sites.flatMap((site) => {
    const rec = p.sites[site];
    return rec?.outcome === 'failed' ? [{ site, detail: rec.detail }] : [];
  });
}

function unrestored(r: Rollout, wave: number): string[] {
  if (r.waves[wave]!.onFailure !== 'rollback') return [];
  const done = r.progress[wave]!.rolledBack ?? {};
  return failures(r, wave)
    .map((f) => f.site)
    .filter((s) => !(s in done));
}

/**
 * Over budget halts at once, with sites of the wave still to start (Ansible's
 * max_fail_percentage, not Argo's "finish the step first"): they stay
 * untouched. Once every site has an outcome within budget the wave is finished.
 */
function settle(r: Rollout, wave: number, now: number): Rollout {
  const w = r.waves[wave]!;
  const p = r.progress[wave]!;
  if (r.status !== 'running' || p.finishedAt !== undefined) return r;
  if (overBudget(w, failures(r, wave).length)) return { ...r, status: 'halted', haltedAt: wave, endedAt: iso(now) };
  if (!w.sites.every((s) => s in p.sites)) return r;
  const finished = withProgress(r, wave, (x) => ({ ...x, finishedAt: iso(now) }));
  return wave === r.waves.length - 1 ? { ...finished, status: 'completed', endedAt: iso(now) } : finished;
}

function withProgress(r: Rollout, wave: number, f: (p: WaveProgress) => WaveProgress): Rollout {
  return { ...r, progress: r.progress.map((p, i) => (i === wave ? f(p) : p)) };
}

const iso = (ms: number) => new Date(ms).toISOString();
const short = (rev: string) => (rev === 'worktree' ? 'the work tree' : rev.slice(0, 12));
