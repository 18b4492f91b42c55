// The HTML report in a real headless Chromium (Debian's chromium, driven by
// playwright-core; .ci/run installs it): the table renders, the filter
// narrows it, sorting works, and hostile values show as text, never run.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetStatus } from '../../src/report/fleet-status.js';
import { renderStatusHtml } from '../../src/report/render-html.js';
import { inv, site, want, plansFor } from '../helpers/builders.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';

/** fleetStatus with each observed site planned against an empty catalog, as the report plans them. */
function statusOf(inp: Omit<Parameters<typeof fleetStatus>[0], 'plans'>) {
  return fleetStatus({ ...inp, plans: plansFor(inp.sites, inp.inventories) });
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
    writeFileSync(file, renderStatusHtml(status));
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    expect(await page.locator('#grid tbody tr').count()).toBe(500);
    await page.fill('#filter', 'p49');
    expect(await page.locator('#grid tbody tr:visible').count()).toBe(10);
    await page.close();
  });
});
