// Progress of a run over sites: a line per site state change, and on a
// terminal a one-line live count of where the sites are.
import type { SiteEvent } from '../run/context.js';
import type { Logger } from 'pino';
import type { Io } from './io.js';

export function progressPrinter(
  io: Io,
  total: number,
  quiet: boolean,
  log?: Logger,
  paint: (line: string, status?: string) => string = (l) => l,
): { emit(e: SiteEvent): void; started: number } {
  const started = Date.now();
  let done = 0;
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  return {
    started,
    emit(e: SiteEvent) {
      if (e.kind === 'done') done++;
      const failed = e.kind === 'done' && e.status === 'failed';
      log?.[failed ? 'warn' : 'info']({ site: e.site, event: e.kind }, e.detail);
      if (quiet) return;
      io.out(
        paint(
          `${stamp()} ${e.site}: ${e.kind === 'done' ? '' : `${e.kind}: `}${e.detail}`,
          e.kind === 'done' ? e.status : undefined,
        ),
      );
      if (io.isTTY && total > 1) io.err(`\u001b[2K${done}/${total} sites done\u001b[1A`);
    },
  };
}
