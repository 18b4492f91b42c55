// Staged rollouts with receivers, end to end (issue 16, parts 1, 3 and 4):
// the built executable, real git, emulated sites, real HTTP receivers on
// 127.0.0.1 checking every signature. A wave over its budget stops starting
// sites; its wave.halted event reaches the receivers that name the wave's
// sites or tags; `serve --interval` drives the rollout and tells receivers
// as apply does, and reports drift its scheduled run found; on a terminal
// a rollout run shows the wave's plan and asks.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../emulator/index.js';
import type { JournalRecord } from '../../src/state/records.js';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { startServe } from '../helpers/serve.js';
import { commitDesired } from '../helpers/tmp.js';
import { closeReceivers, receiver, until } from '../helpers/webhook-receiver.js';

const SECRET = 'rollout-hook-secret-0815';
const PROFILE = 'packages:\n  - tool\nchecks:\n  - name: not-broken\n    run: test ! -e "$SW_AREA/broken"\n';
const T2 = ['B', 'C', 'D', 'E'];
afterEach(closeReceivers);

/** Sites A (canary), B-E (tags t2, uk), F-G (rest); rollout.yaml and notifications.yaml as given. */
function fleet(names: string[], files: { rollout?: string; receivers?: string }): Fleet & { secretFile: string } {
  const f = makeFleet(names, PROFILE);
  const secretFile = path.join(f.root, 'hook.secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const sites = names.map(
    (n) =>
      `  - { name: ${n}, sw_area: ${f.sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p]${T2.includes(n) ? ', tags: [t2, uk]' : ''} }`,
  );
  commitDesired(
    f.repo,
    {
      'sites.yaml': ['sites:', ...sites, ''].join('\n'),
      'profiles/p.yaml': PROFILE,
      ...(files.rollout ? { 'rollout.yaml': files.rollout } : {}),
      ...(files.receivers ? { 'notifications.yaml': files.receivers.replaceAll('SECRET_FILE', secretFile) } : {}),
    },
    'desired state with receivers',
  );
  return { ...f, secretFile };
}

const run = (f: Fleet, ...args: string[]) =>
  bin([...args, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();
const begun = (f: Fleet) =>
  readFileSync(path.join(f.state, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalRecord)
    .flatMap((r) => (r.type === 'begin' && r.kind === 'apply' ? [r.site] : []));
const outboxEmpty = (f: Fleet) => {
  const n = (sub: string) => readdirSync(path.join(f.state, 'notify', sub)).length;
  return existsSync(path.join(f.state, 'notify', 'inflight')) && n('pending') + n('inflight') === 0 ? true : undefined;
};
const validate = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  return ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schemas/event.schema.json'), 'utf8')) as object);
})();

const WAVES =
  'waves:\n  - { name: canary, sites: [A] }\n  - { name: t2, tags: [t2], max_failures: 1 }\n  - { name: rest, percent: 100 }\n';

describe('rollout events and early stop', { timeout: 240_000 }, () => {
  it('a wave over its budget starts no more sites; wave.halted reaches the receivers of its sites and tags, signed', async () => {
    const ops = await receiver(SECRET);
    const byTag = await receiver(SECRET);
    const otherSite = await receiver(SECRET);
    const completedOnly = await receiver(SECRET);
    const f = fleet(['A', 'B', 'C', 'D', 'E', 'F', 'G'], {
      rollout: WAVES,
      receivers:
        `receivers:\n  - { name: ops, url: "${ops.url}", secret_file: SECRET_FILE }\n` +
        `  - { name: uk, url: "${byTag.url}", secret_file: SECRET_FILE, events: [wave.halted], sites: ["tag:uk"] }\n` +
        `  - { name: f-only, url: "${otherSite.url}", secret_file: SECRET_FILE, events: [wave.halted], sites: [F] }\n` +
        `  - { name: done, url: "${completedOnly.url}", secret_file: SECRET_FILE, events: [rollout.completed] }\n`,
    });
    for (const s of T2) writeFileSync(path.join(f.sites[s]!.swArea, 'broken'), '');
    // One site at a time: B fails (1 allowed), C fails (over budget): D and E must not start.
    const r = await run(f, 'apply', '--concurrency', '1');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /halted at wave 2 \(t2\): 2 of 4 sites failed \(1 allowed\); 2 not started; 1 later wave untouched/,
    );
    expect(r.stdout).toMatch(/^ {2}not started \(left as they are\): D, E$/m);
    expect(begun(f).sort()).toEqual(['A', 'B', 'C']);
    for (const s of ['D', 'E', 'F', 'G']) expect(installed(f, s)).toEqual([]);
    const status = await run(f, 'status', '--json');
    expect(JSON.parse(status.stdout).rollout).toMatchObject({ status: 'halted', wave: 2, notStarted: ['D', 'E'] });

    const halted = await until(() => ops.events().find((e) => e.type === 'wave.halted'));
    expect(validate(halted), JSON.stringify(validate.errors)).toBe(true);
    expect(halted).toMatchObject({
      sites: T2,
      rollout: { wave: 2, waveName: 't2', notStarted: ['D', 'E'], untouchedWaves: 1 },
    });
    expect((halted.rollout as { failures: { site: string }[] }).failures.map((x) => x.site)).toEqual(['B', 'C']);
    await until(() => (byTag.got.length > 0 ? true : undefined));
    await until(() => outboxEmpty(f));
    expect(byTag.events().map((e) => e.type)).toEqual(['wave.halted']);
    expect([...ops.got, ...byTag.got].every((g) => g.signed)).toBe(true);
    expect(
      ops
        .events()
        .map((e) => e.type)
        .sort(),
    ).toEqual(['transaction.not-validated', 'transaction.not-validated', 'wave.halted']);
    expect(otherSite.got).toEqual([]);
    expect(completedOnly.got).toEqual([]);
    // A rerun of the halted rollout touches nothing and says nothing again.
    expect((await run(f, 'apply')).code).toBe(1);
    await until(() => outboxEmpty(f));
    expect(ops.events().filter((e) => e.type === 'wave.halted')).toHaveLength(1);
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
  });

  it('serve --interval drives the rollout (one wave per budget, not every site) and tells receivers as apply does', async () => {
    const ops = await receiver(SECRET);
    const f = fleet(['A', 'B', 'C', 'D', 'E', 'F', 'G'], {
      rollout: WAVES,
      receivers: `receivers:\n  - { name: ops, url: "${ops.url}", secret_file: SECRET_FILE, events: [wave.halted, rollout.completed] }\n`,
    });
    for (const s of T2) writeFileSync(path.join(f.sites[s]!.swArea, 'broken'), '');
    const served = await startServe(
      ['--desired', f.desired, '--state', f.state, '--interval', '1s', '--concurrency', '1'],
      { VO_EMULATOR_LOG: f.log },
    );
    try {
      const halted = await until(() => ops.events().find((e) => e.type === 'wave.halted'), 120_000);
      expect(halted).toMatchObject({ rollout: { wave: 2, notStarted: ['D', 'E'] } });
      expect(validate(halted), JSON.stringify(validate.errors)).toBe(true);
      expect(served.stdout()).toMatch(/halted at wave 2 \(t2\)/);
    } finally {
      await served.stop();
    }
    for (const s of ['D', 'E', 'F', 'G']) expect(installed(f, s)).toEqual([]);
    expect(begun(f).sort()).toEqual(['A', 'B', 'C']);
  });

  it('serve --interval reports drift its scheduled run found in the observation and repaired (drift.found)', async () => {
    const ops = await receiver(SECRET);
    const f = fleet(['A'], {
      receivers: `receivers:\n  - { name: ops, url: "${ops.url}", secret_file: SECRET_FILE, events: [drift.found] }\n`,
    });
    expect((await run(f, 'apply')).code).toBe(0);
    expect(installed(f, 'A')).toEqual(['tool-2.0']);
    // Someone removes the package at the site, behind reconcile's back; a probe (or the site's own report) sees it.
    expect(runTool(f.sites.A!.prefix, 'pkg_delete', ['tool-2.0']).exit).toBe(0);
    expect((await run(f, 'observe')).code).toBe(0);
    const served = await startServe(['--desired', f.desired, '--state', f.state, '--interval', '1s'], {
      VO_EMULATOR_LOG: f.log,
    });
    try {
      const drift = await until(() => ops.events().find((e) => e.type === 'drift.found'), 120_000);
      expect(drift).toMatchObject({ site: 'A', actions: [{ action: 'install', pkgname: 'tool-2.0' }] });
      expect(validate(drift), JSON.stringify(validate.errors)).toBe(true);
      expect(ops.got.every((g) => g.signed)).toBe(true);
    } finally {
      await served.stop();
    }
    expect(installed(f, 'A')).toEqual(['tool-2.0']);
  });
});

