// The README's "Using it" block, run as written on the shipped example (in
// a temporary git repository holding a copy of desired-state/, with
// `npx reconcile` being this clone's built command), so that every command it
// shows keeps working in the order shown (issue 18, item 1).
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/tmp.js';

function readmeBlock(): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const m = /<!-- using-it[^>]*-->\n```sh\n([\s\S]*?)```\n<!-- \/using-it -->/.exec(readme);
  if (!m) throw new Error('README.md: no using-it block');
  return m[1]!;
}

describe("the README's 'Using it' commands", () => {
  it('all work on the shipped example, in the order shown', () => {
    const dir = tempDir('vo-using-it-');
    cpSync(path.join(repoRoot, 'desired-state'), path.join(dir, 'desired-state'), { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'the example');
    const lines = readmeBlock()
      .split('\n')
      .filter((l) => l.trim() !== '');
    // Each command echoed before its output; the first that fails stops the run.
    const script = [
      'set -e',
      `npx() { if [ "$1" = reconcile ]; then shift; node ${JSON.stringify(path.join(repoRoot, 'dist/cli/main.js'))} "$@"; else command npx "$@"; fi; }`,
      ...lines.map((l) => `echo "+++ ${l.replace(/\s+#.*$/, '').replace(/["$`\\]/g, '\\$&')}"\n${l}`),
      'echo "+++ end"',
      'type _reconcile >/dev/null && echo completion-loaded',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const out = r.stdout;
    expect(r.status, `${out}\n${r.stderr}`).toBe(0);
    expect(r.stderr, 'nothing on stderr').toBe('');
    const step = (prefix: string, nth = 0) => {
      let at = -1;
      for (let i = 0; i <= nth; i++) at = out.indexOf(`+++ ${prefix}`, at + 1);
      expect(at, `${prefix} did not run:\n${out}`).toBeGreaterThanOrEqual(0);
      return out.slice(at, out.indexOf('+++ ', at + 4));
    };
    expect(step('npx reconcile --help')).toMatch(/^ {2}plan /m);
    expect(step('npx reconcile validate ')).toMatch(/^ok: 3 sites/m);
    expect(step('npx reconcile plan --observed')).toMatch(
      /^Plan: \d+ to install, .* at 2 of 3 sites \(0 in sync; 1 site only runs checks\)/m,
    );
    expect(step('npx reconcile plan -v --site DESY-HH')).toMatch(/^ {2}= .*\(in-sync: /m);
    expect(step('npx reconcile observe --site DESY-HH')).toMatch(/^DESY-HH: stored \d+ packages/m);
    const fromState = step('npx reconcile plan --site DESY-HH --catalog');
    expect(fromState).toMatch(/^DESY-HH: \d+ changes/m);
    expect(fromState).toMatch(/at 1 of 1 site/);
    expect(step('npx reconcile apply --dry-run')).toMatch(/job script written to state\/jobs\/dry-run\/DESY-HH\.sh/);
    expect(step('npx reconcile history')).toMatch(/no transactions yet/);
    expect(step('npx reconcile hold')).toMatch(/DESY-HH/);
    expect(step('npx reconcile plan --site DESY-HH --catalog', 1)).toMatch(/held .*downtime until Friday/);
    expect(step('npx reconcile release')).toMatch(/DESY-HH/);
    expect(out).toMatch(/completion-loaded/);
  }, 180_000);
});
