// A file's identity as stat(2) tells it, taken on the very descriptor its
// bytes are read from, so stamp and bytes belong together. Used to know a
// file's digest without reading it again (see stat-index.ts).
import { statSync, type BigIntStats } from 'node:fs';
import { open } from 'node:fs/promises';

export interface FileStamp {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

export function stampOf(st: BigIntStats): FileStamp {
  return {
    dev: String(st.dev),
    ino: String(st.ino),
    size: String(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
  };
}

/**
 * How long a file must have been unchanged before its stamp stands for its
 * content: a change within one timestamp tick (1 s on some file systems,
 * 2 s on FAT) leaves the stamp as it was. ctime cannot be set back by
 * anyone but the clock, so a settled stamp is a safe key, as in git's index.
 */
export const SETTLE_NS = 3_000_000_000n;

/** Whether the stamp was already settled at `nowNs` (ns since the epoch). */
export function isSettled(st: FileStamp, nowNs: bigint): boolean {
  return BigInt(st.mtimeNs) < nowNs - SETTLE_NS && BigInt(st.ctimeNs) < nowNs - SETTLE_NS;
}

/** The stamp as one string, for keys made of many stamps. */
export function stampText(st: FileStamp): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** A file's bytes with the stamp of what was read and its mtime; undefined when there is no such file. */
export async function readStamped(file: string): Promise<{ bytes: Buffer; stamp: FileStamp; mtime: Date } | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = await fh.stat({ bigint: true });
    const bytes = await fh.readFile();
    return { bytes, stamp: stampOf(st), mtime: mtimeOf(st.mtimeNs) };
  } finally {
    await fh.close();
  }
}

/** The mtime exactly as fs.stat's (rounded to the millisecond, where BigIntStats truncates). */
function mtimeOf(ns: bigint): Date {
  return new Date(Math.round(Number(ns / 1_000_000_000n) * 1000 + Number(ns % 1_000_000_000n) / 1e6));
}

/** The stamp of a file now, 'absent' when there is none, undefined when it cannot be told. */
export function stampNow(file: string): FileStamp | 'absent' | undefined {
  try {
    // No exception for a missing file: most sites have no -u or depends listing, and throwing costs more than the stat.
    const st = statSync(file, { bigint: true, throwIfNoEntry: false });
    return st ? stampOf(st) : 'absent';
  } catch {
    return undefined;
  }
}
