// A small emulated fleet for end-to-end tests: binary packages in a
// PKG_PATH, sites whose prefixes hold the pkg_install emulator, and a real
// git repository of desired state pointing at them.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  installEmulator,
  makePackage,
  writeSummary,
  type EmulatorFaults,
  type PackageSpec,
} from '../emulator/index.js';
import { commitDesired, desiredRepo, tempDir } from './tmp.js';

export const PACKAGES: PackageSpec[] = [
  { pkgname: 'foo-1.2', comment: 'Foo utility, old release' },
  { pkgname: 'foo-1.4', comment: 'Foo utility' },
  { pkgname: 'bar-1.0', comment: 'Bar needs foo', depends: ['foo>=1.0'] },
  { pkgname: 'baz-3.1', comment: 'Baz needs bar', depends: ['bar>=1.0'] },
  { pkgname: 'tool-2.0', comment: 'A tool <b>"quoted"</b> $HOME' },
  { pkgname: 'libz-1.3', comment: 'Compression library' },
  { pkgname: 'app-1.0', comment: 'App using libz', depends: ['libz>=1.0'] },
];

export interface Fleet {
  root: string;
  repo: string;
  desired: string;
  state: string;
  pkgPath: string;
  sites: Record<string, { swArea: string; prefix: string; dbdir: string }>;
  log: string;
  commit(profile: string, message: string, sitesYaml?: string): string;
}

export function makeFleet(
  siteNames: string[],
  profile: string,
  /** `packages`: the binary packages on offer (default PACKAGES). */
  opts: { faults?: EmulatorFaults; broken?: string[]; packages?: PackageSpec[] } = {},
): Fleet {
  const root = tempDir('vo-fleet-');
  const pkgPath = path.join(root, 'packages', 'All');
  mkdirSync(pkgPath, { recursive: true });
  for (const p of opts.packages ?? PACKAGES) makePackage(pkgPath, p);
  writeSummary(pkgPath);
  const sites: Fleet['sites'] = {};
  for (const name of siteNames) {
    const swArea = path.join(root, 'sites', name);
    const prefix = path.join(swArea, 'pkg');
    const site = installEmulator(prefix, { ...(opts.faults ? { faults: opts.faults } : {}) });
    sites[name] = { swArea, prefix, dbdir: site.dbdir };
  }
  for (const name of opts.broken ?? []) {
    // A software area that is a plain file: no job can write there (root included).
    const swArea = path.join(root, 'sites', `${name}-not-a-directory`);
    mkdirSync(path.dirname(swArea), { recursive: true });
    writeFileSync(swArea, 'not a directory\n');
    sites[name] = { swArea, prefix: path.join(swArea, 'pkg'), dbdir: path.join(swArea, 'pkg', 'pkgdb') };
  }
  const sitesYaml = (names: string[]) =>
    [
      'sites:',
      ...names.map(
        (n) =>
          `  - { name: ${n}, sw_area: ${sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${pkgPath}, profiles: [p] }`,
      ),
      '',
    ].join('\n');
  const all = [...siteNames, ...(opts.broken ?? [])];
  const repo = desiredRepo({ 'sites.yaml': sitesYaml(all), 'profiles/p.yaml': profile });
  const state = path.join(root, 'state');
  return {
    root,
    repo,
    desired: path.join(repo, 'desired-state'),
    state,
    pkgPath,
    sites,
    log: path.join(root, 'emulator.log'),
    commit: (p, message, yaml) =>
      commitDesired(repo, { 'sites.yaml': yaml ?? sitesYaml(all), 'profiles/p.yaml': p }, message),
  };
}
