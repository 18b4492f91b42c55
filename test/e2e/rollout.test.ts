// Staged rollouts end to end (issue 16 part 1): 20 emulated sites, real git,
// the built CLI. Wave 2's checks fail (a file at those sites' software areas
// the check tests), so the rollout halts there with wave 3 untouched; with
// on_failure: rollback wave 2 is restored to its validated v1 set and held;
// a controller killed with SIGKILL during wave 2 is followed by one that
// finishes wave 2 without running wave 1 again and still waits out the soak.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { commitDesired } from '../helpers/tmp.js';
import { setFaults } from '../emulator/install.js';

const SLOW = 300_000;
const NAMES = Array.from({ length: 20 }, (_, i) => `S${String(i + 1).padStart(2, '0')}`);
const WAVE1 = ['S01', 'S02'];
const WAVE2 = NAMES.slice(2, 10); // tagged t2
const WAVE3 = NAMES.slice(10);
const ENV = { RECONCILE_LOCK_LEASE_MS: '2000' };

const V1 = 'packages:\n  - foo-1.2\n';
// v2 upgrades foo, adds tool, and checks that the site is not "broken".
const V2 =
  'packages:\n  - foo-1.4\n  - tool\nchecks:\n  - { name: not-broken, run: "test ! -e \\"$SW_AREA/broken\\"", timeout: 30 }\n';
const V3 = 'packages:\n  - foo-1.4\n';

const rolloutYaml = (wave2: string, soak1 = '1s') =>
  [
    'waves:',
    `  - { name: canary, sites: [S01, S02], soak: ${soak1} }`,
    `  - { name: t2, tags: [t2], max_failures: 1${wave2} }`,
    '  - { name: rest, percent: 100, max_failures: 10% }',
    '',
  ].join('\n');

function commit(f: Fleet, profile: string, message: string, rollout?: string): string {
  const sites = NAMES.map(
    (n) =>
      `  - { name: ${n}, sw_area: ${f.sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p]${WAVE2.includes(n) ? ', tags: [t2, uk]' : ''} }`,
  );
  const files: Record<string, string> = {
    'sites.yaml': ['sites:', ...sites, ''].join('\n'),
    'profiles/p.yaml': profile,
  };
  if (rollout) files['rollout.yaml'] = rollout;
  return commitDesired(f.repo, files, message);
}

const run = (f: Fleet, ...args: string[]) =>
  bin([...args, '--desired', f.desired, '--state', f.state, ...(args[0] === 'apply' ? ['--concurrency', '20'] : [])], {
    env: { ...ENV, VO_EMULATOR_LOG: f.log },
  });

const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();

const records = (f: Fleet) =>
  readFileSync(path.join(f.state, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalRecord);

/** The sites with an apply transaction begun at this revision. */
const appliedAt = (f: Fleet, revision: string) =>
  new Set(
    records(f).flatMap((r) => (r.type === 'begin' && r.kind === 'apply' && r.revision === revision ? [r.site] : [])),
  );

const breakSites = (f: Fleet, sites: string[]) => {
  for (const s of sites) writeFileSync(path.join(f.sites[s]!.swArea, 'broken'), '');
};

/** Wait out the soak the apply output names, plus a little. */
async function soak(stdout: string): Promise<void> {
  const until = /waits until (\S+) \(wave/.exec(stdout)?.[1];
  expect(until, stdout).toBeDefined();
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(until!) - Date.now()) + 200));
}

/** One GET from `reconcile serve` on 127.0.0.1 over the fleet's state, then the server is stopped. */
async function served(f: Fleet, route: string): Promise<string> {
  const server = spawn(
    process.execPath,
    [path.join(repoRoot, 'dist/cli/main.js'), 'serve', '--desired', f.desired, '--state', f.state, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const base = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => {
        const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(d.toString());
        if (m) resolve(m[1]!);
      });
      server.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
    });
    return await (await fetch(`${base}${route}`)).text();
  } finally {
    server.kill();
  }
}

async function baseline(): Promise<{ f: Fleet; v1: string }> {
  const f = makeFleet(NAMES, V1);
  const v1 = commit(f, V1, 'v1, no rollout policy');
  // Without rollout.yaml: every site at once, as ever.
  const first = await run(f, 'apply');
  expect(first.code, first.stdout + first.stderr).toBe(0);
  expect(first.stdout).toMatch(/Apply: 20 changed/);
  expect(existsSync(path.join(f.state, 'rollout'))).toBe(false);
  return { f, v1 };
}

