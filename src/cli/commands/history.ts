// `reconcile history`: transactions, newest first.
import { foldTransactions, isInstalled, isValidated, type Transaction } from '../../state/records.js';
import { flag, listOpt, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { CatalogCache } from '../../catalog/load.js';
import { readInventory } from '../../observed/store.js';
import { restorability } from '../../rollback/restorability.js';
import { describeHold } from '../../rollback/holds.js';
import type { StateStore } from '../../state/store.js';
import { desiredFromArgs, selectSites, stateDirFromArgs, withState } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function historyCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  return withState(args, (state) => history(args, io, state));
}

async function history(args: ParsedArgs, io: Io, state: StateStore): Promise<CommandResult> {
  const { records, problems } = await state.journal.readAll();
  for (const p of problems) io.err(p);
  if (flag(args, 'tags')) return tagsReport(args, io, foldTransactions(records));
  // A site not in sites.yaml is a mistake to say, not an empty history; but
  // a site the journal knows has a history even once it left sites.yaml.
  const all = foldTransactions(records);
  const asked = listOpt(args, 'site');
  const journalled = new Set(all.map((t) => t.site));
  const sites = new Set(
    asked.length === 0
      ? []
      : asked.every((n) => journalled.has(n))
        ? asked
        : selectSites(await desiredFromArgs(args, io), args).map((s) => s.name),
  );
  const txs = all
    .filter((t) => sites.size === 0 || sites.has(t.site))
    .sort((a, b) => (a.begin.at < b.begin.at ? 1 : a.begin.at > b.begin.at ? -1 : 0));
  if (flag(args, 'json')) {
    io.out(JSON.stringify(txs.map(summary)));
    return { exitCode: 0 };
  }
  for (const h of await state.holds.list()) {
    if (sites.size === 0 || sites.has(h.site))
      io.out(`${h.site}: HELD ${describeHold(h).replace(/^held /, '')}; 'reconcile release ${h.site}' lifts it`);
  }
  if (txs.length === 0) io.out('no transactions yet');
  for (const t of txs) io.out(line(t));
  return { exitCode: 0 };
}

function summary(t: Transaction) {
  return {
    txid: t.txid,
    site: t.site,
    kind: t.begin.kind,
    at: t.begin.at,
    revision: t.begin.revision,
    tags: t.begin.tags,
    actions: t.begin.plan.actions,
    job: t.submitted?.job,
    results: t.finished?.results ?? [],
    ...(t.finished?.checks ? { checks: t.finished.checks } : {}),
    installed: isInstalled(t),
    validated: isValidated(t),
    observedAfter: t.finished?.observedAfter,
    ...(t.finished?.restores ? { restores: t.finished.restores } : {}),
    status: t.end?.status ?? 'unfinished',
    ...(t.end?.reason ? { reason: t.end.reason } : {}),
  };
}

function line(t: Transaction): string {
  const rev = t.begin.revision === 'worktree' ? 'worktree' : t.begin.revision.slice(0, 12);
  const tags = t.begin.tags.length ? ` [${t.begin.tags.join(', ')}]` : '';
  const actions = t.begin.plan.actions
    .map((a) => `${a.action === 'remove' ? '-' : a.action === 'install' ? '+' : '~'}${a.pkgname}`)
    .join(' ');
  const status = `${t.end?.status ?? 'unfinished'}${t.begin.kind !== 'probe' && isInstalled(t) && !isValidated(t) ? ' (installed, not validated)' : ''}`;
  return `${t.begin.at} ${t.site} ${t.begin.kind} ${status} ${rev}${tags} ${t.txid}${actions ? ` ${actions}` : ''}${t.end?.reason ? ` — ${t.end.reason}` : ''}`;
}

/** `history --tags`: per tag, where it can still be restored and what is missing where not. */
async function tagsReport(args: ParsedArgs, io: Io, txs: Transaction[]): Promise<CommandResult> {
  const desired = await desiredFromArgs(args, io);
  const catalogs = new CatalogCache();
  const override = stringOpt(args, 'catalog');
  const stateDir = stateDirFromArgs(args);
  const sites = await Promise.all(
    selectSites(desired, args).map(async (s) => ({
      name: s.name,
      catalog: await catalogs.getOrError(override ?? s.pkg_path),
      installed: new Set((await readInventory(stateDir, s.name))?.packages.map((p) => p.pkgname) ?? []),
    })),
  );
  const report = restorability(txs, sites);
  if (flag(args, 'json')) {
    io.out(JSON.stringify(report));
    return { exitCode: 0 };
  }
  if (report.length === 0) io.out('no tagged transactions yet');
  for (const t of report) {
    io.out(`${t.tag} (${t.commit.slice(0, 12)}):`);
    for (const s of t.sites) {
      const what = s.restorable
        ? `restorable${s.txid ? ` (${s.txid})` : ''}`
        : `NOT restorable${s.missing.length ? `: no longer on offer: ${s.missing.join(', ')}` : ''}`;
      io.out(`  ${s.site}: ${what}${s.reason ? ` — ${s.reason}` : ''}`);
    }
  }
  return { exitCode: 0 };
}
