// A site's observation written from outside a run — a report the site sent
// (`serve`), a listing imported by hand (`observe --import`) — is written
// between the site's transactions, never during one. The rule: the writer
// takes the site's controller lock, the one every transaction runs under
// (waiting a moment, as long as a run that finds the site in sync holds
// it, not as long as a job), and writes only if the journal has no
// transaction of the site without an end. Otherwise a job is, or may be,
// changing the site: its transaction writes its own observation when it
// ends (taken after the job, so newer), or the next run resumes it and
// does; a listing taken meanwhile says nothing about what the job left,
// and writing it could overwrite the transaction's newer one. Through the
// state store, so it holds with files and with PostgreSQL alike.
import type { StateStore } from './store.js';
import type { LockOwner } from './site-lock.js';

/** How long a writer waits for the site's lock: a run finding the site in sync lets go within it; a job does not. */
export const BETWEEN_WAIT_MS = 3000;

export type Between<T> = { ran: true; value: T } | { ran: false; busy: string };

/** Run `work` under the site's lock if no transaction of the site is running or open; else say why not. */
export async function betweenTransactions<T>(
  state: Pick<StateStore, 'locks' | 'journal'>,
  site: string,
  command: string,
  work: () => Promise<T>,
  waitMs = BETWEEN_WAIT_MS,
): Promise<Between<T>> {
  let holder: LockOwner | undefined;
  const release = await state.locks.acquire(site, command, {
    timeoutMs: waitMs,
    onBusy: (h) => (holder = h),
  });
  if (!release)
    return {
      ran: false,
      busy: holder
        ? `${holder.controller} holds the site (${holder.command}${holder.txid ? ` ${holder.txid}` : ''}) since ${holder.since}`
        : 'another controller holds the site',
    };
  try {
    const [open] = await state.journal.openTransactions(site);
    if (open)
      return {
        ran: false,
        busy: `transaction ${open.txid} (${open.begin.kind}, begun ${open.begin.at} by ${open.begin.controller}) has not ended; the next run resumes it`,
      };
    return { ran: true, value: await work() };
  } finally {
    await release();
  }
}
