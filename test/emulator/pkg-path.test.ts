// Where the emulated pkg_add finds packages: several PKG_PATH entries and
// http(s) PKG_PATHs (local servers on 127.0.0.1), as pkg_install's
// lib/pkg_io.c find_archive()/find_best_package() and libfetch's http.c
// fetchListHTTP() do it: the best match across the last named package's
// directory and every PKG_PATH entry wins, a tie goes to the earlier entry.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { installEmulator, makePackage, runTool, runToolAsync, type EmulatorSite } from './index.js';

const installed = (site: EmulatorSite): string[] => readdirSync(site.dbdir).sort();

function repos() {
  const root = tempDir('vo-emu-path-');
  const one = path.join(root, 'one');
  const two = path.join(root, 'two');
  makePackage(one, { pkgname: 'lib-1.0' });
  makePackage(one, { pkgname: 'app-1.0', depends: ['lib>=1.0'] });
  makePackage(one, { pkgname: 'same-1.0', comment: 'from one' });
  makePackage(two, { pkgname: 'lib-2.0' });
  makePackage(two, { pkgname: 'same-1.0', comment: 'from two' });
  makePackage(two, { pkgname: 'only-1.0', depends: ['lib-[0-9]*'] });
  return { root, one, two, site: installEmulator(path.join(root, 'pkg')) };
}

describe('several directories in PKG_PATH', () => {
  it('takes the best match across all entries, not the first entry that has one', () => {
    const { one, two, site } = repos();
    expect(runTool(site.prefix, 'pkg_add', ['lib'], { PKG_PATH: `${one};${two}` })).toMatchObject({ exit: 0 });
    expect(installed(site)).toEqual(['lib-2.0']);
  });

  it('an equal candidate in a later entry does not replace the earlier one', () => {
    const { one, two, site } = repos();
    expect(runTool(site.prefix, 'pkg_add', ['same'], { PKG_PATH: `${two};${one}` }).exit).toBe(0);
    expect(readFileSync(path.join(site.dbdir, 'same-1.0', '+COMMENT'), 'utf8')).toBe('from two\n');
  });

  it('looks in the directory of the package named by path before PKG_PATH', () => {
    const { one, two, site } = repos();
    // app-1.0 named by path in `one`: its dependency lib>=1.0 comes from `one` (lib-1.0), though `two` has lib-2.0
    const r = runTool(site.prefix, 'pkg_add', [path.join(one, 'app-1.0.tgz')], { PKG_PATH: two });
    expect(r).toMatchObject({ exit: 0, stderr: '' });
    expect(installed(site)).toEqual(['app-1.0', 'lib-1.0']);
  });

  it('finds a dependency in a later entry, warns about an entry it cannot list, resolves relative entries', () => {
    const { root, two, site } = repos();
    const r = runTool(site.prefix, 'pkg_add', ['only-1.0'], { PKG_PATH: `${root}/nonexistent;two` }, { cwd: root });
    expect(r.exit).toBe(0);
    expect(r.stderr).toBe(
      `pkg_add: Can't process file://${root}/nonexistent/only-1*: No such file or directory\n` +
        `pkg_add: Can't process file://${root}/nonexistent/lib-*: No such file or directory\n`,
    );
    expect(installed(site)).toEqual(['lib-2.0', 'only-1.0']);
    expect(two).toBe(path.join(root, 'two'));
  });

  it('says so when no entry has the package', () => {
    const { one, two, site } = repos();
    const r = runTool(site.prefix, 'pkg_add', ['nosuch>=1'], { PKG_PATH: `${one};${two}` });
    expect(r).toMatchObject({
      exit: 1,
      stderr: "pkg_add: no pkg found for 'nosuch>=1', sorry.\npkg_add: 1 package addition failed\n",
    });
  });
});

