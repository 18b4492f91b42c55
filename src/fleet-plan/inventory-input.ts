// Where a site's inventory comes from when a fleet is planned — a directory
// of pkg_info listings (`plan --observed DIR`) or the observations kept in
// state/ — and what keys it in the plan cache: the digests of the very bytes
// it is made of, the files' names, and (for listings) the mtime that becomes
// its observation time. Either way the cache works alike.
import { InputError } from '../errors.js';
import { observedInventory, observedSiteFiles } from '../observed/observed-dir.js';
import { observedFile, parseStoredInventory } from '../observed/store.js';
import type { PkgnameTable } from '../observed/pkgname-table.js';
import type { Inventory } from '../observed/types.js';
import { PLANNER_VERSION } from '../plan/planner-version.js';
import { sha256 } from '../plan-cache/digest.js';
import { readStamped, type FileStamp } from '../plan-cache/file-stamp.js';

export type InventoryOrigin = { kind: 'observed-dir'; dir: string } | { kind: 'state'; dir: string };

/** One file read for an inventory: its digest, or absent. */
export interface FileRead {
  file: string;
  stamp?: FileStamp;
  digest: string | 'absent';
}

export interface InventoryInput {
  files: FileRead[];
  /** Undefined when there is no inventory (the site is unobserved). */
  key: string | undefined;
  /** `names`: a table the reader finds names in (see PkgnameTable); the answer is the same without. */
  inventory(names?: PkgnameTable): Inventory | undefined;
}

/** Every file a site's inventory is made of, in a fixed order. */
export function inventoryFiles(origin: InventoryOrigin, site: string): string[] {
  if (origin.kind === 'state') return [observedFile(origin.dir, site)];
  const f = observedSiteFiles(origin.dir, site);
  return [f.pkgInfo, f.userInstalled, f.depends];
}

/**
 * The inventory's cache key from what its files hold. A listing's mtime is
 * part of it (it is the observation time the plan shows); a stored
 * observation carries its own. Undefined when there is no inventory.
 */
export function inventoryKey(
  origin: InventoryOrigin,
  files: readonly FileRead[],
  mtimeNs?: string,
): string | undefined {
  if (files[0]?.digest === 'absent') return undefined;
  const parts = files.flatMap((f) => [f.file, f.digest]);
  const when = origin.kind === 'observed-dir' ? [mtimeNs ?? ''] : [];
  return sha256('inventory', String(PLANNER_VERSION), origin.kind, ...parts, ...when);
}

export async function readInventoryInput(origin: InventoryOrigin, site: string): Promise<InventoryInput> {
  const names = inventoryFiles(origin, site);
  const reads = await Promise.all(names.map((f) => readFile(origin, f)));
  const files: FileRead[] = reads.map((r, i) =>
    r ? { file: names[i]!, stamp: r.stamp, digest: sha256(r.bytes) } : { file: names[i]!, digest: 'absent' },
  );
  const key = inventoryKey(origin, files, reads[0]?.stamp.mtimeNs);
  const inventory = (table?: PkgnameTable): Inventory | undefined => {
    const [main, user, depends] = reads;
    if (!main) return undefined;
    if (origin.kind === 'state') return parseStoredInventory(names[0]!, site, main.bytes.toString('utf8'));
    // Only the planner reads this inventory, and it never reads a comment.
    return observedInventory(
      site,
      {
        pkgInfo: { file: names[0]!, bytes: main.bytes, mtime: main.mtime },
        userInstalled: { file: names[1]!, bytes: user?.bytes },
        depends: { file: names[2]!, bytes: depends?.bytes },
      },
      { comments: false, ...(table ? { names: table } : {}) },
    );
  };
  return { files, key, inventory };
}

async function readFile(origin: InventoryOrigin, file: string) {
  try {
    return await readStamped(file);
  } catch (e) {
    const why = (e as Error).message;
    throw new InputError({
      location: { file },
      message:
        origin.kind === 'state'
          ? `cannot read the observation: ${why} (is --state a directory?)`
          : `cannot read: ${why}`,
    });
  }
}
