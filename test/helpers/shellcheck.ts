// Every job script a test renders must pass Debian's shellcheck (.ci/run installs it).
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

export function expectShellcheckClean(script: string): void {
  const r = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: script, encoding: 'utf8' });
  if (r.error) throw new Error(`shellcheck is not installed (apt-get install shellcheck): ${r.error.message}`);
  expect(r.stdout + r.stderr, 'shellcheck findings').toBe('');
  expect(r.status).toBe(0);
}
