// The emulator beyond the captures: packages & summaries, bootstrap kits,
// env -i, dependency and platform checks, fault injection, the overlap log.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parsePkgInfo } from '../../src/pkgsrc/pkg-info.js';
import { parsePkgSummary } from '../../src/pkgsrc/pkg-summary.js';
import { tempDir } from '../helpers/tmp.js';
import {
  installEmulator,
  makeBootstrapKit,
  makePackage,
  readEmulatorLog,
  readOverlaps,
  runTool,
  runToolAsync,
  setFaults,
  writeSummary,
  type EmulatorSite,
} from './index.js';

/** A site and a small repository: lib-1.0/2.0, app (lib>=1.0<2), tool (lib-[0-9]*). */
function fixture(): { root: string; site: EmulatorSite; repo: string; env: Record<string, string> } {
  const root = tempDir('vo-emu-');
  const repo = path.join(root, 'packages', 'All');
  makePackage(repo, { pkgname: 'lib-1.0', comment: 'A library' });
  makePackage(repo, { pkgname: 'lib-2.0', comment: 'A library, new API' });
  makePackage(repo, { pkgname: 'app-1.0', comment: 'Needs lib 1', depends: ['lib>=1.0<2'] });
  makePackage(repo, { pkgname: 'tool-1.0', comment: 'Any lib', depends: ['lib-[0-9]*'] });
  makePackage(repo, { pkgname: 'broken-1.0', depends: ['nolib>=1'] });
  makePackage(repo, { pkgname: 'arm-1.0', buildInfo: { MACHINE_ARCH: 'aarch64' } });
  makePackage(repo, { pkgname: 'nobi-1.0', buildInfo: { OS_VERSION: null } });
  const site = installEmulator(path.join(root, 'pkg'));
  return { root, site, repo, env: { PKG_PATH: repo } };
}

const installedNames = (site: EmulatorSite): string[] =>
  parsePkgInfo(runTool(site.prefix, 'pkg_info', []).stdout)
    .map((e) => e.pkgname)
    .sort();

describe('binary packages, pkg_summary and bootstrap', () => {
  it('makes real tgz packages and a pkg_summary.gz the product can parse', () => {
    const { repo } = fixture();
    const members = execFileSync('tar', ['-tzf', path.join(repo, 'app-1.0.tgz')], { encoding: 'utf8' }).split('\n');
    expect(members).toEqual(
      expect.arrayContaining(['+CONTENTS', '+COMMENT', '+DESC', '+BUILD_INFO', 'bin/app', 'share/app/VERSION']),
    );
    const text = gunzipSync(readFileSync(writeSummary(repo))).toString('utf8');
    const entries = parsePkgSummary(text);
    expect(entries.map((e) => e.pkgname).sort()).toEqual([
      'app-1.0',
      'arm-1.0',
      'broken-1.0',
      'lib-1.0',
      'lib-2.0',
      'nobi-1.0',
      'tool-1.0',
    ]);
    const app = entries.find((e) => e.pkgname === 'app-1.0')!;
    expect(app.depends).toEqual(['lib>=1.0<2']);
    expect(app.comment).toBe('Needs lib 1');
    for (const v of [
      'SIZE_PKG',
      'OPSYS',
      'OS_VERSION',
      'MACHINE_ARCH',
      'PKGTOOLS_VERSION',
      'FILE_NAME',
      'DESCRIPTION',
    ]) {
      expect(app.vars[v], v).toBeDefined();
    }
    expect(app.vars['FILE_NAME']).toEqual(['app-1.0.tgz']);
    expect(text.endsWith('\n\n')).toBe(true);
  });

  it('bootstraps an empty prefix from a kit, and the tools work under env -i', () => {
    const { root, repo } = fixture();
    const kit = makeBootstrapKit(path.join(root, 'kit', 'bootstrap.tar.gz'));
    const prefix = path.join(root, 'elsewhere', 'pkg');
    mkdirSync(prefix, { recursive: true });
    execFileSync('tar', ['-xzf', kit, '-C', prefix]);
    expect(readdirSync(prefix).sort()).toEqual(['pkgdb', 'sbin']);
    const bare = (tool: string, ...args: string[]) =>
      spawnSync('env', ['-i', `PKG_PATH=${repo}`, path.join(prefix, 'sbin', tool), ...args], { encoding: 'utf8' });
    expect(bare('pkg_info', '-V').stdout).toBe('20130131\n');
    expect(bare('pkg_add', 'tool').status).toBe(0);
    expect(readdirSync(path.join(prefix, 'pkgdb')).sort()).toEqual(['lib-2.0', 'tool-1.0']);
    expect(readFileSync(path.join(prefix, 'bin', 'tool'), 'utf8')).toBe('#!/bin/sh\necho tool-1.0\n');
    expect(bare('pkg_info', '-Q', 'automatic', 'lib').stdout).toBe('yes\n');
  });

  it('takes PKG_PATH from $prefix/etc/pkg_install.conf', () => {
    const { root, repo } = fixture();
    const site = installEmulator(path.join(root, 'other'), { pkgPath: repo });
    expect(spawnSync(site.tool('pkg_add'), ['lib-1.0'], { env: {} }).status).toBe(0);
    expect(installedNames(site)).toEqual(['lib-1.0']);
  });
});

