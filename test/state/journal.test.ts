// The journal: durable appends, a torn last line detected and set aside,
// and later appends not swallowed by it.
import { appendFileSync, readFileSync } from 'node:fs';
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

  it('reads a missing journal as empty', async () => {
    expect(await new Journal(tempDir()).read()).toEqual({ records: [], damaged: [] });
  });

  it('rejects lines that are JSON but not records', () => {
    expect(parseJournal('{"x":1}\n[]\n').damaged).toHaveLength(2);
  });
});
