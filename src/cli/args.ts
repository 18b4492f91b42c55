// Command-line parsing: one table of options (node:util parseArgs), each
// command declaring which of them it accepts, so a misplaced option is a
// usage error rather than silently ignored. The same tables drive the help
// checks, did-you-mean and shell completion.
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { LOG_LEVELS } from '../log-levels.js';
import { closest } from './did-you-mean.js';

export const COMMANDS = [
  'apply',
  'plan',
  'validate',
  'observe',
  'rollback',
  'status',
  'history',
  'serve',
  'hook',
  'cron',
  'hold',
  'release',
  'promote',
  'report',
  'audit',
  'state',
  'completion',
] as const;
export type CommandName = (typeof COMMANDS)[number];

const OPTIONS = {
  desired: { type: 'string' },
  state: { type: 'string' },
  rev: { type: 'string' },
  worktree: { type: 'boolean' },
  site: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  'log-level': { type: 'string' },
  'log-file': { type: 'string' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  observed: { type: 'string' },
  catalog: { type: 'string' },
  import: { type: 'string' },
  'import-u': { type: 'string' },
  'import-n': { type: 'string' },
  'detailed-exitcode': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  'dry-run': { type: 'boolean' },
  rollback: { type: 'string' },
  tags: { type: 'boolean' },
  'git-dir': { type: 'string' },
  since: { type: 'string' },
  repo: { type: 'string' },
  branch: { type: 'string' },
  every: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  interval: { type: 'string' },
  'report-secrets': { type: 'string' },
  url: { type: 'string' },
  prefix: { type: 'string' },
  'secret-file': { type: 'string' },
  cron: { type: 'boolean' },
  reason: { type: 'string' },
  out: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  'skip-stale': { type: 'boolean' },
  from: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export type OptionName = keyof typeof OPTIONS;
/** Every option the parser knows. */
export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];
const COMMON: OptionName[] = [
  'desired',
  'state',
  'rev',
  'worktree',
  'git-dir',
  'log-level',
  'log-file',
  'json',
  'no-color',
  'help',
];

/** Which options each command accepts besides the common ones. */
const ACCEPTS: Record<CommandName, OptionName[]> = {
  validate: [],
  plan: ['site', 'observed', 'catalog', 'detailed-exitcode', 'verbose', 'concurrency', 'out'],
  observe: ['site', 'import', 'import-u', 'import-n', 'concurrency'],
  apply: ['site', 'concurrency', 'dry-run', 'catalog', 'since', 'yes', 'skip-stale'],
  hook: ['repo', 'branch'],
  cron: ['every'],
  status: ['format', 'output', 'catalog'],
  serve: ['host', 'port', 'interval', 'catalog', 'report-secrets', 'concurrency'],
  history: ['site', 'tags', 'catalog'],
  rollback: ['site', 'concurrency', 'dry-run', 'catalog', 'rollback'],
  hold: ['reason'],
  release: [],
  promote: [],
  report: ['site', 'url', 'prefix', 'secret-file', 'cron', 'every'],
  audit: ['site', 'format', 'output', 'observed'],
  state: ['from'],
  completion: [],
};

/** The options a command accepts, common ones last (for help checks and completion). */
export function optionsOf(command: CommandName): OptionName[] {
  return [...ACCEPTS[command], ...COMMON];
}

/** The short form of an option, if it has one. */
export function shortOf(option: OptionName): string | undefined {
  const o = OPTIONS[option] as { short?: string };
  return o.short;
}

/** Whether an option takes a value. */
export function takesValue(option: OptionName): boolean {
  return OPTIONS[option].type === 'string';
}

/** The fixed words a command's first argument may be (for completion). */
export const SUBCOMMANDS: Partial<Record<CommandName, readonly string[]>> = {
  hook: ['install'],
  state: ['init', 'import'],
  completion: ['bash', 'zsh'],
};

const FORMATS = ['text', 'json', 'html'] as const;

/** Values an option takes from a fixed set, or 'path' for a file or directory (for completion). */
export const OPTION_VALUES: Partial<Record<OptionName, readonly string[] | 'path'>> = {
  'log-level': LOG_LEVELS,
  format: FORMATS,
  every: ['5m', '15m', '30m', '1h', '2h', '6h', '12h', '1d'],
  desired: 'path',
  state: 'path',
  'log-file': 'path',
  'git-dir': 'path',
  observed: 'path',
  catalog: 'path',
  import: 'path',
  'import-u': 'path',
  'import-n': 'path',
  output: 'path',
  'report-secrets': 'path',
  'secret-file': 'path',
  out: 'path',
  repo: 'path',
  prefix: 'path',
  from: 'path',
};

export interface ParsedArgs {
  command: CommandName;
  positionals: string[];
  values: Partial<Record<OptionName, string | boolean | string[]>>;
  /** The command was implied (no command word given). */
  implicit: boolean;
}

export function parseCommandLine(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(cleanParseError((e as Error).message, argv));
  }
  const [first, ...rest] = parsed.positionals;
  const values = parsed.values as ParsedArgs['values'];
  if (values.version || values.help) {
    if (first !== undefined && !(COMMANDS as readonly string[]).includes(first)) {
      throw unknownCommand(first);
    }
    return { command: (first as CommandName) ?? 'apply', positionals: rest, values, implicit: first === undefined };
  }
  let command: CommandName = 'apply';
  let positionals = parsed.positionals;
  let implicit = true;
  if (first !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw unknownCommand(first);
    }
    command = first as CommandName;
    positionals = rest;
    implicit = false;
  }
  if (values.rollback !== undefined) {
    if (!implicit)
      throw new UsageError(
        `--rollback is its own command; use 'reconcile --rollback <tag>' or 'reconcile rollback <tag>'`,
      );
    command = 'rollback';
  }
  const allowed = new Set<OptionName>([...COMMON, ...ACCEPTS[command]]);
  for (const k of Object.keys(values) as OptionName[]) {
    if (!allowed.has(k))
      throw new UsageError(`option --${k} does not apply to '${command}' (see reconcile ${command} --help)`);
  }
  checkValues(values);
  return { command, positionals, values, implicit };
}

