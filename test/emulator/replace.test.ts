// What the emulated pkg_add/pkg_delete do around replacing packages, install
// scripts, conflicts, dependants and automatic flags (issue 20, item 6).
// Where the real captures (test/fixtures/pkgsrc/commands/) have the case, the
// test replays the capture's message; otherwise it cites the pkg_install
// source (2017 tree, pkgtools/pkg_install/files/) whose behaviour it pins.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { installEmulator, makePackage, runTool, setFaults, stageScript, type PackageSpec } from './index.js';

const CAPTURES = fileURLToPath(new URL('../fixtures/pkgsrc/commands/', import.meta.url));
function capture(name: string): { exit: number; stdout: string; stderr: string } {
  const c = JSON.parse(readFileSync(path.join(CAPTURES, `${name}.json`), 'utf8'));
  return { exit: c.exit, stdout: c.stdout, stderr: c.stderr };
}

/** A site at root/pkg (its script log at root/script.log) and a repository of the given packages. */
function world(specs: PackageSpec[]) {
  const root = tempDir('vo-emu-replace-');
  const repo = path.join(root, 'packages', 'All');
  for (const s of specs) makePackage(repo, s);
  const site = installEmulator(path.join(root, 'pkg'), { pkgPath: repo });
  const run = (tool: 'pkg_add' | 'pkg_delete' | 'pkg_info' | 'pkg_admin', ...args: string[]) =>
    runTool(site.prefix, tool, args);
  const names = () =>
    readdirSync(site.dbdir)
      .filter((n) => existsSync(path.join(site.dbdir, n, '+CONTENTS')))
      .sort();
  const scriptLog = () => {
    const f = path.join(root, 'script.log');
    return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
  };
  const automatic = (p: string) => run('pkg_info', '-Q', 'automatic', p).stdout.trim();
  const file = (rel: string) => path.join(site.prefix, rel);
  return { root, site, run, names, scriptLog, automatic, file };
}

const logged = stageScript();

