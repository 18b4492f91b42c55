// Job scripts: golden text, shellcheck-clean, and hostile values refused or
// quoted so they can never run as commands.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/jobs/job-spec.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { shq, UnsafeValueError } from '../../src/jobs/shell.js';
import { expectGolden } from '../helpers/golden.js';
import { expectShellcheckClean } from '../helpers/shellcheck.js';
import { tempDir } from '../helpers/tmp.js';

const SPEC: JobSpec = {
  txid: 'tx-20261122T030000Z-DESY-HH-abc123',
  nonce: '0123456789abcdef',
  site: 'DESY-HH',
  swArea: '/data/vo_sw',
  prefix: '/data/vo_sw/pkg2024',
  pkgPath: 'https://packages.example.org/el8/All',
  bootstrap: '/srv/packages/bootstrap.tar.gz',
  lease: 7200,
  controller: 'ctl.example.org:4242',
  expected: ['python27-2.7.18nb20', 'hdf5-1.12.3nb2', 'pkg_install-20250417'],
  actions: [
    { action: 'install', name: 'cmake', pkgname: 'cmake-4.0.3', reason: 'wanted' },
    {
      action: 'upgrade',
      name: 'hdf5',
      pkgname: 'hdf5-1.14.6',
      from: 'hdf5-1.12.3nb2',
      reason: 'r',
      flag: 'user',
      undo: { pkgname: 'hdf5-1.12.3nb2', automatic: false },
    },
    {
      action: 'downgrade',
      name: 'foo',
      pkgname: 'foo-1.2',
      from: 'foo-1.4',
      reason: 'r',
      automatic: true,
      flag: 'automatic',
    },
    { action: 'remove', name: 'python27', pkgname: 'python27-2.7.18nb20', reason: 'absent' },
  ],
};

