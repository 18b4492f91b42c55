// Issue 17 part 3: a planned install of a version the list marks is flagged
// with the advisory; `policy: refuse` makes that site's plan an error naming
// the package and advisory, while the other sites go on. Accepted risks do
// not count.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { flagVulnerable } from '../../src/vuln/plan-flags.js';
import { VulnIndex } from '../../src/vuln/audit.js';
import type { SitePlan } from '../../src/plan/types.js';
import type { SiteVulnConfig } from '../../src/desired/vulnerabilities.js';
import { site } from '../helpers/builders.js';

const LIST = '#FORMAT 1.1.0\nfoo<1.4\tinformation-leak\thttps://example.org/advisory/FOO\n';

describe('flagVulnerable', () => {
  const index = new VulnIndex([{ pattern: 'foo<1.4', kind: 'information-leak', url: 'https://e.org/FOO', line: 2 }]);
  const plan: SitePlan = {
    site: 'SITE',
    status: 'ok',
    actions: [
      { action: 'downgrade', name: 'foo', pkgname: 'foo-1.2', from: 'foo-1.4', reason: 'rollback' },
      { action: 'install', name: 'bar', pkgname: 'bar-1.0', reason: 'wanted' },
      { action: 'remove', name: 'foo', pkgname: 'foo-1.0', reason: 'absent' },
    ],
    kept: [],
    errors: [],
  };
  const config = { list: '/l', maxAgeDays: 7, ignore: [], policy: 'warn' as const, fix: false };
  const withCfg = (vulnerabilities: SiteVulnConfig) => site([], { vulnerabilities });
  const now = new Date('2026-12-01T00:00:00Z');
  it('flags a vulnerable downgrade, not the clean install or a removal', () => {
    const p = flagVulnerable(plan, withCfg(config), index, now);
    expect(p.status).toBe('ok');
    expect(p.actions.map((a) => a.vulnerable)).toEqual([
      [{ kind: 'information-leak', url: 'https://e.org/FOO' }],
      undefined,
      undefined,
    ]);
  });
  it('refuses with the package and advisory, unless the risk is accepted', () => {
    const p = flagVulnerable(plan, withCfg({ ...config, policy: 'refuse' }), index, now);
    expect(p.status).toBe('error');
    expect(p.errors[0]!.message).toMatch(/^refusing to downgrade foo-1\.2: information-leak https:\/\/e\.org\/FOO/);
    const ignore = [{ url: 'https://e.org/FOO', reason: 'r', expires: '2027-01-01', source: { file: 's' } }];
    expect(flagVulnerable(plan, withCfg({ ...config, policy: 'refuse', ignore }), index, now)).toBe(plan);
  });
});

describe('policy: refuse in apply', () => {
  it('blocks exactly the site whose plan installs a vulnerable version', async () => {
    const f = makeFleet(['A', 'B'], 'packages:\n  - foo-1.2\n  - tool\n');
    const list = path.join(f.root, 'pkg-vulnerabilities');
    writeFileSync(list, LIST);
    const line = (n: string, extra = '') =>
      `  - { name: ${n}, sw_area: ${f.sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p]${extra} }`;
    f.commit(
      'packages:\n  - foo-1.2\n  - tool\n',
      'list',
      `defaults:\n  vulnerabilities: { list: ${list} }\nsites:\n${line('A')}\n${line('B', `, vulnerabilities: { policy: refuse }`)}\n`,
    );
    const obs = path.join(f.root, 'observed');
    mkdirSync(obs);
    for (const n of ['A', 'B']) writeFileSync(path.join(obs, `${n}.pkg_info`), '');
    const plan = await bin(['plan', '--desired', f.desired, '--state', f.state, '--observed', obs]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(
      /\+ install foo-1\.2 .*VULNERABLE: information-leak https:\/\/example\.org\/advisory\/FOO/,
    );
    expect(plan.stdout).toMatch(/refusing to install foo-1\.2/);
    const r = await bin(['apply', '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /B: FAILED: refusing to install foo-1\.2: information-leak https:\/\/example\.org\/advisory\/FOO/,
    );
    expect(r.stdout).toMatch(/Apply: 1 changed, 0 in sync, 1 failed of 2 sites/);
  });
});
