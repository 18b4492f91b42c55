// What the audit reads of a site: its PKGNAMEs and when they were observed,
// from a stored observation or a raw `pkg_info` listing (`--observed DIR`).
// A listing is read for its names only when every line is plainly clean;
// otherwise by the inventory reader, which accepts or reports as `plan` does.
//
// AuditReads reads a fleet's observations on the other cores (site-reads.ts
// in audit-worker.ts threads), and can start before the desired state says
// which sites there are: every site the source holds is read while this
// thread loads the desired state and the list, and only the sites asked for
// are then audited.
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type Tinypool from 'tinypool';
import { InputError } from '../errors.js';
import { startPool } from '../fleet-plan/pool.js';
import { readObservedSite } from '../observed/observed-dir.js';
import { observedFile } from '../observed/store.js';
import type { Inventory } from '../observed/types.js';
import type { AuditInput } from './site-audit.js';
import { SiteReader, type AuditSource, type ReadResult } from './site-reads.js';

export type { AuditSource } from './site-reads.js';

export function auditInput(inv: Inventory | undefined): AuditInput | undefined {
  return inv ? { pkgnames: inv.packages.map((p) => p.pkgname), observedAt: inv.observedAt } : undefined;
}

/** Fewer sites than this are read in this thread: starting a thread would cost more than it saves. */
const POOL_MIN_SITES = 200;
/** Sites per task: few enough messages, and every thread kept busy. */
const CHUNK = 25;
const WORKER = new URL('./audit-worker.js', import.meta.url);

export class AuditReads {
  private readonly local = new SiteReader(0);
  /** Per table (thread), its names as received so far. */
  private readonly tables = new Map<number, string[]>();
  private readonly asked = new Map<string, { task: Promise<ReadResult>; at: number }>();
  private readonly tasks: Promise<ReadResult>[] = [];

  private constructor(
    private readonly source: AuditSource,
    private readonly pool: Tinypool | undefined,
  ) {}

  /** Reads for `source`, on other threads when there are `expected` sites or more to read. */
  static start(source: AuditSource, expected: number): AuditReads {
    const threads = expected >= POOL_MIN_SITES ? Math.max(1, availableParallelism() - 1) : 0;
    return new AuditReads(source, startPool(WORKER, threads));
  }

  /** Reads for `source`, already reading every site it holds (see sitesHeld). */
  static prefetch(source: AuditSource): AuditReads {
    const sites = sitesHeld(source);
    const reads = AuditReads.start(source, sites.length);
    reads.want(sites);
    return reads;
  }

  /** Start reading these sites (those not asked for yet). */
  want(sites: readonly string[]): void {
    const fresh = sites.filter((s) => !this.asked.has(s));
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const chunk = fresh.slice(i, i + CHUNK);
      const task = this.run(chunk);
      task.catch(() => undefined); // reported where the site is asked for
      this.tasks.push(task);
      chunk.forEach((s, at) => this.asked.set(s, { task, at }));
    }
  }

  /**
   * The site's AuditInput, or undefined when it has no observation. Every
   * read asked for so far is waited for first: a site's ids may name what
   * another task of its thread sent.
   */
  async input(site: string): Promise<AuditInput | undefined> {
    this.want([site]);
    await Promise.all(this.tasks);
    const { task, at } = this.asked.get(site)!;
    const result = await task;
    const r = result.sites[at]!;
    switch (r.kind) {
      case 'absent':
        return undefined;
      case 'problems':
        throw new InputError(r.problems);
      case 'unclean':
        return auditInput(await readObservedSite(this.source.dir, site));
      case 'ids':
        return {
          pkgnames: { ids: result.ids.subarray(r.offset, r.offset + r.length), names: this.tables.get(result.table)! },
          observedAt: r.observedAt,
        };
    }
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }

  private async run(sites: string[]): Promise<ReadResult> {
    const task = { source: this.source, sites };
    const result = this.pool ? ((await this.pool.run(task)) as ReadResult) : await this.local.read(task);
    let names = this.tables.get(result.table);
    if (!names) this.tables.set(result.table, (names = []));
    for (let k = 0; k < result.names.length; k++) names[result.firstNew + k] = result.names[k]!;
    return result;
  }
}

/**
 * The sites whose observation the source holds, by file name; none when it
 * cannot be listed. Synchronous: the threads must start before this one
 * gets busy loading the desired state.
 */
function sitesHeld(source: AuditSource): string[] {
  const dir = source.kind === 'state' ? path.dirname(observedFile(source.dir, 'x')) : source.dir;
  const suffix = source.kind === 'state' ? '.json' : '.pkg_info';
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files.filter((f) => f.endsWith(suffix) && f.length > suffix.length).map((f) => f.slice(0, -suffix.length));
}
