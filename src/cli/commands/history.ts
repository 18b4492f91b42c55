// `reconcile history`: transactions, newest first.
import { Journal } from '../../state/journal.js';
import { foldTransactions, type Transaction } from '../../state/records.js';
import { flag, listOpt, noPositionals, type ParsedArgs } from '../args.js';
import { stateDirFromArgs } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function historyCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const journal = new Journal(stateDirFromArgs(args));
  const { records, damaged } = await journal.read();
  for (const d of damaged) io.err(`${journal.file}:${d.line}: ${d.reason}`);
  const sites = new Set(listOpt(args, 'site'));
  const txs = foldTransactions(records)
    .filter((t) => sites.size === 0 || sites.has(t.site))
    .sort((a, b) => (a.begin.at < b.begin.at ? 1 : a.begin.at > b.begin.at ? -1 : 0));
  if (flag(args, 'json')) {
    io.out(JSON.stringify(txs.map(summary)));
    return { exitCode: 0 };
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
    observedAfter: t.finished?.observedAfter,
    status: t.end?.status ?? 'unfinished',
    ...(t.end?.reason ? { reason: t.end.reason } : {}),
  };
}

function line(t: Transaction): string {
  const rev = t.begin.revision === 'worktree' ? 'worktree' : t.begin.revision.slice(0, 12);
  const tags = t.begin.tags.length ? ` [${t.begin.tags.join(', ')}]` : '';
  const actions = t.begin.plan.actions.map((a) => `${a.action === 'remove' ? '-' : a.action === 'install' ? '+' : '~'}${a.pkgname}`).join(' ');
  const status = t.end?.status ?? 'unfinished';
  return `${t.begin.at} ${t.site} ${t.begin.kind} ${status} ${rev}${tags} ${t.txid}${actions ? ` ${actions}` : ''}${t.end?.reason ? ` — ${t.end.reason}` : ''}`;
}
