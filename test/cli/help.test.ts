// The help texts agree with the parser's tables: every command is listed,
// every option a command accepts is documented in its --help, and what the
// top-level help says of plan and hook is what they do.
import { describe, expect, it } from 'vitest';
import { COMMANDS, optionsOf } from '../../src/cli/args.js';
import { helpText } from '../../src/cli/help.js';
import { cli } from '../helpers/cli.js';

describe('help', () => {
  it('lists every command in the top-level help', () => {
    const main = helpText();
    const listed = COMMANDS.filter((c) => new RegExp(`^  ${c}\\b`, 'm').test(main));
    expect(listed).toEqual([...COMMANDS]);
  });

  it.each(COMMANDS.map((c) => [c]))("documents every option '%s' accepts", (command) => {
    const text = helpText(command);
    expect(text).not.toMatch(/no detailed help/);
    const missing = optionsOf(command).filter((o) => !text.includes(`--${o}`));
    expect(missing).toEqual([]);
  });

  it('documents --version, and it prints the version', async () => {
    expect(helpText()).toMatch(/--version\s+print the version/);
    const r = await cli(['--version']);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('does not claim that plan observes sites', () => {
    const planLine = /^ {2}plan .*(\n {6,}.*)*/m.exec(helpText())![0];
    expect(planLine).toMatch(/probes no site/);
    expect(planLine).not.toMatch(/^ {2}plan\s+observe/);
  });

  it('says how hook install chooses the branch', () => {
    expect(helpText('hook')).toMatch(/default: the repository's current branch/);
    expect(helpText('hook')).not.toMatch(/\[--branch main\]/);
  });
});