/** An autoindex-like server's handler: /one/ and /two/ list their files as <a href="…">, files are served as they are. */
function serveRepos(dirs: { one: string; two: string }, requests: string[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = decodeURIComponent((req.url ?? '/').replace(/\/+/g, '/'));
    requests.push(url);
    const m = /^\/(one|two)\/?(.*)$/.exec(url);
    const dir = m ? (m[1] === 'one' ? dirs.one : dirs.two) : undefined;
    if (!dir || !m) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    if (m[2] === '') {
      const links = readdirSync(dir).map((f) => `<a href="${encodeURIComponent(f)}">${f}</a>`);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><body><h1>Index</h1><a href="../">../</a>\n${links.join('\n')}\n</body></html>\n`);
      return;
    }
    try {
      const body = readFileSync(path.join(dir, m[2] ?? ''));
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, 'Not Found').end();
    }
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('http PKG_PATH', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  let dirs: ReturnType<typeof repos>;

  beforeAll(async () => {
    dirs = repos();
    server = createServer(serveRepos(dirs, requests));
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('installs a package and its dependency from http directories, the best across entries', async () => {
    const site = installEmulator(path.join(tempDir('vo-emu-http-'), 'pkg'));
    requests.length = 0;
    const r = await runToolAsync(site.prefix, 'pkg_add', ['app'], { PKG_PATH: `${base}/one;${base}/two` });
    expect(r).toMatchObject({ exit: 0, stderr: '' });
    expect(installed(site)).toEqual(['app-1.0', 'lib-2.0']);
    expect(requests).toContain('/two/lib-2.0.tgz');
    expect(requests).not.toContain('/one/lib-1.0.tgz');
    expect(readFileSync(path.join(site.prefix, 'bin', 'lib'), 'utf8')).toBe('#!/bin/sh\necho lib-2.0\n');
  });

  it('installs a package named by URL, with its dependency from the same directory', async () => {
    const site = installEmulator(path.join(tempDir('vo-emu-http-'), 'pkg'));
    const r = await runToolAsync(site.prefix, 'pkg_add', [`${base}/one/app-1.0.tgz`], { PKG_PATH: `${base}/two` });
    expect(r).toMatchObject({ exit: 0, stderr: '' });
    expect(installed(site)).toEqual(['app-1.0', 'lib-1.0']);
  });

  it('warns about a directory the server does not have and fails a package nowhere to be found', async () => {
    const site = installEmulator(path.join(tempDir('vo-emu-http-'), 'pkg'));
    const r = await runToolAsync(site.prefix, 'pkg_add', ['lib'], { PKG_PATH: `${base}/gone` });
    expect(r.exit).toBe(1);
    expect(r.stderr).toBe(
      `pkg_add: Can't process ${base}/gone/lib*: Not Found\n` +
        "pkg_add: no pkg found for 'lib', sorry.\npkg_add: 1 package addition failed\n",
    );
    expect(installed(site)).toEqual([]);
  });
});

describe('https PKG_PATH', () => {
  let server: Server;
  let base: string;
  let ca: string;

  beforeAll(async () => {
    const dirs = repos();
    const certDir = tempDir('vo-emu-tls-');
    ca = path.join(certDir, 'cert.pem');
    const key = path.join(certDir, 'key.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        ca,
      ]),
      { stdio: 'ignore' },
    );
    server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(ca) }, serveRepos(dirs, []));
    base = `https://127.0.0.1:${await listen(server)}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('installs from an https directory the tool trusts, and cannot list one it does not', async () => {
    const site = installEmulator(path.join(tempDir('vo-emu-https-'), 'pkg'));
    const untrusted = await runToolAsync(site.prefix, 'pkg_add', ['lib'], { PKG_PATH: `${base}/two` });
    expect(untrusted.exit).toBe(1);
    expect(untrusted.stderr).toMatch(new RegExp(`^pkg_add: Can't process ${base}/two/lib\\*: `));
    expect(installed(site)).toEqual([]);
    const r = await runToolAsync(site.prefix, 'pkg_add', ['app'], {
      PKG_PATH: `${base}/one;${base}/two`,
      NODE_EXTRA_CA_CERTS: ca,
    });
    expect(r).toMatchObject({ exit: 0, stderr: '' });
    expect(installed(site)).toEqual(['app-1.0', 'lib-2.0']);
  });
});
