// Progress of a run over sites: a line per site state change (submitted,
// job queued or running, finished, done), and on a terminal a live line on
// stderr, redrawn every second, of where the sites are (done/total,
// running, queued, failed, elapsed), so hours of grid queueing are not
// silent. Ctrl-C says that submitted jobs go on and how the next run
// resumes them, then lets the signal end the process as it would have.
import type { SiteEvent } from '../run/context.js';
import type { Logger } from 'pino';
import type { Io } from './io.js';

type Phase = 'waiting' | 'queued' | 'running' | 'done';

/** The live line's counts, from the sites' last events. */
export function liveLine(phases: ReadonlyMap<string, Phase>, failed: number, total: number, ms: number): string {
  let done = 0;
  let running = 0;
  let queued = 0;
  for (const p of phases.values()) {
    if (p === 'done') done++;
    else if (p === 'running') running++;
    else if (p === 'queued') queued++;
  }
  return `${done}/${total} sites done · ${running} running · ${queued} queued · ${failed} failed · ${(ms / 1000).toFixed(0)}s`;
}

/** Where a site is after this event of it. */
function nextPhase(before: Phase | undefined, e: SiteEvent): Phase {
  if (e.kind === 'done') return 'done';
  if (e.kind === 'submitted' || e.kind === 'resuming') return 'queued';
  if (e.kind === 'job-state') return e.detail.startsWith('job running') ? 'running' : 'queued';
  return before === 'queued' || before === 'running' ? before : 'waiting';
}

export function progressPrinter(
  io: Io,
  total: number,
  quiet: boolean,
  log?: Logger,
  paint: (line: string, status?: string) => string = (l) => l,
): { emit(e: SiteEvent): void; started: number } {
  const started = Date.now();
  const phases = new Map<string, Phase>();
  let failed = 0;
  // Counted as sites end, not by a scan of every site per event: a 2,000-site run has ~10,000 events.
  let done = 0;
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  const live = io.isTTY && !quiet && total > 0;
  const draw = () => io.err(`\u001b[2K${liveLine(phases, failed, total, Date.now() - started)}\u001b[1A`);
  const timer = live ? setInterval(draw, 1000) : undefined;
  timer?.unref();
  const interrupted = () => {
    const out = [...phases.values()].filter((p) => p === 'queued' || p === 'running').length;
    io.err(
      `\ninterrupted: ${out === 0 ? 'no job was waiting' : `${out} submitted job${out === 1 ? '' : 's'} go${out === 1 ? 'es' : ''} on at the site${out === 1 ? '' : 's'}`}; the journal has every job id, so the next 'reconcile apply' (or rollback) waits for them instead of submitting again`,
    );
    stop();
    process.kill(process.pid, 'SIGINT');
  };
  process.once('SIGINT', interrupted);
  const stop = () => {
    if (timer) clearInterval(timer);
    process.removeListener('SIGINT', interrupted);
  };
  return {
    started,
    emit(e: SiteEvent) {
      const before = phases.get(e.site);
      if (e.kind === 'done' && e.status === 'failed') failed++;
      const after = nextPhase(before, e);
      if (after !== before) {
        phases.set(e.site, after);
        if (before === 'done') done--;
        if (after === 'done') done++;
      }
      const isFailure = e.kind === 'done' && e.status === 'failed';
      log?.[isFailure ? 'warn' : 'info']({ site: e.site, event: e.kind }, e.detail);
      if (!quiet)
        io.out(
          paint(
            `${stamp()} ${e.site}: ${e.kind === 'done' ? '' : `${e.kind}: `}${e.detail}`,
            e.kind === 'done' ? e.status : undefined,
          ),
        );
      if (live) draw();
      if (done >= total) stop();
    },
  };
}
