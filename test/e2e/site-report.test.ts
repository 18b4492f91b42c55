// Sites that report themselves: a real `reconcile serve --report-secrets`
// on 127.0.0.1 and real `reconcile report` processes at emulated sites.
// Every refusal leaves state/ byte-for-byte as it was.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER, sign } from '../../src/site-report/signature.js';
import { encodeReport } from '../../src/site-report/wire.js';
import { runTool } from '../emulator/index.js';
import { spreadSchedule } from '../../src/cli/commands/report.js';
import { bin, cli, repoRoot } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET_A = 'a'.repeat(20) + '0123456789abcdef0123456789abcdef';
const SECRET_B = 'b'.repeat(20) + '0123456789abcdef0123456789abcdef';
const SECRET_NOPE = 'n'.repeat(40);

interface Collector {
  base: string;
  output: () => string;
  stop: () => Promise<void>;
}

async function startCollector(f: Fleet, secrets: string): Promise<Collector> {
  const child: ChildProcess = spawn(process.execPath, [
    path.join(repoRoot, 'dist/cli/main.js'),
    'serve',
    '--desired',
    f.desired,
    '--state',
    f.state,
    '--port',
    '0',
    '--report-secrets',
    secrets,
  ]);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (c) => reject(new Error(`serve exited ${c}: ${out}`)));
  });
  return {
    base,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Every file under dir with its bytes, to prove a refusal changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

function privateFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return file;
}

function post(base: string, site: string, body: Buffer, headers: Record<string, string>): Promise<Response> {
  return fetch(`${base}/api/sites/${site}/inventory`, { method: 'POST', headers, body });
}

function signedHeaders(
  secret: string,
  site: string,
  body: Buffer,
  at = Math.floor(Date.now() / 1000),
  nonce = `n${Math.random().toString(36).slice(2)}xxxxxxxxxxxxxxxx`,
): Record<string, string> {
  const s = sign(secret, site, body, at, nonce);
  return { [HEADER.timestamp]: s.timestamp, [HEADER.nonce]: s.nonce, [HEADER.signature]: s.signature };
}

