// The worker threads fleet commands run on (tinypool): the planner plans
// sites there, the audit reads the sites' observations there. One place
// knows how a pool starts, and that run from the TypeScript sources (the
// tests' in-process runs) there is no built worker module: the caller then
// does the same work in its own thread, with the same code.
import { existsSync } from 'node:fs';
import Tinypool from 'tinypool';

/** A pool of `threads` running the built `worker` module, or undefined (no threads, or not built). */
export function startPool(worker: URL, threads: number, workerData?: unknown): Tinypool | undefined {
  if (threads < 1 || !existsSync(worker)) return undefined;
  return new Tinypool({
    filename: worker.href,
    minThreads: threads,
    maxThreads: threads,
    // Two tasks per thread: one reads or writes files while the other computes.
    concurrentTasksPerWorker: 2,
    workerData,
  });
}
