// The run's maintenance windows and GOCDB downtimes, put together once per
// command (apply, plan, status): windows.yaml's windows, and the downtimes
// read from its source now (or the last good copy, with a warning on stderr).
import type { DesiredState } from '../desired/types.js';
import { loadDowntimes, type LoadedDowntimes } from '../windows/downtime-source.js';
import type { GateInput } from '../windows/gate.js';
import type { Io } from './io.js';

export interface RunGate {
  gate: GateInput;
  /** How the downtimes were read (absent: windows.yaml names no source). */
  downtimes?: Omit<LoadedDowntimes, 'downtimes'> & { source: string };
}

/** Undefined when the desired state has no windows.yaml: no site is ever deferred. */
export async function runGate(
  desired: DesiredState,
  io: Io,
  opts: { stateDir: string; dryRun: boolean; now: number; quiet?: boolean },
): Promise<RunGate | undefined> {
  const config = desired.windows;
  if (!config) return undefined;
  if (!config.downtimes) return { gate: { windows: config.windows, downtimes: [] } };
  const { source } = config.downtimes;
  const loaded = await loadDowntimes(source, {
    stateDir: opts.stateDir,
    baseDir: desired.dir,
    keep: !opts.dryRun,
    now: opts.now,
  });
  for (const w of loaded.warnings) io.err(`reconcile: warning: ${w}`);
  const { downtimes, ...how } = loaded;
  return { gate: { windows: config.windows, downtimes }, downtimes: { ...how, source } };
}
