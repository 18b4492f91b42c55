// An unreachable list location is one line saying why, in the words the
// catalog uses for the same failure (the system call's, address included).
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listDir, obtainList } from '../../src/vuln/list-store.js';
import { tempDir } from '../helpers/tmp.js';

/** A port nothing listens on: one a server had a moment ago. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A pkg-vulnerabilities file with a valid SHA512 over these entry lines. */
function listOf(body: string): string {
  const hash = createHash('sha512').update(`#\n#FORMAT 1.1.0\n#\n${body}`).digest('hex');
  return `# $NetBSD: pkg-vulnerabilities,v 1.3 2026/12/01 $\n#\n#FORMAT 1.1.0\n#\n#CHECKSUM SHA512 ${hash}\n${body}`;
}

describe('obtainList', () => {
  it('gives the same verdict for the same bytes on a repeat run, and keeps no copy meta.json does not describe', async () => {
    const state = tempDir();
    const location = `${tempDir()}/pkg-vulnerabilities`;
    writeFileSync(location, listOf('foo<1.2\tremote-code-execution\thttps://example.org/CVE-1\n'));
    const first = await obtainList(state, location, { refresh: true, now: new Date() });
    const again = await obtainList(state, location, { refresh: true, now: new Date() });
    expect(first.current?.meta.verified).toEqual(['SHA512']);
    for (const s of [first, again]) {
      expect(s.current?.entries.map((e) => [e.pattern, e.line])).toEqual([['foo<1.2', 6]]);
      expect(s.current?.meta.rcsId).toBe('$NetBSD: pkg-vulnerabilities,v 1.3 2026/12/01 $');
    }
    expect(again.current?.meta.verified).toEqual(['SHA512']);
    expect(again.current?.meta.sha256).toBe(first.current?.meta.sha256);

    // Another list, valid on its own, put where the verified copy was: not the copy meta.json vouches for.
    const copy = `${listDir(state, location)}/pkg-vulnerabilities`;
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(location, 'utf8'));
    writeFileSync(copy, listOf('bar<2\tdenial-of-service\thttps://example.org/CVE-2\n'));
    const stored = await obtainList(state, location, { refresh: false, now: new Date() });
    expect(stored.current).toBeUndefined();
    // Asking the location again brings the verified copy back.
    const back = await obtainList(state, location, { refresh: true, now: new Date() });
    expect(back.current?.entries.map((e) => e.pattern)).toEqual(['foo<1.2']);
  });

  it('reads back what the check of the stored copy gave, and never what was kept for other bytes or damaged', async () => {
    const state = tempDir();
    const location = `${tempDir()}/pkg-vulnerabilities`;
    const other = `${tempDir()}/pkg-vulnerabilities`;
    writeFileSync(location, listOf('foo<1.2\tremote-code-execution\thttps://example.org/CVE-1\n'));
    writeFileSync(other, listOf('bar<2\tdenial-of-service\thttps://example.org/CVE-2\n'));
    await obtainList(state, location, { refresh: true, now: new Date() });
    await obtainList(state, other, { refresh: true, now: new Date() });
    const kept = `${listDir(state, location)}/entries.json`;
    const patterns = async () =>
      (await obtainList(state, location, { refresh: false, now: new Date() })).current?.entries.map((e) => e.pattern);
    expect(await patterns()).toEqual(['foo<1.2']);
    // Kept for another list: sealed, but not for these bytes.
    copyFileSync(`${listDir(state, other)}/entries.json`, kept);
    expect(await patterns()).toEqual(['foo<1.2']);
    // Edited: the seal no longer matches.
    writeFileSync(kept, readFileSync(kept, 'utf8').replace('foo<1.2', 'foo<9.9'));
    expect(await patterns()).toEqual(['foo<1.2']);
    writeFileSync(kept, 'not json');
    expect(await patterns()).toEqual(['foo<1.2']);
  });

  it('says why a location could not be fetched, and that no copy is in use', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/pkg-vulnerabilities.gz`;
    const s = await obtainList(tempDir(), url, { refresh: true, now: new Date() });
    expect(s.unreachable).toBe(`${url}: cannot fetch: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(s.current).toBeUndefined();
  });
});
