// status as text/JSON/HTML, and serve's endpoints over real HTTP on
// 127.0.0.1 (read-only, Prometheus metrics that parse).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetStatus } from '../../src/report/fleet-status.js';
import { renderStatusHtml } from '../../src/report/render-html.js';
import { bin, cli, repoRoot } from '../helpers/cli.js';
import { expectGolden } from '../helpers/golden.js';
import { inv, site, want, plansFor } from '../helpers/builders.js';
import { tempDir } from '../helpers/tmp.js';
import { startServe } from '../helpers/serve.js';

const OBS = 'desired-state/examples/observed';

async function observedState(): Promise<string> {
  const state = tempDir();
  for (const s of ['DESY-HH', 'UKI-NORTHGRID-LIV-HEP']) {
    const r = await cli([
      'observe',
      '--worktree',
      '--site',
      s,
      '--import',
      `${OBS}/${s}.pkg_info`,
      '--import-u',
      `${OBS}/${s}.pkg_info-u`,
      '--state',
      state,
    ]);
    expect(r.code).toBe(0);
  }
  return state;
}

const CATALOG = 'desired-state/examples/catalog';
const stable = (s: string) => s.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>');

/** fleetStatus with each observed site planned against an empty catalog, as the report plans them. */
function statusOf(inp: Omit<Parameters<typeof fleetStatus>[0], 'plans'>) {
  return fleetStatus({ ...inp, plans: plansFor(inp.sites, inp.inventories) });
}

