// Maintenance windows and GOCDB downtimes end to end with the built CLI:
// emulated sites, a rollout, and the GOCDB fixture served on 127.0.0.1 with
// its times moved around now. A site in an ongoing OUTAGE is deferred (its
// wave waits for it, exit 0), plan and status say so; once GOCDB shows the
// outage ended the next apply reaches it and the rollout completes; a
// source that is down is a warning and the kept copy is used.
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { commitDesired } from '../helpers/tmp.js';
import { fixtureAround } from '../windows/fixture.js';

const H = 3600_000;
const run = (f: Fleet, ...args: string[]) =>
  bin([...args, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
const installed = (f: Fleet, site: string) => readdirSync(f.sites[site]!.dbdir).filter((n) => !n.startsWith('.'));

let server: Server;
let url: string;
let xml = '';
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(xml));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gocdbpi/public/?method=get_downtime`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('a site in a GOCDB outage', () => {
  it('is skipped, its wave waits, and it is reached after the outage ends', { timeout: 180_000 }, async () => {
    const f = makeFleet(['A', 'B', 'C'], 'packages:\n  - foo-1.4\n');
    const gocdb: Record<string, string> = { A: 'DESY-HH', B: 'UKI-LT2-QMUL', C: 'NOT-IN-GOCDB' };
    const sites = ['A', 'B', 'C'].map(
      (n) =>
        `  - { name: ${n}, gocdb_name: ${gocdb[n]}, sw_area: ${f.sites[n]!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p] }`,
    );
    // Observed before the downtimes are known: a probe is a job, and none would go to A.
    expect((await run(f, 'observe')).code).toBe(0);
    commitDesired(
      f.repo,
      {
        'sites.yaml': ['sites:', ...sites, ''].join('\n'),
        'profiles/p.yaml': 'packages:\n  - foo-1.4\n',
        'rollout.yaml': 'waves:\n  - { name: canary, sites: [C] }\n  - { name: rest, sites: [A, B] }\n',
        'windows.yaml': `downtimes:\n  source: "${url}"\n`,
      },
      'downtimes',
    );
    // DESY-HH: OUTAGE 35101 from 2 h ago for 8 h; UKI-LT2-QMUL: WARNING 35102 now.
    xml = fixtureAround(Date.now());

    const plan = await run(f, 'plan');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /\(deferred: in scheduled downtime until \S+ \(GOCDB 35101: dCache upgrade to 9\.2 & CE reinstallation\); an apply now submits nothing there\)/,
    );
    expect(plan.stdout).toMatch(/1 site deferred now by windows or downtimes/);

    const first = await run(f, 'apply');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/A: DEFERRED: in scheduled downtime until \S+ \(GOCDB 35101: /);
    expect(first.stdout).toMatch(
      /B: planned: note: GOCDB 35102 WARNING until \S+: At risk: core router firmware upgrade/,
    );
    expect(first.stdout).toMatch(/Wave 2 \(rest\) waits for 1 deferred site \(A\)/);
    expect(first.stdout).toMatch(/2 changed, 0 in sync, 1 deferred, 0 failed of 3 sites/);
    expect(installed(f, 'A')).toEqual([]);
    expect(installed(f, 'B')).toEqual(['foo-1.4']);

    const status = await run(f, 'status', '--format', 'json');
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as {
      sites: { name: string; window?: { open: boolean; reason?: string; next?: { what: string } } }[];
      downtimes: { from: string };
    };
    expect(s.downtimes.from).toBe('fresh');
    expect(s.sites.find((x) => x.name === 'A')?.window).toMatchObject({
      open: false,
      by: { kind: 'downtime', id: '35101' },
    });
    expect(s.sites.find((x) => x.name === 'B')?.window).toMatchObject({
      open: true,
      next: { what: 'GOCDB 35103 OUTAGE: Storage migration' },
    });
    const text = await run(f, 'status');
    expect(text.stdout).toMatch(/^A: .*window: deferred: in scheduled downtime until /m);
    const html = await run(f, 'status', '--format', 'html');
    expect(html.stdout).toMatch(/⏸ <a href="#site-A">A<\/a>: deferred: in scheduled downtime/);

    // GOCDB now shows the outage as over: it ended an hour ago.
    xml = fixtureAround(Date.now() - 7 * H);
    const second = await run(f, 'apply');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/completed: 2 waves done/);
    expect(installed(f, 'A')).toEqual(['foo-1.4']);

    // The source is down: a warning naming it, and the copy kept from the last good read.
    await new Promise<void>((done) => server.close(() => done()));
    const third = await run(f, 'apply');
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toContain(`reconcile: warning: downtimes: cannot read ${url}: `);
    expect(third.stderr).toMatch(/using the last good copy, kept in .*downtimes, read /);
    server.listen(0, '127.0.0.1');
  });
});

describe('windows.yaml', () => {
  it(
    'is validated with file:line errors, and a deny window defers every site it selects',
    { timeout: 60_000 },
    async () => {
      const f = makeFleet(['A'], 'packages:\n  - foo-1.4\n');
      const sitesYaml = `sites:\n  - { name: A, tags: [t2], sw_area: ${f.sites.A!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p] }\n`;
      commitDesired(
        f.repo,
        {
          'sites.yaml': sitesYaml,
          'profiles/p.yaml': 'packages:\n  - foo-1.4\n',
          'windows.yaml': [
            'windows:',
            '  - { name: w1, kind: deny, schedule: "61 * * * *", duration: 1h }',
            '  - { name: w2, kind: deny, schedule: "0 * * * *", duration: 1h, timezone: Mars/Olympus }',
            '  - { name: w3, kind: allow, schedule: "0 * * * *", duration: 2h, tags: [t3] }',
            '',
          ].join('\n'),
        },
        'bad windows',
      );
      const bad = await run(f, 'validate');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/windows\.yaml:2:\d+: invalid cron schedule '61 \* \* \* \*'/);
      expect(bad.stderr).toMatch(/windows\.yaml:3:\d+: unknown time zone 'Mars\/Olympus'/);
      expect(bad.stderr).toMatch(/windows\.yaml:4:\d+: no site has tag 't3'; the tags in sites.yaml are: t2/);

      // Always closed: from every hour, for two.
      commitDesired(
        f.repo,
        {
          'sites.yaml': sitesYaml,
          'profiles/p.yaml': 'packages:\n  - foo-1.4\n',
          'windows.yaml':
            'windows:\n  - { name: freeze, kind: deny, schedule: "0 * * * *", duration: 2h, tags: [t2] }\n',
        },
        'freeze',
      );
      const apply = await run(f, 'apply');
      expect(apply.code, apply.stderr).toBe(0);
      expect(apply.stdout).toMatch(/A: DEFERRED: in deny window 'freeze' not within a year/);
      expect(apply.stdout).toMatch(
        /Deferred \(nothing submitted; a later run reaches it once the window or downtime ends\):/,
      );
      expect(installed(f, 'A')).toEqual([]);
    },
  );
});
