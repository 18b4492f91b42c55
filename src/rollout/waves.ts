// Which sites belong to which wave, decided once when a rollout starts:
// each wave takes, from the sites no earlier wave took, those its names,
// globs and tags select (all of them when it names none), or the given
// percentage of those. Sites no wave takes form a last wave of their own
// with no failure budget: a policy never leaves a site out silently, and
// never sends a commit everywhere at once by default (Fleet's 100 % trap).
import { compileGlob, globMatch } from '../pkgsrc/fnmatch.js';
import type { FailureBudget, PlannedWave, RolloutPolicy, WaveSpec } from './types.js';

export interface SiteRef {
  name: string;
  tags: readonly string[];
}

/** The name of the wave made of the sites no wave of the policy selects. */
export const REMAINING_WAVE = 'remaining';

export function planWaves(policy: RolloutPolicy, sites: readonly SiteRef[]): PlannedWave[] {
  // Name order, not sites.yaml order: a percentage takes the same sites whoever reorders the file.
  let left = [...sites].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const waves: PlannedWave[] = [];
  for (const spec of policy.waves) {
    const taken = takeSites(spec, left);
    const chosen = new Set(taken);
    left = left.filter((s) => !chosen.has(s.name));
    waves.push(frozen(spec, taken));
  }
  if (left.length > 0)
    waves.push({
      name: REMAINING_WAVE,
      sites: left.map((s) => s.name),
      allowedFailures: 0,
      soakSeconds: 0,
      gate: false,
      onFailure: 'halt',
    });
  return waves;
}

/** The sites a wave takes from those still unassigned, in name order. */
export function takeSites(spec: Pick<WaveSpec, 'sites' | 'tags' | 'percent'>, left: readonly SiteRef[]): string[] {
  const selects = spec.sites.length > 0 || spec.tags.length > 0;
  const globs = spec.sites.map((p) => (/[*?[]/.test(p) ? compileGlob(p) : p));
  const named = (s: SiteRef) =>
    globs.some((g) => (typeof g === 'string' ? g === s.name : globMatch(g, s.name))) ||
    spec.tags.some((t) => s.tags.includes(t));
  const candidates = left.filter((s) => !selects || named(s)).map((s) => s.name);
  if (spec.percent === undefined) return candidates;
  // Rounded up: 10 % of 3 sites is one site, never none.
  return candidates.slice(0, Math.ceil((spec.percent * candidates.length) / 100));
}

/** How many of a wave's sites may fail without halting the rollout. */
export function allowedFailures(budget: FailureBudget, waveSize: number): number {
  return 'count' in budget ? budget.count : Math.floor((budget.percent * waveSize) / 100);
}

/** The budget decision: more failures than allowed halts the rollout. */
export function overBudget(wave: Pick<PlannedWave, 'allowedFailures'>, failures: number): boolean {
  return failures > wave.allowedFailures;
}

function frozen(spec: WaveSpec, sites: string[]): PlannedWave {
  return {
    name: spec.name,
    sites,
    allowedFailures: allowedFailures(spec.maxFailures, sites.length),
    soakSeconds: spec.soakSeconds,
    gate: spec.gate,
    onFailure: spec.onFailure,
  };
}
