// loadDesiredState against real git repositories: what each site resolves
// to, and that the revision (not the work tree) is what gets read.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import type { ResolvedSite } from '../../src/desired/types.js';
import { cli } from '../helpers/cli.js';
import { commitDesired, desiredRepo, git } from '../helpers/tmp.js';

const SITES = `defaults:
  backend: local
  userpkgs: true
sites:
  - name: X86
    sw_area: /srv/vo_sw/
    platform: x86_64-el9
    pkg_path: /srv/packages/All
    profiles: [analysis, tools]
  - name: ARM
    backend: slurm
    endpoint: short
    sw_area: /data/sw
    prefix: /data/sw/pkg2
    platform: aarch64-el9
    pkg_path: https://pkgs.example.org/All
    profiles: [analysis]
    userpkgs: false
    protect: [licensed]
`;

const FILES = {
  'sites.yaml': SITES,
  'profiles/ALL.yaml': 'packages:\n  - bash\n  - openssl>=3.0<3.1\n  - { name: python27, state: absent }\n',
  'profiles/base.yaml': 'packages:\n  - python311>=3.11<3.12\n  - bash-5.2.*\n',
  'profiles/analysis.yaml': [
    'extends: [base]',
    'packages:',
    '  - python311>=3.11.4<3.12',
    '  - { name: cuda-tools, hosts_not_supported: ["aarch64-*"] }',
    '  - { name: gcc12, state: frozen }',
    '  - { name: python27, version: "2.7.18" }',
    '',
  ].join('\n'),
  'profiles/tools.yaml': 'packages:\n  - openssl-3.0.13\n  - { name: python311, version: ">=3.11" }\n',
};

function pkg(site: ResolvedSite, name: string) {
  return site.packages.find((p) => p.name === name);
}

