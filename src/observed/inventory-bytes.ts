// The inventory of a site straight from the bytes of its `pkg_info` (and
// `pkg_info -u`) listings: the reader a fleet of thousands of sites pays for
// on every plan. One pass per file, no intermediate entries, no decoding of
// the whole file, and flat one-byte strings for the names (a slice of a big
// text is slow to hash and compare, and names are the planner's map keys).
// It takes only what it can prove clean: anything else (an error, a name
// outside printable ASCII, a NUL byte) goes to the text reader, which
// accepts or reports exactly as before, so both always agree.
import { inventoryFromPkgInfo, type RawInventory } from './inventory.js';
import type { InstalledPackage, Inventory } from './types.js';
import { parsePkgInfoDepends } from '../pkgsrc/pkg-info.js';
import { isPkgNameChar, isPkgNameStart } from '../pkgsrc/pkgname.js';
import { FNV_OFFSET, FNV_PRIME, type PkgnameTable } from './pkgname-table.js';

export interface RawInventoryBytes extends Omit<RawInventory, 'pkgInfo' | 'userInstalled' | 'depends'> {
  pkgInfo: { bytes: Buffer; file: string };
  userInstalled?: { bytes: Buffer; file: string };
  /** `pkg_info -n -a` output; read as text (it is small next to a planner's other work). */
  depends?: { bytes: Buffer; file: string };
}

/** Width pkg_info pads names to; one more space always follows (see pkg-info.ts). */
const NAME_FIELD = 19;

/**
 * With `comments: false` every package's comment is '' (unless the listing
 * has to go to the text reader): for the planner, which never reads them
 * and would otherwise decode thousands per site. With `names` the names'
 * strings come from that table (a reader of many listings makes each once).
 */
export function inventoryFromBytes(
  raw: RawInventoryBytes,
  opts: { comments?: boolean; names?: PkgnameTable } = {},
): Inventory {
  const packages = opts.names
    ? tableListing(raw, opts.names, opts.comments !== false)
    : mapListing(raw, opts.comments !== false);
  if (!packages) return viaText(raw);
  if (raw.depends) {
    const deps = parsePkgInfoDepends(raw.depends.bytes.toString('utf8'), { file: raw.depends.file });
    for (const p of packages) {
      const d = deps.get(p.pkgname);
      if (d) p.depends = d;
    }
  }
  return {
    site: raw.site,
    packages,
    userListKnown: raw.userInstalled !== undefined,
    observedAt: raw.observedAt,
    source: raw.source,
    origin: raw.origin ?? raw.pkgInfo.file,
  };
}

/** The listed packages, automatic unless `pkg_info -u` lists them; undefined when the text reader must decide. */
function mapListing(raw: RawInventoryBytes, withComments: boolean): InstalledPackage[] | undefined {
  const listing = cleanListing(raw.pkgInfo.bytes, withComments);
  // Of `pkg_info -u` only the names matter; a line that reader declines sends both to the text reader.
  const user = raw.userInstalled ? pkgnamesFromBytes(raw.userInstalled.bytes) : undefined;
  if (!listing || (raw.userInstalled && !user)) return undefined;
  const { packages, byPkgname } = listing;
  if (user) {
    for (const p of packages) p.automatic = true;
    for (const u of user) {
      const p = byPkgname.get(u);
      if (!p) return undefined; // not a subset: the text reader says so
      p.automatic = false;
    }
  }
  return packages;
}

/**
 * mapListing with the names found in `names`: the same lines accepted and
 * declined, the same packages, but each name's strings made once per table.
 */
