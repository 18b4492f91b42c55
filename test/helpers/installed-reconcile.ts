// A `reconcile` installed as `npm install -g vo-reconcile-*.tgz` leaves it:
// a copy of the package under PREFIX/lib/node_modules/vo-reconcile (its
// dependencies linked to this checkout's, there being no registry in tests)
// and PREFIX/bin/reconcile linking to its main.js. Nothing points into the
// checkout the tests run from, except node_modules.
import { chmodSync, cpSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';
import { tempDir } from './tmp.js';

export interface Installed {
  prefix: string;
  /** PREFIX/bin/reconcile */
  command: string;
  /** A PATH with the installed command, node and the system tools. */
  pathEnv: string;
}

/** A copy of the built package at `dir` (dist, package.json, schemas; node_modules linked). */
export function copyPackage(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const p of ['dist', 'package.json', 'schemas'])
    cpSync(path.join(repoRoot, p), path.join(dir, p), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
}

export function installReconcile(): Installed {
  const prefix = tempDir('vo-installed-');
  const pkg = path.join(prefix, 'lib/node_modules/vo-reconcile');
  copyPackage(pkg);
  mkdirSync(path.join(prefix, 'bin'));
  const main = path.join(pkg, 'dist/cli/main.js');
  chmodSync(main, 0o755);
  const command = path.join(prefix, 'bin/reconcile');
  symlinkSync(main, command);
  return { prefix, command, pathEnv: [path.join(prefix, 'bin'), ...systemPath()].join(path.delimiter) };
}

/** node's directory and the system tools, without any `reconcile`. */
export function systemPath(): string[] {
  return [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'];
}
