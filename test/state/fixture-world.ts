// The world the file-state fixture (test/state/fixtures/state-v1/) was made
// in: packages, emulated sites and a desired-state repository at one fixed
// root. The journal names the repository's commits and sites.yaml names the
// sites' absolute paths, so a test that reuses the fixture rebuilds this
// world at the same place, from the same bundle.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installEmulator, makePackage, runTool, writeSummary } from '../emulator/index.js';
import { PACKAGES } from '../helpers/fleet.js';

export const FIXTURE_ROOT = '/tmp/vo-reconcile-state-fixture-v1';
export const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/state-v1/', import.meta.url));
export const SITES = ['A', 'B', 'C'] as const;

export const world = {
  root: FIXTURE_ROOT,
  pkgPath: path.join(FIXTURE_ROOT, 'packages', 'All'),
  repo: path.join(FIXTURE_ROOT, 'repo'),
  desired: path.join(FIXTURE_ROOT, 'repo', 'desired-state'),
  state: path.join(FIXTURE_ROOT, 'state'),
  prefix: (site: string) => path.join(FIXTURE_ROOT, 'sites', site, 'pkg'),
  swArea: (site: string) => path.join(FIXTURE_ROOT, 'sites', site),
};

/** Packages and emulated sites, fresh; each site gets `installed` (pkgnames) through the emulator's pkg_add. */
export function buildWorld(installed: Record<string, readonly string[]> = {}): void {
  rmSync(FIXTURE_ROOT, { recursive: true, force: true });
  mkdirSync(world.pkgPath, { recursive: true });
  for (const p of PACKAGES) makePackage(world.pkgPath, p);
  writeSummary(world.pkgPath);
  for (const s of SITES) {
    installEmulator(world.prefix(s));
    for (const pkg of installed[s] ?? []) {
      const r = runTool(world.prefix(s), 'pkg_add', [pkg], { PKG_PATH: world.pkgPath });
      if (r.exit !== 0) throw new Error(`pkg_add ${pkg} at ${s}: ${r.stderr}`);
    }
  }
}

/** git with a fixed identity and clock, so the same commands give the same commit ids. */
export function git(cwd: string, ...args: string[]): string {
  const when = '2026-12-01T12:00:00Z';
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.org',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.org',
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_DATE: when,
    },
  }).trim();
}

export function sitesYaml(): string {
  return [
    'sites:',
    ...SITES.map(
      (n) =>
        `  - { name: ${n}, sw_area: ${world.swArea(n)}, platform: x86_64-el9, pkg_path: ${world.pkgPath}, profiles: [p] }`,
    ),
    '',
  ].join('\n');
}
