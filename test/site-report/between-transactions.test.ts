// A site's report, or an imported listing, arriving while the site's
// transaction runs is serialised with it (issue 19, item 11a): it becomes the
// site's observation only between transactions — not while a controller
// holds the site's lock, nor while the journal has a transaction of the site
// without an end — and is kept as history meanwhile. Real files in a temp
// state directory; the "controller" is a second FileState over the same
// directory holding the lock as a run does.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acceptReport, type CollectorContext } from '../../src/site-report/collector.js';
import { sign } from '../../src/site-report/signature.js';
import { encodeReport } from '../../src/site-report/wire.js';
import { FileState } from '../../src/state/file-stores.js';
import type { BeginRecord, EndRecord } from '../../src/state/records.js';
import { cli } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET = 'a'.repeat(20) + '0123456789abcdef0123456789abcdef';
const begin: BeginRecord = {
  type: 'begin',
  txid: 'tx-A-1',
  at: new Date().toISOString(),
  site: 'A',
  kind: 'apply',
  revision: 'c1',
  tags: [],
  plan: { site: 'A', status: 'ok', actions: [], kept: [], errors: [] },
  nonce: 'n',
  controller: 'elsewhere:1',
  timeLimit: 600,
};
const end: EndRecord = { type: 'end', txid: 'tx-A-1', at: new Date().toISOString(), site: 'A', status: 'succeeded' };

let seq = 0;
function report(ctx: CollectorContext, listing: string) {
  const body = encodeReport(listing, listing);
  const s = sign(SECRET, 'A', body, Math.floor(Date.now() / 1000), `nonce-${seq++}-${'x'.repeat(16)}`);
  return acceptReport(ctx, {
    site: 'A',
    body,
    remote: '127.0.0.1',
    headers: { timestamp: s.timestamp, nonce: s.nonce, signature: s.signature },
  });
}

const observed = (dir: string) =>
  existsSync(path.join(dir, 'observed', 'A.json'))
    ? (
        JSON.parse(readFileSync(path.join(dir, 'observed', 'A.json'), 'utf8')) as { packages: { pkgname: string }[] }
      ).packages.map((p) => p.pkgname)
    : undefined;

describe('a site report during the site transaction', () => {
  it('is history only while the lock is held or the transaction is open, and the observation after', async () => {
    const dir = tempDir();
    const controller = new FileState(dir);
    const ctx = (): CollectorContext => ({
      stateDir: dir,
      state: new FileState(dir),
      secrets: new Map([['A', SECRET]]),
      knownSites: new Set(['A']),
      now: new Date(),
    });
    const release = (await controller.locks.acquire('A', 'apply', { timeoutMs: 0 }))!;
    await controller.journal.append(begin);

    const during = await report(ctx(), 'foo-1.0 Foo\n');
    expect(during.code).toBe(200);
    expect(during.message).toMatch(
      /^A: stored 1 packages .* as history only \(a transaction is running at the site: \S+ holds the site \(apply\) since /,
    );
    expect(observed(dir)).toBeUndefined();
    expect(readdirSync(path.join(dir, 'reports', 'A'))).toHaveLength(1);

    // The controller died: its lock is gone, its transaction is still open (the next run resumes it).
    await release();
    const open = await report(ctx(), 'foo-1.1 Foo\n');
    expect(open.message).toMatch(
      /as history only \(.*transaction tx-A-1 \(apply, begun .* by elsewhere:1\) has not ended/,
    );
    expect(observed(dir)).toBeUndefined();

    await controller.journal.append(end);
    const after = await report(ctx(), 'foo-1.2 Foo\n');
    expect(after.message).not.toMatch(/history only/);
    expect(observed(dir)).toEqual(['foo-1.2']);
    expect(readdirSync(path.join(dir, 'reports', 'A'))).toHaveLength(3);
    // The lock the report took is let go.
    expect(await controller.locks.holder('A')).toBeUndefined();
  });

  it('observe --import refuses while the transaction runs, storing nothing, and stores after', async () => {
    const f = makeFleet(['A'], 'packages: []\n');
    const listing = path.join(f.root, 'A.pkg_info');
    writeFileSync(listing, 'tool-2.0 A tool\n');
    const controller = new FileState(f.state);
    const release = (await controller.locks.acquire('A', 'apply', { timeoutMs: 0 }))!;
    await controller.journal.append(begin);
    const args = ['observe', '--desired', f.desired, '--state', f.state, '--site', 'A', '--import', listing];

    const during = await cli(args);
    expect([during.code, during.stdout]).toEqual([1, '']);
    expect(during.stderr).toMatch(
      /^reconcile: A: nothing stored: \S+ holds the site \(apply\) since .*; import it again/,
    );
    await release();
    expect((await cli(args)).stderr).toMatch(/nothing stored: transaction tx-A-1 \(apply, .*\) has not ended/);
    expect(observed(f.state)).toBeUndefined();

    await controller.journal.append(end);
    const after = await cli(args);
    expect(after.code).toBe(0);
    expect(observed(f.state)).toEqual(['tool-2.0']);
  });
});
