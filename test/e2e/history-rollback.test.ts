// Issue 18, item 6: rollback and history read right. rollback --dry-run
// writes the script and says it rolled nothing back; history files a
// rollback under the tag it restored (not HEAD's); history --tags marks a
// restore point that never passed its checks; a rollback to a commit works;
// `history <txid>` shows one transaction in full; and `history --json` is
// what serve's /api/history answers.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { git } from '../helpers/tmp.js';
import { startServe } from '../helpers/serve.js';

describe('rollback and history read right', () => {
  it('files, marks, details and serves transactions as they happened', { timeout: 120_000 }, async () => {
    const f = makeFleet(['A'], 'packages:\n  - foo-1.2\n');
    const run = (...a: string[]) =>
      bin([...a, '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
    git(f.repo, 'tag', 'v1');
    expect((await run('apply')).code).toBe(0);
    const v1 = git(f.repo, 'rev-parse', 'v1');
    // v2 installs, but its check fails: a restore point that was never validated.
    f.commit("packages:\n  - foo-1.4\n  - tool\nchecks:\n  - { name: never, run: 'false' }\n", 'v2');
    git(f.repo, 'tag', 'v2');
    expect((await run('apply')).code).toBe(1);
    f.commit('packages:\n  - tool\n', 'v3');
    git(f.repo, 'tag', 'v3');
    expect((await run('apply')).code).toBe(0);

    const tags = (await run('history', '--tags')).stdout;
    expect(tags).toMatch(/^v1 \([0-9a-f]{12}\):\n {2}A: restorable \(tx-[^,)]+\)$/m);
    expect(tags).toMatch(
      /^v2 \([0-9a-f]{12}\):\n {2}A: restorable \(tx-[^,]+, NEVER VALIDATED: its checks did not pass\)$/m,
    );
    const tagsJson = JSON.parse((await run('history', '--tags', '--json')).stdout);
    expect(tagsJson.find((t: { tag: string }) => t.tag === 'v2').sites[0]).toMatchObject({ validated: false });

    const dry = await run('rollback', 'v1', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      /Rollback to v1 \([0-9a-f]{12}\): 0 rolled back, 1 dry-run \(job scripts in state\/jobs\/dry-run\/\), 0 failed/,
    );
    expect(existsSync(path.join(f.state, 'jobs', 'dry-run', 'A.sh'))).toBe(true);
    // A commit serves as well as a tag.
    const byCommit = await run('rollback', v1.slice(0, 12), '--dry-run');
    expect(byCommit.code, byCommit.stdout + byCommit.stderr).toBe(0);
    expect(byCommit.stdout).toMatch(/1 dry-run/);

    expect((await run('rollback', 'v1')).code).toBe(0);
    expect(readdirSync(f.sites.A!.dbdir).filter((n) => !n.startsWith('.'))).toEqual(['foo-1.2']);
    const history = (await run('history')).stdout;
    const line = history.split('\n').find((l) => / A rollback /.test(l))!;
    expect(line).toMatch(new RegExp(` A rollback succeeded ${v1.slice(0, 12)} \\[v1\\] tx-`));
    const entries = JSON.parse((await run('history', '--json')).stdout);
    expect(entries[0]).toMatchObject({
      kind: 'rollback',
      revision: v1,
      tags: ['v1'],
      rollback: { tag: 'v1', commit: v1 },
    });

    const txid = entries[0].txid as string;
    const detail = await run('history', txid);
    expect(detail.code).toBe(0);
    expect(detail.stdout).toMatch(
      new RegExp(
        `^Transaction ${txid}\\n {2}site: +A\\n {2}what: +rollback to v1 \\(${v1.slice(0, 12)}\\), run at [0-9a-f]{12} \\[v3\\]\\n {2}status: +succeeded`,
      ),
    );
    expect(detail.stdout).toMatch(/^ {2}[~+] (downgrade|install) .*foo-1\.2: done/m);
    expect(detail.stdout).toMatch(/^Packages after: 1 \(foo-1\.2\)$/m);
    const detailJson = JSON.parse((await run('history', txid, '--json')).stdout);
    expect(detailJson).toMatchObject({ txid, transaction: { begin: { type: 'begin' }, end: { status: 'succeeded' } } });
    const unknown = await run('history', 'tx-nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no transaction 'tx-nope' in the journal/);

    // serve's /api/history: the same entries, in the same order.
    const served = await startServe(['--desired', f.desired, '--state', f.state]);
    try {
      expect(await (await fetch(`${served.base}/api/history`)).json()).toEqual(entries);
    } finally {
      await served.stop();
    }
  });
});
