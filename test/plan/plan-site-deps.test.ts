// The DEPENDS the planner uses: an installed package's own, as the site's
// package database records them (issue 20, case 4); the catalog's only for
// what will be installed, and for installed packages of observations that
// did not record them (then the plan says so).
import { describe, expect, it } from 'vitest';
import { planSite } from '../../src/plan/plan-site.js';
import type { SitePlan } from '../../src/plan/types.js';
import { cat, inv, site, want } from '../helpers/builders.js';

const lines = (p: SitePlan) => p.actions.map((a) => `${a.action} ${a.from ? `${a.from} -> ` : ''}${a.pkgname}`);

describe('planSite with the DEPENDS the site recorded', () => {
  // app-1.0 is installed and needs lib; the catalog offers only app-1.1, which needs lib>=2.
  const catalog = cat('app-1.1 < lib>=2', 'lib-2.0');

  it('keeps the library an installed version needs, though the offered version needs another', () => {
    const p = planSite(site([want('app')]), inv('app-1.0 < lib>=1.0<2', 'lib-1.0 <'), catalog);
    expect(lines(p)).toEqual([]);
    expect(p.kept.find((k) => k.pkgname === 'lib-1.0')).toMatchObject({
      reason: 'required',
      detail: 'not declared, but required by app-1.0',
    });
    expect(p.notes).toBeUndefined();
  });

  it('falls back to the catalog for an observation without recorded DEPENDS, and says so', () => {
    const p = planSite(site([want('app')]), inv('app-1.0', 'lib-1.0'), catalog);
    expect(lines(p)).toEqual(['remove lib-1.0']);
    expect(p.notes).toEqual([
      expect.stringMatching(/does not record what app-1\.0, lib-1\.0 depend on \(pkg_info -n\)/),
    ]);
  });

  it('names the first three unrecorded packages in sorted order and counts the rest', () => {
    // Listed out of order, one with recorded DEPENDS: the note names the least three of the other five.
    const p = planSite(
      site([want('app')]),
      inv('zed-1.0', 'app-1.0', 'mid-1.0', 'rec-1.0 <', 'beta-1.0', 'lib-1.0'),
      catalog,
    );
    expect(p.notes).toEqual([
      expect.stringMatching(/does not record what app-1\.0, beta-1\.0, lib-1\.0 and 2 more depend on/),
    ]);
  });

  it('trusts the site over the catalog even for a version the catalog offers', () => {
    // The site says tool-1.0 needs nothing (it was built so); the catalog's entry would keep libx.
    const p = planSite(site([want('tool')]), inv('tool-1.0 <', 'libx-1.0'), cat('tool-1.0 < libx>=1', 'libx-1.0'));
    expect(lines(p)).toEqual(['remove libx-1.0']);
  });

  it('orders removals by the recorded DEPENDS, and autoremoves by them', () => {
    const p = planSite(
      site([], { autoremove: true }),
      inv('zzz-1.0 < aaa>=1', 'aaa-1.0* <', 'keep-1.0* <', 'user-1.0 < keep>=1'),
      cat(),
      { kept: 'full' },
    );
    // user-1.0 is removed (undeclared), so keep-1.0 is no longer needed either; zzz before aaa.
    expect(lines(p)).toEqual(['remove user-1.0', 'remove zzz-1.0', 'remove aaa-1.0', 'remove keep-1.0']);
  });
});
