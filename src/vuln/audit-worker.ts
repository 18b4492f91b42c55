// A worker thread of the fleet audit: it takes the next chunk of sites no
// thread has taken (a counter shared with the audit's own thread, see
// audit-input.ts), reads their observations into one table of distinct
// PKGNAMEs that lives as long as the thread, sends the answer at once, and
// stops when no chunk is left.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { SiteReader, type AuditSource } from './site-reads.js';

/** What the audit's thread gives each worker. */
export interface ReadJob {
  source: AuditSource;
  chunks: string[][];
  /** [0]: the next chunk to take, shared by every thread. */
  next: Int32Array;
}

const { source, chunks, next } = workerData as ReadJob;
const reader = new SiteReader(threadId);
for (let c = Atomics.add(next, 0, 1); c < chunks.length; c = Atomics.add(next, 0, 1)) {
  const result = await reader.read({ source, sites: chunks[c]! });
  parentPort!.postMessage({ chunk: c, result }, [result.ids.buffer as ArrayBuffer]);
}
