// What the desired state resolves to, kept in state/desired-cache so a plan
// need not parse YAML or resolve profiles again for what did not change:
//
// - per package list (a platform and a list of profiles), keyed by the text
//   of every profile it is made from: its digest (packagesDigest), what the
//   platform filters dropped, and the packages themselves in a file of their
//   own, read only when a site must be planned;
// - per git tree of desired-state/ (a content address of every file in it):
//   the whole resolved state but the packages, with each site's digest.
//
// Every file is a checked file (checked-file.ts): one that is damaged is
// absent. Packages read back are digested again and must give the digest
// the site was keyed by. New entries wait in memory until `keep()`, like the
// parse cache's, so a refused run leaves state/ as it found it.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { readChecked, readCheckedSync, writeChecked } from '../plan-cache/checked-file.js';
import { packagesDigest, sha256 } from '../plan-cache/digest.js';
import type { Filtered } from './profiles.js';
import type { DesiredPackage, DesiredState, ResolvedSite } from './types.js';

/** Bump when what the same files resolve to changes (profiles.ts, load.ts, sites.ts, checks.ts). */
export const RESOLVE_VERSION = 1;

const INDEX_FORMAT = 'vo-reconcile-desired-resolved/1';
const TREE_FORMAT = 'vo-reconcile-desired-tree/2';
const LIST_FORMAT = 'vo-reconcile-desired-list/1';
/** Trees kept (each a few hundred KiB for a thousand sites); lists not used by the last runs that wrote go. */
const TREES_KEPT = 4;
const LIST_GENERATIONS = 8;

export interface ListInfo {
  digest: string;
  filtered: Filtered[];
}

interface IndexBody {
  gen: number;
  trees: string[];
  lists: Record<string, ListInfo & { gen: number }>;
}

/**
 * A resolved state as a tree entry keeps it: everything but the packages,
 * and but what names the commit and directory it was read as.
 */
export interface TreeBody {
  /** Every other field of the DesiredState (profiles, rollout, notifications, windows, ...). */
  state: Omit<DesiredState, 'sites' | 'revision' | 'commit' | 'dir'>;
  sites: { site: Omit<ResolvedSite, 'packages'>; digest: string; list: string }[];
}

export class ResolveMemo {
  private readonly pendingLists = new Map<string, DesiredPackage[]>();
  private pendingTree: { key: string; body: TreeBody } | undefined;
  private readonly used = new Set<string>();

  private constructor(
    private readonly dir: string,
    private readonly index: IndexBody,
  ) {}

  static async open(cacheDir: string): Promise<ResolveMemo> {
    const entry = await readChecked(path.join(cacheDir, 'resolved.json'), INDEX_FORMAT);
    let body: IndexBody | undefined;
    try {
      body = entry ? (JSON.parse(entry.body) as IndexBody) : undefined;
    } catch {
      body = undefined;
    }
    const ok = body && typeof body.gen === 'number' && Array.isArray(body.trees) && typeof body.lists === 'object';
    return new ResolveMemo(cacheDir, ok ? body! : { gen: 0, trees: [], lists: {} });
  }

  /** The key of a tree of desired-state/ as read from `dir` (locations name the files as given). */
  static treeKey(tree: string, dir: string): string {
    return sha256('desired-tree', String(RESOLVE_VERSION), tree, dir);
  }

  /**
   * The key of a site's package list: its platform and profiles, and the
   * name and text of every profile it may be made from (`texts`: the
   * profiles it names, their ancestors and ALL), and which profiles exist.
   */
  static listKey(platform: string, profiles: readonly string[], texts: [string, string][], all: string[]): string {
    const parts = texts.flatMap(([file, text]) => [file, text]);
    return sha256('desired-list', String(RESOLVE_VERSION), platform, profiles.join('\0'), all.join('\0'), ...parts);
  }

  list(key: string): ListInfo | undefined {
    const info = this.index.lists[key];
    if (!info || typeof info.digest !== 'string' || !Array.isArray(info.filtered)) return undefined;
    this.used.add(key);
    return { digest: info.digest, filtered: info.filtered };
  }

