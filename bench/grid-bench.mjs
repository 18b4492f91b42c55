// Grid simulation: 2,000 sites spread over 10 ARC CEs and 2 Slurm clusters
// (partitions), all in flight at once, through `reconcile apply` as a whole
// process. The grid clients on PATH are stand-ins (bench/grid-clients/):
// they answer in the formats captured from the real ARC 6.17 and Slurm
// 22.05 servers (test/fixtures/grid/clients/), take 300 ms per call, log
// each call, and a job is finished 60 s after its submission. Time is not
// scaled: the run takes about as long as its 60 s jobs, plus start-up.
//
// Figures (bench/out/grid-bench.json), each against its target:
//   status calls per poll cycle     squeue/arcstat calls while every job is in flight:
//                                   per poll interval, and each endpoint's calls an
//                                   interval apart on average: 12 at most
//   controller CPU per poll cycle   the controller's user+system CPU over the same
//                                   window (/proc/PID/stat), per poll interval: <= 50 ms
//   makespan against the ideal      ideal: submit call + 60 s + one output fetch call;
//                                   makespan: the whole process: <= 5 % over
//   peak RSS                        with 2,000 jobs in flight (getrusage): <= 300 MiB
// The exit code is 1 when a site did not change (the run was wrong); a
// missed target is printed as FAIL, as the other benches do, and the rest of
// `npm run bench` still runs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(root, 'out', 'grid');
const cli = path.join(root, '..', 'dist', 'cli', 'main.js');
const PROBE = pathToFileURL(path.join(root, 'rss-probe.mjs')).href;
const SITES = Number(process.env.BENCH_GRID_SITES ?? 2000);
const CES = 10;
const PARTITIONS = 2;
/** A quarter of the sites on Slurm, the rest on ARC. */
const SLURM_SHARE = 0.25;
const LATENCY_S = 0.3;
const JOB_S = Number(process.env.BENCH_GRID_JOB_S ?? 60);
const POLL_S = 3;
/** How long every job stays in flight once all are submitted (never past its 60 s, so the makespan is unchanged). */
const HOLD_S = Math.min(30, JOB_S / 2);
const TARGETS = { callsPerCycle: CES + PARTITIONS, cpuMsPerCycle: 50, overPct: 5, rssMiB: 300 };
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function setup() {
  rmSync(out, { recursive: true, force: true });
  const repo = path.join(out, 'repo');
  const state = path.join(out, 'state');
  mkdirSync(path.join(repo, 'desired-state', 'profiles'), { recursive: true });
  mkdirSync(path.join(out, 'packages'), { recursive: true });
  mkdirSync(path.join(state, 'observed'), { recursive: true });
  for (const d of ['arc', 'slurm']) mkdirSync(path.join(out, 'sim', d), { recursive: true });
  writeFileSync(path.join(out, 'packages', 'pkg_summary.gz'), gzipSync('PKGNAME=tool-1.0\nCOMMENT=a tool\n\n'));
  const lines = ['sites:'];
  const slurmSites = Math.round(SITES * SLURM_SHARE);
  for (let i = 0; i < SITES; i++) {
    const name = `SITE-${String(i + 1).padStart(4, '0')}`;
    const where =
      i < slurmSites
        ? `backend: slurm, endpoint: part${(i % PARTITIONS) + 1}`
        : `backend: arc, endpoint: 'https://ce${(i % CES) + 1}.sim.example.org:443/arex'`;
    lines.push(
      `  - { name: ${name}, sw_area: /srv/vo_sw/${name}, platform: x86_64-el9, pkg_path: ${path.join(out, 'packages')}, profiles: [p], ${where} }`,
    );
    const observed = {
      site: name,
      packages: [],
      userListKnown: true,
      observedAt: new Date().toISOString(),
      source: 'import',
      origin: 'bench',
    };
    writeFileSync(path.join(state, 'observed', `${name}.json`), JSON.stringify(observed));
  }
  writeFileSync(path.join(repo, 'desired-state', 'sites.yaml'), `${lines.join('\n')}\n`);
  writeFileSync(path.join(repo, 'desired-state', 'profiles', 'p.yaml'), 'packages:\n  - tool\n');
  const git = (...a) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.org', ...a], { cwd: repo });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'bench');
  // A grid proxy the submissions accept (only its end date is read): a self-signed certificate for two days.
  const proxy = path.join(out, 'proxy.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=bench',
      '-keyout',
      `${proxy}.key`,
      '-out',
      proxy,
    ],
    { stdio: 'ignore' },
  );
  return { repo, state, proxy };
}