describe('pkg_add and pkg_delete rules', () => {
  it('pulls the best dependency as automatic and re-marks it manual when asked for by name', () => {
    const { site, env, root } = fixture();
    expect(runTool(site.prefix, 'pkg_add', ['app'], env)).toMatchObject({ exit: 0, stderr: '' });
    expect(installedNames(site)).toEqual(['app-1.0', 'lib-1.0']);
    expect(readFileSync(path.join(site.dbdir, 'lib-1.0', '+REQUIRED_BY'), 'utf8')).toBe('app-1.0\n');
    expect(readFileSync(path.join(site.dbdir, 'lib-1.0', '+INSTALLED_INFO'), 'utf8')).toBe('automatic=yes\n');
    expect(runTool(site.prefix, 'pkg_add', ['-A', 'lib-1.0'], env).stderr).toBe(
      "pkg_add: package `lib-1.0' already recorded as installed\n",
    );
    expect(runTool(site.prefix, 'pkg_info', ['-Q', 'automatic', 'lib'], env).stdout).toBe('yes\n');
    // add/perform.c check_already_installed(): one message or the other, never both
    expect(runTool(site.prefix, 'pkg_add', ['lib-1.0'], env)).toEqual({
      exit: 0,
      stdout: '',
      stderr: "pkg_add: package `lib-1.0' was already installed as dependency, now marked as installed manually\n",
    });
    expect(runTool(site.prefix, 'pkg_info', ['-Q', 'automatic', 'lib'], env).stdout).toBe('');
    expect(existsSync(path.join(root, 'emulator.log'))).toBe(true);
  });

  it('a package named by path finds its dependencies beside it without PKG_PATH', () => {
    const { site, repo } = fixture();
    expect(runTool(site.prefix, 'pkg_add', [path.join(repo, 'app-1.0.tgz')])).toMatchObject({ exit: 0, stderr: '' });
    expect(installedNames(site)).toEqual(['app-1.0', 'lib-1.0']);
  });

  it('refuses a replacement a dependant would not accept, unless forced; keeps +REQUIRED_BY', () => {
    const { site, env } = fixture();
    runTool(site.prefix, 'pkg_add', ['app', 'tool'], env);
    expect(runTool(site.prefix, 'pkg_add', ['-U', 'lib-2.0'], env)).toEqual({
      exit: 1,
      stdout: '',
      stderr:
        'pkg_add: Dependency of app-1.0 fulfilled by lib-1.0, but not by lib-2.0\npkg_add: 1 package addition failed\n',
    });
    expect(runTool(site.prefix, 'pkg_add', ['-U', '-f', 'lib-2.0'], env).exit).toBe(0);
    expect(installedNames(site)).toEqual(['app-1.0', 'lib-2.0', 'tool-1.0']);
    expect(readFileSync(path.join(site.dbdir, 'lib-2.0', '+REQUIRED_BY'), 'utf8')).toBe('app-1.0\ntool-1.0\n');
    expect(runTool(site.prefix, 'pkg_info', ['-Q', 'automatic', 'lib'], env).stdout).toBe('yes\n');
    expect(readFileSync(path.join(site.prefix, 'share', 'lib', 'VERSION'), 'utf8')).toBe('lib-2.0\n');
  });

  it('fails on a missing dependency, a foreign platform and missing build information', () => {
    const { site, env } = fixture();
    expect(runTool(site.prefix, 'pkg_add', ['broken'], env)).toEqual({
      exit: 1,
      stdout: '',
      stderr:
        "pkg_add: no pkg found for 'nolib>=1', sorry.\npkg_add: Can't install dependency nolib>=1\npkg_add: 1 package addition failed\n",
    });
    const arm = runTool(site.prefix, 'pkg_add', ['arm-1.0'], env);
    expect(arm.exit).toBe(1);
    expect(arm.stderr).toContain("pkg_add: Warning: package `arm-1.0' was built for a platform:\n");
    expect(runTool(site.prefix, 'pkg_add', ['-f', 'arm-1.0'], env).exit).toBe(0);
    expect(runTool(site.prefix, 'pkg_add', ['nobi-1.0'], env).stderr).toBe(
      'pkg_add: Not all required build information are present.\npkg_add: 1 package addition failed\n',
    );
    expect(installedNames(site)).toEqual(['arm-1.0']);
  });

  it('pkg_delete -A removes only automatic leaves, -R every leaf; files and empty dirs go', () => {
    const { site, env } = fixture();
    runTool(site.prefix, 'pkg_add', ['app'], env);
    expect(runTool(site.prefix, 'pkg_delete', ['lib'], env)).toEqual({
      exit: 1,
      stdout: '',
      stderr: "Package `lib-1.0' is still required by other packages:\n\tapp-1.0\n",
    });
    expect(runTool(site.prefix, 'pkg_delete', ['-A', 'app'], env).exit).toBe(0);
    expect(installedNames(site)).toEqual([]);
    expect(existsSync(path.join(site.prefix, 'share', 'lib'))).toBe(false);
    runTool(site.prefix, 'pkg_add', ['lib-1.0', 'app'], env);
    runTool(site.prefix, 'pkg_delete', ['-A', 'app'], env);
    expect(installedNames(site)).toEqual(['lib-1.0']);
    runTool(site.prefix, 'pkg_add', ['app'], env);
    runTool(site.prefix, 'pkg_delete', ['-R', 'app'], env);
    expect(installedNames(site)).toEqual([]);
  });
});

