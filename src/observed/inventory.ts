// Build an Inventory from raw `pkg_info` (and optionally `pkg_info -u`)
// output. Pure: the caller reads the files and supplies the time.
import { InputError, type Problem } from '../errors.js';
import { parsePkgInfo, parsePkgInfoDepends, type PkgInfoEntry } from '../pkgsrc/pkg-info.js';
import type { Inventory, InstalledPackage, ObservationSource } from './types.js';

export interface RawInventory {
  site: string;
  pkgInfo: { text: string; file: string };
  /** `pkg_info -u` output: the user-installed packages. */
  userInstalled?: { text: string; file: string };
  /** `pkg_info -n -a` output: each installed package's own DEPENDS. */
  depends?: { text: string; file: string };
  observedAt: string;
  source: ObservationSource;
  origin?: string;
}

export function inventoryFromPkgInfo(raw: RawInventory): Inventory {
  const entries = parsePkgInfo(raw.pkgInfo.text, { file: raw.pkgInfo.file });
  const user = raw.userInstalled ? parsePkgInfo(raw.userInstalled.text, { file: raw.userInstalled.file }) : undefined;
  if (user)
    checkUserSubset(
      entries.map((e) => e.pkgname),
      user,
      raw.userInstalled!.file,
    );
  const depends = raw.depends ? parsePkgInfoDepends(raw.depends.text, { file: raw.depends.file }) : undefined;
  return inventoryFromEntries(raw.site, withDepends(entries, depends), user, {
    observedAt: raw.observedAt,
    source: raw.source,
    origin: raw.origin ?? raw.pkgInfo.file,
  });
}

/** A listed package, with its DEPENDS when the site's `pkg_info -n` gave them. */
export interface ListedPackage extends PkgInfoEntry {
  depends?: string[];
}

/** The listing's entries with the DEPENDS `pkg_info -n` gave for each (none known for one it did not list). */
export function withDepends(
  entries: readonly PkgInfoEntry[],
  depends: ReadonlyMap<string, string[]> | undefined,
): ListedPackage[] {
  if (!depends) return [...entries];
  return entries.map((e) => {
    const d = depends.get(e.pkgname);
    return d ? { ...e, depends: d } : e;
  });
}

/**
 * An Inventory from parsed listings; without a -u listing nothing is taken
 * as automatic. Packages stay in listing order: sorting thousands of names
 * per site would cost more than planning it; what is stored is sorted.
 */
export function inventoryFromEntries(
  site: string,
  entries: readonly ListedPackage[],
  user: readonly PkgInfoEntry[] | undefined,
  meta: { observedAt: string; source: ObservationSource; origin: string },
): Inventory {
  const userSet = user ? new Set(user.map((e) => e.pkgname)) : undefined;
  const packages: InstalledPackage[] = entries.map((e) => {
    // parsePkgInfo has validated the name: split at the last '-' without checking again.
    const dash = e.pkgname.lastIndexOf('-');
    const pkg: InstalledPackage = {
      pkgname: e.pkgname,
      name: e.pkgname.slice(0, dash),
      version: e.pkgname.slice(dash + 1),
      comment: e.comment,
      automatic: userSet ? !userSet.has(e.pkgname) : false,
    };
    if (e.depends) pkg.depends = e.depends;
    return pkg;
  });
  return {
    site,
    packages,
    userListKnown: user !== undefined,
    ...meta,
  };
}

/** `pkg_info -u` lists a subset of `pkg_info`; anything else means the two files do not belong together. */
function checkUserSubset(all: string[], user: { pkgname: string; line: number }[], file: string): void {
  const known = new Set(all);
  const problems: Problem[] = user
    .filter((u) => !known.has(u.pkgname))
    .map((u) => ({
      location: { file, line: u.line, column: 1 },
      message: `'${u.pkgname}' is listed as user-installed but is not in the pkg_info listing; expected both listings from the same site at the same time`,
    }));
  if (problems.length > 0) throw new InputError(problems);
}
