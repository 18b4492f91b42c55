// Cache files are trusted only when every byte is as written: the body and
// every header field (a plan entry's counts are in its header).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readChecked, writeChecked } from '../../src/plan-cache/checked-file.js';
import { tempDir } from '../helpers/tmp.js';

const FORMAT = 'test-format/1';

async function written(): Promise<string> {
  const file = path.join(tempDir('vo-checked-'), 'a', 'entry.json');
  await writeChecked(file, FORMAT, '{"plan":"body"}', { key: 'k1', counts: { ok: 3, failed: 0 } });
  return file;
}

describe('checked cache files', () => {
  it('read back as written', async () => {
    const got = await readChecked(await written(), FORMAT);
    expect(got?.body).toBe('{"plan":"body"}');
    expect(got?.header).toMatchObject({ key: 'k1', counts: { ok: 3, failed: 0 } });
  });

  it.each([
    ['a header field edited', (t: string) => t.replace('"failed":0', '"failed":1')],
    ['the key edited', (t: string) => t.replace('"k1"', '"k2"')],
    ['the body edited', (t: string) => t.replace('body', 'bodz')],
    ['truncated', (t: string) => t.slice(0, t.length - 3)],
    ['another format', (t: string) => t.replace(FORMAT, 'test-format/2')],
  ])('are absent when %s', async (_what, damage) => {
    const file = await written();
    writeFileSync(file, damage(readFileSync(file, 'utf8')));
    expect(await readChecked(file, FORMAT)).toBeUndefined();
  });
});
