// `reconcile hold <site>... --reason TEXT`: apply, scheduled and push-run
// reconciles leave the sites alone (like `flux suspend`) until
// `reconcile release <site>...` lifts the hold; release also lifts the hold
// a rollback left. The holds are the rollback's store (rollback/holds.ts).
import { userInfo } from 'node:os';
import { UsageError } from '../../errors.js';
import { isManual, type ManualHold } from '../../rollback/holds.js';
import { flag, stringOpt, type ParsedArgs } from '../args.js';
import { desiredFromArgs, matchSites, withState } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function holdCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals.length === 0) throw new UsageError("hold needs a site: reconcile hold <site>... --reason 'why'");
  const reason = stringOpt(args, 'reason')?.trim();
  if (!reason)
    throw new UsageError(
      "hold needs --reason 'why' (shown in plan, status and history, so others know why the site is left alone)",
    );
  const sites = matchSites(await desiredFromArgs(args, io), args.positionals);
  const at = new Date().toISOString();
  const by = currentUser();
  const held: (ManualHold & { replaced?: string })[] = [];
  await withState(args, async (state) => {
    for (const s of sites) {
      const before = await state.holds.read(s.name);
      const hold: ManualHold = { kind: 'manual', site: s.name, at, reason, ...(by ? { by } : {}) };
      await state.holds.write(hold);
      const replaced = before && !isManual(before) ? `the hold from the rollback to ${before.tag}` : undefined;
      held.push({ ...hold, ...(replaced ? { replaced } : {}) });
    }
  });
  if (flag(args, 'json')) io.out(JSON.stringify({ held }));
  else
    for (const h of held)
      io.out(
        `${h.site}: held (${reason})${h.replaced ? `, replacing ${h.replaced}` : ''}; apply leaves it alone until 'reconcile release ${h.site}'`,
      );
  return { exitCode: 0 };
}

export async function releaseCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals.length === 0) throw new UsageError('release needs a site: reconcile release <site>...');
  const sites = matchSites(await desiredFromArgs(args, io), args.positionals);
  const released: string[] = [];
  const notHeld: string[] = [];
  await withState(args, async (state) => {
    for (const s of sites) ((await state.holds.lift(s.name)) ? released : notHeld).push(s.name);
  });
  if (flag(args, 'json')) io.out(JSON.stringify({ released, notHeld }));
  else {
    for (const s of released) io.out(`${s}: hold released; the next apply brings it to the desired state`);
    for (const s of notHeld) io.out(`${s}: was not held`);
  }
  return { exitCode: 0 };
}

function currentUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER;
  }
}
