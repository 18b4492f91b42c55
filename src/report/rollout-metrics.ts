// /metrics lines for the rollout: which wave it is at, whether it halted
// there ("halted at wave N"), and the failed sites of that wave by name.
import type { RolloutSummary } from '../rollout/describe.js';

export function rolloutMetrics(r: RolloutSummary | undefined): string[] {
  if (!r) return [];
  const label = (v: string) => v.replace(/["\\\n]/g, '_');
  const rev = label(r.revision.slice(0, 12));
  return [
    '# HELP vo_reconcile_rollout_wave The wave the current rollout is at (1-based; halted: the wave it halted at).',
    '# TYPE vo_reconcile_rollout_wave gauge',
    `vo_reconcile_rollout_wave{revision="${rev}",status="${r.status}"} ${r.wave ?? r.waves.length}`,
    '# HELP vo_reconcile_rollout_halted 1 when the rollout halted at wave N: its failures exceeded the budget.',
    '# TYPE vo_reconcile_rollout_halted gauge',
    `vo_reconcile_rollout_halted{revision="${rev}",wave="${r.status === 'halted' ? r.wave : ''}"} ${r.status === 'halted' ? 1 : 0}`,
    '# HELP vo_reconcile_rollout_failed_site A failed site of the wave the rollout halted at.',
    '# TYPE vo_reconcile_rollout_failed_site gauge',
    ...(r.failures ?? []).map((f) => `vo_reconcile_rollout_failed_site{site="${label(f.site)}",wave="${r.wave}"} 1`),
  ];
}
