// Manual holds (issue 18 §7): `reconcile hold SITE --reason` makes apply
// leave the site alone, plan, status and history show it with its reason,
// and `reconcile release` lifts it; one store with the rollback holds.
import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';

describe('reconcile hold / release', () => {
  it('holds a site by hand until released', async () => {
    const f = makeFleet(['A', 'B'], 'packages:\n  - tool\n');
    const run = (...a: string[]) => bin([...a, '--desired', f.desired, '--state', f.state]);

    const held = await run('hold', 'A', '--reason', 'downtime until Friday', '--json');
    expect(held.code, held.stderr).toBe(0);
    const json = JSON.parse(held.stdout) as { held: { site: string; reason: string; kind: string; at: string }[] };
    expect(json.held).toMatchObject([{ site: 'A', kind: 'manual', reason: 'downtime until Friday' }]);

    const plan = await run('plan', '--json');
    const sites = (JSON.parse(plan.stdout) as { sites: { site: string; held?: object }[] }).sites;
    expect(sites.find((s) => s.site === 'A')?.held).toMatchObject({ manual: true, reason: 'downtime until Friday' });
    expect(sites.find((s) => s.site === 'B')?.held).toBeUndefined();
    expect((await run('plan')).stdout).toMatch(
      /held by hand since \S+( by \S+)?: downtime until Friday; apply leaves it alone until 'reconcile release A'/,
    );

    const applied = await run('apply');
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/A: held by hand since .*downtime until Friday/);
    expect(await run('status')).toMatchObject({
      stdout: expect.stringMatching(/HELD \(by hand: downtime until Friday\)/),
    });
    expect((await run('history')).stdout).toMatch(
      /^A: HELD by hand since .*: downtime until Friday; 'reconcile release A' lifts it$/m,
    );
    const history = (await run('history', '--json')).stdout;
    expect(
      (JSON.parse(history) as { site: string; kind: string }[]).filter((t) => t.kind === 'apply').map((t) => t.site),
    ).toEqual(['B']);

    const released = await run('release', 'A', '--json');
    expect(JSON.parse(released.stdout)).toEqual({ released: ['A'], notHeld: [] });
    expect((await run('release', 'A')).stdout).toBe('A: was not held\n');
    const again = await run('apply');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const after = JSON.parse((await run('history', '--json')).stdout) as { site: string; kind: string }[];
    expect(
      after
        .filter((t) => t.kind === 'apply')
        .map((t) => t.site)
        .sort(),
    ).toEqual(['A', 'B']);
  });

  it('keeps a hold set by hand when a rollback comes: the held site is left alone, the others roll back', async () => {
    const { git } = await import('../helpers/tmp.js');
    const { readdirSync } = await import('node:fs');
    const f = makeFleet(['A', 'B'], 'packages:\n  - foo-1.2\n');
    const run = (...a: string[]) => bin([...a, '--desired', f.desired, '--state', f.state]);
    const installed = (s: string) => readdirSync(f.sites[s]!.dbdir).filter((n) => !n.startsWith('.'));
    git(f.repo, 'tag', 'v1');
    expect((await run('apply')).code).toBe(0);
    f.commit('packages:\n  - foo-1.4\n', 'v2');
    expect((await run('apply')).code).toBe(0);
    expect((await run('hold', 'A', '--reason', 'downtime until Friday')).code).toBe(0);

    const rb = await run('rollback', 'v1');
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(rb.stdout).toMatch(
      /A: held by hand since .*downtime until Friday; not rolled back: 'reconcile release A' first/,
    );
    expect(rb.stdout).toMatch(/: 1 rolled back, 1 held by hand \(not touched\), 0 failed/);
    expect(installed('A')).toEqual(['foo-1.4']);
    expect(installed('B')).toEqual(['foo-1.2']);
    const holds = (await run('history')).stdout;
    expect(holds).toMatch(/^A: HELD by hand since .*: downtime until Friday;/m);
    expect(holds).toMatch(/^B: HELD since the rollback to v1/m);
  });

  it('refuses a hold without a reason, or of an unknown site', async () => {
    const f = makeFleet(['A'], 'packages:\n  - tool\n');
    const run = (...a: string[]) => bin([...a, '--desired', f.desired, '--state', f.state]);
    const noReason = await run('hold', 'A');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/^reconcile: hold needs --reason 'why'/);
    const unknown = await run('hold', 'Z', '--reason', 'x');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown site 'Z'/);
  });
});
