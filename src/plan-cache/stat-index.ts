// Which content digest a file had, by its stamp (device, inode, size, mtime,
// ctime), so a warm plan does not read and hash every inventory again. As
// git's index does: an entry is recorded only when the file had not changed
// for a while before it was read (ctime cannot be set back by anyone but
// the clock), because a change within the same timestamp tick would
// otherwise go unseen; such a file is simply read again next time.
import type { FileStamp } from './file-stamp.js';
import { isSettled, sameStamp } from './file-stamp.js';

export interface StatEntry {
  stamp: FileStamp;
  digest: string;
}

export class StatIndex {
  private readonly entries: Map<string, StatEntry>;

  constructor(entries: Record<string, StatEntry> = {}) {
    this.entries = new Map(Object.entries(entries));
  }

  /** The digest of the file's bytes, when the stamp is the one recorded. */
  digestOf(file: string, stamp: FileStamp): string | undefined {
    const e = this.entries.get(file);
    return e && sameStamp(e.stamp, stamp) ? e.digest : undefined;
  }

  /**
   * Remember what a read found; `readStartedNs` is the clock (ns since the
   * epoch) before the read. Whether that changed what the index holds.
   */
  record(file: string, stamp: FileStamp, digest: string, readStartedNs: bigint): boolean {
    if (!isSettled(stamp, readStartedNs)) return this.entries.delete(file);
    const e = this.entries.get(file);
    if (e && e.digest === digest && sameStamp(e.stamp, stamp)) return false;
    this.entries.set(file, { stamp, digest });
    return true;
  }

  /** Whether there was anything to forget. */
  forget(file: string): boolean {
    return this.entries.delete(file);
  }

  toJSON(): Record<string, StatEntry> {
    return Object.fromEntries(this.entries);
  }
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
