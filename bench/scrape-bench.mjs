// Scrapes of `reconcile serve` on the bench fleet: the first (cold) scrape
// of /metrics, the median of warm ones, and serve's RSS before and after
// many scrapes (no cache may grow without bound). The fleet's inventories
// are stored in a state directory as `reconcile observe --import` would.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PARAMS, fleetIsCurrent, generateFleet, writeStamp } from './fleet.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLEET = path.join(ROOT, 'bench/out/fleet');
const STATE = path.join(ROOT, 'bench/out/state-scrape');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const SCRAPES = Number(process.env.BENCH_SCRAPES ?? 10_000);
const TARGET_MS = 50;
const params = { ...DEFAULT_PARAMS, ...(process.env.BENCH_SITES ? { sites: Number(process.env.BENCH_SITES) } : {}) };
const log = (m) => process.stderr.write(`scrape-bench: ${m}\n`);

if (!fleetIsCurrent(FLEET, params)) {
  log(`generating ${params.sites} sites ...`);
  generateFleet(FLEET, params);
  writeStamp(FLEET, params);
}

const { inventoryFromPkgInfo } = await import(path.join(ROOT, 'dist/observed/inventory.js'));
const { writeInventory } = await import(path.join(ROOT, 'dist/observed/store.js'));
const observedDir = path.join(FLEET, 'observed');
const sites = readdirSync(observedDir)
  .filter((f) => f.endsWith('.pkg_info'))
  .map((f) => f.slice(0, -'.pkg_info'.length));
if (!existsSync(path.join(STATE, 'observed', `${sites.at(-1)}.json`))) {
  log(`storing ${sites.length} inventories in ${path.relative(ROOT, STATE)} ...`);
  mkdirSync(STATE, { recursive: true });
  for (const site of sites) {
    const file = path.join(observedDir, `${site}.pkg_info`);
    const u = path.join(observedDir, `${site}.pkg_info-u`);
    await writeInventory(
      STATE,
      inventoryFromPkgInfo({
        site,
        pkgInfo: { text: readFileSync(file, 'utf8'), file },
        ...(existsSync(u) ? { userInstalled: { text: readFileSync(u, 'utf8'), file: u } } : {}),
        observedAt: '2026-01-01T00:00:00.000Z',
        source: 'import',
      }),
    );
  }
}

const serve = spawn(
  process.execPath,
  [CLI, 'serve', '--port', '0', '--desired', path.join(FLEET, 'repo/desired-state'), '--state', STATE],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const base = await new Promise((resolve, reject) => {
  let out = '';
  serve.stdout.on('data', (d) => {
    out += d;
    const m = /serving (http:\/\/[^/\s]+)\//.exec(out);
    if (m) resolve(m[1]);
  });
  serve.once('exit', (code) => reject(new Error(`serve exited ${code} before listening:\n${out}`)));
});

async function scrape() {
  const t = performance.now();
  const res = await fetch(`${base}/metrics`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${body.slice(0, 200)}`);
  return performance.now() - t;
}
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${serve.pid}/status`, 'utf8'))[1]) / 1024;

try {
  const cold = await scrape();
  const warm = [];
  for (let i = 0; i < 21; i++) warm.push(await scrape());
  warm.sort((a, b) => a - b);
  const rssBefore = rssMiB();
  for (let i = 0; i < SCRAPES; i++) await scrape();
  const rssAfter = rssMiB();
  const median = warm[10];
  const result = {
    sites: sites.length,
    coldScrapeMs: Math.round(cold),
    warmScrapeMs: Number(median.toFixed(1)),
    target: TARGET_MS,
    met: median <= TARGET_MS,
    scrapes: SCRAPES,
    rssMiB: { before: Math.round(rssBefore), after: Math.round(rssAfter) },
  };
  log(
    `/metrics of ${sites.length} sites: cold ${result.coldScrapeMs} ms, warm median ${result.warmScrapeMs} ms (target <= ${TARGET_MS} ms: ${result.met ? 'met' : 'NOT met'}); RSS ${result.rssMiB.before} -> ${result.rssMiB.after} MiB over ${SCRAPES} scrapes`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  serve.kill();
}