describe('replacing a package (add/perform.c pkg_do, start_replacing)', () => {
  it('deletes the old version before installing the new one’s dependencies, so its old constraint no longer blocks', () => {
    const w = world([
      { pkgname: 'lib-1.0', installScript: logged, deinstallScript: logged },
      { pkgname: 'lib-2.0', installScript: logged },
      { pkgname: 'app-1.0', depends: ['lib>=1.0<2'], installScript: logged, deinstallScript: logged },
      { pkgname: 'app-1.1', depends: ['lib>=2'], installScript: logged },
    ]);
    expect(w.run('pkg_add', 'lib-1.0', 'app-1.0').exit).toBe(0);
    const r = w.run('pkg_add', '-U', 'app-1.1');
    expect(r).toMatchObject({ exit: 0, stderr: '' });
    expect(w.names()).toEqual(['app-1.1', 'lib-2.0']);
    expect(w.scriptLog().slice(4)).toEqual([
      'DEINSTALL app-1.0',
      'POST-DEINSTALL app-1.0',
      'DEINSTALL lib-1.0',
      'POST-DEINSTALL lib-1.0',
      'PRE-INSTALL lib-2.0',
      'POST-INSTALL lib-2.0',
      'PRE-INSTALL app-1.1',
      'POST-INSTALL app-1.1',
    ]);
    // the dependency pkg_add pulled in is automatic, though lib-1.0 had been asked for by name
    expect(w.automatic('lib-2.0')).toBe('yes');
    expect(w.automatic('app-1.1')).toBe('');
    expect(readFileSync(path.join(w.site.dbdir, 'lib-2.0', '+REQUIRED_BY'), 'utf8')).toBe('app-1.1\n');
  });

  it('refuses a replacement an installed dependant would not accept, naming both (check_other_installed)', () => {
    const w = world([
      { pkgname: 'lib-1.0' },
      { pkgname: 'lib-2.0' },
      { pkgname: 'app-1.0', depends: ['lib>=1.0<2'] },
      { pkgname: 'app-1.1', depends: ['lib>=2'] },
    ]);
    expect(w.run('pkg_add', 'app-1.0').exit).toBe(0);
    expect(w.run('pkg_add', '-U', 'lib-2.0')).toEqual({
      exit: 1,
      stdout: '',
      stderr:
        'pkg_add: Dependency of app-1.0 fulfilled by lib-1.0, but not by lib-2.0\npkg_add: 1 package addition failed\n',
    });
    expect(w.names()).toEqual(['app-1.0', 'lib-1.0']);
    // dependants first: app-1.1 replaces app-1.0 and then lib; lib-2.0 named again is then already there
    expect(w.run('pkg_add', '-U', 'app-1.1', 'lib-2.0')).toMatchObject({ exit: 0 });
    expect(w.names()).toEqual(['app-1.1', 'lib-2.0']);
  });

  it('a failing PRE-INSTALL after the old version was deleted leaves neither version', () => {
    const w = world([
      { pkgname: 'badinst-0.9' },
      { pkgname: 'badinst-1.0', installScript: stageScript({ 'PRE-INSTALL': 1 }) },
    ]);
    expect(w.run('pkg_add', 'badinst-0.9').exit).toBe(0);
    expect(w.run('pkg_add', '-U', 'badinst-1.0')).toEqual({
      exit: 1,
      stdout: '',
      stderr: 'pkg_add: install script returned error status\npkg_add: 1 package addition failed\n',
    });
    expect(w.names()).toEqual([]);
    expect(existsSync(w.file('bin/badinst'))).toBe(false);
  });

  it('a dependency that cannot be installed after the old version was deleted leaves neither version', () => {
    const w = world([{ pkgname: 'app-1.0' }, { pkgname: 'app-1.1', depends: ['nolib>=1'] }]);
    expect(w.run('pkg_add', 'app-1.0').exit).toBe(0);
    expect(w.run('pkg_add', '-u', 'app-1.1')).toEqual({
      exit: 1,
      stdout: '',
      stderr:
        "pkg_add: no pkg found for 'nolib>=1', sorry.\npkg_add: Can't install dependency nolib>=1\npkg_add: 1 package addition failed\n",
    });
    expect(w.names()).toEqual([]);
  });

  it('the new version inherits the old one’s flags: automatic stays automatic, -A sets it, a manual one stays manual', () => {
    const w = world([
      { pkgname: 'lib-1.0' },
      { pkgname: 'lib-1.1' },
      { pkgname: 'lib-1.2' },
      { pkgname: 'app-1.0', depends: ['lib>=1'] },
      { pkgname: 'tool-1.0' },
      { pkgname: 'tool-1.1' },
    ]);
    expect(w.run('pkg_add', 'app-1.0', 'tool-1.0').exit).toBe(0);
    expect(w.automatic('lib-1.2')).toBe('yes');
    expect(w.run('pkg_add', '-U', 'lib-1.2').stderr).toBe('');
    // -U of the same version: the entry is rebuilt, +INSTALLED_INFO carried over from the old one
    expect(w.automatic('lib-1.2')).toBe('yes');
    expect(w.run('pkg_add', '-u', 'tool-1.1').exit).toBe(0);
    expect(w.automatic('tool-1.1')).toBe('');
    expect(w.run('pkg_add', '-u', '-A', 'lib-1.1').exit).toBe(0);
    expect(w.automatic('lib-1.1')).toBe('yes');
    // dependants are carried over with +REQUIRED_BY
    expect(readFileSync(path.join(w.site.dbdir, 'lib-1.1', '+REQUIRED_BY'), 'utf8')).toBe('app-1.0\n');
  });
});

describe('+INSTALL scripts (add/perform.c run_install_script)', () => {
  it('runs PRE-INSTALL before and POST-INSTALL after the files, in the pkgdb entry, with the documented environment', () => {
    const probe = `#!/bin/sh
[ "$2" = PRE-INSTALL ] && [ -e "$PKG_PREFIX/bin/probe" ] && exit 3
[ "$2" = POST-INSTALL ] && [ ! -e "$PKG_PREFIX/bin/probe" ] && exit 4
echo "$2 $1 cwd=$(pwd) meta=$PKG_METADATA_DIR" >> "$PKG_METADATA_DIR/../../../script.log"
`;
    const w = world([{ pkgname: 'probe-1.0', installScript: probe, display: 'Read the manual.\n' }]);
    const r = w.run('pkg_add', '-v', 'probe-1.0');
    expect(r).toMatchObject({ exit: 0, stderr: '' });
    const meta = path.join(w.site.dbdir, 'probe-1.0');
    expect(w.scriptLog()).toEqual([
      `PRE-INSTALL probe-1.0 cwd=${meta} meta=${meta}`,
      `POST-INSTALL probe-1.0 cwd=${meta} meta=${meta}`,
    ]);
    // the real message says PRE-INSTALL for both stages; +DISPLAY comes last
    expect(r.stdout).toBe(
      'Running install with PRE-INSTALL for probe-1.0.\nbin/probe\nshare/probe/VERSION\n' +
        `Running install with PRE-INSTALL for probe-1.0.\nPackage probe-1.0 registered in ${meta}\nRead the manual.\n`,
    );
  });

  it('PRE-INSTALL failing installs nothing; POST-INSTALL failing leaves the files but no pkgdb entry; -I skips both', () => {
    const w = world([
      { pkgname: 'pre-1.0', installScript: stageScript({ 'PRE-INSTALL': 2 }) },
      { pkgname: 'post-1.0', installScript: stageScript({ 'POST-INSTALL': 1 }) },
    ]);
    expect(w.run('pkg_add', 'pre-1.0').stderr).toBe(
      'pkg_add: install script returned error status\npkg_add: 1 package addition failed\n',
    );
    expect(existsSync(w.file('bin/pre'))).toBe(false);
    expect(w.run('pkg_add', 'post-1.0').exit).toBe(1);
    expect(existsSync(w.file('bin/post'))).toBe(true);
    expect(w.names()).toEqual([]);
    expect(w.run('pkg_add', '-I', 'pre-1.0', 'post-1.0').exit).toBe(0);
    expect(w.names()).toEqual(['post-1.0', 'pre-1.0']);
  });

  it('a dependency whose script fails fails its dependant', () => {
    const w = world([
      { pkgname: 'lib-1.0', installScript: stageScript({ 'PRE-INSTALL': 1 }) },
      { pkgname: 'app-1.0', depends: ['lib>=1'] },
    ]);
    expect(w.run('pkg_add', 'app-1.0').stderr).toBe(
      "pkg_add: install script returned error status\npkg_add: Can't install dependency lib>=1\npkg_add: 1 package addition failed\n",
    );
    expect(w.names()).toEqual([]);
  });
});

