// Transactions left open at sites no longer in sites.yaml: no run resumes
// them (a run goes over the sites the desired state has), so without this
// they would stay open in the journal for ever, shown as unfinished. A run
// closes them instead (transaction.ts closeTransaction): under the site's
// lock, taken without waiting — a controller that still drives one, from
// an older sites.yaml, holds it, and the transaction is left to it — and
// only what is open once the lock is held. A dry run closes nothing.
import type { RunContext } from './context.js';
import { closeTransaction } from './transaction.js';

/** What became of one open transaction of a removed site: a closed set, with the detail for people. */
export type RemovedSiteTx =
  { site: string; txid: string; status: 'closed'; detail: string } | { site: string; status: 'busy'; detail: string };

export async function closeRemovedSites(ctx: RunContext, known: ReadonlySet<string>): Promise<RemovedSiteTx[]> {
  const gone = new Set(
    (await ctx.journal.transactions()).filter((t) => !t.end && !known.has(t.site)).map((t) => t.site),
  );
  const results: RemovedSiteTx[] = [];
  for (const site of [...gone].sort()) {
    let holder = 'another controller';
    const release = await ctx.locks.acquire(site, 'close', {
      timeoutMs: 0,
      onBusy: (h) => (holder = h ? `${h.controller} (${h.command})` : holder),
    });
    if (!release) {
      const detail = `left open: ${holder} holds the site; a later run closes it`;
      ctx.emit({ site, kind: 'closed', detail });
      results.push({ site, status: 'busy', detail });
      continue;
    }
    try {
      for (const tx of await ctx.journal.openTransactions(site)) {
        const job = tx.submitted?.job;
        const why =
          `closed without following it: ${site} is no longer in sites.yaml at ${ctx.revision}; nothing was cancelled there` +
          (job ? ` — job ${job.id} (${job.backend}) may still run, under its own time limit` : '');
        await closeTransaction(ctx, tx, why);
        ctx.emit({ site, kind: 'closed', detail: `${tx.txid} (${tx.begin.kind}, begun ${tx.begin.at}): ${why}` });
        results.push({ site, txid: tx.txid, status: 'closed', detail: why });
      }
    } finally {
      await release();
    }
  }
  return results;
}

/** The run summary's line for them (empty when there were none). */
export function removedSitesSummary(done: readonly RemovedSiteTx[]): string {
  if (done.length === 0) return '';
  const closed = done.filter((d) => d.status === 'closed');
  const busy = done.filter((d) => d.status === 'busy');
  const list = (ds: readonly RemovedSiteTx[]) =>
    ds.map((d) => (d.status === 'closed' ? `${d.site} ${d.txid}` : d.site)).join(', ');
  return [
    closed.length > 0
      ? `Closed ${closed.length} open transaction${closed.length === 1 ? '' : 's'} of sites no longer in sites.yaml (journalled as failed, jobs not cancelled): ${list(closed)}.`
      : '',
    busy.length > 0 ? `Left open, held by another controller: ${list(busy)}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
