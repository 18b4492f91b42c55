// An emulated fleet reached through a real batch system or CE: the sites'
// software areas live under /srv/vo_sw and belong to the grid user (vosgm),
// the pkg_install emulator and the packages are copied where that user can
// read them, and the controller runs either as that user (Slurm: sbatch
// runs jobs as the submitter) or as root with a proxy (ARC: the CE maps the
// grid identity to vosgm).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import {
  installEmulator,
  makePackage,
  TOOLS_SCRIPT,
  TOOL_NAMES,
  wrapperScript,
  writeSummary,
  type EmulatorFaults,
} from '../emulator/index.js';
import { bin, repoRoot, type CliResult } from '../helpers/cli.js';
import { PACKAGES } from '../helpers/fleet.js';
import { commitDesired, desiredRepo, git, tempDir } from '../helpers/tmp.js';
import { GRID_GROUP, GRID_USER, VO_SW } from './servers.js';

export interface GridSite {
  swArea: string;
  prefix: string;
  dbdir: string;
  /** The emulator's pkg_add/pkg_delete start/end log of this site. */
  log: string;
}

export interface GridFleet {
  root: string;
  repo: string;
  desired: string;
  state: string;
  sites: Record<string, GridSite>;
  commit(profile: string, message: string): string;
  installed(site: string): string[];
  /** The CLI as the controller's user, with --desired and --state added. */
  run(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** The same, started in the background; `kill()` SIGKILLs the controller (and runuser around it). */
  start(args: string[], env?: Record<string, string>): { kill(): Promise<void> };
  setFaults(site: string, faults: EmulatorFaults | undefined): void;
}

export interface GridFleetOptions {
  backend: 'slurm' | 'arc';
  sites: string[];
  profile: string;
  /** Extra sites.yaml fields per site, e.g. { endpoint: 'https://...', job_time_limit: '60' }. */
  fields?: Record<string, Record<string, string>>;
  /** Default fields for every site. */
  defaults?: Record<string, string>;
}

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** Poll the test servers as often as before batching (the defaults suit real queues, not seconds-long test jobs). */
const TEST_POLL = { RECONCILE_POLL_SLURM: '2', RECONCILE_POLL_ARC: '5' };

export function makeGridFleet(o: GridFleetOptions): GridFleet {
  const root = path.join(VO_SW, `vo-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  roots.push(root);
  mkdirSync(root, { recursive: true });
  const pkgPath = path.join(root, 'packages', 'All');
  mkdirSync(pkgPath, { recursive: true });
  for (const p of PACKAGES) makePackage(pkgPath, p);
  writeSummary(pkgPath);
  // The emulator, where the grid user can read it.
  const tools = path.join(root, 'emulator', 'tools');
  cpSync(path.dirname(TOOLS_SCRIPT), tools, { recursive: true });
  const sites: Record<string, GridSite> = {};
  for (const name of o.sites) {
    const swArea = path.join(root, 'sites', name);
    const prefix = path.join(swArea, 'pkg');
    installEmulator(prefix);
    for (const t of TOOL_NAMES) {
      const text = wrapperScript(t).replace(`'${TOOLS_SCRIPT}'`, `'${path.join(tools, 'pkg-tools.mjs')}'`);
      writeFileSync(path.join(prefix, 'sbin', t), text, { mode: 0o755 });
    }
    sites[name] = { swArea, prefix, dbdir: path.join(prefix, 'pkgdb'), log: path.join(swArea, 'emulator.log') };
  }
  const slurm = o.backend === 'slurm';
  // Slurm runs a job as whoever submitted it, so that controller is the grid user and keeps its repo and state in the area.
  const controllerDir = slurm ? path.join(root, 'controller') : tempDir('vo-grid-ctl-');
  mkdirSync(controllerDir, { recursive: true });
  const sitesYaml = () =>
    [
      'sites:',
      ...o.sites.map((n) => {
        const f = {
          backend: o.backend,
          sw_area: sites[n]!.swArea,
          platform: 'x86_64-el9',
          pkg_path: pkgPath,
          profiles: '[p]',
          ...o.defaults,
          ...o.fields?.[n],
        };
        return `  - { name: ${n}, ${Object.entries(f)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')} }`;
      }),
      '',
    ].join('\n');
  if (slurm) trustAnyRepoOwner();
  const repo = desiredRepo({ 'sites.yaml': sitesYaml(), 'profiles/p.yaml': o.profile });
  const repoHere = path.join(controllerDir, 'repo');
  cpSync(repo, repoHere, { recursive: true });
  const state = path.join(controllerDir, 'state');
  chownToGridUser(root);
  const app = slurm ? appReadableBy(GRID_USER, root) : repoRoot;
  const argv = (args: string[]) => [
    path.join(app, 'dist/cli/main.js'),
    ...args,
    '--desired',
    path.join(repoHere, 'desired-state'),
    '--state',
    state,
  ];
  const gridEnv = (env: Record<string, string>) => [
    'env',
    '-i',
    'PATH=/usr/local/bin:/usr/bin:/bin',
    `HOME=/home/${GRID_USER}`,
    'LANG=C.UTF-8',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
  ];
  return {
    root,
    repo: repoHere,
    desired: path.join(repoHere, 'desired-state'),
    state,
    sites,
    commit: (profile, message) => {
      const id = commitDesired(repoHere, { 'sites.yaml': sitesYaml(), 'profiles/p.yaml': profile }, message);
      if (slurm) chownToGridUser(repoHere);
      return id;
    },
    installed: (site) =>
      readdirSync(sites[site]!.dbdir)
        .filter((n) => !n.startsWith('.'))
        .sort(),
    run: (args, given = {}) => {
      const env = { ...TEST_POLL, ...given };
      return slurm
        ? runAs([...gridEnv(env), process.execPath, ...argv(args)], controllerDir)
        : bin(argv(args).slice(1), { cwd: controllerDir, env });
    },
    start: (args, given = {}) => {
      const env = { ...TEST_POLL, ...given };
      // Its own process group: runuser forks, so killing runuser alone would leave the controller running.
      const child = slurm
        ? spawn('runuser', ['-u', GRID_USER, '--', ...gridEnv(env), process.execPath, ...argv(args)], {
            cwd: controllerDir,
            stdio: 'ignore',
            detached: true,
          })
        : spawn(process.execPath, argv(args), {
            cwd: controllerDir,
            env: { ...process.env, ...env },
            stdio: 'ignore',
            detached: true,
          });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      return {
        kill: async () => {
          process.kill(-child.pid!, 'SIGKILL');
          await exited;
        },
      };
    },
    setFaults: (site, faults) => {
      const file = path.join(sites[site]!.prefix, 'etc', 'emulator.json');
      if (faults === undefined) rmSync(file, { force: true });
      else {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify(faults));
        chownToGridUser(path.dirname(file));
      }
    },
  };
}

