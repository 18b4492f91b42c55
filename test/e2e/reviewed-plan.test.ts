// Reviewed plans end to end (issue 16, part 3): `plan --out FILE` and
// `apply FILE` with the built executable, a real git repository and sites
// running the pkg_install emulator; the terminal's confirmation through a
// real pseudo-terminal (util-linux `script`).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { makePackage, readEmulatorLog, runTool, writeSummary } from '../emulator/index.js';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';

const installed = (f: Fleet, site: string) =>
  readdirSync(f.sites[site]!.dbdir)
    .filter((n) => !n.startsWith('.'))
    .sort();
const common = (f: Fleet) => ['--desired', f.desired, '--state', f.state];
const run = (f: Fleet, ...argv: string[]) => bin(argv, { env: { VO_EMULATOR_LOG: f.log } });
const journalLines = (f: Fleet) => readFileSync(path.join(f.state, 'journal.jsonl'), 'utf8');
const packageOps = (f: Fleet) => readEmulatorLog(f.log).filter((e) => e.event === 'start');

function schemaCheck(value: unknown): string | undefined {
  const load = (n: string) =>
    JSON.parse(readFileSync(path.join(repoRoot, 'schemas', `${n}.schema.json`), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
  ajv.addSchema(load('plan'));
  const validate = ajv.compile(load('planfile'));
  return validate(value) ? undefined : JSON.stringify(validate.errors);
}

async function observedFleet(names: string[], profile = 'packages:\n  - foo>=1.2\n  - tool\n') {
  const f = makeFleet(names, profile);
  expect((await run(f, 'observe', ...common(f))).code).toBe(0);
  return f;
}

describe('reviewed plans: plan --out, apply FILE', () => {
  it('writes the plan with what it was made from, and apply carries out exactly that plan', async () => {
    const f = await observedFleet(['A', 'B']);
    const file = path.join(f.root, 'reviewed.json');
    const planned = await run(f, 'plan', ...common(f), '--out', file);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/Plan written to .*reviewed\.json/);
    const plan = JSON.parse(readFileSync(file, 'utf8'));
    expect(schemaCheck(plan)).toBeUndefined();
    expect(plan.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(plan.sites.map((s: { site: string }) => s.site)).toEqual(['A', 'B']);
    for (const s of plan.sites) {
      expect(s.observation.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(s.catalog).toEqual({ location: f.pkgPath, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
    const before = journalLines(f);

    const applied = await run(f, 'apply', file, ...common(f));
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply: 2 changed, 0 in sync, 0 failed of 2 sites/);
    for (const s of ['A', 'B']) expect(installed(f, s)).toEqual(['foo-1.4', 'tool-2.0']);
    // The journal's transactions carry the reviewed plan's actions, at the plan's revision.
    const begins = journalLines(f)
      .slice(before.length)
      .split('\n')
      .filter((l) => l.includes('"type":"begin"'))
      .map((l) => JSON.parse(l));
    expect(begins.map((b) => [b.site, b.revision, b.plan.actions]).sort()).toEqual(
      plan.sites.map((s: { site: string; plan: { actions: unknown } }) => [s.site, plan.revision, s.plan.actions]),
    );

    // Applied once, the plan is stale: the observations it was made from are gone.
    const again = await run(f, 'apply', file, ...common(f));
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/the plan in .*reviewed\.json is stale; nothing was changed/);
    expect(again.stderr).toMatch(/^ {2}A: observed again since the plan was made: job at .* then, job at .* now$/m);
  });

  it('refuses the whole plan when an observation, the catalog or the revision changed, and changes nothing', async () => {
    const f = await observedFleet(['A', 'B', 'C']);
    const file = path.join(f.root, 'p.json');
    expect((await run(f, 'plan', ...common(f), '--out', file)).code).toBe(0);
    // B is probed again; the catalog gains a package; nothing has been applied.
    expect((await run(f, 'observe', ...common(f), '--site', 'B')).code).toBe(0);
    makePackage(f.pkgPath, { pkgname: 'tool-2.1', comment: 'A newer tool' });
    writeSummary(f.pkgPath);
    const journal = journalLines(f);
    const ops = packageOps(f).length;

    const r = await run(f, 'apply', file, ...common(f));
    expect(r.code).toBe(4);
    const reasons = r.stderr.split('\n').filter((l) => l.startsWith('  '));
    expect(reasons).toEqual([
      expect.stringMatching(/^ {2}A: its catalog .* changed since the plan was made$/),
      expect.stringMatching(/^ {2}B: observed again since the plan was made: job at .* then, job at .* now$/),
      expect.stringMatching(/^ {2}B: its catalog .* changed/),
      expect.stringMatching(/^ {2}C: its catalog .* changed/),
    ]);
    expect(journalLines(f)).toBe(journal);
    expect(packageOps(f).length).toBe(ops);
    for (const s of ['A', 'B', 'C']) expect(installed(f, s)).toEqual([]);

    // --json says the same to a program.
    const j = await run(f, 'apply', file, ...common(f), '--json');
    expect(j.code).toBe(4);
    expect(JSON.parse(j.stdout).stale.map((s: { site: string; what: string }) => `${s.site}:${s.what}`)).toEqual([
      'A:catalog',
      'B:observation',
      'B:catalog',
      'C:catalog',
    ]);

    // A new commit makes every plan made before it stale, whatever else held.
    const fresh = path.join(f.root, 'fresh.json');
    expect((await run(f, 'plan', ...common(f), '--out', fresh)).code).toBe(0);
    f.commit('packages:\n  - foo-1.2\n', 'pin foo');
    const moved = await run(f, 'apply', fresh, ...common(f), '--skip-stale');
    expect(moved.code).toBe(4);
    expect(moved.stderr).toMatch(
      /^ {2}the desired state moved: HEAD is now [0-9a-f]{12}, the plan was made at [0-9a-f]{12}$/m,
    );
    expect(journalLines(f)).toBe(journal);
  });

  it('with --skip-stale carries out only the sites whose inputs are unchanged', async () => {
    const f = await observedFleet(['A', 'B']);
    const file = path.join(f.root, 'p.json');
    expect((await run(f, 'plan', ...common(f), '--out', file)).code).toBe(0);
    expect((await run(f, 'observe', ...common(f), '--site', 'B')).code).toBe(0);
    const r = await run(f, 'apply', file, ...common(f), '--skip-stale');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/skipped, stale: B: observed again/);
    expect(r.stdout).toMatch(/Apply: 1 changed, 0 in sync, 0 failed of 1 site/);
    expect(installed(f, 'A')).toEqual(['foo-1.4', 'tool-2.0']);
    expect(installed(f, 'B')).toEqual([]);
  });

  it('never plans again: a site changed behind the observation fails its job and is left as found', async () => {
    const f = await observedFleet(['A']);
    const file = path.join(f.root, 'p.json');
    expect((await run(f, 'plan', ...common(f), '--out', file)).code).toBe(0);
    // Someone installs by hand at the site; the stored observation does not know.
    expect(runTool(f.sites.A!.prefix, 'pkg_add', ['foo-1.2'], { PKG_PATH: f.pkgPath }).exit).toBe(0);
    const r = await run(f, 'apply', file, ...common(f));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /A: FAILED: stale: the job found the site changed since it was observed and did nothing; plan again/,
    );
    expect(installed(f, 'A')).toEqual(['foo-1.2']);
  });

  it('refuses a malformed plan file and options the plan decides, changing nothing', async () => {
    const f = await observedFleet(['A']);
    const bad = path.join(f.root, 'bad.json');
    writeFileSync(bad, '{"format": "vo-reconcile-planfile/1",\n "sites": [}\n');
    const r = await run(f, 'apply', bad, ...common(f));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^.*bad\.json:2:\d+: not JSON: /m);
    writeFileSync(bad, JSON.stringify({ format: 'vo-reconcile-planfile/1', sites: [] }));
    const missing = await run(f, 'apply', bad, ...common(f));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/bad\.json: document: must have required property 'createdAt'/);
    const file = path.join(f.root, 'p.json');
    expect((await run(f, 'plan', ...common(f), '--out', file)).code).toBe(0);
    const site = await run(f, 'apply', file, ...common(f), '--site', 'A');
    expect(site.code).toBe(2);
    expect(site.stderr).toMatch(/--site does not go with a plan file: the plan names its sites/);
    expect((await run(f, 'plan', ...common(f), '--worktree', '--out', file)).code).toBe(2);
    expect(installed(f, 'A')).toEqual([]);
  });
});

