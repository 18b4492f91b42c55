// `reconcile history`: transactions, newest first.
import { UsageError } from '../../errors.js';
import { historyEntry, historyLine, newestFirst, transactionDetail } from '../../report/history.js';
import { foldTransactions, type Transaction } from '../../state/records.js';
import { flag, listOpt, stringOpt, type ParsedArgs } from '../args.js';
import { CatalogCache } from '../../catalog/load.js';
import { readInventory } from '../../observed/store.js';
import { restorability } from '../../rollback/restorability.js';
import { describeHold } from '../../rollback/holds.js';
import type { StateStore } from '../../state/store.js';
import { desiredFromArgs, selectSites, stateDirFromArgs, withState } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function historyCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals.length > 1)
    throw new UsageError(`'history' takes at most one transaction id, got '${args.positionals.join(' ')}'`);
  return withState(args, (state) => history(args, io, state));
}

async function history(args: ParsedArgs, io: Io, state: StateStore): Promise<CommandResult> {
  const { records, problems } = await state.journal.readAll();
  for (const p of problems) io.err(p);
  if (flag(args, 'tags')) return tagsReport(args, io, foldTransactions(records));
  const txid = args.positionals[0];
  if (txid !== undefined) return oneTransaction(args, io, foldTransactions(records), txid);
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
  const txs = newestFirst(all.filter((t) => sites.size === 0 || sites.has(t.site)));
  if (flag(args, 'json')) {
    io.out(JSON.stringify(txs.map(historyEntry)));
    return { exitCode: 0 };
  }
  for (const h of await state.holds.list()) {
    if (sites.size === 0 || sites.has(h.site))
      io.out(`${h.site}: HELD ${describeHold(h).replace(/^held /, '')}; 'reconcile release ${h.site}' lifts it`);
  }
  if (txs.length === 0) io.out('no transactions yet');
  for (const t of txs) io.out(historyLine(t));
  return { exitCode: 0 };
}

/** `history <txid>`: one transaction in full; --json: its entry and the journal's records of it. */
function oneTransaction(args: ParsedArgs, io: Io, txs: Transaction[], txid: string): CommandResult {
  const t = txs.find((x) => x.txid === txid);
  if (!t) {
    const close = txs.filter((x) => x.txid.startsWith(txid)).map((x) => x.txid);
    throw new UsageError(
      close.length === 1
        ? `no transaction '${txid}' in the journal; did you mean ${close[0]}?`
        : `no transaction '${txid}' in the journal; 'reconcile history' lists them`,
    );
  }
  if (flag(args, 'json')) io.out(JSON.stringify({ ...historyEntry(t), transaction: t }));
  else for (const l of transactionDetail(t)) io.out(l);
  return { exitCode: 0 };
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
        ? `restorable${s.txid ? ` (${s.txid}${s.validated === false ? ', NEVER VALIDATED: its checks did not pass' : ''})` : ''}`
        : `NOT restorable${s.missing.length ? `: no longer on offer: ${s.missing.join(', ')}` : ''}`;
      io.out(`  ${s.site}: ${what}${s.reason ? ` — ${s.reason}` : ''}`);
    }
  }
  return { exitCode: 0 };
}
