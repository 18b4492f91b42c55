// Options the user can get wrong are refused with one clear line and exit 2
// (issue 18 §10), and failures outside the user's hands name their cause.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const EXAMPLE = ['--worktree', '--desired', path.join(repoRoot, 'desired-state')];
const OBSERVED = ['--observed', path.join(repoRoot, 'desired-state/examples/observed')];

describe('options refused before anything runs', () => {
  it('refuses an unknown --log-level, naming the valid ones', async () => {
    const r = await cli(['validate', ...EXAMPLE, '--log-level', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "reconcile: --log-level must be one of fatal, error, warn, info, debug, trace, silent; got 'bogus'\n",
    );
  });

  it('refuses --worktree with --rev as contradictory', async () => {
    const r = await cli(['plan', ...EXAMPLE, '--rev', 'HEAD~1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^reconcile: --worktree reads the files as they are and --rev 'HEAD~1' reads a commit; give one of them\n$/,
    );
  });

  it.each([['status'], ['audit']])('refuses an unknown %s --format, naming the valid ones', async (command) => {
    const r = await cli([command, ...EXAMPLE, '--state', tempDir(), '--format', 'pdf']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("reconcile: --format must be text, json or html, got 'pdf'\n");
  });

  it('refuses history --site for a site not in sites.yaml', async () => {
    const r = await cli(['history', ...EXAMPLE, '--state', tempDir(), '--site', 'NOPE']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^reconcile: unknown site 'NOPE'; sites\.yaml has: UKI-NORTHGRID-LIV-HEP, DESY-HH/);
  });

  it('still answers history --site for a known site with no transactions', async () => {
    const r = await cli(['history', ...EXAMPLE, '--state', tempDir(), '--site', 'DESY-HH']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no transactions yet\n');
  });
});

describe('failures name their cause', () => {
  it('says why a catalog URL cannot be fetched', async () => {
    const port = await closedPort();
    const r = await cli(['plan', ...EXAMPLE, ...OBSERVED, '--catalog', `http://127.0.0.1:${port}`]);
    expect(r.stderr).toMatch(new RegExp(`cannot fetch package summary: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    expect(r.stderr).not.toMatch(/fetch failed/);
  });
});

describe('reconcile serve', () => {
  let blocker: Server | undefined;
  afterEach(() => blocker?.close());

  it('says a busy port is busy, in one line, exit 2', async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)),
    );
    const r = await runServe(['--port', String(port)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`reconcile: port ${port} is in use on 127.0.0.1; pick another with --port\n`);
  });

  it('tells a site reporting to a serve without --report-secrets that it takes no reports', async () => {
    const server = startServe();
    try {
      const base = await server.base;
      const res = await fetch(`${base}/api/sites/DESY-HH/inventory`, {
        method: 'POST',
        headers: { 'x-reconcile-timestamp': '1', 'x-reconcile-nonce': 'n', 'x-reconcile-signature': 's' },
        body: '{}',
      });
      const text = await res.text();
      expect(text).toMatch(/this server takes no site reports: it was started without --report-secrets/);
      expect(text).not.toMatch(/unknown site/);
      expect(res.status).toBe(404);
    } finally {
      server.child.kill('SIGTERM');
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function serveArgs(extra: string[]): string[] {
  return [path.join(repoRoot, 'dist/cli/main.js'), 'serve', ...EXAMPLE, '--state', tempDir(), ...extra];
}

function runServe(extra: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, serveArgs(extra), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

function startServe() {
  const child = spawn(process.execPath, serveArgs(['--port', '0']), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const base = new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearInterval(t);
        resolve(m[1]!);
      }
    }, 25);
    child.once('exit', (c) => {
      clearInterval(t);
      reject(new Error(`serve exited ${c}: ${out}`));
    });
  });
  return { child, base };
}
