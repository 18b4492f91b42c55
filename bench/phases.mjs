// The timed phases of `npm run bench` beyond the cold plan (see run.mjs):
// a warm re-plan (nothing changed), a re-plan after a commit that changes
// one profile used by 10 % of the sites, and start-up costs. Every figure
// is a ratio against a baseline measured in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const GIT = ['-c', 'user.name=bench', '-c', 'user.email=bench@vo-reconcile.invalid', '-c', 'commit.gpgsign=false'];

/**
 * A copy of the fleet's desired-state repo with a profile 'tenpct' given to
 * every tenth site (committed), and a function that commits a change to it.
 */
export function tenPercentRepo(fleetRepo, out) {
  rmSync(out, { recursive: true, force: true });
  cpSync(fleetRepo, out, { recursive: true });
  const dir = path.join(out, 'desired-state');
  const sitesFile = path.join(dir, 'sites.yaml');
  let n = 0;
  const sites = readFileSync(sitesFile, 'utf8').replace(/profiles: \[([^\]]*)\]/g, (all, list) =>
    n++ % 10 === 0 ? `profiles: [${list}, tenpct]` : all,
  );
  writeFileSync(sitesFile, sites);
  const profile = (extra) =>
    `description: every tenth site\npackages:\n  - { name: tenpct-only-tool, state: absent }\n${extra}`;
  writeFileSync(path.join(dir, 'profiles/tenpct.yaml'), profile(''));
  const commit = (msg) => {
    execFileSync('git', [...GIT, 'add', '-A'], { cwd: out });
    execFileSync('git', [...GIT, 'commit', '-q', '-m', msg], { cwd: out });
  };
  commit('tenpct profile for every tenth site');
  return {
    desired: dir,
    sites: n,
    change: () => {
      writeFileSync(
        path.join(dir, 'profiles/tenpct.yaml'),
        profile('  - { name: tenpct-other-tool, state: absent }\n'),
      );
      commit('change the tenpct profile');
    },
  };
}

/** Median wall-clock milliseconds of `runs` runs of a command (output discarded). */
export function medianMs(file, args, runs, opts = {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20, ...opts });
    times.push(performance.now() - t);
    if (r.status !== 0 && r.status !== 3) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** Start-up: --version, --help and validate of the example, against a bare `node -e 0`, interleaved. */
export function startupRatios(cli, root, runs = 7) {
  const node = [];
  const cmds = { '--version': [cli, '--version'], '--help': [cli, '--help'], 'validate (example)': [cli, 'validate'] };
  const got = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    node.push(medianMs(process.execPath, ['-e', '0'], 1));
    for (const [k, args] of Object.entries(cmds)) got[k].push(medianMs(process.execPath, args, 1, { cwd: root }));
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = med(node);
  return { nodeMs: base, ratios: Object.fromEntries(Object.entries(got).map(([k, xs]) => [k, med(xs) / base])) };
}
