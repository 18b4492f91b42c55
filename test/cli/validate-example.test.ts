// The shipped example desired state validates through the real executable.
import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';

describe('reconcile validate on the example', () => {
  it('passes and summarises', async () => {
    const r = await bin(['validate', '--worktree']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ok: 3 sites, 5 profiles, \d+ package requirements \(work tree\)\n$/);
    expect(r.code).toBe(0);
  });

  it('answers usage errors with exit 2 and no stack trace', async () => {
    const r = await bin(['validate', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("reconcile: unknown option '--bogus' (see reconcile validate --help)\n");
    const c = await bin(['frobnicate']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^reconcile: unknown command 'frobnicate'; expected one of: apply, plan/);
  });

  it('explains itself with --help', async () => {
    const r = await bin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: reconcile \[command\] \[options\]/);
    const v = await bin(['validate', '--help']);
    expect(v.stdout).toMatch(/file:line:col: message/);
  });
});
