// Golden files: compare with test/golden/<name>; UPDATE_GOLDEN=1 rewrites them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { inCI } from './ci.js';
import { repoRoot } from './cli.js';

export function expectGolden(name: string, actual: string): void {
  const file = path.join(repoRoot, 'test/golden', name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (inCI()) throw new Error(`golden file ${name} missing in CI`);
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
