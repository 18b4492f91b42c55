// Webhook notifications end to end (issue 16, part 4): the built executable
// applies to emulated sites and a real HTTP receiver on 127.0.0.1 checks
// each POST's HMAC-SHA256 signature; a receiver that never answers does not
// hold up the run, and one that is down ends up listed by status.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { setFaults } from '../emulator/index.js';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';
import { commitDesired } from '../helpers/tmp.js';
import { closeReceivers, deadUrl, receiver as makeReceiver, until } from '../helpers/webhook-receiver.js';

const SECRET = 'webhook-secret-do-not-print-4711';
const receiver = (opts: { hold?: boolean } = {}) => makeReceiver(SECRET, opts);
afterEach(closeReceivers);

const PROFILE = 'packages:\n  - tool\nchecks:\n  - name: not-broken\n    run: test ! -e "$SW_AREA/broken"\n';

function fleetWith(receivers: string, names = ['A', 'B', 'C']) {
  const f = makeFleet(names, PROFILE);
  const secretFile = path.join(f.root, 'hook.secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const sitesYaml = readFileSync(path.join(f.desired, 'sites.yaml'), 'utf8');
  commitDesired(
    f.repo,
    {
      'sites.yaml': sitesYaml,
      'profiles/p.yaml': PROFILE,
      'notifications.yaml': receivers.replaceAll('SECRET_FILE', secretFile),
    },
    'receivers',
  );
  return f;
}

const apply = (f: Fleet, env: Record<string, string> = {}) =>
  bin(['apply', '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log, ...env } });

const eventSchema = () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  return ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schemas/event.schema.json'), 'utf8')) as object);
};

describe('webhook notifications', { timeout: 120_000 }, () => {
  it('posts signed events for a failed and a not-validated transaction, filtered per receiver', async () => {
    const ops = await receiver();
    const onlyB = await receiver();
    const f = fleetWith(
      `receivers:\n  - { name: ops, url: "${ops.url}", secret_file: SECRET_FILE }\n` +
        `  - { name: b-checks, url: "${onlyB.url}", secret_file: SECRET_FILE, events: [transaction.not-validated, transaction.failed], sites: [B] }\n`,
    );
    expect((await bin(['observe', '--desired', f.desired, '--state', f.state])).code).toBe(0);
    setFaults(f.sites.A!.prefix, { failAdd: ['tool-2.0'] });
    writeFileSync(path.join(f.sites.B!.swArea, 'broken'), '');
    const r = await apply(f);
    expect(r.code).toBe(1);

    await until(() => (ops.got.length >= 2 && onlyB.got.length >= 1 ? true : undefined));
    const events = ops.got.map((g) => JSON.parse(g.body));
    expect(ops.got.every((g) => g.signed)).toBe(true);
    expect(events.map((e) => `${e.type} ${e.site}`).sort()).toEqual([
      'transaction.failed A',
      'transaction.not-validated B',
    ]);
    const validate = eventSchema();
    for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    const b = events.find((e) => e.site === 'B');
    expect(b).toMatchObject({ installed: true, validated: false, format: 'vo-reconcile-event/1' });
    expect(ops.got[0]!.headers['x-reconcile-delivery']).toBe(JSON.parse(ops.got[0]!.body).id);
    expect(onlyB.got.map((g) => JSON.parse(g.body).site)).toEqual(['B']);
    // C succeeded: nothing to say. The secret is in no output and no file under state/.
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
    for (const file of filesUnder(f.state)) expect(readFileSync(file, 'utf8')).not.toContain(SECRET);
  });

  it('a receiver that never answers does not hold up the run; one that is down is listed by status', async () => {
    const slow = await receiver({ hold: true });
    const f = fleetWith(
      `receivers:\n  - { name: slow, url: "${slow.url}", secret_file: SECRET_FILE, timeout: 60 }\n` +
        `  - { name: down, url: "${await deadUrl()}", secret_file: SECRET_FILE }\n`,
      ['A'],
    );
    expect((await bin(['observe', '--desired', f.desired, '--state', f.state])).code).toBe(0);
    setFaults(f.sites.A!.prefix, { failAdd: ['tool-2.0'] });
    const t0 = Date.now();
    const r = await apply(f, { RECONCILE_NOTIFY_BACKOFF_MS: '20' });
    const took = Date.now() - t0;
    expect(r.code).toBe(1);
    // The run ended while no request to the slow receiver had been answered (it answers none until released),
    // well within one attempt's 60 s timeout: a run that waited for its receivers would take at least that.
    expect(slow.got.length - slow.held.length).toBe(0);
    expect(took).toBeLessThan(30_000);
    await until(() => (slow.held.length > 0 ? true : undefined));

    // The down receiver: five attempts with backoff, then listed as undelivered, by the receiver and the cause.
    const undelivered = path.join(f.state, 'notify', 'undelivered');
    await until(() => (existsSync(undelivered) && readdirSync(undelivered).length > 0 ? true : undefined));
    const st = await bin(['status', '--desired', f.desired, '--state', f.state]);
    expect(st.stdout).toMatch(/Notifications: 1 being sent, 1 undelivered/);
    expect(st.stdout).toMatch(
      /UNDELIVERED transaction\.failed A tx-\S+ to down \(http:\/\/127\.0\.0\.1:\d+\/hook\) after 5 attempts: .*ECONNREFUSED/,
    );
    const json = JSON.parse((await bin(['status', '--desired', f.desired, '--state', f.state, '--json'])).stdout);
    expect(json.notifications.undelivered).toMatchObject([
      { type: 'transaction.failed', site: 'A', receiver: 'down', attempts: 5 },
    ]);

    // Released, the slow receiver's event is delivered once.
    slow.release();
    const delivered = path.join(f.state, 'notify', 'delivered.jsonl');
    await until(() =>
      existsSync(delivered) && readFileSync(delivered, 'utf8').includes('"receiver":"slow"') ? true : undefined,
    );
    expect(slow.got.every((g) => g.signed)).toBe(true);
    expect(`${st.stdout}${st.stderr}`).not.toContain(SECRET);
  });

  it('refuses a receiver it cannot use, with file:line:col', async () => {
    const f = makeFleet(['A'], PROFILE);
    writeFileSync(
      path.join(f.desired, 'notifications.yaml'),
      'receivers:\n  - name: ops\n    url: ftp://example.org/\n    secret_file: relative.secret\n    sites: [NOPE]\n',
    );
    const r = await bin(['validate', '--desired', f.desired, '--worktree']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notifications\.yaml:3:10: .*an http:\/\/ or https:\/\/ URL/);
    expect(r.stderr).toMatch(/notifications\.yaml:4:18: .*an absolute path/);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}
