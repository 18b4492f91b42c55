// `plan --observed DIR`: raw inventories as sites or admins collected them,
// <SITE>.pkg_info and optionally <SITE>.pkg_info-u.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { inventoryFromPkgInfo } from './inventory.js';
import type { Inventory } from './types.js';

export async function checkObservedDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory())
    throw new InputError({
      location: { file: dir },
      message: 'observed directory not found; expected a directory of <SITE>.pkg_info files',
    });
}

/** The inventory of one site from DIR, or undefined when DIR has none for it. */
export async function readObservedSite(dir: string, site: string): Promise<Inventory | undefined> {
  const file = path.join(dir, `${site}.pkg_info`);
  const [text, st] = await Promise.all([readOptional(file), stat(file).catch(() => undefined)]);
  if (text === undefined) return undefined;
  const userFile = `${file}-u`;
  const userText = await readOptional(userFile);
  return inventoryFromPkgInfo({
    site,
    pkgInfo: { text, file },
    ...(userText !== undefined ? { userInstalled: { text: userText, file: userFile } } : {}),
    observedAt: (st?.mtime ?? new Date(0)).toISOString(),
    source: 'observed-dir',
  });
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError({ location: { file }, message: `cannot read: ${(e as Error).message}` });
  }
}
