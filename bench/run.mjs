// `npm run bench`: is `reconcile plan` as cheap as the shell one-liner an
// admin would write instead?
//
// On a deterministic synthetic fleet (bench/fleet.mjs: 1,000 sites x 3,000
// installed packages, ~500 desired patterns per site, one shared catalog of
// ~24,000 packages) this times, each as a whole process (start-up, git reads
// and output included, wall clock, median of BENCH_RUNS runs, default 3):
//
//   plan  node dist/cli/main.js plan --desired ... --observed ... --json
//   awk   a name-only set difference over the same inventories
//         (bench/name-diff.awk): what to install and remove per site,
//         versions ignored. Timed both as one awk process over every site
//         and as a shell loop with one awk per site; the faster is the baseline.
//
// and the plan's peak RSS (bench/rss-probe.mjs, preloaded with --import).
// Targets: plan/awk <= 1.0 and peak RSS <= 512 MiB. The plan does much more
// than awk (versions, patterns, dependencies, reasons), but it is meant to be
// cheap enough that nobody reaches for awk instead.
//
// The fleet is generated once into bench/out/fleet/ and reused while its
// parameters are unchanged (BENCH_SITES=N makes a smaller one, for trying
// things out). Figures go to stdout and bench/out/plan-bench.json; the exit
// code is 1 when a target is missed or the plan is not what the fleet implies.
//
// To see where the plan's time goes:
//   node --cpu-prof --cpu-prof-dir bench/out/profile dist/cli/main.js plan \
//     --desired bench/out/fleet/repo/desired-state --observed bench/out/fleet/observed --json >/dev/null
//   node bench/profile-summary.mjs bench/out/profile/*.cpuprofile 15
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_PARAMS, fleetIsCurrent, generateFleet, readFleetInfo, writeStamp } from './fleet.mjs';
import { medianMs, startupRatios, tenPercentRepo } from './phases.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'bench/out');
const FLEET = path.join(OUT, 'fleet');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const AWK_SCRIPT = path.join(ROOT, 'bench/name-diff.awk');
const PROBE = pathToFileURL(path.join(ROOT, 'bench/rss-probe.mjs')).href;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGETS = { ratio: 1.0, rssMiB: 512, warm: 0.1, tenPercent: 0.2, version: 2, help: 2, validate: 4 };
const params = { ...DEFAULT_PARAMS, ...(process.env.BENCH_SITES ? { sites: Number(process.env.BENCH_SITES) } : {}) };

const desiredDir = path.join(FLEET, 'repo/desired-state');
const observedDir = path.join(FLEET, 'observed');
const namesDir = path.join(FLEET, 'desired-names');

// ---- 1. the fleet -----------------------------------------------------------

mkdirSync(OUT, { recursive: true });
const generationFile = path.join(FLEET, 'generation.json');
let generation;
if (fleetIsCurrent(FLEET, params) && existsSync(generationFile)) {
  generation = { ...JSON.parse(readFileSync(generationFile, 'utf8')), reused: true };
  log(
    `fleet: reusing ${path.relative(ROOT, FLEET)} (same parameters; generated in ${generation.seconds.toFixed(1)} s)`,
  );
} else {
  log(`fleet: generating ${params.sites} sites into ${path.relative(ROOT, FLEET)} ...`);
  let t = performance.now();
  generateFleet(FLEET, params);
  generation = { reused: false, seconds: (performance.now() - t) / 1000 };
  t = performance.now();
  const v = spawnSync(process.execPath, [CLI, 'validate', '--desired', desiredDir], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  generation.validateSeconds = (performance.now() - t) / 1000;
  if (v.status !== 0)
    fail(
      `reconcile validate rejected the generated desired state (exit ${v.status}):\n${v.stdout}${v.stderr}`.slice(
        0,
        4000,
      ),
    );
  writeFileSync(generationFile, JSON.stringify(generation) + '\n');
  writeStamp(FLEET, params);
  log(
    `fleet: generated in ${generation.seconds.toFixed(1)} s, validated in ${generation.validateSeconds.toFixed(1)} s: ${v.stdout.trim()}`,
  );
}
const info = readFleetInfo(FLEET);

// ---- 2. the commands --------------------------------------------------------

// Each cold run gets an empty state directory: no plan cache, no parsed desired state.
const coldState = path.join(OUT, 'state-cold');
const planArgs = (desired, state) => [
  CLI,
  'plan',
  '--desired',
  desired,
  '--observed',
  observedDir,
  '--json',
  '--state',
  state,
];
const planCmd = { file: process.execPath, args: ['--import', PROBE, ...planArgs(desiredDir, coldState)] };
const sites = readdirSync(namesDir)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => f.slice(0, -4))
  .sort();
