// TEST-ONLY: the binary packages the real captures in
// test/fixtures/pkgsrc/commands/ were made from (reconstructed from their
// pkg_info -X output), and a site laid out like the captured one.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { installEmulator, type EmulatorSite } from './install.js';
import { makePackage, type PackageSpec, writeSummary } from './packages.js';

export const ODD_COMMENT =
  'Odd "quoted" \'single\' $HOME `tick` \\back\\slash & <tag> | pipe; 100% ü é 日本 -- plus a long tail that goes well beyond eighty columns of text';

export const CAPTURED_PACKAGES: readonly PackageSpec[] = [
  { pkgname: 'foo-1.2', comment: 'Foo utility, old release' },
  { pkgname: 'foo-1.4', comment: 'Foo utility' },
  { pkgname: 'foo-1.4nb1', comment: 'Foo utility' },
  { pkgname: 'foo-2.0rc1', comment: 'Foo utility, release candidate' },
  { pkgname: 'bar-1.0', comment: 'Bar needs foo', depends: ['foo>=1.2'] },
  { pkgname: 'baz-3.1', comment: 'Baz needs bar and any foo', depends: ['bar>=1.0', 'foo-[0-9]*'] },
  { pkgname: 'alt-1.0', comment: 'Depends via csh alternatives', depends: ['{foo,bar}>=1.0'] },
  { pkgname: 'py311-urllib3-2.0.7', comment: 'HTTP library with thread-safe connection pooling' },
  {
    pkgname: 'py311-requests-2.31.0',
    comment: 'Elegant and simple HTTP library for Python',
    depends: ['py311-urllib3>=1.21<3'],
  },
  { pkgname: 'perl-5.38.2', comment: 'Practical Extraction and Report Language' },
  { pkgname: 'p5-Foo-Bar-1.0', comment: 'Perl module Foo::Bar', depends: ['perl>=5.0'] },
  { pkgname: 'odd-comment-1.0', comment: ODD_COMMENT },
  { pkgname: 'tiny-0.9b', comment: 'Version with a letter' },
  { pkgname: 'vuln-1.0', comment: 'Package with a known vulnerability' },
  { pkgname: 'vuln-1.1', comment: 'Package with a known vulnerability, fixed' },
  { pkgname: 'conflicting-1.0', comment: 'Conflicts with foo', conflicts: ['foo-[0-9]*'] },
];

export interface CapturedLayout {
  /** Stands for /srv/vo_sw in the captures. */
  root: string;
  site: EmulatorSite;
  /** root/packages/All, with every CAPTURED_PACKAGES .tgz and pkg_summary.gz. */
  packages: string;
  /** The environment the captures ran with, mapped to root. */
  env: Record<string, string>;
}

/** An empty site at root/pkg with the captured packages in root/packages/All. */
export function makeCapturedLayout(root: string): CapturedLayout {
  const packages = path.join(root, 'packages', 'All');
  for (const spec of CAPTURED_PACKAGES) makePackage(packages, spec);
  writeSummary(packages);
  mkdirSync(path.join(root, 'vulns'), { recursive: true });
  const site = installEmulator(path.join(root, 'pkg'));
  return {
    root,
    site,
    packages,
    env: {
      PKG_DBDIR: site.dbdir,
      PKG_PATH: packages,
      PKG_REFCOUNT_DBDIR: `${site.dbdir}.refcount`,
      PKGVULNDIR: path.join(root, 'vulns'),
      LC_ALL: 'C',
      TZ: 'UTC',
      COLUMNS: '80',
    },
  };
}
