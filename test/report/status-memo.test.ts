// serve's report cache gives the last status again only while nothing it was
// made from changed, and always what a fresh gathering would say: after a new
// observation, a commit, a new catalog, a lock taken; it keeps nothing that
// changed within the last seconds; an HTTP catalog is revalidated with HEAD
// (its validators) rather than downloaded again.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeInventory } from '../../src/observed/store.js';
import type { Inventory } from '../../src/observed/types.js';
import { StatusMemo } from '../../src/report/status-memo.js';
import { tryLockSite } from '../../src/state/site-lock.js';
import { inv } from '../helpers/builders.js';
import { commitDesired, desiredRepo, tempDir } from '../helpers/tmp.js';

const later = () => Date.now() + 60_000;
const summary = (...pkgnames: string[]) => gzipSync(pkgnames.map((p) => `PKGNAME=${p}\nCOMMENT=c\n`).join('\n'));

function fleet(pkgPath: string, wanted = 'tool') {
  const files = {
    'sites.yaml': `sites:\n  - { name: S1, sw_area: /srv/s1, platform: x86_64-el9, pkg_path: ${pkgPath}, profiles: [p] }\n`,
    'profiles/p.yaml': `packages:\n  - ${wanted}\n`,
  };
  const repo = desiredRepo(files);
  return { repo, files, load: { dir: path.join(repo, 'desired-state') } };
}

const observed = (...pkgs: string[]): Inventory => ({
  ...inv(...pkgs),
  site: 'S1',
  observedAt: '2026-01-01T00:00:00Z',
});

describe('the status memo', () => {
  it('gathers again exactly when an observation, the desired state, the catalog or a lock changed', async () => {
    const catalog = tempDir('vo-memo-cat-');
    writeFileSync(path.join(catalog, 'pkg_summary.gz'), summary('tool-1.0'));
    const f = fleet(catalog);
    const state = tempDir('vo-memo-state-');
    await writeInventory(state, observed('pkg_install-20250417'));
    const memo = new StatusMemo(f.load, state, undefined, later);

    const first = await memo.status();
    expect(first.status.sites[0]!.plan).toEqual({ status: 'ok', actions: 1, errors: 0 });
    await memo.status();
    expect(memo.gathered).toBe(1);

    await writeInventory(state, observed('pkg_install-20250417', 'tool-1.0'));
    expect((await memo.status()).status.sites[0]!.plan).toEqual({ status: 'ok', actions: 0, errors: 0 });
    expect(memo.gathered).toBe(2);

    commitDesired(f.repo, { ...f.files, 'profiles/p.yaml': 'packages:\n  - tool>=2\n' }, 'want tool 2');
    expect((await memo.status()).status.sites[0]!.plan?.status).toBe('error');
    expect(memo.gathered).toBe(3);

    writeFileSync(path.join(catalog, 'pkg_summary.gz'), summary('tool-1.0', 'tool-2.0'));
    expect((await memo.status()).status.sites[0]!.plan).toEqual({ status: 'ok', actions: 1, errors: 0 });
    expect(memo.gathered).toBe(4);

    const release = (await tryLockSite(state, 'S1', { command: 'apply' }))!;
    expect((await memo.status()).status.sites[0]!.busy).toMatchObject({ command: 'apply' });
    await release();
    expect((await memo.status()).status.sites[0]!.busy).toBeUndefined();
    expect(memo.gathered).toBe(6);
    await memo.status();
    expect(memo.gathered).toBe(6);
  });

  it('keeps nothing while a file it was made from is fresh', async () => {
    const catalog = tempDir('vo-memo-cat-');
    writeFileSync(path.join(catalog, 'pkg_summary.gz'), summary('tool-1.0'));
    const f = fleet(catalog);
    const state = tempDir('vo-memo-state-');
    await writeInventory(state, observed('tool-1.0'));
    const memo = new StatusMemo(f.load, state);
    await memo.status();
    await memo.status();
    expect(memo.gathered).toBe(2);
    const old = new Date(Date.now() - 3_600_000);
    for (const p of [path.join(catalog, 'pkg_summary.gz'), path.join(state, 'observed', 'S1.json')])
      utimesSync(p, old, old);
    // ctime cannot be set back: a memo whose clock is ahead sees these files as settled.
    const ahead = new StatusMemo(f.load, state, undefined, later);
    await ahead.status();
    await ahead.status();
    expect(ahead.gathered).toBe(1);
  });

  describe('with an HTTP catalog', () => {
    let server: Server;
    let base = '';
    let body = summary('tool-1.0');
    let etag = '"v1"';
    const requests: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        if (req.url !== '/All/pkg_summary.gz') return res.writeHead(404).end();
        res.writeHead(200, { etag, 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const addr = server.address();
      base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/All`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('revalidates it with HEAD and downloads it again only when its ETag changed', async () => {
      const f = fleet(base, 'tool>=1.5');
      const state = tempDir('vo-memo-state-');
      mkdirSync(path.join(state, 'observed'), { recursive: true });
      await writeInventory(state, observed('pkg_install-20250417'));
      const memo = new StatusMemo(f.load, state, undefined, later);
      expect((await memo.status()).status.sites[0]!.plan?.status).toBe('error');
      for (let i = 0; i < 2; i++) await memo.status();
      expect(requests.filter((r) => r.startsWith('GET'))).toHaveLength(1);
      expect(requests.filter((r) => r.startsWith('HEAD')).length).toBeGreaterThanOrEqual(3);
      expect(memo.gathered).toBe(1);

      body = summary('tool-1.0', 'tool-1.5');
      etag = '"v2"';
      expect((await memo.status()).status.sites[0]!.plan).toEqual({ status: 'ok', actions: 1, errors: 0 });
      expect(requests.filter((r) => r.startsWith('GET'))).toHaveLength(2);
    });
  });
});