describe('renderJobScript', () => {
  it('renders the apply job (golden) and passes shellcheck', () => {
    const script = renderJobScript(SPEC);
    expectGolden('job-apply.sh', script);
    expectShellcheckClean(script);
  });

  it('renders the apply job with checks (golden) and passes shellcheck', () => {
    const checks = [
      { name: 'numpy-imports', run: "python3.11 -c 'import numpy'", timeout: 60 },
      { name: 'env', run: 'printf \'%s\\n\' "$HOME" `id -un`\ntest -d "$PREFIX"', timeout: 5 },
    ];
    const script = renderJobScript({ ...SPEC, checks });
    expectGolden('job-apply-checks.sh', script);
    expectShellcheckClean(script);
    // Without checks, or in a probe, the script is what it always was.
    expect(renderJobScript({ ...SPEC, checks: [] })).toBe(renderJobScript(SPEC));
    expect(renderJobScript({ ...SPEC, actions: [], probe: true, expected: undefined, checks })).toBe(
      renderJobScript({ ...SPEC, actions: [], probe: true, expected: undefined }),
    );
  });

  it('refuses a check name that is not a plain token', () => {
    expect(() => renderJobScript({ ...SPEC, checks: [{ name: 'a b', run: 'true', timeout: 1 }] })).toThrow(
      UnsafeValueError,
    );
  });

  it('renders the probe job (golden) and passes shellcheck', () => {
    const script = renderJobScript({ ...SPEC, actions: [], probe: true, expected: undefined });
    expectGolden('job-probe.sh', script);
    expectShellcheckClean(script);
  });

  it('renders an empty expected set and no bootstrap kit cleanly', () => {
    const { bootstrap: _b, ...rest } = SPEC;
    expectShellcheckClean(renderJobScript({ ...rest, expected: [] }));
  });

  it('is valid sh that dash parses', () => {
    const dir = tempDir();
    const file = path.join(dir, 'job.sh');
    writeFileSync(file, renderJobScript(SPEC));
    expect(spawnSync('sh', ['-n', file]).status).toBe(0);
  });

  it.each([
    ['package name', { actions: [{ action: 'install' as const, name: 'x', pkgname: 'x-1.0;reboot', reason: '' }] }],
    [
      'package name with $()',
      { actions: [{ action: 'remove' as const, name: 'x', pkgname: '$(id)-1.0', reason: '' }] },
    ],
    ['expected pkgname with a newline', { expected: ['a-1.0\nVO_EXPECTED_0123456789abcdef\nrm -rf /'] }],
    ['software area', { swArea: "/srv/vo sw'; rm -rf /" }],
    ['prefix escaping upwards', { prefix: '/srv/../etc' }],
    ['pkg_path', { pkgPath: 'ftp://x/$(id)' }],
    ['site', { site: '../x' }],
  ])('refuses an unsafe %s', (_what, over) => {
    expect(() => renderJobScript({ ...SPEC, ...over } as JobSpec)).toThrow(UnsafeValueError);
  });

  it('shq quotes any string so sh reads it back unchanged', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary-ascii' }).filter((s) => !s.includes('\0')),
        (s) => {
          const out = execFileSync('sh', ['-c', `printf '%s' ${shq(s)}`], { encoding: 'latin1' });
          expect(out).toBe(s);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('frames every step with nonce markers when run', () => {
    const dir = tempDir();
    const prefix = path.join(dir, 'sw/pkg');
    mkdirSync(path.join(prefix, 'sbin'), { recursive: true });
    const stub = '#!/bin/sh\necho "$(basename "$0") $*"\n';
    for (const t of ['pkg_add', 'pkg_delete', 'pkg_info', 'pkg_admin'])
      writeFileSync(path.join(prefix, 'sbin', t), stub, { mode: 0o755 });
    const script = renderJobScript({
      ...SPEC,
      swArea: path.join(dir, 'sw'),
      prefix,
      pkgPath: '/srv/packages/All',
      expected: undefined,
    });
    writeFileSync(path.join(dir, 'job.sh'), script);
    const r = spawnSync('sh', [path.join(dir, 'job.sh')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const marks = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('@@vo:0123456789abcdef '))
      .map((l) => l.slice(22));
    expect(marks).toEqual([
      `start ${SPEC.txid}`,
      'begin preflight',
      'end preflight 0',
      'begin lock',
      'end lock 0',
      'begin bootstrap',
      'end bootstrap 0',
      'begin version',
      'end version 0',
      'begin precheck',
      'end precheck 0',
      'begin audit',
      'end audit 0',
      'begin action 1 install cmake-4.0.3',
      'end action 1 install cmake-4.0.3 0',
      'begin action 2 upgrade hdf5-1.14.6',
      'end action 2 upgrade hdf5-1.14.6 0',
      'begin action 3 downgrade foo-1.2',
      'end action 3 downgrade foo-1.2 0',
      'begin action 4 remove python27-2.7.18nb20',
      'end action 4 remove python27-2.7.18nb20 0',
      'begin flag 2 user hdf5-1.14.6',
      'end flag 2 user hdf5-1.14.6 0',
      'begin flag 3 automatic foo-1.2',
      'end flag 3 automatic foo-1.2 0',
      'begin inventory',
      'end inventory 0',
      'begin inventory-u',
      'end inventory-u 0',
      'begin inventory-n',
      'end inventory-n 0',
      'unlocked',
      'done ok',
    ]);
    expect(r.stdout).toContain('pkg_add -U hdf5-1.14.6');
    expect(r.stdout).toContain('pkg_delete python27-2.7.18nb20');
    expect(r.stdout).toContain('pkg_add -A -U foo-1.2');
    // The flags the plan means, set after every action ran (pkg_admin as the captures show it).
    expect(r.stdout).toContain('pkg_admin unset automatic hdf5-1.14.6');
    expect(r.stdout).toContain('pkg_admin set automatic=YES foo-1.2');
  });
});