describe('+DEINSTALL scripts (delete/pkg_delete.c remove_pkg, run_deinstall_script)', () => {
  it('DEINSTALL failing keeps the package, unless -f; POST-DEINSTALL failing removes it and fails', () => {
    const w = world([
      { pkgname: 'keep-1.0', deinstallScript: stageScript({ DEINSTALL: 1 }) },
      { pkgname: 'late-1.0', deinstallScript: stageScript({ 'POST-DEINSTALL': 1 }) },
    ]);
    expect(w.run('pkg_add', 'keep-1.0', 'late-1.0').exit).toBe(0);
    expect(w.run('pkg_delete', 'keep-1.0')).toEqual({
      exit: 1,
      stdout: '',
      stderr: 'pkg_delete: deinstall script returned error status\n',
    });
    expect(w.names()).toEqual(['keep-1.0', 'late-1.0']);
    expect(existsSync(w.file('bin/keep'))).toBe(true);
    expect(w.run('pkg_delete', 'late-1.0')).toEqual({
      exit: 1,
      stdout: '',
      stderr: 'pkg_delete: post-deinstall script returned error status\n',
    });
    expect(w.names()).toEqual(['keep-1.0']);
    expect(w.run('pkg_delete', '-n', 'keep-1.0').stdout).toBe(
      "Would execute deinstall script with argument DEINSTALL now\nAttempting to delete package `keep-1.0'\nWould execute post-deinstall script with argument POST-DEINSTALL now\n",
    );
    expect(w.run('pkg_delete', '-f', 'keep-1.0')).toMatchObject({ exit: 0 });
    expect(w.names()).toEqual([]);
  });

  it('-D skips the scripts', () => {
    const w = world([{ pkgname: 'keep-1.0', deinstallScript: stageScript({ DEINSTALL: 1 }) }]);
    expect(w.run('pkg_add', 'keep-1.0').exit).toBe(0);
    expect(w.run('pkg_delete', '-D', 'keep-1.0')).toMatchObject({ exit: 0, stderr: '' });
    expect(w.names()).toEqual([]);
  });

  it('on replace, an old version whose DEINSTALL fails stays registered beside the new one (pkg_add ignores pkg_delete’s result)', () => {
    const w = world([
      { pkgname: 'stuck-1.0', deinstallScript: stageScript({ DEINSTALL: 1 }) },
      { pkgname: 'stuck-1.1' },
    ]);
    expect(w.run('pkg_add', 'stuck-1.0').exit).toBe(0);
    expect(w.run('pkg_add', '-u', 'stuck-1.1')).toEqual({
      exit: 0,
      stdout: '',
      stderr: 'pkg_delete: deinstall script returned error status\n',
    });
    expect(w.names()).toEqual(['stuck-1.0', 'stuck-1.1']);
  });
});

