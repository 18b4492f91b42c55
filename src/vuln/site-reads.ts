// Reading sites' observations for the fleet audit, as a task that runs in a
// worker thread (audit-worker.ts) or, with the same code, in this one. A
// task reads a few sites and sends back only what the audit needs: each
// site's PKGNAMEs as ids into the thread's table of distinct names, and the
// names that table gained since its last task. A thousand sites install the
// same few ten thousand PKGNAMEs, so the other thread makes a string of
// each once and this one receives it once.
import { readFileSync, statSync } from 'node:fs';
import { InputError, type Problem } from '../errors.js';
import { pkgnameIdsFromBytes } from '../observed/inventory-bytes.js';
import { PkgnameTable } from '../observed/pkgname-table.js';
import { observedSiteFiles } from '../observed/observed-dir.js';
import { readInventory } from '../observed/store.js';

/** Where the observations are: a directory of `pkg_info` listings, or the ones kept in state/. */
export type AuditSource = { kind: 'observed-dir'; dir: string } | { kind: 'state'; dir: string };

export interface ReadTask {
  source: AuditSource;
  sites: string[];
}

/** One site as read: its packages are `ids[offset, offset + length)`. */
export type SiteRead =
  | { kind: 'ids'; offset: number; length: number; observedAt: string }
  | { kind: 'absent' }
  /** Not plainly clean: the inventory reader decides, in the calling thread, as it always did. */
  | { kind: 'unclean' }
  | { kind: 'problems'; problems: Problem[] };

export interface ReadResult {
  /** Which table the ids are in (one per thread). */
  table: number;
  /** The table's names from id `firstNew` on that no earlier task sent. */
  firstNew: number;
  names: string[];
  ids: Uint32Array;
  sites: SiteRead[];
}

type Raw = Exclude<SiteRead, { kind: 'ids' }> | { kind: 'ids'; ids: Uint32Array; observedAt: string };

export class SiteReader {
  /** Listings' names, found from their bytes. */
  private readonly table = new PkgnameTable();
  /** Stored observations' names, already strings: found by them. */
  private readonly stored = { pkgnames: [] as string[], ids: new Map<string, number>() };
  private readonly sent = { 'observed-dir': 0, state: 0 };

  /** `thread`: this thread's number, unique in the process. */
  constructor(private readonly thread: number) {}

  async read(task: ReadTask): Promise<ReadResult> {
    const { source } = task;
    const raw =
      source.kind === 'state'
        ? await Promise.all(task.sites.map((s) => this.observation(source.dir, s)))
        : task.sites.map((s) => this.listing(source.dir, s));
    const ids = new Uint32Array(raw.reduce((n, r) => n + (r.kind === 'ids' ? r.ids.length : 0), 0));
    let offset = 0;
    const sites = raw.map((r): SiteRead => {
      if (r.kind !== 'ids') return r;
      ids.set(r.ids, offset);
      offset += r.ids.length;
      return { kind: 'ids', offset: offset - r.ids.length, length: r.ids.length, observedAt: r.observedAt };
    });
    const names = source.kind === 'state' ? this.stored.pkgnames : this.table.pkgnames;
    const firstNew = this.sent[source.kind];
    this.sent[source.kind] = names.length;
    // Two tables per thread, one per kind of source.
    const table = 2 * this.thread + (source.kind === 'state' ? 1 : 0);
    return { table, firstNew, names: names.slice(firstNew), ids, sites };
  }

  /** `<SITE>.pkg_info` in DIR; its mtime is the observation time. */
  // Synchronous reads: on a worker thread nothing else waits for them, and a
  // promise, a file handle and a stat call per site cost more than the read.
  // (In this thread only fleets too small for a worker are read.)
  private listing(dir: string, site: string): Raw {
    const file = observedSiteFiles(dir, site).pkgInfo;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
      return { kind: 'problems', problems: [{ location: { file }, message: `cannot read: ${(e as Error).message}` }] };
    }
    const ids = pkgnameIdsFromBytes(bytes, this.table);
    if (!ids) return { kind: 'unclean' }; // or the table is full: the inventory reader makes the strings
    return { kind: 'ids', ids, observedAt: mtimeOf(file).toISOString() };
  }

  /** The site's latest observation in state/. */
  private async observation(dir: string, site: string): Promise<Raw> {
    try {
      const inv = await readInventory(dir, site);
      if (!inv) return { kind: 'absent' };
      return {
        kind: 'ids',
        ids: Uint32Array.from(inv.packages, (p) => this.storedId(p.pkgname)),
        observedAt: inv.observedAt,
      };
    } catch (e) {
      if (e instanceof InputError) return { kind: 'problems', problems: [...e.problems] };
      throw e;
    }
  }

  private storedId(pkgname: string): number {
    let id = this.stored.ids.get(pkgname);
    if (id === undefined) {
      this.stored.ids.set(pkgname, (id = this.stored.pkgnames.length));
      this.stored.pkgnames.push(pkgname);
    }
    return id;
  }
}

/** The listing's mtime, its observation time; the epoch when it cannot be had, as the text reader's path does. */
function mtimeOf(file: string): Date {
  try {
    return statSync(file).mtime;
  } catch {
    return new Date(0);
  }
}
