// A worker thread of the fleet audit (run through tinypool, see
// fleet-plan/pool.ts): it reads sites' observations, task by task, into
// one table of distinct PKGNAMEs that lives as long as the thread.
import { threadId } from 'node:worker_threads';
import { SiteReader, type ReadResult, type ReadTask } from './site-reads.js';

const reader = new SiteReader(threadId);

export default function readSites(task: ReadTask): Promise<ReadResult> {
  return reader.read(task);
}
