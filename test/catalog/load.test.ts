// Catalogs from a directory or over HTTP (a real server on 127.0.0.1), in
// every compression, read once per pkg_path however many sites share it.
import { createServer, type Server } from 'node:http';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogCache, loadCatalog } from '../../src/catalog/load.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const SUMMARY =
  'PKGNAME=foo-1.2\nCOMMENT=Foo\n\nPKGNAME=foo-1.4\nDEPENDS=bar>=1\nCOMMENT=Foo\n\nPKGNAME=bar-1.0\nCOMMENT=Bar\n\n';

describe('loadCatalog', () => {
  let server: Server;
  let base: string;
  let requests: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/All/pkg_summary.gz') res.end(gzipSync(SUMMARY));
      else if (req.url === '/broken/pkg_summary.gz') res.end('not gzip at all \u0000\u0001');
      else if (req.url?.startsWith('/error/')) {
        res.statusCode = 500;
        res.end('oops');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads pkg_summary.gz over http and resolves like pkg_add', async () => {
    const c = await loadCatalog(`${base}/All`);
    expect(c.size).toBe(3);
    expect(c.resolve('foo', ['foo>=1.0'])!.pkgname).toBe('foo-1.4');
    expect(c.get('foo-1.4')!.depends).toEqual(['bar>=1']);
  });

  it('says what went wrong with a URL', async () => {
    await expect(loadCatalog(`${base}/nothing`)).rejects.toThrow(
      /no package summary at this URL; tried pkg_summary.gz, pkg_summary.bz2, pkg_summary.xz, pkg_summary/,
    );
    await expect(loadCatalog(`${base}/error`)).rejects.toThrow(/HTTP 500/);
    await expect(loadCatalog(`${base}/broken`)).rejects.toBeInstanceOf(InputError);
  });

  it('reads a directory and prefers the compressed summary', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'pkg_summary'), 'PKGNAME=only-plain-1.0\n\n');
    writeFileSync(path.join(dir, 'pkg_summary.gz'), gzipSync(SUMMARY));
    expect((await loadCatalog(dir)).size).toBe(3);
    const empty = tempDir();
    mkdirSync(path.join(empty, 'sub'));
    await expect(loadCatalog(empty)).rejects.toThrow(/no package summary here; expected one of pkg_summary.gz/);
  });

  it('reads each pkg_path once however many sites share it', async () => {
    requests = [];
    const cache = new CatalogCache();
    const all = await Promise.all(Array.from({ length: 1000 }, () => cache.get(`${base}/All`)));
    expect(new Set(all).size).toBe(1);
    expect(cache.reads).toBe(1);
    expect(requests).toEqual(['/All/pkg_summary.gz']);
  });
});