const pairs = sites.flatMap((s) => [path.join(namesDir, `${s}.txt`), path.join(observedDir, `${s}.pkg_info`)]);
const awkBaselines = {
  // One process over all 2,000 files (well under ARG_MAX).
  'one awk': { file: 'awk', args: ['-f', AWK_SCRIPT, ...pairs] },
  // The loop an admin might write first: one awk per site.
  'awk per site': {
    file: 'sh',
    args: [
      '-c',
      'for f in "$1"/*.txt; do s=${f##*/}; s=${s%.txt}; awk -f "$2" "$f" "$3/$s.pkg_info"; done',
      'sh',
      namesDir,
      AWK_SCRIPT,
      observedDir,
    ],
  },
};

/** Runs a command to completion with stdout into a file; wall-clock milliseconds. */
function timed(cmd, stdoutFile, env = process.env) {
  const fd = openSync(stdoutFile, 'w');
  const start = performance.now();
  const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', fd, 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr.length < 65536 ? (stderr += d) : undefined));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - start;
      closeSync(fd);
      resolve({ ms, code, signal, stderr });
    });
  });
}

const planOut = path.join(OUT, 'plan.json');
const rssFile = path.join(OUT, 'plan.maxrss');
const awkOut = (label) => path.join(OUT, `${label.replace(/ /g, '-')}.txt`);

log('warm-up: one awk over every inventory (page cache)');
await timed(awkBaselines['one awk'], awkOut('one awk'));

const times = { plan: [], 'one awk': [], 'awk per site': [] };
const rssKiB = [];
const cpuMs = [];
for (let run = 1; run <= RUNS; run++) {
  rmSync(rssFile, { force: true });
  rmSync(coldState, { recursive: true, force: true });
  const p = await timed(planCmd, planOut, { ...process.env, BENCH_RSS_FILE: rssFile });
  if (p.code !== 0) fail(`plan exited with ${p.code ?? p.signal}:\n${p.stderr.slice(0, 4000)}`);
  times.plan.push(p.ms);
  if (existsSync(rssFile)) {
    const [kib, cpuUs] = readFileSync(rssFile, 'utf8').trim().split(' ').map(Number);
    rssKiB.push(kib);
    cpuMs.push(cpuUs / 1000);
  }
  for (const [label, cmd] of Object.entries(awkBaselines)) {
    const a = await timed(cmd, awkOut(label));
    if (a.code !== 0) fail(`${label} exited with ${a.code ?? a.signal}:\n${a.stderr.slice(0, 4000)}`);
    times[label].push(a.ms);
  }
  log(
    `run ${run}/${RUNS}: plan ${sec(p.ms)}, ${Object.keys(awkBaselines)
      .map((l) => `${l} ${sec(times[l].at(-1))}`)
      .join(', ')}, plan RSS ${mib(rssKiB.at(-1))}, plan CPU ${sec(cpuMs.at(-1))} (load ${os.loadavg()[0].toFixed(1)})`,
  );
}

// ---- 2b. warm, 10 % change, start-up ------------------------------------------

