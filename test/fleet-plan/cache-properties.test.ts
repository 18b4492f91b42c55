// The answer never depends on the path taken: over generated fleets and
// edits, `plan --json` prints the same bytes cold, warm, in one thread and
// on several worker threads, and after the desired state, an inventory or
// the catalog changed, the cached run equals a cold one. Damaged cache
// entries (truncated, altered, copied over another) are never trusted,
// neither plans nor the resolved desired state (state/desired-cache).
import { existsSync, rmSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPkgInfo } from '../../src/pkgsrc/pkg-info.js';
import { bin, cli } from '../helpers/cli.js';
import { commitDesired, desiredRepo, tempDir } from '../helpers/tmp.js';

const BASES = ['app', 'tool', 'libx', 'liby', 'py311-z'];
const VERSIONS = ['1.0', '1.2', '2.0', '2.0nb1'];

const fleet = fc.record({
  catalog: fc.array(
    fc.record({ base: fc.constantFrom(...BASES), v: fc.constantFrom(...VERSIONS), dep: fc.boolean() }),
    {
      minLength: 3,
      maxLength: 12,
    },
  ),
  profiles: fc.array(
    // One entry per package: a profile naming a package twice is refused (exit 2), which is not what this tests.
    fc.uniqueArray(fc.tuple(fc.constantFrom(...BASES), fc.constantFrom('', '>=1.2', '-2.0', ' absent')), {
      maxLength: 4,
      selector: ([base]) => base,
    }),
    {
      minLength: 1,
      maxLength: 3,
    },
  ),
  sites: fc.array(
    fc.record({
      profile: fc.nat(),
      userpkgs: fc.boolean(),
      installed: fc.subarray(BASES.flatMap((b) => VERSIONS.slice(0, 2).map((v) => `${b}-${v}`))),
      user: fc.boolean(),
    }),
    { minLength: 2, maxLength: 5 },
  ),
  edit: fc.constantFrom('profile', 'sites', 'inventory', 'catalog', 'damage', 'damage-desired'),
});
type Fleet = typeof fleet extends fc.Arbitrary<infer T> ? T : never;

function profileYaml(entries: [string, string][]): string {
  const lines = entries.map(([b, how]) =>
    how === ' absent' ? `  - { name: ${b}, state: absent }` : `  - "${b}${how}"`,
  );
  return `packages:\n${lines.join('\n')}${lines.length ? '\n' : ''}`.replace('packages:\n$', 'packages: []\n');
}

function writeFleet(f: Fleet, root: string): { repo: string; files: Record<string, string> } {
  const catalog = path.join(root, 'All');
  mkdirSync(catalog, { recursive: true });
  const summary = f.catalog
    .map((c) => `PKGNAME=${c.base}-${c.v}\n${c.dep && c.base !== 'libx' ? 'DEPENDS=libx>=1.0\n' : ''}COMMENT=c\n`)
    .join('\n');
  writeFileSync(path.join(catalog, 'pkg_summary.gz'), gzipSync(summary));
  const files: Record<string, string> = {};
  f.profiles.forEach(
    (p, i) => (files[`profiles/p${i}.yaml`] = profileYaml(p).replace(/^packages:\n$/, 'packages: []\n')),
  );
  files['sites.yaml'] = `sites:\n${f.sites
    .map(
      (s, i) =>
        `  - { name: S${i}, sw_area: /srv/s${i}, platform: x86_64-el9, pkg_path: ${catalog}, profiles: [p${s.profile % f.profiles.length}], userpkgs: ${s.userpkgs} }`,
    )
    .join('\n')}\n`;
  const observed = path.join(root, 'observed');
  mkdirSync(observed, { recursive: true });
  f.sites.forEach((s, i) => {
    const pkgs = [
      ...new Set([
        ...s.installed.filter(
          (n, j, all) => all.findIndex((m) => m.replace(/-[^-]*$/, '') === n.replace(/-[^-]*$/, '')) === j,
        ),
        'pkg_install-20250417',
      ]),
    ];
    writeFileSync(
      path.join(observed, `S${i}.pkg_info`),
      formatPkgInfo(pkgs.map((p) => ({ pkgname: p, comment: 'x' }))),
    );
    if (s.user)
      writeFileSync(
        path.join(observed, `S${i}.pkg_info-u`),
        formatPkgInfo(pkgs.slice(0, 2).map((p) => ({ pkgname: p, comment: 'x' }))),
      );
  });
  return { repo: desiredRepo(files), files };
}

