// `plan --observed DIR`: raw inventories as sites or admins collected them,
// <SITE>.pkg_info and optionally <SITE>.pkg_info-u (`pkg_info -u`) and
// <SITE>.pkg_info-n (`pkg_info -n -a`: what each installed package depends on).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { inventoryFromBytes } from './inventory-bytes.js';
import type { PkgnameTable } from './pkgname-table.js';
import type { Inventory } from './types.js';

export async function checkObservedDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory())
    throw new InputError({
      location: { file: dir },
      message: 'observed directory not found; expected a directory of <SITE>.pkg_info files',
    });
}

/**
 * The files a site's inventory is made of, in DIR: the listing, then the
 * user-installed listing. Everything read for an inventory is named here,
 * so whatever keys a cache on them sees every input.
 */
export function observedSiteFiles(
  dir: string,
  site: string,
): { pkgInfo: string; userInstalled: string; depends: string } {
  const pkgInfo = path.join(dir, `${site}.pkg_info`);
  return { pkgInfo, userInstalled: `${pkgInfo}-u`, depends: `${pkgInfo}-n` };
}

/** What was read for a site: each file's bytes (undefined when absent) and the listing's mtime. */
export interface ObservedFiles {
  pkgInfo: { file: string; bytes: Buffer | undefined; mtime: Date | undefined };
  userInstalled: { file: string; bytes: Buffer | undefined };
  depends?: { file: string; bytes: Buffer | undefined };
}

/** The inventory of one site from DIR, or undefined when DIR has none for it. */
export async function readObservedSite(dir: string, site: string): Promise<Inventory | undefined> {
  const files = observedSiteFiles(dir, site);
  const [bytes, st] = await Promise.all([readOptional(files.pkgInfo), stat(files.pkgInfo).catch(() => undefined)]);
  if (bytes === undefined) return undefined;
  return observedInventory(site, {
    pkgInfo: { file: files.pkgInfo, bytes, mtime: st?.mtime },
    userInstalled: { file: files.userInstalled, bytes: await readOptional(files.userInstalled) },
    depends: { file: files.depends, bytes: await readOptional(files.depends) },
  });
}

/** The inventory the files make, or undefined without a listing (`comments`, `names`: see inventoryFromBytes). */
export function observedInventory(
  site: string,
  files: ObservedFiles,
  opts: { comments?: boolean; names?: PkgnameTable } = {},
): Inventory | undefined {
  const { pkgInfo, userInstalled, depends } = files;
  if (pkgInfo.bytes === undefined) return undefined;
  return inventoryFromBytes(
    {
      site,
      pkgInfo: { bytes: pkgInfo.bytes, file: pkgInfo.file },
      ...(userInstalled.bytes !== undefined
        ? { userInstalled: { bytes: userInstalled.bytes, file: userInstalled.file } }
        : {}),
      ...(depends?.bytes !== undefined ? { depends: { bytes: depends.bytes, file: depends.file } } : {}),
      observedAt: (pkgInfo.mtime ?? new Date(0)).toISOString(),
      source: 'observed-dir',
    },
    opts,
  );
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError({ location: { file }, message: `cannot read: ${(e as Error).message}` });
  }
}
