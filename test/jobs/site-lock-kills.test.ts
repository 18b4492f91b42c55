// The site lock survives a job stopped at any point of taking, breaking or
// releasing it. Stand-ins for mkdir, mv, rm and date, first on the job's
// PATH, signal the job's whole process group just before or after the real
// command runs at a chosen point. A TERM (a backend's cancel) must leave no
// lock behind; a KILL may, and the next jobs must then see it as busy while
// it is young and break it once it is older than a lease, whether or not
// its owner file was written.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/jobs/job-spec.js';
import { parseJobOutput } from '../../src/jobs/parse-output.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { tempDir } from '../helpers/tmp.js';

const LOCK = '.vo-reconcile.lock';

/** Where to stop the job: which command, with an argument matching `arg`, before or after it runs. */
interface Point {
  name: string;
  tool: 'mkdir' | 'mv' | 'rm' | 'date';
  arg: string;
  when: 'before' | 'after';
  /** The job first finds a stale lock there (so it breaks one). */
  stale?: boolean;
  /** Stop at the n-th matching command (default the first). */
  nth?: number;
  /** A copy of an earlier lock, moved away and not yet removed, is there: taking the lock removes it (the only rm then). */
  gone?: boolean;
}

const POINTS: Point[] = [
  { name: 'taking: lock made, owner not yet written', tool: 'mkdir', arg: `/${LOCK}$`, when: 'after' },
  { name: 'taking: while asking the time for the owner', tool: 'date', arg: '^\\+%s$', when: 'before' },
  { name: 'taking: owner written', tool: 'rm', arg: `${LOCK}\\.gone\\.tx-old`, when: 'before', gone: true },
  { name: 'breaking: break lock made', tool: 'mkdir', arg: `${LOCK}\\.break$`, when: 'after', stale: true },
  { name: 'breaking: stale lock moved away', tool: 'mv', arg: '\\.broken$', when: 'after', stale: true },
  { name: 'breaking: new lock made', tool: 'mkdir', arg: `/${LOCK}$`, when: 'after', stale: true, nth: 2 },
  { name: 'releasing: before the lock is moved away', tool: 'mv', arg: '\\.released$', when: 'before' },
  { name: 'releasing: lock moved away, not yet removed', tool: 'mv', arg: '\\.released$', when: 'after' },
];

