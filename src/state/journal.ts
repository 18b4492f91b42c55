// state/journal.jsonl: the append-only, fsync'ed record of every
// transaction. One JSON object per line; each flush is a single write, so
// a crash can only leave a torn *last* line, which readers detect, report
// and set aside without losing the rest. Concurrent sites' appends are
// group-committed: one fsync for the records that arrived together.
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { JournalRecord } from './records.js';

export interface JournalRead {
  records: JournalRecord[];
  /** Lines that could not be read, with why (a torn last line after a crash). */
  damaged: { line: number; reason: string }[];
}

export class Journal {
  readonly file: string;
  /** Bytes already read by readNew(). */
  private offset = 0;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'journal.jsonl');
  }

  /** Appends waiting for the next flush, and the flush under way. */
  private pending: { text: string; done: (e?: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private syncs = 0;

  /** fsyncs this Journal has done (group commit makes it fewer than the appends). */
  get fsyncs(): number {
    return this.syncs;
  }

  /**
   * Append records durably: they are on disk when this resolves. Appends
   * that arrive while a flush is under way are group-committed by the next
   * one: one write and one fsync for all of them, each caller resolved only
   * once that fsync is done (and rejected with its error if it failed).
   * One append's records are never split or interleaved with another's.
   */
  append(...records: JournalRecord[]): Promise<void> {
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    return new Promise((resolve, reject) => {
      this.pending.push({ text, done: (e) => (e === undefined ? resolve() : reject(e)) });
      this.flushing ??= this.flush();
    });
  }

  /** Write what is pending, fsync, settle its callers; again while more came meanwhile. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      let error: unknown;
      try {
        await this.writeDurably(batch.map((b) => b.text).join(''));
      } catch (e) {
        error = e;
      }
      for (const b of batch) b.done(error);
    }
    this.flushing = undefined;
  }

  /** The journal's size after this instance's last write: while it still is, the file ends with our newline. */
  private ownEnd = -1;

  private async writeDurably(text: string): Promise<void> {
    const fh = await open(this.file, 'a+').catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      mkdirSync(path.dirname(this.file), { recursive: true });
      return open(this.file, 'a+');
    });
    try {
      // A torn previous line must not swallow this record: start on a fresh line.
      const { size } = await fh.stat();
      const prefix = size !== this.ownEnd && (await endsWithoutNewline(fh, size)) ? '\n' : '';
      const bytes = Buffer.from(prefix + text);
      await fh.write(bytes);
      await fh.sync();
      this.syncs++;
      // Appends land at the end: unless another process wrote meanwhile, this is where the file ends.
      this.ownEnd = size + bytes.length;
    } finally {
      await fh.close();
    }
  }

  async read(): Promise<JournalRead> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], damaged: [] };
      throw e;
    }
    return parseJournal(text);
  }

  /**
   * The records appended since the previous readNew() (all of them the
   * first time): cheap to call once per site while a run goes on.
   */
  async readNew(): Promise<JournalRead> {
    let fh: FileHandle;
    try {
      fh = await open(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], damaged: [] };
      throw e;
    }
    try {
      const start = this.offset;
      const { size } = await fh.stat();
      if (size <= start) return { records: [], damaged: [] };
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      // Only whole lines: a line being written now is read next time.
      const end = buf.lastIndexOf(0x0a) + 1;
      // Absolute, not +=: two overlapping calls must not push the offset past what was read.
      this.offset = Math.max(this.offset, start + end);
      return parseJournal(buf.subarray(0, end).toString('utf8'));
    } finally {
      await fh.close();
    }
  }
}

export function parseJournal(text: string): JournalRead {
  const records: JournalRecord[] = [];
  const damaged: JournalRead['damaged'] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const r = JSON.parse(line) as JournalRecord;
      if (typeof r !== 'object' || r === null || typeof r.type !== 'string' || typeof r.txid !== 'string') throw new Error('not a journal record');
      records.push(r);
    } catch (e) {
      const last = i >= lines.length - 2;
      damaged.push({ line: i + 1, reason: last ? 'torn last line (a write was interrupted); set aside' : `unreadable line: ${(e as Error).message}` });
    }
  });
  return { records, damaged };
}

async function endsWithoutNewline(fh: FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const buf = Buffer.alloc(1);
  await fh.read(buf, 0, 1, size - 1);
  return buf[0] !== 0x0a;
}
