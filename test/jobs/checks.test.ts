// Checks in a real job script under sh, with stub package tools: they run
// as written after the actions, each framed as its own step, within their
// time limits (with and without timeout(1) on the PATH), and nothing a
// check prints can pass for another step's result.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobCheck, JobSpec } from '../../src/jobs/job-spec.js';
import { parseJobOutput } from '../../src/jobs/parse-output.js';
import { renderJobScript } from '../../src/jobs/render-script.js';
import { tempDir } from '../helpers/tmp.js';

const NONCE = '0123456789abcdef';

interface Run {
  code: number | null;
  stdout: string;
  steps: Record<string, { rc?: number; output: string[] }>;
  status?: string;
  labels: string[];
}

function runJob(checks: JobCheck[], opts: { actionFails?: boolean; env?: Record<string, string> } = {}): Run {
  const dir = tempDir();
  const sw = path.join(dir, 'sw');
  const prefix = path.join(sw, 'pkg');
  mkdirSync(path.join(prefix, 'sbin'), { recursive: true });
  for (const t of ['pkg_delete', 'pkg_info', 'pkg_admin'])
    writeFileSync(path.join(prefix, 'sbin', t), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  writeFileSync(
    path.join(prefix, 'sbin', 'pkg_add'),
    `#!/bin/sh\necho "pkg_add $*"\nexit ${opts.actionFails ? 1 : 0}\n`,
    { mode: 0o755 },
  );
  const spec: JobSpec = {
    txid: 'tx-1',
    nonce: NONCE,
    site: 'S',
    swArea: sw,
    prefix,
    pkgPath: '/srv/packages/All',
    lease: 600,
    controller: 'c:1',
    expected: [],
    actions: [{ action: 'install', name: 'foo', pkgname: 'foo-1.0', reason: 'wanted' }],
    checks,
  };
  const file = path.join(dir, 'job.sh');
  writeFileSync(file, renderJobScript(spec));
  const r = spawnSync('sh', [file], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...opts.env },
  });
  const parsed = parseJobOutput(r.stdout, NONCE);
  const steps = Object.fromEntries(
    parsed.steps.map((s) => [s.label, { ...(s.rc !== undefined ? { rc: s.rc } : {}), output: s.output }]),
  );
  return {
    code: r.status,
    stdout: r.stdout,
    steps,
    ...(parsed.status ? { status: parsed.status } : {}),
    labels: parsed.steps.map((s) => s.label),
  };
}

/** A PATH with everything the job needs but timeout(1): the portable fallback must do. */
function pathWithoutTimeout(): string {
  const bin = path.join(tempDir(), 'bin');
  mkdirSync(bin);
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (!existsSync(d)) continue;
    for (const n of readdirSync(d)) {
      if (n === 'timeout' || existsSync(path.join(bin, n))) continue;
      symlinkSync(path.join(d, n), path.join(bin, n));
    }
  }
  return bin;
}

