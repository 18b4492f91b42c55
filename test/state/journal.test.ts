// The journal: durable appends, a torn last line detected and set aside,
// and later appends not swallowed by it.
import { appendFileSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, parseJournal } from '../../src/state/journal.js';
import type { EndRecord } from '../../src/state/records.js';
import { tempDir } from '../helpers/tmp.js';

const end = (txid: string): EndRecord => ({ type: 'end', txid, at: '2026-11-22T00:00:00.000Z', site: 'S', status: 'succeeded' });

describe('Journal', () => {
  it('appends one JSON line per record and reads them back in order', async () => {
    const j = new Journal(tempDir());
    await j.append(end('a'));
    await j.append(end('b'), end('c'));
    const r = await j.read();
    expect(r.records.map((x) => x.txid)).toEqual(['a', 'b', 'c']);
    expect(r.damaged).toEqual([]);
    expect(readFileSync(j.file, 'utf8').split('\n')).toHaveLength(4);
  });

  it('reports a torn last line, keeps the rest, and starts the next record on a fresh line', async () => {
    const j = new Journal(tempDir());
    await j.append(end('a'));
    appendFileSync(j.file, '{"type":"end","txid":"tor');
    let r = await j.read();
    expect(r.records.map((x) => x.txid)).toEqual(['a']);
    expect(r.damaged).toEqual([{ line: 2, reason: 'torn last line (a write was interrupted); set aside' }]);
    await j.append(end('b'));
    r = await j.read();
    expect(r.records.map((x) => x.txid)).toEqual(['a', 'b']);
    expect(r.damaged).toEqual([{ line: 2, reason: expect.stringMatching(/^unreadable line/) }]);
  });

  it('group-commits concurrent appends: fewer fsyncs than appends, each caller resolved once its records are on disk, none split', async () => {
    const j = new Journal(tempDir());
    const onDisk: boolean[] = [];
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        j.append(end(`t${i}-1`), end(`t${i}-2`)).then(() => {
          onDisk.push(readFileSync(j.file, 'utf8').includes(`"t${i}-2"`));
        }),
      ),
    );
    expect(onDisk).toEqual(Array(100).fill(true));
    // The first append flushes alone; the 99 that came while it ran go together.
    expect(j.fsyncs).toBeLessThanOrEqual(3);
    const ids = (await j.read()).records.map((r) => r.txid);
    expect(ids).toHaveLength(200);
    for (let i = 0; i < 100; i++) expect(ids.indexOf(`t${i}-2`)).toBe(ids.indexOf(`t${i}-1`) + 1);
    await j.append(end('after'));
    expect(j.fsyncs).toBeLessThanOrEqual(4);
  });

  it('a failed flush rejects every append of its group, and the journal goes on afterwards', async () => {
    const dir = tempDir();
    const j = new Journal(dir);
    // The journal's path is a directory: open fails.
    mkdirSync(path.join(dir, 'journal.jsonl'));
    const all = await Promise.allSettled([j.append(end('a')), j.append(end('b')), j.append(end('c'))]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    rmdirSync(path.join(dir, 'journal.jsonl'));
    await j.append(end('d'));
    expect((await j.read()).records.map((r) => r.txid)).toEqual(['d']);
  });

  it('reads a missing journal as empty', async () => {
    expect(await new Journal(tempDir()).read()).toEqual({ records: [], damaged: [] });
  });

  it('rejects lines that are JSON but not records', () => {
    expect(parseJournal('{"x":1}\n[]\n').damaged).toHaveLength(2);
  });
});
