// An unreachable list location is one line saying why, in the words the
// catalog uses for the same failure (the system call's, address included).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { obtainList } from '../../src/vuln/list-store.js';
import { tempDir } from '../helpers/tmp.js';

/** A port nothing listens on: one a server had a moment ago. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('obtainList', () => {
  it('says why a location could not be fetched, and that no copy is in use', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/pkg-vulnerabilities.gz`;
    const s = await obtainList(tempDir(), url, { refresh: true, now: new Date() });
    expect(s.unreachable).toBe(`${url}: cannot fetch: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(s.current).toBeUndefined();
  });
});
