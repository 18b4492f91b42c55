// state/plan-cache/index.json: the file digests by stamp (stat-index.ts) and,
// per site, the keys of its latest cached plans. A site keeps its last few
// (plan and plan -v, inventories from state/ and from a directory), and the
// entries it no longer keeps are removed, so the cache stays as big as the
// fleet. Concurrent runs may overwrite each other's index: that costs at
// most a few reads and orphaned entries, never a wrong plan.
import path from 'node:path';
import { readChecked, writeChecked } from './checked-file.js';
import { removePlanEntry } from './plan-store.js';
import { StatIndex, type StatEntry } from './stat-index.js';

const FORMAT = 'vo-reconcile-plan-cache-index/1';
const KEYS_PER_SITE = 4;

interface IndexBody {
  files: Record<string, StatEntry>;
  recent: Record<string, string[]>;
}

export class CacheIndex {
  private constructor(
    private readonly cacheDir: string,
    readonly stats: StatIndex,
    private readonly recent: Map<string, string[]>,
  ) {}

  static async load(cacheDir: string): Promise<CacheIndex> {
    const entry = await readChecked(indexFile(cacheDir), FORMAT);
    let body: IndexBody | undefined;
    try {
      body = entry ? (JSON.parse(entry.body) as IndexBody) : undefined;
    } catch {
      body = undefined;
    }
    return new CacheIndex(cacheDir, new StatIndex(body?.files ?? {}), new Map(Object.entries(body?.recent ?? {})));
  }

  /**
   * Note that `site` was planned under `key`; removes the entries it no
   * longer keeps. Whether that changed the index (not when `key` was its latest).
   */
  async use(site: string, key: string): Promise<boolean> {
    const before = this.recent.get(site) ?? [];
    if (before[0] === key) return false;
    const keys = [key, ...before.filter((k) => k !== key)];
    this.recent.set(site, keys.slice(0, KEYS_PER_SITE));
    for (const old of keys.slice(KEYS_PER_SITE)) await removePlanEntry(this.cacheDir, old);
    return true;
  }

  async save(): Promise<void> {
    const body: IndexBody = { files: this.stats.toJSON(), recent: Object.fromEntries(this.recent) };
    await writeChecked(indexFile(this.cacheDir), FORMAT, JSON.stringify(body));
  }
}

function indexFile(cacheDir: string): string {
  return path.join(cacheDir, 'index.json');
}
