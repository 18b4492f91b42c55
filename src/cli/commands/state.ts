// `reconcile state init` and `reconcile state import --from DIR`: make a
// PostgreSQL state, and move a file state into it.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { describePgError, newPool, pgTarget } from '../../state/pg/pg-connect.js';
import { initSchema, SCHEMA_VERSION } from '../../state/pg/pg-schema.js';
import { isDatabaseUrl, stateSpec } from '../../state/store.js';
import { flag, stringOpt, type ParsedArgs } from '../args.js';
import type { CommandResult, Io } from '../io.js';

export async function stateCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const [sub, ...rest] = args.positionals;
  if (sub !== 'init' && sub !== 'import')
    throw new UsageError(`state needs 'init' or 'import', got '${sub ?? ''}' (see reconcile state --help)`);
  if (rest.length > 0) throw new UsageError(`'state ${sub}' takes no further arguments, got '${rest.join(' ')}'`);
  const spec = stateSpec(stringOpt(args, 'state'));
  if (!isDatabaseUrl(spec.state))
    throw new UsageError(
      `'state ${sub}' works on a PostgreSQL state: give --state postgres://USER@HOST/DB (or VO_RECONCILE_STATE)`,
    );
  if (sub === 'init') {
    if (stringOpt(args, 'from')) throw new UsageError("--from goes with 'state import'");
    return init(spec.state, args, io);
  }
  const from = stringOpt(args, 'from');
  if (!from) throw new UsageError("'state import' needs --from DIR, the file state to copy");
  return importState(from, spec, args, io);
}

async function init(url: string, args: ParsedArgs, io: Io): Promise<CommandResult> {
  const target = pgTarget(url);
  const pool = newPool(target);
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect().catch((e: unknown) => {
      throw describePgError(target, e);
    });
    try {
      const done = await initSchema(client, target).catch((e: Error) => {
        throw e.name === 'StateFailure' ? e : describePgError(target, e, 'initialise');
      });
      if (flag(args, 'json')) io.out(JSON.stringify({ state: target.where, schemaVersion: SCHEMA_VERSION, done }));
      else
        io.out(
          done === 'created'
            ? `${target.where}: created the state schema (version ${SCHEMA_VERSION})`
            : `${target.where}: the state schema is already at version ${SCHEMA_VERSION}`,
        );
    } finally {
      client.release();
    }
  } finally {
    await pool.end().catch(() => undefined);
  }
  return { exitCode: 0 };
}

async function importState(
  from: string,
  spec: { state: string; localDir: string },
  args: ParsedArgs,
  io: Io,
): Promise<CommandResult> {
  const { openPgState } = await import('../../state/pg/pg-state.js');
  const { importFileState } = await import('../../state/pg/pg-import.js');
  const state = await openPgState(spec.state, spec.localDir);
  try {
    const result = await importFileState(state, from);
    for (const p of result.problems) io.err(p);
    // Observations stay per machine: bring them along when the local directory is another one.
    const observed = await copyObservations(from, spec.localDir);
    if (flag(args, 'json')) io.out(JSON.stringify({ state: state.where, from, ...result, observed }));
    else
      io.out(
        `${state.where}: imported ${result.records} journal records and ${result.holds} holds from ${from}${observed ? `; copied ${observed} observations to ${spec.localDir}` : ''}`,
      );
  } finally {
    await state.close();
  }
  return { exitCode: 0 };
}

async function copyObservations(from: string, localDir: string): Promise<number> {
  if (path.resolve(from) === path.resolve(localDir)) return 0;
  const src = path.join(from, 'observed');
  const names = (await readdir(src).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  if (names.length === 0) return 0;
  const dst = path.join(localDir, 'observed');
  await mkdir(dst, { recursive: true });
  for (const n of names) await copyFile(path.join(src, n), path.join(dst, n));
  return names.length;
}
