// The planner's decisions, one behaviour per test, on hand-made sites.
import { describe, expect, it } from 'vitest';
import { planSite } from '../../src/plan/plan-site.js';
import type { SitePlan } from '../../src/plan/types.js';
import { cat, inv, site, want } from '../helpers/builders.js';

const lines = (p: SitePlan) => p.actions.map((a) => `${a.action} ${a.from ? `${a.from} -> ` : ''}${a.pkgname}`);
const kept = (p: SitePlan) => Object.fromEntries(p.kept.map((k) => [k.pkgname ?? k.name, k.reason]));

describe('planSite', () => {
  it('keeps an installed package that satisfies its pattern, even when a newer one is offered', () => {
    const p = planSite(site([want('foo>=1.2')]), inv('foo-1.2'), cat('foo-1.2', 'foo-1.4'));
    expect(lines(p)).toEqual([]);
    expect(kept(p)).toEqual({ 'foo-1.2': 'in-sync' });
    expect(p.status).toBe('ok');
  });

  it('installs the best match pkg_add would pick', () => {
    const p = planSite(
      site([want('foo>=1.2<2')]),
      inv(),
      cat('foo-1.2', 'foo-1.4', 'foo-1.4nb1', 'foo-2.0rc1', 'foo-2.0'),
    );
    // 2.0rc1 < 2 in dewey order, so it is inside the range and the greatest.
    expect(lines(p)).toEqual(['install foo-2.0rc1']);
  });

  it('upgrades and downgrades to match', () => {
    const p = planSite(
      site([want('foo-1.4nb1'), want('bar<2')]),
      inv('foo-1.2', 'bar-2.1'),
      cat('foo-1.4nb1', 'bar-1.9', 'bar-2.1'),
    );
    expect(lines(p)).toEqual(['downgrade bar-2.1 -> bar-1.9', 'upgrade foo-1.2 -> foo-1.4nb1']);
    expect(p.actions[0]!.reason).toMatch(/installed bar-2.1 does not match bar<2 \(p.yaml:1:5\)/);
  });

  it('removes packages declared absent and undeclared ones, but never pkg_install or protected ones', () => {
    const s = site([want('old', 'absent'), want('keepme', 'absent')], { protect: ['pkg_install', 'keepme'] });
    const p = planSite(s, inv('old-1.0', 'stray-2.0', 'keepme-1.0', 'pkg_install-20250417'), cat());
    expect(lines(p)).toEqual(['remove old-1.0', 'remove stray-2.0']);
    expect(kept(p)).toEqual({ 'keepme-1.0': 'protected', 'pkg_install-20250417': 'protected' });
  });

  it('never touches frozen packages, installed or not', () => {
    const p = planSite(
      site([want('gcc12', 'frozen'), want('ghost', 'frozen')]),
      inv('gcc12-12.1.0'),
      cat('gcc12-12.4.0'),
    );
    expect(lines(p)).toEqual([]);
    expect(kept(p)).toEqual({ 'gcc12-12.1.0': 'frozen', ghost: 'frozen' });
  });

  it('leaves undeclared user packages alone under userpkgs', () => {
    const p = planSite(site([], { userpkgs: true }), inv('emacs-30.1'), cat());
    expect(lines(p)).toEqual([]);
    expect(kept(p)).toEqual({ 'emacs-30.1': 'unmanaged' });
  });

  it('keeps automatic dependencies by default', () => {
    const p = planSite(site([]), inv('libx-1.0*'), cat('libx-1.0'));
    expect(lines(p)).toEqual([]);
    expect(kept(p)).toEqual({ 'libx-1.0': 'automatic' });
  });

  it('autoremoves only automatic packages nothing left requires, after everything else', () => {
    const c = cat('app-1.0 < libx>=1.0', 'libx-1.0 < liby-[0-9]*', 'liby-1.0', 'libz-1.0', 'gone-1.0 < libz>=1');
    const p = planSite(
      site([want('app')], { autoremove: true }),
      inv('app-1.0', 'libx-1.0*', 'liby-1.0*', 'libz-1.0*', 'gone-1.0'),
      c,
    );
    expect(lines(p)).toEqual(['remove gone-1.0', 'remove libz-1.0']);
    expect(kept(p)).toMatchObject({ 'libx-1.0': 'automatic', 'liby-1.0': 'automatic' });
  });

  it('skips autoremove when a staying package has unknown dependencies', () => {
    const p = planSite(
      site([want('app')], { autoremove: true }),
      inv('app-0.9', 'libz-1.0*'),
      cat('app-0.9', 'libz-1.0'),
    );
    // app-0.9 is in the catalog, so its (empty) DEPENDS are known: libz goes.
    expect(lines(p)).toEqual(['remove libz-1.0']);
    const q = planSite(
      site([want('app')], { autoremove: true }),
      inv('app-0.8', 'libz-1.0*'),
      cat('app-0.9', 'libz-1.0'),
    );
    expect(lines(q)).toEqual([]);
    expect(q.kept.find((k) => k.pkgname === 'libz-1.0')!.detail).toMatch(/autoremove skipped: dependencies of app-0.8/);
  });

  it('keeps an undeclared package that a staying package requires', () => {
    const p = planSite(site([want('app')]), inv('app-1.0', 'libx-1.0'), cat('app-1.0 < libx>=1.0', 'libx-1.0'));
    expect(lines(p)).toEqual([]);
    expect(p.kept.find((k) => k.pkgname === 'libx-1.0')).toMatchObject({
      reason: 'required',
      detail: 'not declared, but required by app-1.0',
    });
  });

  it('refuses to remove a package declared absent that a staying package requires', () => {
    const p = planSite(
      site([want('app'), want('libx', 'absent')]),
      inv('app-1.0', 'libx-1.0'),
      cat('app-1.0 < libx>=1.0', 'libx-1.0'),
    );
    expect(p.status).toBe('error');
    expect(p.errors[0]!.message).toBe('libx-1.0 is declared absent but still required by app-1.0');
  });

  it('orders installs dependencies first and removals dependants first, installs before removals', () => {
    const c = cat('app-1.0 < lib>=1', 'lib-1.0 < base>=1', 'base-1.0', 'a-1.0 < b>=1', 'b-1.0');
    const p = planSite(site([want('app'), want('lib'), want('base')]), inv('a-1.0', 'b-1.0'), c);
    expect(lines(p)).toEqual([
      'install base-1.0',
      'install lib-1.0',
      'install app-1.0',
      'remove a-1.0',
      'remove b-1.0',
    ]);
  });

  it('makes a package with no catalog match an error for the site, naming what is offered', () => {
    const p = planSite(site([want('foo>=3')]), inv(), cat('foo-1.2', 'foo-1.4'));
    expect(p.status).toBe('error');
    expect(p.errors).toEqual([
      {
        kind: 'no-match',
        name: 'foo',
        message: 'no package in /srv/packages/All matches foo>=3 (offered: foo-1.2, foo-1.4)',
        sources: ['p.yaml:1:5'],
      },
    ]);
  });

  it('needs every pattern of a package that two profiles constrain', () => {
    const d = { ...want('foo>=1.2'), patterns: ['foo>=1.2', 'foo<1.4'] };
    const p = planSite(site([d]), inv('foo-1.4'), cat('foo-1.2', 'foo-1.3', 'foo-1.4', 'foo-1.5'));
    expect(lines(p)).toEqual(['downgrade foo-1.4 -> foo-1.3']);
  });

  it('reports an unobserved site and a missing catalog without planning', () => {
    expect(planSite(site([want('foo')]), undefined, cat()).status).toBe('unobserved');
    const p = planSite(site([want('foo')]), inv(), new Error('no package summary here'));
    expect(p).toMatchObject({ status: 'error', errors: [{ message: 'no package summary here' }] });
  });
});

describe('planSite with versions the catalog no longer offers', () => {
  it("takes an installed version's DEPENDS from its newest offered version", () => {
    // zzz-app-1.0 (no longer offered) needs aaa-lib; both are removed: the app must go first.
    const c = cat('zzz-app-2.0 < aaa-lib>=1', 'aaa-lib-2.0');
    const p = planSite(site([]), inv('aaa-lib-1.0', 'zzz-app-1.0'), c);
    expect(p.actions.map((a) => `${a.action} ${a.pkgname}`)).toEqual(['remove zzz-app-1.0', 'remove aaa-lib-1.0']);
    // An in-sync app that is no longer offered still keeps the library it needs.
    const q = planSite(site([want('zzz-app')]), inv('aaa-lib-1.0', 'zzz-app-1.0'), c);
    expect(q.actions).toEqual([]);
    expect(q.kept.find((k) => k.pkgname === 'aaa-lib-1.0')).toMatchObject({
      reason: 'required',
      detail: 'not declared, but required by zzz-app-1.0',
    });
  });
});
