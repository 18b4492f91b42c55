// `reconcile hook install --repo PATH`: git hooks that reject an invalid
// push with the validation errors (pre-receive) and reconcile, in the
// background, the sites a push changed (post-receive).
// `reconcile cron [--every 6h]`: a crontab line for scheduled runs.
// Both call the installed `reconcile` (installed-command.ts), not this
// clone's files, and say which one they chose.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { UsageError } from '../../errors.js';
import { shq } from '../../jobs/shell.js';
import { flag, stringOpt, type ParsedArgs } from '../args.js';
import { stateDirFromArgs, stateForScripts } from '../common.js';
import type { CommandResult, Io } from '../io.js';
import { commandWords, describeCommand, requireInstalledCommand } from '../installed-command.js';

export async function hookCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals[0] !== 'install' || args.positionals.length !== 1)
    throw new UsageError(
      'usage: reconcile hook install --repo PATH [--branch B] [--desired desired-state] [--state DIR]',
    );
  const repo = stringOpt(args, 'repo');
  if (!repo) throw new UsageError('hook install needs --repo PATH (the repository VO managers push to)');
  const git = simpleGit({ baseDir: path.resolve(repo) });
  const hooksDir = path.resolve(
    repo,
    (
      await git.raw(['rev-parse', '--git-path', 'hooks']).catch(() => {
        throw new UsageError(`${repo} is not a git repository`);
      })
    ).trim(),
  );
  const branch =
    stringOpt(args, 'branch') ??
    ((await git.raw(['symbolic-ref', '--short', 'HEAD']).catch(() => 'main')).trim() || 'main');
  const topLevel = (await git.raw(['rev-parse', '--show-toplevel']).catch(() => '')).trim();
  const installed = requireInstalledCommand(process.env.PATH, [...new Set([topLevel || path.resolve(repo)])]);
  if (!flag(args, 'json')) io.out(describeCommand(installed));
  const vars = {
    DESIRED: stringOpt(args, 'desired') ?? 'desired-state',
    STATE: stateForScripts(args),
    // Where the log goes: the local state directory (the state itself may be a database).
    LOCAL: path.resolve(stateDirFromArgs(args)),
    BRANCH: branch,
  };
  await mkdir(hooksDir, { recursive: true });
  for (const [name, body] of [
    ['pre-receive', PRE_RECEIVE],
    ['post-receive', POST_RECEIVE],
  ] as const) {
    const file = path.join(hooksDir, name);
    await writeFile(file, hookScript(vars, commandWords(installed), body));
    await chmod(file, 0o755);
    if (!flag(args, 'json')) io.out(`installed ${file}`);
  }
  if (flag(args, 'json'))
    io.out(
      JSON.stringify({
        hooks: ['pre-receive', 'post-receive'].map((n) => path.join(hooksDir, n)),
        branch,
        command: installed,
      }),
    );
  else io.out(`checking and reconciling pushes to ${branch}`);
  return { exitCode: 0 };
}

function hookScript(vars: Record<string, string>, command: string, body: string): string {
  const settings = Object.entries(vars)
    .map(([k, v]) => `${k}=${shq(v)}`)
    .join('\n');
  return `#!/bin/sh\n# Installed by 'reconcile hook install'; reinstall rather than edit.\n${settings}\nrun_reconcile() ( ${command} "$@" )\nZERO=0000000000000000000000000000000000000000\nGIT_DIR_ABS=$(cd "\${GIT_DIR:-.}" && pwd)\n${body}`;
}

const PRE_RECEIVE = `# Refuse a push to $BRANCH whose desired state is invalid, with the errors.
status=0
while read -r old new ref; do
  [ "$ref" = "refs/heads/$BRANCH" ] || continue
  [ "$new" = "$ZERO" ] && continue
  run_reconcile validate --git-dir "$GIT_DIR_ABS" --desired "$DESIRED" --rev "$new" || status=1
done
exit "$status"
`;

const POST_RECEIVE = `# Reconcile, in the background, the sites whose desired state the push changed.
while read -r old new ref; do
  [ "$ref" = "refs/heads/$BRANCH" ] || continue
  [ "$new" = "$ZERO" ] && continue
  mkdir -p "$LOCAL"
  log="$LOCAL/post-receive.log"
  echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) push $old..$new" >> "$log"
  # In the background, deaf to the pusher's hang-up (nohup cannot run a shell function).
  (trap '' HUP; run_reconcile apply --yes --git-dir "$GIT_DIR_ABS" --desired "$DESIRED" --rev "$new" --since "$old" --state "$STATE") >> "$log" 2>&1 < /dev/null &
  echo "reconcile: reconciling the sites this push changed, in the background; log: $log"
done
`;

export async function cronCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const schedule = cronSchedule(stringOpt(args, 'every') ?? '6h');
  const state = stateForScripts(args);
  const desired = path.resolve(stringOpt(args, 'desired') ?? 'desired-state');
  const installed = requireInstalledCommand(process.env.PATH, [desired, path.dirname(desired)]);
  const command = `${commandWords(installed)} ${['apply', '--yes', '--desired', desired, '--state', state].map(shq).join(' ')}`;
  const line = `${schedule} ${command} >> ${shq(path.join(path.resolve(stateDirFromArgs(args)), 'cron.log'))} 2>&1`;
  if (flag(args, 'json')) io.out(JSON.stringify({ line, schedule, command: installed }));
  else {
    io.err(describeCommand(installed));
    io.out(line);
  }
  return { exitCode: 0 };
}

/** `30m`, `6h`, `1d` → the cron schedule fields. */
export function cronSchedule(every: string): string {
  const m = /^([1-9][0-9]*)([mhd])$/.exec(every);
  const n = Number(m?.[1]);
  if (m?.[2] === 'm' && 60 % n === 0 && n < 60) return `*/${n} * * * *`;
  if (m?.[2] === 'h' && 24 % n === 0 && n < 24) return `0 */${n} * * *`;
  if ((m?.[2] === 'd' && n === 1) || (m?.[2] === 'h' && n === 24)) return '0 0 * * *';
  throw new UsageError(
    `--every must divide the hour or the day evenly: 5m, 15m, 30m, 1h, 2h, 6h, 12h or 1d; got '${every}'`,
  );
}
