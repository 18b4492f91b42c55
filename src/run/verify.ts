// Trust no exit code: after a job, compare what the site has with what the
// plan promised. A job that exits 0 but leaves a different set failed, and
// so does one that leaves a package flagged otherwise than the plan means
// (the job's pkg_admin steps exist so that it never is).
import type { PlanAction } from '../plan/types.js';

export interface ListedAfter {
  pkgname: string;
  automatic: boolean;
}

/**
 * What differs from the plan's promise, one sentence each. `flagsKnown`:
 * whether the listing said which packages are user-installed (without it
 * no flag can be checked).
 */
export function verifyOutcome(
  actions: readonly PlanAction[],
  after: readonly ListedAfter[],
  flagsKnown: boolean,
): string[] {
  const installed = new Map(after.map((p) => [p.pkgname, p]));
  const names = new Map<string, string>();
  for (const p of after) names.set(p.pkgname.slice(0, p.pkgname.lastIndexOf('-')), p.pkgname);
  const problems: string[] = [];
  for (const a of actions) {
    const now = installed.get(a.pkgname);
    if (a.action === 'remove') {
      if (now) problems.push(`${a.pkgname} is still installed after its removal`);
    } else if (!now) {
      const other = names.get(a.name);
      problems.push(
        `${a.action} of ${a.pkgname} did not happen (${other ? `${other} is installed` : `no ${a.name} is installed`})`,
      );
    } else if (flagsKnown && now.automatic !== (a.automatic === true)) {
      problems.push(
        `${a.pkgname} is marked ${now.automatic ? 'automatic' : 'user-installed'}, not ${now.automatic ? 'user-installed' : 'automatic'} as the plan means`,
      );
    }
  }
  return problems;
}
