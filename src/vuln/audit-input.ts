// What the audit reads of a site: its PKGNAMEs and when they were observed,
// from a stored observation or a raw `pkg_info` listing (`--observed DIR`).
// A listing is read for its names only when every line is plainly clean;
// otherwise by the inventory reader, which accepts or reports as `plan` does.
//
// AuditReads reads a fleet's observations on the other cores (site-reads.ts
// in audit-worker.ts threads), and can start before the desired state says
// which sites there are: every site the source holds is read while this
// thread loads the desired state and the list, and only the sites asked for
// are then audited. The sites go in chunks, taken in order from one counter
// shared with the threads: a thread takes the next chunk as soon as it has
// sent the last, and this thread, rather than wait for a site a thread is
// still reading, takes the next one itself. Nobody waits to be handed work,
// and the cores end together.
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { readObservedSite } from '../observed/observed-dir.js';
import { observedFile } from '../observed/store.js';
import type { Inventory } from '../observed/types.js';
import type { ReadJob } from './audit-worker.js';
import type { AuditInput } from './site-audit.js';
import { SiteReader, type AuditSource, type ReadResult } from './site-reads.js';

export type { AuditSource } from './site-reads.js';

export function auditInput(inv: Inventory | undefined): AuditInput | undefined {
  return inv ? { pkgnames: inv.packages.map((p) => p.pkgname), observedAt: inv.observedAt } : undefined;
}

/** Fewer sites than this are read in this thread: starting a thread would cost more than it saves. */
const POOL_MIN_SITES = 200;
/** Sites per chunk: few enough messages, and the cores end close together. */
const CHUNK = 25;
const WORKER = new URL('./audit-worker.js', import.meta.url);

interface Chunk {
  sites: string[];
  done: boolean;
  result: Promise<ReadResult>;
  resolve(r: ReadResult): void;
  reject(e: unknown): void;
}

function chunkOf(sites: string[]): Chunk {
  const chunk = { sites, done: false } as Chunk;
  chunk.result = new Promise<ReadResult>((resolve, reject) => {
    chunk.resolve = (r) => ((chunk.done = true), resolve(r));
    chunk.reject = (e) => ((chunk.done = true), reject(e));
  });
  chunk.result.catch(() => undefined); // reported where the site is asked for
  return chunk;
}

export class AuditReads {
  private readonly local = new SiteReader(0);
  /** Per table (thread), its names as received so far. */
  private readonly tables = new Map<number, string[]>();
  private readonly asked = new Map<string, { chunk: Chunk; at: number }>();
  /** The chunks the threads share, taken in order through `next`. */
  private readonly shared: Chunk[];
  private readonly next = new Int32Array(new SharedArrayBuffer(4));
  private readonly workers: Worker[] = [];
  /**
   * The chunks this thread read or is reading. A worker answers its chunks in
   * the order it read them; reads here of stored observations may overlap and
   * end out of order (see input).
   */
  private readonly started: Promise<ReadResult>[] = [];

  /** `sites` are read on other threads too when there are enough of them. */
  private constructor(
    private readonly source: AuditSource,
    sites: readonly string[],
  ) {
    this.shared = [];
    for (let i = 0; i < sites.length; i += CHUNK) this.shared.push(this.add(sites.slice(i, i + CHUNK)));
    const threads = sites.length >= POOL_MIN_SITES && existsSync(WORKER) ? Math.max(1, availableParallelism() - 1) : 0;
    const job: ReadJob = { source, chunks: this.shared.map((c) => c.sites), next: this.next };
    for (let t = 0; t < threads; t++) this.workers.push(this.startWorker(job));
  }

  /** Reads for `source` of these sites, and of any other as it is asked for. */
  static start(source: AuditSource, sites: readonly string[]): AuditReads {
    return new AuditReads(source, sites);
  }

  /** Reads for `source`, already reading every site it holds (see sitesHeld). */
  static prefetch(source: AuditSource): AuditReads {
    return new AuditReads(source, sitesHeld(source));
  }

  /** Make sure these sites will be read (those not asked for yet are read here, when asked for). */
  want(sites: readonly string[]): void {
    const fresh = sites.filter((s) => !this.asked.has(s));
    for (let i = 0; i < fresh.length; i += CHUNK) this.add(fresh.slice(i, i + CHUNK));
  }

  /**
   * The site's AuditInput, or undefined when it has no observation, as soon
   * as its own chunk is read; meanwhile this thread reads the next chunk no
   * thread has taken. The names a chunk's ids refer to came with it or an
   * earlier answer of the same thread: should a name still be missing (reads
   * here that ended out of order), every chunk started here is waited for,
   * which cannot miss one.
   */
  async input(site: string): Promise<AuditInput | undefined> {
    this.want([site]);
    const { chunk, at } = this.asked.get(site)!;
    while (!chunk.done) {
      if (!this.shared.includes(chunk)) {
        await this.readHere(chunk);
        break;
      }
      const c = Atomics.add(this.next, 0, 1);
      if (c < this.shared.length) await this.readHere(this.shared[c]!);
      else await chunk.result.catch(() => undefined);
    }
    const result = await chunk.result;
    const r = result.sites[at]!;
    if (r.kind === 'ids' && !this.named(result.table, result.ids, r.offset, r.length)) await Promise.all(this.started);
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
    // No chunk is left for the threads to take; those that are reading one are stopped.
    Atomics.store(this.next, 0, this.shared.length);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private add(sites: string[]): Chunk {
    const chunk = chunkOf(sites);
    sites.forEach((s, at) => this.asked.set(s, { chunk, at }));
    return chunk;
  }

  private startWorker(job: ReadJob): Worker {
    const worker = new Worker(WORKER, { workerData: job });
    worker.on('message', ({ chunk, result }: { chunk: number; result: ReadResult }) => {
      this.received(result);
      this.shared[chunk]!.resolve(result);
    });
    // A thread that fails fails the chunks no one has read: their sites' audits say why.
    const fail = (e: unknown) => {
      for (const c of this.shared) if (!c.done) c.reject(e);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`internal error: an audit reader thread exited with ${code}`));
    });
    return worker;
  }

  /** Read a chunk in this thread. */
  private async readHere(chunk: Chunk): Promise<void> {
    const task = this.local.read({ source: this.source, sites: chunk.sites }).then((r) => this.received(r));
    this.started.push(task);
    await task.then(chunk.resolve, chunk.reject);
  }

  /** Keep the names a chunk's answer brings. */
  private received(result: ReadResult): ReadResult {
    let names = this.tables.get(result.table);
    if (!names) this.tables.set(result.table, (names = []));
    for (let k = 0; k < result.names.length; k++) names[result.firstNew + k] = result.names[k]!;
    return result;
  }

  /** Whether the table holds a name for each of ids[offset, offset + length). */
  private named(table: number, ids: Uint32Array, offset: number, length: number): boolean {
    const names = this.tables.get(table)!;
    for (let k = offset; k < offset + length; k++) if (names[ids[k]!] === undefined) return false;
    return true;
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
  // Sorted: sites.yaml usually lists its sites in order, and the audit takes them in its order.
  return files
    .filter((f) => f.endsWith(suffix) && f.length > suffix.length)
    .map((f) => f.slice(0, -suffix.length))
    .sort();
}
