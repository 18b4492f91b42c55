// Every malformed desired state is refused by `reconcile validate` with
// exit 2 and a located one-line message saying what was expected.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempDir, writeTree } from '../helpers/tmp.js';
import { BAD_CASES, BASE_PROFILE, BASE_SITES } from './bad-input-cases.js';

describe('validate refuses malformed desired state', () => {
  it('has at least 60 cases', () => {
    expect(BAD_CASES.length).toBeGreaterThanOrEqual(60);
  });

  it('accepts the base the cases start from', async () => {
    const dir = path.join(tempDir(), 'desired-state');
    writeTree(dir, { 'sites.yaml': BASE_SITES, 'profiles/base.yaml': BASE_PROFILE });
    const r = await cli(['validate', '--worktree', '--desired', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.each(BAD_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = path.join(tempDir(), 'desired-state');
    const files = { 'sites.yaml': BASE_SITES, 'profiles/base.yaml': BASE_PROFILE, ...c.files };
    const deleted = Object.entries(files)
      .filter(([, v]) => v === '\u0000DELETE')
      .map(([k]) => k);
    writeTree(dir, files);
    for (const rel of deleted) rmSync(path.join(dir, rel));
    const r = await cli(['validate', '--worktree', '--desired', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    const prefix = `${path.join(dir, c.at)}: `;
    const hit = lines.find((l) => l.startsWith(prefix));
    expect(hit, `no error at ${c.at} in:\n${r.stderr}`).toBeDefined();
    expect(hit!.slice(prefix.length)).toMatch(c.message);
    for (const l of lines) expect(l).toMatch(/^\/.+?(:\d+:\d+)?: \S/);
  });
});