describe('conflicts (add/perform.c check_explicit_conflict, check_implicit_conflict)', () => {
  it('refuses a package whose CONFLICTS match an installed one, with the captured message (026)', () => {
    const want = capture('026-pkg_add-conflict');
    const w = world([{ pkgname: 'foo-1.4' }, { pkgname: 'conflicting-1.0', conflicts: ['foo-[0-9]*'] }]);
    expect(w.run('pkg_add', 'foo-1.4').exit).toBe(0);
    expect(w.run('pkg_add', 'conflicting-1.0')).toEqual(want);
    expect(w.names()).toEqual(['foo-1.4']);
  });

  it('refuses a package an installed one declares a conflict with; a conflict with the version being replaced does not count', () => {
    const w = world([
      { pkgname: 'foo-1.4' },
      { pkgname: 'conflicting-1.0', conflicts: ['foo-[0-9]*'] },
      { pkgname: 'self-1.0', conflicts: ['self<1'] },
      { pkgname: 'self-0.5' },
    ]);
    expect(w.run('pkg_add', 'conflicting-1.0').exit).toBe(0);
    expect(w.run('pkg_add', 'foo-1.4')).toEqual({
      exit: 1,
      stdout: '',
      stderr:
        "pkg_add: Installed package `conflicting-1.0' conflicts with `foo-[0-9]*' when trying to install `foo-1.4'.\npkg_add: 1 package addition failed\n",
    });
    expect(w.run('pkg_add', 'self-0.5').exit).toBe(0);
    expect(w.run('pkg_add', '-u', 'self-1.0')).toMatchObject({ exit: 0, stderr: '' });
  });

  it('refuses a package whose files another installed package owns, unless -f', () => {
    const w = world([
      { pkgname: 'one-1.0', files: { 'bin/shared': 'one\n' } },
      { pkgname: 'two-1.0', files: { 'bin/shared': 'two\n' } },
    ]);
    expect(w.run('pkg_add', 'one-1.0').exit).toBe(0);
    expect(w.run('pkg_add', 'two-1.0').stderr).toBe(
      'pkg_add: Conflicting PLIST with one-1.0: bin/shared\npkg_add: 1 package addition failed\n',
    );
    expect(w.run('pkg_add', '-f', 'two-1.0').exit).toBe(0);
    expect(readFileSync(w.file('bin/shared'), 'utf8')).toBe('two\n');
  });
});

describe('dependants (delete/pkg_delete.c sort_and_recurse)', () => {
  it('pkg_delete refuses a package still required by others, with the captured messages (300, 309)', () => {
    const w = world([
      { pkgname: 'foo-1.2' },
      { pkgname: 'bar-1.0', depends: ['foo>=1.2'] },
      { pkgname: 'perl-5.38.2' },
      { pkgname: 'p5-Foo-Bar-1.0', depends: ['perl>=5.0'] },
    ]);
    expect(w.run('pkg_add', 'bar-1.0', 'p5-Foo-Bar-1.0').exit).toBe(0);
    const one = capture('300-pkg_delete-has-dependants');
    expect(w.run('pkg_delete', 'foo')).toEqual({
      ...one,
      stderr: "Package `foo-1.2' is still required by other packages:\n\tbar-1.0\n",
    });
    expect(one.stderr).toContain("Package `foo-1.2' is still required by other packages:\n");
    // perl came in as a dependency (automatic): still refused
    expect(w.run('pkg_delete', 'perl')).toEqual(capture('309-pkg_delete-auto-dep-still-needed'));
    expect(w.names()).toEqual(['bar-1.0', 'foo-1.2', 'p5-Foo-Bar-1.0', 'perl-5.38.2']);
  });
});

describe('automatic flags (admin/main.c set_unset_variable, lib/var.c var_set)', () => {
  it('set and unset print nothing (captures 208, 211); a package whose +INSTALLED_INFO cannot be written fails, exit 1', () => {
    const w = world([{ pkgname: 'lib-2.0' }, { pkgname: 'app-1.1', depends: ['lib>=2'] }]);
    expect(w.run('pkg_add', 'app-1.1').exit).toBe(0);
    expect(w.automatic('lib-2.0')).toBe('yes');
    expect(w.run('pkg_admin', 'unset', 'automatic', 'lib-2.0')).toEqual(capture('211-pkg_admin-unset-automatic'));
    expect(w.automatic('lib-2.0')).toBe('');
    expect(w.run('pkg_admin', 'set', 'automatic=YES', 'lib')).toEqual(capture('208-pkg_admin-set-automatic'));
    expect(w.automatic('lib-2.0')).toBe('YES');
    // As an entry the job's user may not write: var_set warns with the file and errno, iteration stops.
    setFaults(w.site.prefix, { failAdmin: ['lib-2.0'] });
    const info = path.join(w.site.dbdir, 'lib-2.0', '+INSTALLED_INFO');
    expect(w.run('pkg_admin', 'unset', 'automatic', 'lib-2.0')).toEqual({
      exit: 1,
      stdout: '',
      stderr: `pkg_admin: var_set: can't open temp file for '${info}' for writing: Permission denied\npkg_admin: Cannot process pkdbdb\n`,
    });
    expect(w.automatic('lib-2.0')).toBe('YES');
    expect(w.run('pkg_admin', 'unset', 'automatic', 'app-1.1').exit).toBe(0);
  });
});
