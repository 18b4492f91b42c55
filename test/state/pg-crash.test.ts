// The crash test against the PostgreSQL state (issue 13 §4): real
// `reconcile apply` processes over 20 emulated sites with slow jobs, each
// round SIGKILLed at a seeded moment and restarted, the journal, holds and
// site locks in a real PostgreSQL. After every round the same invariants as
// the file store's crash test (test/hardening/crash.test.ts): one begin per
// transaction, at most one submitted and one end record, none left open
// after the restart, no job ran twice or unjournalled, no two jobs
// overlapped at a site, and the fleet has converged.
//
// Sized for CI (the whole suite must stay well inside its time): 51 rounds
// in 3 lanes (about two minutes on an idle machine; 60 took 483 s at load 20+). PG_CRASH_ROUNDS, PG_CRASH_LANES and
// PG_CRASH_SEED change the run; a failure names the seed, lane and round.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import { jobProblems, recordProblems } from '../hardening/fleet-invariants.js';
import { bin, repoRoot } from '../helpers/cli.js';
import type { Fleet } from '../helpers/fleet.js';
import { commitSites, laneFleet, observationProblems, roundSpec, SITES, type RoundSpec } from '../hardening/crash-rounds.js';
import { pgServer } from './pg-server.js';

const ROUNDS = Number(process.env.PG_CRASH_ROUNDS ?? 51);
const LANES = Number(process.env.PG_CRASH_LANES ?? 3);
const SEED = Number(process.env.PG_CRASH_SEED ?? 20261203);
const server = await pgServer();
afterAll(() => server?.close());

async function records(db: pg.Pool): Promise<JournalRecord[]> {
  return (await db.query<{ record: JournalRecord }>('SELECT record FROM vo_reconcile_journal ORDER BY seq')).rows.map(
    (r) => r.record,
  );
}

async function count(db: pg.Pool): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM vo_reconcile_journal')).rows[0]!.n);
}

/** Start apply against the database and SIGKILL it as the spec says; false when it exited by itself first. */
function killedApply(f: Fleet, env: NodeJS.ProcessEnv, db: pg.Pool, spec: RoundSpec, before: number): Promise<boolean> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'dist/cli/main.js'), 'apply', '--desired', f.desired, '--concurrency', String(SITES)],
    { env: { ...process.env, ...env }, stdio: 'ignore' },
  );
  let timer: NodeJS.Timeout | undefined;
  let watching = spec.anchor === 'first record';
  const kill = () => (timer = setTimeout(() => child.kill('SIGKILL'), spec.killAfterMs));
  if (!watching) kill();
  const watch = async () => {
    while (watching) {
      if ((await count(db).catch(() => before)) > before) {
        watching = false;
        kill();
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  void watch();
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      watching = false;
      clearTimeout(timer);
      resolve(code === null);
    }),
  );
}

async function convergenceProblems(f: Fleet, env: NodeJS.ProcessEnv): Promise<string[]> {
  const problems = await observationProblems(f);
  // As a process: VO_RECONCILE_LOCAL_STATE (the observations) is per lane; the holds come from the database.
  const plan = await bin(['plan', '--desired', f.desired, '--worktree', '--detailed-exitcode'], { env });
  if (plan.code !== 0)
    problems.push(`the plan after the round is not empty (exit ${plan.code}):\n${plan.stdout}${plan.stderr}`);
  return problems;
}

interface LaneFigures {
  rounds: number;
  killedWhileOpen: number;
  resumed: number;
  transactions: number;
  jobs: number;
}

async function runLane(lane: number, specs: readonly RoundSpec[]): Promise<LaneFigures> {
  const { f, prefixes, variant } = await laneFleet();
  const url = await server!.newDatabase();
  const env = {
    VO_RECONCILE_STATE: url,
    VO_RECONCILE_LOCAL_STATE: f.state,
    RECONCILE_LOCK_LEASE_MS: '2000',
    VO_EMULATOR_LOG: f.log,
  };
  expect((await bin(['state', 'init'], { env })).code).toBe(0);
  const db = new pg.Pool({ connectionString: url, max: 2 });
  const figures: LaneFigures = { rounds: 0, killedWhileOpen: 0, resumed: 0, transactions: 0, jobs: 0 };
  try {
    for (const [round, spec] of specs.entries()) {
      const where = `seed ${SEED}, lane ${lane}, round ${round} (${JSON.stringify(spec)})`;
      for (const c of spec.changes) variant[c.site] = c.variant;
      commitSites(f, variant, `round ${round}`);
      const before = await count(db);
      const killed = await killedApply(f, env, db, spec, before);
      const afterKill = recordProblems(await records(db));
      expect(afterKill.problems, `after the kill, ${where}`).toEqual([]);
      if (killed && afterKill.figures.open.length > 0) figures.killedWhileOpen++;

      const restart = await bin(['apply', '--desired', f.desired, '--concurrency', String(SITES)], { env });
      expect(restart.code, `restart, ${where}:\n${restart.stdout}${restart.stderr}`).toBe(0);
      if (/: resuming: /.test(restart.stdout)) figures.resumed++;
      const all = await records(db);
      const after = recordProblems(all);
      const problems = [
        ...after.problems,
        ...after.figures.open.map((t) => `${t} is still open after the restart`),
        ...jobProblems(f.state, f.log, all, prefixes),
        ...(existsSync(path.join(f.state, 'journal.jsonl')) ? ['a journal file was written beside the database'] : []),
        ...(await convergenceProblems(f, env)),
      ];
      expect(problems, `after the restart, ${where}`).toEqual([]);
      figures.rounds++;
      figures.transactions = after.figures.transactions;
      figures.jobs = after.figures.jobs;
    }
  } finally {
    await db.end();
  }
  return figures;
}

describe.skipIf(!server)('crash test, PostgreSQL state', () => {
  it(`survives ${ROUNDS} rounds of SIGKILL and restart over ${LANES} fleets of ${SITES} sites`, async () => {
    const specs = fc.sample(roundSpec, { seed: SEED, numRuns: ROUNDS });
    const started = Date.now();
    const lanes = await Promise.all(
      Array.from({ length: LANES }, (_, l) =>
        runLane(
          l,
          specs.filter((_, i) => i % LANES === l),
        ),
      ),
    );
    const sum = (k: keyof LaneFigures) => lanes.reduce((a, l) => a + l[k], 0);
    console.log(
      JSON.stringify({
        store: 'postgres',
        seed: SEED,
        lanes: LANES,
        sites: SITES,
        rounds: sum('rounds'),
        killedWithTransactionsOpen: sum('killedWhileOpen'),
        restartsThatResumedAJob: sum('resumed'),
        transactions: sum('transactions'),
        jobs: sum('jobs'),
        wallSeconds: Math.round((Date.now() - started) / 1000),
      }),
    );
    expect(sum('rounds')).toBe(ROUNDS);
    // Kills that never caught a transaction open, or restarts that never resumed a job, have tested nothing.
    if (ROUNDS >= 50) {
      expect(sum('killedWhileOpen')).toBeGreaterThanOrEqual(Math.floor(ROUNDS / 5));
      expect(sum('resumed')).toBeGreaterThanOrEqual(Math.floor(ROUNDS / 10));
    }
  }, 600_000);
});