/** The built CLI on a pseudo-terminal, typing `answer` (util-linux script). */
function onTerminal(argv: string[], answer: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const quoted = [process.execPath, path.join(repoRoot, 'dist/cli/main.js'), ...argv]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  return new Promise((resolve) => {
    const child = execFile(
      'script',
      ['-qec', quoted, '/dev/null'],
      { env: { ...process.env, ...env } },
      (error, stdout) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout }),
    );
    child.stdin!.end(answer);
  });
}

describe('confirmation on a terminal', () => {
  it('shows the plan and asks; no changes nothing, yes carries out what was shown', async () => {
    const f = await observedFleet(['A', 'B']);
    const env = { VO_EMULATOR_LOG: f.log };
    const journal = journalLines(f);
    const no = await onTerminal(['apply', ...common(f)], 'no\n', env);
    expect(no.code).toBe(1);
    expect(no.out).toMatch(/A: \+foo-1\.4 \+tool-2\.0/);
    expect(no.out).toMatch(/Plan: 4 to install, .* at 2 of 2 sites/);
    expect(no.out).toMatch(/Carry out this plan\? \[y\/N\]/);
    expect(no.out).toMatch(/Apply cancelled; nothing was changed\./);
    expect(journalLines(f)).toBe(journal);
    expect(installed(f, 'A')).toEqual([]);

    const yes = await onTerminal(['apply', ...common(f)], 'y\n', env);
    expect(yes.code, yes.out).toBe(0);
    expect(yes.out).toMatch(/Apply: 2 changed, 0 in sync, 0 failed of 2 sites/);
    for (const s of ['A', 'B']) expect(installed(f, s)).toEqual(['foo-1.4', 'tool-2.0']);
  });

  it('asks nothing with --yes, nor without a terminal', async () => {
    const f = await observedFleet(['A']);
    const yes = await onTerminal(['apply', ...common(f), '--yes'], '', { VO_EMULATOR_LOG: f.log });
    expect(yes.code).toBe(0);
    expect(yes.out).not.toMatch(/Carry out this plan/);
    f.commit('packages:\n  - foo-1.2\n', 'pin foo');
    const piped = await run(f, 'apply', ...common(f));
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toMatch(/Carry out this plan/);
    expect(installed(f, 'A')).toEqual(['foo-1.2']);
  });
});