function tableListing(
  raw: RawInventoryBytes,
  names: PkgnameTable,
  withComments: boolean,
): InstalledPackage[] | undefined {
  const b = raw.pkgInfo.bytes;
  if (b.indexOf(0) >= 0) return undefined;
  names.newListing();
  const packages: InstalledPackage[] = [];
  const stop = contentEnd(b);
  for (let pos = 0; pos < stop;) {
    let eol = b.indexOf(0x0a, pos);
    if (eol < 0 || eol > stop) eol = stop;
    const end = eol > pos && b[eol - 1] === 0x0d ? eol - 1 : eol;
    const sp = cleanNameEnd(b, pos, end);
    if (sp < 0) return undefined;
    const e = names.find(b, pos, sp, scanned.dash, scanned.hash);
    // A full table, or a name listed twice: the text reader decides.
    if (e < 0 || !names.see(e, packages.length)) return undefined;
    packages.push({
      pkgname: names.pkgnames[e]!,
      name: names.names[e]!,
      version: names.versions[e]!,
      comment: withComments ? comment(b, pos, sp, end) : '',
      automatic: false,
    });
    pos = eol + 1;
  }
  if (raw.userInstalled && !markUser(raw.userInstalled.bytes, names, packages)) return undefined;
  names.finishListing(packages);
  return packages;
}

/** Mark what `pkg_info -u` lists as not automatic, the rest as automatic; false when the text reader must decide. */
function markUser(b: Buffer, names: PkgnameTable, packages: InstalledPackage[]): boolean {
  if (b.indexOf(0) >= 0) return false;
  for (const p of packages) p.automatic = true;
  const stop = contentEnd(b);
  for (let pos = 0; pos < stop;) {
    let eol = b.indexOf(0x0a, pos);
    if (eol < 0 || eol > stop) eol = stop;
    const sp = cleanNameEnd(b, pos, eol);
    if (sp < 0 || sp === eol) return false;
    const e = names.find(b, pos, sp, scanned.dash, scanned.hash);
    const at = e < 0 ? -1 : names.positionOf(e);
    // Not in the listing (not a subset), or listed twice: the text reader says which.
    if (at < 0 || !packages[at]!.automatic) return false;
    packages[at]!.automatic = false;
    pos = eol + 1;
  }
  return true;
}

function viaText(raw: RawInventoryBytes): Inventory {
  const { pkgInfo, userInstalled, depends, ...rest } = raw;
  return inventoryFromPkgInfo({
    ...rest,
    ...(depends ? { depends: { text: depends.bytes.toString('utf8'), file: depends.file } } : {}),
    pkgInfo: { text: pkgInfo.bytes.toString('utf8'), file: pkgInfo.file },
    ...(userInstalled
      ? { userInstalled: { text: userInstalled.bytes.toString('utf8'), file: userInstalled.file } }
      : {}),
  });
}

/** End of the last line that is not blank (spaces, tabs, CR), as pkg-info.ts contentEnd. */
function contentEnd(b: Buffer): number {
  let end = b.length;
  while (end > 0) {
    const nl = b.lastIndexOf(0x0a, end - 1);
    for (let i = nl + 1; i < end; i++) {
      const c = b[i]!;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return end;
    }
    end = nl < 0 ? 0 : nl;
  }
  return 0;
}

/** Every line's package (and each by PKGNAME), or undefined when any line is not plainly clean. */
function cleanListing(
  b: Buffer,
  withComments: boolean,
): { packages: InstalledPackage[]; byPkgname: Map<string, InstalledPackage> } | undefined {
  if (b.indexOf(0) >= 0) return undefined;
  const packages: InstalledPackage[] = [];
  const byPkgname = new Map<string, InstalledPackage>();
  const stop = contentEnd(b);
  for (let pos = 0; pos < stop;) {
    let eol = b.indexOf(0x0a, pos);
    if (eol < 0 || eol > stop) eol = stop;
    const end = eol > pos && b[eol - 1] === 0x0d ? eol - 1 : eol;
    const pkg = cleanLine(b, pos, end, withComments);
    if (!pkg) return undefined;
    const before = byPkgname.size;
    if (byPkgname.set(pkg.pkgname, pkg).size === before) return undefined;
    packages.push(pkg);
    pos = eol + 1;
  }
  return { packages, byPkgname };
}

/**
 * Where the clean PKGNAME a line starts with ends (the first space, or
 * `end`), or -1 when it is not one diagnosePkgName accepts. The one name rule
 * of both byte readers; a number, not an object: it runs once per installed
 * package of the fleet. The same pass leaves the name's last '-' and its
 * PkgnameTable hash in `scanned`, so the table need not walk the bytes again.
 */
