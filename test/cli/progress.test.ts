// Issue 18, item 8: a run is not silent between "submitted" and "finished".
// Without a terminal, a line per state change (the job queued, running);
// on a terminal also a live count on stderr; Ctrl-C says the submitted jobs
// go on and how the next run resumes them.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveLine, progressPrinter } from '../../src/cli/progress.js';
import type { SiteEvent } from '../../src/run/context.js';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';

describe('progress of a run', () => {
  it('counts the sites by where they are', () => {
    const phases = new Map([
      ['A', 'done'],
      ['B', 'running'],
      ['C', 'queued'],
      ['D', 'waiting'],
    ] as const);
    expect(liveLine(phases, 1, 5, 12_400)).toBe('1/5 sites done · 1 running · 1 queued · 1 failed · 12s');
  });

  it('stops only once every site is done, counting a site that ends twice once', () => {
    const drawn: string[] = [];
    const io = { out: () => undefined, err: (l: string) => drawn.push(l), isTTY: true };
    const listeners = process.listenerCount('SIGINT');
    const p = progressPrinter(io, 2, false);
    const ev = (site: string, kind: SiteEvent['kind'], status?: SiteEvent['status']): void =>
      p.emit({ site, kind, detail: kind === 'job-state' ? 'job running' : '', ...(status ? { status } : {}) });
    ev('A', 'submitted');
    ev('A', 'done', 'changed');
    ev('A', 'released');
    ev('A', 'done', 'failed');
    expect(drawn.at(-1)).toContain('1/2 sites done · 0 running · 0 queued · 1 failed');
    expect(process.listenerCount('SIGINT')).toBe(listeners + 1);
    ev('B', 'job-state');
    expect(drawn.at(-1)).toContain('1/2 sites done · 1 running');
    ev('B', 'done', 'changed');
    expect(drawn.at(-1)).toContain('2/2 sites done · 0 running');
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });

  it('prints a line per state change of the job without a terminal', { timeout: 60_000 }, async () => {
    const f = makeFleet(['A'], 'packages:\n  - tool\n', { faults: { delayMs: 1500 } });
    const r = await bin(['apply', '--desired', f.desired, '--state', f.state], { env: { VO_EMULATOR_LOG: f.log } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => / A: /.test(l));
    const kinds = lines.map((l) => /A: (\w[\w-]*)/.exec(l)?.[1]);
    expect(kinds).toContain('submitted');
    expect(lines.some((l) => /A: job-state: job (running|queued)/.test(l))).toBe(true);
    expect(kinds.indexOf('submitted')).toBeLessThan(lines.findIndex((l) => /job-state/.test(l)));
    expect(r.stderr).toBe('');
  });

  it('draws the live count on a terminal, and says what Ctrl-C leaves behind', { timeout: 60_000 }, async () => {
    const f = makeFleet(['A', 'B'], 'packages:\n  - tool\n', { faults: { delayMs: 3000 } });
    const cmd = [
      process.execPath,
      path.join(repoRoot, 'dist/cli/main.js'),
      'apply',
      '--desired',
      f.desired,
      '--state',
      f.state,
      '--yes',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      env: { ...process.env, TERM: 'xterm' },
      encoding: 'utf8',
    });
    expect(tty.stdout).toMatch(/\d\/2 sites done · \d running · \d queued · 0 failed · \d+s/);

    f.commit('packages:\n  - tool\n  - libz\n', 'more');
    const child = spawn(process.execPath, [
      path.join(repoRoot, 'dist/cli/main.js'),
      'apply',
      '--desired',
      f.desired,
      '--state',
      f.state,
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 200 && !/submitted/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const signal = await new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
    expect(signal).toBe('SIGINT');
    expect(err).toMatch(
      /interrupted: \d+ submitted jobs? go(es)? on at the sites?; the journal has every job id, so the next 'reconcile apply' \(or rollback\) waits for them instead of submitting again/,
    );
    const again = await bin(['apply', '--desired', f.desired, '--state', f.state]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/resuming: waiting for job/);
    expect(again.stdout).toMatch(/Apply: 2 changed, 0 in sync, 0 failed of 2 sites/);
  });
});
