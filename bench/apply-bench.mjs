// Apply benchmark: 500 sites whose jobs take 200 ms each, concurrency 16,
// local backend. Measures the makespan of `reconcile apply` as a whole
// process against the ideal ceil(500/16) × 200 ms; the difference is the
// controller's overhead (locks, journal fsyncs, planning, process spawns).
// Each site is a stub pkgsrc prefix whose pkg_add sleeps 200 ms, so a job
// is one install of one package.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const SITES = Number(process.env.BENCH_SITES ?? 500);
const CONCURRENCY = 16;
const JOB_MS = 200;
const root = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(root, 'out', 'apply');
const cli = path.join(root, '..', 'dist', 'cli', 'main.js');

// pkg_info as the job uses it: -V, -n -a (each package's DEPENDS: none here), -qe, and the listing.
const STUB_INFO = `#!/bin/sh
case "$1" in
  -V) echo 20130131; exit 0;;
  -qe) [ -d "$PKG_DBDIR/$2" ]; exit;;
esac
for d in "$PKG_DBDIR"/*/; do
  [ -d "$d" ] || continue; n=\${d%/}; n=\${n##*/}
  if [ "$1" = -n ]; then printf 'Information for %s:\\n\\n' "$n"; else printf '%-19s stub\\n' "$n"; fi
done
`;
const STUB_ADD = `#!/bin/sh
[ "$1" = -U ] && shift
sleep ${JOB_MS / 1000}
mkdir -p "$PKG_DBDIR/$1"
`;
const STUB_ADMIN = '#!/bin/sh\nexit 0\n';

function setup() {
  rmSync(out, { recursive: true, force: true });
  const repo = path.join(out, 'repo');
  const sitesDir = path.join(out, 'sites');
  mkdirSync(path.join(repo, 'desired-state', 'profiles'), { recursive: true });
  mkdirSync(path.join(out, 'packages'), { recursive: true });
  writeFileSync(path.join(out, 'packages', 'pkg_summary.gz'), gzipSync('PKGNAME=tool-1.0\nCOMMENT=a tool\n\n'));
  const lines = ['sites:'];
  for (let i = 1; i <= SITES; i++) {
    const name = `SITE-${String(i).padStart(4, '0')}`;
    const sw = path.join(sitesDir, name);
    mkdirSync(path.join(sw, 'pkg', 'sbin'), { recursive: true });
    mkdirSync(path.join(sw, 'pkg', 'pkgdb'), { recursive: true });
    for (const [tool, text] of [
      ['pkg_info', STUB_INFO],
      ['pkg_add', STUB_ADD],
      ['pkg_delete', STUB_ADMIN],
      ['pkg_admin', STUB_ADMIN],
    ]) {
      writeFileSync(path.join(sw, 'pkg', 'sbin', tool), text, { mode: 0o755 });
    }
    lines.push(
      `  - { name: ${name}, sw_area: ${sw}, platform: x86_64-el9, pkg_path: ${path.join(out, 'packages')}, profiles: [p] }`,
    );
    // Observed empty, so the plan is one install and no probe job is needed.
    const observed = {
      site: name,
      packages: [],
      userListKnown: true,
      observedAt: new Date().toISOString(),
      source: 'import',
      origin: 'bench',
    };
    mkdirSync(path.join(out, 'state', 'observed'), { recursive: true });
    writeFileSync(path.join(out, 'state', 'observed', `${name}.json`), JSON.stringify(observed));
  }
  writeFileSync(path.join(repo, 'desired-state', 'sites.yaml'), `${lines.join('\n')}\n`);
  writeFileSync(path.join(repo, 'desired-state', 'profiles', 'p.yaml'), 'packages:\n  - tool\n');
  const git = (...a) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.org', ...a], { cwd: repo });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'bench');
  return repo;
}

function jobCount() {
  return readdirSync(path.join(out, 'state', 'jobs')).length;
}

const repo = setup();
const applyArgs = [
  cli,
  'apply',
  '--desired',
  path.join(repo, 'desired-state'),
  '--state',
  path.join(out, 'state'),
  '--concurrency',
  String(CONCURRENCY),
  '--json',
];
// --setup-only: write the fleet and print the command, to profile or trace the apply by hand.
if (process.argv.includes('--setup-only')) {
  console.log([process.execPath, ...applyArgs].join(' '));
  process.exit(0);
}
const t0 = performance.now();
const r = spawnSync(process.execPath, applyArgs, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const makespan = performance.now() - t0;
if (r.status !== 0) {
  console.error(r.stderr.slice(0, 2000));
  throw new Error(`apply exited ${r.status}`);
}
const results = JSON.parse(r.stdout).results;
// The jobs' phase alone, from the first journal record to the last: the makespan less the process's start-up
// (loading the desired state, git) and exit, which the whole-process figure includes.
const atOf = readFileSync(path.join(out, 'state', 'journal.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => Date.parse(JSON.parse(l).at));
const jobPhase = Math.max(...atOf) - Math.min(...atOf);
const changed = results.filter((x) => x.status === 'changed').length;
const ideal = Math.ceil(SITES / CONCURRENCY) * JOB_MS;
const overhead = (makespan - ideal) / ideal;
const figures = {
  sites: SITES,
  concurrency: CONCURRENCY,
  jobMs: JOB_MS,
  changed,
  jobs: jobCount(),
  idealMs: ideal,
  makespanMs: Math.round(makespan),
  overheadPct: +(overhead * 100).toFixed(2),
  jobPhaseMs: Math.round(jobPhase),
  jobPhaseOverheadPct: +(((jobPhase - ideal) / ideal) * 100).toFixed(2),
  target: '≤ 2 %',
};
writeFileSync(path.join(root, 'out', 'apply-bench.json'), `${JSON.stringify(figures, null, 1)}\n`);
console.log(`apply: ${SITES} sites × ${JOB_MS} ms jobs, concurrency ${CONCURRENCY}`);
console.log(`  ideal    ${ideal} ms`);
console.log(`  makespan ${Math.round(makespan)} ms  (${changed} sites changed, ${figures.jobs} jobs)`);
console.log(`  overhead ${figures.overheadPct} %  target ≤ 2 %  ${overhead <= 0.02 ? 'PASS' : 'FAIL'}`);
console.log(
  `  jobs' phase ${figures.jobPhaseMs} ms (first to last journal record): ${figures.jobPhaseOverheadPct} % over the ideal`,
);
