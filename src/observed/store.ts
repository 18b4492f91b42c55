// state/observed/<site>.json: the last observation of each site, written
// atomically so a crash leaves the previous one intact.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { Inventory } from './types.js';
import { replaceFile } from '../state/replace-file.js';
import { siteStateFile } from '../state/site-paths.js';

/** The file of a site's observation; a name that could leave state/ is refused. */
export function observedFile(stateDir: string, site: string): string {
  return siteStateFile(stateDir, 'observed', site, '.json');
}

export async function writeInventory(stateDir: string, inv: Inventory): Promise<string> {
  const file = observedFile(stateDir, inv.site);
  await mkdir(path.dirname(file), { recursive: true });
  const packages = [...inv.packages].sort((a, b) => (a.pkgname < b.pkgname ? -1 : a.pkgname > b.pkgname ? 1 : 0));
  await replaceFile(file, `${JSON.stringify({ ...inv, packages }, null, 1)}\n`, { durable: true });
  return file;
}

export async function readInventory(stateDir: string, site: string): Promise<Inventory | undefined> {
  const file = observedFile(stateDir, site);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError({
      location: { file },
      message: `cannot read the observation: ${(e as Error).message} (is --state a directory?)`,
    });
  }
  return parseStoredInventory(file, site, text);
}

/** The observation of `site` stored as `text` in `file`; an InputError when it is not one. */
export function parseStoredInventory(file: string, site: string, text: string): Inventory {
  try {
    const inv = JSON.parse(text) as Inventory;
    if (inv.site !== site || !Array.isArray(inv.packages)) throw new Error(`expected the observation of ${site}`);
    return inv;
  } catch (e) {
    throw new InputError({
      location: { file, line: 1 },
      message: `corrupt observation: ${(e as Error).message}; observe the site again`,
    });
  }
}