describe('reconcile status', () => {
  it('reports the fleet as text (golden) and JSON', async () => {
    const state = await observedState();
    // The example's catalog, as `npm start` uses: drift is what a plan against it says.
    const text = await cli(['status', '--worktree', '--state', state, '--catalog', CATALOG]);
    expect(text.code).toBe(0);
    expectGolden('status-example.txt', stable(text.stdout));
    const json = JSON.parse(
      (await cli(['status', '--worktree', '--state', state, '--catalog', CATALOG, '--format', 'json'])).stdout,
    );
    const desy = json.sites.find((s: { name: string }) => s.name === 'DESY-HH');
    // emacs was installed by hand at a userpkgs site: the plan leaves it, so it is no drift.
    // python27 and oldtool, declared absent and installed, are extra (removed), not drift.
    expect(desy.counts).toEqual({
      'in-sync': 12,
      drift: 2,
      missing: 1,
      extra: 2,
      frozen: 1,
      absent: 0,
      unmanaged: 1,
      unplanned: 0,
      unobserved: 0,
    });
    expect(json.packages.find((p: { name: string }) => p.name === 'emacs').cells['DESY-HH'].state).toBe('unmanaged');
    const hdf5 = json.packages.find((p: { name: string }) => p.name === 'hdf5');
    expect(hdf5.cells['DESY-HH']).toEqual({ state: 'drift', desired: 'hdf5-1.14.*', installed: 'hdf5-1.12.3nb2' });
  });

  it('writes one self-contained HTML page that escapes what sites report', async () => {
    const s = statusOf({
      revision: 'abc',
      sites: [site([want('foo>=1')])],
      inventories: new Map([
        [
          'SITE',
          {
            ...inv('foo-1.0'),
            audit: [{ pkgname: 'foo-1.0', kind: 'x"<b>', url: 'https://e.org/<script>alert(1)</script>' }],
          },
        ],
      ]),
      transactions: [],
      holds: [],
      locks: new Map(),
      tags: [],
      now: 't',
    });
    const html = renderStatusHtml(s);
    expect(html).not.toMatch(/<script>alert/);
    expect(html).toContain('https://e.org/&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('x&quot;&lt;b&gt;');
    expect(html).not.toMatch(/<(link|img)\b|src=|href="http/);
    const out = path.join(tempDir(), 'status.html');
    const r = await cli(['status', '--worktree', '--state', tempDir(), '--format', 'html', '--output', out]);
    expect(r.stdout).toBe(`wrote ${out}\n`);
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<table id="grid">[\s\S]*<\/html>\n$/);
  });
});

describe('reconcile serve', () => {
  it('serves the report, the API, metrics and health, read-only, on 127.0.0.1', async () => {
    const state = await observedState();
    writeFileSync(path.join(state, 'journal.jsonl'), '');
    const server = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'dist/cli/main.js'),
        'serve',
        '--worktree',
        '--state',
        state,
        '--catalog',
        CATALOG,
        '--port',
        '0',
        '--json',
      ],
      { cwd: repoRoot },
    );
    try {
      // With --json the line saying where it serves is JSON too.
      const base = await new Promise<string>((resolve, reject) => {
        server.stdout.on('data', (d: Buffer) => {
          const m = /^\{"serving":"(http:\/\/127\.0\.0\.1:\d+)\/","reportSites":0\}$/m.exec(d.toString());
          if (m) resolve(m[1]!);
        });
        server.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
      });
      expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
      const page = await fetch(`${base}/`);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/<table id="grid">/);
      const api = (await (await fetch(`${base}/api/status`)).json()) as { sites: { name: string }[] };
      expect(api.sites.map((s: { name: string }) => s.name)).toEqual([
        'UKI-NORTHGRID-LIV-HEP',
        'DESY-HH',
        'UNI-ARM-TEST',
      ]);
      expect(await (await fetch(`${base}/api/history`)).json()).toEqual([]);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const line of metrics.trim().split('\n')) {
        expect(line).toMatch(/^(# (HELP|TYPE) vo_reconcile_\w+ .+|vo_reconcile_\w+(\{\w+="[^"]*"\})? -?\d+(\.\d+)?)$/);
      }
      expect(metrics).toMatch(/^vo_reconcile_sites\{state="drift"\} 1$/m);
      expect(metrics).toMatch(/^vo_reconcile_sites\{state="in_sync"\} 1$/m);
      expect(metrics).toMatch(/^vo_reconcile_sites\{state="unobserved"\} 1$/m);
      expect(metrics).toMatch(/^vo_reconcile_sites_unvalidated 0$/m);
      expect((await fetch(`${base}/api/status`, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });

  it('refuses a bad --interval with exit 2', async () => {
    const r = await bin(['serve', '--worktree', '--interval', 'often']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--interval must look like 30s, 5m or 6h/);
  });
});

describe('reconcile serve --interval', () => {
  it('reconciles periodically, one run after another, leaving held sites alone', async () => {
    const { makeFleet } = await import('../helpers/fleet.js');
    const { readdirSync, mkdirSync: mk, writeFileSync: wr } = await import('node:fs');
    const f = makeFleet(['A', 'B'], 'packages:\n  - tool\n');
    mk(path.join(f.state, 'holds'), { recursive: true });
    wr(
      path.join(f.state, 'holds', 'B.json'),
      JSON.stringify({ site: 'B', tag: 'v0', commit: 'c', txid: 'tx-x', at: 't', desired: '[]' }),
    );
    const server = spawn(process.execPath, [
      path.join(repoRoot, 'dist/cli/main.js'),
      'serve',
      '--desired',
      f.desired,
      '--state',
      f.state,
      '--port',
      '0',
      '--interval',
      '1s',
    ]);
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const base = await new Promise<string>((resolve) => {
        const t = setInterval(() => {
          const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) {
            clearInterval(t);
            resolve(m[1]!);
          }
        }, 50);
      });
      let runs = 0;
      for (let i = 0; i < 200 && runs < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        runs = Number(/^vo_reconcile_runs_total (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? 0);
      }
      expect(runs).toBeGreaterThanOrEqual(2);
      expect(readdirSync(f.sites.A!.dbdir).filter((n) => !n.startsWith('.'))).toEqual(['tool-2.0']);
      expect(readdirSync(f.sites.B!.dbdir).filter((n) => !n.startsWith('.'))).toEqual([]);
      expect(out).toMatch(/B: held since the rollback to v0/);
      // Runs never overlap: each "run:" line follows the previous run's site lines.
      expect(out.match(/^run: /gm)!.length).toBeGreaterThanOrEqual(2);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });
});

describe('reconcile serve --log-file', () => {
  it('logs to that file: the start, each run and its sites, each report, the stop', async () => {
    const { makeFleet } = await import('../helpers/fleet.js');
    const f = makeFleet(['A'], 'packages:\n  - tool\n');
    const logFile = path.join(f.root, 'logs', 'serve.log');
    const served = await startServe([
      '--desired',
      f.desired,
      '--state',
      f.state,
      '--interval',
      '1s',
      '--log-level',
      'info',
      '--log-file',
      logFile,
    ]);
    try {
      for (let i = 0; i < 300 && !/^run: /m.test(served.stdout()); i++) await new Promise((r) => setTimeout(r, 100));
      const report = await fetch(`${served.base}/api/sites/A/inventory`, { method: 'POST', body: '{}' });
      expect(report.status).toBe(404);
    } finally {
      await served.stop();
    }
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string; site?: string; event?: string; code?: number });
    const msgs = lines.map((l) => l.msg);
    expect(msgs[0]).toBe('serving');
    expect(lines).toContainEqual(
      expect.objectContaining({ site: 'A', event: 'done', msg: expect.stringMatching(/^1 to install/) }),
    );
    expect(msgs).toContain('run finished');
    expect(lines).toContainEqual(
      expect.objectContaining({ code: 404, msg: expect.stringMatching(/^report: this server takes no site reports/) }),
    );
    expect(msgs.at(-1)).toBe('stopped');
    // The logs went to the file, not to stderr.
    expect(served.stderr()).toBe('');
  });
});