describe('fault injection', () => {
  it('failAdd, lieAdd and failDelete', () => {
    const { site, env } = fixture();
    setFaults(site.prefix, { failAdd: ['lib-2.0'], lieAdd: ['tool'], failDelete: ['lib'] });
    const fail = runTool(site.prefix, 'pkg_add', ['lib-2.0'], env);
    expect(fail.exit).toBe(1);
    expect(fail.stderr).toMatch(/injected failure[\s\S]*pkg_add: 1 package addition failed\n$/);
    expect(runTool(site.prefix, 'pkg_add', ['tool-1.0'], env)).toEqual({ exit: 0, stdout: '', stderr: '' });
    expect(installedNames(site)).toEqual([]);
    expect(runTool(site.prefix, 'pkg_add', ['lib-1.0'], env).exit).toBe(0);
    expect(runTool(site.prefix, 'pkg_delete', ['lib-1.0'], env).exit).toBe(1);
    expect(installedNames(site)).toEqual(['lib-1.0']);
    setFaults(site.prefix, undefined);
    expect(runTool(site.prefix, 'pkg_delete', ['lib-1.0'], env).exit).toBe(0);
  });

  it('a SIGKILLed pkg_add leaves the pkgdb as it was and its start logged without an end', async () => {
    const { site, env, root } = fixture();
    setFaults(site.prefix, { delayMs: 5000 });
    const child = spawn(site.tool('pkg_add'), ['lib-1.0'], { env: { ...env, VO_TXN: 'killed' } });
    await waitFor(() => readEmulatorLog(path.join(root, 'emulator.log')).some((e) => e.txn === 'killed'));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(readdirSync(site.dbdir)).toEqual([]);
    expect(readEmulatorLog(path.join(root, 'emulator.log')).map((e) => e.event)).toEqual(['start']);
  });
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('overlap log', () => {
  it('finds overlapping transactions at one site, not sequential ones or other sites', async () => {
    const { site, env, root } = fixture();
    const other = installEmulator(path.join(root, 'pkg2'));
    const log = path.join(root, 'overlaps.log');
    for (const s of [site, other]) setFaults(s.prefix, { delayMs: 400 });
    const run = (s: EmulatorSite, txn: string, ...args: string[]) =>
      runToolAsync(s.prefix, 'pkg_add', args, { ...env, VO_TXN: txn, VO_EMULATOR_LOG: log });
    const results = await Promise.all([
      run(site, 't1', 'lib-1.0'),
      run(site, 't2', '-f', 'arm-1.0'),
      run(other, 't3', 'lib-2.0'),
    ]);
    expect(results.map((r) => r.exit)).toEqual([0, 0, 0]);
    await run(site, 't4', 'app-1.0');
    await run(site, 't4', '-U', 'lib-1.0');
    await run(site, 't5', 'tool-1.0');
    const entries = readEmulatorLog(log);
    expect(entries).toHaveLength(12);
    for (const e of entries) {
      expect([site.prefix, other.prefix]).toContain(e.site);
      expect(e.cmd).toMatch(/^pkg_add /);
    }
    expect(entries.filter((e) => e.event === 'end').every((e) => typeof e.exit === 'number')).toBe(true);
    const pairs = readOverlaps(log).map((o) => [o.site, [o.a, o.b].sort().join('+')]);
    expect(pairs).toEqual([[site.prefix, 't1+t2']]);
  });

  it('readOverlaps works on hand-written logs (no txn, killed, torn line)', () => {
    const log = path.join(tempDir('vo-emu-log-'), 'emulator.log');
    const ev = (site: string, txn: string | null, pid: number, event: string, t: number) =>
      JSON.stringify({ site, txn, pid, event, t, cmd: 'pkg_add x' });
    writeFileSync(
      log,
      [
        ev('/s', 'a', 1, 'start', 100),
        ev('/s', 'a', 1, 'end', 200),
        ev('/s', 'a', 2, 'start', 300),
        ev('/s', 'a', 2, 'end', 400), // same txn again: one span 100..400
        ev('/s', 'b', 3, 'start', 250),
        ev('/s', 'b', 3, 'end', 260), // inside a's span
        ev('/s', null, 4, 'start', 500),
        ev('/s', null, 5, 'start', 520.5),
        ev('/s', null, 4, 'end', 550),
        ev('/s', null, 5, 'end', 600),
        ev('/s', 'k', 7, 'start', 700),
        ev('/s', 'm', 8, 'start', 710),
        ev('/s', 'm', 8, 'end', 720), // k was killed
        ev('/t', 'c', 6, 'start', 150),
        ev('/t', 'c', 6, 'end', 900),
        '{"site": "/s", "txn": "torn',
      ].join('\n'),
    );
    expect(readOverlaps(log)).toEqual([
      { site: '/s', a: 'a', b: 'b' },
      { site: '/s', a: 'pid:4', b: 'pid:5' },
    ]);
    expect(readOverlaps(path.join(path.dirname(log), 'missing.log'))).toEqual([]);
  });
});