describe('reconcile report → reconcile serve', () => {
  let f: Fleet;
  let keys: string;
  let secrets: string;
  let collector: Collector;
  const env = () => ({ PKG_PATH: f.pkgPath });
  const report = (site: string, secretFile: string, extra: string[] = []) =>
    bin(
      [
        'report',
        '--site',
        site,
        '--url',
        collector.base,
        '--prefix',
        f.sites[site]?.prefix ?? f.sites.A!.prefix,
        '--secret-file',
        secretFile,
        ...extra,
      ],
      { env: { RECONCILE_REPORT_SECRET: '' } },
    );

  beforeAll(async () => {
    f = makeFleet(['A', 'B', 'C'], 'packages:\n  - tool\n');
    keys = tempDir('vo-keys-');
    secrets = privateFile(
      keys,
      'report-secrets',
      `# site secret\nA ${SECRET_A}\nB ${SECRET_B}\n\nNOPE ${SECRET_NOPE}\n`,
    );
    expect(runTool(f.sites.A!.prefix, 'pkg_add', ['foo-1.2', 'tool-2.0'], env()).exit).toBe(0);
    collector = await startCollector(f, secrets);
  });
  afterAll(async () => {
    await collector?.stop();
  });

  it('stores an accepted report as the observed state and as history; status shows what changed between reports', async () => {
    const r1 = await report('A', privateFile(keys, 'a.secret', `${SECRET_A}\n`));
    expect(r1).toMatchObject({ code: 0, stderr: '' });
    expect(r1.stdout).toMatch(/^A: stored 2 packages \(0 automatic\) reported at \d{4}-/);
    const observed = JSON.parse(readFileSync(path.join(f.state, 'observed', 'A.json'), 'utf8'));
    expect(observed).toMatchObject({ site: 'A', source: 'reported', userListKnown: true });
    expect(observed.packages.map((p: { pkgname: string }) => p.pkgname)).toEqual(['foo-1.2', 'tool-2.0']);
    expect(readdirSync(path.join(f.state, 'reports', 'A'))).toHaveLength(1);

    expect(runTool(f.sites.A!.prefix, 'pkg_add', ['-U', 'foo-1.4'], env()).exit).toBe(0);
    expect(runTool(f.sites.A!.prefix, 'pkg_add', ['app-1.0'], env()).exit).toBe(0);
    expect(runTool(f.sites.A!.prefix, 'pkg_delete', ['tool-2.0'], env()).exit).toBe(0);
    // Two reports within one second must still be two reports: the nonce tells them apart.
    expect((await report('A', path.join(keys, 'a.secret'))).code).toBe(0);
    expect(readdirSync(path.join(f.state, 'reports', 'A'))).toHaveLength(2);
    // The report carries pkg_info -n -a: what each package depends on per the site's own package database.
    const after = JSON.parse(readFileSync(path.join(f.state, 'observed', 'A.json'), 'utf8'));
    expect(after.packages.map((p: { pkgname: string; depends?: string[] }) => [p.pkgname, p.depends])).toEqual([
      ['app-1.0', ['libz>=1.0']],
      ['foo-1.4', []],
      ['libz-1.3', []],
    ]);

    const json = JSON.parse(
      (await bin(['status', '--desired', f.desired, '--state', f.state, '--format', 'json'])).stdout,
    );
    const a = json.sites.find((s: { name: string }) => s.name === 'A');
    expect(a.observed.source).toBe('reported');
    expect(a.reported).toMatchObject({
      reports: 2,
      changes: {
        added: ['app-1.0', 'libz-1.3'],
        removed: ['tool-2.0'],
        changed: [{ name: 'foo', from: '1.2', to: '1.4' }],
      },
    });
    const text = (await bin(['status', '--desired', f.desired, '--state', f.state])).stdout;
    expect(text).toMatch(/^A: .*; reported \S+ \(2 reports\): \+2 -1 ~1 since \S+/m);
    expect(text).toContain('  A + app-1.0\n  A + libz-1.3\n  A - tool-2.0\n  A ~ foo 1.2 → 1.4\n');
    const html = (await bin(['status', '--desired', f.desired, '--state', f.state, '--format', 'html'])).stdout;
    expect(html).toMatch(/reported [^<]+ \(2 reports\)[^<]*: \+app-1\.0, \+libz-1\.3, −tool-2\.0, foo 1\.2 → 1\.4/);
    expect(collector.output()).not.toContain(SECRET_A);

    // File names order reports by the second only; two reports within one
    // second are told apart by their full timestamps, as lastReports does.
    const records = readdirSync(path.join(f.state, 'reports', 'A'))
      .map((name) => JSON.parse(readFileSync(path.join(f.state, 'reports', 'A', name), 'utf8')))
      .sort((x, y) => Date.parse(x.receivedAt) - Date.parse(y.receivedAt));
    const record = records[1];
    expect(record).toMatchObject({
      site: 'A',
      remote: '127.0.0.1',
      packages: ['app-1.0', 'foo-1.4', 'libz-1.3'],
      automatic: ['libz-1.3'],
    });
  });

  it('refuses a report signed with another secret, and stores nothing', async () => {
    const before = snapshot(f.state);
    const r = await report('A', privateFile(keys, 'wrong.secret', `${SECRET_B}\n`));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^reconcile: the collector refused the report \(HTTP 401\): bad signature: not signed with the secret the collector holds for site 'A'\n$/,
    );
    expect(r.stderr + r.stdout).not.toContain(SECRET_B);
    expect(snapshot(f.state)).toEqual(before);
  });

  it('refuses unknown sites: not in sites.yaml, or without a secret', async () => {
    const before = snapshot(f.state);
    const nope = await bin(['report', '--site', 'NOPE', '--url', collector.base, '--prefix', f.sites.A!.prefix], {
      env: { RECONCILE_REPORT_SECRET: SECRET_NOPE },
    });
    expect(nope.code).toBe(1);
    expect(nope.stderr).toMatch(/HTTP 401\): unknown site 'NOPE'/);
    const c = await report('C', privateFile(keys, 'c.secret', `${'c'.repeat(40)}\n`));
    expect(c.stderr).toMatch(/HTTP 401\): unknown site 'C'/);
    expect(snapshot(f.state)).toEqual(before);
  });

  it('refuses a replayed report, also after the collector restarted', async () => {
    const body = encodeReport('foo-1.4             Foo utility\n', 'foo-1.4             Foo utility\n');
    const headers = signedHeaders(SECRET_B, 'B', body);
    expect((await post(collector.base, 'B', body, headers)).status).toBe(200);
    const before = snapshot(f.state);
    const again = await post(collector.base, 'B', body, headers);
    expect(again.status).toBe(401);
    expect(await again.text()).toMatch(/^replayed report: timestamp \d+ with nonce \S+ was accepted before/);
    await collector.stop();
    collector = await startCollector(f, secrets);
    expect((await post(collector.base, 'B', body, headers)).status).toBe(401);
    expect(snapshot(f.state)).toEqual(before);

    // The same new report sent five times at once is stored once.
    const fresh = signedHeaders(SECRET_B, 'B', body);
    const codes = await Promise.all(
      [1, 2, 3, 4, 5].map(async () => (await post(collector.base, 'B', body, fresh)).status),
    );
    expect(codes.sort()).toEqual([200, 401, 401, 401, 401]);
    expect(readdirSync(path.join(f.state, 'reports', 'B'))).toHaveLength(2);
  });

  it('refuses stale and future timestamps, oversized and malformed bodies, and unsigned requests', async () => {
    const before = snapshot(f.state);
    const body = encodeReport('foo-1.4 Foo\n', '');
    const now = Math.floor(Date.now() / 1000);
    const stale = await post(collector.base, 'B', body, signedHeaders(SECRET_B, 'B', body, now - 600));
    expect([stale.status, await stale.text()]).toEqual([
      401,
      expect.stringMatching(/^stale report: its timestamp is 60\ds behind the collector's clock/),
    ]);
    const future = await post(collector.base, 'B', body, signedHeaders(SECRET_B, 'B', body, now + 900));
    expect(future.status).toBe(401);

    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const huge = await post(collector.base, 'B', big, signedHeaders(SECRET_B, 'B', big));
    expect([huge.status, await huge.text()]).toEqual([413, 'report too large: at most 4194304 bytes\n']);

    const bad = encodeReport('foo-1.4 Foo\n-nope\n', '');
    const malformed = await post(collector.base, 'B', bad, signedHeaders(SECRET_B, 'B', bad));
    expect([malformed.status, await malformed.text()]).toEqual([
      400,
      "malformed report:\npkg_info:2:1: expected a package name BASE-VERSION, '-nope' has an empty base before '-'\n",
    ]);
    // A name no job could carry is refused where the listing is read (issue 19 item 10).
    const hostile = encodeReport('foo-1.4 Foo\nfoo;rm-1.0 x\n$(reboot)-1.0 y\n', '');
    const refused = await post(collector.base, 'B', hostile, signedHeaders(SECRET_B, 'B', hostile));
    expect([refused.status, await refused.text()]).toEqual([
      400,
      "malformed report:\npkg_info:2:4: expected a package name of letters, digits and '.', '_', '+', '-', got ';' in 'foo;rm-1.0'\n" +
        "pkg_info:3:1: expected a package name of letters, digits and '.', '_', '+', '-', got '$' in '$(reboot)-1.0'\n",
    ]);
    const apart = encodeReport('foo-1.4 Foo\n', 'bar-1.0 Bar\n');
    const mismatched = await post(collector.base, 'B', apart, signedHeaders(SECRET_B, 'B', apart));
    expect([mismatched.status, await mismatched.text()]).toEqual([
      400,
      expect.stringMatching(
        /^malformed report:\npkg_info -u:1:1: 'bar-1.0' is listed as user-installed but is not in the pkg_info listing/,
      ),
    ]);
    const notJson = Buffer.from('pkg_info output\n');
    const nj = await post(collector.base, 'B', notJson, signedHeaders(SECRET_B, 'B', notJson));
    expect([nj.status, await nj.text()]).toEqual([
      400,
      expect.stringMatching(/^malformed report:\nbody: expected a JSON report in UTF-8/),
    ]);

    const unsigned = await post(collector.base, 'B', body, {});
    expect([unsigned.status, await unsigned.text()]).toEqual([401, expect.stringMatching(/^unsigned report/)]);
    const garbled = await post(collector.base, 'B', body, {
      ...signedHeaders(SECRET_B, 'B', body),
      [HEADER.signature]: 'md5=x',
    });
    expect(garbled.status).toBe(400);
    expect(
      (await post(collector.base, '..%2Fobserved', body, signedHeaders(SECRET_B, '../observed', body))).status,
    ).toBe(400);
    expect(snapshot(f.state)).toEqual(before);
  });

  it('keeps everything but the report endpoint read-only; GET on it is 405', async () => {
    const before = snapshot(f.state);
    const get = await fetch(`${collector.base}/api/sites/A/inventory`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(`${collector.base}/api/status`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${collector.base}/api/sites/A/other`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${collector.base}/api/status`)).status).toBe(200);
    expect(snapshot(f.state)).toEqual(before);
  });
});

