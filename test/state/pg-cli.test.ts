// The PostgreSQL state from the command line, against a real server:
// `state init` makes and versions the schema, and a database that cannot
// be used (not initialised, another schema version, wrong password,
// unreachable) is exit 2 with one line naming the URL without its password.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { pgServer, type PgServer } from './pg-server.js';

const server = await pgServer();

describe.skipIf(!server)('reconcile state, PostgreSQL', () => {
  let s: PgServer;
  beforeAll(() => {
    s = server!;
  });
  afterAll(() => s?.close());

  const run = (...args: string[]) => bin(args, { cwd: tempDir(), env: { VO_RECONCILE_STATE: '' } });
  const shown = (url: string) => {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  };
  /** One line on stderr, naming the URL without its password, and the password nowhere. */
  const oneLine = (r: { code: number; stdout: string; stderr: string }, url: string) => {
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(shown(url));
    expect(r.stdout + r.stderr).not.toContain(s.password);
  };

  it('init makes the schema once; commands refuse a database without it, or with another version', async () => {
    const url = await s.newDatabase();
    const before = await run('history', '--state', url);
    oneLine(before, url);
    expect(before.stderr).toContain("reconcile state init --state");

    const init = await run('state', 'init', '--state', url);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('created the state schema (version 1)');
    expect(init.stdout).not.toContain(s.password);
    const again = await run('state', 'init', '--state', url);
    expect(again.stdout).toContain('already at version 1');

    const empty = await run('history', '--state', url);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('no transactions yet\n');

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`UPDATE vo_reconcile_meta SET value = '99' WHERE key = 'schema_version'`);
    await c.end();
    const newer = await run('history', '--state', url);
    oneLine(newer, url);
    expect(newer.stderr).toMatch(/schema version 99, this reconcile knows version 1/);
    oneLine(await run('state', 'init', '--state', url), url);
  });

  it('a wrong password or an unreachable server is one line, exit 2, without the password', async () => {
    const url = await s.newDatabase();
    const wrong = new URL(url);
    wrong.password = 'not-the-password-x9';
    const refused = await run('history', '--state', wrong.toString());
    oneLine(refused, wrong.toString());
    expect(refused.stderr).toMatch(/refused the login/);
    expect(refused.stderr).not.toContain('not-the-password-x9');

    // A port nothing listens on.
    const gone = new URL(url);
    gone.port = '1';
    const unreachable = await run('history', '--state', gone.toString());
    oneLine(unreachable, gone.toString());
    expect(unreachable.stderr).toMatch(/cannot reach the state database/);

    // The same through the environment variable.
    const viaEnv = await bin(['history'], { cwd: tempDir(), env: { VO_RECONCILE_STATE: wrong.toString() } });
    oneLine(viaEnv, wrong.toString());
    expect(viaEnv.stderr).not.toContain('not-the-password-x9');
  });

  it('hold and release work on the database state', async () => {
    const url = await s.newDatabase();
    expect((await run('state', 'init', '--state', url)).code).toBe(0);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`INSERT INTO vo_reconcile_holds (site, hold) VALUES ('X', '{"kind":"manual","site":"X","at":"2026-01-01T00:00:00Z","reason":"test"}')`);
    await c.end();
    const h = await run('history', '--state', url);
    expect(h.stdout).toContain("X: HELD by hand since 2026-01-01T00:00:00Z: test; 'reconcile release X' lifts it");
  });
});
