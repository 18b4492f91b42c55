// The cold plan alone, against the one-awk baseline, for working on the
// planner's speed without the rest of `npm run bench` (run.mjs has the
// whole story and the targets):
//
//   npm run build && node bench/cold-plan.mjs [RUNS]
//
// Uses the fleet run.mjs generated (bench/out/fleet/; run `npm run bench`
// once first). Plan and awk runs alternate, so both see the same load; it
// prints each pair's wall-clock ratio and the plan's CPU time (all threads),
// and checks that every run printed the same plan. With BENCH_PLAN_REF=FILE
// the plan must also equal FILE byte for byte (a plan from before a change).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'bench/out');
const FLEET = path.join(OUT, 'fleet');
const RUNS = Number(process.argv[2] ?? 3);
const PROBE = pathToFileURL(path.join(ROOT, 'bench/rss-probe.mjs')).href;

if (!existsSync(path.join(FLEET, 'stamp.json'))) {
  console.error('[cold-plan] no complete fleet in bench/out/fleet: run `npm run bench` once first');
  process.exit(2);
}
const observed = path.join(FLEET, 'observed');
const names = path.join(FLEET, 'desired-names');
const state = path.join(OUT, 'state-cold-only');
const probeFile = path.join(OUT, 'cold-only.probe');
const planOut = path.join(OUT, 'cold-only-plan.json');
const plan = {
  file: process.execPath,
  args: [
    '--import',
    PROBE,
    path.join(ROOT, 'dist/cli/main.js'),
    'plan',
    '--desired',
    path.join(FLEET, 'repo/desired-state'),
    '--observed',
    observed,
    '--json',
    '--state',
    state,
  ],
};
const pairs = readdirSync(names)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .flatMap((f) => [path.join(names, f), path.join(observed, `${f.slice(0, -4)}.pkg_info`)]);
const awk = { file: 'awk', args: ['-f', path.join(ROOT, 'bench/name-diff.awk'), ...pairs] };

function timed(cmd, stdoutFile, env = process.env) {
  const fd = openSync(stdoutFile, 'w');
  const start = performance.now();
  const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', fd, 'inherit'], env });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      closeSync(fd);
      if (code !== 0) reject(new Error(`${cmd.file} exited ${code}`));
      else resolve(performance.now() - start);
    });
  });
}

await timed(awk, '/dev/null'); // page cache
const ref = process.env.BENCH_PLAN_REF ? readFileSync(process.env.BENCH_PLAN_REF) : undefined;
let first;
const rows = [];
for (let run = 1; run <= RUNS; run++) {
  rmSync(state, { recursive: true, force: true });
  const load = os.loadavg()[0];
  const planMs = await timed(plan, planOut, { ...process.env, BENCH_RSS_FILE: probeFile });
  const [kib, cpuUs] = readFileSync(probeFile, 'utf8').trim().split(' ').map(Number);
  const awkMs = await timed(awk, '/dev/null');
  const bytes = readFileSync(planOut);
  first ??= bytes;
  const same = bytes.equals(first) && (!ref || bytes.equals(ref));
  rows.push({ planMs, awkMs, cpuMs: cpuUs / 1000, ratio: planMs / awkMs, kib, load, same });
  console.log(
    `run ${run}/${RUNS}: plan ${(planMs / 1000).toFixed(2)} s (CPU ${(cpuUs / 1e6).toFixed(2)} s, ` +
      `RSS ${Math.round(kib / 1024)} MiB), awk ${(awkMs / 1000).toFixed(2)} s, ratio ${(planMs / awkMs).toFixed(2)}, ` +
      `CPU/awk ${(cpuUs / 1000 / awkMs).toFixed(2)}, load ${load.toFixed(1)}${same ? '' : '  PLAN DIFFERS'}`,
  );
}
const med = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
console.log(
  `median: ratio ${med('ratio').toFixed(2)} (target <= 1.0), plan CPU ${(med('cpuMs') / 1000).toFixed(2)} s, ` +
    `awk ${(med('awkMs') / 1000).toFixed(2)} s`,
);
process.exitCode = rows.every((r) => r.same) ? 0 : 1;
