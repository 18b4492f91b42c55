// A dry run is the ordinary run in a world where submitting a job writes its
// script under state/jobs/dry-run/ and nothing is kept: journal records,
// observations and holds written during it go nowhere, and transactions
// left open by others are not resumed (that would touch a site). This is
// the only place that knows about dry runs.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobRequest } from '../backends/types.js';
import { siteStateFile } from '../state/site-paths.js';
import type { Executor, Executors, HoldStore, JournalStore, ObservationStore, Submission } from './ports.js';

export interface Stores {
  journal: JournalStore;
  executors: Executors;
  observations: ObservationStore;
  holds: HoldStore;
}

/** The world of a dry run: the same stores, read-only, and executors that only write job scripts. */
export function dryRunWorld(real: Stores, stateDir: string): Stores {
  return {
    journal: dryRunJournal(real.journal),
    executors: dryRunExecutors(stateDir),
    observations: dryRunObservations(real.observations),
    holds: dryRunHolds(real.holds),
  };
}

/** Where --dry-run puts a site's job script. */
export function dryRunScriptFile(stateDir: string, site: string): string {
  return siteStateFile(stateDir, path.join('jobs', 'dry-run'), site, '.sh');
}

function dryRunExecutors(stateDir: string): Executors {
  const nothing = () => Promise.reject(new Error('a dry run submits no job'));
  const executor = (name: Executor['name']): Executor => ({
    name,
    async submit(req: JobRequest): Promise<Submission> {
      const file = dryRunScriptFile(stateDir, req.site.name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, req.script, { mode: 0o755 });
      return { recorded: file };
    },
    poll: nothing,
    fetchOutput: nothing,
    cancel: nothing,
    // No job of a dry run can exist.
    find: () => Promise.resolve(undefined),
  });
  return { get: (name) => executor(name) };
}

/** The journal as it is, read-only: this run's own records go nowhere. */
function dryRunJournal(real: JournalStore): JournalStore {
  return {
    append: () => Promise.resolve(),
    openTransactions: () => Promise.resolve([]),
    lastAppliedRevision: (site) => real.lastAppliedRevision(site),
    transactions: () => real.transactions(),
  };
}

function dryRunObservations(real: ObservationStore): ObservationStore {
  return { read: (site) => real.read(site), write: () => Promise.resolve() };
}

function dryRunHolds(real: HoldStore): HoldStore {
  return { read: (site) => real.read(site), write: () => Promise.resolve(false), release: () => Promise.resolve() };
}