/** A site with stub pkgsrc tools, and a PATH whose mkdir/mv/rm/date can stop a job. */
function makeSite() {
  const root = tempDir();
  const sw = path.join(root, 'sw');
  const sbin = path.join(sw, 'pkg', 'sbin');
  mkdirSync(sbin, { recursive: true });
  for (const t of ['pkg_info', 'pkg_admin']) writeFileSync(path.join(sbin, t), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const shims = path.join(root, 'shims');
  mkdirSync(shims);
  for (const tool of ['mkdir', 'mv', 'rm', 'date']) {
    const real = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    // Signals the group of the job (its leader's pid is in $STOP_GROUP), never anything else.
    writeFileSync(
      path.join(shims, tool),
      `#!/bin/sh
stop() { [ -s "$STOP_GROUP" ] && kill -"$STOP_SIGNAL" -"$(cat "$STOP_GROUP")"; }
hit=0
if [ "\${STOP_TOOL:-}" = ${tool} ]; then
  for a in "$@"; do if printf '%s\\n' "$a" | grep -Eq -- "$STOP_ARG"; then hit=1; fi; done
fi
if [ "$hit" = 1 ]; then
  echo x >> "$STOP_GROUP.hits"
  [ "$(wc -l < "$STOP_GROUP.hits")" -eq "$STOP_NTH" ] || hit=0
fi
if [ "$hit" = 1 ] && [ "$STOP_WHEN" = before ]; then stop; fi
${real} "$@"
rc=$?
if [ "$hit" = 1 ] && [ "$STOP_WHEN" = after ]; then stop; fi
exit "$rc"
`,
      { mode: 0o755 },
    );
  }
  let n = 0;
  /** Run one probe job at the site; `stop` stops it at a point, with a signal. */
  const run = (stop?: { point: Point; signal: 'KILL' | 'TERM' }) => {
    const txid = `tx-${++n}`;
    const spec: JobSpec = {
      txid,
      nonce: 'n0nce0',
      site: 'S',
      swArea: sw,
      prefix: path.join(sw, 'pkg'),
      pkgPath: '/srv/packages/All',
      lease: 60,
      controller: 'test:1',
      actions: [],
      probe: true,
    };
    const file = path.join(root, `${txid}.sh`);
    writeFileSync(file, renderJobScript(spec));
    const group = path.join(root, `${txid}.group`);
    // setsid: the job leads a process group of its own, which is all a stand-in may signal.
    const r = spawnSync('setsid', ['-w', 'sh', '-c', `echo $$ > ${group}; exec sh ${file}`], {
      encoding: 'utf8',
      timeout: 20_000,
      env: {
        ...process.env,
        PATH: `${shims}:${process.env.PATH}`,
        STOP_GROUP: group,
        ...(stop && {
          STOP_TOOL: stop.point.tool,
          STOP_ARG: stop.point.arg,
          STOP_WHEN: stop.point.when,
          STOP_SIGNAL: stop.signal,
          STOP_NTH: String(stop.point.nth ?? 1),
        }),
      },
    });
    const parsed = parseJobOutput(r.stdout, 'n0nce0');
    return { txid, rc: r.status, signal: r.signal, stdout: r.stdout, parsed };
  };
  const leftovers = () =>
    readdirSync(sw)
      .filter((f) => f.startsWith(LOCK))
      .sort();
  /** Make the lock (and a break lock) look two hours old, as after a job killed long ago. */
  const age = () => {
    const old = Date.now() / 1000 - 7200;
    for (const f of leftovers()) {
      const owner = path.join(sw, f, 'owner');
      try {
        writeFileSync(
          owner,
          readFileSync(owner, 'utf8').replace(/ time=(\d+)/, (_, t: string) => ` time=${Number(t) - 7200}`),
        );
      } catch {
        // No owner file: the directory's own age is all there is.
      }
      utimesSync(path.join(sw, f), old, old);
    }
  };
  /** A lock left by a job that was killed long ago, owner file and all. */
  const plantStale = () => {
    mkdirSync(path.join(sw, LOCK));
    writeFileSync(
      path.join(sw, LOCK, 'owner'),
      `controller=gone:1 txn=tx-old  time=${Math.floor(Date.now() / 1000) - 7200} lease=60\n`,
    );
  };
  /** What a job killed between moving its lock away and removing it leaves. */
  const plantGone = () => {
    mkdirSync(path.join(sw, `${LOCK}.gone.tx-old.1.released`));
    writeFileSync(path.join(sw, `${LOCK}.gone.tx-old.1.released`, 'owner'), 'controller=gone:1 txn=tx-old \n');
  };
  const plant = (point: Point) => {
    if (point.stale) plantStale();
    if (point.gone) plantGone();
  };
  return { sw, run, leftovers, age, plant, plantStale };
}

describe('the site lock, the job stopped while it takes, breaks or releases it', () => {
  it.each(POINTS)('TERM, $name: the job says killed and leaves no lock', (point) => {
    const site = makeSite();
    site.plant(point);
    const r = site.run({ point, signal: 'TERM' });
    expect({ rc: r.rc, status: r.parsed.status }, r.stdout).toEqual({ rc: 143, status: 'killed' });
    expect(site.leftovers()).toEqual([]);
    const next = site.run();
    expect(next.parsed.status, next.stdout).toBe('ok');
  });

  it.each(POINTS)('KILL, $name: busy while young, broken once older than its lease', (point) => {
    const site = makeSite();
    site.plant(point);
    const r = site.run({ point, signal: 'KILL' });
    expect(r.signal ?? r.rc, r.stdout).not.toBe(0);
    expect(r.parsed.status).toBeUndefined();
    const held = site.leftovers().includes(LOCK);
    const next = site.run();
    if (held) {
      expect({ rc: next.rc, status: next.parsed.status }, next.stdout).toEqual({ rc: 75, status: 'busy' });
      expect(next.parsed.notes).toEqual([
        expect.stringMatching(/^busy (controller=test:1 txn=tx-1 |controller=gone:1 txn=tx-old |owner unknown$)/),
      ]);
      site.age();
      const after = site.run();
      expect({ rc: after.rc, status: after.parsed.status }, after.stdout).toEqual({ rc: 0, status: 'ok' });
      expect(after.parsed.notes).toEqual([
        expect.stringMatching(
          /^stale-lock (controller=test:1 txn=tx-1 |controller=gone:1 txn=tx-old |owner unknown, unchanged for \d+ s$)/,
        ),
      ]);
    } else {
      expect({ rc: next.rc, status: next.parsed.status }, next.stdout).toEqual({ rc: 0, status: 'ok' });
    }
    // Nothing of the lock is left but, at most, a break lock the next break will clear by its age.
    expect(site.leftovers().filter((f) => f !== `${LOCK}.break`)).toEqual([]);
  });

  it('clears a break lock left by a job killed while breaking, once it is older than a lease', () => {
    const site = makeSite();
    site.plantStale();
    mkdirSync(path.join(site.sw, `${LOCK}.break`));
    expect(site.run().parsed.status).toBe('busy');
    site.age();
    const r = site.run();
    expect(r.parsed.status, r.stdout).toBe('ok');
    expect(r.parsed.notes).toEqual([expect.stringMatching(/^stale-lock controller=gone:1 txn=tx-old /)]);
    expect(site.leftovers()).toEqual([]);
  });
});
