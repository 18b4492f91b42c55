// Two controllers sharing one PostgreSQL state (issue 13 §4): two real
// `reconcile apply` processes, each with a local directory of its own (as on
// two machines), started at once over 20 emulated sites with slow jobs. The
// database's site locks must keep them apart: never two jobs at one site
// (the emulator's overlap log, and no two transactions of a site open at
// once in the journal), every transaction ended exactly once, and the fleet
// reaches its desired state.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import { jobProblems, recordProblems } from '../hardening/fleet-invariants.js';
import { bin, cli, repoRoot, type CliResult } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { pgServer } from './pg-server.js';

const SITES = 20;
const server = await pgServer();
afterAll(() => server?.close());

function run(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist/cli/main.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Sites where two transactions were open at once (begin..end overlapping). */
function overlappingTransactions(records: readonly JournalRecord[]): string[] {
  const spans = new Map<string, { site: string; from: string; to: string; by: string }>();
  for (const r of records) {
    if (r.type === 'begin') spans.set(r.txid, { site: r.site, from: r.at, to: '9999', by: r.controller });
    if (r.type === 'end') {
      const s = spans.get(r.txid);
      if (s) s.to = r.at;
    }
  }
  const list = [...spans.entries()];
  const found: string[] = [];
  for (const [i, [ta, a]] of list.entries())
    for (const [tb, b] of list.slice(i + 1))
      if (a.site === b.site && a.from < b.to && b.from < a.to) found.push(`${a.site}: ${ta} and ${tb}`);
  return found;
}

describe.skipIf(!server)('two controllers, one PostgreSQL state', () => {
  it('never run two jobs at one site, end every transaction once, and converge', { timeout: 300_000 }, async () => {
    const names = Array.from({ length: SITES }, (_, i) => `S${String(i).padStart(2, '0')}`);
    const f = makeFleet(names, 'packages:\n  - foo>=1.4\n  - tool\n', { faults: { delayMs: 150 } });
    const url = await server!.newDatabase();
    const local = { A: path.join(f.root, 'controller-a'), B: path.join(f.root, 'controller-b') };
    const envOf = (dir: string) => ({
      VO_RECONCILE_STATE: url,
      VO_RECONCILE_LOCAL_STATE: dir,
      VO_EMULATOR_LOG: f.log,
    });
    expect((await bin(['state', 'init'], { env: envOf(local.A) })).code).toBe(0);
    // Each controller has seen the sites empty (its own, per-machine observations).
    const empty = path.join(f.root, 'empty.pkg_info');
    writeFileSync(empty, '');
    for (const dir of Object.values(local))
      for (const n of names)
        expect((await cli(['observe', '--desired', f.desired, '--state', dir, '--site', n, '--import', empty])).code).toBe(0);

    const args = ['apply', '--desired', f.desired, '--concurrency', String(SITES)];
    const [a, b] = await Promise.all([run(args, envOf(local.A)), run(args, envOf(local.B))]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    // They met: one waited for a site the other held.
    expect(`${a.stdout}${b.stdout}`).toMatch(/waiting-lock: held by /);

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const records = (await c.query<{ record: JournalRecord }>('SELECT record FROM vo_reconcile_journal ORDER BY seq')).rows.map(
      (r) => r.record,
    );
    await c.end();
    const prefixes = Object.fromEntries(names.map((n) => [n, f.sites[n]!.prefix]));
    const journal = recordProblems(records);
    expect(journal.problems).toEqual([]);
    expect(journal.figures.open).toEqual([]);
    expect(overlappingTransactions(records)).toEqual([]);
    expect([...jobProblems(local.A, f.log, records, prefixes), ...jobProblems(local.B, f.log, records, prefixes)]).toEqual([]);
    const controllers = new Set(records.flatMap((r) => (r.type === 'begin' ? [r.controller] : [])));
    expect(controllers.size).toBe(2);
    for (const n of names)
      expect(
        readdirSync(f.sites[n]!.dbdir)
          .filter((x) => !x.startsWith('.'))
          .sort(),
        n,
      ).toEqual(['foo-1.4', 'tool-2.0']);
    console.log(
      JSON.stringify({
        store: 'postgres',
        controllers: 2,
        sites: SITES,
        transactions: journal.figures.transactions,
        jobs: journal.figures.jobs,
        byController: [...controllers].map((k) => records.filter((r) => r.type === 'submitted' && records.some((x) => x.type === 'begin' && x.txid === r.txid && x.controller === k)).length),
      }),
    );
  });
});
