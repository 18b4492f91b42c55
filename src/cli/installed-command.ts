// Which `reconcile` the git hooks and cron lines call: the installed command,
// never this clone's dist/cli/main.js (moving or deleting the clone must not
// silently break them). Found at install time: on PATH, else as
// `npx --no-install reconcile` in a directory whose node_modules has it.
import { accessSync, constants, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { shq } from '../jobs/shell.js';

export type InstalledCommand =
  | {
      kind: 'path';
      /** The command as found on PATH (a package manager's link, kept so upgrades apply). */
      file: string;
      /** Set when that link resolves into the running clone: moving the clone would break it. */
      intoClone?: string;
    }
  | { kind: 'npx'; dir: string };

/** This package's root (where package.json is), i.e. the clone when run from one. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The installed command, or undefined when there is none. `dirs` are where npx may find it. */
export function findInstalledCommand(envPath: string | undefined, dirs: string[]): InstalledCommand | undefined {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue; // a relative PATH entry means something else in the hook's cwd
    const file = path.join(dir, 'reconcile');
    if (!executable(file)) continue;
    const real = realpathSync(file);
    const inside = real.startsWith(PACKAGE_ROOT + path.sep);
    // `npx reconcile` run in the clone puts its own link to the clone on PATH
    // (~/.npm/_npx/…): that is this clone again, not an installed command.
    if (inside && (file.includes(`${path.sep}_npx${path.sep}`) || file.startsWith(PACKAGE_ROOT + path.sep))) continue;
    return { kind: 'path', file, ...(inside ? { intoClone: PACKAGE_ROOT } : {}) };
  }
  for (const dir of dirs) {
    if (executable(path.join(dir, 'node_modules', '.bin', 'reconcile'))) return { kind: 'npx', dir };
  }
  return undefined;
}

export function requireInstalledCommand(envPath: string | undefined, dirs: string[]): InstalledCommand {
  const found = findInstalledCommand(envPath, dirs);
  if (found) return found;
  throw new UsageError(
    `no installed 'reconcile' command: none on PATH (npx's link to this clone does not count), and no node_modules/.bin/reconcile in ${dirs.join(' or ')}. ` +
      `Install it (npm pack, then npm install -g vo-reconcile-*.tgz; see README "Installing"), then run this again`,
  );
}

/** Shell words that run the command (for a hook or a cron line), with node's directory on PATH. */
export function commandWords(c: InstalledCommand): string {
  const nodeDir = path.dirname(process.execPath);
  return c.kind === 'path'
    ? `PATH=${shq(nodeDir)}:"$PATH" ${shq(c.file)}`
    : `cd ${shq(c.dir)} && PATH=${shq(nodeDir)}:"$PATH" npx --no-install reconcile`;
}

/** One line for the user: which command was chosen, and a warning when it lives in the clone. */
export function describeCommand(c: InstalledCommand): string {
  if (c.kind === 'npx') return `using 'npx --no-install reconcile' in ${c.dir}`;
  return `using ${c.file}${c.intoClone ? ` (note: it links into ${c.intoClone}; moving that directory breaks it — install from 'npm pack' to copy it instead)` : ''}`;
}
