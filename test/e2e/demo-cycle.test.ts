// The README's "Try the whole cycle" block, run as written (only its
// directory moved to a temporary one), so that a newcomer's first walk
// through apply → change → apply → rollback → history cannot rot.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function readmeBlock(): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const m = /<!-- demo-cycle[^>]*-->\n```sh\n([\s\S]*?)```\n<!-- \/demo-cycle -->/.exec(readme);
  if (!m) throw new Error('README.md: no demo-cycle block');
  return m[1]!;
}

const installed = (dir: string, site: string, prefix = 'pkg') =>
  readdirSync(path.join(dir, 'sites', site, prefix, 'pkgdb')).filter((n) => !n.startsWith('.'));

describe("the README's simulated cycle", () => {
  it('runs as written: the fleet converges, takes the change, rolls back to v1 and says so in history', () => {
    const dir = tempDir('vo-demo-');
    const block = readmeBlock();
    expect(block).toContain('/tmp/vo-demo');
    // One command per line, each echoed before its output, stopping at the first failure.
    const script = `set -e\n${block
      .replaceAll('/tmp/vo-demo', dir)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => `echo "+++ ${l.replace(/\s+#.*$/, '').replace(/["$`\\]/g, '\\$&')}"\n${l}`)
      .join('\n')}\n`;
    const r = spawnSync('bash', ['-c', script], {
      cwd: repoRoot,
      env: { ...process.env, VO_DEMO_DIR: dir, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 240_000,
    });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(0);
    const step = (cmd: string) => {
      const at = out.indexOf(`+++ ${cmd}\n`);
      expect(at, `${cmd} did not run:\n${out}`).toBeGreaterThanOrEqual(0);
      const next = out.indexOf('+++ ', at + 4);
      return out.slice(at, next < 0 ? undefined : next);
    };
    expect(step('npm run demo')).toMatch(/SIMULATED/);
    expect(step('./reconcile apply')).toMatch(/Apply: 2 changed, 1 in sync, 0 failed of 3 sites/);
    // After v2: each site upgrades openssl, citing the profile line that asks for it.
    expect(out).toMatch(/upgrade openssl 3\.0\.\d+ → 3\.4\.1 .*ALL\.yaml:5:5/);
    expect(out).toMatch(/Apply: 3 changed, 0 in sync, 0 failed of 3 sites/);
    expect(step('./reconcile rollback v1')).toMatch(/Rollback to v1 \([0-9a-f]+\): 3 rolled back, 0 failed/);
    expect(step('./reconcile history')).toMatch(/UNI-ARM-TEST rollback succeeded/);
    expect(step("./reconcile release 'tag:t2'")).toMatch(/DESY-HH/);
    // What the simulated sites hold in the end: v1's OpenSSL again, as the package databases say.
    expect(installed(dir, 'UNI-ARM-TEST')).toContain('openssl-3.0.16');
    expect(installed(dir, 'UKI-NORTHGRID-LIV-HEP')).toContain('openssl-3.0.16');
    expect(installed(dir, 'DESY-HH', 'pkg2024')).toContain('openssl-3.0.15');
    expect(installed(dir, 'DESY-HH', 'pkg2024').filter((p) => p.startsWith('openssl-'))).toHaveLength(1);
  }, 300_000);
});
