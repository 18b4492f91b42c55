// Upgrades that installed dependants constrain, and the order real pkg_add
// needs (issue 20, cases 1 and 2). Installed packages carry the DEPENDS the
// site recorded for them (after ' <').
import { describe, expect, it } from 'vitest';
import { planSite } from '../../src/plan/plan-site.js';
import type { SitePlan } from '../../src/plan/types.js';
import { cat, inv, site, want } from '../helpers/builders.js';

const lines = (p: SitePlan) =>
  p.actions.map((a) => `${a.action} ${a.from ? `${a.from} -> ` : ''}${a.pkgname}${a.flag ? ` (flag ${a.flag})` : ''}`);

describe('installed dependants constrain upgrades', () => {
  const catalog = cat('lib-1.0', 'lib-2.0', 'app-1.0 < lib>=1.0<2', 'app-1.1 < lib>=2');

  it('upgrades the dependant too when the catalog has a version that fits and the profile allows it', () => {
    const p = planSite(site([want('lib>=2.0'), want('app')]), inv('lib-1.0 <', 'app-1.0 < lib>=1.0<2'), catalog);
    expect(p.errors).toEqual([]);
    // pkg_add -U app-1.1 deletes app-1.0 first, then pulls lib-2.0 in: the dependant goes first,
    // and lib, pulled in as a dependency, is marked user-installed again afterwards.
    expect(lines(p)).toEqual(['upgrade app-1.0 -> app-1.1', 'upgrade lib-1.0 -> lib-2.0 (flag user)']);
    expect(p.actions[0]!.reason).toMatch(
      /installed app-1.0 requires lib>=1.0<2, which lib-2.0 \(replacing lib-1.0\) does not satisfy \(upgrade of lib\)/,
    );
  });

  it('upgrades an automatic dependant to any version that fits, keeping it automatic', () => {
    const p = planSite(site([want('lib>=2.0')]), inv('lib-1.0 <', 'app-1.0* < lib>=1.0<2'), catalog);
    expect(p.errors).toEqual([]);
    expect(lines(p)).toEqual(['upgrade app-1.0 -> app-1.1', 'upgrade lib-1.0 -> lib-2.0 (flag user)']);
    expect(p.actions[0]!.automatic).toBe(true);
  });

  it('makes the plan an error naming the dependant and its pattern when the profile does not allow it', () => {
    const p = planSite(
      site([want('lib>=2.0'), { ...want('app-1.0', 'present', 7) }]),
      inv('lib-1.0 <', 'app-1.0 < lib>=1.0<2'),
      catalog,
    );
    expect(p.status).toBe('error');
    expect(p.errors).toEqual([
      {
        kind: 'dependant',
        name: 'app',
        message:
          'installed app-1.0 requires lib>=1.0<2, which lib-2.0 (replacing lib-1.0) does not satisfy, and no version of app matching app-1.0 in /srv/packages/All works with it',
        sources: ['p.yaml:1:5', 'p.yaml:7:5'],
        packages: ['app-1.0', 'lib-2.0'],
      },
    ]);
  });

  it('makes the plan an error when the dependant is frozen, unmanaged or protected', () => {
    const frozen = planSite(
      site([want('lib>=2.0'), want('app', 'frozen', 4)]),
      inv('lib-1.0 <', 'app-1.0 < lib>=1.0<2'),
      catalog,
    );
    expect(frozen.errors[0]!.message).toMatch(/lib>=1.0<2, .* and app is frozen at p.yaml:4:5$/);
    const unmanaged = planSite(
      site([want('lib>=2.0')], { userpkgs: true }),
      inv('lib-1.0 <', 'app-1.0 < lib>=1.0<2'),
      catalog,
    );
    expect(unmanaged.errors[0]).toMatchObject({ kind: 'dependant', packages: ['app-1.0', 'lib-2.0'] });
    expect(unmanaged.errors[0]!.message).toMatch(/app is not declared, and userpkgs leaves it alone$/);
  });

  it('removes an undeclared dependant before the upgrade it would block', () => {
    const p = planSite(site([want('lib>=2.0')]), inv('lib-1.0 <', 'app-1.0 < lib>=1.0<2'), catalog);
    expect(p.errors).toEqual([]);
    expect(lines(p)).toEqual(['remove app-1.0', 'upgrade lib-1.0 -> lib-2.0']);
  });

  it('replaces an installed dependency that a new package needs in another version', () => {
    // tool-1.0 needs lib>=2; lib-1.0 is automatic: pkg_add tool-1.0 alone would refuse (a different version).
    const p = planSite(site([want('tool')]), inv('lib-1.0* <'), cat('lib-1.0', 'lib-2.0', 'tool-1.0 < lib>=2'));
    expect(p.errors).toEqual([]);
    expect(lines(p)).toEqual(['upgrade lib-1.0 -> lib-2.0', 'install tool-1.0']);
  });

  it('names two declared packages that cannot both hold', () => {
    const p = planSite(
      site([want('lib<2'), want('tool', 'present', 3)]),
      inv(),
      cat('lib-1.0', 'lib-2.0', 'tool-1.0 < lib>=2'),
    );
    expect(p.errors).toEqual([
      expect.objectContaining({ kind: 'dependant', name: 'tool', packages: ['tool-1.0', 'lib-1.0'] }),
    ]);
  });
});