log('warm: the same plan again on the state the last cold run left');
const warmMs = medianMs(process.execPath, planArgs(desiredDir, coldState), RUNS);
const warmOut = path.join(OUT, 'plan-warm.json');
execFileOut(planArgs(desiredDir, coldState), warmOut);
const warmSame = readFileSync(warmOut, 'utf8') === readFileSync(planOut, 'utf8');
log('10 %: a commit that changes one profile used by every tenth site');
const ten = tenPercentRepo(path.join(FLEET, 'repo'), path.join(OUT, 'tenpct-repo'));
const tenState = path.join(OUT, 'state-tenpct');
const tenRepo = path.dirname(ten.desired);
const tenBase = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: tenRepo, encoding: 'utf8' }).trim();
const tenMsRuns = [];
for (let run = 0; run < RUNS; run++) {
  // From the base commit with a warm cache, commit the change, and time the plan.
  execFileSync('git', ['reset', '-q', '--hard', tenBase], { cwd: tenRepo });
  rmSync(tenState, { recursive: true, force: true });
  cpSync(coldState, tenState, { recursive: true });
  execFileOut(planArgs(ten.desired, tenState), path.join(OUT, 'plan-tenpct-before.json'));
  ten.change();
  tenMsRuns.push(medianMs(process.execPath, planArgs(ten.desired, tenState), 1));
}
const tenMs = [...tenMsRuns].sort((a, b) => a - b)[Math.floor(RUNS / 2)];
const tenOut = path.join(OUT, 'plan-tenpct.json');
execFileOut(planArgs(ten.desired, tenState), tenOut);
const tenCold = path.join(OUT, 'plan-tenpct-cold.json');
rmSync(path.join(OUT, 'state-tenpct-cold'), { recursive: true, force: true });
execFileOut(planArgs(ten.desired, path.join(OUT, 'state-tenpct-cold')), tenCold);
const tenSame = readFileSync(tenOut, 'utf8') === readFileSync(tenCold, 'utf8');
log('start-up: --version, --help, validate of the example against node -e 0');
const startup = startupRatios(CLI, ROOT);

// ---- 3. is the plan the one the fleet implies? (not timed) ------------------

const plan = JSON.parse(readFileSync(planOut, 'utf8'));
const s = plan.summary ?? {};
const got = { install: s.install, change: s.upgrade + s.downgrade, remove: s.remove };
const planOk =
  Array.isArray(plan.sites) &&
  plan.sites.length === params.sites &&
  s.failed === 0 &&
  Object.keys(info.expect).every((k) => got[k] === info.expect[k]);
const awkCounts = countAwk(awkOut('one awk'));

// ---- 4. report ----------------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const planMs = median(times.plan);
const awkMedians = Object.fromEntries(Object.keys(awkBaselines).map((l) => [l, median(times[l])]));
const [baseline, awkMs] = Object.entries(awkMedians).sort((a, b) => a[1] - b[1])[0];
const ratio = planMs / awkMs;
const peakKiB = rssKiB.length ? Math.max(...rssKiB) : NaN;
const warmRatio = warmMs / awkMs;
const tenRatio = tenMs / awkMs;
const pass = {
  ratio: ratio <= TARGETS.ratio,
  rss: peakKiB / 1024 <= TARGETS.rssMiB,
  warm: warmRatio <= TARGETS.warm && warmSame,
  tenPercent: tenRatio <= TARGETS.tenPercent && tenSame,
  version: startup.ratios['--version'] <= TARGETS.version,
  help: startup.ratios['--help'] <= TARGETS.help,
  validate: startup.ratios['validate (example)'] <= TARGETS.validate,
};
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');