/** The built CLI on a real pseudo-terminal (util-linux `script`), `answer` typed in. */
function onTerminal(argv: string[], answer: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const quoted = [process.execPath, path.join(repoRoot, 'dist/cli/main.js'), ...argv]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  return new Promise((resolve) => {
    const child = execFile('script', ['-qec', quoted, '/dev/null'], { env: { ...process.env, ...env } }, (e, out) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out }),
    );
    child.stdin!.end(answer);
  });
}

describe('confirmation of a rollout run on a terminal', { timeout: 240_000 }, () => {
  it("shows the wave's plan and asks; no records nothing, yes runs that wave only, --yes asks nothing", async () => {
    const f = fleet(['A', 'B'], {
      rollout: 'waves:\n  - { name: canary, sites: [A] }\n  - { name: rest, percent: 100 }\n',
    });
    expect((await run(f, 'observe')).code).toBe(0);
    const common = ['--desired', f.desired, '--state', f.state];
    const env = { VO_EMULATOR_LOG: f.log };
    const progress = path.join(f.state, 'rollout', 'progress.json');

    const no = await onTerminal(['apply', ...common], 'n\n', env);
    expect(no.code, no.out).toBe(1);
    expect(no.out).toMatch(/This run carries out wave 1 of the rollout of [0-9a-f]{12}, then stops/);
    expect(no.out).toMatch(/A: \+tool-2\.0/);
    expect(no.out).not.toMatch(/B: \+tool/);
    expect(no.out).toMatch(/Carry out this plan\? \[y\/N\]/);
    expect(no.out).toMatch(/Apply cancelled; nothing was changed\./);
    expect(existsSync(progress)).toBe(false);
    expect(installed(f, 'A')).toEqual([]);

    const yes = await onTerminal(['apply', ...common], 'y\n', env);
    expect(yes.code, yes.out).toBe(0);
    // The next wave has no soak, but it was not shown: it waits for the next run.
    expect(yes.out).toMatch(/at wave 2 \(rest\): 0 of 1 sites done/);
    expect(installed(f, 'A')).toEqual(['tool-2.0']);
    expect(installed(f, 'B')).toEqual([]);

    const unasked = await onTerminal(['apply', ...common, '--yes'], '', env);
    expect(unasked.code, unasked.out).toBe(0);
    expect(unasked.out).not.toMatch(/Carry out this plan/);
    expect(unasked.out).toMatch(/completed: 2 waves done/);
    expect(installed(f, 'B')).toEqual(['tool-2.0']);
  });
});
