// Trust no exit code: after a job, compare what the site has with what the
// plan promised. A job that exits 0 but leaves a different set failed.
import type { PlanAction } from '../plan/types.js';

export function verifyOutcome(actions: readonly PlanAction[], after: readonly string[]): string[] {
  const installed = new Set(after);
  const names = new Map<string, string>();
  for (const p of after) names.set(p.slice(0, p.lastIndexOf('-')), p);
  const problems: string[] = [];
  for (const a of actions) {
    if (a.action === 'remove') {
      if (installed.has(a.pkgname)) problems.push(`${a.pkgname} is still installed after its removal`);
    } else if (!installed.has(a.pkgname)) {
      const now = names.get(a.name);
      problems.push(
        `${a.action} of ${a.pkgname} did not happen (${now ? `${now} is installed` : `no ${a.name} is installed`})`,
      );
    }
  }
  return problems;
}
