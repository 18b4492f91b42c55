// The downtime source read once per run from a real HTTP server on
// 127.0.0.1 serving the GOCDB fixture: a good answer is used and kept; a
// server that is down, answers 500 or sends broken XML is a warning naming
// the URL, and the last good copy from state/downtimes/ is used instead.
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDowntimes } from '../../src/windows/downtime-source.js';
import { tempDir } from '../helpers/tmp.js';
import { FIXTURE, T0 } from './fixture.js';

let server: Server;
let url: string;
let answer: { status: number; body: string } = { status: 200, body: '' };
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gocdbpi/public/?method=get_downtime&ongoing_only=yes`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('loadDowntimes', () => {
  it('reads the served answer once and keeps it; a failing source falls back to that copy, saying so', async () => {
    const stateDir = tempDir('vo-downtimes-');
    const opts = { stateDir, baseDir: stateDir, keep: true, now: T0 };
    answer = { status: 200, body: readFileSync(FIXTURE, 'utf8') };
    requests.length = 0;
    const fresh = await loadDowntimes(url, opts);
    expect(fresh).toMatchObject({ from: 'fresh', readAt: '2026-03-10T12:00:00.000Z', warnings: [] });
    expect(fresh.downtimes).toHaveLength(6);
    expect(requests).toEqual(['/gocdbpi/public/?method=get_downtime&ongoing_only=yes']);

    answer = { status: 500, body: 'Internal Server Error' };
    const later = { ...opts, now: T0 + 60_000 };
    const kept = await loadDowntimes(url, later);
    expect(kept.from).toBe('kept');
    expect(kept.downtimes).toEqual(fresh.downtimes);
    expect(kept.warnings).toEqual([
      `downtimes: cannot read ${url}: HTTP 500 Internal Server Error; using the last good copy, kept in ${path.join(stateDir, 'downtimes')}, read 2026-03-10T12:00:00.000Z`,
    ]);

    answer = { status: 200, body: '<results><DOWNTIME ID="1">' };
    expect((await loadDowntimes(url, later)).warnings[0]).toMatch(
      /cannot read .*: not XML: .*; using the last good copy/,
    );
  });

  it('a server that is down is a warning; with no copy kept the run knows no downtime', async () => {
    const stateDir = tempDir('vo-downtimes-');
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const dead = `http://127.0.0.1:${port}/get_downtime`;
    const r = await loadDowntimes(dead, { stateDir, baseDir: stateDir, keep: true, now: T0, timeoutMs: 2000 });
    expect(r.from).toBe('none');
    expect(r.downtimes).toEqual([]);
    expect(r.warnings[0]).toMatch(
      /^downtimes: cannot read http:\/\/127\.0\.0\.1:\d+\/get_downtime: .*ECONNREFUSED.*; no copy kept in .* yet, so no downtime is known this run$/,
    );
  });

  it('reads a file relative to the desired-state directory; a dry run keeps nothing', async () => {
    const dir = tempDir('vo-downtimes-');
    writeFileSync(path.join(dir, 'downtimes.xml'), readFileSync(FIXTURE));
    const stateDir = path.join(dir, 'state');
    const r = await loadDowntimes('downtimes.xml', { stateDir, baseDir: dir, keep: false, now: T0 });
    expect(r.from).toBe('fresh');
    const again = await loadDowntimes('gone.xml', { stateDir, baseDir: dir, keep: false, now: T0 });
    expect(again.from).toBe('none');
    expect(again.warnings[0]).toMatch(/cannot read gone\.xml: no such file .*gone\.xml; no copy kept/);
  });
});