  /** A list just resolved: its digest, and its packages to keep. */
  recordList(key: string, packages: DesiredPackage[], filtered: Filtered[]): ListInfo {
    const digest = packagesDigest(packages);
    this.used.add(key);
    this.index.lists[key] = { digest, filtered: [...filtered], gen: this.index.gen + 1 };
    this.pendingLists.set(key, packages);
    return { digest, filtered };
  }

  /** The packages of a list, when its file is there, intact and digests as `digest`. */
  packages(key: string, digest: string): DesiredPackage[] | undefined {
    const entry = readCheckedSync(this.listFile(key), LIST_FORMAT);
    if (!entry || entry.header.key !== key) return undefined;
    try {
      const packages = JSON.parse(entry.body) as DesiredPackage[];
      return Array.isArray(packages) && packagesDigest(packages) === digest ? packages : undefined;
    } catch {
      return undefined;
    }
  }

  async tree(key: string): Promise<TreeBody | undefined> {
    const entry = await readChecked(this.treeFile(key), TREE_FORMAT);
    if (!entry || entry.header.key !== key) return undefined;
    try {
      const body = JSON.parse(entry.body) as TreeBody;
      return Array.isArray(body.sites) && Array.isArray(body.state?.profiles) ? body : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keep the state read from a tree; not when it holds anything JSON would not give back. */
  recordTree(key: string, state: DesiredState, sites: TreeBody['sites']): void {
    const { sites: _sites, revision: _revision, commit: _commit, dir: _dir, ...rest } = state;
    const body: TreeBody = { state: rest, sites };
    if (isPlainData(body)) this.pendingTree = { key, body };
  }

  /** Write what this run found that was not kept yet; a cache that cannot be written costs only the shortcut. */
  async keep(): Promise<void> {
    if (this.pendingLists.size === 0 && !this.pendingTree) return;
    const gen = ++this.index.gen;
    for (const key of this.used) if (this.index.lists[key]) this.index.lists[key].gen = gen;
    for (const [key, packages] of this.pendingLists)
      await writeChecked(this.listFile(key), LIST_FORMAT, JSON.stringify(packages), { key }).catch(() => undefined);
    this.pendingLists.clear();
    if (this.pendingTree) {
      const { key, body } = this.pendingTree;
      this.pendingTree = undefined;
      await writeChecked(this.treeFile(key), TREE_FORMAT, JSON.stringify(body), { key }).catch(() => undefined);
      this.index.trees = [key, ...this.index.trees.filter((t) => t !== key)];
      for (const old of this.index.trees.splice(TREES_KEPT)) await rm(this.treeFile(old), { force: true });
    }
    for (const [key, info] of Object.entries(this.index.lists)) {
      if (info.gen > gen - LIST_GENERATIONS) continue;
      delete this.index.lists[key];
      await rm(this.listFile(key), { force: true });
    }
    await writeChecked(path.join(this.dir, 'resolved.json'), INDEX_FORMAT, JSON.stringify(this.index)).catch(
      () => undefined,
    );
  }

  private listFile(key: string): string {
    return path.join(this.dir, 'lists', `${key}.json`);
  }

  private treeFile(key: string): string {
    return path.join(this.dir, 'trees', `${key}.json`);
  }
}

/** Whether JSON gives the value back as it is: plain objects, arrays, strings, finite numbers, booleans, null. */
function isPlainData(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isPlainData);
  if (typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(v as object).every((x) => x === undefined || isPlainData(x));
}

/**
 * Give a site packages that are read only when first asked for; until then
 * reading them is an error, never an empty list.
 */
export function deferPackages(site: ResolvedSite): void {
  Object.defineProperty(site, 'packages', {
    get() {
      throw new Error(`internal error: the packages of site '${site.name}' were not loaded before use`);
    },
    enumerable: true,
    configurable: true,
  });
}

export function setPackages(site: ResolvedSite, packages: DesiredPackage[]): void {
  Object.defineProperty(site, 'packages', { value: packages, enumerable: true, configurable: true, writable: true });
}

/** Whether a site's packages are loaded (deferPackages not in force). */
export function hasPackages(site: ResolvedSite): boolean {
  return Object.getOwnPropertyDescriptor(site, 'packages')?.get === undefined;
}