describe('loadDesiredState', () => {
  it('resolves ALL, extends, defaults and platform filters per site', async () => {
    const root = desiredRepo(FILES);
    const state = await loadDesiredState({ dir: path.join(root, 'desired-state') });
    expect(state.commit).toBe(git(root, 'rev-parse', 'HEAD'));
    expect(state.profiles).toEqual(['ALL', 'analysis', 'base', 'tools']);
    const [x86, arm] = state.sites as [ResolvedSite, ResolvedSite];

    expect(x86).toMatchObject({
      name: 'X86',
      backend: 'local',
      prefix: '/srv/vo_sw/pkg',
      userpkgs: true,
      protect: ['pkg_install'],
    });
    expect(arm).toMatchObject({
      backend: 'slurm',
      endpoint: 'short',
      prefix: '/data/sw/pkg2',
      userpkgs: false,
      protect: ['pkg_install', 'licensed'],
    });

    // analysis overrides base, which overrides nothing of ALL here; base overrides ALL's bash.
    expect(pkg(x86, 'bash')!.patterns).toEqual(['bash-5.2.*']);
    expect(pkg(x86, 'bash')!.via).toEqual(['analysis', 'base']);
    // A profile's own declaration beats what it inherits from ALL.
    expect(pkg(x86, 'python27')).toMatchObject({ state: 'present', patterns: ['python27-2.7.18'] });
    expect(pkg(x86, 'gcc12')!.state).toBe('frozen');
    // Two unrelated profiles constraining one package: both constraints hold.
    expect(pkg(x86, 'python311')!.patterns).toEqual(['python311>=3.11.4<3.12', 'python311>=3.11']);
    expect(pkg(x86, 'python311')!.sources.map((s) => `${path.basename(s.file)}:${s.line}`)).toEqual([
      'analysis.yaml:3',
      'tools.yaml:3',
    ]);
    // openssl: tools' exact version and ALL's range overlap; tools is more specific than ALL.
    expect(pkg(x86, 'openssl')!.patterns).toEqual(['openssl-3.0.13']);

    expect(pkg(x86, 'cuda-tools')).toBeDefined();
    expect(pkg(arm, 'cuda-tools')).toBeUndefined();
    expect(arm.filtered).toEqual([
      expect.objectContaining({
        name: 'cuda-tools',
        reason: 'platform aarch64-el9 is in hosts_not_supported [aarch64-*]',
      }),
    ]);
    expect(arm.packages.map((p) => p.name)).toEqual(['bash', 'gcc12', 'openssl', 'python27', 'python311']);
  });

  it('reads the revision asked for, not the work tree', async () => {
    const root = desiredRepo(FILES, 'v1');
    const v1 = git(root, 'rev-parse', 'HEAD');
    git(root, 'tag', 'v1');
    commitDesired(root, { ...FILES, 'profiles/tools.yaml': 'packages:\n  - rsync\n' }, 'v2');
    writeFileSync(path.join(root, 'desired-state/profiles/tools.yaml'), 'packages:\n  - zsh\n');
    const dir = path.join(root, 'desired-state');

    const head = await loadDesiredState({ dir });
    expect(head.sites[0]!.packages.map((p) => p.name)).toContain('rsync');
    const atTag = await loadDesiredState({ dir, rev: 'v1' });
    expect(atTag.commit).toBe(v1);
    expect(atTag.sites[0]!.packages.map((p) => p.name)).not.toContain('rsync');
    const work = await loadDesiredState({ dir, worktree: true });
    expect(work.revision).toBe('worktree');
    expect(work.sites[0]!.packages.map((p) => p.name)).toContain('zsh');

    const r = await cli(['validate', '--desired', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/uncommitted changes; validated commit [0-9a-f]{12}/);
  });

  it('refuses an unknown revision and a directory outside git with exit 2', async () => {
    const root = desiredRepo(FILES);
    const dir = path.join(root, 'desired-state');
    const r = await cli(['validate', '--desired', dir, '--rev', 'no-such-tag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `${dir}: unknown revision 'no-such-tag'; expected a commit, branch or tag of the repository holding ${dir}\n`,
    );
    const missing = await cli(['validate', '--desired', path.join(root, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope: desired-state directory not found/);
  });

  it('reports a bad file at a revision with its location', async () => {
    const root = desiredRepo({ ...FILES, 'profiles/tools.yaml': 'packages:\n  - "rm -rf"\n' });
    const dir = path.join(root, 'desired-state');
    const r = await cli(['validate', '--desired', dir, '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.problems).toEqual([
      expect.objectContaining({ file: path.join(dir, 'profiles/tools.yaml'), line: 2, column: 5 }),
    ]);
  });
  it('merges checks through ALL and extends; an own check overrides an inherited one of its name', async () => {
    const root = desiredRepo({
      ...FILES,
      'profiles/ALL.yaml': `${FILES['profiles/ALL.yaml']}checks:\n  - { name: shell, run: "bash --version" }\n`,
      'profiles/base.yaml': `${FILES['profiles/base.yaml']}checks:\n  - { name: python, run: "python3.11 -c 'import sys'", timeout: 30 }\n`,
      'profiles/analysis.yaml': `${FILES['profiles/analysis.yaml']}checks:\n  - name: python\n    run: |\n      python3.11 -c 'import numpy'\n      echo "$HOME"\n  - { name: root, run: "root -b -q" }\n`,
    });
    const state = await loadDesiredState({ dir: path.join(root, 'desired-state') });
    const [x86, arm] = state.sites as [ResolvedSite, ResolvedSite];
    expect(x86.checks.map((c) => [c.name, c.run, c.timeout, c.via.join('>')])).toEqual([
      ['shell', 'bash --version', 300, 'analysis>ALL'],
      ['python', `python3.11 -c 'import numpy'\necho "$HOME"\n`, 300, 'analysis'],
      ['root', 'root -b -q', 300, 'analysis'],
    ]);
    expect(x86.checks[1]!.source).toMatchObject({ file: expect.stringMatching(/analysis\.yaml$/), line: 8, column: 5 });
    expect(arm.checks.map((c) => c.name)).toEqual(['shell', 'python', 'root']);
    // A profile without checks resolves to none.
    const plain = await loadDesiredState({ dir: path.join(desiredRepo(FILES), 'desired-state') });
    expect(plain.sites.map((s) => s.checks)).toEqual([[], []]);
  });
});
