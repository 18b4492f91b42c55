// `reconcile completion bash` run by bash itself: the function it registers
// with `complete` offers the parser's commands, each command's own options
// (from the same table), and the fixed values of an option.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, optionsOf } from '../../src/cli/args.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

let script = '';
beforeAll(async () => {
  const r = await cli(['completion', 'bash']);
  expect(r.code).toBe(0);
  script = path.join(tempDir(), 'reconcile.bash');
  writeFileSync(script, r.stdout);
});

/** What bash completes for the words typed so far (the last one being completed). */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync(
    'bash',
    [
      '-c',
      `source "$1"; complete -p reconcile; COMP_WORDS=(reconcile ${quoted}); COMP_CWORD=${words.length}; _reconcile; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'bash',
      script,
    ],
    { encoding: 'utf8' },
  );
  const [registration, ...offered] = out.trimEnd().split('\n');
  expect(registration).toBe('complete -F _reconcile reconcile');
  return offered.filter((w) => w !== '');
}

describe('bash completion', () => {
  it('offers the commands', () => {
    expect(complete('')).toEqual([...COMMANDS]);
    expect(complete('pl')).toEqual(['plan']);
    expect(complete('rel')).toEqual(['release']);
  });

  it.each(COMMANDS.map((c) => [c]))("offers exactly the options '%s' accepts", (command) => {
    const offered = complete(command, '--').sort();
    const want = [...new Set([...optionsOf(command).map((o) => `--${o}`), '--version'])].sort();
    expect(offered).toEqual(want);
  });

  it('offers the values of --log-level, --format and subcommands', () => {
    expect(complete('plan', '--log-level', '')).toEqual(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
    expect(complete('status', '--format', 'h')).toEqual(['html']);
    expect(complete('completion', '')).toEqual(['bash', 'zsh']);
    expect(complete('hook', '')).toEqual(['install']);
  });

  it('prints a zsh script that runs the same function through bashcompinit', async () => {
    const r = await cli(['completion', 'zsh']);
    expect(r.stdout).toMatch(/^#compdef reconcile\n/);
    expect(r.stdout).toMatch(/bashcompinit/);
    expect(r.stdout).toMatch(/complete -F _reconcile reconcile$/m);
  });

  it('with --json gives the tables the scripts are made from', async () => {
    const r = await cli(['completion', 'bash', '--json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(Object.keys(t.commands)).toEqual([...COMMANDS]);
    const long = (t.commands.status.options as string[]).filter((o) => o.startsWith('--'));
    expect(long.sort()).toEqual(complete('status', '--').sort());
    expect(t.commands.status.options).toContain('--format');
    expect(t.values['--format']).toEqual(complete('status', '--format', ''));
    expect(t.commands.hook.words).toEqual(['install']);
  });

  it('refuses an unknown shell', async () => {
    const r = await cli(['completion', 'fish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/completion needs a shell: 'reconcile completion bash'/);
  });
});
