// `reconcile validate`: schema and semantic checks of the desired state.
import { InputError } from '../../errors.js';
import { loadDesiredStateWithInfo } from '../../desired/load.js';
import { flag, noPositionals, type ParsedArgs } from '../args.js';
import { desiredOptions } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function validateCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const json = flag(args, 'json');
  try {
    const { state, dirty } = await loadDesiredStateWithInfo(desiredOptions(args));
    const packages = state.sites.reduce((n, s) => n + s.packages.length, 0);
    const revision = state.commit ? `commit ${state.commit.slice(0, 12)}` : 'work tree';
    if (dirty)
      io.err(
        `note: ${state.dir} has uncommitted changes; validated ${revision} (use --worktree to check the edited files)`,
      );
    if (json) {
      io.out(
        JSON.stringify({
          ok: true,
          revision: state.revision,
          sites: state.sites.length,
          profiles: state.profiles.length,
          packages,
        }),
      );
    } else {
      io.out(
        `ok: ${state.sites.length} sites, ${state.profiles.length} profiles, ${packages} package requirements (${revision})`,
      );
    }
    return { exitCode: 0 };
  } catch (e) {
    if (!(e instanceof InputError) || !json) throw e;
    const problems = e.problems.map((p) => ({ ...p.location, message: p.message }));
    io.out(JSON.stringify({ ok: false, problems }));
    return { exitCode: 2 };
  }
}
