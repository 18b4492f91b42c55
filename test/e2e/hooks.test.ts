// Push-triggered reconciliation with a real bare repository, a clone and
// `git push`: an invalid change is rejected with the validation errors; a
// valid one is accepted and only the sites it changed are reconciled.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cronSchedule } from '../../src/cli/commands/hook.js';
import { bin } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { git, tempDir } from '../helpers/tmp.js';
import { installReconcile } from '../helpers/installed-reconcile.js';

const ENV = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.org',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.org',
};

function push(clone: string) {
  return spawnSync('git', ['push', '-q', 'origin', 'main'], {
    cwd: clone,
    encoding: 'utf8',
    env: { ...process.env, ...ENV },
  });
}

async function waitFor(file: string, re: RegExp, ms = 30_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (re.test(text) || Date.now() > until) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('git hooks', () => {
  it('reject an invalid push with the errors, and reconcile only the sites a valid push changed', async () => {
    const f = makeFleet(['A', 'B'], 'packages:\n  - tool\n');
    const bare = path.join(tempDir(), 'desired.git');
    execFileSync('git', ['clone', '-q', '--bare', f.repo, bare]);
    const state = path.join(f.root, 'hook-state');
    const reconcile = installReconcile(); // the hooks call the installed command
    const installed = await bin(['hook', 'install', '--repo', bare, '--branch', 'main', '--state', state], {
      env: { PATH: reconcile.pathEnv },
    });
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(/installed .*hooks\/pre-receive\ninstalled .*hooks\/post-receive/);
    // A hook has no terminal, but says so: it never waits for a confirmation.
    expect(readFileSync(path.join(bare, 'hooks', 'post-receive'), 'utf8')).toMatch(/run_reconcile apply --yes /);

    const clone = path.join(tempDir(), 'clone');
    execFileSync('git', ['clone', '-q', bare, clone]);
    // Both sites converge first (one push that changes both).
    const sites = readFileSync(path.join(clone, 'desired-state/sites.yaml'), 'utf8');
    writeFileSync(path.join(clone, 'desired-state/profiles/p.yaml'), 'packages:\n  - tool\n  - foo\n');
    git(clone, 'commit', '-qam', 'foo everywhere');
    expect(push(clone).status).toBe(0);
    let log = await waitFor(path.join(state, 'post-receive.log'), /Apply: .* of 2 sites/);
    expect(log).toMatch(/Changed since [0-9a-f]{12}: A, B/);
    expect(log).toMatch(/Apply: 2 changed, 0 in sync, 0 failed of 2 sites/);

    // An invalid change is refused with file:line:col, and nothing runs.
    writeFileSync(path.join(clone, 'desired-state/profiles/p.yaml'), 'packages:\n  - "foo;rm -rf /"\n');
    git(clone, 'commit', '-qam', 'broken');
    const refused = push(clone);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(
      /remote: desired-state\/profiles\/p\.yaml:2:5: packages\[0\]: invalid value "foo;rm -rf \/"; expected a package name/,
    );
    expect(refused.stderr).toMatch(/pre-receive hook declined/);
    git(clone, 'reset', '-q', '--hard', 'HEAD~1');

    // A change that only concerns site B reconciles B alone.
    writeFileSync(
      path.join(clone, 'desired-state/sites.yaml'),
      sites.replace(/(name: B, .*profiles: \[p\])/, '$1, userpkgs: true'),
    );
    git(clone, 'commit', '-qam', 'B keeps user packages');
    const before = readFileSync(path.join(state, 'post-receive.log'), 'utf8').length;
    expect(push(clone).status).toBe(0);
    log = await waitFor(path.join(state, 'post-receive.log'), /Apply: .* of 1 site/);
    const latest = log.slice(before);
    expect(latest).toMatch(/Changed since [0-9a-f]{12}: B\n {2}B: userpkgs: false → true/);
    expect(latest).toMatch(/Apply: 0 changed, 1 in sync, 0 failed of 1 site/);
  });

  it('cron prints a schedule with absolute paths and a log, and refuses uneven intervals', async () => {
    const reconcile = installReconcile();
    const r = await bin(['cron', '--every', '30m', '--state', '/srv/state'], { env: { PATH: reconcile.pathEnv } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `*/30 * * * * PATH='${path.dirname(process.execPath)}':"$PATH" '${reconcile.command}' 'apply' '--yes' '--desired' '${path.join(process.cwd(), 'desired-state')}' '--state' '/srv/state' >> '/srv/state/cron.log' 2>&1\n`,
    );
    expect(cronSchedule('6h')).toBe('0 */6 * * *');
    expect(cronSchedule('1d')).toBe('0 0 * * *');
    expect((await bin(['cron', '--every', '7h'])).code).toBe(2);
  });
});
