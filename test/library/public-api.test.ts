// The public library API, imported the way integrators do: by package name.
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, repoRoot } from '../helpers/cli.js';

describe("import { ... } from 'vo-reconcile'", () => {
  it('exposes the pkgsrc semantics, parsers, loader and planner', async () => {
    const lib = await import('vo-reconcile');
    expect(lib.matchPattern('foo>=1.2<2', 'foo-1.4nb1')).toBe(true);
    expect(lib.compareVersions('1.0rc1', '1.0')).toBe(-1);
    expect(lib.parsePkgInfo('foo-1.0             Foo\n')).toEqual([{ pkgname: 'foo-1.0', comment: 'Foo', line: 1 }]);
    expect(lib.parsePkgSummary('PKGNAME=foo-1.0\nCOMMENT=Foo\n\n')[0]!.pkgname).toBe('foo-1.0');
    const desired = await lib.loadDesiredState({ dir: path.join(repoRoot, 'desired-state'), worktree: true });
    expect(desired.sites.map((s) => s.name)).toEqual(['UKI-NORTHGRID-LIV-HEP', 'DESY-HH', 'UNI-ARM-TEST']);
    const plan = lib.buildPlan({ desired, observed: new Map(), catalogs: new Map() });
    expect(plan.sites.map((s) => s.status)).toEqual(['unobserved', 'unobserved', 'unobserved']);
  });
});

describe('schemas/plan.schema.json', () => {
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas/plan.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  const EXAMPLE = [
    '--worktree',
    '--observed',
    'desired-state/examples/observed',
    '--catalog',
    'desired-state/examples/catalog',
  ];

  it.each([[[] as string[]], [['-v']]])('describes plan --json %s on the example', async (extra) => {
    const r = await cli(['plan', '--json', ...extra, ...EXAMPLE]);
    const plan = JSON.parse(r.stdout);
    expect(validate(plan), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects a plan with an unknown action', () => {
    const bad = {
      format: 'vo-reconcile-plan/1',
      revision: 'x',
      summary: { sites: 1, changed: 1, inSync: 0, failed: 0, install: 0, upgrade: 0, downgrade: 0, remove: 0 },
      sites: [
        {
          site: 'S',
          status: 'ok',
          errors: [],
          actions: [{ action: 'reinstall', name: 'foo', pkgname: 'foo-1.0', reason: 'r' }],
        },
      ],
    };
    expect(validate(bad)).toBe(false);
  });
});
