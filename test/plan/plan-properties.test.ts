// Properties of the planner against a model of pkg_add / pkg_delete:
// carrying out a plan converges, re-planning then finds nothing to do, and
// what must not be touched is not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, matchesAll } from '../../src/catalog/catalog.js';
import type { DesiredPackage } from '../../src/desired/types.js';
import type { Inventory, InstalledPackage } from '../../src/observed/types.js';
import { planSite } from '../../src/plan/plan-site.js';
import type { PlanAction } from '../../src/plan/types.js';
import { bestMatch, patternBase } from '../../src/pkgsrc/pattern.js';
import { site } from '../helpers/builders.js';

const APPS = ['app', 'tool', 'py311-x', 'font-a'];
const LIBS = ['libx', 'liby', 'libz'];
const VERSIONS = ['0.9', '1.0', '1.2', '1.4', '1.4nb1', '2.0rc1', '2.0', '2.0.1'];

const versionSet = fc.subarray(VERSIONS, { minLength: 1 });
/** Apps may depend on libs, libs on later libs: no cycles, and no absent package is ever a dependency. */
const world = fc.record({
  catalog: fc.record(Object.fromEntries([...APPS, ...LIBS].map((n) => [n, versionSet]))),
  appDeps: fc.record(Object.fromEntries(APPS.map((n) => [n, fc.subarray(LIBS)]))),
  libDeps: fc.boolean(),
  installed: fc.record(
    Object.fromEntries(
      [...APPS, ...LIBS, 'pkg_install'].map((n) => [
        n,
        fc.option(fc.record({ v: fc.constantFrom(...VERSIONS), auto: fc.boolean() }), { nil: undefined }),
      ]),
    ),
  ),
  desired: fc.record(
    Object.fromEntries(
      APPS.map((n) => [
        n,
        fc.option(
          fc.oneof(
            fc.constant({ state: 'present' as const, patterns: [n] }),
            fc.constantFrom(...VERSIONS).map((v) => ({ state: 'present' as const, patterns: [`${n}>=${v}`] })),
            fc.constantFrom(...VERSIONS).map((v) => ({ state: 'present' as const, patterns: [`${n}<${v}`] })),
            fc.constantFrom(...VERSIONS).map((v) => ({ state: 'present' as const, patterns: [`${n}-${v}`] })),
            fc
              .tuple(fc.constantFrom(...VERSIONS), fc.constantFrom(...VERSIONS))
              .map(([a, b]) => ({ state: 'present' as const, patterns: [`${n}>=${a}`, `${n}<=${b}`] })),
            fc.constant({ state: 'absent' as const, patterns: [n] }),
            fc.constant({ state: 'frozen' as const, patterns: [n] }),
          ),
          { nil: undefined },
        ),
      ]),
    ),
  ),
  userpkgs: fc.boolean(),
  autoremove: fc.boolean(),
  protectApp: fc.boolean(),
});
type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

function catalogOf(w: World): Catalog {
  const pkgs: { pkgname: string; depends: string[] }[] = [];
  for (const [name, versions] of Object.entries(w.catalog)) {
    const deps = APPS.includes(name)
      ? w.appDeps[name]!
      : w.libDeps
        ? LIBS.slice(LIBS.indexOf(name) + 1).slice(0, 1)
        : [];
    // Dependencies accept every version offered, as real DEPENDS lower bounds mostly do.
    for (const v of versions as string[]) pkgs.push({ pkgname: `${name}-${v}`, depends: deps.map((d) => `${d}>=0.1`) });
  }
  return new Catalog('/cat', pkgs);
}

function inventoryOf(w: World): Inventory {
  const packages: InstalledPackage[] = [];
  for (const [name, i] of Object.entries(w.installed)) {
    if (!i) continue;
    const version = name === 'pkg_install' ? '20250417' : i.v;
    packages.push({
      pkgname: `${name}-${version}`,
      name,
      version,
      comment: '',
      automatic: name === 'pkg_install' ? false : i.auto,
    });
  }
  packages.sort((a, b) => (a.pkgname < b.pkgname ? -1 : 1));
  return { site: 'SITE', packages, userListKnown: true, observedAt: 't', source: 'import', origin: 't' };
}

function desiredOf(w: World): DesiredPackage[] {
  return Object.entries(w.desired)
    .filter(([, d]) => d !== undefined)
    .map(([name, d]) => ({
      name,
      patterns: [...d!.patterns],
      state: d!.state,
      sources: [{ file: 'p.yaml', line: 1 }],
      via: ['p'],
    }));
}

