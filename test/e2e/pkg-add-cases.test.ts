// Plans that the pkg_install tools can carry out (issue 20), end to end:
// real desired-state repositories, the built `reconcile`, and sites running
// the pkg_install emulator through the local backend. Each case either
// converges or is refused at plan time with a located reason; on the code
// before issue 20 each of them ended in a failed job.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEmulatorLog, setFaults, stageScript, writeSummary, type PackageSpec } from '../emulator/index.js';
import { bin } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';

const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

/** Whether the emulator's package database marks the package automatic (its +INSTALLED_INFO). */
function automatic(f: Fleet, site: string, pkgname: string): boolean {
  const info = path.join(f.sites[site]!.dbdir, pkgname, '+INSTALLED_INFO');
  let text = '';
  try {
    text = readFileSync(info, 'utf8');
  } catch {
    // no +INSTALLED_INFO: no variable set, so not automatic
  }
  return /^automatic=yes$/im.test(text);
}

interface HistoryEntry {
  txid: string;
  kind: string;
  status: string;
  reason?: string;
  actions: { action: string; pkgname: string }[];
  results: { action: string; pkgname: string; outcome: string; flag?: { to: string; outcome: string; rc?: number } }[];
  restores?: { action: number; pkgname: string; outcome: string }[];
  notes?: string[];
}

async function history(f: Fleet, site: string): Promise<HistoryEntry[]> {
  return JSON.parse((await bin(['history', '--state', f.state, '--json', '--site', site])).stdout);
}

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

