// Build dist/ before any test file runs: the CLI end-to-end tests, the job
// launcher and the grid tests run the built `reconcile`, so a single
// `npx vitest run test/e2e/x.test.ts` after an edit must not test the
// previous build. tsc is incremental, so an unchanged tree costs ~1 s.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const out = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `building dist/ before the tests failed:\n${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? ''}`,
    );
  }
}