describe('staged rollouts', () => {
  it(
    'wave 2 over its failure budget halts the rollout with wave 3 untouched; a newer commit waits, then starts from wave 1',
    async () => {
      const { f } = await baseline();
      const v2 = commit(f, V2, 'v2 in waves', rolloutYaml(''));
      breakSites(f, WAVE2);

      const one = await run(f, 'apply');
      expect(one.code, one.stdout + one.stderr).toBe(0);
      expect(one.stdout).toMatch(
        /Rollout of [0-9a-f]{12} starts: wave 1 canary \(2\), wave 2 t2 \(8\), wave 3 rest \(10\)/,
      );
      expect(one.stdout).toMatch(/at wave 2 \(t2\): waits until .* \(wave 1 soaking\)/);
      expect([...appliedAt(f, v2)].sort()).toEqual(WAVE1);

      // Pushed during the soak: the rollout in progress carries on at v2.
      const v3 = commit(f, V3, 'v3 pushed mid-rollout', rolloutYaml(''));
      await soak(one.stdout);
      const two = await run(f, 'apply');
      expect(two.code).toBe(1);
      expect(two.stdout).toMatch(/halted at wave 2 \(t2\): 8 of 8 sites failed \(1 allowed\); 1 later wave untouched/);
      expect(two.stdout).toMatch(/^ {2}S03: check 'not-broken' exited 1/m);
      expect([...appliedAt(f, v2)].sort()).toEqual([...WAVE1, ...WAVE2]);
      expect(appliedAt(f, v3).size).toBe(0);
      for (const s of WAVE3) expect(installed(f, s)).toEqual(['foo-1.2']);
      for (const s of WAVE2) expect(installed(f, s)).toEqual(['foo-1.4', 'tool-2.0']);

      // Every surface says where it halted and why.
      const status = await run(f, 'status');
      expect(status.stdout).toMatch(/halted at wave 2 \(t2\)/);
      expect(status.stdout).toMatch(/^ {2}S10: check 'not-broken' exited 1/m);
      const json = JSON.parse((await run(f, 'status', '--json')).stdout);
      expect(json.rollout).toMatchObject({ revision: v2, status: 'halted', wave: 2 });
      expect(json.rollout.failures.map((x: { site: string }) => x.site)).toEqual(WAVE2);
      expect(json.rollout.waves.map((w: { state: string }) => w.state)).toEqual(['done', 'halted', 'untouched']);
      const html = (await run(f, 'status', '--format', 'html')).stdout;
      expect(html).toMatch(/halted at wave 2 \(t2\)/);
      expect(html).toMatch(/<li>S03: check (&#39;|&#x27;|')not-broken(&#39;|&#x27;|') exited 1/);
      const plan = (await run(f, 'plan')).stdout;
      expect(plan).toMatch(/halted at wave 2 \(t2\)/);
      expect(plan).toMatch(/^ {2}S10: check 'not-broken' exited 1/m);
      const metrics = await served(f, '/metrics');
      expect(metrics).toMatch(/^vo_reconcile_rollout_halted\{revision="[0-9a-f]{12}",wave="2"\} 1$/m);
      expect(metrics).toMatch(/^vo_reconcile_rollout_failed_site\{site="S03",wave="2"\} 1$/m);

      // v3 starts its own rollout from wave 1 now that v2's has halted: the canaries only.
      const three = await run(f, 'apply');
      expect(three.stdout).toMatch(new RegExp(`Rollout of ${v3.slice(0, 12)} starts`));
      expect([...appliedAt(f, v3)].sort()).toEqual(WAVE1);
      for (const s of WAVE3) expect(installed(f, s)).toEqual(['foo-1.2']);
    },
    SLOW,
  );

  it(
    'with on_failure: rollback the failed sites of the halted wave get their validated v1 set back, held',
    async () => {
      const { f } = await baseline();
      commit(f, V2, 'v2 in waves', rolloutYaml(', on_failure: rollback', '0'));
      breakSites(f, WAVE2);
      const r = await run(f, 'apply');
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(
        /halted at wave 2 \(t2\): 8 of 8 sites failed \(1 allowed\); 8 of 8 rolled back; 1 later wave untouched/,
      );
      for (const s of WAVE1) expect(installed(f, s)).toEqual(['foo-1.4', 'tool-2.0']);
      for (const s of WAVE2) {
        expect(installed(f, s)).toEqual(['foo-1.2']);
        expect(existsSync(path.join(f.state, 'holds', `${s}.json`))).toBe(true);
      }
      for (const s of WAVE3) expect(installed(f, s)).toEqual(['foo-1.2']);
      const rollbacks = records(f).filter((x) => x.type === 'begin' && x.kind === 'rollback');
      expect(rollbacks.map((x) => x.type === 'begin' && x.site).sort()).toEqual(WAVE2);
      const status = (await run(f, 'status')).stdout;
      expect(status).toMatch(/^ {2}S03 restored: rolled back to [0-9a-f]{12} /m);
      // Halted stays halted: a rerun touches nothing.
      const before = records(f).length;
      expect((await run(f, 'apply')).code).toBe(1);
      expect(records(f).length).toBe(before);
    },
    SLOW,
  );

  it(
    'a controller killed with SIGKILL during wave 2 is followed by one that finishes wave 2, not wave 1 again, and keeps the soak',
    async () => {
      const { f } = await baseline();
      const soaked = rolloutYaml('').replace('max_failures: 1 }', 'max_failures: 1, soak: 2s }');
      const v2 = commit(f, V2.replace(/checks:[\s\S]*/, ''), 'v2 in waves', soaked.replace('soak: 1s', 'soak: 0'));
      // Slow jobs, so the kill lands while wave 2 runs.
      for (const s of NAMES) setFaults(f.sites[s]!.prefix, { delayMs: 400 });
      const journal = path.join(f.state, 'journal.jsonl');
      const size = statSync(journal).size;
      const child = spawn(
        process.execPath,
        [
          path.join(repoRoot, 'dist/cli/main.js'),
          'apply',
          '--desired',
          f.desired,
          '--state',
          f.state,
          '--concurrency',
          '4',
        ],
        {
          env: { ...process.env, ...ENV, VO_EMULATOR_LOG: f.log },
          stdio: 'ignore',
        },
      );
      // Kill once a wave-2 site has begun its transaction.
      const killed = await new Promise<boolean>((resolve) => {
        const watch = setInterval(() => {
          const fresh = readFileSync(journal, 'utf8').slice(size);
          if (WAVE2.some((s) => fresh.includes(`"site":"${s}"`))) {
            clearInterval(watch);
            child.kill('SIGKILL');
          }
        }, 20);
        child.once('exit', (code) => (clearInterval(watch), resolve(code === null)));
      });
      expect(killed, readFileSync(journal, 'utf8').slice(size)).toBe(true);
      const progress = JSON.parse(readFileSync(path.join(f.state, 'rollout', 'progress.json'), 'utf8'));
      expect(progress.progress[1].startedAt).toBeDefined();
      expect(progress.progress[1].finishedAt).toBeUndefined();

      const resumed = await run(f, 'apply');
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/Wave 2 \(t2\): \d of 8 sites to run/);
      expect(resumed.stdout).not.toMatch(/Wave 1/);
      // Wave 2 finished, then its soak holds wave 3 back even in the same run.
      expect(resumed.stdout).toMatch(/at wave 3 \(rest\): waits until .* \(wave 2 soaking\)/);
      const begins = records(f).filter((r) => r.type === 'begin' && r.kind === 'apply' && r.revision === v2);
      for (const s of WAVE1) expect(begins.filter((b) => b.type === 'begin' && b.site === s)).toHaveLength(1);
      for (const s of WAVE2) expect(installed(f, s)).toEqual(['foo-1.4', 'tool-2.0']);
      for (const s of WAVE3) expect(installed(f, s)).toEqual(['foo-1.2']);

      await soak(resumed.stdout);
      const last = await run(f, 'apply');
      expect(last.code).toBe(0);
      expect(last.stdout).toMatch(/Rollout of [0-9a-f]{12} completed: 3 waves done/);
      for (const s of NAMES) expect(installed(f, s)).toEqual(['foo-1.4', 'tool-2.0']);
    },
    SLOW,
  );
});