/** badinst-1.0's +INSTALL fails at PRE-INSTALL, after pkg_add -U deleted badinst-0.9. */
const BADINST: PackageSpec[] = [
  { pkgname: 'badinst-0.9' },
  { pkgname: 'badinst-1.0', installScript: stageScript({ 'PRE-INSTALL': 1 }) },
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

  it('case 1, converging: a profile that allows any app upgrades the dependant too, in one apply', async () => {
    const f = makeFleet(['S'], 'packages:\n  - app-1.0\n  - lib-1.0\n', { packages: LIB_APP });
    expect((await apply(f)).code).toBe(0);
    f.commit('packages:\n  - app\n  - lib>=2.0\n', 'lib 2, any app');
    const plan = await bin(['plan', '--desired', f.desired, '--state', f.state]);
    expect(plan.stdout).toMatch(/upgrade app 1\.0 → 1\.1/);
    const r = await apply(f);
    expect(r.code).toBe(0);
    expect(installed(f, 'S')).toEqual(['app-1.1', 'lib-2.0']);
    const [last] = await history(f, 'S');
    expect(last!.status).toBe('succeeded');
    expect(last!.actions.map((a) => `${a.action} ${a.pkgname}`)).toEqual(['upgrade app-1.1', 'upgrade lib-2.0']);
    expect((await apply(f)).stdout).toMatch(/0 changed, 1 in sync/);
  });

  it('case 2: upgrades the dependant first, in one apply, and lib-2.0 ends user-installed as lib-1.0 was', async () => {
    const f = makeFleet(['S'], 'packages:\n  - lib-1.0\n  - app-1.0\n', { packages: LIB_APP });
    expect((await apply(f)).code).toBe(0);
    expect([automatic(f, 'S', 'lib-1.0'), automatic(f, 'S', 'app-1.0')]).toEqual([false, false]);
    f.commit('packages:\n  - app>=1.1\n  - lib>=2.0\n', 'app 1.1 and lib 2');
    const r = await apply(f);
    expect(r.code).toBe(0);
    expect(installed(f, 'S')).toEqual(['app-1.1', 'lib-2.0']);
    // pkg_add -U app-1.1 pulls lib-2.0 in as a dependency (automatic); the job's flag step unsets it.
    expect([automatic(f, 'S', 'lib-2.0'), automatic(f, 'S', 'app-1.1')]).toEqual([false, false]);
    const [last] = await history(f, 'S');
    expect(last!.status).toBe('succeeded');
    expect(last!.actions.map((a) => `${a.action} ${a.pkgname}`)).toEqual(['upgrade app-1.1', 'upgrade lib-2.0']);
    expect((await apply(f)).stdout).toMatch(/0 changed, 1 in sync/);
  });

  it('case 2: a flag step that fails fails the transaction, typed, though every package is in', async () => {
    const f = makeFleet(['S'], 'packages:\n  - lib-1.0\n  - app-1.0\n', { packages: LIB_APP });
    expect((await apply(f)).code).toBe(0);
    setFaults(f.sites.S!.prefix, { failAdmin: ['lib-2.0'] });
    f.commit('packages:\n  - app>=1.1\n  - lib>=2.0\n', 'app 1.1 and lib 2');
    const r = await apply(f);
    expect(r.code).toBe(1);
    expect(installed(f, 'S')).toEqual(['app-1.1', 'lib-2.0']);
    expect(automatic(f, 'S', 'lib-2.0')).toBe(true);
    const [last] = await history(f, 'S');
    expect(last!.status).toBe('failed');
    expect(last!.results.map((x) => [x.pkgname, x.outcome, x.flag])).toEqual([
      ['app-1.1', 'done', undefined],
      ['lib-2.0', 'done', { to: 'user', outcome: 'failed', rc: 1, output: expect.any(Array) }],
    ]);
    expect(last!.reason).toMatch(/^flag 2 user lib-2\.0 exited 1: .*Cannot process pkdbdb/);
  });

  it('case 3: a failed upgrade that removed badinst-0.9 reinstalls it in the same job, and says so, typed', async () => {
    const f = makeFleet(['S'], 'packages:\n  - badinst-0.9\n', { packages: BADINST });
    expect((await apply(f)).code).toBe(0);
    f.commit('packages:\n  - badinst>=1.0\n', 'badinst 1.0');
    const r = await apply(f);
    expect(r.code).toBe(1);
    expect(installed(f, 'S')).toEqual(['badinst-0.9']);
    expect(automatic(f, 'S', 'badinst-0.9')).toBe(false);
    const [last] = await history(f, 'S');
    expect(last!.status).toBe('failed');
    expect(last!.restores).toEqual([
      { action: 1, pkgname: 'badinst-0.9', outcome: 'restored', detail: expect.any(String) },
    ]);
    expect(last!.reason).toMatch(/badinst-0\.9 was reinstalled/);
    // The same job put back the exact PKGNAME, right after the failed replacement.
    const adds = readEmulatorLog(f.log).filter((e) => e.event === 'start' && e.txn === last!.txid);
    expect(adds.map((e) => e.cmd)).toEqual([
      expect.stringMatching(/^pkg_add -U \S*badinst-1\.0$/),
      'pkg_add badinst-0.9',
    ]);
    expect(`${r.stdout}${r.stderr}`).toMatch(/badinst-0\.9 was reinstalled/);
  });

  it('case 3: when the catalog no longer offers badinst-0.9 the job reports it lost, typed', async () => {
    const f = makeFleet(['S'], 'packages:\n  - badinst-0.9\n', { packages: BADINST });
    expect((await apply(f)).code).toBe(0);
    unpublish(f, 'badinst-0.9');
    f.commit('packages:\n  - badinst>=1.0\n', 'badinst 1.0');
    const plan = await bin(['plan', '--desired', f.desired, '--state', f.state]);
    expect(plan.stdout).toMatch(/upgrade badinst 0\.9 → 1\.0/);
    const r = await apply(f);
    expect(r.code).toBe(1);
    expect(installed(f, 'S')).toEqual([]);
    const [last] = await history(f, 'S');
    expect(last!.status).toBe('failed');
    expect(last!.restores).toEqual([
      {
        action: 1,
        pkgname: 'badinst-0.9',
        outcome: 'lost',
        detail: 'badinst-0.9 was removed by the failed replacement; the catalog does not offer it to reinstall',
      },
    ]);
    expect(`${r.stdout}${r.stderr}`).toMatch(/badinst-0\.9 is NOT installed now/);
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
