// Dispatch a command line to its command and map errors to exit codes:
// 2 for bad input or usage (one located line per problem, never a stack
// trace), 1 for anything unexpected.
import { readFileSync } from 'node:fs';
import { InputError, UsageError } from '../errors.js';
import { parseCommandLine, type CommandName, type ParsedArgs } from './args.js';
import { applyCommand } from './commands/apply.js';
import { historyCommand } from './commands/history.js';
import { cronCommand, hookCommand } from './commands/hook.js';
import { reportCommand } from './commands/report.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { observeCommand } from './commands/observe.js';
import { planCommand } from './commands/plan.js';
import { releaseCommand, rollbackCommand } from './commands/rollback.js';
import { validateCommand } from './commands/validate.js';
import { helpText } from './help.js';
import type { CommandResult, Io } from './io.js';

type Command = (args: ParsedArgs, io: Io) => Promise<CommandResult>;

const COMMANDS: Record<CommandName, Command> = {
  validate: validateCommand,
  plan: planCommand,
  observe: observeCommand,
  apply: applyCommand,
  history: historyCommand,
  rollback: rollbackCommand,
  hook: hookCommand,
  cron: cronCommand,
  status: statusCommand,
  serve: serveCommand,
  release: releaseCommand,
  report: reportCommand,
};

export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    const args = parseCommandLine(argv);
    if (args.values.version) {
      io.out(packageVersion());
      return 0;
    }
    if (args.values.help) {
      io.out(helpText(args.implicit ? undefined : args.command));
      return 0;
    }
    return (await COMMANDS[args.command](args, io)).exitCode;
  } catch (e) {
    return reportError(e, io);
  }
}

function reportError(e: unknown, io: Io): number {
  if (e instanceof InputError) {
    for (const line of e.message.split('\n')) io.err(line);
    return 2;
  }
  if (e instanceof UsageError) {
    io.err(`reconcile: ${e.message}`);
    return 2;
  }
  const err = e as Error;
  io.err(`reconcile: internal error: ${err?.message ?? String(e)}`);
  if (process.env.RECONCILE_DEBUG) io.err(err?.stack ?? '');
  return 1;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
