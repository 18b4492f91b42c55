// A rollout as status, plan, the HTML report and /metrics show it: one
// summary (data), and its wording, so every surface says the same
// "halted at wave N" with the same failing sites and reasons.
import { failures, nextStep, notStarted, type Failure } from './progress.js';
import type { Rollout, RolloutStatus, SiteRecord } from './types.js';

export type WaveState = 'done' | 'running' | 'soaking' | 'gated' | 'halted' | 'untouched';

export interface RolloutSummary {
  revision: string;
  status: RolloutStatus;
  startedAt: string;
  /** 1-based, as people count waves: the wave the rollout is at (halted at, running, waiting for). */
  wave?: number;
  waves: { name: string; sites: string[]; state: WaveState; failed: number; allowedFailures: number }[];
  /** When waiting: until when the previous wave soaks, or that a promotion is needed. */
  soakUntil?: string;
  needsPromotion?: boolean;
  /** The halted wave's failed sites and why. */
  failures?: Failure[];
  /** The halted wave's sites never started: the wave stopped once over its budget. */
  notStarted?: string[];
  rolledBack?: ({ site: string } & SiteRecord)[];
  /** A newer revision that waits for this rollout to end. */
  waiting?: string;
  headline: string;
}

export function summarizeRollout(r: Rollout, now: number, waiting?: string): RolloutSummary {
  const step = nextStep(r, now);
  const at = 'wave' in step ? step.wave : undefined;
  const waves = r.waves.map((w, i) => {
    const p = r.progress[i]!;
    const state: WaveState =
      p.finishedAt !== undefined
        ? 'done'
        : r.status === 'halted' && r.haltedAt === i
          ? 'halted'
          : i !== at || r.status !== 'running'
            ? 'untouched'
            : step.kind === 'soak'
              ? 'soaking'
              : step.kind === 'gate'
                ? 'gated'
                : 'running';
    return { name: w.name, sites: w.sites, state, failed: failures(r, i).length, allowedFailures: w.allowedFailures };
  });
  const s: RolloutSummary = {
    revision: r.revision,
    status: r.status,
    startedAt: r.startedAt,
    waves,
    headline: '',
    ...(at !== undefined ? { wave: at + 1 } : {}),
    ...(step.kind === 'soak' ? { soakUntil: step.until } : {}),
    ...(step.kind === 'gate' ? { needsPromotion: true } : {}),
    ...(waiting ? { waiting } : {}),
  };
  if (r.status === 'halted') {
    const p = r.progress[r.haltedAt!]!;
    s.failures = failures(r, r.haltedAt!);
    const left = notStarted(r, r.haltedAt!);
    if (left.length > 0) s.notStarted = left;
    const rb = Object.entries(p.rolledBack ?? {}).map(([site, rec]) => ({ site, ...rec }));
    if (rb.length > 0 || r.waves[r.haltedAt!]!.onFailure === 'rollback') s.rolledBack = rb;
  }
  s.headline = headline(r, s);
  return s;
}

/** The lines status and plan print: the headline, the failing sites, what was restored. */
export function rolloutLines(s: RolloutSummary): string[] {
  const lines = [s.headline];
  for (const f of s.failures ?? []) lines.push(`  ${f.site}: ${f.detail}`);
  if (s.notStarted) lines.push(`  not started (left as they are): ${s.notStarted.join(', ')}`);
  for (const r of s.rolledBack ?? [])
    lines.push(`  ${r.site} ${r.outcome === 'ok' ? 'restored' : 'NOT restored'}: ${r.detail}`);
  if (s.waiting) lines.push(`  ${short(s.waiting)} waits until this rollout has completed or halted`);
  return lines;
}

function headline(r: Rollout, s: RolloutSummary): string {
  const of = `Rollout of ${short(r.revision)}`;
  const n = s.wave ?? 0;
  const w = s.waves[n - 1];
  const name = w ? `wave ${n} (${w.name})` : '';
  if (r.status === 'completed') return `${of} completed: ${r.waves.length} wave${r.waves.length === 1 ? '' : 's'} done`;
  if (r.status === 'halted') {
    const untouched = s.waves.length - n;
    const restore = r.waves[n - 1]!.onFailure === 'rollback' ? rollbackState(s) : '';
    const left = s.notStarted ? `; ${s.notStarted.length} not started` : '';
    return `${of} halted at ${name}: ${w!.failed} of ${w!.sites.length} sites failed (${w!.allowedFailures} allowed)${restore}${left}; ${untouched === 0 ? 'no later wave' : `${untouched} later wave${untouched === 1 ? '' : 's'} untouched`}`;
  }
  if (s.soakUntil) return `${of} at ${name}: waits until ${s.soakUntil} (wave ${n - 1} soaking)`;
  if (s.needsPromotion) return `${of} at ${name}: waits for 'reconcile promote'`;
  const p = r.progress[n - 1]!;
  return `${of} at ${name}: ${Object.keys(p.sites).length} of ${w!.sites.length} sites done`;
}

function rollbackState(s: RolloutSummary): string {
  const failed = s.failures?.length ?? 0;
  const done = (s.rolledBack ?? []).filter((r) => r.outcome === 'ok').length;
  const tried = s.rolledBack?.length ?? 0;
  if (tried < failed) return `; rolling back ${failed - tried} of them`;
  return `; ${done} of ${failed} rolled back${done < failed ? ` (${failed - done} could not be)` : ''}`;
}

const short = (rev: string) => (rev === 'worktree' ? 'the work tree' : rev.slice(0, 12));
