// Which events a run of a staged rollout makes: a pure function of the
// rollout's recorded progress before the run and after it. `wave.halted`
// when this run saw the rollout halt (with the wave's failed sites and
// reasons, those never started and those restored, once the restores of
// on_failure: rollback are done), `rollout.completed` when it saw the last
// wave finish. A rerun of a halted or completed rollout says nothing again.
import { summarizeRollout } from '../rollout/describe.js';
import { nextStep } from '../rollout/progress.js';
import type { Rollout } from '../rollout/types.js';
import type { RolloutEventType } from './config.js';

export interface RolloutEvent {
  format: 'vo-reconcile-event/1';
  id: string;
  type: RolloutEventType;
  at: string;
  revision: string;
  tags?: string[];
  /** The sites the event is about (what receivers' `sites` filter on): the halted wave's, or the rollout's. */
  sites: string[];
  rollout: {
    startedAt: string;
    waves: { name: string; sites: string[] }[];
    /** 1-based: the wave halted at. */
    wave?: number;
    waveName?: string;
    allowedFailures?: number;
    failures?: { site: string; detail: string }[];
    notStarted?: string[];
    rolledBack?: { site: string; outcome: string; detail: string }[];
    untouchedWaves?: number;
  };
  summary: string;
}

const sameRollout = (a: Rollout | undefined, b: Rollout) =>
  a !== undefined && a.revision === b.revision && a.startedAt === b.startedAt;

/** Halted with its failed sites restored (on_failure: rollback), or completed: nothing more will happen to it. */
const rests = (r: Rollout) =>
  r.status === 'completed' || (r.status === 'halted' && nextStep(r, Date.parse(r.startedAt)).kind === 'halted');

export function rolloutEvents(before: Rollout | undefined, after: Rollout, tags: string[] = []): RolloutEvent[] {
  // A halted wave is told once its restores are done, so the event says how they went.
  if (!rests(after) || (sameRollout(before, after) && rests(before!))) return [];
  const s = summarizeRollout(after, Date.parse(after.endedAt ?? after.startedAt));
  const key = `rollout-${after.revision.slice(0, 12)}-${after.startedAt.replace(/[^0-9]/g, '')}`;
  const base = {
    format: 'vo-reconcile-event/1' as const,
    at: after.endedAt ?? after.startedAt,
    revision: after.revision,
    ...(tags.length > 0 ? { tags } : {}),
    summary: s.headline,
  };
  const waves = after.waves.map((w) => ({ name: w.name, sites: w.sites }));
  if (after.status === 'completed')
    return [
      {
        ...base,
        id: `${key}.rollout.completed`,
        type: 'rollout.completed',
        sites: after.waves.flatMap((w) => w.sites),
        rollout: { startedAt: after.startedAt, waves },
      },
    ];
  const n = after.haltedAt!;
  const w = after.waves[n]!;
  return [
    {
      ...base,
      id: `${key}.wave-${n + 1}.wave.halted`,
      type: 'wave.halted',
      sites: w.sites,
      rollout: {
        startedAt: after.startedAt,
        waves,
        wave: n + 1,
        waveName: w.name,
        allowedFailures: w.allowedFailures,
        failures: s.failures ?? [],
        ...(s.notStarted ? { notStarted: s.notStarted } : {}),
        ...(s.rolledBack
          ? { rolledBack: s.rolledBack.map((r) => ({ site: r.site, outcome: r.outcome, detail: r.detail })) }
          : {}),
        untouchedWaves: after.waves.length - n - 1,
      },
    },
  ];
}