function cleanNameEnd(b: Buffer, start: number, end: number): number {
  let dash = -1;
  let h = FNV_OFFSET;
  let sp = start;
  for (; sp < end; sp++) {
    const c = b[sp]!;
    if (c === 0x20) break;
    if (!isPkgNameChar(c)) return -1;
    if (c === 0x2d) dash = sp;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  // BASE-VERSION: a non-empty base, and a version that starts with a digit.
  if (dash <= start || dash + 1 >= sp || !isPkgNameStart(b[start]!)) return -1;
  const v = b[dash + 1]!;
  if (v < 0x30 || v > 0x39) return -1;
  scanned.dash = dash;
  scanned.hash = h;
  return sp;
}

/** What the last accepting cleanNameEnd found besides the end (module state: no object per line). */
const scanned = { dash: -1, hash: 0 };

function cleanLine(b: Buffer, start: number, end: number, withComment: boolean): InstalledPackage | undefined {
  const sp = cleanNameEnd(b, start, end);
  if (sp < 0) return undefined;
  const dash = b.lastIndexOf(0x2d, sp - 1);
  return {
    pkgname: b.toString('latin1', start, sp),
    name: b.toString('latin1', start, dash),
    version: b.toString('latin1', dash + 1, sp),
    comment: withComment ? comment(b, start, sp, end) : '',
    automatic: false,
  };
}

/** The comment of a line whose name is b[start, sp): past the padding to the name field and the one space after it. */
function comment(b: Buffer, start: number, sp: number, end: number): string {
  const nameLen = sp - start;
  const want = (nameLen < NAME_FIELD ? NAME_FIELD - nameLen : 0) + 1;
  let cs = sp;
  while (cs < end && cs - sp < want && b[cs] === 0x20) cs++;
  return text(b, cs, end);
}

function text(b: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) return b.toString('utf8', start, end);
  return b.toString('latin1', start, end);
}

/**
 * Calls `visit(start, end)` with each line's PKGNAME, in order, and says
 * whether every line was plainly clean (a name, then a space) and `visit`
 * accepted each: the one clean-or-nothing walk of the names-only readers.
 */
function eachCleanName(b: Buffer, visit: (start: number, end: number) => boolean): boolean {
  if (b.indexOf(0) >= 0) return false;
  const stop = contentEnd(b);
  for (let pos = 0; pos < stop;) {
    // Bounded by the content, not the line: a name runs to a space, and '\n' or '\r' is no name character.
    const sp = cleanNameEnd(b, pos, stop);
    if (sp < 0 || sp === stop || !visit(pos, sp)) return false;
    const eol = b.indexOf(0x0a, sp);
    pos = eol < 0 ? stop : eol + 1;
  }
  return true;
}

/**
 * Only the PKGNAMEs of a `pkg_info` listing, for readers that need nothing
 * else: the same clean-or-nothing rule as inventoryFromBytes, one string per
 * line. Undefined when any line is not plainly clean (or a name repeats);
 * the caller then reads the listing with inventoryFromBytes.
 */
export function pkgnamesFromBytes(b: Buffer): string[] | undefined {
  const out: string[] = [];
  const seen = new Set<string>();
  const clean = eachCleanName(b, (start, end) => {
    const name = b.toString('latin1', start, end);
    const before = seen.size;
    out.push(name);
    return seen.add(name).size !== before;
  });
  return clean ? out : undefined;
}

/**
 * pkgnamesFromBytes as entries of `table`, for the fleet audit: a fleet
 * installs the same few ten thousand PKGNAMEs at every site, so a name is
 * made a string once per table, not once per installed package. Undefined
 * where pkgnamesFromBytes declines, and when the table is full.
 */
export function pkgnameIdsFromBytes(b: Buffer, table: PkgnameTable): Uint32Array | undefined {
  table.newListing();
  const ids: number[] = [];
  const clean = eachCleanName(b, (start, end) => {
    const e = table.find(b, start, end, scanned.dash, scanned.hash);
    if (e < 0 || !table.see(e, ids.length)) return false;
    ids.push(e);
    return true;
  });
  return clean ? Uint32Array.from(ids) : undefined;
}