describe('reconcile report: the site side', () => {
  it('prints a cron.d line: user field, absolute paths, a log, a minute and hour from the site name', async () => {
    const keys = tempDir('vo-keys-');
    const secretFile = privateFile(keys, 's', `${SECRET_A}\n`);
    const line = async (site: string, ...more: string[]) =>
      (
        await (more.length ? cli : bin)([
          'report',
          '--site',
          site,
          '--url',
          'https://collector.example.org:8443/',
          '--prefix',
          '/opt/sw/pkg',
          '--secret-file',
          secretFile,
          '--cron',
          ...more,
        ])
      ).stdout;
    const a = await line('DESY-HH');
    expect(a).toMatch(
      /^([1-5]?\d) (1?\d|2[0-3]) \* \* \* \S+ '\/[^']+\/node' '\/[^']+\/dist\/cli\/main\.js' 'report' '--site' 'DESY-HH' '--url' 'https:\/\/collector\.example\.org:8443\/' '--prefix' '\/opt\/sw\/pkg' '--secret-file' '\/[^']+\/s' >> '\/[^']+\/reconcile-report-DESY-HH\.log' 2>&1\n$/,
    );
    expect(await line('DESY-HH')).toBe(a);
    const starts = new Set(['A', 'B', 'C', 'D', 'E', 'F'].map((s) => spreadSchedule(s, '1d')));
    expect(starts.size).toBeGreaterThan(1);
    expect(a).not.toContain(SECRET_A);
    const [minute, hour] = a.split(' ');
    expect(spreadSchedule('DESY-HH', '1d')).toBe(`${minute} ${hour} * * *`);
    expect((await line('DESY-HH', '--every', '6h')).split(' ').slice(0, 5)).toEqual([
      minute,
      `${Number(hour) % 6}-23/6`,
      '*',
      '*',
      '*',
    ]);
    expect((await line('DESY-HH', '--every', '1h')).split(' ').slice(0, 5)).toEqual([minute, '*', '*', '*', '*']);
    const often = await cli([
      'report',
      '--site',
      'A',
      '--url',
      'http://h/',
      '--secret-file',
      secretFile,
      '--cron',
      '--every',
      '5m',
    ]);
    expect([often.code, often.stderr]).toEqual([
      2,
      expect.stringMatching(/--every for report --cron must divide the day evenly/),
    ]);
  });

  it('refuses without a secret, with a secret on a readable file, or --cron without --secret-file', async () => {
    const base = ['report', '--site', 'A', '--url', 'http://127.0.0.1:9/'];
    const none = await bin(base, { env: { RECONCILE_REPORT_SECRET: undefined } });
    expect([none.code, none.stderr]).toEqual([
      2,
      expect.stringMatching(
        /needs the site's secret: --secret-file FILE \(mode 600\) or the environment variable RECONCILE_REPORT_SECRET/,
      ),
    ]);
    const open = path.join(tempDir(), 's');
    writeFileSync(open, `${SECRET_A}\n`);
    chmodSync(open, 0o644);
    const readable = await bin([...base, '--secret-file', open]);
    expect([readable.code, readable.stderr]).toEqual([
      2,
      `${open}: mode 644 lets group or others at the secrets; expected only the owner (chmod 600)\n`,
    ]);
    const cron = await bin([...base, '--cron'], { env: { RECONCILE_REPORT_SECRET: SECRET_A } });
    expect([cron.code, cron.stderr]).toEqual([2, expect.stringMatching(/--cron needs --secret-file/)]);
  });

  it('says clearly when pkg_info is missing or the collector cannot be reached', async () => {
    const env = { RECONCILE_REPORT_SECRET: SECRET_A };
    const noTools = await bin(['report', '--site', 'A', '--url', 'http://127.0.0.1:9/', '--prefix', tempDir()], {
      env,
    });
    expect([noTools.code, noTools.stderr]).toEqual([
      1,
      expect.stringMatching(/^reconcile: \/\S+\/sbin\/pkg_info: not found\n/),
    ]);
    const f = makeFleet(['A'], 'packages: []\n');
    const down = await bin(['report', '--site', 'A', '--url', 'http://127.0.0.1:9/', '--prefix', f.sites.A!.prefix], {
      env,
    });
    expect([down.code, down.stderr]).toEqual([
      1,
      expect.stringMatching(/^reconcile: cannot reach the collector at http:\/\/127\.0\.0\.1:9: /),
    ]);
  });
});

