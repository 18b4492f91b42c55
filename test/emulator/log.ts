// TEST-ONLY: the emulator's overlap log. Every pkg_add/pkg_delete appends a
// "start" and an "end" JSON line to $VO_EMULATOR_LOG (default
// $prefix/../emulator.log), tagged with the site prefix and $VO_TXN.
import { readFileSync } from 'node:fs';

export interface EmulatorLogEntry {
  site: string;
  /** $VO_TXN of the invocation, or null when unset. */
  txn: string | null;
  pid: number;
  event: 'start' | 'end';
  /** Milliseconds since the epoch, sub-millisecond precision. */
  t: number;
  /** The command line, e.g. "pkg_add -U foo-1.4". */
  cmd: string;
  /** Exit code (end events only). */
  exit?: number;
}

export interface Overlap {
  site: string;
  /** The transaction that started first. */
  a: string;
  b: string;
}

/** All complete lines of the log (a missing file is an empty log). */
export function readEmulatorLog(file: string): EmulatorLogEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const res: EmulatorLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      res.push(JSON.parse(line) as EmulatorLogEntry);
    } catch {
      // a torn last line of a killed writer
    }
  }
  return res;
}

/**
 * Pairs of different transactions whose [first start, last end] intervals
 * overlap at the same site. Invocations without $VO_TXN count as their own
 * transaction "pid:<pid>". A transaction with no end event (its process was
 * killed) ends at its last recorded event.
 */
export function readOverlaps(logFile: string): Overlap[] {
  const spans = new Map<string, { site: string; txn: string; start: number; end: number }>();
  for (const e of readEmulatorLog(logFile)) {
    const txn = e.txn ?? `pid:${e.pid}`;
    const key = JSON.stringify([e.site, txn]);
    const s = spans.get(key);
    if (!s) spans.set(key, { site: e.site, txn, start: e.t, end: e.t });
    else {
      s.start = Math.min(s.start, e.t);
      s.end = Math.max(s.end, e.t);
    }
  }
  const list = [...spans.values()].sort((x, y) => x.start - y.start);
  const res: Overlap[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if (a.site === b.site && b.start < a.end && a.start < b.end) res.push({ site: a.site, a: a.txn, b: b.txn });
    }
  }
  return res;
}
