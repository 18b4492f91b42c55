// Dispatch a command line to its command and map errors to exit codes:
// 2 for bad input or usage (one located line per problem, never a stack
// trace), 1 for anything unexpected.
import { readFileSync } from 'node:fs';
import { InputError, UsageError } from '../errors.js';
import { StateFailure } from '../state/store.js';
import { parseCommandLine, type CommandName, type ParsedArgs } from './args.js';
import { helpText } from './help.js';
import type { CommandResult, Io } from './io.js';

type Command = (args: ParsedArgs, io: Io) => Promise<CommandResult>;

// Each command's modules load only when it runs: `--version`, `--help` and
// `validate` (every push, through the pre-receive hook) pay for nothing else.
const COMMANDS: Record<CommandName, () => Promise<Command>> = {
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  observe: async () => (await import('./commands/observe.js')).observeCommand,
  apply: async () => (await import('./commands/apply.js')).applyCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
  hook: async () => (await import('./commands/hook.js')).hookCommand,
  cron: async () => (await import('./commands/hook.js')).cronCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  hold: async () => (await import('./commands/hold.js')).holdCommand,
  release: async () => (await import('./commands/hold.js')).releaseCommand,
  promote: async () => (await import('./commands/apply-rollout.js')).promoteCommand,
  completion: async () => (await import('./completion.js')).completionCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  state: async () => (await import('./commands/state.js')).stateCommand,
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
    return (await (await COMMANDS[args.command]())(args, io)).exitCode;
  } catch (e) {
    return reportError(e, io);
  }
}

function reportError(e: unknown, io: Io): number {
  if (e instanceof InputError) {
    for (const line of e.message.split('\n')) io.err(line);
    return 2;
  }
  // The state cannot be used (a database unreachable, a login refused, another schema version): one line, no password.
  if (e instanceof UsageError || e instanceof StateFailure) {
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
