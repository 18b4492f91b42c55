// Temporary directories and real git repositories for tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'vo-reconcile-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.org',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.org',
    },
  }).trim();
}

/** A git repository whose desired-state/ holds `files`, committed; returns the repo root. */
export function desiredRepo(files: Record<string, string>, message = 'desired state'): string {
  const root = tempDir('vo-desired-');
  git(root, 'init', '-q', '-b', 'main');
  commitDesired(root, files, message);
  return root;
}

/** Replace desired-state/ with `files` and commit; returns the new commit id. */
export function commitDesired(root: string, files: Record<string, string>, message: string): string {
  rmSync(path.join(root, 'desired-state'), { recursive: true, force: true });
  writeTree(path.join(root, 'desired-state'), files);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '--allow-empty', '-m', message);
  return git(root, 'rev-parse', 'HEAD');
}
