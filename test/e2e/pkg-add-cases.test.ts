// Plans that the pkg_install tools can carry out (issue 20), end to end:
// real desired-state repositories, the built `reconcile`, and sites running
// the pkg_install emulator through the local backend. Each case either
// converges or is refused at plan time with a located reason; on the code
// before issue 20 each of them ended in a failed job.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeSummary, type PackageSpec } from '../emulator/index.js';
import { bin } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';

const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

function apply(f: Fleet, ...extra: string[]) {
  return bin(['apply', '--desired', f.desired, '--state', f.state, ...extra], { env: { VO_EMULATOR_LOG: f.log } });
}

/** Take a binary package off the PKG_PATH, as a mirror that dropped an old version. */
function unpublish(f: Fleet, pkgname: string): void {
  rmSync(path.join(f.pkgPath, `${pkgname}.tgz`));
  writeSummary(f.pkgPath);
}

const LIB_APP: PackageSpec[] = [
  { pkgname: 'lib-1.0' },
  { pkgname: 'lib-2.0' },
  { pkgname: 'app-1.0', depends: ['lib>=1.0<2'] },
  { pkgname: 'app-1.1', depends: ['lib>=2'] },
];

describe('plans pkg_add can carry out (issue 20)', () => {
  it("case 4: keeps what an installed version depends on per the site's package database", async () => {
    const f = makeFleet(['S'], 'packages:\n  - app-1.0\n  - lib-1.0\n', { packages: LIB_APP });
    expect((await apply(f)).code).toBe(0);
    expect(installed(f, 'S')).toEqual(['app-1.0', 'lib-1.0']);
    // app-1.0 leaves the catalog; the profile now takes any app and no longer names lib.
    unpublish(f, 'app-1.0');
    f.commit('packages:\n  - app\n', 'any app, lib not declared');
    const plan = await bin(['plan', '--desired', f.desired, '--state', f.state, '-v']);
    expect(plan.stdout).toMatch(/lib-1\.0 \(required: not declared, but required by app-1\.0\)/);
    const r = await apply(f);
    expect(r.code).toBe(0);
    expect(installed(f, 'S')).toEqual(['app-1.0', 'lib-1.0']);
  });

  it('case 1: refuses at plan time an upgrade that an installed dependant the profile pins would block', async () => {
    const f = makeFleet(['S'], 'packages:\n  - app-1.0\n  - lib-1.0\n', { packages: LIB_APP });
    expect((await apply(f)).code).toBe(0);
    f.commit('packages:\n  - app-1.0\n  - lib>=2.0\n', 'lib 2');
    const r = await apply(f);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toMatch(
      /installed app-1\.0 requires lib>=1\.0<2, which lib-2\.0 \(replacing lib-1\.0\) does not satisfy, and no version of app matching app-1\.0 in \S+ works with it/,
    );
    // The plan says where the desired state asks for both.
    const plan = await bin(['plan', '--desired', f.desired, '--state', f.state]);
    expect(plan.stdout).toMatch(/does not satisfy, .*\(\S*profiles\/p\.yaml:3:\d+, \S*profiles\/p\.yaml:2:\d+\)/);
    expect(installed(f, 'S')).toEqual(['app-1.0', 'lib-1.0']);
  });

  it('case 5: refuses two wanted packages that conflict, naming both and the profile, and installs neither', async () => {
    const f = makeFleet(['S'], 'packages:\n  - mysql-client\n  - mariadb-client\n', {
      packages: [
        { pkgname: 'mysql-client-8.0', conflicts: ['mariadb-client-[0-9]*'] },
        { pkgname: 'mariadb-client-10.11' },
      ],
    });
    const r = await apply(f);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toMatch(
      /mysql-client-8\.0 \(wanted by profile p at \S*profiles\/p\.yaml:2:\d+\) conflicts with mariadb-client-10\.11 \(wanted by profile p at \S*profiles\/p\.yaml:3:\d+\)/,
    );
    expect(installed(f, 'S')).toEqual([]);
  });
});