/** The controller's CPU so far (user + system), in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

const { repo, state, proxy } = setup();
const sim = path.join(out, 'sim');
const rssFile = path.join(out, 'rss');
const env = {
  ...process.env,
  PATH: `${path.join(root, 'grid-clients')}:${process.env.PATH}`,
  GRID_SIM_DIR: sim,
  GRID_SIM_LATENCY: String(LATENCY_S),
  GRID_SIM_JOB_S: String(JOB_S),
  RECONCILE_POLL_ARC: String(POLL_S),
  RECONCILE_POLL_SLURM: String(POLL_S),
  X509_USER_PROXY: proxy,
  BENCH_RSS_FILE: rssFile,
};
// BENCH_GRID_CPU_PROF=DIR: the controller runs under node --cpu-prof, its profile in DIR
// (bench/profile-summary.mjs summarises it).
const prof = process.env.BENCH_GRID_CPU_PROF;
const args = [
  ...(prof ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(prof)] : []),
  '--import',
  PROBE,
  cli,
  'apply',
  '--desired',
  path.join(repo, 'desired-state'),
  '--state',
  state,
  '--concurrency',
  String(SITES),
  '--json',
];
const t0 = Date.now();
const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
child.stdout.on('data', (d) => (stdout += d));
child.stderr.on('data', (d) => (stderr += d));
const samples = [];
let released;
// One line per job submitted (an arcsub call submits many).
const submittedLog = path.join(sim, 'submitted');
const submittedSoFar = () =>
  existsSync(submittedLog) ? (readFileSync(submittedLog, 'utf8').match(/\n/g) ?? []).length : 0;
const sampler = setInterval(() => {
  try {
    samples.push({ t: Date.now(), cpu: cpuMs(child.pid) });
  } catch {
    // Gone.
  }
  // Every job is held (running) until all are in flight and HOLD_S more have passed: the steady state measured.
  if (released === undefined && submittedSoFar() >= SITES) {
    released = Date.now() + HOLD_S * 1000;
    setTimeout(() => writeFileSync(path.join(sim, 'release'), ''), HOLD_S * 1000);
  }
}, 250);
const code = await new Promise((r) => child.on('exit', (c) => r(c)));
clearInterval(sampler);
const makespanMs = Date.now() - t0;
let results;
try {
  results = JSON.parse(stdout).results;
} catch {
  console.error(stderr.slice(0, 3000));
  throw new Error(`apply exited ${code} without its JSON results`);
}
// Failed sites show in "changed"; their first few reasons here.
for (const r of results.filter((x) => x.status !== 'changed').slice(0, 5)) console.error(`  ${r.site}: ${r.detail}`);
const changed = results.filter((x) => x.status === 'changed').length;

const calls = readFileSync(path.join(sim, 'calls.log'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => {
    const [t, tool, endpoint] = l.split(' ');
    return { t: Number(t) * 1000, tool, endpoint };
  });
const count = (tool) => calls.filter((c) => c.tool === tool).length;
const submits = calls.filter((c) => c.tool === 'sbatch' || c.tool === 'arcsub').map((c) => c.t);
// Every job in flight: from the last submission to the release of the hold.
const lastSubmit = Math.max(...submits);
const from = lastSubmit + LATENCY_S * 1000;
const to = released ?? from;
const windowMs = to - from;
const cycles = windowMs / (POLL_S * 1000);
const statusIn = calls.filter((c) => (c.tool === 'squeue' || c.tool === 'arcstat') && c.t >= from && c.t < to);
const perEndpoint = {};
for (const c of statusIn) (perEndpoint[c.endpoint] ??= []).push(c.t);
// At most one call per endpoint and cycle: no two calls to one endpoint closer than the shortest jittered interval.
const gaps = Object.values(perEndpoint).flatMap((ts) =>
  ts
    .sort((a, b) => a - b)
    .slice(1)
    .map((t, i) => t - ts[i]),
);
const minGapMs = gaps.length ? Math.min(...gaps) : NaN;
// Each endpoint's calls on average an interval apart (a single gap can look short: a client's start,
// where it logs, is delayed by the machine's load).
const meanGaps = Object.values(perEndpoint)
  .filter((ts) => ts.length > 1)
  .map((ts) => (ts.at(-1) - ts[0]) / (ts.length - 1));
const leastMeanGapMs = meanGaps.length ? Math.min(...meanGaps) : NaN;
const oneCallPerCycle = leastMeanGapMs >= POLL_S * 1000 * 0.97;
const at = (t) => samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
const cpuWindow = at(to).cpu - at(from).cpu;
const idealMs = Math.round((LATENCY_S + JOB_S + LATENCY_S) * 1000);
// What the controller adds once the jobs are out: the last job's end (its submission + 60 s, or the hold) to the run's.
const lastJobEnd = Math.max(lastSubmit + LATENCY_S * 1000 + JOB_S * 1000, to);
const afterJobsMs = t0 + makespanMs - lastJobEnd;
const figures = {
  sites: SITES,
  endpoints: { arcCEs: CES, slurmPartitions: PARTITIONS },
  changed,
  pollSeconds: POLL_S,
  clientCalls: Object.fromEntries(
    ['sbatch', 'arcsub', 'squeue', 'arcstat', 'arcget', 'sacct', 'scancel', 'arckill', 'arcclean'].map((t) => [
      t,
      count(t),
    ]),
  ),
  windowS: +(windowMs / 1000).toFixed(1),
  endpointsPolled: Object.keys(perEndpoint).length,
  statusCallsPerCycle: +(statusIn.length / cycles).toFixed(2),
  leastMeanGapPerEndpointMs: Math.round(leastMeanGapMs),
  minGapBetweenCallsToOneEndpointMs: Math.round(minGapMs),
  controllerCpuMsPerCycle: +(cpuWindow / cycles).toFixed(1),
  controllerCpuTotalMs: Math.round(samples.at(-1)?.cpu ?? 0),
  idealMs,
  makespanMs,
  overPct: +(((makespanMs - idealMs) / idealMs) * 100).toFixed(2),
  submissionPhaseMs: Math.round(lastSubmit - t0),
  afterLastJobMs: Math.round(afterJobsMs),
  afterLastJobPct: +((afterJobsMs / (JOB_S * 1000)) * 100).toFixed(2),
  peakRssMiB: +(Number(readFileSync(rssFile, 'utf8').trim().split(' ')[0]) / 1024).toFixed(1),
};
const pass = {
  calls: oneCallPerCycle && figures.statusCallsPerCycle <= TARGETS.callsPerCycle,
  cpu: figures.controllerCpuMsPerCycle <= TARGETS.cpuMsPerCycle,
  makespan: figures.overPct <= TARGETS.overPct,
  rss: figures.peakRssMiB <= TARGETS.rssMiB,
  sites: changed === SITES,
};
writeFileSync(
  path.join(root, 'out', 'grid-bench.json'),
  `${JSON.stringify({ ...figures, targets: TARGETS, pass }, null, 1)}\n`,
);
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
console.log(
  `grid: ${SITES} sites over ${CES} ARC CEs and ${PARTITIONS} Slurm partitions, ${JOB_S} s jobs, clients ${LATENCY_S * 1000} ms a call, polls every ${POLL_S} s`,
);
console.log(`  changed          ${changed} of ${SITES} sites  ${verdict(pass.sites)}`);
console.log(`  client calls     ${JSON.stringify(figures.clientCalls)}`);
console.log(
  `  status calls     ${figures.statusCallsPerCycle} per ${POLL_S} s cycle to ${figures.endpointsPolled} endpoints (each endpoint's calls ${figures.leastMeanGapPerEndpointMs} ms apart on average at the least, the closest two ${figures.minGapBetweenCallsToOneEndpointMs} ms) over ${figures.windowS} s with every job in flight  target ≤ ${TARGETS.callsPerCycle}  ${verdict(pass.calls)}`,
);
console.log(
  `  controller CPU   ${figures.controllerCpuMsPerCycle} ms per cycle (${figures.controllerCpuTotalMs} ms in all)  target ≤ ${TARGETS.cpuMsPerCycle} ms  ${verdict(pass.cpu)}`,
);
console.log(
  `  makespan         ${makespanMs} ms against an ideal ${idealMs} ms: ${figures.overPct} % over  target ≤ ${TARGETS.overPct} %  ${verdict(pass.makespan)}`,
);
console.log(
  `  peak RSS         ${figures.peakRssMiB} MiB with ${SITES} jobs in flight  target ≤ ${TARGETS.rssMiB} MiB  ${verdict(pass.rss)}`,
);
if (!pass.sites) process.exitCode = 1;
