// The run's world, put together once: the state --state names, the
// backends (or the ones a test injects), and — for --dry-run — the same
// world with executors that only write job scripts and stores that keep
// nothing (dry-run.ts).
import path from 'node:path';
import { ArcBackend } from '../backends/arc.js';
import { LocalBackend } from '../backends/local.js';
import { SlurmBackend } from '../backends/slurm.js';
import type { Backend } from '../backends/types.js';
import type { BackendName, ResolvedSite } from '../desired/types.js';
import { FileObservations, FileState } from '../state/file-stores.js';
import type { StateStore } from '../state/store.js';
import { controllerId } from '../state/site-lock.js';
import { ListCache } from '../vuln/list-store.js';
import type { RunContext, SiteEvent } from './context.js';
import { dryRunWorld, type Stores } from './dry-run.js';
import { executorRegistry } from './executors.js';
import { JobSlots } from './job-slots.js';
import { systemClock, type Clock } from './ports.js';
import { siteGate, type GateInput } from '../windows/gate.js';

export interface WorldOptions {
  /** The local state directory: job scripts, observations, caches (and, without `state`, everything). */
  stateDir: string;
  /** The journal, holds and locks (state/store.ts); absent: the files under stateDir. */
  state?: StateStore;
  revision: string;
  tags: string[];
  dryRun: boolean;
  pollMs?: number;
  /** Jobs out at once (job-slots.ts); absent: no bound. */
  concurrency?: number;
  /** Use these instead of the built-in backends (how tests inject backend faults). */
  backends?: Partial<Record<BackendName, Backend>>;
  clock?: Clock;
  /** The run's maintenance windows and downtimes (read once per run); absent: no site is ever deferred. */
  gate?: GateInput;
  /** See RunContext.mayStart. */
  mayStart?(site: string): boolean;
  emit(e: SiteEvent): void;
}

export function runContext(opts: WorldOptions): RunContext {
  const controller = controllerId();
  const jobsDir = path.join(opts.stateDir, 'jobs');
  const backends = opts.backends ?? {
    local: new LocalBackend(jobsDir),
    slurm: new SlurmBackend(jobsDir),
    arc: new ArcBackend(jobsDir, controller),
  };
  const state = opts.state ?? new FileState(opts.stateDir);
  const stores: Stores = {
    journal: state.journal,
    executors: executorRegistry(backends),
    observations: new FileObservations(opts.stateDir),
    holds: state.holds,
  };
  const clock = opts.clock ?? systemClock;
  const gate = opts.gate;
  return {
    ...(opts.dryRun ? dryRunWorld(stores, opts.stateDir) : stores),
    locks: state.locks,
    clock,
    ...(gate ? { gate: (site: ResolvedSite) => siteGate(gate, site, clock.now()) } : {}),
    revision: opts.revision,
    tags: opts.tags,
    controller,
    pollMs: opts.pollMs ?? 2000,
    emit: opts.emit,
    vulnLists: new ListCache(opts.stateDir),
    ...(opts.mayStart ? { mayStart: opts.mayStart } : {}),
    ...(opts.concurrency !== undefined ? { jobSlots: new JobSlots(opts.concurrency) } : {}),
  };
}
