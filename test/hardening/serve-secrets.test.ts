// No credential contents leave the controller (issue 8 §5): `reconcile
// apply` and `reconcile serve` reconciling a fleet, with a grid proxy file
// and secret-looking variables in their environment, never show them in the
// served HTML, JSON or metrics, their output and logs, or anything written
// under state/ (job scripts and job output included: jobs get a plain
// environment, which a check at each site records and the test reads).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';

const PROXY_SECRET = 'MIIFakeProxyKeyMaterial0x5ec7e7';
const ENV_SECRETS = {
  VO_RECONCILE_TEST_TOKEN: 'tok-5ec7e7-bearer',
  BEARER_TOKEN: 'eyJhbGciOiJub25lIn0.5ec7e7',
  AWS_SECRET_ACCESS_KEY: 'aws-5ec7e7-secret',
};

/** Every file under dir, as text. */
function allFiles(dir: string): { file: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? allFiles(p) : [{ file: p, text: readFileSync(p, 'latin1') }];
  });
}

/** How many sites /api/history shows a succeeded apply of. */
function appliedSites(history: string | undefined): number {
  const txs = JSON.parse(history ?? '[]') as { site: string; kind: string; status: string }[];
  return new Set(txs.filter((t) => t.kind === 'apply' && t.status === 'succeeded').map((t) => t.site)).size;
}

describe('reconcile serve and credentials', () => {
  it('shows no proxy or secret variable contents in responses, logs or state/', async () => {
    // A check at each site writes down the environment the job ran in.
    const f = makeFleet(
      ['A', 'B'],
      'packages:\n  - tool\nchecks:\n  - { name: job-env, run: "env > \\"$SW_AREA/job-env.txt\\"", timeout: 30 }\n',
    );
    const proxy = path.join(f.root, 'x509up_u1000');
    writeFileSync(
      proxy,
      `-----BEGIN CERTIFICATE-----\n${PROXY_SECRET}\n-----END CERTIFICATE-----\n-----BEGIN RSA PRIVATE KEY-----\n${PROXY_SECRET}\n-----END RSA PRIVATE KEY-----\n`,
      { mode: 0o600 },
    );
    const env = { ...ENV_SECRETS, X509_USER_PROXY: proxy, VO_EMULATOR_LOG: f.log };
    const logFile = path.join(f.root, 'apply.log');
    const applied = await bin(
      ['apply', '--desired', f.desired, '--state', f.state, '--log-level', 'trace', '--log-file', logFile],
      { env },
    );
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const server = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'dist/cli/main.js'),
        'serve',
        '--desired',
        f.desired,
        '--state',
        f.state,
        '--port',
        '0',
        '--interval',
        '1s',
      ],
      {
        env: { ...process.env, ...env },
      },
    );
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const served: Record<string, string> = {};
    try {
      const base = await new Promise<string>((resolve, reject) => {
        const t = setInterval(() => {
          const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) resolve(m[1]!);
          if (m) clearInterval(t);
        }, 50);
        server.once('exit', (c) => reject(new Error(`serve exited ${c}: ${out}`)));
      });
      // Wait for a run of serve's own reconcile loop.
      for (let i = 0; i < 300 && !/^vo_reconcile_runs_total [1-9]/m.test(served['/metrics'] ?? ''); i++) {
        await new Promise((r) => setTimeout(r, 100));
        served['/metrics'] = await (await fetch(`${base}/metrics`)).text();
      }
      for (const p of ['/', '/api/status', '/api/history', '/metrics', '/healthz'])
        served[p] = await (await fetch(`${base}${p}`)).text();
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    // The responses have real content, so finding no secret in them means something.
    expect(appliedSites(served['/api/history'])).toBe(2);
    expect(readFileSync(logFile, 'utf8')).toMatch(/"level":/);
    expect(served['/']).toMatch(/<html[\s\S]*\bA\b[\s\S]*\bB\b/);

    const places = [
      ...Object.entries(served).map(([p, text]) => ({ file: `GET ${p}`, text })),
      { file: 'serve stdout+stderr', text: out },
      { file: 'apply stdout+stderr', text: applied.stdout + applied.stderr },
      { file: logFile, text: readFileSync(logFile, 'utf8') },
      ...allFiles(f.state),
    ];
    expect(places.filter((p) => p.file.includes(`${path.sep}jobs${path.sep}`)).length).toBeGreaterThan(0);
    // Each job's own environment: a plain one, with none of the controller's secrets or their names.
    for (const site of Object.values(f.sites)) {
      const jobEnv = readFileSync(path.join(site.swArea, 'job-env.txt'), 'utf8');
      expect(jobEnv).toMatch(/^PATH=/m);
      const names = jobEnv.split('\n').map((l) => l.slice(0, l.indexOf('=')));
      expect(names.filter((n) => n in ENV_SECRETS || n === 'X509_USER_PROXY')).toEqual([]);
      expect([PROXY_SECRET, proxy, ...Object.values(ENV_SECRETS)].filter((x) => jobEnv.includes(x))).toEqual([]);
    }
    for (const secret of [PROXY_SECRET, ...Object.values(ENV_SECRETS)]) {
      expect(
        places.filter((p) => p.text.includes(secret)).map((p) => p.file),
        secret,
      ).toEqual([]);
    }
  }, 60_000);
});