/** One thread runs in this process; more run the built binary, whose workers are in dist/. */
async function plan(root: string, repo: string, state: string, workers: number): Promise<string> {
  const argv = [
    'plan',
    '--json',
    '--desired',
    path.join(repo, 'desired-state'),
    '--observed',
    path.join(root, 'observed'),
    '--state',
    state,
    '--concurrency',
    String(workers),
  ];
  const r = workers === 1 ? await cli(argv) : await bin(argv);
  expect([0, 1], r.stderr).toContain(r.code);
  return r.stdout;
}

function entries(state: string): string[] {
  const dir = path.join(state, 'plan-cache', 'plans');
  return readdirSync(dir).flatMap((d) => readdirSync(path.join(dir, d)).map((f) => path.join(dir, d, f)));
}

/** Every file of the resolved desired state kept in state/desired-cache (resolve-memo.ts). */
function desiredEntries(state: string): string[] {
  const dir = path.join(state, 'desired-cache');
  return ['trees', 'lists'].flatMap((d) => {
    const sub = path.join(dir, d);
    return existsSync(sub) ? readdirSync(sub).map((f) => path.join(sub, f)) : [];
  });
}

/** A tree entry truncated, a package list altered (its seal kept), another list copied over a third. */
function damageDesired(state: string): void {
  const trees = desiredEntries(state).filter((f) => f.includes(`${path.sep}trees${path.sep}`));
  const lists = desiredEntries(state).filter((f) => f.includes(`${path.sep}lists${path.sep}`));
  for (const t of trees) writeFileSync(t, readFileSync(t, 'utf8').slice(0, 60));
  const [a, b] = lists;
  if (a) writeFileSync(a, readFileSync(a, 'utf8').replace(/"state":"present"/, '"state":"absent"'));
  if (a && b) writeFileSync(b, readFileSync(a));
}

function damage(state: string): void {
  const [a, b, c] = entries(state);
  if (a) writeFileSync(a, readFileSync(a, 'utf8').slice(0, 40));
  if (b)
    writeFileSync(
      b,
      readFileSync(b, 'utf8')
        .replace(/"action":"(install|remove)"/, '"action":"upgrade"')
        .replace(/ok/, 'error'),
    );
  if (c && a) writeFileSync(a, readFileSync(c));
}

describe('plan --json over generated fleets', () => {
  it('is the same bytes cold, warm, on 1 and on 3 threads, and after an edit equals a cold plan', async () => {
    await fc.assert(
      fc.asyncProperty(fleet, async (f) => {
        const root = tempDir('vo-cache-prop-');
        const { repo, files } = writeFleet(f, root);
        const [state, other] = [path.join(root, 'state'), path.join(root, 'state-2')];
        const cold = await plan(root, repo, state, 1);
        expect(await plan(root, repo, state, 1)).toBe(cold);
        expect(await plan(root, repo, other, 3)).toBe(cold);

        if (f.edit === 'profile')
          commitDesired(repo, { ...files, 'profiles/p0.yaml': profileYaml([['tool', '>=2.0']]) }, 'edit');
        if (f.edit === 'sites')
          commitDesired(
            repo,
            {
              ...files,
              'sites.yaml': files['sites.yaml']!.replace(
                /userpkgs: (true|false)/,
                (_, v) => `userpkgs: ${v === 'true' ? 'false' : 'true'}`,
              ),
            },
            'edit sites',
          );
        if (f.edit === 'inventory') {
          const listing = [{ pkgname: 'app-1.0', comment: 'y' }];
          writeFileSync(path.join(root, 'observed', 'S0.pkg_info'), formatPkgInfo(listing));
          writeFileSync(path.join(root, 'observed', 'S0.pkg_info-u'), formatPkgInfo(listing));
        }
        if (f.edit === 'catalog')
          writeFileSync(path.join(root, 'All', 'pkg_summary.gz'), gzipSync('PKGNAME=tool-2.0\nCOMMENT=t\n'));
        if (f.edit === 'damage') damage(state);
        if (f.edit === 'damage-desired') {
          expect(desiredEntries(state).length).toBeGreaterThan(0);
          damageDesired(state);
          damageDesired(other);
          // Without its plans, the other state must load packages, and meets the damaged lists.
          rmSync(path.join(other, 'plan-cache'), { recursive: true, force: true });
        }
        const fresh = await plan(root, repo, path.join(root, 'state-fresh'), 1);
        expect(await plan(root, repo, state, 1)).toBe(fresh);
        expect(await plan(root, repo, other, 3)).toBe(fresh);
        if (f.edit === 'damage' || f.edit === 'damage-desired') expect(fresh).toBe(cold);
      }),
      { numRuns: 8, endOnFailure: true },
    );
  }, 600_000);
});
