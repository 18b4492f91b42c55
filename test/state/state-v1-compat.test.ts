// A state/ written by the release before the transaction engine became a
// state machine (test/state/fixtures/state-v1, made by generate-state-v1.ts)
// keeps working: history, tags and holds read the same, the transaction its
// controller was killed in is resumed (not submitted again), and rollback
// finds the package sets that release journalled.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJournal } from '../../src/state/journal.js';
import { bin } from '../helpers/cli.js';
import { FIXTURE_DIR, buildWorld, git, world } from './fixture-world.js';
import { pgServer } from './pg-server.js';

interface Answers {
  open: string;
  sites: Record<string, string[]>;
  history: unknown;
  historyText: string;
  tags: string;
}

const answers = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'answers.json'), 'utf8')) as Answers;
const run = (...args: string[]) => bin([...args, '--desired', world.desired, '--state', world.state]);
const installed = (site: string) =>
  readdirSync(path.join(world.prefix(site), 'pkgdb'))
    .filter((n) => !n.startsWith('.'))
    .sort();
const records = () => parseJournal(readFileSync(path.join(world.state, 'journal.jsonl'), 'utf8')).records;

describe('a state/ of the previous release', () => {
  it('reads, resumes its open transaction, and rolls back as that release did', { timeout: 120_000 }, async () => {
    buildWorld(answers.sites);
    git(path.dirname(world.repo), 'clone', '-q', path.join(FIXTURE_DIR, 'desired.bundle'), world.repo);
    cpSync(path.join(FIXTURE_DIR, 'state'), world.state, { recursive: true });

    expect(JSON.parse((await run('history', '--json')).stdout)).toEqual(answers.history);
    expect((await run('history')).stdout).toBe(answers.historyText);
    expect((await run('history', '--tags')).stdout).toBe(answers.tags);

    const apply = await run('apply');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`B: resuming: waiting for job ${answers.open} of ${answers.open}`);
    expect(apply.stdout).toMatch(/A: held since the rollback to v1/);
    const mine = records().filter((r) => r.txid === answers.open);
    expect(mine.map((r) => r.type)).toEqual(['begin', 'submitted', 'finished', 'end']);
    expect(mine[3]).toMatchObject({ type: 'end', status: 'succeeded' });
    expect(installed('B')).toEqual(['libz-1.3', 'tool-2.0']);
    expect(installed('C')).toEqual(['libz-1.3', 'tool-2.0']);
    expect(installed('A')).toEqual(['foo-1.2']);

    expect((await run('release', 'A')).code).toBe(0);
    const rb = await run('rollback', 'v2', '--site', 'A');
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(rb.stdout).toMatch(/A: rolled back to v2 \(restoring the package set of tx-[^)]+-A-[^)]+\)/);
    expect(installed('A')).toEqual(['foo-1.4', 'tool-2.0']);
    expect((await run('history')).stdout).toMatch(/^A: HELD since the rollback to v2/);
  });
});

// The same state/ moved into PostgreSQL with 'reconcile state import' gives
// the same answers and goes on the same way (in this file: the fixture's
// world is at one fixed place, so the two must not run at once).
const server = await pgServer();
afterAll(() => server?.close());

describe.skipIf(!server)('the same state/ imported into PostgreSQL', () => {
  it('answers the same, resumes its open transaction and rolls back from the database', { timeout: 180_000 }, async () => {
    buildWorld(answers.sites);
    git(path.dirname(world.repo), 'clone', '-q', path.join(FIXTURE_DIR, 'desired.bundle'), world.repo);
    cpSync(path.join(FIXTURE_DIR, 'state'), world.state, { recursive: true });
    const url = await server!.newDatabase();
    // Job scripts, observations and caches stay in the local directory; the journal and holds go to the database.
    const env = { VO_RECONCILE_LOCAL_STATE: world.state, VO_RECONCILE_STATE: '' };
    const pgRun = (...args: string[]) => bin([...args, '--desired', world.desired, '--state', url], { env });
    const init = await pgRun('state', 'init');
    expect(init.code, init.stderr).toBe(0);
    const imported = await bin(['state', 'import', '--from', world.state, '--state', url], { env });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported \d+ journal records and 1 holds from/);
    // Nothing is read from the files any more.
    rmSync(path.join(world.state, 'journal.jsonl'));
    rmSync(path.join(world.state, 'holds'), { recursive: true });

    expect(JSON.parse((await pgRun('history', '--json')).stdout)).toEqual(answers.history);
    expect((await pgRun('history')).stdout).toBe(answers.historyText);
    expect((await pgRun('history', '--tags')).stdout).toBe(answers.tags);
    const twice = await bin(['state', 'import', '--from', path.join(FIXTURE_DIR, 'state'), '--state', url], { env });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already holds a journal or holds; import only into a new one/);

    const apply = await pgRun('apply');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`B: resuming: waiting for job ${answers.open} of ${answers.open}`);
    expect(apply.stdout).toMatch(/A: held since the rollback to v1/);
    const mine = (await dbRecords(url)).filter((r) => r.txid === answers.open);
    expect(mine.map((r) => r.type)).toEqual(['begin', 'submitted', 'finished', 'end']);
    expect(mine[3]).toMatchObject({ type: 'end', status: 'succeeded' });
    expect(installed('B')).toEqual(['libz-1.3', 'tool-2.0']);
    expect(installed('C')).toEqual(['libz-1.3', 'tool-2.0']);
    expect(installed('A')).toEqual(['foo-1.2']);

    expect((await pgRun('release', 'A')).code).toBe(0);
    const rb = await pgRun('rollback', 'v2', '--site', 'A');
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(rb.stdout).toMatch(/A: rolled back to v2 \(restoring the package set of tx-[^)]+-A-[^)]+\)/);
    expect(installed('A')).toEqual(['foo-1.4', 'tool-2.0']);
    expect((await pgRun('history')).stdout).toMatch(/^A: HELD since the rollback to v2/);
    // The journal and holds went to the database, not back to files; and the password is in no file.
    expect(() => readFileSync(path.join(world.state, 'journal.jsonl'))).toThrow();
    const grep = spawnSync('grep', ['-rlF', server!.password, world.root], { encoding: 'utf8' });
    expect(grep.stdout).toBe('');
  });
});

async function dbRecords(url: string): Promise<{ txid: string; type: string; status?: string }[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ record: { txid: string; type: string } }>('SELECT record FROM vo_reconcile_journal ORDER BY seq')).rows.map((r) => r.record);
  } finally {
    await c.end();
  }
}
