// PostgreSQL stopped in the middle of a run (issue 13 §4): `pg_ctl stop -m
// immediate` while jobs run. The controller begins and submits nothing
// more (every job launched has its begin in the database, and none can be
// written once it is gone), says so in one line, and exits non-zero; once
// the database is back, the next run resumes what was in flight, with
// nothing lost or doubled, and the fleet converges.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import { jobProblems, recordProblems } from '../hardening/fleet-invariants.js';
import { inCI } from '../helpers/ci.js';
import { bin, cli, repoRoot, type CliResult } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { pgServer } from './pg-server.js';

const SITES = 8;
const server = await pgServer();
afterAll(() => server?.close());
// Stopping the server needs a cluster of our own; under CI there always is one.
const canStop = !!server?.stop;
if (server && !canStop && inCI()) throw new Error('the PostgreSQL outage test needs a cluster of its own (unset VO_RECONCILE_TEST_PG_URL)');

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

const records = async (url: string) =>
  (await query<{ record: JournalRecord }>(url, 'SELECT record FROM vo_reconcile_journal ORDER BY seq')).map((r) => r.record);

function start(args: string[], env: NodeJS.ProcessEnv): { done: Promise<CliResult> } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/cli/main.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { done: new Promise((resolve) => child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }))) };
}

describe.skipIf(!canStop)('PostgreSQL stopped mid-run', () => {
  it('submits nothing more, says so once, exits non-zero; the next run resumes', { timeout: 300_000 }, async () => {
    const names = Array.from({ length: SITES }, (_, i) => `S${i}`);
    const f = makeFleet(names, 'packages:\n  - bar\n  - tool\n', { faults: { delayMs: 700 } });
    const url = await server!.newDatabase();
    const env = { VO_RECONCILE_STATE: url, VO_RECONCILE_LOCAL_STATE: f.state, VO_EMULATOR_LOG: f.log };
    expect((await bin(['state', 'init'], { env })).code).toBe(0);
    const empty = path.join(f.root, 'empty.pkg_info');
    writeFileSync(empty, '');
    for (const n of names)
      expect((await cli(['observe', '--desired', f.desired, '--state', f.state, '--site', n, '--import', empty])).code).toBe(0);

    const args = ['apply', '--desired', f.desired, '--concurrency', '2'];
    const run = start(args, env);
    // Stop the database once a job runs (its id is journalled), with sites still queued behind it.
    for (let i = 0; ; i++) {
      const n = await query<{ n: string }>(url, `SELECT count(*)::text AS n FROM vo_reconcile_journal WHERE type = 'submitted'`);
      if (Number(n[0]!.n) > 0) break;
      expect(i, 'no job was submitted').toBeLessThan(600);
      await new Promise((r) => setTimeout(r, 50));
    }
    server!.stop!();
    const out = await run.done;
    server!.start!();

    expect(out.code, out.stdout + out.stderr).not.toBe(0);
    // Besides the structured log (JSON lines, one per failed site), one line says what happened.
    const said = out.stderr.split('\n').filter((l) => l.includes('state database') && !l.startsWith('{'));
    expect(said, out.stderr).toHaveLength(1);
    expect(said[0]).toMatch(/^reconcile: .*state database postgres:\/\/vo@127\.0\.0\.1:\d+\/\w+.*; submitted nothing more/);
    expect(out.stdout + out.stderr).not.toContain(server!.password);

    // Every job that was launched had begun in the database before it went: nothing was started after.
    const begun = new Set((await records(url)).filter((r) => r.type === 'begin').map((r) => r.txid));
    const jobsDir = path.join(f.state, 'jobs');
    const launched = readdirSync(jobsDir).filter((d) => existsSync(path.join(jobsDir, d, 'pid')));
    expect(launched.length).toBeGreaterThan(0);
    expect(launched.filter((t) => !begun.has(t))).toEqual([]);
    expect(begun.size).toBeLessThan(SITES);

    const again = await bin(args, { env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const all = await records(url);
    const after = recordProblems(all);
    expect(after.problems).toEqual([]);
    expect(after.figures.open).toEqual([]);
    const prefixes = Object.fromEntries(names.map((n) => [n, f.sites[n]!.prefix]));
    expect(jobProblems(f.state, f.log, all, prefixes)).toEqual([]);
    for (const n of names)
      expect(
        readdirSync(f.sites[n]!.dbdir)
          .filter((x) => !x.startsWith('.'))
          .sort(),
        n,
      ).toEqual(['bar-1.0', 'foo-1.4', 'tool-2.0']);
  });
});
