// `reconcile observe --site S --import FILE [--import-u FILE] [--import-n
// FILE]`: store an inventory a site sent (pkg_info, pkg_info -u, pkg_info -n
// -a), between the site's transactions (never while one runs or is left
// open: state/between-transactions.ts). Without --import, probe jobs.
import { readFile } from 'node:fs/promises';
import { InputError, UsageError } from '../../errors.js';
import { inventoryFromPkgInfo } from '../../observed/inventory.js';
import { writeInventory } from '../../observed/store.js';
import { flag, listOpt, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import {
  desiredFromArgs,
  selectSites,
  loggerFromArgs,
  saidStateFailure,
  stateDirFromArgs,
  tagsFromArgs,
  withState,
} from '../common.js';
import type { CommandResult, Io } from '../io.js';
import { progressPrinter } from '../progress.js';
import { colourOn, statusPaint } from '../colour.js';
import { parseConcurrency } from './apply.js';
import { busySummary, observeSites } from '../../run/apply.js';
import { deferredSummary } from '../../windows/summary.js';
import { runGate } from '../gate.js';
import { betweenTransactions } from '../../state/between-transactions.js';

export async function observeCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const file = stringOpt(args, 'import');
  if (!file) return probeCommand(args, io);
  const sites = listOpt(args, 'site');
  if (sites.length !== 1) throw new UsageError(`observe --import needs exactly one --site`);
  const desired = await desiredFromArgs(args, io);
  const [site] = selectSites(desired, args);
  const userFile = stringOpt(args, 'import-u');
  const dependsFile = stringOpt(args, 'import-n');
  const inventory = inventoryFromPkgInfo({
    site: site!.name,
    pkgInfo: { text: await readInput(file), file },
    ...(userFile ? { userInstalled: { text: await readInput(userFile), file: userFile } } : {}),
    ...(dependsFile ? { depends: { text: await readInput(dependsFile), file: dependsFile } } : {}),
    observedAt: new Date().toISOString(),
    source: 'import',
    origin: file,
  });
  const written = await withState(args, (state) =>
    betweenTransactions(state, site!.name, 'import', () => writeInventory(stateDirFromArgs(args), inventory)),
  );
  if (!written.ran) {
    io.err(
      `reconcile: ${site!.name}: nothing stored: ${written.busy}; import it again once that transaction has ended`,
    );
    return { exitCode: 1 };
  }
  const stored = written.value;
  const automatic = inventory.packages.filter((p) => p.automatic).length;
  const withDepends = inventory.packages.filter((p) => p.depends !== undefined).length;
  if (flag(args, 'json'))
    io.out(
      JSON.stringify({
        site: site!.name,
        packages: inventory.packages.length,
        automatic,
        ...(dependsFile ? { depends: withDepends } : {}),
        file: stored,
      }),
    );
  else
    io.out(
      `${site!.name}: stored ${inventory.packages.length} packages (${inventory.userListKnown ? `${automatic} automatic` : 'no -u listing: none taken as automatic'}${dependsFile ? `; DEPENDS recorded for ${withDepends}` : ''}) in ${stored}`,
    );
  return { exitCode: 0 };
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError({
      location: { file },
      message: `cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    });
  }
}

/** Without --import: a probe job per site, through the same queue and locks as apply. */
async function probeCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  for (const o of ['import-u', 'import-n'] as const)
    if (stringOpt(args, o)) throw new UsageError(`--${o} goes with --import`);
  const desired = await desiredFromArgs(args, io);
  const sites = selectSites(desired, args);
  const json = flag(args, 'json');
  const { emit } = progressPrinter(io, sites.length, json, loggerFromArgs(args), statusPaint(colourOn(io, args)));
  let stateFailed = false;
  // A probe is a job too: none goes to a site that a window or outage closes.
  const gate = await runGate(desired, io, { stateDir: stateDirFromArgs(args), dryRun: false, now: Date.now() });
  const results = await withState(args, async (state) => {
    const r = await observeSites(sites, {
      state,
      ...(gate ? { gate: gate.gate } : {}),
      stateDir: stateDirFromArgs(args),
      revision: desired.revision,
      tags: await tagsFromArgs(args, desired),
      concurrency: parseConcurrency(stringOpt(args, 'concurrency')),
      dryRun: false,
      emit,
    });
    stateFailed = saidStateFailure(state, io);
    return r;
  });

  const failed = results.filter((r) => r.status === 'failed').length;
  if (json) io.out(JSON.stringify({ results }));
  const deferred = results.filter((r) => r.status === 'deferred').length;
  if (!json)
    io.out(
      `Observe: ${results.length - failed - deferred} observed, ${deferred ? `${deferred} deferred, ` : ''}${failed} failed.`,
    );
  if (!json) for (const line of deferredSummary(results)) io.out(line);
  const busy = busySummary(results);
  if (!json && busy) io.out(busy);
  return { exitCode: failed > 0 || stateFailed ? 1 : 0 };
}
