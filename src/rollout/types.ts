// The rollout vocabulary: a policy (rollout.yaml, as read and checked by
// src/desired/rollout-file.ts) and a rollout's progress (state/rollout/progress.json,
// src/state/rollout-file.ts). Both plain data, so the pure steps of this folder can
// be tested as tables.
import type { SourceLocation } from '../errors.js';

/** A failure budget: a number of sites, or a share of the wave's sites (rounded down). */
export type FailureBudget = { count: number } | { percent: number };

export type OnFailure = 'halt' | 'rollback';

/** One wave of rollout.yaml as written. */
export interface WaveSpec {
  name: string;
  /** Site names or globs over names. */
  sites: string[];
  /** A site carrying any of these tags is selected. */
  tags: string[];
  /** Of the sites still unassigned that the selectors above match (all of them when there are none). */
  percent?: number;
  maxFailures: FailureBudget;
  soakSeconds: number;
  /** Whether `reconcile promote` must let this wave start. */
  gate: boolean;
  onFailure: OnFailure;
  location: SourceLocation;
}

export interface RolloutPolicy {
  file: string;
  waves: WaveSpec[];
}

/** A wave as a rollout froze it when it started: its sites and rules no longer depend on later edits. */
export interface PlannedWave {
  name: string;
  sites: string[];
  /** Sites of the wave that may fail without halting the rollout. */
  allowedFailures: number;
  soakSeconds: number;
  gate: boolean;
  onFailure: OnFailure;
}

/** How one site's transaction at the rollout's revision counted. */
export type SiteOutcome = 'ok' | 'failed' | 'held';

export interface SiteRecord {
  outcome: SiteOutcome;
  detail: string;
  at: string;
}

export interface WaveProgress {
  startedAt?: string;
  /** When `reconcile promote` opened the wave's gate. */
  promotedAt?: string;
  /** Per site, once its run at the rollout's revision ended. */
  sites: Record<string, SiteRecord>;
  finishedAt?: string;
  /** With on_failure: rollback, per failed site, how its restore went. */
  rolledBack?: Record<string, SiteRecord>;
}

export type RolloutStatus = 'running' | 'halted' | 'completed';

export interface Rollout {
  format: 'vo-reconcile-rollout/1';
  /** The desired-state commit (or "worktree") being rolled out. */
  revision: string;
  startedAt: string;
  waves: PlannedWave[];
  /** One entry per wave, same order. */
  progress: WaveProgress[];
  status: RolloutStatus;
  /** Index of the wave that went over its budget. */
  haltedAt?: number;
  endedAt?: string;
}

export const ROLLOUT_FORMAT = 'vo-reconcile-rollout/1';
