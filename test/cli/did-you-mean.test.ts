// Mistyped commands, options and sites get a suggestion; site words take
// globs and tag:T (issue 18 §11).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { closest, editDistance } from '../../src/cli/did-you-mean.js';
import { cli, repoRoot } from '../helpers/cli.js';

const EXAMPLE = [
  '--worktree',
  '--desired',
  path.join(repoRoot, 'desired-state'),
  '--observed',
  path.join(repoRoot, 'desired-state/examples/observed'),
  '--catalog',
  path.join(repoRoot, 'desired-state/examples/catalog'),
];

describe('did you mean', () => {
  it('suggests the command for a swapped pair of letters', async () => {
    const r = await cli(['plna']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("reconcile: unknown command 'plna'; did you mean 'plan'? (see reconcile --help)\n");
  });

  it('suggests the option for a short one', async () => {
    const r = await cli(['plan', '--sit', 'X']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("reconcile: unknown option '--sit'; did you mean '--site'? (see reconcile plan --help)\n");
  });

  it('lists the commands when nothing is close', async () => {
    const r = await cli(['frobnicate']);
    expect(r.stderr).toMatch(/^reconcile: unknown command 'frobnicate'; expected one of: apply, plan/);
  });

  it('suggests a site', async () => {
    const r = await cli(['plan', ...EXAMPLE, '--site', 'DESY-HX']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown site 'DESY-HX'; did you mean 'DESY-HH'\?; sites\.yaml has:/);
  });

  it('edit distance is a metric with swaps counted once', () => {
    expect(editDistance('plna', 'plan')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), (a, b) => {
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, a)).toBe(0);
        expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
    expect(closest('xyzzy', ['plan', 'apply'])).toBeUndefined();
  });
});

describe('--site globs and tags', () => {
  it('selects the sites a quoted glob matches', async () => {
    const r = await cli(['plan', ...EXAMPLE, '--site', 'DESY-*', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { sites: { site: string }[] };
    expect(plan.sites.map((s) => s.site)).toEqual(['DESY-HH']);
  });

  it('selects the sites with a tag, in sites.yaml order', async () => {
    const r = await cli(['plan', ...EXAMPLE, '--site', 'tag:t2', '--json']);
    const plan = JSON.parse(r.stdout) as { sites: { site: string }[] };
    expect(plan.sites.map((s) => s.site)).toEqual(['UKI-NORTHGRID-LIV-HEP', 'DESY-HH']);
  });

  it('refuses a glob that matches nothing', async () => {
    const r = await cli(['plan', ...EXAMPLE, '--site', 'CERN-*']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^reconcile: 'CERN-\*' matches no site; sites\.yaml has: /);
  });
});