describe('the order pkg_add needs, and automatic flags', () => {
  it('keeps dependencies first when nothing blocks them', () => {
    const p = planSite(
      site([want('lib>=2.0'), want('app>=1.1')]),
      inv('lib-1.0 <', 'app-1.0 < lib>=1.0'),
      cat('lib-2.0', 'app-1.1 < lib>=2'),
    );
    expect(lines(p)).toEqual(['upgrade lib-1.0 -> lib-2.0', 'upgrade app-1.0 -> app-1.1']);
  });

  it('says how to put a replaced version back when the catalog still offers it (case 3)', () => {
    const p = planSite(
      site([want('foo>=2'), want('bar>=2')]),
      inv('foo-1.0* <', 'bar-1.0 <'),
      cat('foo-1.0', 'foo-2.0', 'bar-2.0'),
    );
    expect(p.actions.map((a) => [a.pkgname, a.undo])).toEqual([
      ['bar-2.0', undefined],
      ['foo-2.0', { pkgname: 'foo-1.0', automatic: true }],
    ]);
  });

  it('sets the flag a replacement would carry over wrongly', () => {
    // lib-1.0 was pulled in as a dependency; now it is declared: the upgrade keeps "automatic" unless told.
    const p = planSite(site([want('lib>=2')]), inv('lib-1.0* <'), cat('lib-2.0'));
    expect(lines(p)).toEqual(['upgrade lib-1.0 -> lib-2.0 (flag user)']);
  });

  it('makes a plan that no order can carry out an error of the site', () => {
    // keep-1.0 is required by a staying unmanaged package and needs lib<2: lib cannot be upgraded.
    const p = planSite(
      site([want('lib>=2')], { autoremove: true, userpkgs: true }),
      inv('lib-1.0 <', 'mid-1.0* < lib<2', 'top-1.0 < mid>=1'),
      cat('lib-2.0'),
    );
    expect(p.status).toBe('error');
    expect(p.errors.map((e) => e.kind)).toContain('unorderable');
  });
});

describe('the plan as text', () => {
  it('says which packages the job marks user-installed or automatic afterwards', async () => {
    const { renderSitePlan } = await import('../../src/plan/render.js');
    const p = planSite(site([want('lib>=2')]), inv('lib-1.0* <'), cat('lib-2.0'));
    expect(renderSitePlan(p, false)).toContain(
      '  ~ upgrade lib 1.0 → 2.0    # installed lib-1.0 does not match lib>=2 (p.yaml:1:5) (then marked user-installed)',
    );
  });
});