/** Option values and combinations every command would refuse: refused before any command runs. */
function checkValues(values: ParsedArgs['values']): void {
  const level = values['log-level'];
  if (typeof level === 'string' && !(LOG_LEVELS as readonly string[]).includes(level))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}; got '${level}'`);
  if (values.worktree && values.rev !== undefined)
    throw new UsageError(
      `--worktree reads the files as they are and --rev '${String(values.rev)}' reads a commit; give one of them`,
    );
}

function unknownCommand(word: string): UsageError {
  const guess = closest(word, COMMANDS);
  return new UsageError(
    `unknown command '${word}'; ${guess ? `did you mean '${guess}'?` : `expected one of: ${COMMANDS.join(', ')}`} (see reconcile --help)`,
  );
}

/** The command the words name, if any (before the options are known to parse). */
function commandIn(argv: string[]): CommandName | undefined {
  return argv.find((a): a is CommandName => (COMMANDS as readonly string[]).includes(a));
}

function cleanParseError(message: string, argv: string[]): string {
  const m = /Unknown option '([^']+)'/.exec(message);
  if (m) {
    const command = commandIn(argv) ?? 'apply';
    const long = m[1]!.replace(/^--?/, '');
    const known = [...optionsOf(command), ...OPTION_NAMES];
    const guess = m[1]!.startsWith('--') ? closest(long, known) : undefined;
    return `unknown option '${m[1]}'${guess ? `; did you mean '--${guess}'?` : ''} (see reconcile ${command === 'apply' && !argv.includes('apply') ? '' : `${command} `}--help)`;
  }
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) return `option '${missing[1]!.replace(/^-\w, /, '')}' needs a value`;
  return message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
}

export function stringOpt(args: ParsedArgs, name: OptionName): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** --format of status and audit (text unless --json says json). */
export function formatOpt(args: ParsedArgs): (typeof FORMATS)[number] {
  const format = stringOpt(args, 'format') ?? (flag(args, 'json') ? 'json' : 'text');
  if (!(FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be text, json or html, got '${format}'`);
  return format as (typeof FORMATS)[number];
}

export function listOpt(args: ParsedArgs, name: OptionName): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v : [];
}

export function flag(args: ParsedArgs, name: OptionName): boolean {
  return args.values[name] === true;
}

export function noPositionals(args: ParsedArgs): void {
  if (args.positionals.length > 0) {
    throw new UsageError(
      `'${args.command}' takes no arguments, got '${args.positionals[0]}' (see reconcile ${args.command} --help)`,
    );
  }
}