function runAs(cmd: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('runuser', ['-u', GRID_USER, '--', ...cmd], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export function chownToGridUser(dir: string): void {
  execFileSync('chown', ['-R', `${GRID_USER}:${GRID_GROUP}`, dir]);
  execFileSync('chmod', ['-R', 'g+w,o+rX', dir]);
}

/** Root's git refuses a repository another user owns unless told to trust it. */
function trustAnyRepoOwner(): void {
  process.env.GIT_CONFIG_COUNT = '1';
  process.env.GIT_CONFIG_KEY_0 = 'safe.directory';
  process.env.GIT_CONFIG_VALUE_0 = '*';
}

/** The project as the grid user can run it: here if it can read it, else a copy under `root`. */
function appReadableBy(user: string, root: string): string {
  const probe = ['dist/cli/main.js', 'node_modules/yaml/package.json', 'schemas/sites.schema.json']
    .map((f) => `test -r '${path.join(repoRoot, f)}'`)
    .join(' && ');
  if (spawnSync('runuser', ['-u', user, '--', 'sh', '-c', probe]).status === 0) return repoRoot;
  const app = path.join(root, 'app');
  for (const d of ['dist', 'node_modules', 'schemas', 'package.json'])
    cpSync(path.join(repoRoot, d), path.join(app, d), { recursive: true });
  chownToGridUser(app);
  return app;
}

/** The journal's records, parsed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read journal fields of every record kind
export function journal(state: string): Record<string, any>[] {
  return (
    readFileSync(path.join(state, 'journal.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      .map((l) => JSON.parse(l) as Record<string, any>)
  );
}

/** Poll `f` until it gives a value (exceptions count as "not yet"), for at most `ms`. */
export async function waitFor<T>(what: string, f: () => T | undefined, ms = 90_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    let v: T | undefined;
    try {
      v = f();
    } catch {
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export { git };