/** pkg_add / pkg_delete as the captures show them, on a name → package map. */
function carryOut(actions: PlanAction[], before: Inventory, catalog: Catalog): Map<string, InstalledPackage> {
  const state = new Map(before.packages.map((p) => [p.name, { ...p }]));
  const add = (pkgname: string, automatic: boolean) => {
    const c = catalog.get(pkgname)!;
    const prev = state.get(c.name);
    state.set(c.name, {
      pkgname,
      name: c.name,
      version: c.version,
      comment: '',
      automatic: automatic && (prev?.automatic ?? true),
    });
    for (const dep of c.depends) {
      if ([...state.values()].some((p) => matchesAll([dep], p.pkgname))) continue;
      const base = patternBase(dep)!;
      const best = bestMatch(
        dep,
        catalog.versionsOf(base).map((x) => x.pkgname),
      );
      if (!best) throw new Error(`pkg_add: no pkg found for '${dep}'`);
      add(best, true);
    }
  };
  for (const a of actions) {
    if (a.action === 'remove') {
      const needers = [...state.values()].filter(
        (p) =>
          p.pkgname !== a.pkgname && (catalog.get(p.pkgname)?.depends ?? []).some((d) => matchesAll([d], a.pkgname)),
      );
      if (needers.length > 0) throw new Error(`pkg_delete: ${a.pkgname} is still required by ${needers[0]!.pkgname}`);
      state.delete(a.name);
    } else {
      add(a.pkgname, false);
    }
  }
  return state;
}

const asInventory = (state: Map<string, InstalledPackage>): Inventory => ({
  site: 'SITE',
  packages: [...state.values()].sort((a, b) => (a.pkgname < b.pkgname ? -1 : 1)),
  userListKnown: true,
  observedAt: 't',
  source: 'job',
  origin: 't',
});

describe('planner properties', () => {
  it('a carried-out plan satisfies the desired state, and re-planning finds nothing to do', () => {
    let ok = 0;
    fc.assert(
      fc.property(world, (w) => {
        const s = site(desiredOf(w), {
          userpkgs: w.userpkgs,
          autoremove: w.autoremove,
          protect: w.protectApp ? ['pkg_install', 'app'] : ['pkg_install'],
        });
        const catalog = catalogOf(w);
        const before = inventoryOf(w);
        const plan = planSite(s, before, catalog);
        if (plan.status !== 'ok') return;
        ok++;
        const after = carryOut(plan.actions, before, catalog);
        const beforeByName = new Map(before.packages.map((p) => [p.name, p.pkgname]));
        for (const d of s.packages) {
          const now = after.get(d.name)?.pkgname;
          if (d.state === 'present') expect(now !== undefined && matchesAll(d.patterns, now)).toBe(true);
          if (d.state === 'absent' && !s.protect.includes(d.name)) expect(now).toBeUndefined();
          if (d.state === 'frozen') expect(now).toBe(beforeByName.get(d.name));
        }
        // Protected means never removed (a desired version may still replace it).
        for (const name of s.protect) if (beforeByName.has(name)) expect(after.has(name)).toBe(true);
        for (const name of s.protect)
          if (!s.packages.some((d) => d.name === name)) expect(after.get(name)?.pkgname).toBe(beforeByName.get(name));
        if (s.userpkgs) {
          const declared = new Set(s.packages.map((d) => d.name));
          for (const p of before.packages)
            if (!p.automatic && !declared.has(p.name)) expect(after.get(p.name)?.pkgname).toBe(p.pkgname);
        }
        const again = planSite(s, asInventory(after), catalog);
        expect(again.errors).toEqual([]);
        expect(again.actions).toEqual([]);
      }),
      { numRuns: 400, seed: 20261122 },
    );
    // The property must have been exercised on plans that were carried out.
    expect(ok).toBeGreaterThan(100);
  });

  it('is deterministic: the same inputs give the same plan', () => {
    fc.assert(
      fc.property(world, (w) => {
        const s = site(desiredOf(w), { userpkgs: w.userpkgs, autoremove: w.autoremove });
        const a = planSite(s, inventoryOf(w), catalogOf(w));
        const b = planSite(s, inventoryOf(w), catalogOf(w));
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      { numRuns: 100 },
    );
  });
});
