// Issue 18, item 9: a failure is said once at the default log level (no pino
// line on stderr beside the text); colour on a terminal only, and never with
// NO_COLOR or --no-color; --json honoured by report --cron too.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, repoRoot } from '../helpers/cli.js';
import { makeFleet } from '../helpers/fleet.js';
import { tempDir } from '../helpers/tmp.js';

const EXAMPLE = ['--observed', 'desired-state/examples/observed', '--catalog', 'desired-state/examples/catalog'];
const ESC = '\u001b[';

/** The built CLI on a pseudo-terminal (script(1)), its output as the terminal got it. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const cmd = [process.execPath, path.join(repoRoot, 'dist/cli/main.js'), ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    cwd: repoRoot,
    env: { ...process.env, TERM: 'xterm', NO_COLOR: '', ...env },
    encoding: 'utf8',
  });
  return r.stdout;
}

describe('output rules', () => {
  it('says a failure once at the default level: the text line, no JSON log line on stderr', async () => {
    const f = makeFleet([], 'packages:\n  - foo\n', { broken: ['BROKEN'] });
    const r = await bin(['apply', '--desired', f.desired, '--state', f.state]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BROKEN: FAILED: probe failed/);
    expect(r.stderr).toBe('');
  });

  it('colours plan lines on a terminal, and not with NO_COLOR, --no-color or in a pipe', async () => {
    const state = ['--state', tempDir()];
    const coloured = onTerminal(['plan', ...EXAMPLE, ...state]);
    expect(coloured).toContain(`${ESC}32m+${ESC}0m install`);
    expect(coloured).toContain(`${ESC}31m-${ESC}0m remove`);
    expect(onTerminal(['plan', ...EXAMPLE, ...state], { NO_COLOR: '1' })).not.toContain(ESC);
    expect(onTerminal(['plan', ...EXAMPLE, ...state, '--no-color'])).not.toContain(ESC);
    expect((await bin(['plan', ...EXAMPLE, ...state])).stdout).not.toContain(ESC);
  });

  it('report --cron --json gives the line as JSON', async () => {
    const secret = path.join(tempDir(), 'secret');
    const r = await bin([
      'report',
      '--site',
      'DESY-HH',
      '--url',
      'https://c.example.org',
      '--secret-file',
      secret,
      '--cron',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ site: 'DESY-HH', line: expect.stringMatching(/reconcile.*report/) });
  });
});
