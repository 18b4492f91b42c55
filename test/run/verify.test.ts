// Trust no exit code: what the site lists after a job against what the plan
// promised, automatic flags included (a pkg_admin that exits 0 but leaves
// the flag, or a model of pkg_add that got a flag wrong, fails the job).
import { describe, expect, it } from 'vitest';
import type { PlanAction } from '../../src/plan/types.js';
import { verifyOutcome } from '../../src/run/verify.js';

const up = (pkgname: string, extra: Partial<PlanAction> = {}): PlanAction => ({
  action: 'upgrade',
  name: pkgname.slice(0, pkgname.lastIndexOf('-')),
  pkgname,
  reason: 'r',
  ...extra,
});
const listed = (pkgname: string, automatic = false) => ({ pkgname, automatic });

describe('verifyOutcome', () => {
  const plan = [up('app-1.1'), up('lib-2.0', { flag: 'user' }), up('dep-1.1', { automatic: true })];

  it('accepts the planned packages with the flags the plan means', () => {
    expect(verifyOutcome(plan, [listed('app-1.1'), listed('lib-2.0'), listed('dep-1.1', true)], true)).toEqual([]);
  });

  it('fails a package left automatic that the plan means user-installed, and the reverse', () => {
    expect(verifyOutcome(plan, [listed('app-1.1'), listed('lib-2.0', true), listed('dep-1.1')], true)).toEqual([
      'lib-2.0 is marked automatic, not user-installed as the plan means',
      'dep-1.1 is marked user-installed, not automatic as the plan means',
    ]);
  });

  it('checks no flag when the listing did not say which packages are user-installed', () => {
    expect(verifyOutcome(plan, [listed('app-1.1'), listed('lib-2.0', true), listed('dep-1.1')], false)).toEqual([]);
  });

  it('still names what did not happen', () => {
    expect(
      verifyOutcome(
        [...plan, { action: 'remove', name: 'old', pkgname: 'old-1.0', reason: 'r' }],
        [listed('app-1.0'), listed('old-1.0')],
        true,
      ),
    ).toEqual([
      'upgrade of app-1.1 did not happen (app-1.0 is installed)',
      'upgrade of lib-2.0 did not happen (no lib is installed)',
      'upgrade of dep-1.1 did not happen (no dep is installed)',
      'old-1.0 is still installed after its removal',
    ]);
  });
});