describe('checks in the job script', () => {
  it('runs every check after the actions and before the final listing; a failing one fails the job', () => {
    const r = runJob([
      { name: 'ok', run: "echo 'all good'", timeout: 10 },
      { name: 'bad', run: 'echo "numpy missing" >&2; exit 3', timeout: 10 },
      { name: 'after', run: 'echo still ran', timeout: 10 },
    ]);
    expect(r.code).toBe(1);
    expect(r.status).toBe('failed');
    expect(r.labels).toEqual([
      'preflight',
      'lock',
      'bootstrap',
      'version',
      'precheck',
      'audit',
      'action 1 install foo-1.0',
      'check ok',
      'check bad',
      'check after',
      'inventory',
      'inventory-u',
      'inventory-n',
    ]);
    expect(r.steps['check ok']).toEqual({ rc: 0, output: ['all good'] });
    expect(r.steps['check bad']).toEqual({ rc: 3, output: ['numpy missing'] });
    expect(r.steps['check after']).toEqual({ rc: 0, output: ['still ran'] });
    expect(r.stdout).toContain(`@@vo:${NONCE} unlocked`);
  });

  it('passes when every check passes', () => {
    const r = runJob([{ name: 'ok', run: 'true', timeout: 10 }]);
    expect(r.code).toBe(0);
    expect(r.status).toBe('ok');
    expect(r.steps['check ok']).toEqual({ rc: 0, output: [] });
  });

  it('runs no check when an action failed', () => {
    const r = runJob([{ name: 'ok', run: 'true', timeout: 10 }], { actionFails: true });
    expect(r.status).toBe('failed');
    expect(r.labels.filter((l) => l.startsWith('check '))).toEqual([]);
  });

  it("runs the text as written: the job's environment, not the controller's, expands it; stdin is closed", () => {
    const r = runJob(
      [
        { name: 'home', run: `printf '%s\\n' "$HOME" "$VO_TXN"; echo "$(echo nested) \`echo ticks\`"`, timeout: 10 },
        { name: 'stdin', run: 'if read -r line; then echo "read: $line"; else echo "no input"; fi', timeout: 10 },
        { name: 'where', run: 'echo "$SW_AREA"; echo "$PREFIX"; command -v pkg_add', timeout: 10 },
      ],
      { env: { HOME: '/job/home dir' } },
    );
    expect(r.steps['check home']).toEqual({ rc: 0, output: ['/job/home dir', 'tx-1', 'nested ticks'] });
    const [sw, prefix, tool] = r.steps['check where']!.output;
    expect([sw!.endsWith('/sw'), prefix, tool]).toEqual([true, `${sw}/pkg`, `${sw}/pkg/sbin/pkg_add`]);
    expect(r.steps['check stdin']).toEqual({ rc: 0, output: ['no input'] });
  });

  it.each([
    ['with timeout(1)', {}],
    ['without timeout(1): the watcher fallback', 'no-timeout'],
  ])('stops a check past its time limit %s', (_how, mode) => {
    const env: Record<string, string> = mode === 'no-timeout' ? { PATH: pathWithoutTimeout() } : {};
    if (mode !== 'no-timeout')
      expect(spawnSync('sh', ['-c', 'command -v timeout']).status, 'timeout(1) on this machine').toBe(0);
    const r = runJob(
      [
        { name: 'slow', run: 'echo started; sleep 30; echo finished', timeout: 1 },
        { name: 'quick', run: 'echo quick; exit 7', timeout: 10 },
      ],
      { env },
    );
    expect(r.status).toBe('failed');
    expect(r.steps['check slow']).toEqual({
      rc: 124,
      output: ['started', 'check stopped: it exceeded its time limit of 1s'],
    });
    expect(r.steps['check quick']).toEqual({ rc: 7, output: ['quick'] });
  });

  it('cannot forge framing: a check printing the nonce marks stays inside its own step', () => {
    const forged = [`@@vo:${NONCE} end check forge 0`, `@@vo:${NONCE} begin check other`, `@@vo:${NONCE} done ok`]
      .map((l) => `echo '${l}'`)
      .join('; ');
    const r = runJob([{ name: 'forge', run: `${forged}; exit 1`, timeout: 10 }]);
    expect(r.status).toBe('failed');
    expect(r.labels.filter((l) => l.startsWith('check '))).toEqual(['check forge']);
    expect(r.steps['check forge']!.rc).toBe(1);
    expect(r.steps['check forge']!.output).toEqual([
      ` @@vo:${NONCE} end check forge 0`,
      ` @@vo:${NONCE} begin check other`,
      ` @@vo:${NONCE} done ok`,
    ]);
  });
});

describe('a job stopped during a check', () => {
  it('stops the check (timeout(1) runs it outside the job group) and releases the site lock', async () => {
    const { spawn } = await import('node:child_process');
    const dir = tempDir();
    const sw = path.join(dir, 'sw');
    const prefix = path.join(sw, 'pkg');
    mkdirSync(path.join(prefix, 'sbin'), { recursive: true });
    for (const t of ['pkg_add', 'pkg_delete', 'pkg_info', 'pkg_admin'])
      writeFileSync(path.join(prefix, 'sbin', t), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const marker = path.join(dir, 'check-still-running');
    const spec: JobSpec = {
      txid: 'tx-1',
      nonce: NONCE,
      site: 'S',
      swArea: sw,
      prefix,
      pkgPath: '/srv/packages/All',
      lease: 600,
      controller: 'c:1',
      expected: [],
      actions: [{ action: 'install', name: 'foo', pkgname: 'foo-1.0', reason: 'wanted' }],
      checks: [{ name: 'long', run: `sleep 2; touch ${marker}; sleep 60`, timeout: 120 }],
    };
    const file = path.join(dir, 'job.sh');
    writeFileSync(file, renderJobScript(spec));
    // Its own process group, as the local backend starts jobs; a cancel signals the group.
    const job = spawn('sh', [file], { cwd: dir, detached: true });
    let out = '';
    job.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => job.on('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!out.includes('begin check long') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    process.kill(-job.pid!, 'SIGTERM');
    expect(await exited).toBe(143);
    const parsed = parseJobOutput(out, NONCE);
    expect(parsed.notes.join('\n') + out).toMatch(/killed/);
    expect(out).toMatch(/unlocked/);
    expect(existsSync(path.join(sw, '.vo-reconcile.lock'))).toBe(false);
    // The check itself was stopped too: it never reaches its second step.
    await new Promise((r) => setTimeout(r, 2500));
    expect(existsSync(marker)).toBe(false);
  });
});
