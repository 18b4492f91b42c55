// `hook install` and `cron` call the installed `reconcile`, not the clone
// they were run from (issue 18 §3): a hook keeps working after the clone is
// moved away, and without an installed command nothing is written.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFleet } from '../helpers/fleet.js';
import { copyPackage, installReconcile, systemPath } from '../helpers/installed-reconcile.js';
import { git, tempDir } from '../helpers/tmp.js';

const ENV = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.org',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.org',
};

/** Run a copy of the package (a "clone") as a process with this PATH. */
function runClone(clone: string, args: string[], pathEnv: string) {
  return spawnSync(process.execPath, [path.join(clone, 'dist/cli/main.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: pathEnv },
  });
}

describe('hook install', () => {
  it('writes hooks that call the installed command and keep working when the clone moves', () => {
    const installed = installReconcile();
    const f = makeFleet(['A'], 'packages:\n  - tool\n');
    const bare = path.join(tempDir(), 'desired.git');
    execFileSync('git', ['clone', '-q', '--bare', f.repo, bare]);
    const clone = path.join(tempDir(), 'clone');
    copyPackage(clone);

    const r = runClone(
      clone,
      ['hook', 'install', '--repo', bare, '--branch', 'main', '--state', f.state],
      installed.pathEnv,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^using ${installed.command}\\n`));
    expect(r.stdout).toMatch(/checking and reconciling pushes to main\n$/);
    const hook = readFileSync(path.join(bare, 'hooks/pre-receive'), 'utf8');
    expect(hook).toContain(installed.command);
    expect(hook).not.toContain(clone);

    renameSync(clone, `${clone}-moved`);
    const work = path.join(tempDir(), 'work');
    execFileSync('git', ['clone', '-q', bare, work]);
    writeFileSync(path.join(work, 'desired-state/profiles/p.yaml'), 'packages:\n  - "python311>=3.12<3.11"\n');
    git(work, 'commit', '-qam', 'impossible range');
    const pushed = spawnSync('git', ['push', '-q', 'origin', 'main'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, ...ENV },
    });
    expect(pushed.status).not.toBe(0);
    expect(pushed.stderr).toMatch(
      /remote: desired-state\/profiles\/p\.yaml:2:5: "python311>=3\.12<3\.11" can never match/,
    );
  });

  it("does not take npx's link to the clone it runs from for an installed command", () => {
    const f = makeFleet(['A'], 'packages:\n  - tool\n');
    const bare = path.join(tempDir(), 'desired.git');
    execFileSync('git', ['clone', '-q', '--bare', f.repo, bare]);
    const clone = path.join(tempDir(), 'clone');
    copyPackage(clone);
    // What `npx reconcile` in a clone puts first on PATH.
    const npxBin = path.join(tempDir(), '.npm/_npx/0123abcd/node_modules/.bin');
    mkdirSync(npxBin, { recursive: true });
    chmodSync(path.join(clone, 'dist/cli/main.js'), 0o755);
    symlinkSync(path.join(clone, 'dist/cli/main.js'), path.join(npxBin, 'reconcile'));
    const r = runClone(clone, ['hook', 'install', '--repo', bare], [npxBin, ...systemPath()].join(path.delimiter));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /no installed 'reconcile' command: none on PATH \(npx's link to this clone does not count\)/,
    );
    expect(existsSync(path.join(bare, 'hooks/pre-receive'))).toBe(false);
  });

  it('refuses, writing nothing, when no reconcile is installed', () => {
    const f = makeFleet(['A'], 'packages:\n  - tool\n');
    const bare = path.join(tempDir(), 'desired.git');
    execFileSync('git', ['clone', '-q', '--bare', f.repo, bare]);
    const clone = path.join(tempDir(), 'clone');
    copyPackage(clone);
    const r = runClone(clone, ['hook', 'install', '--repo', bare], systemPath().join(path.delimiter));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^reconcile: no installed 'reconcile' command: none on PATH .*, and no node_modules\/\.bin\/reconcile in /,
    );
    expect(r.stderr).toMatch(/npm pack, then npm install -g vo-reconcile-\*\.tgz/);
    expect(existsSync(path.join(bare, 'hooks/pre-receive'))).toBe(false);
  });
});

describe('cron', () => {
  it('prints a line that calls the installed command, and says which on stderr', () => {
    const installed = installReconcile();
    const clone = path.join(tempDir(), 'clone');
    copyPackage(clone);
    const r = runClone(clone, ['cron', '--every', '1h', '--state', '/srv/state'], installed.pathEnv);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^0 \\*/1 \\* \\* \\* PATH='[^']+':"\\$PATH" '${installed.command}' 'apply' '--yes' `),
    );
    expect(r.stdout).not.toContain(clone);
    expect(r.stderr).toBe(`using ${installed.command}\n`);
  });

  it('refuses without an installed command', () => {
    const clone = path.join(tempDir(), 'clone');
    copyPackage(clone);
    const r = runClone(clone, ['cron'], systemPath().join(path.delimiter));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });
});