describe('reconcile serve --report-secrets', () => {
  it('refuses to start on a secrets file others can read, or a malformed one, with file:line', async () => {
    const f = makeFleet(['A'], 'packages: []\n');
    const dir = tempDir();
    const open = path.join(dir, 'open');
    writeFileSync(open, `A ${SECRET_A}\n`);
    chmodSync(open, 0o640);
    const r1 = await bin([
      'serve',
      '--desired',
      f.desired,
      '--state',
      f.state,
      '--port',
      '0',
      '--report-secrets',
      open,
    ]);
    expect([r1.code, r1.stderr]).toEqual([
      2,
      `${open}: mode 640 lets group or others at the secrets; expected only the owner (chmod 600)\n`,
    ]);
    const bad = privateFile(dir, 'bad', `A ${SECRET_A}\nB short\nA ${SECRET_B}\nC x y\n`);
    const r2 = await bin(['serve', '--desired', f.desired, '--state', f.state, '--port', '0', '--report-secrets', bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(
      [
        `${bad}:2:3: the secret of 'B' is too weak; expected at least 32 printable characters without spaces, e.g. from 'openssl rand -hex 32'`,
        `${bad}:3:1: site 'A' already has a secret on line 1; expected one line per site`,
        `${bad}:4:1: expected 'SITE SECRET' (two fields), got 3 fields`,
        '',
      ].join('\n'),
    );
    expect(r2.stderr).not.toContain(SECRET_B);
  });
});