const rows = [
  ['sites', fmt(info.sites)],
  [
    'installed lines (pkg_info)',
    `${fmt(info.installedLines)} (${fmt(info.installedLines / info.sites)} per site, ${fmt(info.userInstalledLines)} user-installed)`,
  ],
  ['catalog packages', fmt(info.catalogPackages)],
  ['desired patterns per site', `${fmt(info.desiredPatternsPerSite)} (${info.profiles} profiles incl. ALL)`],
  [
    'fleet generation',
    `${generation.seconds.toFixed(1)} s + ${generation.validateSeconds.toFixed(1)} s validate${generation.reused ? ' (earlier run; reused)' : ''}`,
  ],
  [
    'plan summary',
    `${s.install} install, ${s.upgrade} upgrade, ${s.downgrade} downgrade, ${s.remove} remove; ${s.failed} failed`,
  ],
  [
    'plan as the fleet implies',
    planOk ? 'yes' : `NO: expected ${JSON.stringify(info.expect)}, got ${JSON.stringify(got)}`,
  ],
  ['awk output', `${fmt(awkCounts.install)} install, ${fmt(awkCounts.remove)} remove lines (names only)`],
  ['', ''],
  [`plan wall time (median of ${RUNS})`, `${sec(planMs)} (CPU, all threads: ${sec(median(cpuMs))})`],
  ...Object.entries(awkMedians).map(([l, ms]) => [
    `${l} wall time (median of ${RUNS})`,
    `${sec(ms)}${l === baseline ? '  <- baseline' : ''}`,
  ]),
  ['ratio plan/awk', `${ratio.toFixed(2)}   target <= ${TARGETS.ratio.toFixed(1)}   ${pass.ratio ? 'PASS' : 'FAIL'}`],
  ['plan peak RSS', `${mib(peakKiB)}   target <= ${TARGETS.rssMiB} MiB   ${pass.rss ? 'PASS' : 'FAIL'}`],
  [
    `warm re-plan (median of ${RUNS})`,
    `${sec(warmMs)}, ratio ${warmRatio.toFixed(3)}   target <= ${TARGETS.warm}   ${verdict(pass.warm)}${warmSame ? '' : '  (OUTPUT DIFFERS FROM COLD)'}`,
  ],
  [
    `10 % re-plan (${fmt(Math.ceil(ten.sites / 10))} sites changed)`,
    `${sec(tenMs)}, ratio ${tenRatio.toFixed(3)}   target <= ${TARGETS.tenPercent}   ${verdict(pass.tenPercent)}${tenSame ? '' : '  (OUTPUT DIFFERS FROM COLD)'}`,
  ],
  ['node -e 0 (median)', `${(startup.nodeMs / 1000).toFixed(3)} s`],
  ...Object.entries(startup.ratios).map(([k, r]) => [
    `${k} / node -e 0`,
    `${r.toFixed(2)}   target <= ${k === 'validate (example)' ? TARGETS.validate : TARGETS.version}   ${verdict(r <= (k === 'validate (example)' ? TARGETS.validate : TARGETS.version))}`,
  ]),
  ['warm scrape of /metrics', 'measured by bench/scrape-bench.mjs (next in npm run bench)'],
];
const width = Math.max(...rows.map((r) => r[0].length));
console.log('\nvo-reconcile plan benchmark');
for (const [k, v] of rows) console.log(k ? `  ${k.padEnd(width)}  ${v}` : '');

const result = {
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    awk: awkVersion(),
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    memMiB: Math.round(os.totalmem() / 2 ** 20),
  },
  fleet: { params, ...info, generation },
  runs: RUNS,
  timesMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => Math.round(x))])),
  planMs: Math.round(planMs),
  planCpuMs: cpuMs.map((x) => Math.round(x)),
  awkMs: Math.round(awkMs),
  awkBaseline: baseline,
  ratio: Number(ratio.toFixed(3)),
  warmMs: Math.round(warmMs),
  warmRatio: Number(warmRatio.toFixed(3)),
  tenPercentMs: Math.round(tenMs),
  tenPercentRatio: Number(tenRatio.toFixed(3)),
  sameBytes: { warm: warmSame, tenPercent: tenSame },
  startup,
  load: os.loadavg(),
  peakRssMiB: Number((peakKiB / 1024).toFixed(1)),
  targets: TARGETS,
  pass,
  plan: { summary: s, asExpected: planOk, expected: info.expect },
  awkLines: awkCounts,
};
writeFileSync(path.join(OUT, 'plan-bench.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`\nwrote ${path.relative(ROOT, path.join(OUT, 'plan-bench.json'))}`);
// A missed target is a finding to report, not a broken run: only a wrong plan fails it.
process.exitCode = planOk && warmSame && tenSame ? 0 : 1;

// ---- helpers ------------------------------------------------------------------

function execFileOut(args, file) {
  writeFileSync(file, execFileSync(process.execPath, args, { maxBuffer: 256 << 20 }));
}

function countAwk(file) {
  const counts = { install: 0, remove: 0 };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const kind = line.split(' ')[1];
    if (kind in counts) counts[kind]++;
  }
  return counts;
}

function awkVersion() {
  for (const flag of ['--version', '-W version']) {
    const r = spawnSync('awk', flag.split(' ').concat(['BEGIN{}']), { encoding: 'utf8' });
    const line = (r.stdout || '').split('\n')[0];
    if (r.status === 0 && line) return line;
  }
  return 'unknown';
}

function sec(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

function mib(kib) {
  return kib === undefined || Number.isNaN(kib) ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`;
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}

function log(msg) {
  console.error(`[bench] ${msg}`);
}

function fail(msg) {
  console.error(`[bench] ${msg}`);
  process.exit(2);
}
