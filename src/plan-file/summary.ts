// What the person about to confirm is shown: per site what will happen
// there, and the fleet's totals, from the plan that will be carried out.
import { renderSummary } from '../plan/render.js';
import type { PlanFile } from './plan-file.js';

/** `unobserved`: what happens to a site the plan could not be made for (it had no observation). */
export function reviewSummary(plan: Pick<PlanFile, 'sites' | 'summary' | 'revision'>, unobserved: string): string[] {
  const lines = [`Plan at ${plan.revision.slice(0, 12)}:`];
  for (const s of plan.sites) {
    const p = s.plan;
    if (s.held) lines.push(`  ${s.site}: held, left alone`);
    else if (p.status === 'unobserved') lines.push(`  ${s.site}: not observed yet: ${unobserved}`);
    else if (p.status === 'error')
      lines.push(`  ${s.site}: cannot be planned: ${p.errors.map((e) => e.message).join('; ')}`);
    else if (p.actions.length > 0)
      lines.push(`  ${s.site}: ${p.actions.map((a) => `${SIGN[a.action]}${a.pkgname}`).join(' ')}`);
  }
  lines.push(renderSummary(plan.summary));
  return lines;
}

const SIGN = { install: '+', upgrade: '~', downgrade: '~', remove: '-' } as const;
