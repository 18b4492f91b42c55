// state/journal.jsonl: the append-only, fsync'ed record of every
// transaction. One JSON object per line; each append is a single write, so
// a crash can only leave a torn *last* line, which readers detect, report
// and set aside without losing the rest.
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

  /** Append records durably: they are on disk when this resolves. */
  async append(...records: JournalRecord[]): Promise<void> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const fh = await open(this.file, 'a+');
    try {
      // A torn previous line must not swallow this record: start on a fresh line.
      const prefix = (await endsWithoutNewline(fh)) ? '\n' : '';
      await fh.write(prefix + records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      await fh.sync();
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

async function endsWithoutNewline(fh: FileHandle): Promise<boolean> {
  const { size } = await fh.stat();
  if (size === 0) return false;
  const buf = Buffer.alloc(1);
  await fh.read(buf, 0, 1, size - 1);
  return buf[0] !== 0x0a;
}
