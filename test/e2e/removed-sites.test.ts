// Open transactions of a site removed from sites.yaml (issue 19, item 11d):
// a controller is SIGKILLed while GONE's job runs, then GONE leaves
// sites.yaml. No run resumes it (runs go over sites.yaml's sites), so the
// next apply closes it: an end record saying why, in the journal and the
// history, and a line in the run's summary; the run after has nothing left.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import { setFaults } from '../emulator/index.js';
import { bin, cli, repoRoot } from '../helpers/cli.js';
import { makeFleet, type Fleet } from '../helpers/fleet.js';

/** The killed controller's site locks are broken after this (the shortest lease allowed). */
const ENV = { RECONCILE_LOCK_LEASE_MS: '2000' };

function journal(f: Fleet): JournalRecord[] {
  const file = path.join(f.state, 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as JournalRecord);
}

/** Start apply and SIGKILL it once GONE's job id is journalled. */
async function killedWhileGoneRuns(f: Fleet): Promise<void> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'dist/cli/main.js'), 'apply', '--desired', f.desired, '--state', f.state],
    { env: { ...process.env, ...ENV, VO_EMULATOR_LOG: f.log }, stdio: 'ignore' },
  );
  const exited = new Promise((r) => child.once('exit', r));
  const gone = () =>
    journal(f).some(
      (r) =>
        r.type === 'submitted' && journal(f).some((b) => b.type === 'begin' && b.txid === r.txid && b.site === 'GONE'),
    );
  for (let i = 0; i < 600 && !gone(); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await exited;
}

describe('a site removed from sites.yaml with a transaction open', () => {
  it('has it closed by the next apply, journalled and said in the summary', { timeout: 120_000 }, async () => {
    const f = makeFleet(['A', 'GONE'], 'packages:\n  - tool\n');
    setFaults(f.sites.GONE!.prefix, { delayMs: 20_000 });
    // Known to be empty: each site's first job is its apply job, and GONE's stays in pkg_add.
    const empty = path.join(f.root, 'empty.pkg_info');
    writeFileSync(empty, '');
    for (const n of ['A', 'GONE'])
      expect(
        (await cli(['observe', '--desired', f.desired, '--state', f.state, '--site', n, '--import', empty])).code,
      ).toBe(0);
    await killedWhileGoneRuns(f);
    const open = journal(f).find((r) => r.type === 'begin' && r.site === 'GONE')!;
    expect(journal(f).some((r) => r.type === 'end' && r.txid === open.txid)).toBe(false);

    const onlyA = `sites:\n  - { name: A, sw_area: ${f.sites.A!.swArea}, platform: x86_64-el9, pkg_path: ${f.pkgPath}, profiles: [p] }\n`;
    f.commit('packages:\n  - tool\n', 'GONE leaves', onlyA);
    const run = (...args: string[]) =>
      bin([...args, '--desired', f.desired, '--state', f.state], { env: { ...ENV, VO_EMULATOR_LOG: f.log } });
    const next = await run('apply');
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(
      /GONE: closed: tx-\S+ \(apply, begun \S+\): closed without following it: GONE is no longer in sites\.yaml/,
    );
    expect(next.stdout).toMatch(
      new RegExp(
        `^Closed 1 open transaction of sites no longer in sites\\.yaml \\(journalled as failed, jobs not cancelled\\): GONE ${open.txid}\\.$`,
        'm',
      ),
    );
    const end = journal(f).find((r) => r.type === 'end' && r.txid === open.txid);
    expect(end).toMatchObject({
      site: 'GONE',
      status: 'failed',
      reason: expect.stringMatching(
        /no longer in sites\.yaml at [0-9a-f]{40}; nothing was cancelled there — job \S+ \(local\) may still run/,
      ),
    });
    const history = JSON.parse((await run('history', '--json', '--site', 'GONE')).stdout);
    expect(history[0]).toMatchObject({ txid: open.txid, status: 'failed' });

    const json = JSON.parse((await run('apply', '--json')).stdout);
    expect(json.removed).toBeUndefined();
    expect(journal(f).filter((r) => r.type === 'end' && r.txid === open.txid)).toHaveLength(1);
  });
});
