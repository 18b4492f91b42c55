// The HTML report in a real headless Chromium (Debian's chromium, driven by
// playwright-core; .ci/run installs it): the table renders, the filter
// narrows it, sorting works, and hostile values show as text, never run.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetStatus } from '../../src/report/fleet-status.js';
import { renderStatusHtml } from '../../src/report/render-html.js';
import { foldTransactions, type BeginRecord, type EndRecord } from '../../src/state/records.js';
import { cat, inv, site, want, plansFor } from '../helpers/builders.js';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';

/** fleetStatus with each observed site planned against an empty catalog, as the report plans them. */
function statusOf(inp: Omit<Parameters<typeof fleetStatus>[0], 'plans'>, catalog = cat()) {
  return fleetStatus({ ...inp, plans: plansFor(inp.sites, inp.inventories, catalog) });
}

describe('status HTML in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    // Never skipped: without Chromium this fails (apt-get install chromium).
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders, filters, sorts, and shows hostile values as text', async () => {
    const hostile = '<img src=x onerror="window.pwned=1">';
    const packages = Array.from({ length: 40 }, (_, i) => want(`pkg${String(i).padStart(2, '0')}>=1`));
    const status = statusOf({
      revision: 'abc123',
      sites: [site(packages, { name: 'SITE-A' }), site(packages.slice(0, 20), { name: 'SITE-B' })],
      inventories: new Map([
        [
          'SITE-A',
          {
            ...inv(...packages.map((_, i) => `pkg${String(i).padStart(2, '0')}-1.0`), 'evil-1.0'),
            audit: [{ pkgname: 'pkg01-1.0', kind: hostile, url: `https://e.org/"${hostile}` }],
          },
        ],
        ['SITE-B', { ...inv('pkg00-0.5'), site: 'SITE-B' }],
      ]),
      transactions: [],
      holds: [],
      locks: new Map(),
      tags: [],
      now: '2026-11-22T00:00:00Z',
    });
    const file = path.join(tempDir(), 'status.html');
    writeFileSync(file, renderStatusHtml(status));
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`file://${file}`);
    expect(await page.locator('#grid tbody tr').count()).toBe(41);
    expect(await page.locator('#count').textContent()).toBe('41 of 41 packages');

    await page.fill('#filter', 'pkg1');
    expect(await page.locator('#grid tbody tr:visible').count()).toBe(10);
    await page.fill('#filter', 'missing');
    expect(await page.locator('#grid tbody tr:visible').count()).toBe(19);
    await page.fill('#filter', '');

    await page.click('#grid thead th[data-col="0"]');
    await page.click('#grid thead th[data-col="0"]');
    expect(await page.locator('#grid tbody tr >> nth=0 >> th').textContent()).toBe('pkg39');

    await page.click('#site-SITE-A summary');
    const details = await page.locator('#site-SITE-A').innerText();
    expect(details).toContain(hostile);
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('stays usable at 300 sites × 500 packages', async () => {
    const packages = Array.from({ length: 500 }, (_, i) => want(`p${String(i).padStart(3, '0')}>=1`));
    const installed = inv(...packages.map((_, i) => `p${String(i).padStart(3, '0')}-${i % 7 === 0 ? '0.9' : '1.0'}`));
    const sites = Array.from({ length: 300 }, (_, i) => site(packages, { name: `S${String(i).padStart(3, '0')}` }));
    // Every site is alike: plan one, and give its plan to all.
    const [plan] = plansFor([sites[0]!], new Map([[sites[0]!.name, installed]])).values();
    const status = fleetStatus({
      plans: new Map(sites.map((s) => [s.name, plan!])),
      revision: 'abc',
      sites,
      inventories: new Map(sites.map((s) => [s.name, { ...installed, site: s.name }])),
      transactions: [],
      holds: [],
      locks: new Map(),
      tags: [],
      now: 't',
    });
    const file = path.join(tempDir(), 'big.html');
    const html = renderStatusHtml(status);
    writeFileSync(file, html);
    // 150,000 cells: ~9 MB as HTML cells, a fraction of that as the grid's data.
    expect(Buffer.byteLength(html)).toBeLessThan(3 * 1024 * 1024);
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    expect(await page.locator('#grid tbody tr').count()).toBe(500);
    await page.fill('#filter', 'p49');
    expect(await page.locator('#grid tbody tr:visible').count()).toBe(10);
    await page.close();
  });

  it('is the page a manager keeps open: attention first, legend, symbols, history, relative times, refresh', async () => {
    const rev = 'a'.repeat(12) + 'b'.repeat(28);
    const packages = [want('foo>=2'), want('bar'), want('gone', 'absent'), want('old', 'absent')];
    const begin = (txid: string, s: string, at: string): BeginRecord => ({
      type: 'begin',
      txid,
      at,
      site: s,
      kind: 'apply',
      revision: rev,
      tags: ['v7'],
      plan: { site: s, status: 'ok', actions: [], kept: [], errors: [] },
      nonce: 'n',
      controller: 'c',
      timeLimit: 60,
    });
    const end = (txid: string, s: string, at: string, status: EndRecord['status'], reason?: string): EndRecord => ({
      type: 'end',
      txid,
      at,
      site: s,
      status,
      ...(reason ? { reason } : {}),
    });
    const now = new Date(Date.now() - 5 * 60_000).toISOString();
    const earlier = new Date(Date.now() - 3 * 3600_000).toISOString();
    const status = statusOf(
      {
        revision: rev,
        sites: [
          site(packages, { name: 'GOOD' }),
          site(packages, { name: 'BAD' }),
          site(packages, { name: 'HELD' }),
          site(packages, { name: 'NEW' }),
        ],
        inventories: new Map(
          ['GOOD', 'BAD', 'HELD'].map((n) => [n, { ...inv('foo-1.0', 'bar-1.0', 'old-1.0'), site: n }] as const),
        ),
        transactions: foldTransactions([
          begin('tx-1', 'GOOD', earlier),
          end('tx-1', 'GOOD', earlier, 'succeeded'),
          begin('tx-2', 'BAD', now),
          end('tx-2', 'BAD', now, 'failed', 'action 1 install foo-2.0 exited 1'),
        ]),
        holds: [{ kind: 'manual', site: 'HELD', at: earlier, reason: 'downtime until Friday' }],
        locks: new Map(),
        tags: [],
        now: new Date().toISOString(),
      },
      cat('foo-2.0', 'bar-1.0'),
    );
    const dir = tempDir();
    const file = path.join(dir, 'status.html');
    writeFileSync(file, renderStatusHtml(status, { refreshSeconds: 2 }));
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`file://${file}`);

    const attention = await page.locator('ul.attention').innerText();
    expect(attention).toMatch(/✗ BAD: last apply failed just now|✗ BAD: last apply failed \d+ min ago/);
    expect(attention).toContain('action 1 install foo-2.0 exited 1');
    expect(attention).toMatch(/‖ HELD: held \(by hand: downtime until Friday\) 3 h ago/);
    expect(attention).toContain('? NEW: not observed yet');
    expect(attention).not.toContain('GOOD');
    expect(await page.locator('#recent tbody tr').count()).toBe(2);
    expect(await page.locator('#recent tbody tr >> nth=0').innerText()).toMatch(
      /min ago\s+BAD\s+apply\s+failed\s+aaaaaaaaaaaa \[v7\]/,
    );
    expect(await page.locator('#recent code >> nth=0').getAttribute('title')).toBe(rev);
    expect(await page.locator('time >> nth=0').getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT/);

    // Every state reads without colour: the legend names each symbol, and the cells carry them.
    const legend = await page.locator('#legend').innerText();
    for (const sym of ['✓', '≠', '+', '−', '∅', '❄', '·', '?']) expect(legend).toContain(sym);
    const row = async (name: string) =>
      (await page.locator('#grid tbody tr', { has: page.locator(`th:text-is("${name}")`) }).innerText()).split('\t');
    expect(await row('foo')).toEqual(['foo', '≠1.0', '≠1.0', '≠1.0', '?']);
    expect(await row('bar')).toEqual(['bar', '✓1.0', '✓1.0', '✓1.0', '?']);
    expect(await row('old')).toEqual(['old', '−1.0', '−1.0', '−1.0', '?']);
    expect(await row('gone')).toEqual(['gone', '∅', '∅', '∅', '?']);
    const cell = page.locator('#grid tbody tr', { has: page.locator('th:text-is("foo")') }).locator('td >> nth=1');
    await cell.hover();
    expect(await cell.getAttribute('title')).toBe('BAD: foo drift, installed foo-1.0, desired foo>=2');

    const shot = process.env['UPDATE_SCREENSHOT'] === '1' ? path.join(repoRoot, 'test/report/screenshots') : dir;
    mkdirSync(shot, { recursive: true });
    await page.screenshot({ path: path.join(shot, 'status.png'), fullPage: true });
    expect(statSync(path.join(shot, 'status.png')).size).toBeGreaterThan(10_000);

    // A served page reloads itself and keeps what the reader filtered.
    await page.fill('#filter', 'gone');
    await page.waitForEvent('load', { timeout: 10_000 });
    expect(await page.inputValue('#filter')).toBe('gone');
    expect(await page.locator('#grid tbody tr:visible').count()).toBe(1);
    await page.close();
  });
});
